"""Lookups read negated by the adders on LUT6_2 cells (``ternary_adders=True``).

A ROM costs a LUT per output bit that varies (``da_core.tables.table_luts``), and the negated entries may
vary in fewer: entries in [-1, 2] take three bits in two's complement, their negatives in [-2, 1] two. An
adder on LUT6_2 cells subtracts a term for free (the inverter is inside its LUT, the +1 comes in as KIN or
CIN: at most two subtracted terms an adder), so a lookup read only by such a term, in its stage, is written
as the ROM of its negated entries and the term's sign flipped. The sum is the same on every input.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from da_core.interval import Interval
from da_core.program import Op
from da_core.tables import table_luts

from .netlist import Tap, Wire


def negated_tables(fused: dict, by_root: dict[int, Wire], uses: Counter,
                   chain_start: Callable[[list], int]) -> tuple[dict, dict[int, Op]]:
    """``fused`` (per adder on LUT6_2 cells, its terms) with the signs of the terms whose lookups are written
    negated flipped; and per such lookup (its value id) the ``lut`` op that the Verilog writes instead.

    A flip must save LUTs, keep at most two subtracted terms, and leave the adder's ``chain_start`` (given by
    ``rtl_emit.ternary``, which calls this) as it was. ``by_root``: each wire by its value id.
    """
    negated: dict[int, Op] = {}
    out = {}
    for v, terms in fused.items():
        start = chain_start(terms)
        options = []
        for j, t in enumerate(terms):
            w = by_root.get(t.operand.root) if isinstance(t.operand, Tap) and not t.operand.k else None
            if w is None or w.op.kind != "lut" or uses[t.operand.root] != 1 or len(w.chain) != 1:
                continue
            flipped = negated_lut(w.op, w.arg_intervals[0])
            if flipped.cost < w.op.cost:
                options.append((w.op.cost - flipped.cost, j, flipped))
        for _, j, flipped in sorted(options, key=lambda o: o[:2], reverse=True):
            trial = terms[:j] + [replace(terms[j], sign=-terms[j].sign)] + terms[j + 1:]
            if sum(t.sign < 0 for t in trial) <= 2 and chain_start(trial) == start:
                terms = trial
                negated[terms[j].operand.root] = flipped
        out[v] = terms
    return out, negated


def negated_lut(op: Op, address: Interval) -> Op:
    """The ``lut`` op of the negated entries (its interval and ROM cost); ``address`` is its operand's interval."""
    base, base_exp, table = op.params
    entries = tuple(-c for c in table)
    iv = Interval(-op.interval.hi, -op.interval.lo, op.interval.exp)
    return replace(op, params=(base, base_exp, entries), interval=iv,
                   cost=table_luts(address.width, entries, iv.width, address.lo))
