"""Packing the partial products of narrow CMVM inputs into LUT6 tables (opt-in: ``lower(..., pack_bits=...)``).

A weighted sum of a few narrow inputs, ``sum_i w_i x_i`` with at most PACK_ADDRESS_BITS input bits in all,
is a function of at most six bits: each of its result bits is one LUT6, where the shift-and-add graph
would spend an adder (a LUT per bit, or more) on every signed digit of every weight. ``pack_narrow``
rewrites a CMVM before it is solved: per output, the inputs of at most ``pack_bits`` bits are grouped
(at most PACK_ADDRESS_BITS address bits a group, like weights together, so each group's sum is narrow), each
group of two or more becomes one ``pack`` op of the program, and the solver sums the packs with the wide
inputs. It pays where most inputs are 1 bit wide (binary activations: Yosys LUTs -25% on
bench_models.binary_mlp); with a few narrow inputs among wide ones it changes little and Yosys may count
more (benchmarks/RESULTS.md), hence opt-in.

A ``pack`` op reads ``args`` (each at its own exponent) and has ``params == (weights,)``: its value is
``sum(w * arg)``, exactly. In hardware it is a ROM whose address is the operands' raw two's complement codes
concatenated, the first operand lowest (``pack_image``).
"""

import itertools
from collections.abc import Sequence

import numpy as np

from .interval import Interval
from .tables import luts_per_bit

PACK_ADDRESS_BITS = 6  # one LUT6 per result bit


def check_pack_bits(pack_bits: int) -> None:
    if not isinstance(pack_bits, int) or not 0 <= pack_bits <= PACK_ADDRESS_BITS:
        raise ValueError(f"pack_bits must be an int from 0 (off) to {PACK_ADDRESS_BITS}, got {pack_bits!r}")


def pack_codes(weights: Sequence[int], arg_ivs: Sequence[Interval], exp: int, codes: Sequence) -> object:
    """The result code at ``exp`` of a pack on operand codes (ints or int64 arrays); exact, as ``exp`` is the
    result's own (or finer)."""
    fine = min(exp, *(iv.exp for iv in arg_ivs))
    return sum(w * (c << (iv.exp - fine)) for w, iv, c in zip(weights, arg_ivs, codes)) >> (exp - fine)


def pack_interval(weights: Sequence[int], arg_ivs: Sequence[Interval]) -> Interval:
    """The exact interval of a pack: its codes at every operand combination, common trailing zeros dropped."""
    exp = min(iv.exp for iv in arg_ivs)
    entries = [pack_codes(weights, arg_ivs, exp, c)
               for c in itertools.product(*(range(iv.lo, iv.hi + 1) for iv in arg_ivs))]
    while any(entries) and all(c % 2 == 0 for c in entries):
        entries, exp = [c // 2 for c in entries], exp + 1
    return Interval(min(entries), max(entries), exp if any(entries) else 0)


def pack_image(weights: Sequence[int], arg_ivs: Sequence[Interval], exp: int) -> list[int]:
    """The ROM of a pack: at each address (the operands' raw codes concatenated, the first lowest) the result
    code at ``exp`` (signed; the writer takes it modulo its width); 0 at addresses the operands never form."""
    widths = [iv.width for iv in arg_ivs]
    rom = [0] * (1 << sum(widths))
    for codes in itertools.product(*(range(iv.lo, iv.hi + 1) for iv in arg_ivs)):
        address, offset = 0, 0
        for c, w in zip(codes, widths):
            address |= (c % (1 << w)) << offset
            offset += w
        rom[address] = pack_codes(weights, arg_ivs, exp, codes)
    return rom


def pack_luts(weights: Sequence[int], arg_ivs: Sequence[Interval], result: Interval) -> int:
    """LUT6s of a pack: one per result bit that varies and is not an operand bit (or its complement)."""
    bits = sum(iv.width for iv in arg_ivs)
    image = pack_image(weights, arg_ivs, result.exp)
    reach = [a for a in range(1 << bits) if _reachable(a, arg_ivs)]
    address_columns = {tuple(a >> k & 1 for a in reach) for k in range(bits)}
    luts = 0
    for b in range(result.width):
        column = tuple(image[a] >> b & 1 for a in reach)
        if len(set(column)) == 2 and column not in address_columns \
                and tuple(1 - v for v in column) not in address_columns:
            luts += luts_per_bit(bits)
    return luts


def _magnitude(w: int) -> tuple[int, int]:
    """Sort key of a weight: its bit length, then its trailing zeros (groups of like weights make narrow sums)."""
    w = abs(int(w))
    return w.bit_length(), -((w & -w).bit_length())


def _reachable(address: int, arg_ivs: Sequence[Interval]) -> bool:
    for iv in arg_ivs:
        w = iv.width
        raw = address & ((1 << w) - 1)
        code = raw - (1 << w) if iv.signed and raw >> (w - 1) else raw
        if not iv.lo <= code <= iv.hi:
            return False
        address >>= w
    return True


def pack_narrow(builder, signals: list[int], scaled: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                depth: np.ndarray, pack_bits: int) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The CMVM ``signals @ scaled`` (integer codes) with each output's narrow inputs summed by packs.

    Per output, the inputs of at most ``pack_bits`` bits (with a non-zero weight), in order of their weights'
    bit lengths, are taken into groups of at most PACK_ADDRESS_BITS bits; a group of two or more becomes a
    pack, a new input with weight 1 in that output's column, and the group's weights there become 0.
    Returns the new (signals, scaled, lo, hi, depth).
    """
    widths = [builder.interval(s).width for s in signals]
    narrow = [i for i, w in enumerate(widths) if 0 < w <= pack_bits]
    if not narrow:
        return signals, scaled, lo, hi, depth
    scaled = scaled.copy()
    signals, rows, new_lo, new_hi, new_depth = list(signals), [], [], [], []
    for j in range(scaled.shape[1]):
        group: list[int] = []
        for i in sorted((i for i in narrow if scaled[i, j]), key=lambda i: _magnitude(scaled[i, j])) + [None]:
            if i is not None and sum(widths[g] for g in group) + widths[i] <= PACK_ADDRESS_BITS:
                group.append(i)
                continue
            if len(group) > 1:
                v = builder.pack([signals[g] for g in group], [int(scaled[g, j]) for g in group])
                iv = builder.interval(v)
                signals.append(builder.shift(v, -iv.exp))  # its code, as the solver's integer input
                row = np.zeros(scaled.shape[1], dtype=np.int64)
                row[j] = 1 << iv.exp
                rows.append(row)
                new_lo.append(iv.lo)
                new_hi.append(iv.hi)
                new_depth.append(int(max(depth[g] for g in group)) + 1)
                scaled[group, j] = 0
            group = [] if i is None else [i]
    if not rows:
        return signals, scaled, lo, hi, depth
    return (signals, np.vstack([scaled, np.array(rows)]), np.concatenate([lo, new_lo]).astype(np.int64),
            np.concatenate([hi, new_hi]).astype(np.int64), np.concatenate([depth, new_depth]).astype(np.int64))
