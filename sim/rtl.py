"""Runs a design's RTL on integer input codes: Verilog under Verilator (through cocotb, or the compiled
model), VHDL under GHDL through cocotb.

The cocotb simulator is built once per design, in ``<out_dir>/sim_build``, and
rebuilt only when the source changes (its SHA-256 is kept next to the build).
"""

import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rtl_emit import Metadata, bus

from .compiled import CompiledModel, n_cores
from .toolchain import check_ghdl, is_built, makeflags, mark_built, setup_verilator, tail

TEST_MODULE = "sim._testbench"
ENGINES = ("compiled", "cocotb")
SIMULATORS = dict(verilog="verilator", vhdl="ghdl")  # the cocotb simulator per language
MIN_CHUNK_SAMPLES = 1000  # fewer samples per core than this run in one simulator process
GHDL_ARGS = ["--std=08"]  # VHDL-2008, at analysis and at run
GHDL_RUN_ARGS = ["--ieee-asserts=disable-at-0"]  # no numeric_std warnings on the undriven inputs before the first edge


def run_rtl(design, codes: np.ndarray, engine: str | None = None) -> np.ndarray:
    """Output codes (n_samples, n_outputs) int64 of the design's RTL on input codes (n_samples, n_inputs).

    Samples enter back to back, one per clock; outputs are collected ``latency_cycles`` later,
    the latency being read from the design's metadata. ``engine``: "compiled" (a Verilator C++
    harness, ``sim.CompiledModel``: fast; Verilog only) or "cocotb" (the simulator driven from Python:
    Verilator for Verilog, GHDL for VHDL); None: "compiled" for Verilog, "cocotb" for VHDL.
    The codes must lie in the input ports' formats (``Program.check_codes``).
    """
    if engine not in ENGINES + (None,):
        raise ValueError(f"engine must be 'compiled' or 'cocotb', got {engine!r}")
    return simulate(design, design.program.check_codes(codes), engine)


def simulate(design, codes: np.ndarray, engine: str | None = None) -> np.ndarray:
    """``run_rtl`` on codes that ``Program.check_codes`` has already passed (int64)."""
    meta = Metadata.load(design.metadata_path)
    if meta.io == "stream" and engine == "cocotb":
        raise ValueError(f"{meta.name} is a stream design: run_rtl drives it through the compiled Verilator harness "
                         f"(engine='compiled' or None); its cocotb port tests are in {meta.files.testbench}/run.py")
    if engine == "compiled" or engine is None and meta.hdl == "verilog":
        return CompiledModel(design, build=False).stream(codes)  # builds when needed
    n = len(codes)
    if meta.out_width == 0 or n == 0:
        return np.zeros((n, len(meta.outputs)), np.int64)
    _build(design, meta)
    # one simulator process per chunk of samples, on the cores there are (GHDL runs a large design at only
    # hundreds of samples per second)
    n_chunks = max(1, min(n_cores(), n // MIN_CHUNK_SAMPLES))
    with ThreadPoolExecutor(n_chunks) as pool:
        parts = list(pool.map(lambda chunk: _run_cocotb(design, meta, chunk), np.array_split(codes, n_chunks)))
    return np.concatenate(parts)


def _run_cocotb(design, meta: Metadata, codes: np.ndarray) -> np.ndarray:
    """Output codes of one chunk of samples, streamed through the built simulator by ``sim._testbench``."""
    from cocotb_tools.runner import get_runner

    runner = get_runner(SIMULATORS[meta.hdl])  # one per thread: a runner keeps the state of its run
    build_dir = (Path(design.out_dir) / meta.files.sim_build).resolve()
    vhdl = meta.hdl == "vhdl"
    with tempfile.TemporaryDirectory(prefix="adderflow_sim_") as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "inp.npz", inp=bus.pack(codes, meta.inputs, meta.inp_width), latency=meta.latency_cycles,
                 out_bytes=bus.n_bytes(meta.out_width), inp_width=meta.inp_width)
        log = tmp / "sim.log"
        try:
            results = runner.test(test_module=TEST_MODULE, hdl_toplevel=meta.name, hdl_toplevel_lang=meta.hdl,
                                  test_args=[*GHDL_ARGS, f"--workdir={build_dir}"] if vhdl else [],
                                  plusargs=GHDL_RUN_ARGS if vhdl else [], build_dir=build_dir,
                                  test_dir=tmp, results_xml=str(tmp / "results.xml"), log_file=log,
                                  extra_env={"ADDERFLOW_SIM_INPUT": str(tmp / "inp.npz"),
                                             "ADDERFLOW_SIM_OUTPUT": str(tmp / "out.npy"),
                                             "COCOTB_LOG_LEVEL": "WARNING"})
        except (RuntimeError, SystemExit) as e:
            raise RuntimeError(f"the RTL simulation of {meta.name} failed to run ({e}):\n{tail(log)}") from None
        _check_results(results, log)
        words = np.load(tmp / "out.npy")
    return bus.unpack(words, meta.outputs)


def _build(design, meta: Metadata) -> None:
    """Make the build directory hold this design's current source, compiled (Verilator) or analysed (GHDL)."""
    vhdl = meta.hdl == "vhdl"
    check_ghdl() if vhdl else setup_verilator()
    from cocotb_tools.runner import get_runner

    runner = get_runner(SIMULATORS[meta.hdl])
    source = Path(design.verilog_path)
    build_dir = Path(design.out_dir) / meta.files.sim_build
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if is_built(build_dir, digest, build_dir / ("top-obj08.cf" if vhdl else meta.name)):  # GHDL's library "top"
        return
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    log = build_dir / "build.log"
    saved = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = makeflags()  # cocotb runs make itself, in this process's environment
    try:
        runner.build(sources=[source], hdl_toplevel=meta.name, build_dir=build_dir, always=True,
                     build_args=GHDL_ARGS if vhdl else ["-Wno-fatal", "-Wno-WIDTH"], log_file=log)
    except (RuntimeError, SystemExit) as e:
        raise RuntimeError(f"building {source} with {SIMULATORS[meta.hdl]} failed ({e}); log: {log}\n{tail(log)}") \
            from None
    finally:
        if saved is None:
            del os.environ["MAKEFLAGS"]
        else:
            os.environ["MAKEFLAGS"] = saved
    mark_built(build_dir, digest)


def _check_results(results_xml: Path, log: Path) -> None:
    from cocotb_tools.runner import get_results

    n_tests, n_failed = get_results(results_xml)
    if n_tests != 1 or n_failed:
        raise RuntimeError(f"the RTL simulation failed:\n{tail(log)}")
