"""An int64 -> int64 open-addressing hash table in one plain array, for numba.

numba's typed dict is several times slower in the pair-counting loop, which
does hundreds of millions of lookups on large matrices. Each slot is a row
(key, value), so a probe touches one cache line. Keys are >= 0; a slot whose
value equals the table's dead value counts as absent and is dropped when the
table grows. The last row holds [occupied slots, dead value], so every helper takes one
array: numba keeps reference counting in the caller's loop for a helper that
uses a second array after its probe loop, and for nested calls of helpers
(only the probe itself is inlined), which cost more than the probing.
"""

import numba
import numpy as np

EMPTY = -1


@numba.njit(cache=True)
def new_table(expected: int, dead: int):
    cap = 16
    while cap < 2 * expected:
        cap *= 2
    table = np.empty((cap + 1, 2), dtype=np.int64)
    table[:, 0] = EMPTY
    table[:, 1] = dead
    table[cap, 0] = 0
    return table


@numba.njit(cache=True)
def capacity(table) -> int:
    return len(table) - 1


@numba.njit(cache=True)
def occupied(table) -> int:
    return table[len(table) - 1, 0]


@numba.njit(cache=True)
def dead(table) -> int:
    return table[len(table) - 1, 1]


@numba.njit(cache=True, inline="always")
def _home(key, mask) -> int:
    """First slot to probe for key (a 64-bit mix, so packed keys spread)."""
    h = np.uint64(key)
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.int64((h ^ (h >> np.uint64(31))) & np.uint64(mask))


@numba.njit(cache=True)
def _slot(table, key) -> int:
    """Slot holding key, or the empty slot where it would go."""
    mask = len(table) - 2
    i = _home(key, mask)
    while table[i, 0] != EMPTY and table[i, 0] != key:
        i = (i + 1) & mask
    return i


@numba.njit(cache=True)
def get(table, key) -> int:
    i = _slot(table, key)
    return table[i, 1] if table[i, 0] == key else table[len(table) - 1, 1]


@numba.njit(cache=True)
def _claim(table, key) -> int:
    """The slot of key, taken for it (and counted) if it was empty."""
    i = _slot(table, key)
    if table[i, 0] == EMPTY:
        table[i, 0] = key
        table[len(table) - 1, 0] += 1
    return i


@numba.njit(cache=True)
def put(table, key, value) -> None:
    i = _claim(table, key)
    table[i, 1] = value


@numba.njit(cache=True)
def add(table, key, delta) -> int:
    """table[key] += delta (absent keys start at the dead value); returns the new value."""
    i = _claim(table, key)
    table[i, 1] += delta
    return table[i, 1]


@numba.njit(cache=True)
def decrement(table, key, floor) -> None:
    """table[key] -= 1 where key is stored above the dead value (one probe); an
    entry that falls below `floor` leaves the table, so a table whose entries
    die stays small (and in cache) instead of filling with dead slots."""
    i = _slot(table, key)
    if table[i, 0] != key or table[i, 1] <= table[len(table) - 1, 1]:
        return
    table[i, 1] -= 1
    if table[i, 1] >= floor:
        return
    # backward-shift deletion: pull later entries of the probe run into the gap
    mask = len(table) - 2
    j = i
    while True:
        j = (j + 1) & mask
        if table[j, 0] == EMPTY:
            break
        home = _home(table[j, 0], mask)
        if (i <= j and i < home <= j) or (i > j and (home > i or home <= j)):
            continue  # its home lies in (i, j]: the gap is not on its probe path
        table[i, 0], table[i, 1] = table[j, 0], table[j, 1]
        i = j
    table[i, 0], table[i, 1] = EMPTY, table[mask + 1, 1]
    table[mask + 1, 0] -= 1


@numba.njit(cache=True)
def reserved(table, extra: int):
    """The table itself when `extra` more keys fit under 70% load, else a larger
    copy holding only the live entries."""
    cap = len(table) - 1
    if 10 * (occupied(table) + extra) <= 7 * cap:
        return table
    gone = dead(table)
    live = 0
    for i in range(cap):
        if table[i, 0] != EMPTY and table[i, 1] != gone:
            live += 1
    grown = new_table(live + extra + 16, gone)
    for i in range(cap):
        if table[i, 0] != EMPTY and table[i, 1] != gone:
            put(grown, table[i, 0], table[i, 1])
    return grown


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
