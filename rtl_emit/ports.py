"""The flattened port buses: element ``j`` of a bus sits above elements ``0..j-1``.

Element 0 takes the least significant bits; each element is its value's code in
two's complement, ``interval.width`` bits wide (zero-width elements take no bits).
The same layout is written to the metadata, so a testbench or a user's wrapper
can slice the buses without knowing the program.
"""

from da_core.interval import Interval


def bus_offsets(intervals: list[Interval]) -> list[int]:
    """The lsb of each element on its bus."""
    offsets, lsb = [], 0
    for iv in intervals:
        offsets.append(lsb)
        lsb += iv.width
    return offsets


def bus_width(intervals: list[Interval]) -> int:
    return sum(iv.width for iv in intervals)


def element_descriptions(intervals: list[Interval]) -> list[dict]:
    """Per element: where it sits on the bus and its fixed-point format (value = code * 2**exp)."""
    return [dict(index=j, lsb=lsb, width=iv.width, signed=iv.signed, int_bits=iv.int_bits,
                 frac_bits=iv.frac_bits, exp=iv.exp, lo=iv.lo, hi=iv.hi)
            for j, (iv, lsb) in enumerate(zip(intervals, bus_offsets(intervals)))]
