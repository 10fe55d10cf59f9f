"""Stage 1: outputs built from other outputs, ``y_j = σ y_k + (W_j - σ W_k) x``.

When a column is close to another (their difference has fewer signed digits
than the column itself), output j costs fewer terms as the other output plus
the difference. Each output keeps its best such parent; the picks, largest
saving first, form a forest one level deep (a parent is never a child), since
every level of a chain costs adder depth. A pick is taken only when depth
still fits: the child's terms plus the parent's whole sum must meet the depth
bound, which caps the parent's own depth (`cap`).
"""

import numba
import numpy as np

from da_core.csd import csd_digit_count

# A parent must save at least MIN_SAVING signed digits and 1/SAVING_DIVISOR of
# the column's own: smaller gains the pair sharing of stage 2 finds anyway, and
# a parent spends depth (measured on the benchmark suite, 16x16 to 128x128).
MIN_SAVING = 3
SAVING_DIVISOR = 12


@numba.njit(cache=True)
def _kraft(column, in_depth) -> int:
    """Σ 2^depth over the column's signed-digit terms."""
    total = 0
    for i in range(len(column)):
        total += csd_digit_count(column[i]) << in_depth[i]
    return total


@numba.njit(cache=True)
def _ceil_log2(x) -> int:
    k = 0
    while (1 << k) < x:
        k += 1
    return k


@numba.njit(cache=True)
def choose_parents(U, in_depth, max_depth):
    """For columns U (n_in, n_out): (parent, parent_sign, cap, diff).

    parent[j] = -1 builds output j from its own digits; otherwise column j is
    ``parent_sign[j] * U[:, parent[j]] + diff[:, j]``. cap[j] is the deepest
    output j may be so that its children still meet max_depth.
    """
    n_in, n_out = U.shape
    parent = np.full(n_out, -1, dtype=np.int64)
    parent_sign = np.ones(n_out, dtype=np.int64)
    cap = np.full(n_out, max_depth, dtype=np.int64)
    diff = U.copy()
    own = np.zeros(n_out, dtype=np.int64)
    floor = np.zeros(n_out, dtype=np.int64)
    for j in range(n_out):
        for i in range(n_in):
            own[j] += csd_digit_count(U[i, j])
        floor[j] = _ceil_log2(_kraft(U[:, j], in_depth))

    best_saving = np.zeros(n_out, dtype=np.int64)
    best_parent = np.full(n_out, -1, dtype=np.int64)
    best_sign = np.ones(n_out, dtype=np.int64)
    for j in range(n_out):
        for k in range(n_out):
            if k == j:
                continue
            for sign in (1, -1):
                digits = 1  # the parent's output is one more term
                for i in range(n_in):
                    digits += csd_digit_count(U[i, j] - sign * U[i, k])
                    if own[j] - digits < best_saving[j]:
                        break
                if own[j] - digits > best_saving[j]:
                    best_saving[j], best_parent[j], best_sign[j] = own[j] - digits, k, sign

    budget = 1 << max_depth
    is_parent = np.zeros(n_out, dtype=np.bool_)
    for j in np.argsort(-best_saving):
        k = best_parent[j]
        if best_saving[j] < max(MIN_SAVING, own[j] // SAVING_DIVISOR) or k < 0 or parent[k] >= 0 or is_parent[j]:
            continue
        column = U[:, j] - best_sign[j] * U[:, k]
        room = budget - _kraft(column, in_depth)  # Kraft room left for the parent's sum
        k_cap = min(cap[k], _ceil_log2(room + 1) - 1) if room > 0 else -1
        if k_cap < floor[k]:
            continue
        parent[j], parent_sign[j], cap[k], is_parent[k] = k, best_sign[j], k_cap, True
        diff[:, j] = column
    return parent, parent_sign, cap, diff
