"""Tables in the program: stored once, a quantizer after one folded into it, a cost from input and output bits,
ROMs written once in Verilog (tiny tables as logic) and bit-exact there."""

import re

import numpy as np

import sim
from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.program import Program
from da_core.quantize import quantize_codes
from da_core.tables import LOGIC_BITS, luts_per_bit, table_luts, varying_bits
from rtl_emit.design import emit_program

WIDE = [(3 * c * c - 5 * c) % 97 - 40 for c in range(32)]  # over 5 input bits (codes -16..15)
TINY = [5, -3, 7, 0]  # over 2 input bits


def _program():
    """Two inputs reading the same wide table, one a tiny table, and a quantizer after a table."""
    b = ProgramBuilder()
    x, y = (b.input(Interval(-16, 15, -3)) for _ in range(2))
    z = b.input(Interval(0, 3, 0))
    fx, fy = b.lut(x, -16, -3, WIDE, -2), b.lut(y, -16, -3, WIDE, -2)
    fz = b.lut(z, 0, 0, TINY, 0)
    q = b.quant(b.lut(x, -16, -3, [c * 3 for c in WIDE], -4), 1, 2, 1, "RND", "SAT")
    return b.build([fx, fy, fz, q])


def test_identical_tables_are_stored_once_and_survive_save_load(tmp_path):
    program = _program()
    luts = [op for op in program.ops if op.kind == "lut"]
    assert len(luts) == 4 and len(program.tables) == 3
    assert luts[0].params[2] is luts[1].params[2]
    d = program.to_dict()
    assert len(d["tables"]) == 3 and all(isinstance(o["params"][2], int) for o in d["ops"] if o["kind"] == "lut")
    program.save(tmp_path / "p.json")
    assert Program.load(tmp_path / "p.json") == program


def test_a_quantizer_after_a_table_becomes_the_table():
    program = _program()
    q = program.ops[program.outputs[3]]
    assert q.kind == "lut" and not any(op.kind == "quant" for op in program.ops)
    codes = np.array([[c, 0, 0] for c in range(-16, 16)], dtype=np.int64)
    expected = quantize_codes(np.array([c * 3 for c in WIDE]), -4, 1, 2, 1, "RND", "SAT")
    np.testing.assert_array_equal(program.run(codes)[:, 3], expected)


def test_table_cost_is_luts_per_varying_output_bit():
    assert [luts_per_bit(s) for s in range(1, 13)] == [0, 1, 1, 1, 1, 1, 2, 4, 9, 17, 35, 69]
    assert varying_bits([0b0101, 0b0111], 4) == 1 and varying_bits([-1, 0], 4) == 4
    program = _program()
    fx = program.ops[program.outputs[0]]
    assert fx.cost == table_luts(5, fx.params[2], fx.interval.width) == varying_bits(fx.params[2], fx.interval.width)
    assert table_luts(2, [0b00, 0b01, 0b10, 0b11], 2) == 0  # the address itself: wires
    assert table_luts(2, [0b10, 0b11, 0b00, 0b01], 2) == 0  # a wire and an inverted address bit
    assert table_luts(2, [0, 1, 1, 0], 1) == 1  # an XOR of the address bits: one LUT


def test_roms_in_verilog_once_tiny_tables_as_logic_and_bit_exact(tmp_path):
    program = _program()
    design = emit_program(program, tmp_path / "direct", latency_cutoff=1, backend="direct")
    verilog = design.verilog_path.read_text()
    assert len(re.findall(r"^\s*function ", verilog, flags=re.M)) == 2  # WIDE (read twice) and the folded table
    assert len(re.findall(r"= rom\d+\(", verilog)) == 3
    assert LOGIC_BITS >= 2 and re.search(r"assign \w+ = \w+ == 2'd0 \? ", verilog)  # TINY: a select, no ROM
    codes = np.array([[c, d, e] for c in range(-16, 16) for d in (-16, 0, 15) for e in range(4)], dtype=np.int64)
    assert sim.verify_codes(design, codes).n_samples == len(codes)
    amaranth = emit_program(program, tmp_path / "amaranth", latency_cutoff=1, backend="amaranth")
    assert sim.verify_codes(amaranth, codes).n_samples == len(codes)


def test_a_rounding_quantizer_after_a_table_in_a_network_folds_into_it():
    """An unquantized table (QUnaryFunctionLUT with enable_oq=False) read by the next layer's RND quantizer: one
    table of rounded entries, no rounding adder, equal to the reference on every input code."""
    from da_core import lower
    from quant.network import Input, Network, Node, Quantize, Quantizer, Table

    def q(k, i, f):
        return Quantizer(np.array([k]), np.array([i]), np.array([f]), "RND", "SAT")

    entries = np.tanh(np.arange(-16, 16) / 8).astype(np.float32).astype(np.float64)  # 24-bit values
    table = Table(np.array([-3]), np.array([-16]), np.array([0]), (entries,), (1,))
    network = Network((Input("x", (1,), q(1, 1, 3)),),
                      (Node("t", table, ("x",)), Node("q", Quantize(q(1, 0, 4)), ("t",))), ("q",))
    program = lower(network)
    assert [op.kind for op in program.ops] == ["input", "lut"]
    x = (np.arange(-16, 16) / 8)[:, None]
    np.testing.assert_array_equal(program(x), network.predict(x))
