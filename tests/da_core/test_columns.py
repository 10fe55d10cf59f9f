import numpy as np

from da_core.columns import unique_columns


def test_unique_columns_rebuild_and_merge_copies():
    W = np.array([[3, 0, -6, 12, 1], [5, 0, -10, 20, 0], [0, 0, 0, 0, 0]])
    U, index, shift, sign = unique_columns(W)
    assert U.shape == (3, 2)
    assert index[1] == -1
    assert len({index[0], index[2], index[3]}) == 1
    for j in range(W.shape[1]):
        want = np.zeros(3, dtype=np.int64) if index[j] < 0 else sign[j] * (U[:, index[j]] << shift[j])
        assert np.array_equal(want, W[:, j])
