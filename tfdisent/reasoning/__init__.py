"""Abstract reasoning (van Steenkiste et al. 2019): PGMs over ground-truth factors (`pgm`),
drawn as disentanglement_lib's abstract-reasoning study draws them, with its two
sampling defects fixed by default and reproducible by flag, on quantised
datasets, as numpy instances or deterministic, resumable tf.data batches."""
