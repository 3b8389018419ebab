"""disentanglement_lib's metric suite: one module per metric, each a pure core
on arrays (codes [N, K], factors [N, F]) plus a sampler
``compute_*(ground_truth_data, representation_function, random_state, **kw)``
that returns a dict of scores under disentanglement_lib's keys.

The public entry points (docs/metrics_api.md), usable from any framework
(nothing here imports TensorFlow):

- `score(codes, factors, metrics, test=(codes_test, factors_test), ...)`
  scores codes already computed;
- `score_representation(representation, ground_truth_data, metrics, ...)`
  runs the samplers with any callable observations -> codes;
- `udr_from_codes(means, logvars, ...)` scores several models against each
  other without labels (UDR).

`METRICS` maps disentanglement_lib's gin names to the samplers.
"""

from tfdisent.metrics.api import (FIXED_SAMPLE_METRICS, METRICS, SAMPLED_METRICS,
                                  factor_classes, score, score_representation)
from tfdisent.metrics.beta_vae import compute_beta_vae_sklearn
from tfdisent.metrics.dci import compute_dci
from tfdisent.metrics.downstream import compute_downstream_task
from tfdisent.metrics.factor_vae import compute_factor_vae
from tfdisent.metrics.fairness import compute_fairness
from tfdisent.metrics.infomec import compute_infomec
from tfdisent.metrics.irs import compute_irs
from tfdisent.metrics.mfvm import compute_mfvm
from tfdisent.metrics.mig import compute_mig
from tfdisent.metrics.modularity_explicitness import (
        compute_modularity_explicitness)
from tfdisent.metrics.reduced_downstream import compute_reduced_downstream_task
from tfdisent.metrics.sap import compute_sap
from tfdisent.metrics.strong_downstream import compute_strong_downstream_task
from tfdisent.metrics.udr import compute_udr_sklearn, udr_from_codes, udr_scores
from tfdisent.metrics.unified import compute_unified_scores, unified_scores
from tfdisent.metrics.unsupervised import compute_unsupervised_metrics
from tfdisent.metrics.utils import (clear_sampling_cache,
                                    generate_batch_factor_code)
