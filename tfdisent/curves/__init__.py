"""Metrics during training: the chief scores snapshots of the weights every
`model.eval_every` steps in a worker process (see docs/training.md).

`records` (no TensorFlow) reads and writes MODEL_DIR/results/curves.jsonl;
`chief` runs in the trainer; `worker` is the scoring process.
"""
