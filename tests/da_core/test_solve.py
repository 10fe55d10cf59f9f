"""The public one-matrix API: exact for dyadic matrices on any input formats, clear errors otherwise."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import da_core
from da_core.solver import min_depth, solve_integer
from da_core import Interval


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, 12), n_out=st.integers(1, 12),
       bits=st.integers(1, 8), frac=st.integers(0, 4), sparsity=st.floats(0, 0.9))
def test_solve_is_exact_on_dyadic_matrices_and_mixed_formats(seed, n_in, n_out, bits, frac, sparsity):
    rng = np.random.default_rng(seed)
    W = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(n_in, n_out)) * (rng.random((n_in, n_out)) >= sparsity)
    W = W / 2.0**frac
    formats = [Interval(int(lo), int(lo) + int(span), int(e)) for lo, span, e in
               zip(rng.integers(-300, 300, n_in), rng.integers(0, 600, n_in), rng.integers(-5, 3, n_in))]
    sol = da_core.solve(W, inputs=formats)
    codes = np.stack([rng.integers(iv.lo, iv.hi + 1, 200) for iv in formats], axis=1)
    x = codes * 2.0 ** np.array([iv.exp for iv in formats])
    np.testing.assert_array_equal(sol(x), x @ W)


def test_default_inputs_are_signed_bytes_and_depth_is_respected():
    W = np.random.default_rng(3).integers(-128, 128, size=(16, 16))
    sol = da_core.solve(W, max_depth=8)
    assert sol.depth <= 8
    assert sol.program.input_intervals == [Interval(-128, 127, 0)] * 16
    x = np.random.default_rng(4).integers(-128, 128, size=(500, 16))
    np.testing.assert_array_equal(sol(x), x @ W)
    assert 0 < sol.n_adders < np.count_nonzero(W) * 4
    assert "adders" in repr(sol)


def test_input_specs_by_interval_tuple_and_format():
    W = np.array([[1, 3], [5, -7]])
    by_tuple = da_core.solve(W, inputs=(-1.0, 0.75, 0.25))
    assert by_tuple.program.input_intervals == [Interval(-4, 3, -2)] * 2
    from types import SimpleNamespace
    by_kif = da_core.solve(W, inputs=SimpleNamespace(k=1, i=0, f=2))
    assert by_kif.program.input_intervals == [Interval(-4, 3, -2)] * 2


def test_depth_below_the_floor_is_refused():
    with pytest.raises(ValueError, match="below the minimum adder depth"):
        da_core.solve(np.full((8, 2), 0b1010101), max_depth=2)


def test_non_dyadic_weights_are_refused():
    with pytest.raises(ValueError, match="not a matrix of quantized"):
        da_core.solve(np.array([[0.1, 0.5]]))


def test_solution_save_load_roundtrip(tmp_path):
    sol = da_core.solve(np.array([[3, -5], [7, 0]]))
    sol.save(tmp_path / "s.json")
    again = da_core.Solution.load(tmp_path / "s.json")
    x = np.array([[1, 2], [-128, 127]])
    np.testing.assert_array_equal(again(x), x @ np.array([[3, -5], [7, 0]]))


def test_codes_outside_the_input_format_are_refused():
    sol = da_core.solve(np.array([[1], [2]]))
    with pytest.raises(ValueError, match="outside its format"):
        sol.program.run(np.array([[128, 0]]))


def test_negated_outputs_cost_no_adder_and_no_level():
    """A negated sum is left to the consumer (``out_sign``): -x0 - x1 is one adder at depth 1, and a matrix
    whose columns are negations of each other shares one sum between them."""
    x = np.random.default_rng(0).integers(-128, 128, size=(300, 3))
    sol = da_core.solve(np.array([[-1], [-1]]), max_depth=1)
    assert (sol.n_adders, sol.depth, sol.out_sign) == (1, 1, (-1,))
    np.testing.assert_array_equal(sol(x[:, :2]), -x[:, :1] - x[:, 1:2])
    W = np.array([[-1, -3], [-1, 5], [-2, 7]])
    for depth in (3, 4):
        sol = da_core.solve(W, max_depth=depth)
        assert sol.depth <= depth
        np.testing.assert_array_equal(sol(x), x @ W)
    col = np.array([[3], [-5], [7]])
    shared = da_core.solve(np.concatenate([col, -col, 2 * col], axis=1))
    lo, hi = np.full(3, -128), np.full(3, 127)
    assert shared.n_adders == solve_integer(col, lo, hi).n_adders  # no neg op: the graph's adders alone
    assert shared.out_sign[0] == -shared.out_sign[1] == shared.out_sign[2]
    np.testing.assert_array_equal(shared(x), x @ np.concatenate([col, -col, 2 * col], axis=1))


def test_out_sign_survives_save_and_load(tmp_path):
    W = np.array([[-1, 2], [-1, 3]])
    sol = da_core.solve(W)
    assert -1 in sol.out_sign
    sol.save(tmp_path / "s.json")
    again = da_core.Solution.load(tmp_path / "s.json")
    assert again.out_sign == sol.out_sign
    x = np.array([[1, 2], [-128, 127]])
    np.testing.assert_array_equal(again(x), x @ W)


def test_thousand_random_matrices_through_the_program_interpreter():
    """1,000 matrices, 1x1 to 32x32, 1- to 8-bit signed weights with zero rows and columns:
    the program interpreter equals the integer product on corner and random inputs."""
    rng = np.random.default_rng(2026)
    for case in range(1000):
        n_in, n_out, bits = rng.integers(1, 33), rng.integers(1, 33), rng.integers(1, 9)
        W = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(n_in, n_out), endpoint=bits == 1)
        W[rng.random(n_in) < 0.15] = 0  # zero rows
        W[:, rng.random(n_out) < 0.15] = 0  # zero columns
        sol = da_core.solve(W)
        x = np.concatenate([np.full((1, n_in), -128), np.full((1, n_in), 127),
                            rng.integers(-128, 128, size=(20, n_in))])
        assert np.array_equal(sol(x), x @ W), f"case {case}: {n_in}x{n_out}, {bits}-bit"


def test_inputs_with_one_value_cost_no_adders():
    """A pixel HGQ2 gave no bits is the constant 0; a fixed nonzero input joins the outputs' offsets."""
    rng = np.random.default_rng(11)
    W = rng.integers(-100, 100, size=(6, 5))
    varying = [Interval(-128, 127, 0)] * 4
    alone = da_core.solve(W[:4], inputs=varying)
    with_zero = da_core.solve(W, inputs=varying + [Interval(0, 0, 0)] * 2)
    assert with_zero.n_adders == alone.n_adders
    with_constant = da_core.solve(W, inputs=varying + [Interval(0, 0, 0), Interval(3, 3, -1)])
    # one offset adder per output, where a negated output also saves its negation
    assert alone.n_adders < with_constant.n_adders <= alone.n_adders + W.shape[1]
    codes = rng.integers(-128, 128, size=(300, 4))
    x = np.concatenate([codes, np.zeros((300, 1)), np.full((300, 1), 1.5)], axis=1)
    np.testing.assert_array_equal(with_constant(x), x @ W)
    x[:, 5] = 0
    np.testing.assert_array_equal(with_zero(x), x @ W)


def test_random_matrices_exact_at_every_depth_setting():
    """Chains of differences, several passes and free negations at the minimum depth, two above it and
    unconstrained: the program's output values times out_sign equal the integer product, within max_depth."""
    rng = np.random.default_rng(14)
    for case in range(150):
        n_in, n_out = rng.integers(1, 13, 2)
        W = rng.integers(-255, 256, size=(n_in, n_out))
        if case % 3 == 0:  # near copies, which stage 1 chains
            W = W[:, :1] * rng.choice([-1, 1], n_out) + rng.integers(-3, 4, size=(n_in, n_out))
        floor = min_depth(W)
        for max_depth in (floor, floor + 2, 40):
            sol = da_core.solve(W, max_depth=max(max_depth, 1))
            assert sol.depth <= max(max_depth, 1)
            codes = np.concatenate([np.full((1, n_in), -128), np.full((1, n_in), 127),
                                    rng.integers(-128, 128, size=(10, n_in))])
            got = sol.program.output_values(sol.program.run(codes)) * np.array(sol.out_sign)
            assert np.array_equal(got, codes @ W), f"case {case}, max_depth {max_depth}"
