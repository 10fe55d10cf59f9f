import numpy as np

from da_core.signals import SignalTable
from da_core.sum_tree import sum_outputs


def test_huffman_by_depth_reaches_the_kraft_bound_exactly():
    rng = np.random.default_rng(4)
    for _ in range(50):
        n_in = int(rng.integers(1, 12))
        in_depth = rng.integers(0, 4, n_in)
        n = int(rng.integers(1, 20))
        sig = rng.integers(0, n_in, (1, n))
        shift = rng.permutation(40)[:n][None] if n_in == 1 else rng.integers(0, 6, (1, n))
        keys = set()
        keep = [t for t in range(n) if (sig[0, t], shift[0, t]) not in keys and not keys.add((sig[0, t], shift[0, t]))]
        sig, shift = sig[:, keep], shift[:, keep]
        sign = rng.choice([-1, 1], sig.shape)
        table = SignalTable(np.full(n_in, -5), np.full(n_in, 9), in_depth, max_adders=sig.shape[1])
        no_parent = np.full(1, -1, dtype=np.int64)
        n_terms, parent_sign = np.array([sig.shape[1]]), np.ones(1, np.int64)
        idx, out_shift, out_sign = sum_outputs(sig, shift, sign, n_terms, no_parent, parent_sign, *table.arrays(), n_in)
        kraft = sum(1 << int(in_depth[s]) for s in sig[0])
        assert table.depth[idx[0]] == (kraft - 1).bit_length()
        x = rng.integers(-5, 10, n_in)
        values = [int(v) for v in x]
        for a, b, sh, sg in table.used_adders().tolist():
            values.append(values[a] + sg * (values[b] << sh))
        want = sum(int(g) * (int(x[s]) << int(h)) for s, h, g in zip(sig[0], shift[0], sign[0]))
        assert out_sign[0] * (values[idx[0]] << int(out_shift[0])) == want


def test_child_output_adds_its_parent():
    sig = np.array([[0, 1], [2, 0]])
    shift = np.array([[0, 1], [0, 0]])
    sign = np.array([[1, 1], [1, 0]])
    n_terms = np.array([2, 1])
    table = SignalTable(np.zeros(3, np.int64), np.full(3, 3), np.zeros(3, np.int64), max_adders=4)
    parent, parent_sign = np.array([-1, 0]), np.array([1, -1])
    idx, out_shift, out_sign = sum_outputs(sig, shift, sign, n_terms, parent, parent_sign, *table.arrays(), 3)
    x = [2, 3, 5]
    values = list(x)
    for a, b, sh, sg in table.used_adders().tolist():
        values.append(values[a] + sg * (values[b] << sh))
    y = [int(g) * (values[i] << int(h)) for i, h, g in zip(idx, out_shift, out_sign)]
    assert y == [2 + 6, 5 - (2 + 6)]
