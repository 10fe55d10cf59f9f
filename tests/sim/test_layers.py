"""Every supported layer, end to end: HGQ2 model.predict == NumPy reference == program == Verilog.

Four small models, each trained a few steps and calibrated with trace_minmax, together use every
supported layer and option; each is checked on over 10,000 samples with no mismatch.
"""

import numpy as np
import pytest
from layer_models import MODELS, N_SAMPLES
from models_ops import n_samples

import da_core
import quant
import rtl_emit
import sim
from rtl_emit.ports import flat_samples

LAYERS_COVERED = {
    "conv_net": {"QConv2D", "QMaxPooling2D", "QBatchNormalization", "Flatten", "QDense"},
    "residual_mlp": {"QEinsumDenseBatchnorm", "QUnaryFunctionLUT", "QDense", "QAdd", "QBatchNormDense"},
    "zoo_1d": {"Quantizer", "QConv1D", "QMaxPooling1D", "QAveragePooling1D", "QMaximum", "QMinimum", "QSubtract",
               "QGlobalAveragePooling1D", "QGlobalMaxPooling1D", "LeakyReLU", "QEinsumDense", "QDense", "ReLU",
               "Dropout", "Concatenate", "Reshape"},
    "zoo_2d": {"QConv2D", "Activation", "QAveragePooling2D", "QGlobalMaxPooling2D", "QGlobalAveragePooling2D", "QAdd",
               "QDense"},
}


@pytest.fixture(scope="module", params=sorted(MODELS))
def trained(request):
    model, x = MODELS[request.param]()
    return request.param, model, x


def test_layers_bit_exact_from_keras_to_verilog(trained, tmp_path):
    name, model, x = trained
    assert {type(layer).__name__ for layer in model.layers} >= LAYERS_COVERED[name]
    hgq2 = model.predict(x, batch_size=n_samples(x), verbose=0)
    net = quant.from_keras(model)
    reference = net.predict(x)
    n = len(flat_samples(reference))
    assert n >= N_SAMPLES >= 10_000
    bad = np.argwhere(flat_samples(reference) != flat_samples(hgq2))
    assert bad.size == 0, f"{name}: reference != HGQ2 at sample/output {bad[0]}"
    if name == "zoo_1d":  # two inputs, two outputs: lists in, a list out, ports concatenated in order
        assert isinstance(reference, list) and [r.shape[1:] for r in reference] == [(3,), (2,)]
        assert [spec.shape for spec in net.inputs] == [(8, 2), (5,)]
    design = rtl_emit.compile_model(net, tmp_path / name, latency_cutoff=4)
    result = sim.verify(design, x, reference=hgq2)  # reference == program == RTL, every output bit
    assert result.n_samples == n
    untrimmed = da_core.lower(net, trim=False)  # the backward precision pass only ever removes bits
    assert design.program.cost <= untrimmed.cost

