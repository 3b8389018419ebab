"""CFASL: composite factor-aligned symmetry learning (Jung et al., TMLR 2024).

An extension Component for any Gaussian base VAE (``vae.extensions =
[@cfasl()]``). The batch's two halves are random pairs (x1, x2). A two-step
attention on [mu1, sigma1, mu2, sigma2] switches each codebook section on or
off (Gumbel-softmax, trained against |z1_i - z2_i| > threshold) and weights
the section's elements (softmax); the weighted sum of codebook elements is
the composite Lie-algebra element A, G = expm(A) should map z1 to z2 and
G^-1 = expm(-A) z2 to z1. Losses: see ``CFASL.terms`` and docs/methods/cfasl.md.

Randomness (salts of ``model.random_uniform``): 10 = the perpendicular loss's
element per section, 11 = the switch's Gumbel noise.
"""

import weakref

import keras
import tensorflow as tf

from tfdisent import optimizers
from tfdisent.configurable import configurable
from tfdisent.data.pipelines import split_pairs
from tfdisent.latents import symmetry
from tfdisent.models.base import Component, OptimizerGroup, Term

PERPENDICULAR_SALT = 10
GUMBEL_SALT = 11


def gumbel_switch(logits, uniform, temperature):
    """Channel 1 of softmax((logits + Gumbel) / temperature): [..., 2] -> [...]
    (torch.nn.functional.gumbel_softmax, hard=False)."""
    tiny = tf.constant(1e-20, logits.dtype)
    gumbel = -tf.math.log(-tf.math.log(tf.clip_by_value(uniform, tiny, 1.0 - 1e-7)))
    return tf.nn.softmax((logits + gumbel) / temperature)[..., 1]


def switch_loss(logits, labels):
    """Sparse softmax cross-entropy on the switch logits [P, S, 2], summed over
    (pair, section) and divided by the number of pairs."""
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_sum(ce) / tf.cast(tf.shape(logits)[0], logits.dtype)


