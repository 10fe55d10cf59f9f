"""Program + pipeline plan -> an Amaranth component -> one Verilog module (the reference back end).

Ports (``ports.Interface``): ``clk`` (rising edge; absent when combinational),
optional ``rst`` (synchronous, clears the valid pipeline) and ``ce`` (clock
enable: all registers hold while low), ``inp`` (every program input on one bus,
see ``ports``), ``inp_valid``, ``out`` (every program output on one bus) and
``out_valid``. Data registers carry no reset and start at 0 in simulation.
Wires and register chains are ``netlist``'s, as in ``verilog_backend``.

Each op is combinational Amaranth logic, bit-exact with ``Program.run``. Every
operand arrives as a Value whose shape is its interval's code (two's complement,
signed iff ``lo < 0``). Amaranth arithmetic widens instead of wrapping and extends
each operand by its own signedness, so an expression is the exact integer;
assigning it to the op's signal keeps the low ``interval.width`` bits, which is
exact because the value lies in the interval.

A ``mul`` is ``*`` (a multiplier, for a DSP), or a ``Mux`` when its second
operand is one bit (a select). Adders (and ``neg``) are the exception: each operand is extended and cut to the result's
``interval.width`` bits, unsigned, and the sum taken modulo ``2**width`` (as
``verilog_backend`` does). The low bits are the same, but Yosys no longer sees a
signed operand whose sign extension it can strip, so ``alumacc`` does not merge
chains of adders into multi-operand ``$macc`` cells (trees of LUTs instead of one
carry chain per adder; 25% fewer LUTs on the digits MLP, benchmarks/RESULTS.md).
"""

from itertools import pairwise

from amaranth.back import verilog
from amaranth.hdl import (
    Array,
    Cat,
    ClockDomain,
    Const,
    EnableInserter,
    Module,
    Mux,
    Shape,
    Signal,
    Value,
    signed,
    unsigned,
)
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from da_core.interval import Interval
from da_core.lut_pack import pack_image
from da_core.program import Op, Program, is_bit
from da_core.quantize import saturation_bounds
from da_core.tables import rom_image

from . import ports as P
from .netlist import Operand, output_taps, wires
from .pipeline import PipelinePlan
from .ports import Interface, bus_width, check_name


def write(program: Program, plan: PipelinePlan, name: str, interface: Interface = Interface()) -> str:
    """The Verilog text of one module called ``name``, through Amaranth and its Yosys.

    Slow on large programs (Amaranth's bit-level netlist: milliseconds per adder); ``verilog_backend``
    writes the same module directly.
    """
    check_name(name)
    interface.check(plan.combinational)  # before Amaranth sees a half-built component
    text = verilog.convert(ProgramCircuit(program, plan, interface), name=name, emit_src=False)
    if f"module {name}(" not in text:  # Yosys escapes names that are (System)Verilog keywords
        raise ValueError(f"design name {name!r} is a Verilog keyword; choose another name")
    return (f"// {name}: written by adderflow (Amaranth back end). Ports, bus layout and element formats: "
            f"{name}.md / {name}.json.\n// Latency {plan.latency_cycles} clock cycles, a new sample every clock.\n"
            + text)


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
        inp = getattr(self, P.INPUT)
        signals = {}  # per tap: its signal

        def value(x: Operand, iv: Interval) -> Value:
            return Const(x, _code_shape(iv)) if isinstance(x, int) else signals[x]

        for wire in wires(program, plan):
            shape = _code_shape(wire.op.interval)
            if wire.input_lsb is not None:
                bits = inp[wire.input_lsb:wire.input_lsb + shape.width]
                code = bits.as_signed() if shape.signed else bits
            else:
                code = Signal(shape, name=wire.chain[0].name)
                m.d.comb += code.eq(_op_value(wire.op, [value(a, iv) for a, iv in zip(wire.args, wire.arg_intervals)],
                                              wire.arg_intervals))
            signals[wire.chain[0]] = code
            for before, tap in pairwise(wire.chain):
                signals[tap] = Signal(shape, name=tap.name, reset_less=True)
                m.d.sync += signals[tap].eq(signals[before])

        pieces = [value(x, iv) for x, iv in zip(output_taps(program, plan), program.output_intervals)]
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


def _code_shape(iv: Interval) -> Shape:
    return signed(iv.width) if iv.signed else unsigned(iv.width)


