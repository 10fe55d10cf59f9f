import numpy as np

from da_core import max_heap as mh


def _push_random(rng, rows, size, ref):
    """Push a random (score, key) and record it in ref as (-score, key); returns rows (maybe grown)."""
    score, key = int(rng.integers(0, 40)), int(rng.integers(0, 500))
    rows = mh.reserved(rows, size, 1)
    mh.push(rows, size, score, key)
    ref.append((-score, key))
    return rows


def test_pops_in_score_then_key_order():
    rng = np.random.default_rng(0)
    rows, size = mh.new_heap(2)
    ref = []
    for _ in range(5000):
        if rng.random() < 0.6 or not ref:
            rows = _push_random(rng, rows, size, ref)
        else:
            ref.sort()
            want = ref.pop(0)
            assert mh.top_score(rows, size) == -want[0]
            assert mh.pop(rows, size) == (-want[0], want[1])
    assert size[0] == len(ref)


def test_heapify_orders_bulk_entries():
    rng = np.random.default_rng(1)
    rows, size = mh.new_heap(300)
    rows[:300] = rng.integers(0, 30, (300, 2))
    size[0] = 300
    want = sorted(map(tuple, rows[:300].tolist()), key=lambda e: (-e[0], e[1]))
    mh.heapify(rows, size)
    assert [mh.pop(rows, size) for _ in range(300)] == want
    assert mh.top_score(rows, size) == -1


def test_replace_top_and_second_score_match_pop_then_push():
    """The CSE loop lowers its top entry in place: replace_top must leave the same
    pop order as pop + push, and second_score must be top_score after a pop."""
    rng = np.random.default_rng(2)
    rows, size = mh.new_heap(2)
    ref = []
    for _ in range(5000):
        if rng.random() < 0.5 or not ref:
            rows = _push_random(rng, rows, size, ref)
            continue
        ref.sort()
        rest = ref[1][0] if len(ref) > 1 else 1
        assert mh.second_score(rows, size) == -rest
        if rng.random() < 0.5:
            lower = int(rng.integers(0, -ref[0][0] + 1))
            ref[0] = (-lower, ref[0][1])
            mh.replace_top(rows, size, lower, ref[0][1])
        else:
            want = ref.pop(0)
            assert mh.pop(rows, size) == (-want[0], want[1])
    ref.sort()
    assert [mh.pop(rows, size) for _ in range(len(ref))] == [(-s, k) for s, k in ref]


def test_children_of_a_node_share_a_cache_line():
    rows, size = mh.new_heap(1000)
    assert rows.shape == (1000, 2) and (rows.ctypes.data + 16) % 64 == 0  # children of the root: rows 1-4
    size[0] = 1000
    grown = mh.reserved(rows, size, 5000)
    assert (grown.ctypes.data + 16) % 64 == 0
