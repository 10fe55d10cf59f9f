import numpy as np

from da_core import hash_table as ht
from da_core.pair_counts import add_counts, drop_counts, get_count, new_counts, pair_key, unpack_pair


def test_key_round_trip():
    for a, b, d, s in [(0, 0, 1, 1), (3, 7, 0, -1), ((1 << 24) - 1, (1 << 24) - 2, 63, 1)]:
        assert unpack_pair(pair_key(a, b, d, s)) == (a, b, d, s)


def test_dense_and_hashed_pairs_count_alike():
    dense, table = new_counts(4, 3, 16)
    keys = [pair_key(1, 2, 2, -1), pair_key(1, 9, 5, 1), pair_key(9, 10, 0, 1)]  # dense, hashed, hashed
    batch = np.array(keys * 3, dtype=np.int64)
    table = ht.reserved(table, len(batch))
    add_counts(dense, table, batch, len(batch), 1)
    assert [get_count(dense, table, k) for k in keys] == [3, 3, 3]
    drop_counts(dense, table, batch, 2)
    assert [get_count(dense, table, k) for k in keys] == [2, 2, 3]
    assert dense.sum() == 2


def test_drop_leaves_unstored_pairs_alone():
    dense, table = new_counts(2, 2, 16)
    unseen, once = pair_key(5, 6, 1, 1), pair_key(0, 1, 1, -1)
    add_counts(dense, table, np.array([once]), 1, 1)
    drop_counts(dense, table, np.array([unseen, once]), 2)
    assert get_count(dense, table, unseen) == 0 and ht.occupied(table) == 0
    assert get_count(dense, table, once) == 0
