"""The direct Verilog back end: fast on large programs, same ports as the Amaranth back end.

Bit-exactness of both back ends under Verilator is in tests/sim/test_rtl_exact.py and test_ports.py;
the writers' speed is measured in benchmarks/emit_speed.py, not asserted here.
"""

import re

import pytest

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import emit_program
from rtl_emit.design import AUTO_DIRECT_ADDERS


def layered(n_adders: int, seed: int = 0):
    import random

    rng = random.Random(seed)
    b = ProgramBuilder()
    layer = [b.input(Interval(-128, 127, 0)) for _ in range(32)]
    for _ in range(8):
        below, layer = layer, []
        while len(layer) < n_adders // 8:
            layer.append(b.quant(b.add(rng.choice(below), rng.choice(below), rng.randint(0, 2)), 1, 10, 0))
    return b.build(layer)


def _ports(verilog: str) -> list[str]:
    return sorted(re.findall(r"(?:input|output)\s+(?:wire\s+|reg\s+)?(?:\[\d+:0\]\s*)?(\w+)", verilog))


def test_both_back_ends_give_the_same_ports(tmp_path):
    program = layered(200)
    a = emit_program(program, tmp_path / "a", name="m", backend="amaranth", reset=True, clock_enable=True)
    d = emit_program(program, tmp_path / "d", name="m", backend="direct", reset=True, clock_enable=True)
    assert _ports(a.verilog_path.read_text()) == _ports(d.verilog_path.read_text()) == \
        sorted(["clk", "rst", "ce", "inp", "inp_valid", "out", "out_valid"])
    assert a.metadata["ports"] == d.metadata["ports"] and a.report["ff_bits"] == d.report["ff_bits"]
    with pytest.raises(ValueError, match="backend"):
        emit_program(program, tmp_path / "x", backend="vhdl")


def test_large_programs_auto_pick_the_direct_writer(tmp_path):
    program = layered(8000)
    assert program.n_adders > AUTO_DIRECT_ADDERS
    design = emit_program(program, tmp_path, latency_cutoff=2, testbench_samples=16)
    assert design.report["backend"] == "direct"
