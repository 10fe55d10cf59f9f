"""Backward precision: drop the bits that no output can ever see.

The builder's intervals are the forward half (every value's exact range). This
pass is the backward half. For every value it finds

- ``low``: the lowest bit position (as an exponent) any output can depend on:
  a TRN quantizer to ``f`` fractional bits never sees bits below ``2**-f`` (RND:
  below ``2**(-f-1)``); ReLU, max and min commute with truncation (floor is
  monotone), so they pass the requirement on; an adder passes it on to its finer
  operand only down to the coarser operand's lowest bit (below that no carry
  is generated), unless the finer operand is subtracted (borrows) ;
- ``high``: the value is only needed modulo ``2**high``: a WRAP quantizer with
  ``k`` sign bits and ``i`` integer bits only sees its input modulo ``2**(i+k)``,
  and adders, negations and shifts preserve congruences; everything else needs
  the whole value.

The program is then rebuilt with every value truncated below ``low`` and
wrapped (two's complement) at ``high`` where that removes bits; both are free
quantizers (wiring), and every adder downstream is re-derived narrower. The
outputs are unchanged on every input: checked on random and extreme codes
before the trimmed program is returned.
"""

from fractions import Fraction

import numpy as np

from .builder import ProgramBuilder
from .interval import Interval
from .program import Program

_NONE = 1 << 30  # no requirement yet: `low` of a value nothing reads; `high` = -_NONE likewise
_ALL = 1 << 30  # `high` of a value needed whole


def requirements(program: Program) -> tuple[list[int], list[int]]:
    """Per value: (low, high) as defined in the module docstring; unread values get (_NONE, -_NONE)."""
    ops = program.ops
    low, high = [_NONE] * len(ops), [-_NONE] * len(ops)
    for v in program.outputs:
        low[v], high[v] = min(low[v], ops[v].interval.exp), _ALL

    def need(a: int, lo: int, hi: int) -> None:
        low[a] = min(low[a], max(lo, ops[a].interval.exp))
        high[a] = max(high[a], hi)

    for v in range(len(ops) - 1, -1, -1):
        if low[v] == _NONE:
            continue
        op, r, h = ops[v], max(low[v], ops[v].interval.exp), high[v]
        args = op.args
        match op.kind:
            case "add":
                shift, sign = op.params
                a, b = args
                ea, eb = ops[a].interval.exp, ops[b].interval.exp + shift
                ra, rb = ea, eb
                if ea < eb:
                    ra = min(r, eb)
                elif eb < ea and sign > 0:
                    rb = min(r, ea)
                need(a, ra, h)
                need(b, rb - shift, h - shift if h < _ALL else _ALL)
            case "neg":
                need(args[0], ops[args[0]].interval.exp, h)
            case "shift":
                s = op.params[0]
                need(args[0], r - s, h - s if h < _ALL else _ALL)
            case "quant":
                k, i, f, round_mode, overflow_mode = op.params
                seen = -f - (1 if round_mode == "RND" else 0)
                # a saturating quantizer compares the whole value; a wrapping one sees it modulo 2**(i+k)
                need(args[0], seen, min(h, max(i, -f) + k) if overflow_mode == "WRAP" else _ALL)
            case "relu" | "max" | "min":
                for a in args:
                    need(a, r, _ALL)
            case _:  # lut, or anything new: every bit of the operands
                for a in args:
                    need(a, ops[a].interval.exp, _ALL)
    return low, high


