"""Runs a design's Verilog under Verilator on integer input codes: through cocotb, or the compiled model.

The cocotb simulator is built once per design, in ``<out_dir>/sim_build``, and
rebuilt only when the Verilog changes (its SHA-256 is kept next to the build).
"""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from rtl_emit import Metadata, bus

from .compiled import CompiledModel
from .toolchain import is_built, makeflags, mark_built, setup_verilator, tail

TEST_MODULE = "sim._testbench"
ENGINES = ("compiled", "cocotb")


def run_rtl(design, codes: np.ndarray, engine: str = "compiled") -> np.ndarray:
    """Output codes (n_samples, n_outputs) int64 of the design's RTL on input codes (n_samples, n_inputs).

    Samples enter back to back, one per clock; outputs are collected ``latency_cycles`` later,
    the latency being read from the design's metadata. ``engine``: "compiled" (a Verilator C++
    harness, ``sim.CompiledModel``: fast) or "cocotb" (the Verilator build driven from Python).
    The codes must lie in the input ports' formats (``Program.check_codes``).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'compiled' or 'cocotb', got {engine!r}")
    return simulate(design, design.program.check_codes(codes), engine)


def simulate(design, codes: np.ndarray, engine: str = "compiled") -> np.ndarray:
    """``run_rtl`` on codes that ``Program.check_codes`` has already passed (int64)."""
    if engine == "compiled":
        return CompiledModel(design, build=False).stream(codes)  # builds when needed
    meta = Metadata.load(design.metadata_path)
    n = len(codes)
    if meta.out_width == 0 or n == 0:
        return np.zeros((n, len(meta.outputs)), np.int64)
    runner = _built_runner(design, meta)
    with tempfile.TemporaryDirectory(prefix="adderflow_sim_") as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "inp.npz", inp=bus.pack(codes, meta.inputs, meta.inp_width), latency=meta.latency_cycles,
                 out_bytes=bus.n_bytes(meta.out_width), inp_width=meta.inp_width)
        log = tmp / "sim.log"
        try:
            results = runner.test(test_module=TEST_MODULE, hdl_toplevel=meta.name, hdl_toplevel_lang="verilog",
                                  build_dir=Path(design.out_dir) / meta.files.sim_build,
                                  test_dir=tmp, results_xml=str(tmp / "results.xml"), log_file=log,
                                  extra_env={"ADDERFLOW_SIM_INPUT": str(tmp / "inp.npz"),
                                             "ADDERFLOW_SIM_OUTPUT": str(tmp / "out.npy"),
                                             "COCOTB_LOG_LEVEL": "WARNING"})
        except (RuntimeError, SystemExit) as e:
            raise RuntimeError(f"the RTL simulation of {meta.name} failed to run ({e}):\n{tail(log)}") from None
        _check_results(results, log)
        words = np.load(tmp / "out.npy")
    return bus.unpack(words, meta.outputs)


def _built_runner(design, meta: Metadata):
    """A Verilator runner whose build directory holds this design's current Verilog, compiled."""
    setup_verilator()
    from cocotb_tools.runner import get_runner

    runner = get_runner("verilator")
    verilog = Path(design.verilog_path)
    build_dir = Path(design.out_dir) / meta.files.sim_build
    digest = hashlib.sha256(verilog.read_bytes()).hexdigest()
    if is_built(build_dir, digest, build_dir / meta.name):
        return runner
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    log = build_dir / "build.log"
    saved = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = makeflags()  # cocotb runs make itself, in this process's environment
    try:
        runner.build(sources=[verilog], hdl_toplevel=meta.name, build_dir=build_dir, always=True,
                     build_args=["-Wno-fatal", "-Wno-WIDTH"], log_file=log)
    except (RuntimeError, SystemExit) as e:
        raise RuntimeError(f"building {verilog} with Verilator failed ({e}); log: {log}\n{tail(log)}") from None
    finally:
        if saved is None:
            del os.environ["MAKEFLAGS"]
        else:
            os.environ["MAKEFLAGS"] = saved
    mark_built(build_dir, digest)
    return runner


def _check_results(results_xml: Path, log: Path) -> None:
    from cocotb_tools.runner import get_results

    n_tests, n_failed = get_results(results_xml)
    if n_tests != 1 or n_failed:
        raise RuntimeError(f"the RTL simulation failed:\n{tail(log)}")
