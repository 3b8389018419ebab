"""The diagonal Gaussian posterior q(z|x) = N(mean, exp(logvar)) and its KL."""

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def posterior(mean, logvar):
    return tfd.Normal(loc=mean, scale=tf.exp(0.5 * logvar))


def sample(mean, logvar, eps):
    """Reparameterised sample z = mean + sigma * eps."""
    return mean + tf.exp(0.5 * logvar) * eps


def kl_per_dimension(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, 1)) element-wise, [B, K]."""
    return tfd.kl_divergence(posterior(mean, logvar),
                             tfd.Normal(tf.zeros_like(mean), tf.ones_like(mean)))


def log_density(z, mean, logvar):
    """log N(z; mean, exp(logvar)) element-wise (broadcasting)."""
    return -0.5 * (tf.math.log(2.0 * tf.constant(3.141592653589793, z.dtype))
                   + logvar + tf.square(z - mean) * tf.exp(-logvar))
