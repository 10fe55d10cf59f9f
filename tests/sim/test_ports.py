"""Control ports in Verilator: reset, clock enable and valid (stall, resume, back to back), and the
testbench written next to the Verilog, rerun the way a user would (``python tb/run.py``)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from random_programs import random_codes, random_program

from rtl_emit import emit_program
from sim import CompiledModel, verify_codes


@pytest.fixture(scope="module")
def program():
    return random_program(seed=5, n_random_ops=30, wide=False)


def _controlled(program, tmp_path_factory, backend):
    return emit_program(program, tmp_path_factory.mktemp("ctl"), name="ctl", latency_cutoff=3, reset=True,
                        clock_enable=True, testbench_samples=300, backend=backend)


@pytest.fixture(scope="module")
def controlled(program, tmp_path_factory):
    return _controlled(program, tmp_path_factory, "amaranth")


@pytest.fixture(scope="module")
def controlled_direct(program, tmp_path_factory):
    return _controlled(program, tmp_path_factory, "direct")


@pytest.fixture(scope="module")
def combinational(program, tmp_path_factory):
    return emit_program(program, tmp_path_factory.mktemp("comb"), name="comb", combinational=True)


def _run_testbench(design, vectors=None):
    env = dict(os.environ)
    if vectors is not None:
        env["ADDERFLOW_TB_VECTORS"] = str(vectors)
    return subprocess.run([sys.executable, str(design.path("testbench") / "run.py")], capture_output=True, text=True,
                          env=env, cwd=design.out_dir.parent)


def test_ports_of_a_controlled_design(controlled):
    meta = controlled.metadata
    assert list(meta["ports"])[:-1] == ["clk", "rst", "ce", "inp", "inp_valid", "out", "out_valid"]
    assert meta["clock"]["reset"] == "rst" and meta["clock"]["clock_enable"] == "ce"
    verilog = controlled.verilog_path.read_text()
    for port in ("input clk", "input rst", "input ce", "input inp_valid", "output out_valid"):
        assert port in verilog
    assert controlled.report["ff_bits"] == controlled.report["data_ff_bits"] + controlled.latency_cycles


@pytest.mark.parametrize("backend", ["amaranth", "direct"])
def test_reset_enable_and_valid_in_cocotb(backend, request, tmp_path):
    """back to back, then random inp_valid gaps, ce stalls and resets, checked cycle by cycle."""
    controlled = request.getfixturevalue("controlled" if backend == "amaranth" else "controlled_direct")
    assert controlled.report["backend"] == backend
    result = _run_testbench(controlled)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ctl: 2 of 2 tests passed" in result.stdout
    # the same testbench fails when the design is not what the vectors say: one cycle of latency off
    vectors = dict(np.load(controlled.path("testbench") / "vectors.npz"))
    vectors["latency"] = np.array(controlled.latency_cycles + 1)
    np.savez(tmp_path / "late.npz", **vectors)
    result = _run_testbench(controlled, tmp_path / "late.npz")
    assert result.returncode != 0 and "0 of 2 tests passed" in result.stdout


def test_a_wrong_output_is_named_by_the_testbench(controlled, tmp_path):
    vectors = dict(np.load(controlled.path("testbench") / "vectors.npz"))
    vectors["out"] = vectors["out"].copy()
    vectors["out"][7, 0] ^= 1  # output element 0 of sample 7
    np.savez(tmp_path / "wrong.npz", **vectors)
    result = _run_testbench(controlled, tmp_path / "wrong.npz")
    assert result.returncode != 0 and "sample 7, output element 0" in result.stdout + result.stderr


def test_the_compiled_model_drives_the_controls(controlled, program):
    result = verify_codes(controlled, random_codes(program, 5000, seed=6))
    assert result.n_samples == 5000


def test_large_runs_stream_in_chunks_with_the_same_result(controlled, program, monkeypatch):
    import sim.compiled

    codes = random_codes(program, 2500, seed=9)
    monkeypatch.setattr(sim.compiled, "CHUNK_SAMPLES", 700)  # 4 chunks, the last one short
    model = CompiledModel(controlled)
    assert np.array_equal(model(codes), program.run(codes))
    assert model.last_evals_per_cycle == 1  # the rising edge rearmed, no falling-edge eval


def test_runs_split_over_cores_give_the_same_result(controlled, program, monkeypatch):
    import sim.compiled

    codes = random_codes(program, 2501, seed=10)
    monkeypatch.setattr(sim.compiled, "MIN_SPLIT_SAMPLES", 100)  # 3 chunks run at once, each refilling the pipeline
    monkeypatch.setattr(sim.compiled, "n_cores", lambda: 3)
    assert np.array_equal(CompiledModel(controlled)(codes), program.run(codes))


def test_combinational_design(combinational, program):
    meta = combinational.metadata
    assert combinational.latency_cycles == 0 and meta["clock"] is None and combinational.report["ff_bits"] == 0
    assert list(meta["ports"])[:-1] == ["inp", "inp_valid", "out", "out_valid"]
    assert "clk" not in combinational.verilog_path.read_text()
    assert "set_max_delay" in combinational.path("xdc").read_text()
    model = CompiledModel(combinational)
    codes = random_codes(program, 3000, seed=8)
    assert np.array_equal(model(codes), program.run(codes))
    result = _run_testbench(combinational)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_reset_and_enable_need_a_clock(program, tmp_path):
    with pytest.raises(ValueError, match="neither reset nor clock_enable"):
        emit_program(program, tmp_path, combinational=True, reset=True)


def test_project_files(controlled):
    meta = controlled.metadata
    tcl = controlled.path("tcl").read_text()
    assert "synth_design -top ctl" in tcl and "-mode out_of_context" in tcl and "ctl.xdc" in tcl
    xdc = controlled.path("xdc").read_text()
    assert f"create_clock -period {meta['clock']['period_ns']} -name clk [get_ports clk]" in xdc
    md = controlled.path("markdown").read_text()
    assert f"Latency **{controlled.latency_cycles} clock cycles**" in md and "| `ce` | input | 1 |" in md
    assert md.count("\n| ") >= 2 + len(meta["inputs"]) + len(meta["outputs"])
    assert json.loads((controlled.path("testbench") / "config.json").read_text())["name"] == "ctl"
