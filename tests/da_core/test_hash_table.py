import numpy as np

from da_core import hash_table as ht


def test_matches_dict_through_growth_and_dead_entries():
    rng = np.random.default_rng(0)
    table = ht.new_table(4, 0)
    ref: dict[int, int] = {}
    for key, delta in zip(rng.integers(0, 3000, 20000).tolist(), rng.choice([-1, 1, 2], 20000).tolist()):
        table = ht.reserved(table, 1)
        assert ht.add(table, key, delta) == ref.get(key, 0) + delta
        ref[key] = ref.get(key, 0) + delta
    for key in range(3000):
        assert ht.get(table, key) == ref.get(key, 0)
    assert 10 * ht.occupied(table) <= 7 * ht.capacity(table)


def test_put_overwrites_and_dead_value_reads_as_absent():
    table = ht.new_table(8, -1)
    ht.put(table, 5, 10)
    ht.put(table, 5, 11)
    assert ht.get(table, 5) == 11 and ht.get(table, 6) == -1
    ht.put(table, 5, -1)
    grown = ht.reserved(table, 100)
    assert ht.occupied(grown) == 0 and ht.get(grown, 5) == -1


def test_decrement_only_touches_stored_values_above_dead():
    table = ht.new_table(8, 0)
    ht.put(table, 5, 2)
    ht.put(table, 6, 0)
    for key in (5, 6, 7):
        ht.decrement(table, key, 0)
    assert [ht.get(table, k) for k in (5, 6, 7)] == [1, 0, 0] and ht.occupied(table) == 2


def test_entries_below_the_floor_leave_and_the_rest_stay_reachable():
    rng = np.random.default_rng(2)
    table = ht.new_table(200, 0)  # small enough that probe runs collide and wrap
    ref = {int(k): int(v) for k, v in zip(rng.integers(0, 10**9, 250), rng.integers(1, 4, 250))}
    for key, value in ref.items():
        ht.put(table, key, value)
    for key in rng.permutation(list(ref) * 2).tolist():
        ht.decrement(table, key, 2)
        ref[key] = 0 if ref[key] - 1 < 2 else ref[key] - 1
        assert all(ht.get(table, k) == v for k, v in ref.items())
    assert ht.occupied(table) == sum(v > 0 for v in ref.values())


def test_tally_counts_distinct_keys_and_reports_filled_slots():
    keys = np.array([7, 3, 7, 9, 7, 3], dtype=np.int64)
    scratch = ht.new_table(len(keys), 0)
    used = np.zeros(len(scratch), dtype=np.int64)
    m = ht.tally(scratch, keys, len(keys), used)
    assert sorted(map(tuple, scratch[used[:m]].tolist())) == [(3, 2), (7, 3), (9, 1)]
