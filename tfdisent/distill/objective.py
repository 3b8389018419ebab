"""FSD objectives: task loss + temperature-scaled KD + weighted structure losses.

Variants (as the reference scripts):
- ``none``: ``α·task + (1−α)·KD`` (plain knowledge distillation);
- ``I`` / ``L`` / ``G``: ``α·task + (1−α)·KD + β·L_{I|L|G}``;
- ``IL`` / ``ILG``: ``α·task + (1−α)·KD + ε·[σ·L_G + (1−σ)·½·(γ_I·L_I + (1−γ_I)·L_L)]``
  (``IL`` is ``ILG`` with σ = 0, as the README's "gamma_g = 0.0 for FSD_IL").

Hidden-state indices follow Hugging Face: 0 = embeddings (or the input for
conv encoders), ℓ = output of layer ℓ; negative indices count from the end,
so the defaults (−2, −2) and (−1, −1) are layers 11 ↔ 5 and 12 ↔ 6 for a
12 → 6 layer BERT pair.
"""

import gin
import tensorflow as tf

from tfdisent.distill import structures

VARIANTS = ("none", "I", "L", "G", "IL", "ILG")
SECOND_TO_LAST = (-2, -2)
LAST = (-1, -1)


class ClassificationLosses:
    """Cross-entropy on labels; KD = ``T²·KL(softmax(t/T) ‖ softmax(s/T))`` (batch mean)."""

    def __init__(self, temperature=5.0):
        self.temperature = float(temperature)

    def task(self, student_logits, labels, teacher_logits=None):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.cast(labels, tf.int32), logits=student_logits))

    def kd(self, teacher_logits, student_logits):
        t = self.temperature
        teacher_log_p = tf.nn.log_softmax(teacher_logits / t)
        student_log_p = tf.nn.log_softmax(student_logits / t)
        kl = tf.reduce_sum(tf.exp(teacher_log_p) * (teacher_log_p - student_log_p), axis=-1)
        return t * t * tf.reduce_mean(kl)


class RegressionLosses:
    """STS-B: MSE to the labels; KD is MSE to the teacher's prediction.

    (A softmax over one output is constant, so the KL form would be zero.)
    """

    def __init__(self, temperature=None):
        del temperature  # no softmax, no temperature

    def task(self, student_outputs, labels, teacher_outputs=None):
        prediction = student_outputs[:, 0]
        return tf.reduce_mean(tf.square(prediction - tf.cast(labels, prediction.dtype)))

    def kd(self, teacher_outputs, student_outputs):
        return tf.reduce_mean(tf.square(student_outputs - teacher_outputs))


class GaussianCodeLosses:
    """Encoders ``images → {"mean"[, "logvar"]}``; no labels, the teacher's code is the target.

    task = batch mean of ``Σ_j (μ_s − μ_t)²``; KD = batch mean of
    ``Σ_j KL(N(μ_t, σ_t²) ‖ N(μ_s, σ_s²))`` (0 for deterministic codes).
    """

    def __init__(self, temperature=None):
        del temperature

    def task(self, student_outputs, labels, teacher_outputs):
        del labels  # the target is the teacher's mean
        return tf.reduce_mean(tf.reduce_sum(
                tf.square(student_outputs["mean"] - teacher_outputs["mean"]), axis=-1))

    def kd(self, teacher_outputs, student_outputs):
        if "logvar" not in teacher_outputs:
            return tf.constant(0.0)
        t_mean, t_logvar = teacher_outputs["mean"], teacher_outputs["logvar"]
        s_mean, s_logvar = student_outputs["mean"], student_outputs["logvar"]
        kl = 0.5 * (s_logvar - t_logvar
                    + (tf.exp(t_logvar) + tf.square(t_mean - s_mean)) / tf.exp(s_logvar) - 1.0)
        return tf.reduce_mean(tf.reduce_sum(kl, axis=-1))


TASK_TYPES = {"classification": ClassificationLosses,
              "regression": RegressionLosses,
              "gaussian_code": GaussianCodeLosses}


def resolve_index(index, num_hidden, who):
    """A hidden-state index (negative counts from the end) checked against the model."""
    if not -num_hidden <= index < num_hidden:
        raise ValueError("layer index %d is out of range for the %s, which has %d hidden "
                         "states (indices 0..%d: 0 = embeddings/input, ℓ = layer ℓ)"
                         % (index, who, num_hidden, num_hidden - 1))
    return index % num_hidden


def layerwise_pairs(num_teacher_layers, num_student_layers):
    """The reference ``--do_layerwise`` pairs ``(r·k, k)``, k = 1..S−1, r = T/S.

    For 12 → 6 layers: (2,1), (4,2), (6,3), (8,4), (10,5).
    """
    if num_student_layers < 2 or num_teacher_layers % num_student_layers:
        raise ValueError("layer-wise pairs need a teacher depth (%d) that is a multiple of "
                         "the student depth (%d ≥ 2)" % (num_teacher_layers, num_student_layers))
    ratio = num_teacher_layers // num_student_layers
    return tuple((ratio * k, k) for k in range(1, num_student_layers))


