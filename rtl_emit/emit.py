"""Program + pipeline plan -> an Amaranth component -> one Verilog module.

Ports (``ports.Interface``): ``clk`` (rising edge; absent when combinational),
optional ``rst`` (synchronous, clears the valid pipeline) and ``ce`` (clock
enable: all registers hold while low), ``inp`` (every program input on one bus,
see ``ports``), ``inp_valid``, ``out`` (every program output on one bus) and
``out_valid``. Data registers carry no reset and start at 0 in simulation.
"""

import re

from amaranth.back import verilog
from amaranth.hdl import Cat, ClockDomain, EnableInserter, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from da_core.program import Program

from . import ports as P
from .ops import code_shape, const_value, op_value
from .pipeline import PipelinePlan, is_constant, live_values
from .ports import Interface, bus_offsets, bus_width

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ProgramCircuit(wiring.Component):
    """A program's ops as fully pipelined logic (initiation interval 1)."""

    def __init__(self, program: Program, plan: PipelinePlan, interface: Interface = Interface()):
        interface.check(plan.combinational)
        self.program, self.plan, self.interface = program, plan, interface
        members = {P.CLOCK: In(1), P.RESET: In(1), P.ENABLE: In(1),
                   P.INPUT: In(bus_width(program.input_intervals)), P.INPUT_VALID: In(1),
                   P.OUTPUT: Out(bus_width(program.output_intervals)), P.OUTPUT_VALID: Out(1)}
        super().__init__({name: members[name] for name in interface.ports(plan.combinational)})

    def elaborate(self, platform):
        m = Module()
        program, plan, interface = self.program, self.plan, self.interface
        if not plan.combinational:
            m.domains.sync = domain = ClockDomain("sync", reset_less=not interface.reset)
            m.d.comb += domain.clk.eq(self.clk)
            if interface.reset:
                m.d.comb += domain.rst.eq(self.rst)
        ops = program.ops
        inp = getattr(self, P.INPUT)
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
                bits = inp[lsb:lsb + shape.width]
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
            m.d.comb += getattr(self, P.OUTPUT).eq(Cat(*pieces))
        if interface.valid:
            valid = getattr(self, P.INPUT_VALID)
            for k in range(1, plan.latency_cycles + 1):
                reg = Signal(name=f"valid_d{k}")  # reset to 0 by rst, when there is one
                m.d.sync += reg.eq(valid)
                valid = reg
            m.d.comb += getattr(self, P.OUTPUT_VALID).eq(valid)
        if interface.clock_enable:
            return EnableInserter(getattr(self, P.ENABLE))(m)
        return m


def to_verilog(program: Program, plan: PipelinePlan, name: str, interface: Interface = Interface()) -> str:
    """The Verilog text of one module called ``name``."""
    check_name(name)
    text = verilog.convert(ProgramCircuit(program, plan, interface), name=name, emit_src=False)
    if f"module {name}(" not in text:  # Yosys escapes names that are (System)Verilog keywords
        raise ValueError(f"design name {name!r} is a Verilog keyword; choose another name")
    return (f"// {name}: written by adderflow (Amaranth back end). Ports, bus layout and element formats: "
            f"{name}.md / {name}.json.\n// Latency {plan.latency_cycles} clock cycles, a new sample every clock.\n"
            + text)


def check_name(name: str) -> None:
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"design name {name!r} is not a Verilog identifier (letters, digits, _; no leading digit)")
