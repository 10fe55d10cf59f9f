"""Stage 1: outputs built from other outputs, ``y_j = σ y_k + (W_j - σ W_k) x``.

When a column is close to another (their difference has fewer signed digits
than the column itself), output j costs fewer terms as the other output plus
the difference. Candidate links, largest saving first, are taken greedily
into a forest (Kruskal on a branching: one parent each, no cycles), so outputs
form chains as deep as the depth bound allows: with slack a chain of
differences replaces many digits by one term. A link is taken only when depth
still fits: every output's terms plus its parent's whole sum must meet its own
cap, so each link lowers the caps of the parent and its ancestors (`cap`), and
a root must still fit its digits under its cap.
"""

import numba
import numpy as np

from da_core.csd import csd_digit_count

# A link must save at least MIN_SAVING signed digits and 1/SAVING_DIVISOR of
# the column's own: smaller gains the pair sharing of stage 2 finds anyway, and
# a link spends depth (measured on the benchmark suite, 16x16 to 128x128).
MIN_SAVING = 2
SAVING_DIVISOR = 12
# star_links tries every set of parents when there are at most this many candidates (2^k sets), on matrices
# of at most STAR_MAX_OUTPUTS columns (its table of savings is n_out x n_out)
STAR_MAX_PARENTS = 12
STAR_MAX_OUTPUTS = 256


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
def _floor_log2(x) -> int:
    """Largest k with 2^k <= x (x >= 1)."""
    k = 0
    while (2 << k) <= x:
        k += 1
    return k


@numba.njit(cache=True)
def _diff_digits(U, j, k, sign, limit) -> int:
    """Signed digits of U_j - sign * U_k plus one for the parent's term; stops past limit."""
    digits = 1
    for i in range(U.shape[0]):
        digits += csd_digit_count(U[i, j] - sign * U[i, k])
        if digits > limit:
            break
    return digits


@numba.njit(cache=True)
def _caps_if_linked(j, k, kr_j, parent, cap, kraft, new_cap) -> int:
    """Caps of k and its ancestors once j (whose terms have Kraft sum kr_j) hangs
    under k, written into new_cap from k up; returns the highest node written,
    or -2 when depth cannot fit."""
    room = (1 << cap[j]) - kr_j
    if room < 1:
        return -2
    c = min(cap[k], _floor_log2(room))
    m = k
    while True:
        new_cap[m] = c
        p = parent[m]
        if p < 0:
            return m if kraft[m] <= (1 << c) else -2
        room = (1 << c) - kraft[m]
        if room < 1:
            return -2
        c = min(cap[p], _floor_log2(room))
        if c == cap[p]:
            return m  # nothing above changes
        m = p


@numba.njit(cache=True)
def choose_parents(U, in_depth, max_depth, salt=0):
    """For columns U (n_in, n_out): (parent, parent_sign, cap, diff).

    parent[j] = -1 builds output j from its own digits; otherwise column j is
    ``parent_sign[j] * U[:, parent[j]] + diff[:, j]`` (parents may have parents).
    cap[j] is the deepest output j may be so that its descendants still meet
    max_depth; diff[:, j]'s Kraft sum plus 2^cap[parent] fits under 2^cap[j].
    """
    return parents_from_links(U, in_depth, max_depth, candidate_links(U), salt)