def trim(program: Program, check_samples: int = 256) -> Program:
    """The same program with no bit that an output cannot see; outputs equal on every input."""
    low, high = requirements(program)
    ops = program.ops
    b = ProgramBuilder()
    new: list[int | None] = [None] * len(ops)
    for v in sorted((v for v, op in enumerate(ops) if op.kind == "input"), key=lambda v: ops[v].params[0]):
        b.origin = program.origins[v] if program.origins else ""
        new[v] = b.input(ops[v].interval)
    for v, op in enumerate(ops):
        b.origin = program.origins[v] if program.origins else ""  # the ops that replace op v are its node's
        if op.kind == "input":
            new[v] = _narrow(b, new[v], low[v], high[v]) if low[v] != _NONE else new[v]
            continue
        if low[v] == _NONE:
            continue
        args = [new[a] for a in op.args]
        iv = op.interval
        match op.kind:
            case "const":
                value = b.const(Fraction(iv.lo) * Fraction(2) ** iv.exp)
            case "add":
                value = b.add(args[0], args[1], *op.params)
            case "neg":
                value = b.neg(args[0])
            case "shift":  # wiring: its operand is already narrowed for every shifted reader, and keeps
                new[v] = b.shift(args[0], op.params[0])  # one register chain for all of them
                continue
            case "quant":
                value = b.quant(args[0], *op.params)
            case "relu":
                value = b.relu(args[0])
            case "max":
                value = b.maximum(args[0], args[1])
            case "min":
                value = b.minimum(args[0], args[1])
            case "lut":
                value = _lut(b, args[0], op)
            case _:
                raise ValueError(f"precision pass: unknown op kind {op.kind!r}")
        new[v] = _narrow(b, value, low[v], high[v])
    trimmed = b.build([new[v] for v in program.outputs])
    _check_same(program, trimmed, check_samples)
    return trimmed


def _narrow(b: ProgramBuilder, x: int, low: int, high: int) -> int:
    """``x`` truncated below ``2**low`` and, where that removes bits, wrapped modulo ``2**high``."""
    iv = b.interval(x)
    r = max(low, iv.exp)
    if high < _ALL and high <= r:
        return b.const(0)  # no bit of it is ever seen
    lo, hi = iv.lo >> (r - iv.exp), iv.hi >> (r - iv.exp)  # floor: the truncated codes
    if high < _ALL:
        bits = high - r
        fits = (lo >= 0 and hi < (1 << bits)) or (lo >= -(1 << (bits - 1)) and hi < (1 << (bits - 1)))
        if not fits:
            return b.quant(x, 1, high - 1, -r, "TRN", "WRAP")
    if r == iv.exp:
        return x
    return b.quant(x, 1, Interval(lo, hi, r).int_bits + 1, -r, "TRN", "WRAP")  # never overflows: a truncation


def _lut(b: ProgramBuilder, a: int, op) -> int:
    """Re-emit a table over its operand's new interval; codes the old one could not reach are never met."""
    base, base_exp, table = op.params
    iv = b.interval(a)
    step = 1 << (iv.exp - base_exp)
    first, last = min(base, iv.lo * step), max(base + len(table) - 1, iv.hi * step)
    extended = [table[c - base] if base <= c < base + len(table) else table[0] for c in range(first, last + 1)]
    return b.lut(a, first, base_exp, extended, op.interval.exp)


def _check_same(before: Program, after: Program, n: int) -> None:
    if not n or not before.inputs:
        return
    rng = np.random.default_rng(0)
    cols = []
    for iv in before.input_intervals:
        col = rng.integers(iv.lo, iv.hi + 1, n)
        col[: min(2, n)] = [iv.lo, iv.hi][: min(2, n)]  # the extremes
        cols.append(col)
    codes = np.stack(cols, axis=1).astype(np.int64)
    want, got = before.run(codes), after.run(codes)
    if not np.array_equal(want * 1.0, _rescale(got, after, before)):
        raise AssertionError("precision pass changed an output: this is a bug in da_core.precision")


def _rescale(codes: np.ndarray, src: Program, dst: Program) -> np.ndarray:
    """Output codes of ``src`` expressed at ``dst``'s output exponents (exact as floats for the check)."""
    shifts = np.array([a.exp - b.exp for a, b in zip(src.output_intervals, dst.output_intervals)], dtype=np.float64)
    return codes * 2.0**shifts
