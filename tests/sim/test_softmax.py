"""QSoftmax end to end: HGQ2 == reference == program == Verilog, every bit, on over 10,000 samples each.

A classifier ending in QSoftmax (HGQ2's default tables), and softmaxes over a middle axis and over two axes with
RND_CONV, S_RND and S_RND_CONV table quantizers, the layer's own iq and oq (``models_softmax``).
"""

import pytest
from models_ops import N_SAMPLES, verify_end_to_end
from models_softmax import SOFTMAX

import quant
import rtl_emit


@pytest.fixture(scope="module", params=sorted(SOFTMAX))
def trained(request):
    model, x = SOFTMAX[request.param]()
    return request.param, model, x


def test_softmax_bit_exact_from_keras_to_verilog(trained, tmp_path):
    name, model, x = trained
    assert sum(type(layer).__name__ == "QSoftmax" for layer in model.layers) >= 1
    assert verify_end_to_end(model, x, tmp_path) >= N_SAMPLES >= 10_000
    report = rtl_emit.Design.load(tmp_path).report
    assert report["multipliers"] == report["dsps"] == 0  # the products became shift-and-add
    kinds = {type(node.op).__name__ for node in quant.from_keras(model).nodes if "(QSoftmax)" in node.source}
    assert kinds >= {"Pool", "Table", "Einsum"}  # max, exp and 1/x tables, the product
