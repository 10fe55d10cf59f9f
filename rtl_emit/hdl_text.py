"""Program + pipeline plan -> HDL text: the one walk that both text writers share.

The walk decides everything that does not depend on the language: which wires
and register chains exist (``netlist``), the arithmetic of each op on codes
(operands extended by their own signedness and aligned by appending zeros, sums
taken modulo ``2**width``, which is exact because every result lies in its
interval; comparisons one bit wider than either side, signed), the output bus and
the valid chain. A ``Dialect`` only spells it: ``verilog_backend`` in Verilog-2005,
``vhdl_backend`` in VHDL-2008.

Expressions are strings of one dialect. An operand is a wire as (name, width,
signed) or a constant as its integer code.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import reduce
from itertools import pairwise

from da_core.lut_pack import pack_image
from da_core.program import Op, Program, is_bit
from da_core.quantize import saturation_bounds
from da_core.tables import is_logic, rom_image

from . import ports as P
from .netlist import Operand, output_taps, wires
from .pipeline import PipelinePlan
from .ports import Interface, bus_width
from .ternary import PRIMITIVE_MODELS, Term, adder_module, chain_start, fusions, zero_from

Wire = tuple[str, int, bool]  # a wire's name, width and signedness


@dataclass
class Body:
    """What a module holds besides its ports: declarations, concurrent statements, clocked assignments."""

    decls: list[str] = field(default_factory=list)
    stmts: list[str] = field(default_factory=list)
    regs: list[tuple[str, str]] = field(default_factory=list)  # (register, its input), data
    functions: list[str] = field(default_factory=list)  # the ROMs, one function per distinct image
    roms: dict[tuple, str] = field(default_factory=dict)  # (address bits, width, image) -> its function
    valid_regs: list[tuple[str, str]] = field(default_factory=list)  # the valid chain (cleared by reset)
    modules: list[str] = field(default_factory=list)  # helper modules written after the design's own


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # "in" or "out"
    width: int | None  # None: one bit (a control port); else a bus of this many bits


class Dialect(ABC):
    """How one language writes the walk's wires, expressions and module."""

    language: str  # as in ``compile_model(hdl=...)``

    @abstractmethod
    def const(self, code: int, width: int) -> str:
        """A ``width``-bit constant of the code modulo ``2**width`` (``width`` 0: a one-bit zero)."""

    @abstractmethod
    def extend(self, x: Wire, n: int) -> str:
        """A wire sign- or zero-extended (by its signedness) to ``n`` bits, ``n`` above its width."""

    @abstractmethod
    def shifted(self, core: str, shift: int) -> str:
        """``core`` with ``shift`` zero bits appended below."""

    @abstractmethod
    def slice(self, name: str, hi: int, lo: int) -> str:
        """Bits ``hi`` down to ``lo`` of a wire."""

    @abstractmethod
    def equals(self, a: str, b: str) -> str:
        """The condition ``a == b`` on two equal-width expressions."""

    @abstractmethod
    def bit_set(self, name: str, bit: int) -> str:
        """The condition: bit ``bit`` of the wire is 1."""

    @abstractmethod
    def signed_compare(self, a: str, relation: str, b: str) -> str:
        """The condition ``a relation b`` on two equal-width expressions read as two's complement."""

    @abstractmethod
    def wire(self, body: Body, name: str, width: int, expr: str | None = None) -> None:
        """Declare a wire (and drive it with ``expr`` when given)."""

    @abstractmethod
    def assign(self, body: Body, target: str, expr: str) -> None: ...

    @abstractmethod
    def choose(self, body: Body, target: str, cases: list[tuple[str, str]], default: str) -> None:
        """``target`` = the expression of the first true condition in ``cases``, else ``default``."""

    @abstractmethod
    def product(self, body: Body, target: str, width: int, a: Wire, b: Wire) -> None:
        """``target`` = the low ``width`` bits of the exact product of two wires (a multiplier)."""

    @abstractmethod
    def rom_function(self, name: str, address_bits: int, width: int, image: tuple[int, ...]) -> list[str]:
        """A function ``name`` of one ``address_bits``-bit argument that returns ``image[address]``."""

    @abstractmethod
    def join(self, high: str, low: str) -> str:
        """Two bit vectors side by side, ``high`` above ``low``."""

    @abstractmethod
    def register(self, body: Body, name: str, width: int | None, source: str) -> None:
        """Declare a register (``width`` None: one bit) that starts at 0 and takes ``source`` at each edge."""

    @abstractmethod
    def input_bits(self, hi: int, lo: int) -> str:
        """Bits of the input bus, as a data expression."""

    @abstractmethod
    def drive_outputs(self, body: Body, pieces: list[str], valid: str | None) -> None:
        """Drive the output bus from ``pieces`` (element 0 first) and ``out_valid`` from ``valid``."""

    @abstractmethod
    def module(self, name: str, ports: list[Port], body: Body, interface: Interface, latency_cycles: int) -> str:
        """The whole text: header, ports, declarations, statements and the clocked process."""

    def add3(self, body: Body, module: str, target: str, width: int, vectors: list[tuple[str, bool]], kin: bool,
             cin: bool, gates: list[str | None], zero_from: int) -> None:
        """``target`` = the sum of two or three ``width``-bit vectors (each zeroed where its gate bit, if any, is
        1, then inverted where flagged) + kin + cin, by an instance of ``module`` (``ternary.adder_module``),
        every vector 0 from bit ``zero_from`` up. Only the Verilog writer has them."""
        raise ValueError(f"three-input adders are written in Verilog only, not {self.language}")

    def ext(self, x: Wire | int, width: int, shift: int = 0) -> str:
        """``x * 2**shift`` modulo ``2**width``."""
        if isinstance(x, int):
            return self.const(x << shift, width)
        name, w, _ = x
        n = width - shift  # bits of x that survive
        if n <= 0:
            return self.const(0, width)
        core = name if n == w else self.slice(name, n - 1, 0) if n < w else self.extend(x, n)
        return self.shifted(core, shift) if shift else core


