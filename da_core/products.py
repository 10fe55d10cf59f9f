"""Products of two program values.

``multiply`` is how every product enters a program: a known operand (a constant,
or a value with one possible code) is a constant weight for the CMVM solver, as
any layer's weights are; two variables are a ``mul`` op (a select when one is a
single bit, else a multiplier). ``shift_and_add`` is a multiplier's form without
one: what ``da_core.multipliers.expand`` puts in its place for LUT-only designs.
"""

from fractions import Fraction

import numpy as np

from .builder import ProgramBuilder
from .cmvm import emit_cmvm
from .interval import Interval


def multiply(b: ProgramBuilder, x: int, y: int, max_depth: int | None = None) -> int:
    """``x * y`` exactly; a known operand goes through the CMVM solver (``max_depth`` as for a layer)."""
    ix, iy = b.interval(x), b.interval(y)
    if ix.lo == ix.hi:
        x, y, ix, iy = y, x, iy, ix
    if iy.lo != iy.hi:
        return b.mul(x, y)
    if ix.lo == ix.hi:
        return b.const(b.value_of_const(x) * b.value_of_const(y))
    (out,) = emit_cmvm(b, [x], np.array([[float(b.value_of_const(y))]]), max_depth=max_depth)
    return out


def shift_and_add(b: ProgramBuilder, x: int, y: int) -> int:
    """``x * y`` with no multiplier: each bit of the narrower operand selects the wider one (a ``mul`` by one
    bit: an AND), shifted by the bit's weight, and one depth-aware adder tree sums the selections.

    A signed operand's top bit weighs ``-2**(w-1)``, so its selection is subtracted; a bit that every code of
    the operand shares is a constant (its selection a wire, or nothing). The tree's interval arithmetic is
    looser than the product's, so the sum is wrapped to the product's own width: free, and exact because the
    product lies in its interval.
    """
    ix, iy = b.interval(x), b.interval(y)
    if ix.lo == ix.hi or iy.lo == iy.hi:
        return multiply(b, x, y)
    if iy.width > ix.width:
        x, y, ix, iy = y, x, iy, ix
    if iy.width == 1:
        return b.mul(x, y)  # already a select
    w = iy.width
    terms, signs = [], []
    for j in range(w):
        if iy.lo >> j == iy.hi >> j:  # every code has the same bit j
            if not (iy.lo >> j) & 1:
                continue
            terms.append(b.shift(x, iy.exp + j))
        else:
            terms.append(b.mul(x, b.quant(y, 0, iy.exp + j + 1, -(iy.exp + j), "TRN", "WRAP")))  # bit j: wiring
        signs.append(-1.0 if iy.signed and j == w - 1 else 1.0)
    total, = emit_cmvm(b, terms, np.array(signs)[:, None])
    return _wrap_to(b, total, _product_interval(ix, iy))


def _product_interval(ix: Interval, iy: Interval) -> Interval:
    corners = [p * q for p in (ix.lo, ix.hi) for q in (iy.lo, iy.hi)]
    return Interval(min(corners), max(corners), ix.exp + iy.exp)


def _wrap_to(b: ProgramBuilder, v: int, exact: Interval) -> int:
    """``v``, known to lie in ``exact``, wrapped to the fewest bits that hold ``exact`` on v's grid."""
    iv = b.interval(v)
    if iv.lo == iv.hi:
        return v
    scale = Fraction(2) ** (exact.exp - iv.exp)
    lo, hi = -((-exact.lo * scale) // 1), (exact.hi * scale) // 1  # the codes on v's grid inside ``exact``
    tight = Interval(int(lo), int(hi), iv.exp)
    if tight.width >= iv.width:
        return v
    return b.quant(v, int(tight.signed), tight.int_bits, -iv.exp, "TRN", "WRAP")
