"""Packing integer codes onto the flattened port buses and back, vectorised over samples.

A bus word travels as little-endian bytes, one row per sample, so whole arrays
cross into a simulator or a stored testbench through a file; layout as in ``rtl_emit.ports``.
"""

from collections.abc import Sequence

import numpy as np

from .ports import BusElement


def pack(codes: np.ndarray, elements: Sequence[BusElement], bus_width: int) -> np.ndarray:
    """Codes (n_samples, n_elements) -> bus words as uint8 bytes (n_samples, ceil(bus_width / 8))."""
    n, size = len(codes), n_bytes(bus_width)
    words = np.zeros((n, size + 8), dtype=np.uint8)  # 8 spare bytes: every element fits one 8-byte window
    for j, el in enumerate(elements):
        w, lsb = el.width, el.lsb
        if not w:
            continue
        word = codes[:, j].astype(np.int64).view(np.uint64) & np.uint64((1 << w) - 1)  # two's complement bits
        if w + lsb % 8 <= 64:
            window = (word << np.uint64(lsb % 8)).astype("<u8").view(np.uint8).reshape(n, 8)
            words[:, lsb // 8:lsb // 8 + 8] |= window
        else:  # wider than one window: bit by bit
            bits = ((word[:, None] >> np.arange(w, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
            full = np.zeros((n, (size + 8) * 8), np.uint8)
            full[:, lsb:lsb + w] = bits
            words |= np.packbits(full, axis=1, bitorder="little")
    return words[:, :size]


def unpack(words: np.ndarray, elements: Sequence[BusElement]) -> np.ndarray:
    """Bus words as uint8 bytes (n_samples, n_bytes) -> codes (n_samples, n_elements), int64."""
    n = len(words)
    padded = np.zeros((n, words.shape[1] + 8), np.uint8)
    padded[:, :words.shape[1]] = words
    codes = np.zeros((n, len(elements)), dtype=np.int64)
    for j, el in enumerate(elements):
        w, lsb = el.width, el.lsb
        if not w:
            continue
        if w + lsb % 8 <= 64:
            window = np.ascontiguousarray(padded[:, lsb // 8:lsb // 8 + 8]).view("<u8")[:, 0]
            code = (window >> np.uint64(lsb % 8)) & np.uint64((1 << w) - 1)
        else:
            bits = np.unpackbits(padded, axis=1, bitorder="little")[:, lsb:lsb + w].astype(np.uint64)
            code = (bits << np.arange(w, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
        code = code.astype(np.int64)
        if el.signed:
            code -= (code >> (w - 1) & 1) << w
        codes[:, j] = code
    return codes


def n_bytes(bus_width: int) -> int:
    """Bytes per sample of a bus word (at least one, so every sample has a row)."""
    return max((bus_width + 7) // 8, 1)
