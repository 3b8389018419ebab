"""InfoWGAN-GP and QLInfoWGAN-GP (Hsu et al. 2023).

One encoder trunk carries two heads: the critic value V(x) (a linear head
on the trunk's "features") and the code (the encoder's "mean", quantized
for QLInfoWGAN-GP). The decoder is the generator, x_fake = sigmoid(G(z)).

Every step updates the encoder/critic on
  L_E = V(x_fake) − V(x) + λ_gp·(‖∇V(x̃)‖ − 1)² + λ_latent·MSE(ẑ(x_fake), z)
        [+ λ_q·quantization + λ_c·commitment on the fake codes],
x̃ = εx + (1 − ε)x_fake, ε ~ U(0, 1) per example; every
`generator_step_period`-th step (after the critic) also the generator and
the codebook on
  L_G = −V(x_fake) + λ_latent·MSE(ẑ(x_fake), z) [+ λ_q·quant + λ_c·commit]
with a fresh prior draw z: U[0, 1]^K for InfoWGAN-GP, each dimension
uniform over its codebook values for QLInfoWGAN-GP. Both sides train
weights with AdamW (decoupled decay, element-wise clip) and biases (and the
codebook) with plain Adam, all with the compiled optimizer's settings.

Random draws (stateless, see TrainableModel.random_uniform) use salts
10 (critic-step prior), 11 (interpolation ε), 12 (generator-step prior).
The generator step runs inside tf.cond in the one traced step, which
tf.distribute cannot synchronise: these models train on one device.
"""

import keras
import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.latents.quantized import (QuantizedLatent, commitment_loss,
                                       quantization_loss)
from tfdisent.models.base import (OptimizerGroup, Term, TrainableModel, batch_images,
                                  total_loss)
from tfdisent.models.weight_decay import adam_like, weight_decay_partition
from tfdisent.nets import factory
from tfdisent.nets.qlae import dense

CRITIC_PRIOR_SALT, EPSILON_SALT, GENERATOR_PRIOR_SALT = 10, 11, 12
GENERATOR_TERMS = ("generator_value_loss", "generator_latent_loss",
                   "generator_quantization_loss", "generator_commitment_loss")


def gradient_penalty(critic, x):
    """mean_b (‖∂critic(x)_b / ∂x_b‖₂ − 1)², critic: [B, ...] -> [B]."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(critic(x))
    gradients = tape.gradient(total, x)
    axes = list(range(1, x.shape.rank))
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=axes) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def latent_loss(z_hat, z):
    return tf.reduce_mean(tf.square(z_hat - z))


def _apply(groups, tape, loss):
    """One gradient step of `loss` for each group's variables."""
    variables = [v for g in groups for v in g.variables]
    grads = tape.gradient(loss, variables)
    start = 0
    for group in groups:
        n = len(group.variables)
        group.optimizer.apply_gradients(zip(grads[start:start + n], group.variables))
        start += n


