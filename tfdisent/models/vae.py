"""encoder -> latent -> decoder with a composed objective.

loss = reconstruction + regularizer terms + extension terms. The regularizer
(β-VAE, β-TCVAE, ...) and the extensions (CFASL, MIPE, ...) are Components:
each adds named Terms and may read or replace entries of the Context
(``z``, ``kl_per_example``, ``reconstruction_logits``) in ``prepare``.
An encoder without "logvar" gives a deterministic code (a plain AE).
"""

import tensorflow as tf

from tfdisent import losses
from tfdisent.configurable import configurable
from tfdisent.latents import gaussian
from tfdisent.models.base import Context, Term, TrainableModel
from tfdisent.nets import factory


@configurable("vae", denylist=["input_shape"])
class VAE(TrainableModel):
    """A (variational) autoencoder whose objective is composed by gin.

    Args:
      input_shape: observation shape (H, W, C).
      regularizer: a Component (``@beta_vae()``, ``@beta_tc_vae()``, ...).
      extensions: further Components (``[@cfasl()]``, ``[@mipe()]``).
      num_latent: code size; None takes ``encoder.num_latent``.
      clip_global_norm: joint gradient clipping over all main-loss groups.
      dataset_size: number of distinct observations (set by training; used
        by estimators that need it, e.g. β-TCVAE's stratified sampling).
      factors_num_values: the dataset's factor sizes (set by training; used
        by components that supervise with factors).
    """

    def __init__(self, input_shape, regularizer=None, extensions=(),
                 reconstruction_loss=None, encoder=None, decoder=None,
                 num_latent=None, clip_global_norm=None, dataset_size=None,
                 factors_num_values=None, seed=0, name="vae"):
        components = ([regularizer] if regularizer is not None else []) + list(extensions)
        super().__init__(components=components,
                         clip_global_norm=clip_global_norm, seed=seed, name=name)
        self.observation_shape = tuple(int(s) for s in input_shape)
        self.dataset_size = dataset_size
        self.factors_num_values = factors_num_values
        self.encoder = encoder or (
            factory.make_encoder(self.observation_shape, num_latent)
            if num_latent else factory.make_encoder(self.observation_shape))
        self.num_latent = int(self.encoder.output["mean"].shape[-1])
        self.decoder = decoder or factory.make_decoder(
            self.num_latent, self.observation_shape)
        self.reconstruction_loss = (reconstruction_loss
                                    or losses.make_reconstruction_loss())
        self.stochastic = "logvar" in self.encoder.output
        for component in self.components:
            attach = getattr(component, "attach", None)
            if attach is not None:
                attach(self)

    # -- the forward pass --------------------------------------------------
    def encode(self, x, training=False):
        return self.encoder(x, training=training)

    def forward(self, x, training, supervision=None):
        encoded = self.encode(x, training=training)
        ctx = Context(x=x, training=training, step=self.global_step,
                      model=self, encoded=encoded, z_mean=encoded["mean"],
                      reconstruction_logits=None, supervision=supervision or {})
        if self.stochastic:
            ctx.z_logvar = encoded["logvar"]
            ctx.eps = self.random_normal(tf.shape(ctx.z_mean), salt=0)
            ctx.z = gaussian.sample(ctx.z_mean, ctx.z_logvar, ctx.eps)
            ctx.kl_per_dimension = gaussian.kl_per_dimension(ctx.z_mean, ctx.z_logvar)
            ctx.kl_per_example = tf.reduce_sum(ctx.kl_per_dimension, axis=1)
        else:
            ctx.z = ctx.z_mean
        for component in self.components:
            component.prepare(ctx)
        if ctx.reconstruction_logits is None:
            ctx.reconstruction_logits = self.decoder(ctx.z, training=training)
        ctx.reconstruction_per_example = self.reconstruction_loss(
            x, ctx.reconstruction_logits)
        terms = {"reconstruction_loss": Term(
            tf.reduce_mean(ctx.reconstruction_per_example))}
        for component in self.components:
            terms.update(component.terms(ctx))
        return terms, ctx

    def call(self, x, training=False):
        return self.forward(x, training)[1].reconstruction_logits

    # -- what training reads ----------------------------------------------
    def training_batches(self, data, batch_size, seed, start_step=0, factor_sampler=None):
        """A component's training input (pairs, labelled points), else i.i.d.
        images."""
        override = self._override("training_batches")
        if override is None:
            return super().training_batches(data, batch_size, seed, start_step,
                                            factor_sampler)
        return override(self, data, batch_size, seed, start_step=start_step,
                        factor_sampler=factor_sampler)

    def training_results(self):
        results = {}
        for component in self.components:
            results.update(getattr(component, "training_results", dict)())
        return results

    # -- what the SavedModel serves ----------------------------------------
    def _override(self, hook):
        """The first component's `hook` method (e.g. MIPE's image average)."""
        for component in self.components:
            method = getattr(component, hook, None)
            if method is not None:
                return method
        return None

    @property
    def discrete_representation(self):
        """Whether `representation` takes finitely many values (a component
        such as QLAE says so); export records it for the metrics."""
        return any(getattr(c, "discrete_representation", False)
                   for c in self.components)

    def representation(self, x):
        """The code metrics score: a component's override, else the mean."""
        override = self._override("representation")
        return override(self, x) if override else self.encode(x)["mean"]

    def decode_images(self, z):
        override = self._override("decode_images")
        if override:
            return override(self, z)
        return tf.sigmoid(self.decoder(z, training=False))

    def reconstruct(self, x):
        override = self._override("reconstruct")
        if override:
            return override(self, x)
        return self.decode_images(self.encode(x)["mean"])
