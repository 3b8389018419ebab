"""BERT-architecture teachers and students (keras-hub) that return their hidden states.

Everything is local: a backbone comes from a config (``BertBackbone`` keyword
arguments) or from a keras-hub preset directory already on disk; nothing is
downloaded. A hidden-state model maps ``{token_ids, segment_ids,
padding_mask}`` to ``{"outputs": logits, "hidden_states": [h_0, ..., h_L]}``
with ``h_0`` the embeddings and ``h_ℓ`` the output of transformer layer ℓ.
"""

import os

import keras
import keras_hub

PRESET_CONFIG = "config.json"
PRESET_VOCABULARY = os.path.join("assets", "tokenizer", "vocabulary.txt")


def load_local_preset(preset_dir):
    """``BertBackbone.from_preset`` on a local directory; never a hub name."""
    if not os.path.isfile(os.path.join(str(preset_dir), PRESET_CONFIG)):
        raise FileNotFoundError(
                "no keras-hub preset at %r: expected a local directory with %s (e.g. written by "
                "BertBackbone.save_to_preset); presets are never downloaded"
                % (preset_dir, PRESET_CONFIG))
    return keras_hub.models.BertBackbone.from_preset(str(preset_dir))


def bert_backbone(preset_dir=None, config=None):
    """A backbone from a local preset directory or from ``BertBackbone`` keyword arguments."""
    if (preset_dir is None) == (config is None):
        raise ValueError("give the BERT teacher either a local preset directory or a config "
                         "(BertBackbone arguments), not both or neither")
    if preset_dir is not None:
        return load_local_preset(preset_dir)
    return keras_hub.models.BertBackbone(**dict(config))


def preset_vocabulary(preset_dir):
    """The preset's WordPiece vocabulary file, or None."""
    path = os.path.join(str(preset_dir), PRESET_VOCABULARY) if preset_dir else None
    return path if path and os.path.isfile(path) else None


def bert_hidden_states(backbone):
    """Symbolic hidden states ``[embeddings, layer_1, ..., layer_L]`` of a BertBackbone."""
    layers = getattr(backbone, "transformer_layers", None)
    if not layers:
        raise ValueError("%s has no hidden states: expected a keras-hub BertBackbone with "
                         "transformer_layers" % type(backbone).__name__)
    return [backbone.get_layer("embeddings_dropout").output] + [layer.output for layer in layers]


def bert_classifier(backbone, num_labels, dropout=0.1):
    """Sequence classifier (dropout + dense on the pooled [CLS]) exposing hidden states.

    ``num_labels = 1`` is a regressor (STS-B). The model shares the backbone's layers.
    """
    hidden_states = bert_hidden_states(backbone)
    pooled = backbone.get_layer("pooled_dense").output
    logits = keras.layers.Dense(num_labels, name="classifier")(
            keras.layers.Dropout(dropout, name="classifier_dropout")(pooled))
    return keras.Model(backbone.inputs, {"outputs": logits, "hidden_states": hidden_states},
                       name="bert_classifier")


def student_backbone(teacher_backbone, num_layers, copy_weights=True):
    """A shallower BERT with the teacher's widths; with ``copy_weights`` it starts
    from the teacher's embeddings, first ``num_layers`` transformer layers and pooler."""
    if not 0 < num_layers <= teacher_backbone.num_layers:
        raise ValueError("the student needs 1..%d layers (the teacher's depth), got %d"
                         % (teacher_backbone.num_layers, num_layers))
    config = teacher_backbone.get_config()
    config.update(num_layers=num_layers, name="student_backbone")
    student = keras_hub.models.BertBackbone.from_config(config)
    if copy_weights:
        copy_matching_layers(teacher_backbone, student)
    return student


def copy_matching_layers(source, target):
    """Copies the weights of every layer of `target` that `source` has under the same name."""
    source_names = {layer.name for layer in source.layers}
    for layer in target.layers:
        if layer.weights and layer.name in source_names:
            layer.set_weights(source.get_layer(layer.name).get_weights())
