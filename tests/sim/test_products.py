"""Products of two variable tensors end to end: HGQ2 == reference == program == Verilog, every bit.

Two small models (``models_products``) use QMultiply, QDot, a batched QEinsum and ``ops.multiply``; each
is checked on over 10,000 samples, inputs beyond the calibration range included. The gated MLP is built
in both multiplier modes: "lut" (the default) has no product in its Verilog and no DSP, "dsp" writes
each multiplier as ``*`` and counts its DSP48E2s.
"""

import re

import pytest
from models_ops import N_SAMPLES, verify_end_to_end
from models_products import PRODUCTS

import rtl_emit

COVERED = {"products_zoo": {"Quantizer", "QDense", "QEinsum", "QDot", "Multiply", "GetItem", "Reshape"},
           "gated_mlp": {"QDense", "QMultiply", "QEinsum", "Reshape"}}
MODES = {"products_zoo": ("lut",), "gated_mlp": ("lut", "dsp")}


def products_in(verilog: str) -> list[str]:
    """The ``*`` operators of a Verilog text (comments and ``(* attributes *)`` left out)."""
    code = re.sub(r"/\*.*?\*/|\(\*.*?\*\)|//[^\n]*", "", verilog, flags=re.S)
    return re.findall(r"[^\n]*\*[^\n]*", code)


@pytest.fixture(scope="module", params=sorted(PRODUCTS))
def trained(request):
    model, x = PRODUCTS[request.param]()
    return request.param, model, x


def test_products_bit_exact_from_keras_to_verilog(trained, tmp_path):
    name, model, x = trained
    assert {type(op).__name__ for op in model.operations} >= COVERED[name]
    for mode in MODES[name]:
        assert verify_end_to_end(model, x, tmp_path / mode, multipliers=mode) >= N_SAMPLES >= 10_000
        design = rtl_emit.Design.load(tmp_path / mode)
        found = products_in(design.verilog_path.read_text())
        if mode == "lut":
            assert not found and design.report["multipliers"] == design.report["dsps"] == 0
        else:
            assert len(found) == design.report["multipliers"] > 0 and design.report["dsps"] >= len(found)
