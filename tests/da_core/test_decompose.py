import numpy as np

from da_core.csd import csd_digit_count
from da_core.decompose import candidate_links, choose_parents, parents_from_links, star_links


def kraft(column, in_depth):
    return sum(csd_digit_count(int(w)) << int(d) for w, d in zip(column, in_depth))


def check_forest(U, in_depth, max_depth, parent, parent_sign, cap, diff):
    """Every link rebuilds its column, no cycles, and every cap holds its terms and its parent's sum."""
    for j in range(U.shape[1]):
        k, seen = parent[j], {j}
        while k >= 0:
            assert k not in seen, "a cycle"
            seen.add(k)
            k = parent[k]
        if parent[j] < 0:
            assert np.array_equal(diff[:, j], U[:, j])
            assert kraft(U[:, j], in_depth) <= 1 << int(cap[j])
        else:
            assert np.array_equal(U[:, j], parent_sign[j] * U[:, parent[j]] + diff[:, j])
            assert kraft(diff[:, j], in_depth) + (1 << int(cap[parent[j]])) <= 1 << int(cap[j])
        assert cap[j] <= max_depth


def test_close_columns_build_on_each_other_within_depth():
    rng = np.random.default_rng(5)
    base = rng.integers(-128, 128, (16, 4))
    near = base + np.eye(16, 4, dtype=np.int64)
    negated_near = -base[:, :2] + 2 * np.eye(16, 2, k=3, dtype=np.int64)
    U = np.concatenate([base, near, negated_near], axis=1)
    in_depth = np.zeros(16, dtype=np.int64)
    max_depth = 7
    parent, parent_sign, cap, diff = choose_parents(U, in_depth, max_depth)
    assert np.sum(parent >= 0) >= 4
    check_forest(U, in_depth, max_depth, parent, parent_sign, cap, diff)


def test_slack_builds_chains_of_differences():
    """A drifting sequence of columns: with depth to spare each builds on the one before (a chain),
    at the minimum depth only a shallow forest fits."""
    rng = np.random.default_rng(7)
    steps = np.zeros((16, 8), dtype=np.int64)
    steps[rng.integers(0, 16, 8), np.arange(8)] = 1
    U = rng.integers(-128, 128, (16, 1)) + np.cumsum(steps, axis=1)
    in_depth = np.zeros(16, dtype=np.int64)
    chain_length = []
    for max_depth in (7, 30):
        parent, parent_sign, cap, diff = choose_parents(U, in_depth, max_depth)
        check_forest(U, in_depth, max_depth, parent, parent_sign, cap, diff)
        levels = []
        for j in range(U.shape[1]):
            n, k = 0, parent[j]
            while k >= 0:
                n, k = n + 1, parent[k]
            levels.append(n)
        chain_length.append(max(levels))
    assert chain_length[1] >= 4 and chain_length[0] < chain_length[1]


def test_no_room_means_no_parents():
    U = np.array([[7, 7], [5, 5], [3, 2]])
    parent, _, cap, _ = choose_parents(U, np.zeros(3, np.int64), 3)
    assert np.all(parent == -1) and np.all(cap == 3)


def _saved_digits(U, diff, parent):
    return sum(kraft(U[:, j], np.zeros(len(U), np.int64)) - kraft(diff[:, j], np.zeros(len(U), np.int64))
               for j in range(U.shape[1])) - int(np.sum(parent >= 0))


def test_the_best_star_saves_more_digits_than_greedy_links_at_the_minimum_depth():
    """At the minimum depth parents cannot hang under others: star_links tries every parent set, and its
    forest saves at least as many signed digits as links taken greedily by saving, on some matrices more."""
    rng = np.random.default_rng(21)
    in_depth = np.zeros(10, dtype=np.int64)
    star_gain, greedy_gain = [], []
    for _ in range(12):
        U = rng.integers(129, 256, (10, 10))  # the da4ml paper's Table 2 family
        floor = int(max(kraft(U[:, j], in_depth) for j in range(10)) - 1).bit_length()
        links = candidate_links(U)
        for chosen, gains in ((star_links(U, in_depth, floor, links), star_gain), (links, greedy_gain)):
            parent, parent_sign, cap, diff = parents_from_links(U, in_depth, floor, chosen)
            check_forest(U, in_depth, floor, parent, parent_sign, cap, diff)
            gains.append(_saved_digits(U, diff, parent))
    assert all(s >= g for s, g in zip(star_gain, greedy_gain)) and sum(star_gain) > sum(greedy_gain)
