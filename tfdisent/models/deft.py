"""DEFT (Wu et al., Machine Learning 2022): staged β with a multigroup encoder.

Disentanglement pressure β decreases in stages; at stage s the encoder group
s is trained at the full learning rate, earlier groups at `earlier_rate` times
it (a true per-group learning rate, or 0 when the encoder freezes them), later
groups are not started (they output N(0, 1) noise, see tfdisent/nets/deft.py).

The β schedules (all functions of the global step, evaluated inside the
traced train step):

- `ExponentialBeta`: β(t) = max(β_max·exp(−γ·t/T), 1); the stage is the number
  of thresholds that β(t) has reached (β(t) ≤ threshold). The default (150, 20,
  T = 200 000, thresholds 70, 30, 15, 1) is the reference "reproduce DEFT" run.
- `PiecewiseBeta`: stage = min(t // stage_steps, len(betas) − 1), β = betas[stage].
- `AnnealingBeta`: β(t) = β_max·exp(−γ·t/T) + 1, the IFP annealing test's.

The stage is a variable of the encoder's gate: after the update of step t
the DEFT component writes `schedule.stage(t)`, so step t + 1 is the first to
run at a stage reached at step t, as in the reference, whose `set_stage` runs
after the encoder's forward pass (stages first used at steps 7623, 16096,
23027, 50108 for T = 200 000; β itself follows the step). The forward pass
and the learning rates of one step see the same stage, a resumed run
restores it, and the step is traced once for all stages.
"""

import weakref

import gin
import keras
import tensorflow as tf

from tfdisent import optimizers
from tfdisent.configurable import configurable
from tfdisent.models.base import Component, OptimizerGroup, Term
from tfdisent.nets import deft as deft_nets


def exponential_decay(step, beta_max, gamma, total_steps):
    """β_max·exp(−γ·step/T), computed in float64 (so switch steps are exact)."""
    fraction = tf.cast(step, tf.float64) / float(total_steps)
    return beta_max * tf.exp(-gamma * fraction)


def _check_decay(beta_max, gamma, total_steps):
    if beta_max <= 0 or gamma < 0 or total_steps <= 0:
        raise ValueError("β schedule needs beta_max > 0, gamma >= 0 and "
                         "total_steps > 0, got %r, %r, %r"
                         % (beta_max, gamma, total_steps))


@gin.configurable("exponential_beta")
class ExponentialBeta:
    """β(t) = max(β_max·exp(−γ·t/T), 1) with stage thresholds."""

    def __init__(self, beta_max=150.0, gamma=20.0, total_steps=200000,
                 thresholds=(70.0, 30.0, 15.0, 1.0)):
        _check_decay(beta_max, gamma, total_steps)
        thresholds = [float(b) for b in thresholds]
        if any(a <= b for a, b in zip(thresholds, thresholds[1:])) or (
                thresholds and not beta_max > thresholds[0] >= thresholds[-1] >= 1.0):
            raise ValueError("exponential_beta.thresholds must decrease strictly "
                             "within [1, beta_max), got %s" % thresholds)
        self.beta_max, self.gamma, self.total_steps = beta_max, gamma, total_steps
        self.thresholds = thresholds
        self.num_stages = len(thresholds) + 1

    def _beta64(self, step):
        return tf.maximum(exponential_decay(step, self.beta_max, self.gamma,
                                            self.total_steps), 1.0)

    def beta(self, step):
        return tf.cast(self._beta64(step), tf.float32)

    def stage(self, step):
        beta = self._beta64(step)[..., None]
        reached = beta <= tf.constant(self.thresholds, tf.float64)
        return tf.reduce_sum(tf.cast(reached, tf.int32), axis=-1)


@gin.configurable("piecewise_beta")
class PiecewiseBeta:
    """β constant per stage, each stage `stage_steps` long; the last stage lasts."""

    def __init__(self, betas=(70.0, 30.0, 12.0, 1.0), stage_steps=6000):
        if not betas or stage_steps < 1:
            raise ValueError("piecewise_beta needs betas and stage_steps >= 1")
        self.betas = [float(b) for b in betas]
        self.stage_steps = int(stage_steps)
        self.num_stages = len(self.betas)

    def stage(self, step):
        stage = tf.cast(step, tf.int64) // self.stage_steps
        return tf.cast(tf.minimum(stage, self.num_stages - 1), tf.int32)

    def beta(self, step):
        return tf.gather(tf.constant(self.betas, tf.float32), self.stage(step))


@gin.configurable("annealing_beta")
class AnnealingBeta:
    """The IFP test's β(t) = β_max·exp(−γ·t/T) + 1 (defaults 70, 15, 8000)."""

    def __init__(self, beta_max=70.0, gamma=15.0, total_steps=8000):
        _check_decay(beta_max, gamma, total_steps)
        self.beta_max, self.gamma, self.total_steps = beta_max, gamma, total_steps

    def beta(self, step):
        return tf.cast(exponential_decay(step, self.beta_max, self.gamma,
                                         self.total_steps) + 1.0, tf.float32)


@configurable("scheduled_beta_vae")
class ScheduledBetaVAE(Component):
    """β-VAE whose β follows `schedule.beta(step)`; logs `beta` (weight 0)."""

    def __init__(self, schedule=None, **kwargs):
        super().__init__(**kwargs)
        self.schedule = schedule or AnnealingBeta()

    def terms(self, ctx):
        beta = self.schedule.beta(ctx.step)
        return {"kl_loss": Term(tf.reduce_mean(ctx.kl_per_example), beta),
                "beta": Term(beta, 0.0)}


