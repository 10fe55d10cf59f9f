import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from da_core import solver
from da_core.graph_stats import output_depths, signal_intervals
from da_core.solver import DEFAULT_DEPTH_SLACK, MAX_PASSES, MIN_DEPTH_MAX_PASSES, min_depth, solve_integer


def random_case(rng: np.random.Generator, n_in: int, n_out: int, bits: int):
    """Random signed weights with some zero rows/columns, duplicate and negated-shifted columns."""
    half = 1 << (bits - 1)
    W = rng.integers(-half, half, (n_in, n_out), endpoint=True)
    W[rng.random((n_in, n_out)) < rng.random() * 0.6] = 0
    if n_in > 1 and rng.random() < 0.3:
        W[rng.integers(n_in)] = 0
    if n_out > 1 and rng.random() < 0.3:
        W[:, rng.integers(n_out)] = 0
    if n_out > 2 and rng.random() < 0.3:
        W[:, rng.integers(n_out)] = -2 * W[:, rng.integers(n_out)]
    if n_out > 2 and rng.random() < 0.3:  # near-copies: outputs built from other outputs
        for j in rng.integers(n_out, size=n_out // 2):
            noise = (rng.random(n_in) < 0.2) * rng.integers(-3, 4, n_in)
            W[:, j] = rng.choice([-1, 1]) * W[:, rng.integers(n_out)] + noise
    lo = rng.integers(-300, 50, n_in)
    hi = lo + rng.integers(0, 400, n_in)
    return W, lo, hi


def linear_forms(graph, n_in):
    """Each signal as exact integer coefficients over the inputs."""
    forms = [np.array([int(i == k) for i in range(n_in)], dtype=object) for k in range(n_in)]
    for a, b, shift, sign in graph.adders.tolist():
        forms.append(forms[a] + sign * (forms[b] * (1 << shift)))
    return forms


def check_graph(W, lo, hi, graph, max_depth=None, in_depth=None, rng=None):
    """Exact product on corner and random inputs, depth bound, sound intervals."""
    rng = rng or np.random.default_rng(0)
    n_in = W.shape[0]
    x = np.concatenate([lo[None], hi[None], rng.integers(lo, hi, (6, n_in), endpoint=True)])
    got = graph.evaluate(x)
    want = x.astype(object) @ W.astype(object)
    bad = np.argwhere(got != want)
    assert len(bad) == 0, f"sample {bad[0][0]} output {bad[0][1]}: got {got[tuple(bad[0])]}, want {want[tuple(bad[0])]}"
    assert graph.adders.shape[1] == 4 and np.all(graph.adders[:, 2] >= 0)
    assert np.all(np.isin(graph.adders[:, 3], [-1, 1])) and np.all(graph.out_shift >= 0)
    if max_depth is not None:
        assert output_depths(graph, in_depth).max(initial=0) <= max_depth
    intervals = signal_intervals(graph, lo, hi)
    for form, (s_lo, s_hi) in zip(linear_forms(graph, n_in), intervals):
        true_lo = sum(min(c * int(a), c * int(b)) for c, a, b in zip(form, lo, hi))
        true_hi = sum(max(c * int(a), c * int(b)) for c, a, b in zip(form, lo, hi))
        assert s_lo <= true_lo and true_hi <= s_hi


def test_many_random_matrices_exact():
    rng = np.random.default_rng(1234)
    for case in range(1000):
        n_in, n_out = rng.integers(1, 33, 2)
        W, lo, hi = random_case(rng, n_in, n_out, int(rng.integers(1, 9)))
        in_depth = rng.integers(0, 3, n_in) if case % 3 == 0 else None
        max_depth = min_depth(W, in_depth) + int(rng.integers(0, 3)) if case % 2 else None
        graph = solve_integer(W, lo, hi, max_depth=max_depth, in_depth=in_depth)
        bound = min_depth(W, in_depth) + DEFAULT_DEPTH_SLACK if max_depth is None else max_depth
        check_graph(W, lo, hi, graph, bound, in_depth, rng=rng)


def test_default_depth_is_floor_plus_default_slack():
    rng = np.random.default_rng(5)
    W = rng.integers(-128, 128, (32, 32))
    lo, hi = np.full(32, -128), np.full(32, 127)
    depth = output_depths(solve_integer(W, lo, hi)).max()
    assert min_depth(W) <= depth <= min_depth(W) + DEFAULT_DEPTH_SLACK


def test_max_depth_at_floor_is_met():
    rng = np.random.default_rng(6)
    for n in (4, 16, 32):
        W = rng.integers(-128, 128, (n, n))
        lo, hi = np.full(n, -128), np.full(n, 127)
        floor = min_depth(W)
        check_graph(W, lo, hi, solve_integer(W, lo, hi, max_depth=floor), floor)


def test_max_depth_below_floor_raises():
    W = np.array([[7], [5], [3]])
    with pytest.raises(ValueError, match="below the minimum adder depth"):
        solve_integer(W, np.zeros(3, np.int64), np.full(3, 15), max_depth=1)


def test_in_depth_counts_towards_bound():
    rng = np.random.default_rng(7)
    W = rng.integers(-16, 16, (8, 6))
    lo, hi = np.full(8, -8), np.full(8, 7)
    in_depth = rng.integers(0, 4, 8)
    floor = min_depth(W, in_depth)
    assert floor >= in_depth[np.any(W != 0, axis=1)].max(initial=0)
    graph = solve_integer(W, lo, hi, max_depth=floor + 1, in_depth=in_depth)
    check_graph(W, lo, hi, graph, floor + 1, in_depth)
    with pytest.raises(ValueError):
        solve_integer(W, lo, hi, max_depth=floor - 1, in_depth=in_depth)


def test_free_outputs_cost_nothing():
    W = np.array([[3, 0, -6, 4, 3], [5, 0, -10, 0, 5], [0, 0, 0, 0, 0]])
    lo, hi = np.full(3, -4), np.full(3, 3)
    graph = solve_integer(W, lo, hi)
    check_graph(W, lo, hi, graph)
    alone = solve_integer(W[:, :1], lo, hi)
    assert graph.n_adders == alone.n_adders  # every other column is a copy or a single term
    assert graph.out_index[1] == -1


def test_empty_and_degenerate_shapes():
    for shape in [(0, 0), (3, 0), (0, 2), (1, 1)]:
        W = np.ones(shape, dtype=np.int64)
        graph = solve_integer(W, np.zeros(shape[0], np.int64), np.ones(shape[0], np.int64))
        assert graph.n_adders == 0 and len(graph.out_index) == shape[1]


def test_invalid_input_is_named():
    with pytest.raises(ValueError, match="lo <= hi"):
        solve_integer(np.ones((2, 2)), np.array([0, 3]), np.array([1, 2]))
    with pytest.raises(ValueError, match="integers"):
        solve_integer(np.full((2, 2), 0.5), np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="64-bit"):
        solve_integer(np.full((2, 2), 1 << 40), np.zeros(2), np.full(2, 1 << 30))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n_in: st.tuples(
            st.lists(st.lists(st.integers(-128, 127), min_size=n_in, max_size=n_in), min_size=1, max_size=12),
            st.lists(st.tuples(st.integers(-1000, 1000), st.integers(0, 2000)), min_size=n_in, max_size=n_in),
            st.integers(0, 3),
        )
    )
)
def test_hypothesis_exact(case):
    cols, bounds, slack = case
    W = np.array(cols, dtype=np.int64).T
    lo = np.array([b[0] for b in bounds], dtype=np.int64)
    hi = lo + np.array([b[1] for b in bounds], dtype=np.int64)
    max_depth = min_depth(W) + slack
    check_graph(W, lo, hi, solve_integer(W, lo, hi, max_depth=max_depth), max_depth)


