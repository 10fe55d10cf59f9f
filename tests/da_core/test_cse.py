import numpy as np

from da_core.csd import csd_terms
from da_core.cse import extract_common_pairs
from da_core.signals import SignalTable
from da_core.solver import min_depth


def signal_forms(table, n_in):
    """Each signal as integer coefficients over the inputs."""
    forms = [np.eye(n_in, dtype=object)[i] for i in range(n_in)]
    for a, b, shift, sign in table.used_adders().tolist():
        forms.append(forms[a] + sign * forms[b] * (1 << shift))
    return forms


def test_remaining_terms_rebuild_columns_within_depth_budget():
    rng = np.random.default_rng(3)
    for n_in, n_out, slack in [(8, 8, 0), (16, 12, 1), (24, 24, 2)]:
        W = rng.integers(-128, 128, (n_in, n_out))
        lo, hi = np.full(n_in, -8), np.full(n_in, 7)
        in_depth = rng.integers(0, 2, n_in)
        max_depth = min_depth(W, in_depth) + slack
        terms = csd_terms(W)
        table = SignalTable(lo, hi, in_depth, max_adders=int(terms[3].sum()))
        budget = np.full(n_out, 1 << max_depth, dtype=np.int64)
        sig, shift, sign, n = extract_common_pairs(*terms, *table.arrays(), n_in, budget)
        forms = signal_forms(table, n_in)
        assert table.count[0] > n_in, "a dense matrix has shared pairs"
        uses = np.zeros(table.count[0], dtype=np.int64)
        for a, b, _, _ in table.used_adders().tolist():
            uses[a] += 1
            uses[b] += 1
        for j in range(n_out):
            column = np.zeros(n_in, dtype=object)
            for t in range(n[j]):
                column = column + sign[j, t] * forms[sig[j, t]] * (1 << shift[j, t])
            assert np.array_equal(column, W[:, j])
            assert sum(1 << int(table.depth[s]) for s in sig[j, : n[j]]) <= budget[j]
            np.add.at(uses, sig[j, : n[j]], 1)
        assert np.all(uses[n_in:] >= 1), "no shared adder is left unused"


def test_pair_that_would_deepen_an_output_past_its_budget_is_not_shared():
    W = np.array([[1, 1], [1, 1]])  # x0 + x1 twice; x1 is one level deep already
    for budget, shared in [(3, False), (4, True)]:
        terms = csd_terms(W)
        table = SignalTable(np.zeros(2, np.int64), np.full(2, 7), np.array([0, 1]), int(terms[3].sum()))
        extract_common_pairs(*terms, *table.arrays(), 2, np.full(2, budget, dtype=np.int64))
        assert (table.count[0] > 2) == shared


def test_drop_stale_keeps_exactly_the_pairs_still_shared():
    """The large-heap sweep must drop every entry whose pair occurs fewer than twice and keep the others in
    pop order (the greedy would skip the dropped ones anyway)."""
    from da_core import hash_table as ht
    from da_core import max_heap as mh
    from da_core.cse import _drop_stale
    from da_core.pair_counts import add_counts, new_counts, pair_key

    rng = np.random.default_rng(5)
    dense, pairs = new_counts(4, 3, 64)
    keys = np.array([pair_key(a, b, d, s) for a in range(6) for b in range(a, 6) for d in range(3) for s in (-1, 1)])
    counts = rng.integers(0, 4, len(keys))
    pairs = ht.reserved(pairs, len(keys))
    for key, count in zip(keys, counts):
        add_counts(dense, pairs, np.array([key]), 1, int(count))
    heap, size = mh.new_heap(3 * len(keys))
    entries = [(int(rng.integers(0, 50)), int(k)) for k in keys for _ in range(rng.integers(1, 3))]
    for score, key in entries:
        mh.push(heap, size, score, key)
    _drop_stale(heap, size, dense, pairs)
    live = {int(k) for k, c in zip(keys, counts) if c >= 2}
    want = sorted((e for e in entries if e[1] in live), key=lambda e: (-e[0], e[1]))
    assert 0 < len(want) < len(entries)
    assert [mh.pop(heap, size) for _ in range(size[0])] == want
