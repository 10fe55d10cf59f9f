"""A design on disk: the Verilog, its metadata and the program it was made from.

An output directory holds, for a design called NAME:

- ``NAME.v``: one Verilog module (ports in ``NAME.md``);
- ``NAME.json``: ports, every bus element's fixed-point format, latency, resources;
- ``NAME.md``: the same for people;
- ``NAME_ooc.tcl`` and ``NAME.xdc``: Vivado out-of-context synthesis and the clock constraint;
- ``tb/``: a cocotb + Verilator testbench with stored vectors that a user can rerun
  (``python tb/run.py``);
- ``program.json``: the solved program, so the design can be re-verified later;

plus the simulator builds that ``sim`` adds (``sim_build/``, ``model_build/``).
Those are the only files adderflow writes or replaces there.
"""

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from da_core.program import Program

from . import amaranth_backend, project, verilog_backend
from .pipeline import PipelinePlan, plan_pipeline
from .ports import Interface, bus_width, check_name, element_descriptions

FORMAT = "adderflow.design/1"
PROGRAM_FILE = "program.json"
SIM_BUILD_DIR = "sim_build"
MODEL_BUILD_DIR = "model_build"
TESTBENCH_DIR = "tb"
LATENCY_CONVENTION = ("the input presented before rising edge t gives the output that is stable after edge "
                      "t + latency_cycles - 1 and is captured downstream at edge t + latency_cycles; "
                      "a new input every clock (initiation interval 1); with a clock enable, only edges "
                      "where ce is high count; latency 0: the output follows the input combinationally")
_DEFAULT = object()  # latency_cutoff not given
DEFAULT_LATENCY_CUTOFF = 5  # adder levels per pipeline stage: a few ns of carry chains on UltraScale+
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
        return (f"Design({self.name!r} in {str(self.out_dir)!r}: {len(self.program.inputs)} inputs, "
                f"{len(self.program.outputs)} outputs, latency {self.latency_cycles} cycles, "
                f"{r['adders']} adders, cost {r['cost']} LUTs (estimate), {r['ff_bits']} FF bits)")

    @property
    def metadata(self) -> dict:
        return json.loads(self.metadata_path.read_text())

    def path(self, key: str) -> Path:
        """A file of the design by its key in ``metadata['files']`` (verilog, markdown, tcl, xdc, testbench, ...)."""
        return Path(self.out_dir) / self.metadata["files"][key]

    @classmethod
    def load(cls, out_dir: str | Path) -> "Design":
        """The design written into ``out_dir`` by ``emit_program`` (without its network)."""
        out_dir = Path(out_dir)
        metadata_path = _find_metadata(out_dir)
        if metadata_path is None:
            raise FileNotFoundError(f"no adderflow design in {out_dir} (no metadata .json of format {FORMAT})")
        meta = json.loads(metadata_path.read_text())
        return cls(meta["name"], out_dir, Program.load(out_dir / meta["files"]["program"]), meta["latency_cycles"],
                   out_dir / meta["files"]["verilog"], metadata_path, meta["report"])


