"""The Yosys resource report: real counts when Yosys is installed, "not run" (and why) when it is not."""

import json

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import emit_program, yosys
from rtl_emit.yosys import yosys_report


def adder_tree():
    b = ProgramBuilder()
    x = [b.input(Interval(-128, 127, 0)) for _ in range(4)]
    return b.build([b.add(b.add(x[0], x[1], 1), b.sub(x[2], x[3], 2))])


def test_synth_xilinx_counts(tmp_path):
    design = emit_program(adder_tree(), tmp_path, name="tree", latency_cutoff=1, yosys=True)
    report = design.report["yosys"]
    assert report["status"] == "ok", report
    assert report["luts"] > 0 and report["carry"] > 0 and report["longest_path_cells"] > 0
    # 3 adders over two stages: registers at both boundaries (Yosys may pack delay chains into SRLs)
    assert report["ffs"] + report["srl"] > 0
    assert json.loads(design.metadata_path.read_text())["report"]["yosys"]["luts"] == report["luts"]
    assert "Yosys synth_xilinx (xcup): LUTs" in design.path("markdown").read_text()


def test_without_yosys_the_report_says_not_run(tmp_path, monkeypatch):
    design = emit_program(adder_tree(), tmp_path, name="tree")
    assert design.report["yosys"]["status"] == "not run"
    monkeypatch.setattr(yosys, "find_yosys", lambda: None)
    report = yosys_report(design)
    assert report["status"] == "not run" and "pip install" in report["reason"]
    assert "not run" in design.path("markdown").read_text()


def test_a_multiplier_is_one_dsp48e2_and_its_expansion_none(tmp_path):
    from da_core.multipliers import expand

    b = ProgramBuilder()
    program = b.build([b.mul(b.input(Interval(-128, 127, 0)), b.input(Interval(0, 255, -3)))])
    counts = {}
    for name, p in (("dsp", program), ("lut", expand(program))):
        design = emit_program(p, tmp_path / name, name=name, combinational=True, yosys=True)
        report = design.report["yosys"]
        assert report["status"] == "ok", report
        counts[name] = (design.report["dsps"], report["dsps"], report["luts"] > 0)
        assert ("Yosys: DSP48E2s | " + str(report["dsps"])) in design.path("markdown").read_text()
    assert counts == {"dsp": (1, 1, False), "lut": (0, 0, True)}


def test_three_input_adders_take_fewer_luts_and_no_inverters(tmp_path):
    """Two chained adds (one a subtraction) as one LUT6_2 chain: fewer LUTs, the inversion inside its INIT."""
    b = ProgramBuilder()
    x = [b.input(Interval(-2048, 2047, 0)) for _ in range(3)]
    program = b.build([b.sub(b.add(x[0], x[1], 1), x[2], 2)])
    plain = emit_program(program, tmp_path / "plain", name="two", combinational=True, yosys=True).report["yosys"]
    fused = emit_program(program, tmp_path / "fused", name="two", combinational=True, yosys=True,
                         ternary_adders=True).report["yosys"]
    assert fused["luts_by_size"].get("LUT6_2", 0) > 0 and fused["cells"].get("INV", 0) == 0
    assert fused["luts"] < plain["luts"]
