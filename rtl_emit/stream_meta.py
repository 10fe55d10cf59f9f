"""The metadata, Markdown and stored testbench of a stream design (``io="stream"``).

The JSON keeps the parallel schema (``rtl_emit.metadata``: ports, bus elements of one beat, files,
report) and adds ``"io": "stream"`` and a ``"stream"`` section: grid, beats per sample, initiation
interval, latency, flow control and per stage its kind, layers, adders, LUT estimate and FFs.
"""

import json
import math
from dataclasses import asdict
from math import prod
from pathlib import Path

import numpy as np

from da_core.stream import StreamProgram

from . import bus, timing
from .metadata import FORMAT, DesignFiles
from .pipeline import PipelinePlan
from .project import element_tables, yosys_rows
from .ports import bus_elements, bus_offsets, bus_width
from .stream_glue import Glue, holds, padding_cycles, padding_tail

_TEMPLATES = Path(__file__).parent / "_templates"
LATENCY_CONVENTION = ("the sample whose last input beat moves at rising edge t has its last output beat on out after "
                      "edge t + latency_cycles - 1, moving at edge t + latency_cycles when out_ready is high (without "
                      "stalls; latency 0: with the input beat). Fewer cycles where a window's last position is not "
                      "the grid's last (the last window then closes earlier) or where zero-padded window stages other "
                      "than the first stage insert cycles (the latency is then an upper bound)")
FLOW_CONTROL = ("one global stall: every register advances only on edges where en = !(out_valid && !out_ready); "
                "inp_ready = en, a combinational path from out_ready and out_valid. A beat moves when valid && ready; "
                "gaps in inp_valid are allowed anywhere; rst (synchronous) drops a partial sample")


