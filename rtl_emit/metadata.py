"""The metadata schema: what a design's ``NAME.json`` holds, written by ``describe``, read by ``Metadata``.

Readers outside this package (``sim``, a user's tools) go through ``Metadata``'s
attributes instead of spelling JSON keys, so the schema has one owner: this module.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from da_core.program import Program

from . import project
from .pipeline import PipelinePlan
from .ports import BusElement, Interface, bus_elements, bus_width
from .yosys import VHDL_NO_YOSYS

FORMAT = "adderflow.design/1"
LATENCY_CONVENTION = ("the input presented before rising edge t gives the output that is stable after edge "
                      "t + latency_cycles - 1 and is captured downstream at edge t + latency_cycles; "
                      "a new input every clock (initiation interval 1); with a clock enable, only edges "
                      "where ce is high count; latency 0: the output follows the input combinationally")
FOLDERS = ("testbench", "sim_build", "model_build")  # the roles in DesignFiles that are folders


@dataclass(frozen=True)
class DesignFiles:
    """The files and folders of a design in its output directory, relative to it, by role."""

    verilog: str  # the HDL source: NAME.v, or NAME.vhd for a VHDL design
    metadata: str
    markdown: str
    tcl: str
    xdc: str
    testbench: str  # the cocotb testbench with stored vectors
    program: str  # the solved program, for re-verification
    sim_build: str  # the cocotb Verilator build that ``sim`` adds
    model_build: str  # the compiled model that ``sim.CompiledModel`` adds

    @classmethod
    def for_name(cls, name: str, hdl: str = "verilog") -> "DesignFiles":
        return cls(verilog=f"{name}.vhd" if hdl == "vhdl" else f"{name}.v",
                   metadata=f"{name}.json", markdown=f"{name}.md", tcl=f"{name}_ooc.tcl",
                   xdc=f"{name}.xdc", testbench="tb", program="program.json", sim_build="sim_build",
                   model_build="model_build")


@dataclass(frozen=True)
class Metadata:
    """What a simulator or wrapper needs from a design's metadata, read back from ``NAME.json``."""

    name: str
    latency_cycles: int
    ports: tuple[str, ...]  # port names in module order
    inp_width: int  # bits of the input bus
    out_width: int
    inputs: tuple[BusElement, ...]
    outputs: tuple[BusElement, ...]
    files: DesignFiles
    report: dict
    clock_period_ns: float | None = None  # the XDC's period; None when combinational
    io: str = "parallel"  # "stream": one position per beat, with ready ports (``rtl_emit.stream_meta``)
    stream: dict | None = None  # a stream design's "stream" section

    @classmethod
    def from_dict(cls, meta: dict) -> "Metadata":
        if meta.get("format") != FORMAT:
            raise ValueError(f"not adderflow design metadata: format {meta.get('format')!r}, expected {FORMAT!r}")
        ports = {k: p for k, p in meta["ports"].items() if isinstance(p, dict)}
        return cls(meta["name"], meta["latency_cycles"], tuple(ports), ports["inp"]["width"], ports["out"]["width"],
                   tuple(BusElement(**e) for e in meta["inputs"]), tuple(BusElement(**e) for e in meta["outputs"]),
                   DesignFiles(**meta["files"]), meta["report"], (meta.get("clock") or {}).get("period_ns"),
                   meta.get("io", "parallel"), meta.get("stream"))

    @property
    def hdl(self) -> str:
        """The language of the design's source: "verilog" or "vhdl"."""
        return self.report.get("hdl", "verilog")

    @classmethod
    def load(cls, path: str | Path) -> "Metadata":
        return cls.from_dict(json.loads(Path(path).read_text()))


def find_metadata(out_dir: Path) -> Path | None:
    """The design metadata file in ``out_dir`` (a ``.json`` of this module's FORMAT), None if there is none."""
    for path in sorted(Path(out_dir).glob("*.json")):
        try:
            if json.loads(path.read_text()).get("format") == FORMAT:
                return path
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            continue
    return None


def describe(program: Program, plan: PipelinePlan, interface: Interface, name: str, files: DesignFiles,
             hdl: str = "verilog") -> dict:
    """The metadata of a design, as written to ``NAME.json``."""
    ins, outs = program.input_intervals, program.output_intervals
    report = dict(adders=program.n_adders, lut_estimate=program.cost, multipliers=len(program.multipliers),
                  dsps=program.dsps, tables=len(program.tables),
                  table_lookups=sum(op.kind == "lut" for op in program.ops), depth=program.depth,
                  latency_cutoff=plan.latency_cutoff, latency_cycles=plan.latency_cycles,
                  ff_bits=plan.ff_bits + interface.valid * plan.latency_cycles,
                  data_ff_bits=plan.ff_bits, estimated_delay_ns=plan.estimated_delay_ns,
                  estimated_fmax_mhz=project.estimated_fmax_mhz(plan), target=plan.target,
                  hdl=hdl, yosys=dict(status="unavailable", reason=VHDL_NO_YOSYS) if hdl == "vhdl" else
                  dict(status="not run", reason="emit with yosys=True or call rtl_emit.yosys_report(design)"))
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
    ports = {p: descriptions[p] for p in interface.ports(plan.combinational)}
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
        ports=ports, inputs=[asdict(e) for e in bus_elements(ins)], outputs=[asdict(e) for e in bus_elements(outs)],
        files=asdict(files), report=report)
