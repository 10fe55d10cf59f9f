"""Narrow CMVM inputs packed into LUT6 tables (da_core.lut_pack): exact on every input code, in the program,
after the precision pass, and in Verilog under Verilator (both writers); and cheaper in the cost model."""

import itertools

import numpy as np
import pytest

from da_core.builder import ProgramBuilder
from da_core.cmvm import emit_cmvm
from da_core.interval import Interval
from da_core.lut_pack import PACK_ADDRESS_BITS, pack_luts
from da_core.precision import trim
from da_core.program import Program
from rtl_emit import emit_program
from sim import verify_codes

# 1-bit unsigned and signed inputs, 2-bit ones at a fine exponent, and wide ones that are never packed
FORMATS = [Interval(0, 1, -1)] * 4 + [Interval(-1, 0, 0)] * 2 + [Interval(-2, 1, -2)] * 2 + [Interval(-8, 7, 0)]


def solved(pack_bits: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = rng.integers(-128, 128, size=(len(FORMATS), 5)) / 16
    bias = rng.integers(-8, 8, size=5) / 4
    b = ProgramBuilder()
    b.pack_bits = pack_bits
    x = [b.input(iv) for iv in FORMATS]
    return b.build(emit_cmvm(b, x, W, bias=bias)), W, bias


def every_code() -> np.ndarray:
    return np.array(list(itertools.product(*(range(iv.lo, iv.hi + 1) for iv in FORMATS))), dtype=np.int64)


@pytest.fixture(scope="module")
def packed():
    return trim(solved(2)[0])


@pytest.mark.parametrize("pack_bits", [1, 2])
@pytest.mark.parametrize("seed", [0, 1])
def test_packed_cmvm_is_exact_and_cheaper(pack_bits, seed):
    program, W, bias = solved(pack_bits, seed)
    codes = every_code()
    values = codes * np.exp2([iv.exp for iv in FORMATS])
    assert np.array_equal(program(values), values @ W + bias)
    assert np.array_equal(trim(program)(values), values @ W + bias)
    packs = [op for op in program.ops if op.kind == "pack"]
    assert packs and all(sum(program.ops[a].interval.width for a in op.args) <= PACK_ADDRESS_BITS for op in packs)
    assert all(program.ops[a].interval.width <= pack_bits for op in packs for a in op.args)
    plain = solved(0, seed)[0]
    assert not any(op.kind == "pack" for op in plain.ops)
    assert program.cost < plain.cost and program.n_adders < plain.n_adders


def test_packs_survive_save_and_load(packed):
    assert Program.from_dict(packed.to_dict()) == packed


def test_pack_cost_counts_a_lut_per_computed_bit():
    one, two = Interval(0, 1, 0), Interval(-2, 1, 0)
    assert pack_luts([5], [one], Interval(0, 5, 0)) == 0  # x * 5: each bit is x or 0, wiring
    assert pack_luts([1, 2], [one, one], Interval(0, 3, 0)) == 0  # the operands side by side
    assert pack_luts([3, 5, 7], [one, one, two], Interval(-14, 15, 0)) > 0


@pytest.mark.parametrize("backend, hdl", [("direct", "verilog"), ("amaranth", "verilog"), ("direct", "vhdl")])
def test_packed_rtl_equals_program(packed, backend, hdl, tmp_path):
    """Verilator for the Verilog writers, GHDL for the VHDL one: every input code."""
    design = emit_program(packed, tmp_path, name=f"pack_{backend}_{hdl}", backend=backend, hdl=hdl,
                          latency_cutoff=1)
    assert "pack" in {op.kind for op in design.program.ops}
    assert verify_codes(design, every_code()).n_samples == len(every_code())


@pytest.mark.parametrize("options", [dict(pack_bits=7), dict(pack_bits=-1), dict(pack_bits=1, io="stream")])
def test_compile_model_refuses_bad_pack_bits_before_reading_the_model(options, tmp_path):
    from rtl_emit import compile_model

    with pytest.raises(ValueError, match="pack_bits"):
        compile_model(object(), tmp_path, **options)


def _dense_on(bits: int):
    """A Dense on 8 unsigned inputs of ``bits`` bits each, and every input value."""
    from quant.network import Dense, Input, Network, Node, Quantizer

    rng = np.random.default_rng(3)
    q = Quantizer(np.array(0), np.array(bits), np.array(0), "TRN", "SAT")
    net = Network((Input("x", (8,), q),), (Node("dense", Dense(rng.integers(-64, 64, (8, 3)) / 16, None), ("x",)),),
                  ("dense",))
    x = np.array(list(itertools.product(range(1 << bits), repeat=8))[:: 1 << (4 * bits - 4)], dtype=np.float64)
    return net, x


def test_a_layer_of_one_bit_inputs_is_packed_without_being_asked():
    """pack_bits=0, yet a layer whose inputs are all single bits (spikes) sums them in LUT6 packs."""
    from da_core import lower

    net, x = _dense_on(1)
    program = lower(net)
    assert any(op.kind == "pack" for op in program.ops)
    assert np.array_equal(program(x), net.predict(x))
    wide, _ = _dense_on(2)
    assert not any(op.kind == "pack" for op in lower(wide).ops)  # 2-bit inputs: only when asked
