"""disentanglement_lib's metric suite: one module per metric, each a pure core
on arrays (codes [N, K], factors [N, F]) plus a sampler
``compute_*(ground_truth_data, representation_function, random_state, **kw)``
that returns a dict of scores under disentanglement_lib's keys.

`METRICS` maps disentanglement_lib's gin names to the samplers.
"""

from tfdisent.metrics.beta_vae import compute_beta_vae_sklearn
from tfdisent.metrics.dci import compute_dci
from tfdisent.metrics.downstream import compute_downstream_task
from tfdisent.metrics.factor_vae import compute_factor_vae
from tfdisent.metrics.irs import compute_irs
from tfdisent.metrics.mfvm import compute_mfvm
from tfdisent.metrics.mig import compute_mig
from tfdisent.metrics.modularity_explicitness import (
        compute_modularity_explicitness)
from tfdisent.metrics.sap import compute_sap
from tfdisent.metrics.unsupervised import compute_unsupervised_metrics
from tfdisent.metrics.utils import (clear_sampling_cache,
                                    generate_batch_factor_code)

METRICS = {
        "beta_vae_sklearn": compute_beta_vae_sklearn,
        "factor_vae_score": compute_factor_vae,
        "mig": compute_mig,
        "dci": compute_dci,
        "sap_score": compute_sap,
        "modularity_explicitness": compute_modularity_explicitness,
        "irs": compute_irs,
        "unsupervised_metrics": compute_unsupervised_metrics,
        "downstream_task": compute_downstream_task,
        "mfvm": compute_mfvm,
}
