"""A numpy representation function read from a SavedModel's signatures.

`bin/evaluate` scores SavedModels, not Python model code: any SavedModel that
exports the signatures of DESIGN §5 can be evaluated. Three representations:

- "representation": the `representation` signature's "default" output;
- "mean": the `gaussian_encoder` signature's "mean" output;
- "sampled": mean + exp(logvar / 2) * eps, eps ~ N(0, 1) drawn from a seeded
  numpy RandomState (fresh noise on every call, reproducible per seed).
"""

import json
import os

import numpy as np

# SAVED_MODEL/assets.extra/LATENTS_FILE, written by tfdisent.export:
# {"discrete_representation": bool} (True for quantized codes, e.g. QLAE).
LATENTS_FILE = "tfdisent_latents.json"

# representation kind -> (signature name, output keys it needs)
_SIGNATURES = {
    "representation": ("representation", ("default",)),
    "mean": ("gaussian_encoder", ("mean",)),
    "sampled": ("gaussian_encoder", ("mean", "logvar")),
}


class BatchedRepresentation:
    """Callable images [N, H, W, C] float32 in [0, 1] -> codes [N, K] float32,
    encoded in batches of `batch_size` by `function(images) -> outputs`
    (the outputs of the signature `kind` reads, as numpy-convertible tensors).
    """

    def __init__(self, function, input_shape, kind="representation", batch_size=64,
                 random_seed=0, source="the model"):
        check_kind(kind)
        self.kind = kind
        self.batch_size = int(batch_size)
        self.input_shape = tuple(input_shape)
        self.reset_noise(random_seed)
        self._signature_name, self._keys = _SIGNATURES[kind]
        self._function = function
        self._source = source
        self.discrete_latents = False

    def __call__(self, images):
        return self._in_batches(self._encode, images)

    def _in_batches(self, function, images):
        """function(batch) -> array, over `images` checked and cut into batches."""
        images = np.asarray(images, dtype=np.float32)
        self.check_observation_shape(images.shape[1:])
        return np.concatenate([function(images[i:i + self.batch_size])
                               for i in range(0, len(images), self.batch_size)])

    @property
    def deterministic(self):
        """True unless codes are sampled: an observation always gets one code."""
        return self.kind != "sampled"

    def reset_noise(self, random_seed):
        """Restarts the noise of the sampled representation from a seed."""
        self._random_state = np.random.RandomState(random_seed)

    def check_observation_shape(self, observation_shape, source="observations"):
        """Raises a one-line ValueError unless `observation_shape` fits the input."""
        expected = tuple(self.input_shape[1:])
        actual = tuple(int(d) for d in observation_shape)
        fits = len(expected) == len(actual) and all(
                e is None or e == a for e, a in zip(expected, actual))
        if not fits:
            raise ValueError(
                    "%s have shape %s but the %r signature of %s expects images of "
                    "shape %s" % (source, actual, self._signature_name, self._source,
                                  tuple(self.input_shape)))

    def _encode(self, images):
        outputs = self._function(images)
        if self.kind == "representation":
            return np.asarray(outputs["default"])
        mean = np.asarray(outputs["mean"])
        if self.kind == "mean":
            return mean
        logvar = np.asarray(outputs["logvar"])
        noise = self._random_state.standard_normal(size=mean.shape).astype(mean.dtype)
        return mean + np.exp(logvar / 2) * noise


class SavedModelRepresentation(BatchedRepresentation):
    """The representation a SavedModel's signatures compute (what bin/evaluate
    scores), and its `reconstructions` (for the reconstruction metric)."""

    def __init__(self, path, kind="representation", batch_size=64, random_seed=0):
        check_kind(kind)
        self.path = path
        signature_name, keys = _SIGNATURES[kind]
        # The loaded object owns the variables the signature captures: keep it.
        self._saved_model, function, input_name, input_shape = (
                load_signature(path, signature_name, keys))
        super().__init__(lambda images: function(**{input_name: images}), input_shape,
                         kind, batch_size, random_seed, source="the SavedModel at %s" % path)
        # Codebook-valued codes (what InfoMEC's default estimator follows).
        self.discrete_latents = kind == "representation" and recorded_discrete(path)
        self._reconstructions = None

    def reconstruct(self, images):
        """The `reconstructions` signature's images [N, H, W, C] in [0, 1]."""
        if self._reconstructions is None:
            function, input_name, _ = checked_signature(
                    self._saved_model, self.path, "reconstructions", ("images",))
            self._reconstructions = lambda batch: np.asarray(
                    function(**{input_name: batch})["images"])
        return self._in_batches(self._reconstructions, images)


def check_kind(kind):
    if kind not in _SIGNATURES:
        raise ValueError("evaluation.representation must be one of %s, got %r"
                         % (", ".join(sorted(_SIGNATURES)), kind))


def signature_outputs(kind):
    """(signature name, output keys) that representation `kind` reads."""
    check_kind(kind)
    return _SIGNATURES[kind]


def recorded_discrete(path):
    """Whether the SavedModel at `path` records a discrete representation."""
    recorded = os.path.join(path, "assets.extra", LATENTS_FILE)
    if not os.path.isfile(recorded):
        return False
    with open(recorded) as f:
        return bool(json.load(f).get("discrete_representation", False))


def load_signature(path, signature_name, keys):
    """(loaded SavedModel, concrete function, its input name, input shape)."""
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise FileNotFoundError("no SavedModel at %s (expected %s)"
                                % (path, os.path.join(path, "saved_model.pb")))
    import tensorflow as tf  # deferred: flag and gin errors stay fast
    saved_model = tf.saved_model.load(path)
    return (saved_model,) + checked_signature(saved_model, path, signature_name, keys)


def checked_signature(saved_model, path, signature_name, keys):
    """(concrete function, its input name, input shape) of a loaded
    SavedModel's signature that must have the outputs `keys`."""
    signatures = saved_model.signatures
    if signature_name not in signatures:
        raise ValueError("the SavedModel at %s has no %r signature (it has: %s)" % (
                path, signature_name, ", ".join(sorted(signatures)) or "none"))
    function = signatures[signature_name]
    outputs = sorted(function.structured_outputs)
    missing = [k for k in keys if k not in outputs]
    if missing:
        raise ValueError("the %r signature of the SavedModel at %s has no output %r "
                         "(outputs: %s)" % (signature_name, path, missing[0],
                                            ", ".join(outputs)))
    inputs = function.structured_input_signature[1]
    if len(inputs) != 1:
        raise ValueError("the %r signature of the SavedModel at %s must take one "
                         "images input, it takes %s" % (signature_name, path,
                                                        sorted(inputs)))
    (input_name, spec), = inputs.items()
    return function, input_name, tuple(spec.shape.as_list())