class GroupRate(keras.optimizers.schedules.LearningRateSchedule):
    """Group `group`'s learning rate at the current stage: `current_rate` ×
    base for the current group (1), `earlier_rate` × base once it is earlier,
    0 before it starts. Reads the stage variable, so a stage change needs no
    retrace. A freeze projection is (earlier_rate 1, current_rate 0)."""

    def __init__(self, base_rate, group, stage, earlier_rate, current_rate=1.0):
        self.base_rate, self.group = base_rate, int(group)
        self.stage, self.earlier_rate = stage, float(earlier_rate)
        self.current_rate = float(current_rate)

    def __call__(self, step):
        stage = tf.convert_to_tensor(self.stage)
        factor = tf.where(self.group == stage, self.current_rate,
                          tf.where(self.group < stage, self.earlier_rate, 0.0))
        return self.base_rate * factor


def _base_rate(optimizer):
    """The optimizer's constant learning rate (the groups scale it)."""
    rate = optimizer.get_config()["learning_rate"]
    if isinstance(rate, dict):
        raise ValueError("deft needs a constant learning rate in the compiled "
                         "optimizer, got a schedule: %s" % rate.get("class_name"))
    return float(rate)


@configurable("deft")
class DEFT(ScheduledBetaVAE):
    """DEFT's objective and training schedule (needs ``@deft_encoder``).

    Args:
      schedule: `ExponentialBeta` (default) or `PiecewiseBeta`; it has at most
        as many stages as the encoder has groups (groups beyond its last
        stage never start, as in the reference code).
      earlier_rate: learning-rate multiplier γ of the groups before the
        current one (ignored, i.e. 0, when the encoder freezes them).

    With ``deft_encoder.freeze = True`` group i's projection has its own Adam
    at the base rate from the stage after i on, starting fresh (step count
    0) at its first gradient, as PyTorch's per-parameter Adam state.
    """

    def __init__(self, schedule=None, earlier_rate=0.1, **kwargs):
        super().__init__(schedule=schedule or ExponentialBeta(), **kwargs)
        if not 0.0 <= earlier_rate <= 1.0:
            raise ValueError("deft.earlier_rate must be in [0, 1], got %r"
                             % (earlier_rate,))
        self.earlier_rate = earlier_rate
        self.group_optimizers = self.projection_optimizers = None

    def attach(self, model):
        gate = deft_nets.stage_gate(model.encoder)
        if self.schedule.num_stages > gate.num_groups:
            raise ValueError("the β schedule has %d stages but the encoder only "
                             "%d groups (deft_encoder.num_groups)"
                             % (self.schedule.num_stages, gate.num_groups))
        self._model = weakref.ref(model)  # the encoder owns gate and groups

    @property
    def gate(self):
        return deft_nets.stage_gate(self._model().encoder)

    def optimizer_groups(self):
        gate = self.gate
        if self.group_optimizers is None:
            main = self._model().optimizer
            rate = _base_rate(main)
            earlier = 0.0 if gate.freeze else self.earlier_rate
            self.group_optimizers = [
                optimizers.like(main, GroupRate(rate, i, gate.stage, earlier))
                for i in range(gate.num_groups)]
            self.projection_optimizers = [
                optimizers.like(main, GroupRate(rate, i, gate.stage, 1.0, 0.0))
                for i in range(len(gate.projection_variables()))]
        groups = deft_nets.group_variables(self._model().encoder)
        return [OptimizerGroup(deft_nets.group_name(i), variables, optimizer)
                for i, (variables, optimizer) in enumerate(
                    zip(groups, self.group_optimizers))] + [
            OptimizerGroup("projection_%d" % i, variables, optimizer)
            for i, (variables, optimizer) in enumerate(
                zip(gate.projection_variables(), self.projection_optimizers))]

    def terms(self, ctx):
        """β·KL, plus `beta`, `stage` and each group's KL `kl_group_i` (logged,
        weight 0)."""
        gate = self.gate
        terms = super().terms(ctx)
        terms["stage"] = Term(tf.cast(tf.convert_to_tensor(gate.stage),
                                      tf.float32), 0.0)
        per_group = tf.reduce_mean(tf.reduce_sum(tf.reshape(
            ctx.kl_per_dimension, [-1, gate.num_groups, gate.latents_per_group]),
            2), 0)
        for i in range(gate.num_groups):
            terms["kl_group_%d" % i] = Term(per_group[i], 0.0)
        return terms

    def secondary_update(self, ctx):
        """Sets the stage of the next step: the one reached at this step. The
        optimizer of a group (a projection) that waited during this step has
        its step count put back to 0 (its moments are still 0: its gradients
        are exactly 0), so it starts with a fresh Adam, as PyTorch's
        per-parameter Adam state does in the reference code."""
        gate = self.gate
        current = tf.convert_to_tensor(gate.stage)
        # (first stage at which it trains, optimizer): group i from stage i,
        # projection i from stage i + 1.
        starts = list(enumerate(self.group_optimizers)) + [
            (i + 1, optimizer) for i, optimizer in enumerate(self.projection_optimizers)]
        for first_stage, optimizer in starts:
            optimizer.iterations.assign(tf.where(
                tf.constant(first_stage, current.dtype) > current,
                tf.zeros_like(optimizer.iterations), optimizer.iterations))
        gate.stage.assign(self.schedule.stage(ctx.step))
        return {}