def emit_program(program: Program, out_dir: str | Path, name: str = "adderflow_top", latency_cutoff=_DEFAULT,
                 overwrite: bool = False, network: Any = None, *, latency_cutoff_ns: float | None = None,
                 clock_period_ns: float | None = None, combinational: bool = False, reset: bool = False,
                 clock_enable: bool = False, valid: bool = True, part: str = project.DEFAULT_PART,
                 testbench_samples: int = 256, backend: str = "auto", yosys: bool = False) -> Design:
    """Write ``program`` as a pipelined Verilog module ``name`` with metadata and project files into ``out_dir``.

    Register placement (at most one target; see ``rtl_emit.pipeline``): ``latency_cutoff`` in adder
    levels per stage (default 5; None: one stage), ``latency_cutoff_ns`` in estimated ns of logic per
    stage, ``clock_period_ns`` (the stage budget is the period less the register overhead, and the
    XDC constrains that period), or ``combinational=True`` (no registers, no clock).
    Ports: ``reset`` adds a synchronous ``rst``, ``clock_enable`` a ``ce``, ``valid`` the
    ``inp_valid``/``out_valid`` pair (see ``rtl_emit.ports.Interface``). ``part`` goes into the
    Vivado TCL. ``testbench_samples`` random input samples (with expected outputs from the
    program) are stored for ``tb/``. ``backend``: "amaranth" (``emit.ProgramCircuit`` through
    Amaranth's Verilog back end), "direct" (``verilog_writer``: the same module written as text,
    for large designs) or "auto" (direct above AUTO_DIRECT_ADDERS adders). Refuses a non-empty ``out_dir`` unless ``overwrite=True``,
    which replaces only adderflow's own files.
    """
    out_dir = Path(out_dir)
    check_name(name)
    occupied = check_out_dir(out_dir, overwrite)
    if latency_cutoff is _DEFAULT:
        other_target = latency_cutoff_ns is not None or clock_period_ns is not None or combinational
        latency_cutoff = None if other_target else DEFAULT_LATENCY_CUTOFF
    plan = plan_pipeline(program, latency_cutoff, latency_cutoff_ns=latency_cutoff_ns,
                         clock_period_ns=clock_period_ns, combinational=combinational)
    interface = Interface(reset=reset, clock_enable=clock_enable, valid=valid)
    if backend == "auto":
        large = program.n_adders > AUTO_DIRECT_ADDERS
        backend = "direct" if large else "amaranth"
    if backend == "amaranth":
        verilog = amaranth_backend.write(program, plan, name, interface)
    elif backend == "direct":
        verilog = verilog_backend.write(program, plan, name, interface)
    else:
        raise ValueError(f"backend must be 'auto', 'amaranth' or 'direct', got {backend!r}")
    if occupied:
        _remove_previous_design(out_dir)
    files = _file_names(name)
    for path in (out_dir / f for f in files.values()):
        if path.exists():
            raise FileExistsError(f"{path} exists and was not written by adderflow; move it, or choose another "
                                  f"name or directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = _metadata(program, plan, interface, name, files)
    meta["report"]["backend"] = backend
    (out_dir / files["verilog"]).write_text(verilog)
    program.save(out_dir / PROGRAM_FILE)
    metadata_path = out_dir / files["metadata"]
    metadata_path.write_text(json.dumps(meta, indent=1))
    (out_dir / files["markdown"]).write_text(project.markdown(meta))
    (out_dir / files["tcl"]).write_text(project.vivado_tcl(meta, part))
    (out_dir / files["xdc"]).write_text(project.xdc(meta))
    project.write_testbench(out_dir / files["testbench"], meta, program, testbench_samples)
    design = Design(name, out_dir, program, plan.latency_cycles, out_dir / files["verilog"], metadata_path,
                    meta["report"], network)
    if yosys:
        from .yosys import yosys_report

        yosys_report(design)
    return design


def check_out_dir(out_dir: Path, overwrite: bool) -> bool:
    """Refuse a non-empty ``out_dir`` unless ``overwrite``; returns whether it holds files."""
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    occupied = out_dir.exists() and any(out_dir.iterdir())
    if occupied and not overwrite:
        raise FileExistsError(f"output directory {out_dir} is not empty; pass overwrite=True to replace "
                              f"the adderflow design in it (other files are kept)")
    return occupied


def _file_names(name: str) -> dict:
    return dict(verilog=f"{name}.v", metadata=f"{name}.json", markdown=f"{name}.md", tcl=f"{name}_ooc.tcl",
                xdc=f"{name}.xdc", testbench=TESTBENCH_DIR, program=PROGRAM_FILE, sim_build=SIM_BUILD_DIR,
                model_build=MODEL_BUILD_DIR)


def _metadata(program: Program, plan: PipelinePlan, interface: Interface, name: str, files: dict) -> dict:
    ins, outs = program.input_intervals, program.output_intervals
    report = dict(adders=program.n_adders, cost=program.cost, lut_estimate=program.cost, depth=program.depth,
                  latency_cutoff=plan.latency_cutoff, pipeline_stages=plan.n_stages,
                  latency_cycles=plan.latency_cycles, ff_bits=plan.ff_bits + interface.valid * plan.latency_cycles,
                  data_ff_bits=plan.ff_bits, estimated_delay_ns=plan.estimated_delay_ns,
                  estimated_fmax_mhz=project.estimated_fmax_mhz(plan), target=plan.target,
                  yosys=dict(status="not run", reason="emit with yosys=True or call rtl_emit.yosys_report(design)"))
    port_list = interface.ports(plan.combinational)
    descriptions = dict(
        clk=dict(direction="input", width=1, role="clock, rising edge"),
        rst=dict(direction="input", width=1, role="synchronous reset, active high; clears the valid pipeline"),
        ce=dict(direction="input", width=1, role="clock enable, active high; low: every register holds"),
        inp=dict(direction="input", width=bus_width(ins), elements=len(ins), role="input bus"),
        inp_valid=dict(direction="input", width=1, role="inp holds a sample"),
        out=dict(direction="output", width=bus_width(outs), elements=len(outs), role="output bus"),
        out_valid=dict(direction="output", width=1,
                       role="inp_valid, passed through (combinational)" if plan.combinational else
                       f"out holds the result of the sample that entered {plan.latency_cycles} enabled clock "
                       f"edges earlier"))
    ports = {p: descriptions[p] for p in port_list}
    ports["bus_order"] = ("element 0 in the least significant bits, element j above elements 0..j-1; each element "
                          "a two's complement code (signed elements) or plain binary code, value = code * 2**exp")
    clock = None if plan.combinational else dict(
        port="clk", edge="rising", reset="rst" if interface.reset else None,
        reset_kind="synchronous, active high, clears valid only" if interface.reset else None,
        clock_enable="ce" if interface.clock_enable else None, initiation_interval=1,
        period_ns=project.constraint_period_ns(plan), latency_convention=LATENCY_CONVENTION)
    return dict(
        format=FORMAT, name=name, latency_cycles=plan.latency_cycles, combinational=plan.combinational,
        clock=clock, interface=dict(reset=interface.reset, clock_enable=interface.clock_enable, valid=interface.valid),
        ports=ports, inputs=element_descriptions(ins), outputs=element_descriptions(outs),
        files=files, report=report)


def _find_metadata(out_dir: Path) -> Path | None:
    for path in sorted(out_dir.glob("*.json")):
        try:
            if json.loads(path.read_text()).get("format") == FORMAT:
                return path
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            continue
    return None


def _remove_previous_design(out_dir: Path) -> None:
    """Delete the files an earlier ``emit_program`` wrote here, and nothing else."""
    while (metadata_path := _find_metadata(out_dir)) is not None:
        files = json.loads(metadata_path.read_text()).get("files", {})
        for key, file in files.items():
            own = out_dir / Path(file).name
            if own == metadata_path:
                continue
            if own.is_dir() and key in ("sim_build", "model_build", "testbench"):
                shutil.rmtree(own, ignore_errors=True)
            elif own.is_file():
                own.unlink()
        metadata_path.unlink()
