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


def shift_and_add(b: ProgramBuilder, x: int, y: int, shared: frozenset[int] = frozenset()) -> int:
    """``x * y`` with no multiplier: the narrower operand's bits, two at a time (radix 4), select a multiple of
    the wider one, shifted by their weight, and one depth-aware adder tree sums the selections.

    A pair of unsigned bits picks 0, x, 2x or 3x (a ``mux``: one LUT6 per bit, two select and four data
    bits); ``3x = x + 2x`` is one adder, shared by every product with the same x (the builder's hash-consing:
    a softmax's four products by one ``1/sum``). That halves the partial products, hence the adders, for
    about the LUTs of the per-bit selects it replaces. A bit left alone selects x (a ``mul`` by one bit: an
    AND). A signed operand's top bit weighs ``-2**(w-1)``, so its selection is subtracted; a bit that every
    code of the operand shares is a constant (its selection a wire, or nothing). The tree's interval
    arithmetic is looser than the product's, so the sum is wrapped to the product's own width: free, and
    exact because the product lies in its interval.

    3x is an adder level above x: where that makes the product deeper than one select per bit would, the
    product is built that way instead, and where x arrives late, the wider operand's bits select multiples of
    the narrower one (built early) if that is shallower: the shallowest of the four builds, in that order of
    preference (the ops of the others are never read, so never built). A wider operand in ``shared`` (read by
    other products too: a softmax's ``1/sum``) keeps its role where the narrower one is not, since its 3x
    serves them all and the narrower one's would serve one product.
    """
    ix, iy = b.interval(x), b.interval(y)
    if ix.lo == ix.hi or iy.lo == iy.hi:
        return multiply(b, x, y)
    if iy.width > ix.width:
        x, y, ix, iy = y, x, iy, ix
    if iy.width == 1:
        return b.mul(x, y)  # already a select
    swaps = [] if x in shared and y not in shared else [(y, x, True), (y, x, False)]
    builds = [(x, y, True), (x, y, False), *swaps]
    total = min((_sum_of_selections(b, *build) for build in builds), key=b.depth)  # the first of the shallowest
    return _wrap_to(b, total, _product_interval(ix, iy))


def _sum_of_selections(b: ProgramBuilder, x: int, y: int, pairs: bool) -> int:
    """``x * y`` as the sum of x selected by y's bits, two at a time where ``pairs`` and both vary.

    y's bits are read through ``y * 2`` (wiring): the builder folds a quantizer of a table's output into a
    table of its own, and each digit of a table's output (a softmax's exp) would be a ROM of its own."""
    iy = b.interval(y)
    w = iy.width
    wire = b.shift(y, 1)  # bit j of y is bit j of ``wire``, one place up
    unsigned_bits = w - iy.signed

    def fixed(j: int) -> bool:  # every code has the same bit j
        return iy.lo >> j == iy.hi >> j

    terms, signs = [], []
    j = 0
    while j < w:
        if pairs and j + 1 < unsigned_bits and not fixed(j) and not fixed(j + 1):
            digit = b.quant(wire, 0, iy.exp + j + 3, -(iy.exp + j + 1), "TRN", "WRAP")  # bits j and j + 1: wiring
            multiples = [b.const(0), x, b.shift(x, 1), b.add(x, x, 1)]
            terms.append(b.shift(b.mux(digit, multiples), iy.exp + j))
            signs.append(1.0)
            j += 2
            continue
        if fixed(j):
            if (iy.lo >> j) & 1:
                terms.append(b.shift(x, iy.exp + j))
                signs.append(-1.0 if iy.signed and j == w - 1 else 1.0)
        else:
            bit = b.quant(wire, 0, iy.exp + j + 2, -(iy.exp + j + 1), "TRN", "WRAP")  # bit j: wiring
            terms.append(b.shift(b.mul(x, bit), -1))
            signs.append(-1.0 if iy.signed and j == w - 1 else 1.0)
        j += 1
    total, = emit_cmvm(b, terms, np.array(signs)[:, None])
    return total


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
