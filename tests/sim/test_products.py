"""Products of two variable tensors end to end: HGQ2 == reference == program == Verilog, every bit.

Two small models (``models_products``) use QMultiply, QDot, a batched QEinsum and ``ops.multiply``; each
is checked on over 10,000 samples, inputs beyond the calibration range included. The gated MLP is built
in both multiplier modes: "lut" (the default) has no product in its Verilog and no DSP, "dsp" writes
each multiplier as ``*`` and counts its DSP48E2s. "auto" is checked on a program whose products it splits
(both models keep every product for a DSP in "auto": no operand is narrower than 6 bits).
"""

import re

import numpy as np
import pytest
from models_ops import N_SAMPLES, verify_end_to_end
from models_products import PRODUCTS

import rtl_emit
from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.multipliers import apply
from random_programs import random_codes
from sim import verify_codes

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


def mixed_products():
    """Sums of products as an attention head makes them: bytes by bytes (DSPs in "auto"), bytes by 3-bit
    weights, and unsigned products seen modulo 2**7 (both shift-and-add in "auto")."""
    b = ProgramBuilder()
    xs = [b.input(Interval(-128, 127, -3)) for _ in range(3)]
    ws = [b.input(Interval(-4, 3, -2)) for _ in range(3)]
    us = [b.input(Interval(2, 63, -4)), b.input(Interval(0, 31, -3))]
    dot = b.add(b.add(b.mul(xs[0], xs[1]), b.mul(xs[1], xs[2])), b.mul(xs[2], xs[0]))
    weighted = b.add(b.add(b.mul(xs[0], ws[0]), b.mul(xs[1], ws[1]), 0, -1), b.mul(xs[2], ws[2]))
    low7 = b.quant(b.mul(*us), 0, 0, 7, "TRN", "WRAP")
    return b.build([dot, weighted, low7, b.add(weighted, low7)])


def test_auto_products_are_bit_exact_in_verilator(tmp_path):
    program = mixed_products()
    auto = apply(program, "auto")
    assert (len(program.multipliers), len(auto.multipliers), auto.dsps) == (7, 3, 3)
    design = rtl_emit.emit_program(auto, tmp_path, name="mixed", latency_cutoff=2)
    assert len(products_in(design.verilog_path.read_text())) == design.report["dsps"] == 3
    codes = random_codes(program, 5000, seed=3)
    assert verify_codes(design, codes).n_samples == 5000  # Verilator == the auto program, every bit
    np.testing.assert_array_equal(auto.run(codes), program.run(codes))  # == the program before "auto"
