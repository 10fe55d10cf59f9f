"""Program + pipeline plan -> an Amaranth component -> one Verilog module.

Ports: ``clk`` (rising edge; no reset: the pipeline holds data only, and its
registers start at 0 in simulation), ``inp`` (every program input on one bus,
see ``ports``) and ``out`` (every program output on one bus).
"""

import re

from amaranth.back import verilog
from amaranth.hdl import Cat, ClockDomain, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from da_core.program import Program

from .ops import code_shape, const_value, op_value
from .pipeline import PipelinePlan, is_constant, live_values
from .ports import bus_offsets, bus_width

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ProgramCircuit(wiring.Component):
    """A program's ops as fully pipelined logic (initiation interval 1)."""

    def __init__(self, program: Program, plan: PipelinePlan):
        self.program, self.plan = program, plan
        super().__init__({"clk": In(1), "inp": In(bus_width(program.input_intervals)),
                          "out": Out(bus_width(program.output_intervals))})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = domain = ClockDomain("sync", reset_less=True)
        m.d.comb += domain.clk.eq(self.clk)
        program, plan = self.program, self.plan
        ops = program.ops
        input_lsb = bus_offsets(program.input_intervals)
        chains: dict[int, list] = {}  # root value -> its signal, then its registered copies

        def operand(a: int, stage: int):
            if is_constant(program, a):
                return const_value(ops[a].interval)
            root = plan.root[a]
            return chains[root][stage - plan.stage[root]]

        for v in live_values(program):
            op = ops[v]
            if is_constant(program, v) or op.kind == "shift":
                continue
            shape = code_shape(op.interval)
            if op.kind == "input":
                lsb = input_lsb[op.params[0]]
                bits = self.inp[lsb:lsb + shape.width]
                value = bits.as_signed() if shape.signed else bits
            else:
                value = Signal(shape, name=f"v{v}")
                m.d.comb += value.eq(op_value(op, [operand(a, plan.stage[v]) for a in op.args],
                                              [ops[a].interval for a in op.args]))
            chain = [value]
            for k in range(1, plan.delay[v] + 1):
                reg = Signal(shape, name=f"v{v}_d{k}", reset_less=True)
                m.d.sync += reg.eq(chain[-1])
                chain.append(reg)
            chains[v] = chain

        pieces = [const_value(ops[v].interval) if is_constant(program, v)
                  else chains[plan.root[v]][plan.output_delay(v)] for v in program.outputs]
        if pieces:
            m.d.comb += self.out.eq(Cat(*pieces))
        return m


def to_verilog(program: Program, plan: PipelinePlan, name: str) -> str:
    """The Verilog text of one module called ``name``."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"design name {name!r} is not a Verilog identifier (letters, digits, _; no leading digit)")
    text = verilog.convert(ProgramCircuit(program, plan), name=name, emit_src=False)
    if f"module {name}(" not in text:  # Yosys escapes names that are (System)Verilog keywords
        raise ValueError(f"design name {name!r} is a Verilog keyword; choose another name")
    return text
