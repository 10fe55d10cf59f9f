"""The VHDL-2008 writer: the Verilog design's ports, latency and metadata, in another language; what it refuses.

That the VHDL computes what the program does, bit for bit in GHDL, is in tests/sim/test_ghdl.py.
"""

import re

import pytest
from test_backends import layered

from rtl_emit import Interface, compile_model, emit_program, yosys_report
from rtl_emit.hdl_text import write as write_text
from rtl_emit.pipeline import plan_pipeline
from rtl_emit.verilog_backend import Verilog
from rtl_emit.vhdl_backend import Vhdl

OPTIONS = dict(latency_cutoff=2, reset=True, clock_enable=True, testbench_samples=8)
INTERFACE = Interface(reset=True, clock_enable=True)


@pytest.fixture(scope="module")
def program():
    return layered(160)


@pytest.fixture(scope="module")
def pair(program, tmp_path_factory):
    """The same program written as Verilog (direct writer) and as VHDL."""
    root = tmp_path_factory.mktemp("pair")
    return (emit_program(program, root / "v", name="m", backend="direct", **OPTIONS),
            emit_program(program, root / "h", name="m", hdl="vhdl", **OPTIONS))


def _vhdl_ports(text: str) -> list[str]:
    entity = text[text.index("entity m is"):text.index("end entity m;")]
    return [name.strip("\\") for name in re.findall(r"^\s+(\\?\w+\\?) : (?:in|out) ", entity, re.M)]


def test_vhdl_has_the_verilog_ports_latency_and_metadata(pair):
    verilog, vhdl = pair
    text = vhdl.verilog_path.read_text()
    assert vhdl.verilog_path.name == "m.vhd" and vhdl.hdl == "vhdl" and verilog.hdl == "verilog"
    assert "library ieee;" in text and "architecture rtl of m is" in text
    assert _vhdl_ports(text) == list(verilog.metadata["ports"])[:-1] == \
        ["clk", "rst", "ce", "inp", "inp_valid", "out", "out_valid"]
    assert "\\out\\ : out std_logic_vector(" in text  # out is a VHDL reserved word: an extended identifier
    a, b = verilog.metadata, vhdl.metadata
    assert b["files"]["verilog"] == "m.vhd" and b["report"]["hdl"] == "vhdl"
    for key in ("latency_cycles", "ports", "inputs", "outputs", "clock", "interface"):
        assert a[key] == b[key], key
    same = {k for k in a["report"] if k not in ("hdl", "yosys")}
    assert {k: a["report"][k] for k in same} == {k: b["report"][k] for k in same}


def test_both_writers_walk_the_program_alike(program):
    """One walk: every wire and register of the Verilog is declared in the VHDL under the same name."""
    plan = plan_pipeline(program, 2)
    verilog = write_text(program, plan, "m", INTERFACE, Verilog())
    vhdl = write_text(program, plan, "m", INTERFACE, Vhdl())
    assert sorted(re.findall(r"^  (?:wire|reg) \[\d+:0\] (\w+)", verilog, re.M)) == \
        sorted(re.findall(r"signal (\w+) : unsigned", vhdl))
    registers = r"\w+_d\d+ <= \w+;"
    assert sorted(re.findall(registers, vhdl)) == sorted(re.findall(registers, verilog))


def test_report_markdown_tcl_and_testbench_speak_vhdl(pair):
    _, vhdl = pair
    assert vhdl.report["yosys"]["status"] == "unavailable"
    assert "Yosys cannot read VHDL" in vhdl.report["yosys"]["reason"]
    markdown = vhdl.path("markdown").read_text()
    assert "VHDL-2008: `m.vhd`" in markdown and "Yosys cannot read VHDL" in markdown
    assert "read_vhdl -vhdl2008 $here/m.vhd" in vhdl.path("tcl").read_text()
    assert 'SIMULATOR = "ghdl"' in (vhdl.path("testbench") / "run.py").read_text()
    assert "VHDL" in repr(vhdl)


def test_vhdl_refusals(program, pair, tmp_path):
    _, vhdl = pair
    with pytest.raises(ValueError, match="Yosys cannot read VHDL"):
        yosys_report(vhdl)
    with pytest.raises(ValueError, match="Yosys cannot read VHDL"):
        emit_program(program, tmp_path / "y", hdl="vhdl", yosys=True)
    with pytest.raises(ValueError, match="writes Verilog only"):
        emit_program(program, tmp_path / "a", hdl="vhdl", backend="amaranth")
    for name in ("signal", "two__bars", "trailing_"):
        with pytest.raises(ValueError, match="not a VHDL identifier"):
            emit_program(program, tmp_path / "n", name=name, hdl="vhdl")
    with pytest.raises(ValueError, match="hdl must be one of"):
        emit_program(program, tmp_path / "s", hdl="systemverilog")
    with pytest.raises(ValueError, match="Yosys cannot read VHDL"):  # before the model is read
        compile_model(object(), tmp_path / "c", hdl="vhdl", yosys=True)
    assert not any(tmp_path.iterdir())  # refused before anything was written
