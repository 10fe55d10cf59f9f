"""A design on disk: the Verilog, its metadata and the program it was made from.

An output directory holds ``<name>.v``, ``<name>.json`` (ports, formats,
latency, resources) and ``program.json`` (so the design can be re-verified
later), plus the simulator build that ``sim`` adds. Those are the only files
adderflow writes or replaces there.
"""

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from da_core.program import Program

from .emit import to_verilog
from .pipeline import PipelinePlan, plan_pipeline
from .ports import bus_width, element_descriptions

FORMAT = "adderflow.design/1"
PROGRAM_FILE = "program.json"
SIM_BUILD_DIR = "sim_build"
LATENCY_CONVENTION = ("the input presented before rising edge t gives the output that is stable after edge "
                      "t + latency_cycles - 1 and is captured downstream at edge t + latency_cycles; "
                      "a new input every clock (initiation interval 1)")


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


def emit_program(program: Program, out_dir: str | Path, name: str = "adderflow_top", latency_cutoff: int | None = 5,
                 overwrite: bool = False, network: Any = None) -> Design:
    """Write ``program`` as a pipelined Verilog module ``name`` with metadata into ``out_dir``.

    ``latency_cutoff`` is in adder levels per pipeline stage (None: one stage). Refuses a
    non-empty ``out_dir`` unless ``overwrite=True``, which replaces only adderflow's own files.
    """
    out_dir = Path(out_dir)
    occupied = check_out_dir(out_dir, overwrite)
    plan = plan_pipeline(program, latency_cutoff)
    verilog = to_verilog(program, plan, name)
    if occupied:
        _remove_previous_design(out_dir)
    verilog_path, metadata_path = out_dir / f"{name}.v", out_dir / f"{name}.json"
    for path in (verilog_path, metadata_path, out_dir / PROGRAM_FILE, out_dir / SIM_BUILD_DIR):
        if path.exists():
            raise FileExistsError(f"{path} exists and was not written by adderflow; move it, or choose another "
                                  f"name or directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = _metadata(program, plan, name, verilog_path.name)
    verilog_path.write_text(verilog)
    program.save(out_dir / PROGRAM_FILE)
    metadata_path.write_text(json.dumps(meta, indent=1))
    return Design(name, out_dir, program, plan.latency_cycles, verilog_path, metadata_path, meta["report"], network)


def check_out_dir(out_dir: Path, overwrite: bool) -> bool:
    """Refuse a non-empty ``out_dir`` unless ``overwrite``; returns whether it holds files."""
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    occupied = out_dir.exists() and any(out_dir.iterdir())
    if occupied and not overwrite:
        raise FileExistsError(f"output directory {out_dir} is not empty; pass overwrite=True to replace "
                              f"the adderflow design in it (other files are kept)")
    return occupied


def _metadata(program: Program, plan: PipelinePlan, name: str, verilog_file: str) -> dict:
    ins, outs = program.input_intervals, program.output_intervals
    report = dict(adders=program.n_adders, cost=program.cost, depth=program.depth, latency_cutoff=plan.latency_cutoff,
                  pipeline_stages=plan.n_stages, latency_cycles=plan.latency_cycles, ff_bits=plan.ff_bits)
    return dict(
        format=FORMAT, name=name, latency_cycles=plan.latency_cycles,
        clock=dict(port="clk", edge="rising", reset=None, initiation_interval=1, latency_convention=LATENCY_CONVENTION),
        ports=dict(clk=dict(direction="input", width=1),
                   inp=dict(direction="input", width=bus_width(ins), elements=len(ins)),
                   out=dict(direction="output", width=bus_width(outs), elements=len(outs)),
                   bus_order="element 0 in the least significant bits; each element a two's complement code, "
                             "value = code * 2**exp"),
        inputs=element_descriptions(ins), outputs=element_descriptions(outs),
        files=dict(verilog=verilog_file, program=PROGRAM_FILE, sim_build=SIM_BUILD_DIR),
        report=report)


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
        own = {key: out_dir / Path(files[key]).name for key in ("verilog", "program", "sim_build") if key in files}
        for key in ("verilog", "program"):
            if key in own:
                own[key].unlink(missing_ok=True)
        if "sim_build" in own:
            shutil.rmtree(own["sim_build"], ignore_errors=True)
        metadata_path.unlink()
