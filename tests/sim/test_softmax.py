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
    design = rtl_emit.Design.load(tmp_path)
    assert design.report["multipliers"] == design.report["dsps"] == 0  # the products became shift-and-add
    assert any(op.kind == "mux" for op in design.program.ops)  # radix 4: two bits of exp(-d) pick 0, 1, 2, 3 / sum
    kinds = {type(node.op).__name__ for node in quant.from_keras(model).nodes if "(QSoftmax)" in node.source}
    assert kinds >= {"Pool", "Table", "Einsum"}  # max, exp and 1/x tables, the product


def test_softmax_with_three_input_adders_is_bit_exact(tmp_path):
    """The classifier as benchmarked (benchmarks/RESULTS.md): ternary adders over the radix-4 partial products."""
    model, x = SOFTMAX["softmax_classifier"]()
    assert verify_end_to_end(model, x, tmp_path, ternary_adders=True) >= N_SAMPLES
    program = rtl_emit.Design.load(tmp_path).program
    muxes = [op for op in program.ops if op.kind == "mux"]
    triples = {op.args[3] for op in muxes}  # the 3/sum each mux may pick
    assert len(muxes) >= 4 and len(triples) == 1  # one 3/sum, shared by the four products
