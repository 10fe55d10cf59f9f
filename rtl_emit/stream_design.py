"""A streamed design on disk (``io="stream"``): the Verilog of ``stream_emit``, metadata and the stream program.

The files are a parallel design's (``rtl_emit.design``), with ``program.json`` holding the
``StreamProgram`` and the metadata saying ``"io": "stream"`` and, under ``"stream"``, the grid,
beats per sample, initiation interval, latency and per stage its kind, layers and costs
(``stream_meta``).
"""

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from da_core.stream import StreamProgram

from . import project
from .design import DEFAULT_NAME, StreamDesign, _remove_previous_design, check_options
from .metadata import DesignFiles
from .pipeline import plan_pipeline
from .ports import Interface
from .stream_emit import write_stream
from .stream_meta import describe_stream, markdown, write_stream_testbench

STREAM_INTERFACE = Interface(reset=True, clock_enable=False, valid=True)  # plus inp_ready / out_ready


def emit_stream(stream: StreamProgram, out_dir: str | Path, name: str = DEFAULT_NAME,
                latency_cutoff: int | None = None, overwrite: bool = False, network: Any = None, *,
                latency_cutoff_ns: float | None = None, clock_period_ns: float | None = None,
                part: str = project.DEFAULT_PART, testbench_samples: int = 16, yosys: bool = False) -> StreamDesign:
    """Write ``stream`` as one Verilog file (a pipelined module per kernel, the top module ``name``) with
    metadata and project files into ``out_dir``.

    The kernels are pipelined for one target (``latency_cutoff`` adder levels, ``latency_cutoff_ns`` or
    ``clock_period_ns``; see ``rtl_emit.pipeline``), except a scan's cell, which is combinational.
    Ports: ``clk``, ``rst``, ``inp``/``inp_valid``/``inp_ready``, ``out``/``out_valid``/``out_ready``
    (``stream_emit``). ``testbench_samples`` random samples go into ``tb/``. Refuses a non-empty
    ``out_dir`` unless ``overwrite=True``.
    """
    out_dir = Path(out_dir)
    occupied = check_stream_options(out_dir, name, overwrite, latency_cutoff=latency_cutoff,
                                    latency_cutoff_ns=latency_cutoff_ns, clock_period_ns=clock_period_ns)
    plans = [None if s.program is None else
             plan_pipeline(s.program, combinational=True) if s.kind == "scan" else
             plan_pipeline(s.program, latency_cutoff, latency_cutoff_ns=latency_cutoff_ns,
                           clock_period_ns=clock_period_ns) for s in stream.stages]
    written = write_stream(stream, plans, name)
    if occupied:
        _remove_previous_design(out_dir)
    files = DesignFiles.for_name(name)
    for path in (out_dir / f for f in asdict(files).values()):
        if path.exists():
            raise FileExistsError(f"{path} exists and was not written by adderflow; move it, or choose another "
                                  f"name or directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = describe_stream(stream, plans, written.glue, name, files, clock_period_ns)
    (out_dir / files.verilog).write_text(written.text)
    stream.save(out_dir / files.program)
    metadata_path = out_dir / files.metadata
    metadata_path.write_text(json.dumps(meta, indent=1))
    (out_dir / files.markdown).write_text(markdown(meta))
    digest = hashlib.sha256((out_dir / files.verilog).read_bytes()).hexdigest()
    (out_dir / files.tcl).write_text(project.vivado_tcl(meta, part, digest))
    (out_dir / files.xdc).write_text(project.xdc(meta))
    write_stream_testbench(out_dir / files.testbench, meta, stream, testbench_samples)
    design = StreamDesign(name, out_dir, stream, meta["latency_cycles"], out_dir / files.verilog, metadata_path,
                          meta["report"], network)
    if yosys:
        from .yosys import yosys_report

        yosys_report(design)
    return design


def check_stream_options(out_dir: Path, name: str, overwrite: bool, *, latency_cutoff: int | None = None,
                         latency_cutoff_ns: float | None = None, clock_period_ns: float | None = None,
                         combinational: bool = False, hdl: str = "verilog", clock_enable: bool = False,
                         valid: bool = True, backend: str = "auto", ternary_adders: bool = False,
                         **options) -> bool:
    """Refuse what a stream design cannot be, then check the rest as ``check_options`` does."""
    if ternary_adders:
        raise ValueError("io='stream' writes its kernels with two-input adders only: drop ternary_adders "
                         "(three-input adders are written for io='parallel')")
    if clock_enable or not valid:
        raise ValueError("io='stream' has fixed control ports (clk, rst, inp_valid/inp_ready, out_valid/out_ready): "
                         "it stalls through out_ready instead of a clock enable; drop clock_enable / valid=False")
    if backend != "auto":
        raise ValueError(f"io='stream' writes its Verilog directly (backend={backend!r} was given); drop backend")
    if hdl != "verilog":
        raise ValueError(f"io='stream' writes Verilog only (hdl={hdl!r} was given): a stream design's line buffers "
                         f"and handshakes have no VHDL writer yet; use hdl='verilog', or io='parallel' for VHDL")
    if combinational:
        raise ValueError("io='stream' needs a clock (line buffers, counters, state registers): drop "
                         "combinational=True, or use io='parallel' for a combinational design")
    return check_options(out_dir, name, overwrite, STREAM_INTERFACE, latency_cutoff=latency_cutoff,
                         latency_cutoff_ns=latency_cutoff_ns, clock_period_ns=clock_period_ns, **options)
