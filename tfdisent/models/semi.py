"""Semi-supervised training with few labels (Locatello et al., "Disentangling
Factors of Variation Using Few Labels", ICLR 2020), composed onto any VAE
objective: the S²-versions of β-VAE, β-TCVAE, FactorVAE and DIP-VAE are the
base regularizer plus this component, and the fully supervised baseline is
no regularizer plus this component with `detach_decoder`.

Training batches pair B unlabelled images with B labelled ones
(`pipelines.labelled_batches`), the labelled subset drawn once from
`supervised_seed` (tfdisent.data.labels) and recorded in the train results.
The loss adds γ_t · supervised_loss(encoder mean of the labelled images,
labels), γ_t from the annealer at the step.
"""

import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.data import labels as labels_lib
from tfdisent.data import pipelines
from tfdisent.models.base import Component, Term
from tfdisent.models.supervised_losses import CrossEntropy

ANNEALERS = ("fixed", "anneal", "fine_tune")


def annealed_weight(gamma, step, annealer, iteration_threshold):
    """γ_t: "fixed" γ; "anneal" min(γ, γ t / T); "fine_tune" 0 up to step T,
    then γ (disentanglement_lib's annealers)."""
    step = tf.cast(step, tf.float32)
    if annealer == "fixed":
        return tf.constant(float(gamma))
    if annealer == "anneal":
        return tf.minimum(float(gamma), float(gamma) * step / float(iteration_threshold))
    return float(gamma) * tf.minimum(1.0, tf.maximum(0.0, step - float(iteration_threshold)))


@configurable("semi_supervised")
class SemiSupervised(Component):
    """A supervised loss on a small labelled subset.

    Args:
      loss: a supervised loss (``@supervised_xent()``, ``@supervised_l2()``,
        ``@supervised_cov()``, ``@supervised_embed()``).
      gamma_sup: its weight γ.
      annealer: "fixed", "anneal" or "fine_tune"; iteration_threshold: its T.
      num_labelled: labelled points drawn; train_percentage: the share that
        trains (the first ones), the rest held out as disentanglement_lib
        holds it out for validation.
      labeller: ``@perfect_labeller()``, ``@bin_labeller()``,
        ``@noisy_labeller()`` or ``@permuted_labeller()``.
      supervised_seed: the labelled subset's seed (None: the run's seed).
      detach_decoder: the decoder sees stop_gradient(z) (the fully
        supervised baseline: the encoder learns from the labels only).
      replicate_official_untrained_loss_variables: the loss's own variables
        (l2's scale, embed's embeddings) stay at their initial values, as in
        disentanglement_lib's S²-FactorVAE, which trains only variables
        named encoder or decoder.
    """

    def __init__(self, loss=None, gamma_sup=1.0, annealer="fixed", iteration_threshold=1,
                 num_labelled=100, train_percentage=0.9, labeller=None, supervised_seed=None,
                 detach_decoder=False, replicate_official_untrained_loss_variables=False,
                 **kwargs):
        super().__init__(**kwargs)
        if annealer not in ANNEALERS:
            raise ValueError("semi_supervised.annealer must be one of %s, got %r"
                             % (", ".join(ANNEALERS), annealer))
        if num_labelled < 1:
            raise ValueError("semi_supervised.num_labelled must be at least 1, got %s"
                             % num_labelled)
        labels_lib.check_train_percentage(train_percentage)
        self.loss = loss if loss is not None else CrossEntropy()
        self.gamma_sup, self.annealer = gamma_sup, annealer
        self.iteration_threshold = iteration_threshold
        self.num_labelled, self.train_percentage = int(num_labelled), train_percentage
        self.labeller = labeller if labeller is not None else labels_lib.PerfectLabeller()
        self.supervised_seed = supervised_seed
        self.detach_decoder = detach_decoder
        self.replicate_official_untrained_loss_variables = \
            replicate_official_untrained_loss_variables
        self.record = {}

    def attach(self, model):
        if model.factors_num_values is None:
            raise ValueError("semi_supervised needs the dataset's factor sizes "
                             "(vae.factors_num_values, set by training)")
        self.loss.setup(self.labeller.sizes(model.factors_num_values), model.num_latent)

    def training_batches(self, model, data, batch_size, seed, start_step=0,
                         factor_sampler=None):
        supervised_seed = seed if self.supervised_seed is None else self.supervised_seed
        images, labels, factors = labels_lib.draw_labelled_set(
                data, self.num_labelled, supervised_seed, self.labeller)
        train_images, train_labels, _, _ = labels_lib.split(images, labels,
                                                             self.train_percentage)
        self.record = {"labelled_set": {
                "supervised_seed": int(supervised_seed), "num_labelled": self.num_labelled,
                "num_train": len(train_labels), "labeller": type(self.labeller).__name__,
                "factors": factors.tolist(), "labels": labels.tolist()}}
        return pipelines.labelled_batches(data, train_images, train_labels, batch_size, seed,
                                          start_step=start_step, factor_sampler=factor_sampler)

    def training_results(self):
        return self.record

    def private_variables(self):
        if self.replicate_official_untrained_loss_variables:
            return list(self.loss.trainable_variables)
        return []

    def prepare(self, ctx):
        if self.detach_decoder:
            ctx.z = tf.stop_gradient(ctx.z)

    def terms(self, ctx):
        if "labels" not in ctx.supervision:
            return {}
        means = ctx.model.encode(ctx.supervision["labelled_images"],
                                 training=ctx.training)["mean"]
        weight = annealed_weight(self.gamma_sup, ctx.step, self.annealer,
                                 self.iteration_threshold)
        return {"supervised_loss": Term(self.loss(means, ctx.supervision["labels"]), weight),
                "supervised_weight": Term(weight, 0.0)}