def test_kernels_run_unjitted_with_the_same_result():
    """NUMBA_DISABLE_JIT=1 runs the kernels as plain Python (for tracebacks); same graph."""
    code = (
        "import numpy as np, warnings; warnings.simplefilter('ignore');"
        "from da_core.solver import solve_integer;"
        "W = np.random.default_rng(0).integers(-128, 128, (6, 5));"
        "print(solve_integer(W, np.full(6, -8), np.full(6, 7)).adders.tolist())"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    W = np.random.default_rng(0).integers(-128, 128, (6, 5))
    assert result.stdout.strip() == str(solve_integer(W, np.full(6, -8), np.full(6, 7)).adders.tolist())


def test_a_small_matrix_gets_more_passes_counting_adders_at_the_minimum_depth():
    """Counting adders at the minimum depth, a small matrix's default graph is the best of MIN_DEPTH_MAX_PASSES
    passes (here fewer adders than the best of MAX_PASSES); one level above it, or ranked by cost, MAX_PASSES."""
    W = np.random.default_rng(11).integers(129, 256, (5, 5))
    lo, hi = np.full(5, -128), np.full(5, 127)
    floor = min_depth(W)
    more = solve_integer(W, lo, hi, max_depth=floor, objective="adders", passes=MIN_DEPTH_MAX_PASSES)
    assert more.n_adders < solve_integer(W, lo, hi, max_depth=floor, objective="adders", passes=MAX_PASSES).n_adders
    for depth, objective, passes in ((floor, "adders", MIN_DEPTH_MAX_PASSES), (floor + 1, "adders", MAX_PASSES),
                                     (floor, "cost", MAX_PASSES)):
        default = solve_integer(W, lo, hi, max_depth=depth, objective=objective)
        fixed = solve_integer(W, lo, hi, max_depth=depth, objective=objective, passes=passes)
        for a, b in zip(_graph_arrays(default), _graph_arrays(fixed)):
            np.testing.assert_array_equal(a, b)


def _graph_arrays(graph):
    return graph.adders, graph.out_index, graph.out_shift, graph.out_sign


def test_threaded_passes_give_the_serial_graph():
    """The passes run on a thread pool; the kept graph must not depend on thread timing."""
    rng = np.random.default_rng(14)
    for n_in, n_out in [(6, 5), (12, 10), (16, 16)]:
        W = rng.integers(-200, 200, (n_in, n_out))
        lo, hi = np.full(n_in, -128), np.full(n_in, 127)
        for objective in ("cost", "adders"):
            serial = solve_integer(W, lo, hi, objective=objective, threads=1)
            for threads in (2, 3):
                threaded = solve_integer(W, lo, hi, objective=objective, threads=threads)
                for a, b in zip(_graph_arrays(serial), _graph_arrays(threaded)):
                    np.testing.assert_array_equal(a, b)
    assert {2, 3} <= set(solver._pools)  # the passes really went to thread pools, one per thread count


def _solve_in_child(W):
    lo, hi = np.full(W.shape[0], -128), np.full(W.shape[0], 127)
    return _graph_arrays(solve_integer(W, lo, hi))


def test_a_forked_worker_solves_after_the_parent_used_threads():
    """A forked process inherits the pool object but none of its threads: the solver must make new ones."""
    import multiprocessing

    W = np.random.default_rng(3).integers(-100, 100, (8, 8))
    expected = _solve_in_child(W)  # the parent's pool now exists
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(_solve_in_child, (W,)).get(timeout=120)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def _table2_min_depth_adders(n, mats, seed, check=True):
    """Adders of solve_integer at the minimum depth, counting adders, on the da4ml paper's Table 2 family;
    each graph checked exact and within the depth when `check`."""
    rng = np.random.default_rng(seed)
    lo, hi = np.full(n, -128), np.full(n, 127)
    adders = []
    for _ in range(mats):
        W = rng.integers(129, 256, (n, n))
        graph = solve_integer(W, lo, hi, max_depth=min_depth(W), objective="adders")
        if check:
            check_graph(W, lo, hi, graph, max_depth=min_depth(W))
        adders.append(graph.n_adders)
    return sum(adders)


def test_the_minimum_depth_takes_the_best_star_of_links(monkeypatch):
    """At the minimum depth the solver ranks the best star of stage 1 links first (star_links); taking
    links greedily instead gives more adders on the same matrices."""
    star = _table2_min_depth_adders(10, 40, 32)
    monkeypatch.setattr(solver, "star_links", lambda U, in_depth, max_depth, links: links)
    assert star < _table2_min_depth_adders(10, 40, 32, check=False)
