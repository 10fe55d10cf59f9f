"""Outputs that are free: zero columns and columns equal to ±2^k times another.

Only the distinct normalised columns go to the solver; the rest become a
shifted, possibly negated copy of one of them at no cost.
"""

import numpy as np


def unique_columns(W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split W (n_in, n_out) into distinct odd, sign-normalised columns U.

    Column j equals ``col_sign[j] * (U[:, col_index[j]] << col_shift[j])``,
    or is zero when ``col_index[j] == -1``.
    """
    n_in, n_out = W.shape
    col_index = np.full(n_out, -1, dtype=np.int64)
    col_shift = np.zeros(n_out, dtype=np.int64)
    col_sign = np.ones(n_out, dtype=np.int64)
    seen: dict[bytes, int] = {}
    kept: list[np.ndarray] = []
    for j in range(n_out):
        col = W[:, j]
        nz = np.flatnonzero(col)
        if len(nz) == 0:
            continue
        shift = int(min((int(v) & -int(v)).bit_length() - 1 for v in col[nz]))
        sign = 1 if col[nz[0]] > 0 else -1
        norm = (col >> shift) * sign
        key = norm.tobytes()
        if key not in seen:
            seen[key] = len(kept)
            kept.append(norm)
        col_index[j], col_shift[j], col_sign[j] = seen[key], shift, sign
    U = np.stack(kept, axis=1) if kept else np.zeros((n_in, 0), dtype=np.int64)
    return U, col_index, col_shift, col_sign
