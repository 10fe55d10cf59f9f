"""The cost model shared by the solver and the program builder.

An adder's cost is the number of result bits it must compute, which on a LUT6 +
carry-chain fabric is about its LUT count. Low result bits that are a plain copy
of one operand's bits (the other operand is shifted above them) are wires: free.

Products of two variables (``da_core.multipliers``): with ``multipliers="dsp"`` a
multiplier costs DSP48E2s (``dsp_tiles``) and no LUT; with ``"lut"`` it becomes
selects (half a LUT per bit: the AND packs into the reading adder's LUT6) and adders;
``"auto"`` chooses per product.
"""

import numba


@numba.njit(cache=True)
def bit_width(lo: int, hi: int) -> int:
    """Two's complement width of an integer interval (signed when lo < 0)."""
    if lo >= 0:
        w = 0
        while (hi >> w) > 0:
            w += 1
        return w
    w = 1
    while (hi >> (w - 1)) > 0 or (lo >> (w - 1)) < -1:
        w += 1
    return w


@numba.njit(cache=True)
def adder_cost(lo: int, hi: int, passthrough: int) -> int:
    """Cost of an adder whose result lies in [lo, hi] (integer codes) and whose
    lowest `passthrough` bits are copied from one operand."""
    return max(bit_width(lo, hi) - passthrough, 1)



DSP_A_BITS, DSP_B_BITS = 27, 18  # DSP48E2's signed multiplier ports (UltraScale+)
DSP_LEVELS = 4  # a product through a DSP48E2 with no internal register takes about as long as four adders


def dsp_tiles(a_bits: int, b_bits: int) -> int:
    """DSP48E2s for a product of two signed operands of ``a_bits`` and ``b_bits`` (an unsigned operand counts one
    bit more); wider operands are split into pieces whose partial products cascade (each lower piece unsigned, so
    one bit less of the port)."""

    def pieces(bits: int, port: int) -> int:
        return 1 if bits <= port else 1 + -(-(bits - port) // (port - 1))

    return min(pieces(a_bits, DSP_A_BITS) * pieces(b_bits, DSP_B_BITS),
               pieces(b_bits, DSP_A_BITS) * pieces(a_bits, DSP_B_BITS))