def describe_stream(stream: StreamProgram, plans: list[PipelinePlan | None], glue: tuple[Glue, ...], name: str,
                    files: DesignFiles, clock_period_ns: float | None) -> dict:
    """The metadata of a stream design, as written to ``NAME.json``."""
    stages = []
    for i, (stage, plan, g) in enumerate(zip(stream.stages, plans, glue)):
        p = stage.program
        kernel_ff = 0 if plan is None else plan.ff_bits + (0 if plan.combinational else plan.latency_cycles)
        stages.append(dict(
            index=i, kind=stage.kind, layers=list(stage.layers), grid=list(stage.grid), out_grid=list(stage.out_grid),
            window=list(stage.window), stride=list(stage.stride), padding=[list(x) for x in stage.padding],
            padding_cycles=padding_cycles(stage), reduction=stage.reduction or None,
            module=None if p is None else f"{name}_s{i}", adders=0 if p is None else p.n_adders,
            kernel_lut_estimate=0 if p is None else p.cost, glue_lut_estimate=g.lut_estimate,
            lut_estimate=(0 if p is None else p.cost) + g.lut_estimate, kernel_ff_bits=kernel_ff,
            glue_ff_bits=g.ff_bits, ff_bits=kernel_ff + g.ff_bits, glue_parts=g.parts,
            depth=0 if p is None else p.depth, latency_cycles=g.latency_cycles,
            estimated_delay_ns=None if plan is None else plan.estimated_delay_ns))
    kernels = [s.program for s in stream.stages if s.program is not None]
    latency = sum(g.latency_cycles for g in glue)
    padded = [i for i, st in enumerate(stream.stages) if holds(st)]
    if padded not in ([], [0]):  # a later padded stage's inserted cycles may fall into a sample's flush: a bound
        latency += sum(padding_cycles(st) - padding_tail(st) for st in stream.stages)
    beats, out_beats = stream.stages[0].n_positions, prod(stream.out_grid)
    ii = beats + sum(padding_cycles(st) for st in stream.stages)  # a padded window's extra cycles stall the input
    delay = max((p.estimated_delay_ns for p in plans if p is not None), default=0.0)
    period = clock_period_ns or math.ceil((delay + timing.REGISTER_OVERHEAD_NS) * 10 - 1e-9) / 10
    pipelined = [p for p in plans if p is not None and not p.combinational]
    target = pipelined[0].target if pipelined else dict(mode="combinational kernels only", latency_cutoff=None,
                                                         latency_cutoff_ns=None, clock_period_ns=clock_period_ns)
    report = dict(
        io="stream", adders=stream.n_adders, lut_estimate=sum(s["lut_estimate"] for s in stages),
        kernel_lut_estimate=stream.cost, glue_lut_estimate=sum(g.lut_estimate for g in glue),
        multipliers=sum(len(p.multipliers) for p in kernels), dsps=sum(p.dsps for p in kernels),
        tables=sum(len(p.tables) for p in kernels),
        table_lookups=sum(op.kind == "lut" for p in kernels for op in p.ops),
        depth=max((p.depth for p in kernels), default=0), latency_cutoff=target.get("latency_cutoff"),
        latency_cycles=latency, initiation_interval_cycles=ii, ff_bits=sum(s["ff_bits"] for s in stages),
        glue_ff_bits=sum(g.ff_bits for g in glue), estimated_delay_ns=delay,
        estimated_fmax_mhz=round(1000.0 / (delay + timing.REGISTER_OVERHEAD_NS), 1), target=target, hdl="verilog",
        yosys=dict(status="not run", reason="emit with yosys=True or call rtl_emit.yosys_report(design)"))
    ins, outs = stream.input_intervals, stream.output_intervals
    ports = dict(
        clk=dict(direction="input", width=1, role="clock, rising edge"),
        rst=dict(direction="input", width=1, role="synchronous reset, active high; clears counters and valid bits "
                                                  "(a partial sample is dropped)"),
        inp=dict(direction="input", width=bus_width(ins), elements=len(ins), role="one input position (beat)"),
        inp_valid=dict(direction="input", width=1, role="inp holds a beat"),
        inp_ready=dict(direction="output", width=1, role="the design takes the beat on inp at this edge "
                                                         "(combinational from out_ready and out_valid)"),
        out=dict(direction="output", width=bus_width(outs), elements=len(outs), role="one output position (beat)"),
        out_valid=dict(direction="output", width=1, role="out holds a beat"),
        out_ready=dict(direction="input", width=1, role="downstream takes the beat on out at this edge"),
        bus_order=("element 0 in the least significant bits, element j above elements 0..j-1; each element a two's "
                   "complement code (signed elements) or plain binary code, value = code * 2**exp"))
    clock = dict(port="clk", edge="rising", reset="rst", reset_kind="synchronous, active high, clears counters and "
                 "valid bits", clock_enable=None, initiation_interval=ii, period_ns=period,
                 latency_convention=LATENCY_CONVENTION)
    exact = padded in ([], [0]) and all((g - w) % s == 0 for st in stream.stages if st.kind == "window"
                                        for g, w, s in zip(st.padded_grid, st.window, st.stride))
    section = dict(grid=list(stream.grid), out_grid=list(stream.out_grid), beats_per_sample=beats,
                   out_beats_per_sample=out_beats, initiation_interval_cycles=ii, latency_cycles=latency,
                   latency_exact=exact, latency_convention=LATENCY_CONVENTION, flow_control=FLOW_CONTROL,
                   beat_order="positions row-major (the last grid axis fastest), samples back to back; a sample's "
                              "codes in the parallel design's order are its beats one after the other",
                   stages=stages)
    return dict(format=FORMAT, name=name, io="stream", latency_cycles=latency, combinational=False, clock=clock,
                interface=dict(reset=True, clock_enable=False, valid=True, ready=True), ports=ports,
                inputs=[asdict(e) for e in bus_elements(ins)], outputs=[asdict(e) for e in bus_elements(outs)],
                files=asdict(files), report=report, stream=section)


