"""VHDL designs in GHDL through cocotb: the same bit-exact check as the Verilog, with ``sim.verify`` as for Verilog.

Every op kind and quantizer mode with every control port; the user's testbench (stall, resume, reset); a 64-8-10
digits MLP through the command line, the conv net and a layer-zoo model on over 10,000 samples each.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from layer_models import MODELS, N_SAMPLES
from models_ops import n_samples
from random_programs import random_codes, random_program

import rtl_emit
import sim
from adderflow.cli import main
from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import emit_program
from rtl_emit.ports import flat_samples


@pytest.fixture(scope="module")
def program():
    return random_program(seed=7, n_random_ops=60)


@pytest.fixture(scope="module")
def controlled(program, tmp_path_factory):
    """Every op kind and quantizer mode, with reset, clock enable and valid, as VHDL."""
    return emit_program(program, tmp_path_factory.mktemp("vhdl"), name="rand", hdl="vhdl", latency_cutoff=2,
                        reset=True, clock_enable=True, testbench_samples=200)


def test_every_op_is_bit_exact_in_ghdl(program, controlled, tmp_path):
    assert {op.kind for op in program.ops} >= {"add", "neg", "quant", "relu", "max", "min", "mul", "mux"}
    result = sim.verify_codes(controlled, random_codes(program, 3000, seed=3))
    assert result.n_samples == 3000 and controlled.latency_cycles > 2
    comb = emit_program(program, tmp_path / "comb", name="comb", hdl="vhdl", combinational=True)
    sim.verify_codes(comb, random_codes(program, 500, seed=4))


def test_tables_in_ghdl(tmp_path):
    """A ROM read by two ops (one function), and a table over three bits (a select of constants)."""
    rng = np.random.default_rng(4)
    b = ProgramBuilder()
    x, z, y = b.input(Interval(-16, 15, -2)), b.input(Interval(-16, 15, -2)), b.input(Interval(0, 7, 0))
    entries = [int(c) for c in rng.integers(-40, 40, 32)]
    t1, t2 = b.lut(x, -16, -2, entries, -3), b.lut(z, -16, -2, entries, -3)
    t3 = b.lut(y, 0, 0, [int(c) for c in rng.integers(0, 9, 8)], 0)
    program = b.build([t1, b.add(t2, t3), t3])
    design = emit_program(program, tmp_path, name="luts", hdl="vhdl", latency_cutoff=1, testbench_samples=0)
    text = design.verilog_path.read_text()
    assert text.count("  function rom") == 1 and len(re.findall(r"<= rom0\(", text)) == 2
    assert re.search(r"<= unsigned'\(\"\d+\"\) when v\d+ = ", text)  # the three-bit table: logic
    sim.verify_codes(design, random_codes(program, 1000, seed=1))


def test_a_wrong_vhdl_design_is_caught(program, tmp_path):
    design = emit_program(program, tmp_path, name="wrong", hdl="vhdl", latency_cutoff=3, testbench_samples=0)
    text = design.verilog_path.read_text()
    design.verilog_path.write_text(text.replace(" + ", " - ", 1))  # one adder subtracts
    with pytest.raises(sim.MismatchError, match="program vs RTL mismatch"):
        sim.verify_codes(design, random_codes(program, 500, seed=5))


def test_the_written_testbench_runs_in_ghdl(controlled):
    """``python tb/run.py`` as a user reruns it: back to back, then stalls, resumes and resets."""
    result = subprocess.run([sys.executable, str(controlled.path("testbench") / "run.py")], capture_output=True,
                            text=True, env=dict(os.environ), cwd=controlled.out_dir.parent)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "rand: 2 of 2 tests passed" in result.stdout


def test_the_compiled_model_refuses_vhdl(controlled):
    with pytest.raises(ValueError, match="reads Verilog only"):
        sim.CompiledModel(controlled)


def test_digits_mlp_as_vhdl_from_the_command_line(narrow_digits, many_inputs, tmp_path, capsys):
    model_path, data_path = tmp_path / "digits.keras", tmp_path / "x.npy"
    narrow_digits.save(model_path)
    np.save(data_path, many_inputs)
    assert len(many_inputs) >= 10_000
    status = main(["convert", str(model_path), str(tmp_path / "out"), "--hdl", "vhdl", "--latency-cutoff", "4",
                   "--verify", str(data_path)])
    out = capsys.readouterr().out
    assert status == 0 and f"0 / {len(many_inputs)} samples mismatched" in out and "VHDL:" in out
    assert rtl_emit.Design.load(tmp_path / "out").verilog_path.suffix == ".vhd"
    assert main(["convert", str(model_path), str(tmp_path / "y"), "--hdl", "vhdl", "--yosys"]) == 2
    assert "Yosys cannot read VHDL" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["conv_net", "zoo_1d"])
def test_layer_models_as_vhdl_on_10k_samples(name, tmp_path):
    model, x = MODELS[name]()
    design = rtl_emit.compile_model(model, tmp_path, latency_cutoff=4, hdl="vhdl")
    hgq2 = model.predict(x, batch_size=n_samples(x), verbose=0)
    result = sim.verify(design, x, reference=hgq2)  # HGQ2 == reference == program == VHDL in GHDL
    assert result.n_samples == len(flat_samples(hgq2)) >= N_SAMPLES >= 10_000
    twin = emit_program(design.program, tmp_path / "verilog", backend="direct", latency_cutoff=4)
    assert (twin.latency_cycles, twin.metadata["ports"]) == (design.latency_cycles, design.metadata["ports"])