@gin.configurable("fsd")
class FSDObjective:
    """Composes the task/KD losses and the structure losses of one FSD variant.

    Args:
        task_type: ``classification`` (CE + KL-KD), ``regression`` (STS-B) or
            ``gaussian_code`` (encoders images → (mean, logvar)).
        variant: one of ``none, I, L, G, IL, ILG``.
        alpha: task vs KD weight. temperature: KD temperature (classification).
        beta: weight of the single structure loss (variants I, L, G).
        gamma: distance vs cosine weight inside L_G.
        sigma, gamma_intra, epsilon: the IL/ILG weights (see module docstring).
        intra_pairs: (teacher, student) hidden-state pairs for L_I (averaged).
        local_pairs: pairs for L_L; None = as the code: the last layers for
            variant L (``_l.py``), the second-to-last for IL/ILG (``_ilg.py``).
        global_pair: the pair whose flattened features meet the memories.
        layerwise: replace ``intra_pairs`` and ``local_pairs`` by
            `layerwise_pairs`, as the code's ``--do_layerwise`` (which averages
            every CKA term, intra and local, over those pairs).
        intra_mask: use the padding mask in L_I (False = the code: all positions).
    """

    def __init__(self, task_type="classification", variant="ILG", alpha=0.5, temperature=5.0,
                 beta=30.0, gamma=0.5, sigma=0.5, gamma_intra=0.5, epsilon=0.1,
                 intra_pairs=(SECOND_TO_LAST,), local_pairs=None, global_pair=SECOND_TO_LAST,
                 layerwise=False, intra_mask=False):
        if variant not in VARIANTS:
            raise ValueError("unknown FSD variant %r; choose one of %s"
                             % (variant, ", ".join(VARIANTS)))
        if task_type not in TASK_TYPES:
            raise ValueError("unknown task type %r; choose one of %s"
                             % (task_type, ", ".join(TASK_TYPES)))
        self.output_losses = TASK_TYPES[task_type](temperature)
        self.variant = variant
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.sigma = 0.0 if variant == "IL" else sigma
        self.gamma_intra, self.epsilon = gamma_intra, epsilon
        self.layerwise, self.intra_mask = layerwise, intra_mask
        self.intra_pairs = tuple(tuple(p) for p in intra_pairs)
        default_local = LAST if variant == "L" else SECOND_TO_LAST
        self.local_pairs = tuple(tuple(p) for p in (local_pairs or (default_local,)))
        self.global_pair = tuple(global_pair)

    @property
    def structures(self):
        """The structures this variant uses, e.g. ``("I", "L", "G")``."""
        return tuple(s for s in "ILG" if s in self.variant)

    @property
    def needs_memory(self):
        return "G" in self.structures

    def check(self, teacher_hidden, student_hidden):
        """Resolves the layer pairs against the two models; one clear error if they do not fit.

        Returns the resolved ``{"I": pairs, "L": pairs, "G": pair}``.
        """
        num_t, num_s = len(teacher_hidden), len(student_hidden)
        if self.layerwise:
            intra_pairs = local_pairs = layerwise_pairs(num_t - 1, num_s - 1)
        else:
            intra_pairs, local_pairs = self.intra_pairs, self.local_pairs

        def resolve(pair):
            return (resolve_index(pair[0], num_t, "teacher"),
                    resolve_index(pair[1], num_s, "student"))

        resolved = {"I": [resolve(p) for p in intra_pairs],
                    "L": [resolve(p) for p in local_pairs],
                    "G": resolve(self.global_pair)}
        if "I" in self.structures:
            for t, s in resolved["I"]:
                n_t = structures.as_tokens(teacher_hidden[t]).shape[1]
                n_s = structures.as_tokens(student_hidden[s]).shape[1]
                if n_t != n_s:
                    raise ValueError(
                        "intra-feature structure compares the same tokens/positions: teacher "
                        "hidden state %d has %s, student hidden state %d has %s" % (t, n_t, s, n_s))
        return resolved

    def __call__(self, teacher, student, labels=None, memory=None, mask=None):
        """Named loss terms; ``teacher``/``student`` are ``{"outputs", "hidden_states"}``.

        ``memory`` = ``(teacher_memory, student_memory)`` for variants with G.
        """
        t_hidden, s_hidden = teacher["hidden_states"], student["hidden_states"]
        pairs = self.check(t_hidden, s_hidden)
        task = self.output_losses.task(student["outputs"], labels, teacher["outputs"])
        kd = self.output_losses.kd(teacher["outputs"], student["outputs"])
        terms = {"task": task, "kd": kd}
        if "I" in self.structures:
            intra_mask = mask if self.intra_mask else None
            terms["intra"] = tf.add_n([
                    structures.intra_feature_loss(t_hidden[t], s_hidden[s], intra_mask)
                    for t, s in pairs["I"]]) / len(pairs["I"])
        if "L" in self.structures:
            terms["local"] = tf.add_n([
                    structures.local_inter_feature_loss(t_hidden[t], s_hidden[s])
                    for t, s in pairs["L"]]) / len(pairs["L"])
        if "G" in self.structures:
            if memory is None:
                raise ValueError("FSD variant %s needs the teacher/student memory" % self.variant)
            t, s = pairs["G"]
            terms["global"] = structures.global_inter_feature_loss(
                    t_hidden[t], s_hidden[s], memory[0], memory[1], self.gamma)
        terms["loss"] = (self.alpha * task + (1.0 - self.alpha) * kd
                         + self._structure_loss(terms))
        return terms

    def _structure_loss(self, terms):
        if not self.structures:
            return 0.0
        if len(self.structures) == 1:
            name = {"I": "intra", "L": "local", "G": "global"}[self.structures[0]]
            return self.beta * terms[name]
        inner = 0.5 * (self.gamma_intra * terms["intra"]
                       + (1.0 - self.gamma_intra) * terms["local"])
        total = (1.0 - self.sigma) * inner
        if "global" in terms:
            total += self.sigma * terms["global"]
        return self.epsilon * total
