"""A design on disk: the Verilog, its metadata and the program it was made from.

An output directory holds, for a design called NAME:

- ``NAME.v``: one Verilog module (ports in ``NAME.md``), or ``NAME.vhd``: one VHDL-2008 entity
  with the same ports, when written with ``hdl="vhdl"``;
- ``NAME.json``: ports, every bus element's fixed-point format, latency, resources;
- ``NAME.md``: the same for people;
- ``NAME_ooc.tcl`` and ``NAME.xdc``: Vivado out-of-context synthesis and the clock constraint;
- ``tb/``: a cocotb + Verilator testbench with stored vectors that a user can rerun
  (``python tb/run.py``);
- ``program.json``: the solved program, so the design can be re-verified later;

plus the simulator builds that ``sim`` adds (``sim_build/``, ``model_build/``).
Those are the only files adderflow writes or replaces there.
"""

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from da_core.multipliers import DEFAULT_MULTIPLIERS, check_multipliers
from da_core.program import Program
from da_core.stream import StreamProgram

from . import amaranth_backend, project, stream_meta, verilog_backend, vhdl_backend
from .metadata import FOLDERS, FORMAT, DesignFiles, Metadata, describe, find_metadata
from .pipeline import check_target, plan_pipeline
from .ports import Interface, check_name, flat_samples
from .yosys import VHDL_NO_YOSYS

DEFAULT_NAME = "adderflow_top"  # the Verilog module's name
BACKENDS = ("auto", "amaranth", "direct")
HDLS = ("verilog", "vhdl")  # the languages a design is written in
# samples quantized and coded at a time: malloc reuses NumPy temporaries of this size, where those of a whole
# data set are fresh pages every call (their page faults cost 3x the arithmetic on a million samples)
QUANTIZE_ROWS = 1 << 16
AUTO_DIRECT_ADDERS = 5000  # above this, backend="auto" writes Verilog directly (Amaranth: ~2 ms or more per adder)


@dataclass
class Design:
    """Verilog plus everything needed to use and re-verify it."""

    name: str
    out_dir: Path
    program: Program
    latency_cycles: int
    verilog_path: Path
    metadata_path: Path
    report: dict
    network: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        r = self.report
        return (f"Design({self.name!r} in {str(self.out_dir)!r}" + (", VHDL" if self.hdl == "vhdl" else "")
                + f": {len(self.program.inputs)} inputs, "
                f"{len(self.program.outputs)} outputs, latency {self.latency_cycles} cycles, "
                f"{r['adders']} adders, {r['lut_estimate']} LUTs (estimate)"
                + (f", {r['dsps']} DSPs" if r.get("dsps") else "") + f", {r['ff_bits']} FF bits)")

    @property
    def hdl(self) -> str:
        """The language ``verilog_path`` is written in: "verilog" or "vhdl" (``emit_program(hdl=...)``)."""
        return self.report.get("hdl", "verilog")

    @property
    def metadata(self) -> dict:
        """``NAME.json`` as written (programs read it through ``rtl_emit.Metadata``)."""
        return json.loads(self.metadata_path.read_text())

    def markdown(self, meta: dict) -> str:
        """``NAME.md`` for this design's metadata."""
        return project.markdown(meta)

    def path(self, role: str) -> Path:
        """A file of the design by its role in ``DesignFiles`` (verilog, markdown, tcl, xdc, testbench, ...)."""
        return Path(self.out_dir) / getattr(Metadata.load(self.metadata_path).files, role)

    def input_codes(self, x) -> np.ndarray:
        """Integer input codes of ``x``: raw model inputs through the network's input quantizers or, for a
        design without a network, values (n_samples, n_inputs) already on the program's input grid."""
        if self.network is None:
            return self.program.input_codes(np.asarray(x))
        several = isinstance(x, (list, tuple))  # one array per model input
        n = len((x[0] if x else ()) if several else x)
        try:
            return np.concatenate([self.program.input_codes(flat_samples(self.network.quantize_inputs(
                [a[i:i + QUANTIZE_ROWS] for a in x] if several else x[i:i + QUANTIZE_ROWS])))
                for i in range(0, max(n, 1), QUANTIZE_ROWS)])
        except ValueError:  # refused: again in one piece, so that the message counts samples from the first
            return self.program.input_codes(flat_samples(self.network.quantize_inputs(x)))

    @classmethod
    def load(cls, out_dir: str | Path) -> "Design":
        """The design written into ``out_dir`` by ``emit_program`` (without its network)."""
        out_dir = Path(out_dir)
        metadata_path = find_metadata(out_dir)
        if metadata_path is None:
            raise FileNotFoundError(f"no adderflow design in {out_dir} (no metadata .json of format {FORMAT})")
        meta = Metadata.load(metadata_path)
        if meta.io == "stream":
            return StreamDesign(meta.name, out_dir, StreamProgram.load(out_dir / meta.files.program),
                                meta.latency_cycles, out_dir / meta.files.verilog, metadata_path, meta.report)
        return cls(meta.name, out_dir, Program.load(out_dir / meta.files.program), meta.latency_cycles,
                   out_dir / meta.files.verilog, metadata_path, meta.report)


