"""The last step of every output: add its remaining terms in a tree.

Adding the two shallowest terms first (Huffman on depth) reaches the least
depth any tree over those terms can reach. Among terms of equal depth the one
whose top bit is lowest goes first, which keeps the partial sums narrow.
"""

import numba
import numpy as np

from da_core.cost import bit_width
from da_core.signals import add_adder


@numba.njit(cache=True)
def _argmin(values, n) -> int:
    """np.argmin(values[:n]) (first of equals) without making a slice, which numba refcounts."""
    best = 0
    for i in range(1, n):
        if values[i] < values[best]:
            best = i
    return best


@numba.njit(cache=True, nogil=True)
def sum_outputs(term_sig, term_shift, term_sign, n_terms, parent, parent_sign, adders, lo, hi, depth, count, n_in):
    """Sum each output's terms into one signal; returns (out_index, out_shift, out_sign).

    An output with parent[j] >= 0 also adds ``parent_sign[j] * y[parent[j]]``;
    outputs are summed by their level in the parent forest, parents first.
    """
    n_out = len(n_terms)
    out_index = np.full(n_out, -1, dtype=np.int64)
    out_shift = np.zeros(n_out, dtype=np.int64)
    out_sign = np.ones(n_out, dtype=np.int64)
    size = term_sig.shape[1] + 1
    t_sig, t_shift, t_sign = np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros(size, np.int64)
    rank = np.zeros(size, dtype=np.int64)  # depth, then top bit: smaller goes first
    level = np.zeros(n_out, dtype=np.int64)
    for j in range(n_out):
        p = parent[j]
        while p >= 0:
            level[j] += 1
            p = parent[p]
    for j in np.argsort(level, kind="mergesort"):
        p = parent[j]
        n = n_terms[j]
        t_sig[:n], t_shift[:n], t_sign[:n] = term_sig[j, :n], term_shift[j, :n], term_sign[j, :n]
        if p >= 0:
            t_sig[n], t_shift[n], t_sign[n] = out_index[p], out_shift[p], out_sign[p] * parent_sign[j]
            n += 1
        if n == 0:
            continue
        for k in range(n):
            rank[k] = (depth[t_sig[k]] << 32) + bit_width(lo[t_sig[k]], hi[t_sig[k]]) + t_shift[k]
        while n > 1:
            i1 = _argmin(rank, n)
            n -= 1
            s1, h1, g1 = t_sig[i1], t_shift[i1], t_sign[i1]
            t_sig[i1], t_shift[i1], t_sign[i1], rank[i1] = t_sig[n], t_shift[n], t_sign[n], rank[n]
            i2 = _argmin(rank, n)
            s2, h2, g2 = t_sig[i2], t_shift[i2], t_sign[i2]
            if h2 < h1 or (h1 == h2 and g2 > g1):  # base = lower shift; on a tie the positive one
                s1, h1, g1, s2, h2, g2 = s2, h2, g2, s1, h1, g1
            new = add_adder(adders, lo, hi, depth, count, n_in, s1, s2, h2 - h1, g1 * g2)
            t_sig[i2], t_shift[i2], t_sign[i2] = new, h1, g1
            rank[i2] = (depth[new] << 32) + bit_width(lo[new], hi[new]) + h1
        out_index[j] = t_sig[0]
        out_shift[j] = t_shift[0]
        out_sign[j] = t_sign[0]
    return out_index, out_shift, out_sign
