"""How often each pair of terms (a, b, relative shift d, relative sign s) occurs.

Pairs of two inputs are the bulk of the traffic and have a small, known key
space, so they live in a dense array that stays in cache; pairs involving a
shared signal go to a hash table. A pair's count is complete once the newer of
its two signals exists and only falls after that, so the hash table stores
only pairs seen at least twice: the others can never be shared. Keys pack
(a, b, d, s) into one int64 so the heap and the counts speak the same language.
"""

import numba
import numpy as np

from da_core import hash_table as ht

SIG_BITS = 24
_SIG_MASK = (1 << SIG_BITS) - 1
_DENSE_LIMIT = 1 << 23  # entries (32 MiB) before the widest inputs fall back to hashing


@numba.njit(cache=True, inline="always")
def pair_key(a, b, d, s) -> int:
    return (a << 31) | (b << 7) | (d << 1) | (1 if s > 0 else 0)


@numba.njit(cache=True, inline="always")
def unpack_pair(key):
    return key >> 31, (key >> 7) & _SIG_MASK, (key >> 1) & 63, 1 if key & 1 else -1


@numba.njit(cache=True)
def new_counts(n_in: int, n_shifts: int, expected: int):
    """(dense, table): dense[a, b, d, s>0] for inputs a, b below a size limit
    and d < n_shifts (all input pairs' relative shifts), the other pairs in
    the hash table."""
    n_dense = n_in
    while n_dense * n_dense * n_shifts * 2 > _DENSE_LIMIT:
        n_dense -= 1
    return np.zeros((n_dense, n_dense, n_shifts, 2), dtype=np.int32), ht.new_table(expected, 0)


@numba.njit(cache=True)
def add_counts(dense, table, keys, n, delta) -> None:
    """Count of each of keys[:n] += delta, absent keys starting at 0 (reserve
    hash room first). One call per batch keeps numba's array refcounting out
    of the per-key loop."""
    n_dense = dense.shape[0]
    for i in range(n):
        key = keys[i]
        a, b = key >> 31, (key >> 7) & _SIG_MASK
        if a < n_dense and b < n_dense:
            dense[a, b, (key >> 1) & 63, key & 1] += delta
        else:
            ht.add(table, key, delta)


@numba.njit(cache=True)
def drop_counts(dense, table, keys, n) -> None:
    """Count of each of keys[:n] -= 1 where one is kept: a pair that is not
    stored was seen at most once, and its count can only fall. A hashed pair
    whose count falls below 2 leaves the table (it reads 0 from then on): it
    can never be shared again, and the table stays small enough for cache."""
    n_dense = dense.shape[0]
    for i in range(n):
        key = keys[i]
        a, b = key >> 31, (key >> 7) & _SIG_MASK
        if a < n_dense and b < n_dense:
            dense[a, b, (key >> 1) & 63, key & 1] -= 1
        else:
            ht.decrement(table, key, 2)


@numba.njit(cache=True)
def get_count(dense, table, key) -> int:
    a, b, d, s = unpack_pair(key)
    n_dense = dense.shape[0]
    if a < n_dense and b < n_dense:
        return dense[a, b, d, 1 if s > 0 else 0]
    return ht.get(table, key)
