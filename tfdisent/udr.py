"""bin/udr: the UDR score of trained models against each other (Duan et al.;
disentanglement_lib's evaluation/udr/evaluate.py and bin/dlib_udr).

Every model's SavedModel `gaussian_encoder` signature codes the same
observations; `tfdisent.metrics.udr` scores the models' agreement. Results
go to OUT/results in disentanglement_lib's scheme (step "evaluation",
carrying the first model's results forward), with `model_scores` in the
order of `model_dirs` and the directories themselves under `model_dirs`.
"""

import os
import shutil

import gin
import numpy as np

from tfdisent import evaluate, gin_config, results
from tfdisent.metrics import udr
from tfdisent.representation import load_signature

gin.external_configurable(udr.compute_udr_sklearn, "udr_sklearn",
                          denylist=["ground_truth_data", "representation_functions",
                                    "random_state"])


class GaussianCodes:
    """observations -> (means [B, L], per-latent KL of the batch [L]) of a
    SavedModel's `gaussian_encoder`; one clear error for a model without
    posterior variances."""

    def __init__(self, saved_model):
        try:
            self._saved_model, self._function, self._input, self.input_shape = (
                load_signature(saved_model, "gaussian_encoder", ("mean", "logvar")))
        except ValueError as e:
            if "'logvar'" not in str(e):
                raise
            raise ValueError("UDR needs each model's posterior variances (its latents' KL): "
                             "the SavedModel at %s codes deterministically (no 'logvar'); "
                             "leave it out" % saved_model) from None

    def __call__(self, observations):
        outputs = self._function(**{self._input: np.asarray(observations, np.float32)})
        mean, logvar = outputs["mean"].numpy(), outputs["logvar"].numpy()
        return mean, udr.gaussian_kl(mean, logvar)


def udr_with_gin(model_dirs, output_dir, gin_config_files=(), gin_bindings=(),
                 overwrite=False):
    """Parses the UDR config (evaluation.evaluation_fn = @udr_sklearn, ...),
    scores the models, writes OUTPUT_DIR/results; returns the results."""
    if len(model_dirs) < 2:
        raise ValueError("UDR compares models with each other: give at least two "
                         "--model_dirs, got %d" % len(model_dirs))
    for model_dir in model_dirs:
        evaluate.locate_model(model_dir, None)
    evaluate.check_output_dir(output_dir, overwrite, protected=model_dirs)
    functions = [GaussianCodes(os.path.join(d, "saved_model")) for d in model_dirs]
    scores = score_with_gin(functions, model_dirs[0], gin_config_files, gin_bindings)
    scores["model_dirs"] = list(model_dirs)
    if os.path.exists(output_dir):
        shutil.rmtree(output_dir)
    results.update_result_directory(os.path.join(output_dir, "results"), "evaluation",
                                    scores, old_result_dir=os.path.join(model_dirs[0], "results"),
                                    operative_gin=scores.pop("operative_gin"))
    return scores


def score_with_gin(functions, first_model_dir, gin_config_files=(), gin_bindings=()):
    """UDR of the models behind `functions` (GaussianCodes), with the parsed
    UDR config; "auto" data: the first model's training dataset. The results
    carry the operative config under "operative_gin"."""
    gin.clear_config()
    gin_config.parse(gin_config_files, gin_bindings)
    try:
        settings = evaluate.evaluation_settings()
        reference = gin.query_parameter("evaluation.evaluation_fn")
        if getattr(getattr(reference, "configurable", None), "name", None) != "udr_sklearn":
            raise ValueError("bin/udr runs evaluation.evaluation_fn = @udr_sklearn "
                             "(see gin_configs/metrics/udr.gin)")
        dataset = evaluate.gin_dataset(first_model_dir, None)
        scores = settings["evaluation_fn"](dataset, functions,
                                           np.random.RandomState(settings["random_seed"]))
        scores["operative_gin"] = gin.operative_config_str()
        return scores
    finally:
        gin.clear_config()
