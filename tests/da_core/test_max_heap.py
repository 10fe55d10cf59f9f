import numpy as np

from da_core import max_heap as mh


def test_pops_in_score_then_key_order():
    rng = np.random.default_rng(0)
    rows, size = mh.new_heap(2)
    ref = []
    for _ in range(5000):
        if rng.random() < 0.6 or not ref:
            score, key = int(rng.integers(0, 40)), int(rng.integers(0, 500))
            rows = mh.reserved(rows, size, 1)
            mh.push(rows, size, score, key)
            ref.append((-score, key))
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