@configurable("info_wgan", denylist=["input_shape"])
class InfoWGAN(TrainableModel):
    """InfoWGAN-GP, or QLInfoWGAN-GP with ``quantized=True``.

    Args:
      input_shape: observation shape (H, W, C).
      quantized: quantize the code (``@quantized_latent`` codebooks) and
        draw the prior from the codebooks; else a U[0, 1] prior.
      encoder, decoder: networks (default: gin ``encoder``/``decoder``); the
        encoder must return "features" (e.g. ``@qlae_encoder``).
      gradient_penalty_weight, latent_weight, quantization_weight,
        commitment_weight: λ_gp (10), λ_latent (200), λ_q, λ_c (0.01).
      generator_step_period: one generator step every this many steps.
      weight_decay, clip_value: AdamW decay and element-wise clip of weights.
      dataset_size, factors_num_values: unused (the training platform passes
        them to every model).
    """

    def __init__(self, input_shape, quantized=False, encoder=None, decoder=None,
                 num_latent=None, gradient_penalty_weight=10.0,
                 latent_weight=200.0, quantization_weight=0.01,
                 commitment_weight=0.01, generator_step_period=5,
                 weight_decay=1e-3, clip_value=1.0, dataset_size=None,
                 factors_num_values=None, seed=0,
                 name="info_wgan"):
        del dataset_size, factors_num_values
        super().__init__(seed=seed, name=name)
        self.observation_shape = tuple(int(s) for s in input_shape)
        self.encoder = encoder or (
            factory.make_encoder(self.observation_shape, num_latent)
            if num_latent else factory.make_encoder(self.observation_shape))
        if "features" not in self.encoder.output:
            raise ValueError("info_wgan needs an encoder that returns 'features' "
                             "for its critic head, e.g. encoder.encoder_fn = "
                             "@qlae_encoder")
        self.num_latent = int(self.encoder.output["mean"].shape[-1])
        width = int(self.encoder.output["features"].shape[-1])
        self.critic = keras.Sequential(
            [keras.Input((width,)), dense(1, width, name="value")], name="critic")
        self.decoder = decoder or factory.make_decoder(
            self.num_latent, self.observation_shape)
        self.quantizer = (QuantizedLatent(self.num_latent)
                          if quantized else None)
        # Recorded in the SavedModel: InfoMEC then uses the discrete estimator.
        self.discrete_representation = bool(quantized)
        self.gradient_penalty_weight = gradient_penalty_weight
        self.latent_weight = latent_weight
        self.quantization_weight = quantization_weight
        self.commitment_weight = commitment_weight
        self.generator_step_period = int(generator_step_period)
        self.weight_decay, self.clip_value = weight_decay, clip_value
        names = GENERATOR_TERMS if quantized else GENERATOR_TERMS[:2]
        self.generator_logs = {name: self.add_weight(
            name=name, shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica") for name in ("generator_loss",) + names}
        self.built = True  # every sub-network is built on construction

    # -- networks ------------------------------------------------------------
    def _latent(self, pre_z):
        if self.quantizer is None:
            return {"continuous": pre_z, "quantized": pre_z, "straight_through": pre_z}
        return self.quantizer(pre_z)

    def critique(self, x, training=False):
        """Critic value [B] and the code dict of images x."""
        encoded = self.encoder(x, training=training)
        value = self.critic(encoded["features"], training=training)[:, 0]
        return value, self._latent(encoded["mean"])

    def generate(self, z, training=False):
        return tf.sigmoid(self.decoder(z, training=training))

    def prior(self, batch_size, salt):
        noise = self.random_uniform([batch_size, self.num_latent], salt=salt)
        return noise if self.quantizer is None else self.quantizer.sample(noise)

    # -- objectives -------------------------------------------------------
    def _code_terms(self, code, z, prefix=""):
        terms = {prefix + "latent_loss": Term(
            latent_loss(code["straight_through"], z), self.latent_weight)}
        if self.quantizer is not None:
            terms[prefix + "quantization_loss"] = Term(quantization_loss(
                code["continuous"], code["quantized"]), self.quantization_weight)
            terms[prefix + "commitment_loss"] = Term(commitment_loss(
                code["continuous"], code["quantized"]), self.commitment_weight)
        return terms

    def forward(self, x, training):
        """The encoder/critic objective on a batch of real images: (terms,
        None). The codebook terms only log here (the codebook is trained on
        the generator side), as in the official code."""
        batch = tf.shape(x)[0]
        z_fake = self.prior(batch, CRITIC_PRIOR_SALT)
        x_fake = tf.stop_gradient(self.generate(z_fake, training))
        values, code = self.critique(tf.concat([x, x_fake], 0), training)
        real_value, fake_value = tf.split(values, 2)
        fake_code = {k: v[batch:] for k, v in code.items()}
        epsilon = self.random_uniform([batch, 1, 1, 1], salt=EPSILON_SALT)
        penalty = gradient_penalty(lambda images: self.critique(images, training)[0],
                                   epsilon * x + (1.0 - epsilon) * x_fake)
        terms = {"value_loss": Term(tf.reduce_mean(fake_value - real_value)),
                 "gradient_penalty": Term(penalty, self.gradient_penalty_weight)}
        terms.update(self._code_terms(fake_code, z_fake))
        return terms, None

    def generator_terms(self, batch_size, training):
        """The generator objective on a fresh prior draw."""
        z_fake = self.prior(batch_size, GENERATOR_PRIOR_SALT)
        value, code = self.critique(self.generate(z_fake, training), training)
        terms = {"generator_value_loss": Term(-tf.reduce_mean(value))}
        terms.update(self._code_terms(code, z_fake, prefix="generator_"))
        return terms

    # -- optimizers --------------------------------------------------------
    def optimizer_groups(self):
        """Critic side (encoder + critic head), then generator side
        (decoder + codebook); weights decayed, biases and codebook not."""
        if self._groups is None:
            base, wd, clip = self.optimizer, self.weight_decay, self.clip_value
            critic, critic_plain = weight_decay_partition(
                self.encoder.trainable_variables + self.critic.trainable_variables)
            generator, generator_plain = weight_decay_partition(
                self.decoder.trainable_variables)
            if self.quantizer is not None:
                generator_plain += self.quantizer.trainable_variables
            self._groups = [
                OptimizerGroup("critic_weight_decay", critic, adam_like(base, wd, clip)),
                OptimizerGroup("critic", critic_plain, adam_like(base)),
                OptimizerGroup("generator_weight_decay", generator,
                               adam_like(base, wd, clip)),
                OptimizerGroup("generator", generator_plain, adam_like(base))]
        return self._groups

    def build_optimizers(self):
        if tf.distribute.has_strategy():
            raise ValueError(
                "info_wgan trains with the default strategy only: its generator "
                "step runs every %d steps inside tf.cond, and tf.distribute "
                "cannot synchronise an optimizer update inside control flow"
                % self.generator_step_period)
        super().build_optimizers()

    # -- steps -------------------------------------------------------------
    def _generator_update(self, batch_size):
        with tf.GradientTape() as tape:
            terms = self.generator_terms(batch_size, training=True)
            loss = total_loss(terms)
        _apply(self.optimizer_groups()[2:], tape, loss)
        logs = {name: t.value for name, t in terms.items()}
        logs["generator_loss"] = loss
        return logs

    def train_step(self, data):
        x = batch_images(data)
        with tf.GradientTape() as tape:
            terms, _ = self.forward(x, training=True)
            loss = total_loss(terms)
        _apply(self.optimizer_groups()[:2], tape, loss)
        due = tf.equal((self.global_step + 1) % self.generator_step_period, 0)
        generator_logs = tf.cond(
            due, lambda: self._generator_update(tf.shape(x)[0]),
            lambda: {k: tf.identity(v) for k, v in self.generator_logs.items()})
        for name, value in generator_logs.items():
            self.generator_logs[name].assign(value)
        self.global_step.assign_add(1)
        logs = {"loss": loss}
        logs.update({name: t.value for name, t in terms.items()})
        logs.update(generator_logs)
        return logs

    def test_step(self, data):
        x = batch_images(data)
        critic, _ = self.forward(x, training=False)
        generator = self.generator_terms(tf.shape(x)[0], training=False)
        logs = {"loss": total_loss(critic), "generator_loss": total_loss(generator)}
        logs.update({name: t.value for name, t in {**critic, **generator}.items()})
        return logs

    # -- what the SavedModel serves ---------------------------------------
    def encode(self, x, training=False):
        """{"mean": ẑ}: the straight-through (quantized) or continuous code."""
        return {"mean": self.critique(x, training)[1]["straight_through"]}

    def representation(self, x):
        return self.critique(x)[1]["quantized"]

    def decode_images(self, z):
        return self.generate(z)

    def reconstruct(self, x):
        return self.generate(self.encode(x)["mean"])

    def call(self, x, training=False):
        return self.generate(self.encode(x, training)["mean"], training)