def write(program: Program, plan: PipelinePlan, name: str, interface: Interface, dialect: Dialect,
          ternary: bool = False) -> str:
    """The text of one module called ``name`` in ``dialect``; ``ternary``: chained adds of one stage as
    three-input adders on device primitives (``ternary``, Verilog only)."""
    interface.check(plan.combinational)
    d, ops, body = dialect, program.ops, Body()
    ins, outs = program.input_intervals, program.output_intervals

    walk = list(wires(program, plan))
    fused, absorbed, ungated, negated = fusions(walk, program, plan) if ternary else ({}, set(), set(), {})

    def operand(x: Operand) -> Wire | int:
        if isinstance(x, int):
            return x
        iv = negated.get(x.root, ops[x.root]).interval
        return x.name, iv.width, iv.signed

    for wire in walk:
        root = wire.chain[0].root
        op = negated.get(root, wire.op)  # a lookup its adder reads negated (``table_signs``): its negated ROM
        target, w = wire.chain[0].name, op.interval.width
        if root in absorbed:
            continue
        if root in ungated:  # a ReLU its adder applies (``relu_gates``): the operand's bits
            d.wire(body, target, w, d.ext(operand(wire.args[0]), w))
        elif wire.input_lsb is not None:
            d.wire(body, target, w, d.input_bits(wire.input_lsb + w - 1, wire.input_lsb))
        elif root in fused:
            d.wire(body, target, w)
            _add3(d, body, target, w, fused[root], operand, f"{name}_add3")
        else:
            d.wire(body, target, w)
            _op(d, body, target, op, [operand(a) for a in wire.args], wire.arg_intervals)
        for before, tap in pairwise(wire.chain):
            d.register(body, tap.name, w, before.name)
    pieces = [d.const(x, iv.width) if isinstance(x, int) else x.name
              for x, iv in zip(output_taps(program, plan), outs) if iv.width]
    valid = None
    if interface.valid:
        valid = P.INPUT_VALID
        for k in range(1, plan.latency_cycles + 1):
            d.register(body, f"valid_d{k}", None, valid)
            valid = f"valid_d{k}"
    d.drive_outputs(body, pieces, valid)
    if fused:
        body.modules += [adder_module(f"{name}_add3"), PRIMITIVE_MODELS]
    widths = {P.INPUT: bus_width(ins), P.OUTPUT: bus_width(outs)}
    ports = [Port(p, "out" if p in (P.OUTPUT, P.OUTPUT_VALID) else "in", widths.get(p))
             for p in interface.ports(plan.combinational) if widths.get(p, 1)]
    return d.module(name, ports, body, interface, plan.latency_cycles)


