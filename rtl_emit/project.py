"""Files that drop a design into an FPGA project: Markdown port description, Vivado TCL, XDC, testbench."""

import json
import math
from pathlib import Path

import numpy as np

from da_core.program import Program

from . import bus, timing, vivado
from .pipeline import PipelinePlan
from .ports import bus_elements, bus_offsets, bus_width

DEFAULT_PART = "xcvu13p-flga2577-2-e"  # an UltraScale+ part common in trigger studies; pass part= to change it
_TEMPLATES = Path(__file__).parent / "_templates"


def estimated_fmax_mhz(plan: PipelinePlan) -> float | None:
    """Clock frequency the delay model (``rtl_emit.timing``) expects; None when combinational."""
    if plan.combinational:
        return None
    return round(1000.0 / (plan.estimated_delay_ns + timing.REGISTER_OVERHEAD_NS), 1)


def constraint_period_ns(plan: PipelinePlan) -> float:
    """The period the XDC constrains: the requested one, else the estimate rounded up to 0.1 ns.

    For a combinational design: the input-to-output delay bound.
    """
    if plan.clock_period_ns is not None:
        return plan.clock_period_ns
    overhead = 0.0 if plan.combinational else timing.REGISTER_OVERHEAD_NS
    return _round_up_tenth(plan.estimated_delay_ns + overhead)


def _round_up_tenth(ns: float) -> float:
    """ns rounded up to 0.1 ns (at least 0.1)."""
    return math.ceil(ns * 10 - 1e-9) / 10 or 0.1


def vivado_tcl(meta: dict, part: str, verilog_sha256: str) -> str:
    """The out-of-context run; it writes its reports where ``rtl_emit.vivado`` reads them, stamped with the
    Verilog's SHA-256 so that reports of an earlier design in the same directory are not taken for these."""
    name, files = meta["name"], meta["files"]
    folder = vivado.REPORT_DIR.format(name=name)
    return f"""# Vivado out-of-context synthesis, placement and routing of {name} (written by adderflow).
# Run from any directory:  vivado -mode batch -source {files['tcl']} [-tclargs PART]
# Reports go to {folder}/ next to this script; `adderflow report` reads them.
set here [file dirname [file normalize [info script]]]
set part {part}
if {{$argc > 0}} {{ set part [lindex $argv 0] }}
set reports $here/{folder}
file mkdir $reports
file delete -force $reports/{vivado.STAMP}
create_project -in_memory -part $part
{"read_vhdl -vhdl2008" if meta["report"].get("hdl") == "vhdl" else "read_verilog"} $here/{files['verilog']}
read_xdc -mode out_of_context $here/{files['xdc']}
synth_design -top {name} -part $part -mode out_of_context -flatten_hierarchy full
report_utilization -file $reports/{vivado.UTILIZATION_SYNTH}
report_timing_summary -file $reports/{vivado.TIMING_SYNTH}
opt_design
place_design
route_design
report_utilization -file $reports/{vivado.UTILIZATION}
report_timing_summary -max_paths 10 -file $reports/{vivado.TIMING}
write_checkpoint -force $reports/{name}_routed.dcp
set stamp [open $reports/{vivado.STAMP} w]
puts $stamp {verilog_sha256}
close $stamp
"""


def xdc(meta: dict) -> str:
    period = meta["clock"]["period_ns"] if meta["clock"] else None
    head = f"# Constraints for {meta['name']} (written by adderflow), out-of-context synthesis.\n"
    if period is None:
        bound = _round_up_tenth(meta["report"]["estimated_delay_ns"])
        return head + (f"# Combinational design: bound the input-to-output delay.\n"
                       f"set_max_delay {bound} -from [all_inputs] -to [all_outputs]\n")
    target = meta["report"]["target"]
    origin = ("requested clock_period_ns" if target["clock_period_ns"] is not None
              else "adderflow's delay estimate, rounded up; edit to your clock")
    return head + (f"# Period {period} ns: {origin}.\n"
                   f"create_clock -period {period} -name clk [get_ports clk]\n"
                   f"set_property HD.CLK_SRC BUFGCTRL_X0Y0 [get_ports clk]\n")