def markdown(meta: dict) -> str:
    """The design's Markdown description for people."""
    r, s, name = meta["report"], meta["stream"], meta["name"]
    lines = [f"# {name} (streamed)", "", f"Written by adderflow. Verilog: `{meta['files']['verilog']}` (the top module "
             f"`{name}` and one module per kernel); machine-readable description: `{meta['files']['metadata']}`.", "",
             f"A sample is **{s['beats_per_sample']} beats** on `inp` (grid {tuple(s['grid'])}, {s['beat_order']}); "
             f"it gives {s['out_beats_per_sample']} beat(s) on `out`. Initiation interval "
             f"**{s['initiation_interval_cycles']} cycles** per sample, latency **{s['latency_cycles']} cycles**: "
             f"{s['latency_convention']}.", "", f"Flow control: {s['flow_control']}.", "",
             "| resource | value |", "|---|---|"]
    for key, label in (("adders", "adders (kernels, each built once)"), ("lut_estimate", "LUTs (cost model + glue)"),
                       ("kernel_lut_estimate", "kernel LUTs (cost model)"),
                       ("glue_lut_estimate", "glue LUTs (estimate)"),
                       ("dsps", "DSP48E2s (cost model)"), ("ff_bits", "FFs (register bits)"),
                       ("glue_ff_bits", "glue FFs (line buffers, counters, accumulators)"),
                       ("latency_cycles", "latency, clock cycles"),
                       ("initiation_interval_cycles", "initiation interval, cycles"),
                       ("estimated_fmax_mhz", "estimated Fmax, MHz (kernels)")):
        lines.append(f"| {label} | {'n/a' if r.get(key) is None else r[key]} |")
    lines += yosys_rows(r.get("yosys", {}))
    lines += ["", "## Stages", "", "| stage | kind | layers | grid in -> out | adders | LUTs | FFs | latency |",
              "|---|---|---|---|---|---|---|---|"]
    for st in s["stages"]:
        lines.append(f"| {st['index']} | {st['kind']} | {', '.join(st['layers'])} | {tuple(st['grid'])} -> "
                     f"{tuple(st['out_grid'])} | {st['adders']} | {st['lut_estimate']} | {st['ff_bits']} | "
                     f"{st['latency_cycles']} |")
    lines += ["", "## Ports", "", "| port | direction | width | meaning |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {p['direction']} | {p['width']} | {p['role']} |" for k, p in meta["ports"].items()
              if isinstance(p, dict)]
    lines += ["", f"Bus order: {meta['ports']['bus_order']}.", ""]
    lines += element_tables(meta, "Input elements of a beat (`inp`)", "Output elements of a beat (`out`)")
    files = meta["files"]
    lines += ["## Files", "",
              f"- `{files['tcl']}`: Vivado out-of-context synthesis: `vivado -mode batch -source {files['tcl']}`",
              f"- `{files['xdc']}`: the clock constraint",
              f"- `{files['testbench']}/`: cocotb + Verilator port tests with stored samples (back to back, gaps and "
              f"backpressure, reset mid-sample): `python {files['testbench']}/run.py`",
              f"- `{files['program']}`: the stream program (`StreamProgram.load`), for re-verification", ""]
    return "\n".join(lines)


def write_stream_testbench(tb_dir: Path, meta: dict, stream: StreamProgram, n_samples: int, seed: int = 0) -> None:
    """The cocotb testbench (``_templates/test_stream_design.py``), its runner and stored beats."""
    tb_dir.mkdir()
    rng = np.random.default_rng(seed)
    ivs = stream.sample_intervals()
    codes = np.stack([rng.integers(iv.lo, iv.hi + 1, n_samples) for iv in ivs], axis=1) if n_samples else \
        np.zeros((0, len(ivs)), np.int64)
    save_beats(tb_dir / "vectors.npz", meta, stream, codes, stream.run(codes))
    (tb_dir / "test_design.py").write_text((_TEMPLATES / "test_stream_design.py").read_text())
    run = (_TEMPLATES / "run.py").read_text()
    (tb_dir / "run.py").write_text(run.replace("@NAME@", meta["name"]).replace("@SOURCE@", meta["files"]["verilog"])
                                   .replace("@SIMULATOR@", "verilator"))
    (tb_dir / "config.json").write_text(json.dumps(dict(name=meta["name"], verilog=meta["files"]["verilog"],
                                                        n_samples=n_samples, io="stream"), indent=1))


def save_beats(path: Path, meta: dict, stream: StreamProgram, codes: np.ndarray, expected: np.ndarray) -> None:
    """Whole samples' codes and expected outputs as packed beats, for ``test_stream_design.py``."""
    ins, outs = stream.input_intervals, stream.output_intervals
    n, s = len(codes), meta["stream"]
    np.savez(path, inp=bus.pack(codes.reshape(-1, len(ins)), bus_elements(ins), bus_width(ins)),
             out=bus.pack(expected.reshape(-1, len(outs)), bus_elements(outs), bus_width(outs)),
             out_lsb=np.array(bus_offsets(outs), np.int64), out_width=np.array([iv.width for iv in outs], np.int64),
             n_samples=n, beats=s["beats_per_sample"], out_beats=s["out_beats_per_sample"],
             latency=meta["latency_cycles"], latency_exact=s["latency_exact"], ii=s["initiation_interval_cycles"])
