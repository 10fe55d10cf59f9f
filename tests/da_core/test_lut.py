"""The table lookup op: exact interval, interpreter, serialisation and hardware agree."""

import numpy as np

import sim
from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.program import Program
from rtl_emit.design import emit_program


def _program():
    b = ProgramBuilder()
    x = b.input(Interval(-8, 7, -2))  # signed: the ROM is addressed by raw two's complement bits
    y = b.input(Interval(0, 3, 0))  # coarser than its table's grid: every second entry is reachable
    table_x = [c * c - 20 for c in range(-8, 8)]  # codes at exponent -3
    table_y = [(5 * c) % 7 for c in range(0, 7)]  # on the grid 2^-1: codes 0..6 = values 0..3
    fx = b.lut(x, -8, -2, table_x, -3)
    fy = b.lut(y, 0, -1, table_y, 0)
    return b.build([fx, fy, b.add(fx, fy)]), table_x, table_y


def test_lut_interval_is_exact_and_only_keeps_reachable_entries():
    program, table_x, table_y = _program()
    fx, fy = (program.ops[v] for v in program.outputs[:2])
    assert (fx.interval.lo, fx.interval.hi, fx.interval.exp) == (-20, 44, -3)
    assert fy.params[2] == tuple(table_y[0::2])  # reachable entries only
    assert fy.interval.lo == min(table_y[0::2]) and fy.interval.hi == max(table_y[0::2])


def test_lut_interpreter_and_save_load(tmp_path):
    program, table_x, table_y = _program()
    codes = np.array([[c, d] for c in range(-8, 8) for d in range(4)], dtype=np.int64)
    out = program.run(codes)
    np.testing.assert_array_equal(out[:, 0], [table_x[c + 8] for c, _ in codes])
    np.testing.assert_array_equal(out[:, 1], [table_y[2 * d] for _, d in codes])
    program.save(tmp_path / "p.json")
    assert Program.load(tmp_path / "p.json") == program


def test_lut_in_verilog(tmp_path):
    program, _, _ = _program()
    design = emit_program(program, tmp_path / "lut", latency_cutoff=1)
    codes = np.array([[c, d] for c in range(-8, 8) for d in range(4)] * 4, dtype=np.int64)
    assert sim.verify_codes(design, codes).n_samples == len(codes)
