"""The flattened port buses: element ``j`` of a bus sits above elements ``0..j-1``.

Element 0 takes the least significant bits; each element is its value's code in
two's complement, ``interval.width`` bits wide (zero-width elements take no bits).
The same layout is written to the metadata, so a testbench or a user's wrapper
can slice the buses without knowing the program.
"""

import re
from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class BusElement:
    """One element of a bus: where it sits and its fixed-point format (value = code * 2**exp)."""

    index: int
    lsb: int
    width: int
    signed: bool
    int_bits: int
    frac_bits: int
    exp: int
    lo: int
    hi: int


def bus_elements(intervals: list[Interval]) -> list[BusElement]:
    """The elements of the bus that carries values of these intervals, element 0 lowest."""
    return [BusElement(j, lsb, iv.width, iv.signed, iv.int_bits, iv.frac_bits, iv.exp, iv.lo, iv.hi)
            for j, (iv, lsb) in enumerate(zip(intervals, bus_offsets(intervals)))]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_name(name: str) -> None:
    """Refuse a module name that is not a Verilog identifier."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"design name {name!r} is not a Verilog identifier (letters, digits, _; no leading digit)")


def flat_samples(arrays) -> np.ndarray:
    """One array or a list of arrays (n_samples, *shape) -> (n_samples, total): the order of the elements on
    a bus (each tensor flattened in C order, the tensors one after the other)."""
    arrays = [np.asarray(a) for a in (arrays if isinstance(arrays, (list, tuple)) else [arrays])]
    return np.concatenate([a.reshape(len(a), -1) for a in arrays], axis=1)


CLOCK, RESET, ENABLE, INPUT, OUTPUT = "clk", "rst", "ce", "inp", "out"
INPUT_VALID, OUTPUT_VALID = "inp_valid", "out_valid"


@dataclass(frozen=True)
class Interface:
    """Which control ports the module has besides the data buses ``inp`` and ``out``.

    - ``clk``: rising edge; absent from a combinational design.
    - ``rst`` (``reset=True``): synchronous, active high; clears the valid pipeline only
      (data registers carry no reset, which saves routing; their contents are don't-care
      while ``out_valid`` is low).
    - ``ce`` (``clock_enable=True``): active high; while low every register holds, so the
      whole pipeline stalls and resumes where it stopped.
    - ``inp_valid`` / ``out_valid`` (``valid=True``): a one-bit shift register beside the data,
      ``latency_cycles`` long, so ``out_valid`` is high exactly when ``out`` holds the result
      of a sample that entered with ``inp_valid`` high.
    """

    reset: bool = False
    clock_enable: bool = False
    valid: bool = True

    def ports(self, combinational: bool) -> list[str]:
        """The control and data port names, in module order."""
        names = [] if combinational else [CLOCK] + [RESET] * self.reset + [ENABLE] * self.clock_enable
        return names + [INPUT] + [INPUT_VALID] * self.valid + [OUTPUT] + [OUTPUT_VALID] * self.valid

    def check(self, combinational: bool) -> None:
        if combinational and (self.reset or self.clock_enable):
            raise ValueError("a combinational design has no registers: it takes neither reset nor clock_enable")
