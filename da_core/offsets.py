"""Constant terms moved to the shallow side of their adder trees, where they cost no adder level.

A layer's bias, a quantizer's rounding half-LSB and an activation's affine offset each end up as one adder
``t + c`` on top of the sum ``t`` they shift: one level more on every path through ``t``. When ``t`` is
itself ``x +- y`` and the shallower operand has a level to spare, ``(x + c) +- y`` is the same value a level
earlier and still one adder more than ``t``; the search goes down the tree while each value it rebuilds has no
other reader (rebuilding a shared value would add adders). On a recurrent model the offsets sit on the
step-to-step path, so this shortens the pipeline by up to a stage per step.

The outputs are exactly those of the program given (every value is exact; only where a constant is added
changes), which ``check_same`` confirms before the rewritten program is returned.
"""

from fractions import Fraction

from .builder import ProgramBuilder
from .interval import Interval
from .precision import check_same
from .program import Program
from .quantize import round_code, saturation_bounds
from .replay import origin, port_inputs, replay


def sink_offsets(program: Program, check_samples: int = 256) -> Program:
    """The same program with each ``t + constant`` folded into ``t``'s tree where that costs no level."""
    ops = program.ops
    readers = [0] * len(ops)
    for op in ops:
        for a in set(op.args):
            readers[a] += 1
    for v in program.outputs:
        readers[v] += 1  # read outside the program
    b = ProgramBuilder()
    new = port_inputs(b, program)
    sink = _Sink(b, program, readers, new)
    for v, op in enumerate(ops):
        if op.kind == "input":
            continue
        b.origin = origin(program, v)
        new[v] = sink.offset_add(v)
        if new[v] is None:
            new[v] = replay(b, op, [new[a] for a in op.args])
    sunk = b.build([new[v] for v in program.outputs])
    check_same(program, sunk, check_samples, "da_core.offsets")
    return sunk


class _Sink:
    """Rebuilds ``t + c`` a level earlier inside ``t``, over the ops already replayed into ``b``."""

    def __init__(self, b: ProgramBuilder, program: Program, readers: list[int], new: list):
        self.b, self.ops, self.readers, self.new = b, program.ops, readers, new

    def offset_add(self, v: int) -> int | None:
        """Op v rebuilt with its constant sunk a level down, or None when v is no such add (or it cannot)."""
        op = self.ops[v]
        if op.kind != "add" or self.ops[op.args[1]].kind != "const":
            return None
        t, c = op.args
        shift, sign = op.params
        value = sign * _const_value(self.ops[c]) * Fraction(2) ** shift
        if self.readers[t] != 1 or self.ops[t].kind == "const":
            return None
        pushed = self._push(t, value, self.b.depth(self.new[t]))
        return pushed if pushed is not None else self._through_quant(t, value)

    def _through_quant(self, t: int, value: Fraction) -> int | None:
        """``t + value`` for t a quantizer (under shifts) of x, as a quantizer of ``x + value`` where that is the
        same: a rounding that never overflows commutes with adding a constant on its grid, and a signed
        saturation plus half its range, ``2**i``, is the unsigned saturation with one integer bit more
        (``[-2**i, 2**i) + 2**i = [0, 2**(i+1))``: a hard sigmoid's +0.5 after its clamp). ``x + value`` then
        sinks into x's tree. None where it would not sink, so nothing is gained."""
        s = 0
        while self.ops[t].kind == "shift" and self.readers[t] == 1:
            s += self.ops[t].params[0]
            t = self.ops[t].args[0]
        op, b = self.ops[t], self.b
        if op.kind != "quant" or self.readers[t] != 1 or self.readers[op.args[0]] != 1:
            return None
        k, i, f, round_mode, overflow = op.params
        value = value / Fraction(2) ** s
        if round_mode not in ("TRN", "RND") or (value * Fraction(2) ** f).denominator != 1:
            return None
        x = op.args[0]
        ix = self.ops[x].interval
        bottom, top = saturation_bounds(k, i, f, "SAT" if overflow == "WRAP" else overflow)
        lo, hi = (round_code(c, ix.exp, f, round_mode) for c in (ix.lo, ix.hi))
        if bottom <= lo and hi <= top:
            moved = self._push(x, value, b.depth(self.new[x]))
            if moved is None:
                return None
            iv = b.interval(moved)
            codes = Interval(*(round_code(c, iv.exp, f, round_mode) for c in (iv.lo, iv.hi)), -f)
            q = b.quant(moved, 1, codes.int_bits + 1, f, round_mode, "WRAP")  # never wraps: a rounding alone
        elif (k, overflow) == (1, "SAT") and value == Fraction(2) ** i:
            moved = self._push(x, value, b.depth(self.new[x]))
            if moved is None:
                return None
            q = b.quant(moved, 0, i + 1, f, round_mode, "SAT")
        else:
            return None
        return b.shift(q, s)

    def _push(self, v: int, value: Fraction, limit: int) -> int | None:
        """``v + value`` (new id) of adder depth at most ``limit``, rebuilding only values read by one op."""
        b, op, nv = self.b, self.ops[v], self.new[v]
        if b.depth(nv) + 1 <= limit:
            return self._plus(nv, value)
        if self.readers[v] != 1:
            return None
        if op.kind == "shift":
            s = op.params[0]
            r = self._push(op.args[0], value / Fraction(2) ** s, limit)
            return None if r is None else b.shift(r, s)
        if op.kind != "add":
            return None
        x, y = op.args
        shift, sign = op.params
        if self.ops[y].kind == "const":  # an offset, sunk already: sink the two together
            r = self._push(x, sign * _const_value(self.ops[y]) * Fraction(2) ** shift + value, limit)
            return r if r is not None else self._fold(nv, value)
        if self.ops[x].kind == "const":
            return self._fold(nv, value)
        tries = [(x, value, lambda r: b.add(r, self.new[y], shift, sign)),
                 (y, sign * value / Fraction(2) ** shift, lambda r: b.add(self.new[x], r, shift, sign))]
        for a, part, rebuild in sorted(tries, key=lambda t: b.depth(self.new[t[0]])):
            r = self._push(a, part, limit - 1)
            if r is not None:
                return rebuild(r)
        return None

    def _plus(self, nv: int, value: Fraction) -> int:
        """``nv + value``: into nv's own constant term when it has one (no level), else one adder on top."""
        folded = self._fold(nv, value)
        return folded if folded is not None else self.b.add(nv, self.b.const(value))

    def _fold(self, nv: int, value: Fraction) -> int | None:
        """``nv + value`` at nv's depth when nv adds a constant already (the two join), else None."""
        op = self.b.ops[nv]
        if op.kind == "add" and any(self.b.ops[a].kind == "const" for a in op.args):
            return self.b.offset(nv, value)
        return None


def _const_value(op) -> Fraction:
    return Fraction(op.interval.lo) * Fraction(2) ** op.interval.exp