def _op(d: Dialect, body: Body, target: str, op: Op, args: list, arg_ivs) -> None:
    e, w = op.interval.exp, op.interval.width
    match op.kind:
        case "add":
            shift, sign = op.params
            a = d.ext(args[0], w, arg_ivs[0].exp - e)
            b = d.ext(args[1], w, arg_ivs[1].exp + shift - e)
            d.assign(body, target, f"{a} {'+' if sign > 0 else '-'} {b}")
        case "neg":
            d.assign(body, target, f"{d.const(0, w)} - {d.ext(args[0], w)}")
        case "relu":
            name, wa, signed = args[0]
            if signed:
                d.choose(body, target, [(d.bit_set(name, wa - 1), d.const(0, w))], d.ext(args[0], w))
            else:  # never negative: a wire
                d.assign(body, target, d.ext(args[0], w))
        case "max" | "min":
            shifts = [arg_ivs[0].exp - e, arg_ivs[1].exp - e]
            wc = max(iv.width + s for iv, s in zip(arg_ivs, shifts)) + 1
            a, b = f"{target}_a", f"{target}_b"
            d.wire(body, a, wc, d.ext(args[0], wc, shifts[0]))
            d.wire(body, b, wc, d.ext(args[1], wc, shifts[1]))
            relation = ">" if op.kind == "max" else "<"
            d.choose(body, target, [(d.signed_compare(a, relation, b), d.slice(a, w - 1, 0))], d.slice(b, w - 1, 0))
        case "quant":
            _quant(d, body, target, op, args[0], arg_ivs[0])
        case "lut":
            _table(d, body, target, op, args[0], arg_ivs[0])
        case "pack":
            _pack(d, body, target, op, args, arg_ivs)
        case "mux":  # the select's raw code picks a value
            sel, ws, _ = args[0]
            picks = [(d.equals(sel, d.const(c, ws)), d.ext(a, w, iv.exp - e))
                     for c, (a, iv) in enumerate(zip(args[1:], arg_ivs[1:]))]
            d.choose(body, target, picks[:-1], picks[-1][1])
        case "mul":
            if is_bit(arg_ivs[1]):  # a select: the operand where the one bit is set
                d.choose(body, target, [(d.bit_set(args[1][0], 0), d.ext(args[0], w))], d.const(0, w))
            else:
                d.product(body, target, w, args[0], args[1])
        case _:
            raise ValueError(f"op kind {op.kind!r} has no text HDL mapping; use backend='amaranth'")


def _add3(d: Dialect, body: Body, target: str, w: int, terms: list[Term], operand, module: str) -> None:
    """A fused pair of adds: the low bits one term's (``ternary.chain_start``), the rest one three-input adder."""
    start = chain_start(terms)
    n = w - start
    vectors, spans = [], []
    for j, t in enumerate(terms):
        x = operand(t.operand)
        if t.offset < start:  # the lowest term: its bits from ``start - offset`` up enter the chain
            x = _drop_low(d, body, f"{target}_x{j}", x, start - t.offset)
        lo = max(t.offset - start, 0)
        vectors.append((d.ext(x, n, lo), t.sign < 0))
        width, unsigned = (max(x, 0).bit_length(), x >= 0) if isinstance(x, int) else (x[1], not x[2])
        spans.append((lo, width, unsigned and t.sign > 0))  # zero above its width: unsigned and added
    negatives = sum(t.sign < 0 for t in terms)  # -x = ~x + 1: the ones come in as kin and cin
    lowest = min(terms, key=lambda t: t.offset)
    low = d.ext(operand(lowest.operand), start, lowest.offset) if start else None
    gates = [None if t.gate is None else d.bit_set(t.gate.sign.name, t.gate.bit) for t in terms]
    d.add3(body, module, target, n, vectors, negatives >= 1, negatives >= 2, gates, zero_from(spans, n))
    d.assign(body, target, f"{target}_s" if low is None else d.join(f"{target}_s", low))


