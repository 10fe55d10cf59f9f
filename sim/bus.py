"""Packing integer codes onto the flattened port buses and back, vectorised over samples.

A bus word travels as little-endian bytes, one row per sample, so whole arrays
cross into the simulator through a .npz file; layout as in ``rtl_emit.ports``.
"""

import numpy as np


def pack(codes: np.ndarray, elements: list[dict], bus_width: int) -> np.ndarray:
    """Codes (n_samples, n_elements) -> bus words as uint8 bytes (n_samples, ceil(bus_width / 8))."""
    bits = np.zeros((len(codes), _n_bytes(bus_width) * 8), dtype=np.uint8)
    for j, el in enumerate(elements):
        w = el["width"]
        if w:
            word = codes[:, j].astype(np.int64).view(np.uint64)  # two's complement bits
            bits[:, el["lsb"]:el["lsb"] + w] = (word[:, None] >> np.arange(w, dtype=np.uint64)) & np.uint64(1)
    return np.packbits(bits, axis=1, bitorder="little")


def unpack(words: np.ndarray, elements: list[dict]) -> np.ndarray:
    """Bus words as uint8 bytes (n_samples, n_bytes) -> codes (n_samples, n_elements), int64."""
    bits = np.unpackbits(words, axis=1, bitorder="little")
    codes = np.zeros((len(words), len(elements)), dtype=np.int64)
    for j, el in enumerate(elements):
        w, lsb = el["width"], el["lsb"]
        if w:
            codes[:, j] = bits[:, lsb:lsb + w].astype(np.int64) @ (np.int64(1) << np.arange(w, dtype=np.int64))
            if el["signed"]:
                codes[:, j] -= bits[:, lsb + w - 1].astype(np.int64) << w
    return codes


def _n_bytes(bus_width: int) -> int:
    return max((bus_width + 7) // 8, 1)
