"""Reductions, Keras ops, layout layers and 3-D layers, end to end: HGQ2 == reference == program == Verilog.

Three small models (``models_ops.ZOO``) together use every one; each is built in Verilator once and
checked on over 10,000 samples, inputs beyond the calibration range included.
"""

import pytest
from models_ops import N_SAMPLES, ZOO, verify_end_to_end

COVERED = {
    "ops_zoo": {"Quantizer", "QDense", "QAveragePow2", "QSum", "QMeanPow2", "GetItem", "Transpose", "Maximum",
                "Minimum", "Add", "Subtract", "Multiply", "Negative", "Absolute", "Clip", "Relu", "Reshape",
                "Split", "Stack", "ExpandDims", "Squeeze", "Concatenate", "Sum", "Mean"},
    "layout_zoo": {"ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
                   "RepeatVector", "Permute"},
    "conv3d_net": {"QConv3D", "QMaxPooling3D", "QAveragePooling3D", "QGlobalMaxPooling3D",
                   "QGlobalAveragePooling3D"},
}


@pytest.fixture(scope="module", params=sorted(ZOO))
def trained(request):
    model, x = ZOO[request.param]()
    return request.param, model, x


def test_ops_and_layers_bit_exact_from_keras_to_verilog(trained, tmp_path):
    name, model, x = trained
    assert {type(op).__name__ for op in model.operations} >= COVERED[name]
    assert verify_end_to_end(model, x, tmp_path / name) >= N_SAMPLES >= 10_000
