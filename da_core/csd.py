"""Canonical signed digits: the fewest ±2^k terms that make up each weight.

Every output of a CMVM starts as the list of its weights' signed digits,
``y_j = Σ sign * (x_i << shift)``; the later stages only merge those terms.
"""

import numba
import numpy as np


@numba.njit(cache=True)
def csd_digit_count(w: int) -> int:
    """Number of non-zero digits in the canonical signed digit form of w."""
    count = 0
    while w != 0:
        if w & 1:
            w -= 2 - (w & 3)
            count += 1
        w >>= 1
    return count


@numba.njit(cache=True)
def csd_digit_counts(W: np.ndarray) -> np.ndarray:
    """csd_digit_count of every entry of a 2-D integer matrix."""
    counts = np.zeros(W.shape, dtype=np.int64)
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            counts[i, j] = csd_digit_count(W[i, j])
    return counts


@numba.njit(cache=True, nogil=True)
def csd_terms(W: np.ndarray):
    """Signed-digit terms of every column of W (n_in, n_out).

    Returns (term_sig, term_shift, term_sign, n_terms): row j holds the first
    n_terms[j] terms of output j as (input index, shift, ±1), ordered by input.
    """
    n_in, n_out = W.shape
    n_terms = np.zeros(n_out, dtype=np.int64)
    for j in range(n_out):
        for i in range(n_in):
            n_terms[j] += csd_digit_count(W[i, j])
    cap = max(1, n_terms.max()) if n_out > 0 else 1
    term_sig = np.zeros((n_out, cap), dtype=np.int64)
    term_shift = np.zeros((n_out, cap), dtype=np.int64)
    term_sign = np.zeros((n_out, cap), dtype=np.int64)
    for j in range(n_out):
        t = 0
        for i in range(n_in):
            w = W[i, j]
            shift = 0
            while w != 0:
                if w & 1:
                    digit = 2 - (w & 3)
                    term_sig[j, t] = i
                    term_shift[j, t] = shift
                    term_sign[j, t] = digit
                    t += 1
                    w -= digit
                w >>= 1
                shift += 1
    return term_sig, term_shift, term_sign, n_terms
