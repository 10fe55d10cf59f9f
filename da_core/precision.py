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
  and adders, negations, shifts and products preserve congruences (a product
  modulo ``2**h`` sees each operand modulo ``2**h`` over the other's lowest bit);
  everything else needs the whole value.

The program is then rebuilt with every value truncated below ``low`` and
wrapped (two's complement) at ``high`` where that removes bits; both are free
quantizers (wiring), and every adder downstream is re-derived narrower. The
outputs are unchanged on every input: checked on random and extreme codes
before the trimmed program is returned.
"""

import numpy as np

from .builder import ProgramBuilder
from .interval import Interval
from .program import Program
from .replay import origin, port_inputs, replay

_NONE = 1 << 30  # no requirement yet: `low` of a value nothing reads; `high` = -_NONE likewise
WHOLE = 1 << 30  # `high` of a value needed whole


def requirements(program: Program) -> tuple[list[int], list[int]]:
    """Per value: (low, high) as defined in the module docstring; unread values get (_NONE, -_NONE)."""
    ops = program.ops
    low, high = [_NONE] * len(ops), [-_NONE] * len(ops)
    for v in program.outputs:
        low[v], high[v] = min(low[v], ops[v].interval.exp), WHOLE

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
                need(b, rb - shift, h - shift if h < WHOLE else WHOLE)
            case "neg":
                need(args[0], ops[args[0]].interval.exp, h)
            case "shift":
                s = op.params[0]
                need(args[0], r - s, h - s if h < WHOLE else WHOLE)
            case "quant":
                k, i, f, round_mode, overflow_mode = op.params
                seen = -f - (1 if round_mode == "RND" else 0)
                # a saturating quantizer compares the whole value; a wrapping one sees it modulo 2**(i+k)
                need(args[0], seen, min(h, max(i, -f) + k) if overflow_mode == "WRAP" else WHOLE)
            case "relu" | "max" | "min":
                for a in args:
                    need(a, r, WHOLE)
            case "mul":  # every bit counts (carries), but a product modulo 2**h sees x modulo 2**(h - e_y)
                a, b = args
                ea, eb = ops[a].interval.exp, ops[b].interval.exp
                need(a, ea, h - eb if h < WHOLE else WHOLE)
                need(b, eb, h - ea if h < WHOLE else WHOLE)
            case _:  # lut, or anything new: every bit of the operands
                for a in args:
                    need(a, ops[a].interval.exp, WHOLE)
    return low, high


def trim(program: Program, check_samples: int = 256) -> Program:
    """The same program with no bit that an output cannot see; outputs equal on every input."""
    low, high = requirements(program)
    ops = program.ops
    b = ProgramBuilder()
    new = port_inputs(b, program)
    for v, op in enumerate(ops):
        b.origin = origin(program, v)  # the ops that replace op v are its node's
        if low[v] == _NONE:
            continue
        if op.kind == "input":
            new[v] = _narrow(b, new[v], low[v], high[v])
        elif op.kind == "shift":  # wiring: its operand is already narrowed for every shifted reader, and keeps
            new[v] = b.shift(new[op.args[0]], op.params[0])  # one register chain for all of them
        else:
            new[v] = _narrow(b, replay(b, op, [new[a] for a in op.args]), low[v], high[v])
    trimmed = b.build([new[v] for v in program.outputs])
    check_same(program, trimmed, check_samples, "da_core.precision")
    return trimmed


def _narrow(b: ProgramBuilder, x: int, low: int, high: int) -> int:
    """``x`` truncated below ``2**low`` and, where that removes bits, wrapped modulo ``2**high``."""
    iv = b.interval(x)
    r = max(low, iv.exp)
    if high < WHOLE and high <= r:
        return b.const(0)  # no bit of it is ever seen
    lo, hi = iv.lo >> (r - iv.exp), iv.hi >> (r - iv.exp)  # floor: the truncated codes
    if high < WHOLE:
        bits = high - r
        fits = (lo >= 0 and hi < (1 << bits)) or (lo >= -(1 << (bits - 1)) and hi < (1 << (bits - 1)))
        if not fits:
            return b.quant(x, 1, high - 1, -r, "TRN", "WRAP")
    if r == iv.exp:
        return x
    return b.quant(x, 1, Interval(lo, hi, r).int_bits + 1, -r, "TRN", "WRAP")  # never overflows: a truncation


def check_same(before: Program, after: Program, n: int, who: str) -> None:
    """Refuse (AssertionError naming the pass ``who``) a rewrite that changes an output on ``n`` random
    and extreme input codes."""
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
        raise AssertionError(f"a program rewrite changed an output: this is a bug in {who}")


def _rescale(codes: np.ndarray, src: Program, dst: Program) -> np.ndarray:
    """Output codes of ``src`` expressed at ``dst``'s output exponents (exact as floats for the check)."""
    shifts = np.array([a.exp - b.exp for a, b in zip(src.output_intervals, dst.output_intervals)], dtype=np.float64)
    return codes * 2.0**shifts
