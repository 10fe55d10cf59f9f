import numpy as np

from da_core import hash_table as ht


def test_matches_dict_through_growth_and_dead_entries():
    rng = np.random.default_rng(0)
    slots, meta = ht.new_table(4, 0)
    ref: dict[int, int] = {}
    for key, delta in zip(rng.integers(0, 3000, 20000).tolist(), rng.choice([-1, 1, 2], 20000).tolist()):
        slots, meta = ht.reserved(slots, meta, 1)
        assert ht.add(slots, meta, key, delta) == ref.get(key, 0) + delta
        ref[key] = ref.get(key, 0) + delta
    for key in range(3000):
        assert ht.get(slots, meta, key) == ref.get(key, 0)
    assert 10 * meta[0] <= 7 * len(slots)


def test_put_overwrites_and_dead_value_reads_as_absent():
    slots, meta = ht.new_table(8, -1)
    ht.put(slots, meta, 5, 10)
    ht.put(slots, meta, 5, 11)
    assert ht.get(slots, meta, 5) == 11 and ht.get(slots, meta, 6) == -1
    ht.put(slots, meta, 5, -1)
    grown, grown_meta = ht.reserved(slots, meta, 100)
    assert grown_meta[0] == 0 and ht.get(grown, grown_meta, 5) == -1


def test_tally_counts_distinct_keys_and_reports_filled_slots():
    keys = np.array([7, 3, 7, 9, 7, 3], dtype=np.int64)
    scratch, _ = ht.new_table(len(keys), 0)
    used = np.zeros(len(scratch), dtype=np.int64)
    m = ht.tally(scratch, keys, len(keys), used)
    assert sorted(map(tuple, scratch[used[:m]].tolist())) == [(3, 2), (7, 3), (9, 1)]