def _op_value(op: Op, args: list[Value], arg_ivs: tuple[Interval, ...]) -> Value:
    """The integer code of ``op``'s result (at exponent ``op.interval.exp``) from its operands' codes."""
    e = op.interval.exp
    match op.kind:
        case "add":
            shift, sign = op.params
            w = op.interval.width
            a = _wrap(_align(args[0], arg_ivs[0].exp, e), w)
            b = _wrap(_align(args[1], arg_ivs[1].exp + shift, e), w)
            return (a + b)[:w] if sign > 0 else (a - b)[:w]
        case "neg":
            w = op.interval.width
            return (-_wrap(args[0], w))[:w]
        case "quant":
            return _quantize(args[0], arg_ivs[0].exp, *op.params)
        case "relu":
            x = args[0]  # the sign bit; Yosys keeps ``x < 0`` as a comparator cell ($lt -> $lcu)
            return Mux(x[-1], 0, x) if x.shape().signed else x
        case "max" | "min":
            a = _align(args[0], arg_ivs[0].exp, e)
            b = _align(args[1], arg_ivs[1].exp, e)
            return Mux(a > b, a, b) if op.kind == "max" else Mux(a < b, a, b)
        case "lut":
            return _lut(op, args[0], arg_ivs[0])
        case "pack":  # a ROM over the operands' raw codes concatenated, the first lowest
            image = pack_image(op.params[0], arg_ivs, e)
            return Array(Const(c, _code_shape(op.interval)) for c in image)[Cat(*(a.as_unsigned() for a in args))]
        case "mux":  # the select's raw code picks a value (a chain of 2:1 muxes, as the direct writer's)
            picks = [_align(a, iv.exp, e) for a, iv in zip(args[1:], arg_ivs[1:])]
            out = picks[-1]
            for c in range(len(picks) - 2, -1, -1):
                out = Mux(args[0].as_unsigned() == c, picks[c], out)
            return out
        case "mul":  # codes multiply, exponents add; Amaranth's product is exact (it widens, mixed signs too)
            return Mux(args[1], args[0], 0) if is_bit(arg_ivs[1]) else args[0] * args[1]
    raise ValueError(f"op kind {op.kind!r} has no hardware mapping")


def _lut(op: Op, code: Value, iv: Interval) -> Value:
    """A ROM addressed by the operand's raw code bits (two's complement), no index arithmetic."""
    base, base_exp, table = op.params
    if base_exp != iv.exp:
        raise ValueError(f"lut operand at exponent {iv.exp}, table at {base_exp}")
    shape = _code_shape(op.interval)
    return Array(Const(c, shape) for c in rom_image(base, table, iv.width))[code.as_unsigned()]


def _align(code: Value, exp: int, to_exp: int) -> Value:
    if exp < to_exp:
        raise ValueError(f"cannot align a value at exponent {exp} to the coarser exponent {to_exp}")
    return code << (exp - to_exp)


def _quantize(code: Value, exp: int, k: int, i: int, f: int, round_mode: str, overflow_mode: str) -> Value:
    """HGQ2's quantizer as ``da_core.quantize.quantize_codes``, but rounding before saturating.

    Saturating first (as HGQ2 and the interpreter do) or last gives the same codes:
    rounding is monotone and maps the finely scaled bounds onto the bounds themselves.
    """
    if exp >= -f:
        c = code << (exp + f)
    else:
        drop = -f - exp
        c = (code + (1 << (drop - 1)) if round_mode == "RND" else code) >> drop
    if overflow_mode == "WRAP":
        bits = k + max(i, -f) + f
        c = _extend(c, bits)[:bits]
        return c.as_signed() if k else c
    bottom, top = saturation_bounds(k, i, f, overflow_mode)
    return Mux(c > top, top, Mux(c < bottom, bottom, c))


def _wrap(value: Value, width: int) -> Value:
    """``value`` modulo ``2**width``, as ``width`` unsigned bits (extended by its own signedness first)."""
    return _extend(value, width)[:width]


def _extend(value: Value, width: int) -> Value:
    """``value`` extended by its own signedness to at least ``width`` bits."""
    missing = width - len(value)
    if missing <= 0:
        return value
    fill = value[-1].replicate(missing) if value.shape().signed else Const(0, missing)
    return Cat(value, fill)
