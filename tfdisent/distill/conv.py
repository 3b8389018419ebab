"""Convolutional encoders as FSD teachers and students.

Encoders follow tfdisent's convention: a functional Keras model
``images → {"mean", "logvar"}`` (no ``logvar`` for a deterministic code); a
``(mean, logvar)`` pair is accepted too. Spatial positions play the role of
tokens: a feature map ``[B, h, w, c]`` is a set of ``h·w`` tokens of width c
(see `structures.as_tokens`). The hidden states of an encoder are its input
image (index 0, like BERT's embeddings) followed by the outputs of its Conv2D
and hidden Dense layers, in order.
"""

import os

import gin
import keras

HIDDEN_LAYER_TYPES = (keras.layers.Conv2D, keras.layers.Dense)


def encoder_with_hidden_states(encoder, layer_names=None):
    """Wraps a functional encoder as ``images → {"outputs": {"mean", "logvar"}, "hidden_states"}``.

    Args:
        encoder: a built Keras functional model ``images → {"mean", "logvar"}``.
        layer_names: the layers whose outputs are hidden states; default all
            top-level Conv2D/Dense layers except those producing the outputs.
    """
    inputs = getattr(encoder, "inputs", None)
    if not inputs:
        raise ValueError("%s has no hidden states: expected a Keras functional encoder "
                         "(images → (mean, logvar)) whose layers can be read"
                         % type(encoder).__name__)
    output_ids = {id(tensor) for tensor in encoder.outputs}
    if layer_names:
        layers = [encoder.get_layer(name) for name in layer_names]
    else:
        layers = [layer for layer in encoder.layers
                  if isinstance(layer, HIDDEN_LAYER_TYPES) and id(layer.output) not in output_ids]
    if not layers:
        raise ValueError("encoder %r has no hidden states: no Conv2D/Dense layer at its top "
                         "level besides the outputs; name them with layer_names" % encoder.name)
    hidden_states = [inputs[0]] + [layer.output for layer in layers]
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                       {"outputs": code_outputs(encoder), "hidden_states": hidden_states},
                       name=encoder.name + "_with_hidden_states")


def code_outputs(encoder):
    """The encoder's outputs as ``{"mean"[, "logvar"]}``."""
    output = encoder.output
    if isinstance(output, dict):
        if "mean" not in output:
            raise ValueError("encoder %r returns %s; expected {'mean'[, 'logvar']}"
                             % (encoder.name, sorted(output)))
        return {key: output[key] for key in ("mean", "logvar") if key in output}
    if isinstance(output, (list, tuple)) and len(output) == 2:
        return {"mean": output[0], "logvar": output[1]}
    raise ValueError("encoder %r must return {'mean', 'logvar'} or (mean, logvar)" % encoder.name)


@gin.configurable("conv_student_encoder", denylist=["input_shape", "num_latent", "stochastic"])
def conv_student_encoder(input_shape, num_latent, stochastic=True, filters=(16, 16, 32, 32),
                         kernel_sizes=(4, 4, 2, 2), dense_units=128):
    """disentanglement_lib's conv_encoder geometry at half width (by default):
    ``images → {"mean", "logvar"}`` (``{"mean"}`` when not `stochastic`).

    Same strides as the teacher (2 per conv layer), so conv layer k of teacher
    and student cover the same positions and intra-feature CKA applies.
    """
    images = keras.Input(shape=tuple(input_shape), name="images")
    x = images
    for i, (width, size) in enumerate(zip(filters, kernel_sizes)):
        x = keras.layers.Conv2D(width, size, strides=2, padding="same", activation="relu",
                                name="conv_%d" % i)(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
    code = {"mean": keras.layers.Dense(num_latent, name="means")(x)}
    if stochastic:
        code["logvar"] = keras.layers.Dense(num_latent, name="log_var")(x)
    return keras.Model(images, code, name="student_encoder")


def load_teacher_model(model_dir):
    """The trained model of a model directory (has ``.encoder``), via `tfdisent.train.load_model`."""
    with gin.unlock_config():  # the import registers the training configurables
        from tfdisent.train import load_model  # pylint: disable=import-outside-toplevel
    model = load_model(model_dir)
    if getattr(model, "encoder", None) is None:
        raise ValueError("the model in %r has no .encoder to distil" % model_dir)
    return model


def export_student(student_encoder, teacher_model, model_dir):
    """HOOK for `tfdisent.export`: the teacher's model with its encoder replaced by the
    student (decoder and components unchanged), written to ``model_dir/saved_model``
    with the ``gaussian_encoder``, ``representation``, ``decoder`` and
    ``reconstructions`` signatures so that ``bin/evaluate`` scores the student.
    """
    with gin.unlock_config():
        from tfdisent import export  # pylint: disable=import-outside-toplevel
    teacher_model.encoder = student_encoder
    return export.export(teacher_model, os.path.join(model_dir, "saved_model"))