def markdown(meta: dict) -> str:
    r, name = meta["report"], meta["name"]
    language = "VHDL-2008" if r.get("hdl") == "vhdl" else "Verilog"
    lines = [f"# {name}", "", f"Written by adderflow. {language}: `{meta['files']['verilog']}`; machine-readable "
             f"description: `{meta['files']['metadata']}`.", ""]
    if meta["combinational"]:
        lines += ["Combinational: no clock, no registers; `out` follows `inp` (latency 0).", ""]
    else:
        c = meta["clock"]
        lines += [f"Latency **{meta['latency_cycles']} clock cycles**, a new sample every clock (II = 1). "
                  f"The sample on `inp` at rising edge *t* is on `out` after edge *t* + {meta['latency_cycles']} - 1 "
                  f"and captured downstream at edge *t* + {meta['latency_cycles']}"
                  + (" (edges where `ce` is low do not count)" if c["clock_enable"] else "") + ".", ""]
    lines += ["| resource | value |", "|---|---|"]
    for key, label in (("adders", "adders"), ("lut_estimate", "LUTs (cost model)"),
                       ("multipliers", "multipliers (`*`, for DSPs)"), ("dsps", "DSP48E2s (cost model)"),
                       ("tables", "lookup tables (distinct ROMs)"), ("table_lookups", "table lookups"),
                       ("ff_bits", "FFs (register bits)"),
                       ("latency_cycles", "latency, clock cycles"), ("depth", "adder depth"),
                       ("estimated_delay_ns", "longest stage, estimated ns"),
                       ("estimated_fmax_mhz", "estimated Fmax, MHz")):
        lines.append(f"| {label} | {'n/a' if r.get(key) is None else r[key]} |")
    lines += yosys_rows(r.get("yosys", {}))
    lines += ["", "## Ports", "", "| port | direction | width | meaning |", "|---|---|---|---|"]
    for port, p in meta["ports"].items():
        if isinstance(p, dict):
            lines.append(f"| `{port}` | {p['direction']} | {p['width']} | {p['role']} |")
    lines += ["", f"Bus order: {meta['ports']['bus_order']}.", ""]
    lines += element_tables(meta, "Input elements (`inp`)", "Output elements (`out`)")
    files = meta["files"]
    lines += ["## Files", "",
              f"- `{files['tcl']}`: Vivado out-of-context synthesis: `vivado -mode batch -source {files['tcl']}`",
              f"- `{files['xdc']}`: the clock constraint",
              f"- `{files['testbench']}/`: cocotb + {'GHDL' if r.get('hdl') == 'vhdl' else 'Verilator'} testbench "
              "with stored vectors: "
              f"`python {files['testbench']}/run.py`",
              f"- `{files['program']}`: the adder program, for re-verification", ""]
    return "\n".join(lines)


def yosys_rows(y: dict) -> list[str]:
    """The Markdown resource table's rows of a Yosys report (or why there is none)."""
    if y.get("status") != "ok":
        return [f"| Yosys synth_xilinx | {y.get('status', 'not run')}: {y.get('reason', '')[:200]} |"]
    return [f"| Yosys synth_xilinx ({y['family']}): LUTs | {y['luts']} (+{y['srl']} SRL, {y['inv']} INV) |",
            f"| Yosys: CARRY cells | {y['carry']} |", f"| Yosys: DSP48E2s | {y.get('dsps', 0)} |",
            f"| Yosys: FFs | {y['ffs']} |", f"| Yosys: longest logic path, cells | {y['longest_path_cells']} |"]


def element_tables(meta: dict, input_title: str, output_title: str) -> list[str]:
    """Markdown tables of the input and output bus elements: where each sits and its fixed-point format."""
    lines = []
    for title, elements in ((input_title, meta["inputs"]), (output_title, meta["outputs"])):
        lines += [f"## {title}", "", "| element | bits | signed | int bits | frac bits | range |",
                  "|---|---|---|---|---|---|"]
        for e in elements:
            bits = f"[{e['lsb'] + e['width'] - 1}:{e['lsb']}]" if e["width"] else "(none: constant 0)"
            lines.append(f"| {e['index']} | {bits} | {'yes' if e['signed'] else 'no'} | {e['int_bits']} | "
                         f"{e['frac_bits']} | {e['lo']}..{e['hi']} x 2^{e['exp']} |")
        lines.append("")
    return lines


def write_testbench(tb_dir: Path, meta: dict, program: Program, n_samples: int, seed: int = 0) -> None:
    """The cocotb testbench, its runner and stored vectors (random inputs, the program's outputs)."""
    tb_dir.mkdir()
    codes = _random_codes(program, n_samples, seed)
    expected = program.run(codes) if n_samples else np.zeros((0, len(program.outputs)), np.int64)
    ports = meta["ports"]
    ins, outs = program.input_intervals, program.output_intervals
    np.savez(tb_dir / "vectors.npz",
             inp=bus.pack(codes, bus_elements(ins), bus_width(ins)),
             out=bus.pack(expected, bus_elements(outs), bus_width(outs)),
             out_lsb=np.array(bus_offsets(outs), np.int64),
             out_width=np.array([iv.width for iv in outs], np.int64),
             latency=meta["latency_cycles"], inp_width=ports["inp"]["width"], out_width_total=ports["out"]["width"],
             clk="clk" in ports, rst="rst" in ports, ce="ce" in ports, valid="inp_valid" in ports)
    (tb_dir / "test_design.py").write_text((_TEMPLATES / "test_design.py").read_text())
    run = (_TEMPLATES / "run.py").read_text()
    simulator = "ghdl" if meta["report"].get("hdl") == "vhdl" else "verilator"
    (tb_dir / "run.py").write_text(run.replace("@NAME@", meta["name"]).replace("@SOURCE@", meta["files"]["verilog"])
                                   .replace("@SIMULATOR@", simulator))
    (tb_dir / "config.json").write_text(json.dumps(dict(name=meta["name"], verilog=meta["files"]["verilog"],
                                                        n_samples=n_samples), indent=1))


def _random_codes(program: Program, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cols = []
    for iv in program.input_intervals:
        col = rng.integers(iv.lo, iv.hi + 1, n, dtype=np.int64)
        ends = rng.random(n) < 0.2
        col[ends] = np.where(rng.random(int(ends.sum())) < 0.5, iv.lo, iv.hi)
        cols.append(col)
    return np.stack(cols, axis=1) if cols else np.zeros((n, 0), np.int64)