@configurable("cfasl")
class CFASL(Component):
    """The CFASL extension (see the module docstring).

    Args:
      elements_per_section: |SS| (16, as the code; the README says 10).
      threshold: pseudo-label threshold on |z1_i - z2_i| (0.2 or 0.5).
      temperature: Gumbel-softmax temperature of the switch.
      parallel_weight, perpendicular_weight, sparsity_weight,
        commutativity_weight: the codebook losses (the code ties them: alpha).
      switch_weight: gamma. encoder_equivariance_weight: lambda.
      decoder_equivariance_weight: epsilon (0.1 or 0.01).
      commutativity: False skips the commutator penalty (the paper's
        "computation reduction").
      replicate_official_commutativity: the released `commutative()` (a
        scrambled, partial penalty, ~175x smaller at the std-1 init) in
        place of the true commutator penalty over all elements.
      perpendicular_from_all_elements: draw the perpendicular loss's element
        of each section from all |SS| elements; False (default, as the
        code's np.random.choice(D, D)) draws from the first min(D, |SS|).
      codebook_stddev: truncated-normal init of the codebook (the CLG
        variant of the code uses ~1e-6).
      max_algebra_norm: overflow guard of every expm (None: none).
      attention_learning_rate: the attention layer's own rate (2e-5).
      attention_optimizer: an optimizer for the attention layer; None: one
        like the model's with `attention_learning_rate`.
      replicate_sigma_bug: feed exp(0.5 mu2) instead of sigma2 to the
        attention, as the released code does.
    """

    def __init__(self, elements_per_section=16, threshold=0.2, temperature=1e-4,
                 parallel_weight=1.0, perpendicular_weight=1.0,
                 sparsity_weight=1.0, commutativity_weight=1.0,
                 switch_weight=1.0, encoder_equivariance_weight=1.0,
                 decoder_equivariance_weight=0.1, commutativity=True,
                 replicate_official_commutativity=False,
                 perpendicular_from_all_elements=False, codebook_stddev=1.0,
                 max_algebra_norm=symmetry.DEFAULT_MAX_NORM,
                 attention_learning_rate=2e-5, attention_optimizer=None,
                 replicate_sigma_bug=False, **kwargs):
        super().__init__(**kwargs)
        self.elements_per_section = int(elements_per_section)
        self.threshold, self.temperature = threshold, temperature
        self.weights_by_term = {
            "cfasl_parallel": parallel_weight,
            "cfasl_perpendicular": perpendicular_weight,
            "cfasl_sparsity": sparsity_weight,
            "cfasl_commutativity": commutativity_weight,
            "cfasl_switch": switch_weight,
            "cfasl_encoder_equivariance": encoder_equivariance_weight,
            "cfasl_decoder_equivariance": decoder_equivariance_weight,
        }
        self.commutativity = commutativity
        self.replicate_official_commutativity = replicate_official_commutativity
        self.perpendicular_from_all_elements = perpendicular_from_all_elements
        self.codebook_stddev = codebook_stddev
        self.max_algebra_norm = max_algebra_norm
        self.attention_learning_rate = attention_learning_rate
        self.attention_optimizer = attention_optimizer
        self.replicate_sigma_bug = replicate_sigma_bug
        self.codebook = self.attention = None

    # -- construction --------------------------------------------------------
    def attach(self, model):
        if not model.stochastic:
            raise ValueError("cfasl needs a Gaussian encoder (with 'logvar')")
        dim, elements = model.num_latent, self.elements_per_section
        self.codebook = symmetry.SymmetryCodebook(
            dim, elements, self.codebook_stddev, name="codebook")
        self.attention = keras.layers.Dense(
            (elements + 2) * dim, name="attention",
            bias_initializer=keras.initializers.RandomUniform(0.0, 1.0))
        self.attention.build((None, 4 * dim))
        self._model = weakref.ref(model)

    def optimizer_groups(self):
        if self.attention_optimizer is None:
            self.attention_optimizer = optimizers.like(
                self._model().optimizer, self.attention_learning_rate)
        return [OptimizerGroup("cfasl_attention",
                               self.attention.trainable_variables,
                               self.attention_optimizer)]

    # -- the two-step attention --------------------------------------------
    def attention_logits(self, mean, logvar):
        """Switch logits [P, S, 2] and element logits [P, S, SS] of the pairs
        formed by the batch halves."""
        (mean1, mean2), (logvar1, logvar2) = split_pairs(mean), split_pairs(logvar)
        sigma2 = tf.exp(0.5 * (mean2 if self.replicate_sigma_bug else logvar2))
        features = tf.concat([mean1, tf.exp(0.5 * logvar1), mean2, sigma2], -1)
        logits = self.attention(features)
        sections = self.codebook.num_latent
        switch = tf.reshape(logits[:, :2 * sections], [-1, sections, 2])
        elements = tf.reshape(logits[:, 2 * sections:],
                              [-1, sections, self.elements_per_section])
        return switch, elements

    # -- Component hooks -----------------------------------------------------
    def prepare(self, ctx):
        model = ctx.model
        z1, z2 = split_pairs(ctx.z)
        switch_logits, element_logits = self.attention_logits(ctx.z_mean, ctx.z_logvar)
        uniform = model.random_uniform(tf.shape(switch_logits), salt=GUMBEL_SALT)
        switch = gumbel_switch(switch_logits, uniform, self.temperature)
        algebra = self.codebook.algebra
        composite = symmetry.composite_algebra(
            switch, tf.nn.softmax(element_logits), algebra)
        groups, forward, inverse = symmetry.expm_together(
            algebra, composite, -composite, max_norm=self.max_algebra_norm)
        z2_to_1, z1_to_2 = symmetry.act(z2, inverse), symmetry.act(z1, forward)
        transformed = tf.concat([z2_to_1, z1_to_2], 0)
        if ctx.reconstruction_logits is None:  # one decoder call for both
            logits = model.decoder(tf.concat([ctx.z, transformed], 0),
                                   training=ctx.training)
            batch = tf.shape(ctx.z)[0]
            ctx.reconstruction_logits = logits[:batch]
            transformed_logits = logits[batch:]
        else:  # the base model decodes its own reconstruction (CLG-VAE)
            transformed_logits = model.decoder(transformed, training=ctx.training)
        ctx.cfasl = dict(
            z1=z1, z2=z2, z1_to_2=z1_to_2, z2_to_1=z2_to_1, groups=groups,
            switch=switch, switch_logits=switch_logits,
            transformed_logits=transformed_logits)

    def perpendicular_choice(self, model):
        """The element of each section the perpendicular loss compares, [S]
        int: uniform over the first min(D, |SS|) elements (the code's
        np.random.choice(D, D)), or over all |SS| with
        `perpendicular_from_all_elements`."""
        sections = self.codebook.num_latent
        drawn_from = self.elements_per_section if self.perpendicular_from_all_elements \
            else min(sections, self.elements_per_section)
        uniform = model.random_uniform([sections], salt=PERPENDICULAR_SALT,
                                       per_example=False)
        return tf.minimum(tf.cast(uniform * drawn_from, tf.int32), drawn_from - 1)

    def terms(self, ctx):
        c = ctx.cfasl
        model = ctx.model
        d = symmetry.displacements(ctx.z, c["groups"])
        labels = tf.cast(tf.abs(c["z1"] - c["z2"]) > self.threshold, tf.int32)
        x1, x2 = split_pairs(ctx.x)
        values = {
            "cfasl_parallel": symmetry.parallel_loss(d),
            "cfasl_perpendicular": symmetry.perpendicular_loss(
                d, self.perpendicular_choice(model)),
            "cfasl_sparsity": symmetry.sparsity_loss(d),
            "cfasl_switch": switch_loss(c["switch_logits"], labels),
            "cfasl_encoder_equivariance":
                tf.reduce_mean(tf.square(c["z2_to_1"] - c["z1"]))
                + tf.reduce_mean(tf.square(c["z1_to_2"] - c["z2"])),
            "cfasl_decoder_equivariance": tf.reduce_mean(model.reconstruction_loss(
                tf.concat([x1, x2], 0), c["transformed_logits"])),
        }
        if self.commutativity:
            penalty = symmetry.released_commutativity_loss \
                if self.replicate_official_commutativity else symmetry.commutativity_loss
            values["cfasl_commutativity"] = penalty(self.codebook.algebra)
        terms = {name: Term(value, self.weights_by_term[name])
                 for name, value in values.items()}
        terms["cfasl_switch_on"] = Term(tf.reduce_mean(c["switch"]), 0.0)
        return terms
