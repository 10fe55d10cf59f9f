import json

import pytest

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import Design, compile_model, emit_program


def OWN_FILES(name):
    return sorted(["program.json", "tb", f"{name}.json", f"{name}.md", f"{name}.v", f"{name}.xdc", f"{name}_ooc.tcl"])


def small_program():
    b = ProgramBuilder()
    x0 = b.input(Interval(-128, 127, 0))
    x1 = b.input(Interval(0, 15, -2))
    y = b.add(x0, x1, 1, -1)
    return b.build([b.quant(y, 1, 4, 1, "RND", "SAT"), x1])


def test_files_metadata_and_reload(tmp_path):
    program = small_program()
    design = emit_program(program, tmp_path / "out", name="tiny", latency_cutoff=1)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == OWN_FILES("tiny")
    verilog = design.verilog_path.read_text()
    assert "module tiny(" in verilog and "input clk" in verilog and "rst" not in verilog and " ce" not in verilog
    assert "input inp_valid" in verilog and "output out_valid" in verilog
    meta = json.loads(design.metadata_path.read_text())
    assert meta["name"] == "tiny" and meta["latency_cycles"] == design.latency_cycles == 2  # add, then clamp
    assert [(e["lsb"], e["width"], e["signed"]) for e in meta["inputs"]] == [(0, 8, True), (8, 4, False)]
    assert meta["inputs"][1]["frac_bits"] == 2 and meta["inputs"][1]["int_bits"] == 2
    assert meta["ports"]["inp"]["width"] == 12
    assert [(e["lsb"], e["width"]) for e in meta["outputs"]] == [(0, 6), (6, 4)]
    assert meta["report"] == design.report
    assert design.report["adders"] == program.n_adders and design.report["lut_estimate"] == program.cost
    assert design.report["latency_cycles"] == 2 and design.report["ff_bits"] > 0
    loaded = Design.load(tmp_path / "out")
    assert loaded.program == program and loaded.latency_cycles == 2 and loaded.verilog_path == design.verilog_path
    assert "tiny" in repr(loaded) and "latency 2 cycles" in repr(loaded)


def test_a_non_empty_directory_is_refused_without_overwrite(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"overwrite=True") as info:
        emit_program(small_program(), tmp_path)
    assert str(tmp_path) in str(info.value)


def test_overwrite_replaces_only_adderflow_files(tmp_path):
    emit_program(small_program(), tmp_path, name="first")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "sim_build").mkdir()  # as the simulator leaves it
    with pytest.raises(FileExistsError):
        emit_program(small_program(), tmp_path, name="second")
    design = emit_program(small_program(), tmp_path, name="second", overwrite=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["notes.txt"] + OWN_FILES("second"))
    assert Design.load(tmp_path).name == design.name == "second"


def test_overwrite_never_clobbers_a_file_it_did_not_write(tmp_path):
    (tmp_path / "top.v").write_text("// a user's own file")
    with pytest.raises(FileExistsError, match="not written by adderflow"):
        emit_program(small_program(), tmp_path, name="top", overwrite=True)
    assert (tmp_path / "top.v").read_text() == "// a user's own file"


def test_bad_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Verilog identifier"):
        emit_program(small_program(), tmp_path, name="3-top")
    with pytest.raises(ValueError, match="keyword"):
        emit_program(small_program(), tmp_path, name="small")
    assert not any(tmp_path.iterdir())


def test_a_bad_multipliers_mode_is_refused_before_the_model_is_read(tmp_path):
    with pytest.raises(ValueError, match="multipliers must be one of 'lut', 'dsp', 'auto', got 'fpga'"):
        compile_model(object(), tmp_path / "out", multipliers="fpga")  # not even a model: never read
    assert not (tmp_path / "out").exists()
