"""Offline BERT text encoding: a WordPiece tokenizer from a local vocabulary file.

`TextEncoder` turns sentences (or sentence pairs) into the BERT inputs
``{token_ids, segment_ids, padding_mask}``: ``[CLS] a [SEP] (b [SEP])``,
truncated round-robin and padded to a fixed length. `build_vocabulary`
writes a whole-word vocabulary from training text, for teachers built from
a config without a pretrained vocabulary (and for tests).
"""

import collections
import os
import re
import unicodedata

import keras_hub
import numpy as np
import tensorflow as tf

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_WORDS = re.compile(r"\w+|[^\w\s]")


def basic_tokens(text):
    """Lower-cased, accent-stripped words and punctuation marks (BERT's basic split)."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return _WORDS.findall(text)


def build_vocabulary(texts, path, max_size=None):
    """Writes the special tokens then the words of `texts` by frequency; returns `path`."""
    counts = collections.Counter(token for text in texts for token in basic_tokens(text))
    words = [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    words = [w for w in words if w not in SPECIAL_TOKENS]
    if max_size:
        words = words[:max_size - len(SPECIAL_TOKENS)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(SPECIAL_TOKENS + tuple(words)) + "\n")
    return path


class TextEncoder:
    """WordPiece tokenisation + BERT packing, from a vocabulary file on disk."""

    def __init__(self, vocabulary_path, sequence_length=128, lowercase=True):
        if not os.path.isfile(str(vocabulary_path)):
            raise FileNotFoundError("vocabulary file not found: %s (one WordPiece token per line, "
                                    "e.g. a BERT preset's assets/tokenizer/vocabulary.txt)"
                                    % vocabulary_path)
        self.tokenizer = keras_hub.tokenizers.WordPieceTokenizer(
                vocabulary=str(vocabulary_path), lowercase=lowercase, strip_accents=lowercase)
        ids = {}
        for token in ("[PAD]", "[CLS]", "[SEP]"):
            if token not in self.tokenizer.get_vocabulary():
                raise ValueError("vocabulary %s lacks the special token %s" % (vocabulary_path, token))
            ids[token] = self.tokenizer.token_to_id(token)
        self.pad_id = ids["[PAD]"]
        self.packer = keras_hub.layers.MultiSegmentPacker(
                sequence_length, start_value=ids["[CLS]"], end_value=ids["[SEP]"],
                pad_value=self.pad_id)

    @property
    def vocabulary_size(self):
        return self.tokenizer.vocabulary_size()

    def __call__(self, text_a, text_b=None, batch_size=4096):
        """BERT inputs for lists of sentences: dict of int32 arrays ``[N, sequence_length]``."""
        chunks = []
        for start in range(0, len(text_a), batch_size):
            segments = [self.tokenizer(tf.constant(text_a[start:start + batch_size]))]
            if text_b is not None:
                segments.append(self.tokenizer(tf.constant(text_b[start:start + batch_size])))
            token_ids, segment_ids = self.packer(tuple(segments))
            chunks.append((token_ids.numpy(), segment_ids.numpy()))
        token_ids = np.concatenate([c[0] for c in chunks]).astype(np.int32)
        segment_ids = np.concatenate([c[1] for c in chunks]).astype(np.int32)
        return {"token_ids": token_ids, "segment_ids": segment_ids,
                "padding_mask": (token_ids != self.pad_id).astype(np.int32)}