def _drop_low(d: Dialect, body: Body, name: str, x: Wire | int, drop: int) -> Wire | int:
    """``x`` shifted right by ``drop`` bits (floor), as a wire or a constant."""
    if isinstance(x, int):
        return x >> drop
    src, wx, signed = x
    if drop >= wx:
        if not signed:
            return 0
        d.wire(body, name, 1, d.slice(src, wx - 1, wx - 1))
        return name, 1, True
    d.wire(body, name, wx - drop, d.slice(src, wx - 1, drop))
    return name, wx - drop, signed


def _table(d: Dialect, body: Body, target: str, op: Op, x: Wire | int, iv) -> None:
    """A select of constants over a few address bits, or a call of its ROM: a function written once per
    distinct ROM image, however many ops read it (as ``amaranth_backend._lut``: the raw code addresses it)."""
    base, base_exp, table = op.params
    if base_exp != iv.exp:
        raise ValueError(f"lut operand at exponent {iv.exp}, table at {base_exp}")
    if isinstance(x, int):
        raise ValueError("a table of a constant is a constant: the builder folds it")
    name, wa, _ = x
    w = op.interval.width
    if is_logic(wa):
        cases = [(d.equals(name, d.const(base + j, wa)), d.const(entry, w)) for j, entry in enumerate(table[:-1])]
        d.choose(body, target, cases, d.const(table[-1], w))
        return
    _rom_call(d, body, target, name, wa, w, tuple(rom_image(base, table, wa)))


def _rom_call(d: Dialect, body: Body, target: str, address: str, address_bits: int, w: int,
              image: tuple[int, ...]) -> None:
    """``target`` = the ROM ``image`` at ``address``: a function written once per distinct image."""
    key = (address_bits, w, image)
    if key not in body.roms:
        body.roms[key] = f"rom{len(body.roms)}"
        body.functions += d.rom_function(body.roms[key], address_bits, w, image)
    d.assign(body, target, f"{body.roms[key]}({address})")


def _pack(d: Dialect, body: Body, target: str, op: Op, args: list, arg_ivs) -> None:
    """A ROM over the operands' raw codes concatenated (the first lowest), through an address wire."""
    address = f"{target}_a"
    bits = sum(w for _, w, _ in args)
    d.wire(body, address, bits, reduce(lambda low, x: d.join(x[0], low), args[1:], args[0][0]))
    image = tuple(c % (1 << op.interval.width) for c in pack_image(op.params[0], arg_ivs, op.interval.exp))
    _rom_call(d, body, target, address, bits, op.interval.width, image)


def _quant(d: Dialect, body: Body, target: str, op: Op, x: Wire, iv) -> None:
    """As ``amaranth_backend._quantize``: round (add half, drop bits), then wrap or clamp."""
    k, i, f, round_mode, overflow_mode = op.params
    w, exp = op.interval.width, iv.exp
    up = max(exp + f, 0)
    drop = max(-f - exp, 0)
    wt = max(iv.width + 2, drop + 2) + up  # the code, aligned, with room for rounding and its sign
    t = f"{target}_t"
    aligned = d.ext(x, wt, up)
    d.wire(body, t, wt, f"{aligned} + {d.const(1 << (drop - 1), wt)}" if drop and round_mode == "RND" else aligned)
    c, wc = f"{target}_r", wt - drop
    d.wire(body, c, wc, d.slice(t, wt - 1, drop))  # arithmetic shift right by drop
    if overflow_mode == "WRAP":
        d.assign(body, target, d.ext((c, wc, True), w))
        return
    bottom, top = saturation_bounds(k, i, f, overflow_mode)
    wk = max(wc, bottom.bit_length() + 1, top.bit_length() + 1) + 1
    s = f"{target}_c"
    d.wire(body, s, wk, d.ext((c, wc, True), wk))
    d.choose(body, target, [(d.signed_compare(s, ">", d.const(top, wk)), d.const(top, w)),
                            (d.signed_compare(s, "<", d.const(bottom, wk)), d.const(bottom, w))], d.slice(s, w - 1, 0))
