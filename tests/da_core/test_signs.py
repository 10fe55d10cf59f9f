"""Negated CMVM outputs that a swapped subtraction makes positive (da_core.cmvm): no negation op is emitted."""

import itertools

import numpy as np

from da_core.builder import ProgramBuilder
from da_core.cmvm import emit_cmvm
from da_core.interval import Interval
from da_core.solver import solve_integer

INT8 = Interval(-128, 127, 0)


def test_a_negated_subtraction_is_swapped_instead_of_negated():
    """``4 x + 3 s`` (a LIF membrane, beta = 0.75): the solver's graph ends in ``-(s - 4 x - 4 s)``."""
    W = np.array([[4], [3]])
    graph = solve_integer(W, np.full(2, INT8.lo), np.full(2, INT8.hi))
    assert graph.out_sign[0] < 0 and graph.adders[-1, 3] < 0  # the case this guards
    b = ProgramBuilder()
    x = [b.input(INT8), b.input(INT8)]
    program = b.build(emit_cmvm(b, x, W))
    assert "neg" not in {op.kind for op in program.ops}
    assert program.n_adders == graph.n_adders
    codes = np.array(list(itertools.product(range(INT8.lo, INT8.hi + 1), repeat=2)))
    assert np.array_equal(program(codes.astype(np.float64)), codes @ W)


def test_a_shared_subtraction_keeps_its_sign():
    """Two outputs reading the same adder, one negated: swapping would break the other, so nothing changes."""
    W = np.array([[4, -4], [3, -3]])
    b = ProgramBuilder()
    x = [b.input(INT8), b.input(INT8)]
    program = b.build(emit_cmvm(b, x, W))
    codes = np.array(list(itertools.product(range(-8, 8), repeat=2)))
    assert np.array_equal(program(codes.astype(np.float64)), codes @ W)
