"""A max-heap of (score, key) int64 rows on a plain array, for numba.

Used lazily: entries are never updated in place; a popped entry is checked
against the current score and pushed again when it went stale. Four children
per node and (score, key) side by side keep a pop to a few cache lines, which
matters because the pair heap holds millions of entries. Ties pop the smaller
key first so results do not depend on insertion order.
"""

import numba
import numpy as np


@numba.njit(cache=True)
def _aligned_rows(capacity: int):
    """capacity zero rows placed so that each node's four children share one 64-byte cache line (children of
    node i are rows 4i+1..4i+4): a pop in a heap larger than the cache then misses one line per level, not two."""
    buf = np.zeros((capacity + 3, 2), dtype=np.int64)
    off = (-(buf.ctypes.data // 16 + 1)) % 4
    return buf[off : off + capacity]


@numba.njit(cache=True)
def new_heap(capacity: int):
    """(rows, size): rows[:size[0]] are the entries."""
    return _aligned_rows(max(capacity, 16)), np.zeros(1, dtype=np.int64)


@numba.njit(cache=True)
def _sift_down(rows, i, n) -> None:
    # comparisons written out: helper calls on `rows` cost a refcount each
    score, key = rows[i, 0], rows[i, 1]
    while True:
        best, best_score, best_key = -1, score, key
        first = 4 * i + 1
        for c in range(first, min(first + 4, n)):
            if rows[c, 0] > best_score or (rows[c, 0] == best_score and rows[c, 1] < best_key):
                best, best_score, best_key = c, rows[c, 0], rows[c, 1]
        if best < 0:
            break
        rows[i, 0], rows[i, 1] = best_score, best_key
        i = best
    rows[i, 0], rows[i, 1] = score, key


@numba.njit(cache=True)
def heapify(rows, size) -> None:
    for i in range((size[0] - 2) // 4, -1, -1):
        _sift_down(rows, i, size[0])


@numba.njit(cache=True)
def reserved(rows, size, extra: int):
    """rows itself when `extra` more entries fit, else a larger copy. Kept out
    of push: reassigning an array inside a hot helper costs numba refcounts."""
    if size[0] + extra <= len(rows):
        return rows
    grown = _aligned_rows(2 * (size[0] + extra))
    grown[: size[0]] = rows[: size[0]]
    return grown


@numba.njit(cache=True)
def push(rows, size, score, key) -> None:
    """Push (score, key); rows must have room (see reserved)."""
    n = size[0]
    size[0] = n + 1
    while n > 0:
        parent = (n - 1) // 4
        if rows[parent, 0] > score or (rows[parent, 0] == score and rows[parent, 1] <= key):
            break
        rows[n, 0], rows[n, 1] = rows[parent, 0], rows[parent, 1]
        n = parent
    rows[n, 0], rows[n, 1] = score, key


@numba.njit(cache=True)
def top_score(rows, size) -> int:
    """Score of the best entry, or -1 when empty."""
    return rows[0, 0] if size[0] > 0 else -1


@numba.njit(cache=True)
def second_score(rows, size) -> int:
    """Score of the best entry below the top (what top_score is after a pop), or -1."""
    best = -1
    for c in range(1, min(5, size[0])):
        best = max(best, rows[c, 0])
    return best


@numba.njit(cache=True)
def replace_top(rows, size, score, key) -> None:
    """Pop then push (score, key) in one sift-down, which stops early when the new
    score stays near the top (a pop sifts the last entry down the whole height)."""
    rows[0, 0], rows[0, 1] = score, key
    _sift_down(rows, 0, size[0])


@numba.njit(cache=True)
def pop(rows, size):
    """Remove and return the top (score, key); the heap must not be empty."""
    score, key = rows[0, 0], rows[0, 1]
    size[0] -= 1
    rows[0, 0], rows[0, 1] = rows[size[0], 0], rows[size[0], 1]
    _sift_down(rows, 0, size[0])
    return score, key
