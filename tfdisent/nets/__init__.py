"""Encoders, decoders and discriminators (Keras functional models).

Contract: an encoder maps images [B, H, W, C] to a dict with "mean" [B, K] and,
for Gaussian encoders, "logvar" [B, K] (method-specific extras may follow);
a decoder maps codes [B, K] to logits [B, H, W, C].
"""
