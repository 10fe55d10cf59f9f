"""The growing table of signals while a solver stage builds adders.

Signals are kept unshifted: a term ``sign * (sig << shift)`` names one. Merging
two terms makes one adder ``a + s * (b << d)`` whose interval and depth are
exact consequences of its operands, so the cost of every adder is known the
moment it is made. Plain arrays and a one-element counter, for numba.
"""

import numba
import numpy as np

from da_core.cost import adder_cost


class SignalTable:
    """Arrays shared by the numba stages (inputs first, then one row per adder)."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, in_depth: np.ndarray, max_adders: int):
        n_in = len(lo)
        capacity = n_in + max_adders
        self.n_in = n_in
        self.lo = np.zeros(capacity, dtype=np.int64)
        self.hi = np.zeros(capacity, dtype=np.int64)
        self.depth = np.zeros(capacity, dtype=np.int64)
        self.lo[:n_in] = lo
        self.hi[:n_in] = hi
        self.depth[:n_in] = in_depth
        self.adders = np.zeros((max(max_adders, 0), 4), dtype=np.int64)
        self.count = np.array([n_in], dtype=np.int64)

    def arrays(self):
        return self.adders, self.lo, self.hi, self.depth, self.count

    def used_adders(self) -> np.ndarray:
        return self.adders[: self.count[0] - self.n_in].copy()

    def score(self, objective: str) -> tuple[int, int]:
        """(adders, cost) or (cost, adders), to compare tables built for the same matrix."""
        adders = int(self.count[0] - self.n_in)
        cost = _total_cost(self.adders, self.lo, self.hi, self.n_in, adders)
        return (adders, cost) if objective == "adders" else (cost, adders)


@numba.njit(cache=True, nogil=True)
def _total_cost(adders, lo, hi, n_in, n_adders) -> int:
    total = 0
    for k in range(n_adders):
        total += adder_cost(lo[n_in + k], hi[n_in + k], adders[k, 2])
    return total


@numba.njit(cache=True, inline="always")
def merged_bounds(a_lo, a_hi, b_lo, b_hi, shift, sign):
    """Interval of ``a + sign * (b << shift)`` for a in [a_lo, a_hi], b in [b_lo, b_hi]."""
    if sign > 0:
        return a_lo + (b_lo << shift), a_hi + (b_hi << shift)
    return a_lo - (b_hi << shift), a_hi - (b_lo << shift)


@numba.njit(cache=True, inline="always")
def merge_cost(a_lo, a_hi, b_lo, b_hi, shift, sign) -> int:
    """Cost of the adder ``a + sign * (b << shift)`` (see da_core.cost). Scalars
    only: this runs in the hottest loops, where array arguments cost refcounts."""
    r_lo, r_hi = merged_bounds(a_lo, a_hi, b_lo, b_hi, shift, sign)
    return adder_cost(r_lo, r_hi, shift)


@numba.njit(cache=True, inline="always")
def order_pair(sig1, shift1, sign1, sig2, shift2, sign2):
    """Canonical (a, b, d, s, base_shift, base_sign) for the sum of two terms:
    ``sign1*(sig1<<shift1) + sign2*(sig2<<shift2) == base_sign * ((a + s*(b<<d)) << base_shift)``
    with the lower-shift term (or the lower signal on a tie) as a."""
    if shift1 < shift2 or (shift1 == shift2 and sig1 <= sig2):
        return sig1, sig2, shift2 - shift1, sign1 * sign2, shift1, sign1
    return sig2, sig1, shift1 - shift2, sign1 * sign2, shift2, sign2


@numba.njit(cache=True)
def add_adder(adders, lo, hi, depth, count, n_in, a, b, shift, sign) -> int:
    """Append the adder ``sig[a] + sign * (sig[b] << shift)``; return its signal."""
    s = count[0]
    k = s - n_in
    adders[k, 0] = a
    adders[k, 1] = b
    adders[k, 2] = shift
    adders[k, 3] = sign
    lo[s], hi[s] = merged_bounds(lo[a], hi[a], lo[b], hi[b], shift, sign)
    depth[s] = max(depth[a], depth[b]) + 1
    count[0] = s + 1
    return s
