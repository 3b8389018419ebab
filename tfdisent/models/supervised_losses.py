"""The supervised losses of semi-supervised training (disentanglement_lib's
methods/semi_supervised/semi_supervised_vae.py: l2, xent, cov, embed).

Each maps the encoder means of labelled images r [B, L] and their labels
y [B, F] (float, values 0..K_f-1) to a scalar. Latent f stands for factor f.
`normalized(y)` is y / K_f, as disentanglement_lib normalises (values in
[0, (K-1)/K]). l2 and xent sum over the batch, cov and embed average over
it, as in the reference (so γ_sup is not comparable across losses).
"""

import keras
import tensorflow as tf

from tfdisent.configurable import configurable


class SupervisedLoss(keras.layers.Layer):
    """A supervised loss; `setup` makes its variables for the label sizes."""

    needs_a_latent_per_factor = True

    def setup(self, label_sizes, num_latent):
        if self.needs_a_latent_per_factor and num_latent < len(label_sizes):
            raise ValueError("%s needs a latent per factor: %d latents, %d factors"
                             % (self.name, num_latent, len(label_sizes)))
        self.label_sizes = [int(k) for k in label_sizes]
        self.built = True

    def normalized(self, labels):
        return labels / tf.constant(self.label_sizes, labels.dtype)


@configurable("supervised_l2")
class L2(SupervisedLoss):
    """Σ_{b,f} (s r_bf - y_bf)² with a learned scalar scale s (initially 1)
    on raw labels; without `learn_scale`, Σ_{b,f} (σ(r_bf) - y_bf / K_f)².

    `replicate_official_broadcast` (only without `learn_scale`): the released
    code subtracts [B, 1, F] - [B, F] and so sums over every (sample, label)
    pair, Σ_{b,b',f} (σ(r_bf) - y_b'f / K_f)².
    """

    def __init__(self, learn_scale=True, replicate_official_broadcast=False, **kwargs):
        super().__init__(name="supervised_l2", **kwargs)
        self.learn_scale = learn_scale
        self.replicate_official_broadcast = replicate_official_broadcast

    def setup(self, label_sizes, num_latent):
        super().setup(label_sizes, num_latent)
        if self.learn_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")

    def call(self, representation, labels):
        codes = representation[:, :labels.shape[-1]]
        if self.learn_scale:
            return tf.reduce_sum(tf.square(codes * self.scale - labels))
        if self.replicate_official_broadcast:
            codes = codes[:, None, :]
        return tf.reduce_sum(tf.square(tf.sigmoid(codes) - self.normalized(labels)))


@configurable("supervised_xent")
class CrossEntropy(SupervisedLoss):
    """Σ_{b,f} sigmoid cross-entropy(logit r_bf, target y_bf / K_f)."""

    def __init__(self, **kwargs):
        super().__init__(name="supervised_xent", **kwargs)

    def call(self, representation, labels):
        return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=self.normalized(labels), logits=representation[:, :labels.shape[-1]]))


@configurable("supervised_cov")
class Covariance(SupervisedLoss):
    """Σ C_ij² over the cross-covariance C = mean_b (r_b - r̄)(y_b - ȳ)ᵀ
    [L, F] of all latents with the labels, its diagonal C_ii excluded."""

    needs_a_latent_per_factor = False

    def __init__(self, **kwargs):
        super().__init__(name="supervised_cov", **kwargs)

    def call(self, representation, labels):
        codes = representation - tf.reduce_mean(representation, axis=0)
        labels = labels - tf.reduce_mean(labels, axis=0)
        covariance = tf.einsum("bl,bf->lf", codes, labels) / tf.cast(
                tf.shape(codes)[0], codes.dtype)
        diagonal = min(representation.shape[-1], labels.shape[-1])
        covariance = tf.linalg.set_diag(covariance, tf.zeros([diagonal], covariance.dtype))
        return tf.reduce_sum(tf.square(covariance))


@configurable("supervised_embed")
class Embedding(SupervisedLoss):
    """Σ_f mean_b softmax cross-entropy of logits -((r_bf - e_fk) σ)² over
    the K_f embedded values e_f of factor f: learned freely, or with
    `use_order` as e_fk = k·slope_f + bias_f. `sigma`: a number or "learn".
    The embeddings start Glorot-uniform like disentanglement_lib's
    get_variable defaults."""

    def __init__(self, sigma=1.0, use_order=False, **kwargs):
        super().__init__(name="supervised_embed", **kwargs)
        if sigma != "learn" and not isinstance(sigma, (int, float)):
            raise ValueError("supervised_embed.sigma must be a number or 'learn', got %r"
                             % (sigma,))
        self.sigma, self.use_order = sigma, use_order

    def setup(self, label_sizes, num_latent):
        super().setup(label_sizes, num_latent)
        glorot = keras.initializers.GlorotUniform(seed=0)
        if self.use_order:
            self.slopes = [self.add_weight(name="slope_%d" % f, shape=(), initializer=glorot)
                           for f in range(len(label_sizes))]
            self.biases = [self.add_weight(name="bias_%d" % f, shape=(), initializer=glorot)
                           for f in range(len(label_sizes))]
        else:
            self.embeddings = [self.add_weight(name="embedding_%d" % f, shape=(k,),
                                               initializer=glorot)
                               for f, k in enumerate(self.label_sizes)]
        if self.sigma == "learn":
            self.learned_sigmas = [self.add_weight(name="sigma_%d" % f, shape=(1,),
                                                   initializer=glorot)
                                   for f in range(len(label_sizes))]

    def embedding(self, factor):
        if self.use_order:
            values = tf.range(self.label_sizes[factor], dtype=tf.float32)
            return values * self.slopes[factor] + self.biases[factor]
        return self.embeddings[factor]

    def call(self, representation, labels):
        loss = 0.0
        for factor, size in enumerate(self.label_sizes):
            sigma = self.learned_sigmas[factor] if self.sigma == "learn" else self.sigma
            logits = -tf.square((representation[:, factor, None] - self.embedding(factor))
                                * sigma)
            targets = tf.one_hot(tf.cast(labels[:, factor], tf.int32), size)
            loss += tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                    labels=targets, logits=logits))
        return loss
