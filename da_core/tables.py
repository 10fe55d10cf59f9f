"""Lookup tables in hardware: their ROM image, which become plain logic, and their LUT cost.

On a LUT6 fabric each output bit of a table over ``s`` input bits is one LUT6 up to 6 bits, the F7/F8
muxes join 2 and 4 of them up to 8 bits, and past 8 bits each further doubling adds a third of a LUT
per pair of 8-bit blocks for the mux tree: 2**(s-6) + ceil((2**(s-8) - 1) / 3). A bit that is the same
in every entry is a constant, free. The Yosys report of ``benchmarks/table_cost.py`` confirms it.
"""

from collections.abc import Sequence

LOGIC_BITS = 3  # a table over at most this many input bits is written as logic, not as a ROM


def luts_per_bit(in_bits: int) -> int:
    """LUT6s for one output bit of a table over ``in_bits`` address bits."""
    if in_bits <= 1:
        return 0  # a wire, an inverter or a constant
    if in_bits <= 6:
        return 1
    blocks = 1 << (in_bits - 6)
    return blocks if in_bits <= 8 else blocks + -(-((1 << (in_bits - 8)) - 1) // 3)


def varying_bits(entries: Sequence[int], width: int) -> int:
    """Output bits (two's complement, ``width`` wide) that differ between some entries: the others are constants."""
    ones = zeros = (1 << width) - 1
    for c in entries:
        ones &= c
        zeros &= ~c
    mask = (1 << width) - 1
    return bin(mask & ~(ones | zeros)).count("1")


def table_luts(in_bits: int, entries: Sequence[int], width: int, base: int = 0) -> int:
    """The LUT estimate of a table of ``entries`` (codes, ``width`` bits; entry ``j`` at address ``base + j``)
    over ``in_bits`` address bits. In a table written as logic, an output bit that is an address bit or its
    complement is a wire (its inverter folds into the reader's LUT)."""
    bits = varying_bits(entries, width)
    if is_logic(in_bits) and bits:
        mask = (1 << in_bits) - 1
        address_bits = {tuple(((base + j) & mask) >> a & 1 for j in range(len(entries))) for a in range(in_bits)}
        for b in range(width):
            column = tuple(c >> b & 1 for c in entries)
            if len(set(column)) == 2:  # constants are counted out already
                bits -= column in address_bits or tuple(1 - v for v in column) in address_bits
    return luts_per_bit(in_bits) * bits


def table_depth(in_bits: int) -> int:
    """Logic levels of a table: one LUT6 (with the F7/F8 muxes) up to 8 bits, a mux level more above."""
    return 1 if in_bits <= 8 else 2


def rom_image(base: int, entries: Sequence[int], address_bits: int) -> list[int]:
    """The ROM addressed by the operand's raw two's complement code: entry ``j`` at address ``base + j``
    (wrapped to ``address_bits``); addresses the operand never takes hold 0."""
    size = 1 << address_bits
    rom = [0] * size
    for j, entry in enumerate(entries):
        rom[(base + j) % size] = int(entry)
    return rom


def is_logic(address_bits: int) -> bool:
    """A table this small is written as logic (a select of constants), not stored as a ROM."""
    return address_bits <= LOGIC_BITS
