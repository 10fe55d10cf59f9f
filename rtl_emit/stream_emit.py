"""StreamProgram -> one Verilog file: a module per kernel (``NAME_s0``, ``NAME_s1``, ...) and the top ``NAME``.

Each kernel is written by the parallel writer (``hdl_text`` in the Verilog dialect), pipelined by
``plan_pipeline`` for the user's target, with ``rst``, ``ce`` and the valid chain; a scan's kernel is
combinational (the state register closes its loop). The top module holds the glue, one block per stage
(``stream_glue``), and the ports of ``rtl_emit.stream_ports``.

Flow control is one global stall: every register of the design (kernel pipelines, line buffers,
counters, accumulators) advances on a clock edge only while ``en = !(out_valid && !out_ready)``,
and ``inp_ready = en``. A window stage with zero padding after its grid (``stream_glue``) takes extra
cycles for those positions (``s{i}_hold``); meanwhile every stage before it is stalled as well
(``en_s{j}``, and ``inp_ready`` low), so nothing upstream moves or is lost. So a beat moves on
``inp`` when ``inp_valid && inp_ready`` and on ``out`` when ``out_valid && out_ready``, and while the
output waits, nothing inside moves. The stall is a
combinational path from ``out_ready`` (and from ``out_valid``) to ``inp_ready``; when the last
stage is a ``collect``, ``out_valid`` itself follows ``inp_valid`` combinationally (the collected
vector leaves with its last position).
"""

from dataclasses import dataclass

from da_core.stream import StreamProgram

from . import ports as P
from .pipeline import PipelinePlan
from .ports import Interface, bus_width, check_name
from .stream_glue import STAGE_WRITERS, Glue, holds
from .verilog_backend import write as write_module

KERNEL_INTERFACE = Interface(reset=True, clock_enable=True, valid=True)
READY_IN, READY_OUT, ENABLE = "inp_ready", "out_ready", "en"


@dataclass(frozen=True)
class StreamText:
    """The Verilog of a stream design and what its glue costs, per stage."""

    text: str
    glue: tuple[Glue, ...]  # per stage


def kernel_name(name: str, stage: int) -> str:
    return f"{name}_s{stage}"


def write_stream(stream: StreamProgram, plans: list[PipelinePlan | None], name: str) -> StreamText:
    """The kernels' modules and the top module ``name``; ``plans[i]``: stage i's kernel plan (None: no kernel)."""
    check_name(name)
    modules = []
    for i, (stage, plan) in enumerate(zip(stream.stages, plans)):
        if stage.program is not None:
            interface = Interface(valid=False) if plan.combinational else KERNEL_INTERFACE
            text = write_module(stage.program, plan, kernel_name(name, i), interface)
            header = (f"// {kernel_name(name, i)}: the kernel of stage {i} ({stage.kind}) of {name}, written by "
                      f"adderflow (rtl_emit.verilog_backend); latency {plan.latency_cycles} clock cycles.")
            modules.append("\n".join([header] + text.split("\n")[2:]))
    body, glue = [], []
    holding = [i for i, stage in enumerate(stream.stages) if holds(stage)]
    body += [f"  wire s{i}_hold;  // stage {i} takes a position of its padding: the stages before it wait"
             for i in holding]
    enables = [_enable(ENABLE, [j for j in holding if j > i]) for i in range(len(stream.stages))]
    body += [f"  wire {en} = {expr};" for en, expr in {e: x for e, x in enables if x}.items()]
    data, valid = P.INPUT, P.INPUT_VALID
    for i, (stage, plan) in enumerate(zip(stream.stages, plans)):
        block = STAGE_WRITERS[stage.kind](stage, plan, i, kernel_name(name, i), data, valid, enables[i][0])
        body += [f"  // stage {i}: {stage.kind}" + (f" ({', '.join(stage.layers)})" if stage.layers else "")]
        body += block.lines
        glue.append(block.glue)
        data, valid = block.data, block.valid
    in_w, out_w = bus_width(stream.input_intervals), bus_width(stream.output_intervals)
    if not in_w or not out_w:
        raise ValueError(f"a stream design needs input and output bits (input bus {in_w}, output bus {out_w} bits)")
    ports = [f"  input wire {P.CLOCK}", f"  input wire {P.RESET}", f"  input wire [{in_w - 1}:0] {P.INPUT}",
             f"  input wire {P.INPUT_VALID}", f"  output wire {READY_IN}", f"  output wire [{out_w - 1}:0] {P.OUTPUT}",
             f"  output wire {P.OUTPUT_VALID}", f"  input wire {READY_OUT}"]
    top = [f"// {name}: a streamed design written by adderflow (rtl_emit.stream_emit). Ports, beats and element",
           f"// formats: {name}.md / {name}.json. One position per beat; a beat moves when valid && ready.",
           "`default_nettype none", f"module {name} (", ",\n".join(ports) + ");",
           f"  // the global stall: nothing moves while an output beat waits (combinational {READY_OUT} -> {READY_IN})",
           f"  wire {ENABLE} = !({P.OUTPUT_VALID} && !{READY_OUT});",
           f"  assign {READY_IN} = {_enable(ENABLE, holding)[1] or ENABLE};",
           *body, f"  assign {P.OUTPUT} = {data};", f"  assign {P.OUTPUT_VALID} = {valid};",
           "endmodule", "`default_nettype wire", ""]
    return StreamText("\n".join(modules + top), tuple(glue))


def _enable(en: str, holding: list[int]) -> tuple[str, str]:
    """The enable of a stage before the padded window stages ``holding``: its name and (if any) expression."""
    if not holding:
        return en, ""
    return f"{en}_s{holding[0]}", f"{en} && !({' || '.join(f's{j}_hold' for j in holding)})"
