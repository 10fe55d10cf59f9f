import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from da_core.csd import csd_digit_count, csd_terms


@settings(deadline=None)
@given(st.integers(-(1 << 40), 1 << 40))
def test_csd_digit_count_is_non_adjacent_form(w):
    digits, v = [], w
    while v:
        d = (2 - (v & 3)) if v & 1 else 0
        digits.append(d)
        v = (v - d) >> 1
    assert sum(d << k for k, d in enumerate(digits)) == w
    assert all(not (a and b) for a, b in zip(digits, digits[1:]))
    assert csd_digit_count(w) == sum(d != 0 for d in digits)


def test_csd_terms_rebuild_each_column():
    rng = np.random.default_rng(0)
    W = rng.integers(-300, 300, (7, 5))
    W[2] = 0
    sig, shift, sign, n = csd_terms(W)
    for j in range(W.shape[1]):
        rebuilt = np.zeros(W.shape[0], dtype=np.int64)
        for t in range(n[j]):
            rebuilt[sig[j, t]] += sign[j, t] << shift[j, t]
        assert np.array_equal(rebuilt, W[:, j])
        assert n[j] == sum(csd_digit_count(int(w)) for w in W[:, j])
