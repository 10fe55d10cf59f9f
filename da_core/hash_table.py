"""An int64 -> int64 open-addressing hash table on plain arrays, for numba.

numba's typed dict is several times slower in the pair-counting loop, which
does hundreds of millions of lookups on large matrices. Each slot is a row
(key, value), so a probe touches one cache line. Keys are >= 0; a slot whose
value equals the table's `dead` value counts as absent and is dropped when the
table grows. `meta` holds [occupied slots, dead value].
"""

import numba
import numpy as np

EMPTY = -1


@numba.njit(cache=True)
def new_table(expected: int, dead: int):
    cap = 16
    while cap < 2 * expected:
        cap *= 2
    slots = np.empty((cap, 2), dtype=np.int64)
    slots[:, 0] = EMPTY
    slots[:, 1] = dead
    return slots, np.array([0, dead], dtype=np.int64)


@numba.njit(cache=True, inline="always")
def _slot(slots, key) -> int:
    """Slot holding key, or the empty slot where it would go."""
    mask = len(slots) - 1
    h = np.uint64(key)
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    i = np.int64((h ^ (h >> np.uint64(31))) & np.uint64(mask))
    while slots[i, 0] != EMPTY and slots[i, 0] != key:
        i = (i + 1) & mask
    return i


@numba.njit(cache=True, inline="always")
def get(slots, meta, key) -> int:
    i = _slot(slots, key)
    return slots[i, 1] if slots[i, 0] == key else meta[1]


@numba.njit(cache=True, inline="always")
def _claim(slots, meta, key) -> int:
    """The slot of key, taken for it (and counted) if it was empty."""
    i = _slot(slots, key)
    if slots[i, 0] == EMPTY:
        slots[i, 0] = key
        meta[0] += 1
    return i


@numba.njit(cache=True, inline="always")
def put(slots, meta, key, value) -> None:
    slots[_claim(slots, meta, key), 1] = value


@numba.njit(cache=True, inline="always")
def add(slots, meta, key, delta) -> int:
    """slots[key] += delta (absent keys start at the dead value); returns the new value."""
    i = _claim(slots, meta, key)
    slots[i, 1] += delta
    return slots[i, 1]


@numba.njit(cache=True)
def reserved(slots, meta, extra: int):
    """The table itself when `extra` more keys fit under 70% load, else a larger
    copy holding only the live entries."""
    if 10 * (meta[0] + extra) <= 7 * len(slots):
        return slots, meta
    live = 0
    for i in range(len(slots)):
        if slots[i, 0] != EMPTY and slots[i, 1] != meta[1]:
            live += 1
    new_slots, new_meta = new_table(live + extra + 16, meta[1])
    for i in range(len(slots)):
        if slots[i, 0] != EMPTY and slots[i, 1] != meta[1]:
            put(new_slots, new_meta, slots[i, 0], slots[i, 1])
    return new_slots, new_meta


@numba.njit(cache=True)
def tally(scratch, keys, n, used) -> int:
    """Count each distinct key of keys[:n] into scratch, an empty table of at
    least 2n slots (values 0), without sorting; the filled slots go to
    used[:m] and m is returned. Reset them to EMPTY and 0 after reading."""
    m = 0
    for i in range(n):
        j = _slot(scratch, keys[i])
        if scratch[j, 0] == EMPTY:
            scratch[j, 0] = keys[i]
            used[m] = j
            m += 1
        scratch[j, 1] += 1
    return m
