import numpy as np

from da_core.csd import csd_digit_count
from da_core.decompose import choose_parents


def kraft(column, in_depth):
    return sum(csd_digit_count(int(w)) << int(d) for w, d in zip(column, in_depth))


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
    for j in np.flatnonzero(parent >= 0):
        k = parent[j]
        assert parent[k] == -1, "one level deep"
        assert np.array_equal(U[:, j], parent_sign[j] * U[:, k] + diff[:, j])
        assert kraft(diff[:, j], in_depth) + (1 << int(cap[k])) <= 1 << max_depth
        assert (kraft(U[:, k], in_depth) - 1).bit_length() <= cap[k]
    assert np.array_equal(diff[:, parent < 0], U[:, parent < 0])


def test_no_room_means_no_parents():
    U = np.array([[7, 7], [5, 5], [3, 2]])
    parent, _, cap, _ = choose_parents(U, np.zeros(3, np.int64), 3)
    assert np.all(parent == -1) and np.all(cap == 3)