@numba.njit(cache=True)
def candidate_links(U):
    """Every link worth taking, rows (saving, child, parent, sign). It does not
    depend on the depth bound or the tie-break, so the solver's passes share it."""
    n_in, n_out = U.shape
    own = np.zeros(n_out, dtype=np.int64)
    for j in range(n_out):
        for i in range(n_in):
            own[j] += csd_digit_count(U[i, j])
    links = np.zeros((4 * n_out + 16, 4), dtype=np.int64)
    n_links = 0
    for j in range(n_out):
        least = max(MIN_SAVING, own[j] // SAVING_DIVISOR)
        for k in range(n_out):
            if k == j:
                continue
            best, best_sign = -1, 1
            for sign in (1, -1):
                saving = own[j] - _diff_digits(U, j, k, sign, own[j] - least)
                if saving > best:
                    best, best_sign = saving, sign
            if best >= least:
                if n_links == len(links):
                    links = np.concatenate((links, np.zeros_like(links)))
                links[n_links, 0], links[n_links, 1], links[n_links, 2], links[n_links, 3] = best, j, k, best_sign
                n_links += 1
    return links[:n_links].copy()


@numba.njit(cache=True, nogil=True)
def parents_from_links(U, in_depth, max_depth, links, salt=0):
    """choose_parents from its candidate_links: the forest for one tie-break `salt`."""
    n_in, n_out = U.shape
    parent = np.full(n_out, -1, dtype=np.int64)
    parent_sign = np.ones(n_out, dtype=np.int64)
    cap = np.full(n_out, max_depth, dtype=np.int64)
    diff = U.copy()
    kraft = np.zeros(n_out, dtype=np.int64)
    for j in range(n_out):
        kraft[j] = _kraft(U[:, j], in_depth)
    n_links = len(links)
    # ties broken by a hash of the link and `salt`, so passes try different forests
    rank = np.empty(n_links, dtype=np.int64)
    for t in range(n_links):
        tie = (((links[t, 1] * n_out + links[t, 2]) * 2654435761 + salt * 40503) >> 8) & 255
        rank[t] = -(links[t, 0] << 8 | tie)
    order = np.argsort(rank, kind="mergesort")

    new_cap = cap.copy()
    column = np.zeros(n_in, dtype=np.int64)
    for t in order:
        j, k, sign = links[t, 1], links[t, 2], links[t, 3]
        if parent[j] >= 0:
            continue
        r = k
        while parent[r] >= 0:
            r = parent[r]
        if r == j:
            continue  # k hangs under j already: a cycle
        column[:] = U[:, j] - sign * U[:, k]
        kr_j = _kraft(column, in_depth)
        top = _caps_if_linked(j, k, kr_j, parent, cap, kraft, new_cap)
        if top == -2:
            continue
        m = k
        while True:
            cap[m] = new_cap[m]
            if m == top:
                break
            m = parent[m]
        parent[j], parent_sign[j], kraft[j] = k, sign, kr_j
        diff[:, j] = column
    return parent, parent_sign, cap, diff


@numba.njit(cache=True)
def star_links(U, in_depth, max_depth, links):
    """links with the best one-level forest promoted (its links ranked above all others).

    At a tight depth bound a parent must fit under max_depth - 1 and cannot itself hang under
    another, so most forests are stars: some columns are parents, each other column hangs under
    its best feasible parent or none. Taking links greedily by saving can pick the wrong
    parents; with at most STAR_MAX_PARENTS candidate parents every parent set is tried and
    the one saving the most digits wins. parents_from_links still checks every link.
    """
    n_out = U.shape[1]
    if n_out > STAR_MAX_OUTPUTS:
        return links.copy()
    own = np.zeros(n_out, dtype=np.int64)
    for j in range(n_out):
        own[j] = _kraft(U[:, j], in_depth)
    # best[j, k]: saving of j under k in a star (0 if its depth cannot fit); which[j, k]: that link
    best = np.zeros((n_out, n_out), dtype=np.int64)
    which = np.full((n_out, n_out), -1, dtype=np.int64)
    column = np.zeros(U.shape[0], dtype=np.int64)
    for t in range(len(links)):
        saving, j, k, sign = links[t, 0], links[t, 1], links[t, 2], links[t, 3]
        column[:] = U[:, j] - sign * U[:, k]
        if saving > best[j, k] and _kraft(column, in_depth) + (1 << _ceil_log2(own[k])) <= (1 << max_depth):
            best[j, k], which[j, k] = saving, t
    cand = np.zeros(n_out, dtype=np.int64)
    n_cand = 0
    for k in range(n_out):
        if best[:, k].max() > 0:
            cand[n_cand] = k
            n_cand += 1
    out = links.copy()
    if n_cand == 0 or n_cand > STAR_MAX_PARENTS:
        return out
    top, top_mask = 0, 0
    for mask in range(1, 1 << n_cand):  # a subset comes before its supersets, so ties keep fewer parents
        total = 0
        for j in range(n_out):
            c = _star_parent(best, cand, n_cand, mask, j)
            if c >= 0:
                total += best[j, cand[c]]
        if total > top:
            top, top_mask = total, mask
    lift = links[:, 0].max() + 1
    for j in range(n_out):
        c = _star_parent(best, cand, n_cand, top_mask, j)
        if c >= 0:
            out[which[j, cand[c]], 0] += lift
    return out


@numba.njit(cache=True)
def _star_parent(best, cand, n_cand, mask, j) -> int:
    """Index into cand of child j's best parent in the set `mask`, or -1 (none, or j is a parent)."""
    pick = -1
    for c in range(n_cand):
        if (mask >> c) & 1:
            if cand[c] == j:
                return -1
            if best[j, cand[c]] > 0 and (pick < 0 or best[j, cand[c]] > best[j, cand[pick]]):
                pick = c
    return pick
