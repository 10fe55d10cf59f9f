import itertools

from da_core.signals import order_pair


def test_order_pair_rewrites_the_sum_exactly():
    values = {0: 5, 1: -3, 2: 11}
    for (s1, h1, g1), (s2, h2, g2) in itertools.permutations(itertools.product(range(3), range(3), (1, -1)), 2):
        if (s1, h1) == (s2, h2):
            continue
        a, b, d, s, base_shift, base_sign = order_pair(s1, h1, g1, s2, h2, g2)
        assert d >= 0 and (base_shift, a) in ((h1, s1), (h2, s2))
        want = g1 * (values[s1] << h1) + g2 * (values[s2] << h2)
        assert base_sign * ((values[a] + s * (values[b] << d)) << base_shift) == want
