"""bin/reason: WReN trained on PGMs over a representation (disentanglement_lib's
evaluation/abstract_reasoning/reason.py, gin name `abstract_reasoning`).

Per iteration: `training_steps_per_iteration` steps on fresh PGMs, then the
accuracy and loss on `eval_steps_per_iteration` batches of a validation and
a test stream (each stream seeded anew from RandomState(random_seed), in the
reference's order). Results go to OUTPUT_DIR/results (step
"abstract_reasoning", the model's results carried forward): per iteration
`step<N>.{val,test}.{accuracy,loss}` with N the training steps done, and
`best.*` from the iteration of highest validation accuracy. The model and
its progress are checkpointed after each iteration: a killed run resumes
from the last finished one.
"""

import json
import os
import shutil
import time

import gin
import numpy as np

from tfdisent import evaluate, results
from tfdisent.data import registry
from tfdisent.reasoning import pgm

PROGRESS_FILE = "progress.json"
SEED_RANGE = 2 ** 31 - 1


def representation_function(model_dir):
    """The frozen codes of MODEL_DIR/saved_model (its `representation`
    signature, what bin/evaluate scores): images -> [N, D]."""
    from tfdisent.representation import load_signature
    saved_model, function, input_name, _ = load_signature(
            os.path.join(model_dir, "saved_model"), "representation", ("default",))

    def represent(images):
        return function(**{input_name: images})["default"]
    represent.saved_model = saved_model  # keeps the loaded variables alive
    return represent


def code_table(data, represent, batch_size=256):
    """The codes of every factor vector of `data` (whose images are a
    function of the factors), rows in flat index order: [prod K, D]."""
    import tensorflow as tf
    sizes = data.factors_num_values
    states = np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)
    random_state = np.random.RandomState(0)  # unused by a deterministic renderer
    return np.concatenate([
            represent(tf.constant(data.sample_observations_from_factors(
                    states[start:start + batch_size], random_state))).numpy()
            for start in range(0, len(states), batch_size)])


def _dataset(input_dir):
    if input_dir:
        return evaluate.gin_dataset(input_dir, None)
    if evaluate.bound_value("dataset.name") in (None, "auto"):
        raise ValueError("without --input_dir, bind dataset.name (e.g. \"shapes3d\")")
    return registry.get_configured()


@gin.configurable("abstract_reasoning", denylist=["input_dir", "output_dir", "overwrite"])
def reason(input_dir, output_dir, overwrite=False, embedding="representation",
           pgm_type="easy_mixed", num_iterations=100, training_steps_per_iteration=1000,
           eval_steps_per_iteration=100, batch_size=32, random_seed=0, learning_rate=0.001,
           edge_units=(512, 512, 512, 512), graph_units=(256, 256), dropout_keep=0.5,
           activation="relu", lookup_codes=True, verbose=1):
    """Trains WReN (tfdisent.reasoning.wren) and writes OUTPUT_DIR/results;
    returns the results. Defaults: the reference's stage-2 example config
    (100 x 1 000 steps, batch 32, Adam 1e-3: what its optimiser call gets).
    `lookup_codes`: on a dataset whose images are a function of the factors,
    encode every factor vector once and look the panels' codes up (the same
    codes as rendering and encoding each panel, without doing it per step)."""
    import keras  # deferred: flag and gin errors stay fast
    import tensorflow as tf
    from tfdisent.reasoning import wren
    data = pgm.quantized(_dataset(input_dir))
    pgm.PGMSampler(data, pgm_type)  # bad settings fail here, before anything is written
    wren.check_embedding(embedding)
    represent = representation_function(input_dir) if embedding == "representation" else None
    resumed = _prepare(output_dir, overwrite, input_dir)
    keras.utils.set_random_seed(random_seed)
    table = None
    if represent is not None and lookup_codes and data.observations_determined_by_factors:
        table = code_table(data, represent)
        represent = None
    model = wren.WReN(embedding, represent, tuple(edge_units), tuple(graph_units), dropout_keep,
                 activation, seed=random_seed, code_table=table,
                 factor_sizes=data.factors_num_values if table is not None else None)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    images = embedding == "cnn" or represent is not None  # else factors (or codes) suffice
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(output_dir, "checkpoints"), 1)
    done = resumed.get("iterations", [])
    if done:
        model(next(iter(pgm.pgm_batches(data, batch_size, 0, pgm_type, images=images))))
        model.optimizer.build(model.trainable_variables)  # so its slots restore too
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        print("Resuming %s after iteration %d" % (output_dir, len(done)))
    random_state = np.random.RandomState(random_seed)
    began = time.time() - resumed.get("elapsed_time", 0.0)
    for iteration in range(num_iterations):
        seeds = [int(random_state.randint(SEED_RANGE)) for _ in range(3)]
        if iteration < len(done):
            continue
        train, val, test = (pgm.pgm_batches(data, batch_size, seed, pgm_type, images=images)
                            for seed in seeds)
        model.fit(train, epochs=1, steps_per_epoch=training_steps_per_iteration, verbose=0)
        scores = {"step": (iteration + 1) * training_steps_per_iteration}
        for name, stream in (("val", val), ("test", test)):
            values = model.evaluate(stream, steps=eval_steps_per_iteration, verbose=0,
                                    return_dict=True)
            scores.update({"%s.%s" % (name, k): float(v) for k, v in values.items()})
        done.append(scores)
        manager.save()
        _write_progress(output_dir, done, time.time() - began)
        if verbose:
            print("iteration %d/%d (step %d): val accuracy %.3f, test accuracy %.3f" % (
                    iteration + 1, num_iterations, scores["step"], scores["val.accuracy"],
                    scores["test.accuracy"]), flush=True)
    final = summarise(done)
    final["elapsed_time"] = time.time() - began
    final["dataset"] = getattr(data, "name", "")
    results.update_result_directory(
            os.path.join(output_dir, "results"), "abstract_reasoning", final,
            old_result_dir=os.path.join(input_dir, "results") if input_dir else None)
    return final


def summarise(iterations):
    """The results keys: step<N>.<stream>.<metric> and best.* (highest
    validation accuracy; the first such iteration)."""
    summary = {}
    for scores in iterations:
        summary.update(("step%d.%s" % (scores["step"], k), v) for k, v in scores.items()
                       if k != "step")
    best = max(iterations, key=lambda s: s["val.accuracy"])  # first of equal ones
    summary.update(("best.%s" % k, v) for k, v in best.items())
    return summary


def _prepare(output_dir, overwrite, input_dir):
    """Creates, resumes (returns its progress) or refuses OUTPUT_DIR."""
    if input_dir and os.path.abspath(input_dir) == os.path.abspath(output_dir):
        raise ValueError("--output_dir must differ from --input_dir")
    progress = os.path.join(output_dir, PROGRESS_FILE)
    if os.path.exists(output_dir) and overwrite:
        shutil.rmtree(output_dir)
    elif os.path.exists(os.path.join(output_dir, "results")):
        raise FileExistsError("%s holds finished abstract-reasoning results; pass "
                              "--overwrite to replace them" % output_dir)
    elif os.path.exists(progress):
        with open(progress) as f:
            return json.load(f)
    elif os.path.exists(output_dir) and os.listdir(output_dir):
        raise FileExistsError("%s exists and is not a bin/reason run; pass --overwrite "
                              "to replace it" % output_dir)
    os.makedirs(output_dir, exist_ok=True)
    return {}


def _write_progress(output_dir, iterations, elapsed):
    path = os.path.join(output_dir, PROGRESS_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump({"iterations": iterations, "elapsed_time": elapsed}, f)
    os.replace(path + ".tmp", path)
