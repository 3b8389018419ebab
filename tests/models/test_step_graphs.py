"""The method steps (CFASL, MIPE, QLAE and the bases they extend) run wholly on
the device: no Python callback in the traced step (or any function it
calls), and one trace for every later step."""

import pytest
import tensorflow as tf

from tests.models.helpers import blobs, small_vae
from tests.models.test_qlae import small_qlae
from tfdisent.models import regularizers as r
from tfdisent.models.cfasl import CFASL
from tfdisent.models.mipe import MIPE

HOST_OPS = {"PyFunc", "PyFuncStateless", "EagerPyFunc"}

MODELS = {
    "beta_tc_vae": lambda: small_vae(r.BetaTCVAE(6.0, estimator="mss", dataset_size=100)),
    "cfasl": lambda: small_vae(r.BetaTCVAE(6.0, estimator="mss", dataset_size=100),
                               [CFASL()]),
    "mipe": lambda: small_vae(r.BetaTCVAE(6.0, estimator="mss", dataset_size=100),
                              [MIPE(num_units=3, ef_kl_in_loss=False)]),
    "qlae": small_qlae,
}


def op_types(graph_def):
    """Every op type in a graph and in every function of its library."""
    types = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        types |= {node.op for node in function.node_def}
    return types


@pytest.mark.parametrize("name", sorted(MODELS))
def test_step_has_no_host_callback_and_traces_once(name):
    model = MODELS[name]()
    step = tf.function(model.train_step)
    x = blobs(8)
    types = op_types(step.get_concrete_function(x).graph.as_graph_def())
    assert "AssignAddVariableOp" in types  # the walk sees the step's ops
    assert not types & HOST_OPS
    for _ in range(3):
        logs = step(x)
    assert int(model.global_step.numpy()) == 3 and set(logs) >= {"loss"}
    assert step.experimental_get_tracing_count() == 1