@dataclass(repr=False)
class StreamDesign(Design):
    """A design whose ``program`` is a ``StreamProgram`` (``io="stream"``, ``rtl_emit.emit_stream``): one
    position per beat on ``inp`` and ``out``."""

    program: StreamProgram

    def __repr__(self) -> str:
        r, s = self.report, self.metadata["stream"]
        return (f"StreamDesign({self.name!r} in {str(self.out_dir)!r}: {len(s['stages'])} stages, "
                f"{s['beats_per_sample']} beats per sample of {len(self.program.input_intervals)} inputs, "
                f"II {s['initiation_interval_cycles']} cycles, latency {self.latency_cycles} cycles, "
                f"{r['adders']} adders, {r['lut_estimate']} LUTs (estimate), {r['ff_bits']} FF bits)")

    def markdown(self, meta: dict) -> str:
        return stream_meta.markdown(meta)


def emit_program(program: Program, out_dir: str | Path, name: str = DEFAULT_NAME,
                 latency_cutoff: int | None = None, overwrite: bool = False, network: Any = None, *,
                 latency_cutoff_ns: float | None = None, clock_period_ns: float | None = None,
                 combinational: bool = False, reset: bool = False, clock_enable: bool = False, valid: bool = True,
                 part: str = project.DEFAULT_PART,
                 testbench_samples: int = 256, backend: str = "auto", yosys: bool = False,
                 hdl: str = "verilog", ternary_adders: bool = False) -> Design:
    """Write ``program`` as a pipelined Verilog module ``name`` with metadata and project files into ``out_dir``.

    Register placement (at most one target; see ``rtl_emit.pipeline``): ``latency_cutoff`` in adder
    levels per stage (None: ``DEFAULT_LATENCY_CUTOFF`` unless another target is given), ``latency_cutoff_ns``
    in estimated ns of logic per stage, ``clock_period_ns`` (the stage budget is the period less the
    register overhead, and the XDC constrains that period), or ``combinational=True`` (no registers, no clock).
    Ports: ``reset`` adds a synchronous ``rst``, ``clock_enable`` a ``ce``, ``valid`` the
    ``inp_valid``/``out_valid`` pair (see ``rtl_emit.ports.Interface``). ``part`` goes into the
    Vivado TCL. ``testbench_samples`` random input samples (with expected outputs from the
    program) are stored for ``tb/``. ``backend``: "amaranth" (``amaranth_backend``: through
    Amaranth's Verilog back end), "direct" (``verilog_backend``: the same module written as text,
    for large designs) or "auto" (direct above AUTO_DIRECT_ADDERS adders). ``hdl="vhdl"`` writes the same
    module as a VHDL-2008 entity (``vhdl_backend``, the direct writer's walk; simulated in GHDL; Yosys cannot
    read it, so ``yosys=True`` is refused). ``ternary_adders``: two chained adds of one stage become one
    three-input adder on Xilinx LUT6_2 + CARRY4 primitives (``rtl_emit.ternary``; the direct Verilog
    writer; the file carries Verilator models of the two primitives); ReLUs and lookups read by one term
    fold into those adders (``rtl_emit.relu_gates``, ``rtl_emit.table_signs``). Refuses a non-empty ``out_dir``
    unless ``overwrite=True``, which replaces only adderflow's own files.
    """
    out_dir = Path(out_dir)
    interface = Interface(reset=reset, clock_enable=clock_enable, valid=valid)
    occupied = check_options(out_dir, name, overwrite, interface, backend, latency_cutoff=latency_cutoff,
                             latency_cutoff_ns=latency_cutoff_ns, clock_period_ns=clock_period_ns,
                             combinational=combinational, hdl=hdl, yosys=yosys, ternary_adders=ternary_adders)
    plan = plan_pipeline(program, latency_cutoff, latency_cutoff_ns=latency_cutoff_ns,
                         clock_period_ns=clock_period_ns, combinational=combinational)
    if backend == "auto":
        backend = "direct" if program.n_adders > AUTO_DIRECT_ADDERS or hdl == "vhdl" or ternary_adders \
            else "amaranth"
    if ternary_adders:  # check_options allows them with the direct Verilog writer only
        text = verilog_backend.write(program, plan, name, interface, ternary=True)
    else:
        writer = vhdl_backend if hdl == "vhdl" else amaranth_backend if backend == "amaranth" else verilog_backend
        text = writer.write(program, plan, name, interface)
    if occupied:
        _remove_previous_design(out_dir)
    files = DesignFiles.for_name(name, hdl)
    for path in (out_dir / f for f in asdict(files).values()):
        if path.exists():
            raise FileExistsError(f"{path} exists and was not written by adderflow; move it, or choose another "
                                  f"name or directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = describe(program, plan, interface, name, files, hdl)
    meta["report"]["backend"] = backend
    (out_dir / files.verilog).write_text(text)
    program.save(out_dir / files.program)
    metadata_path = out_dir / files.metadata
    metadata_path.write_text(json.dumps(meta, indent=1))
    (out_dir / files.markdown).write_text(project.markdown(meta))
    digest = hashlib.sha256((out_dir / files.verilog).read_bytes()).hexdigest()
    (out_dir / files.tcl).write_text(project.vivado_tcl(meta, part, digest))
    (out_dir / files.xdc).write_text(project.xdc(meta))
    project.write_testbench(out_dir / files.testbench, meta, program, testbench_samples)
    design = Design(name, out_dir, program, plan.latency_cycles, out_dir / files.verilog, metadata_path,
                    meta["report"], network)
    if yosys:
        from .yosys import yosys_report

        yosys_report(design)
    return design


def check_options(out_dir: Path, name: str, overwrite: bool, interface: Interface, backend: str = "auto", *,
                  latency_cutoff: int | None = None, latency_cutoff_ns: float | None = None,
                  clock_period_ns: float | None = None, combinational: bool = False,
                  multipliers: str = DEFAULT_MULTIPLIERS, overwrite_hint: str = "pass overwrite=True",
                  hdl: str = "verilog", yosys: bool = False, ternary_adders: bool = False) -> bool:
    """Refuse bad options before any slow work; returns whether ``out_dir`` holds files.

    ``overwrite_hint`` says how the caller's user asks to overwrite (the CLI: "pass --overwrite").
    """
    check_name(name)
    check_target(latency_cutoff, latency_cutoff_ns, clock_period_ns, combinational)
    check_multipliers(multipliers)
    interface.check(combinational)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if hdl not in HDLS:
        raise ValueError(f"hdl must be one of {', '.join(map(repr, HDLS))}, got {hdl!r}")
    if hdl == "vhdl":
        vhdl_backend.check_vhdl_name(name)
        if backend == "amaranth":
            raise ValueError("backend='amaranth' writes Verilog only; VHDL is written by the direct writer "
                             "(backend='auto' or 'direct')")
        if yosys:
            raise ValueError(VHDL_NO_YOSYS)
    if ternary_adders and (hdl != "verilog" or backend == "amaranth"):
        raise ValueError("ternary_adders=True is written by the direct Verilog writer: hdl='verilog' with "
                         "backend='auto' or 'direct'")
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    occupied = out_dir.exists() and any(out_dir.iterdir())
    if occupied and not overwrite:
        raise FileExistsError(f"output directory {out_dir} is not empty; {overwrite_hint} to replace "
                              f"the adderflow design in it (other files are kept)")
    return occupied


def _remove_previous_design(out_dir: Path) -> None:
    """Delete the files an earlier ``emit_program`` wrote here, and nothing else."""
    while (metadata_path := find_metadata(out_dir)) is not None:
        files = json.loads(metadata_path.read_text()).get("files", {})
        for key, file in files.items():
            own = out_dir / Path(file).name
            if own == metadata_path:
                continue
            if own.is_dir() and key in FOLDERS:
                shutil.rmtree(own, ignore_errors=True)
            elif own.is_file():
                own.unlink()
        metadata_path.unlink()
