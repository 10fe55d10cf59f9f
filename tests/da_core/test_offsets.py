"""Constants sunk into the shallow side of their adder trees: fewer levels, the same outputs."""

import numpy as np
import pytest
from random_programs_path import random_codes, random_program

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.multipliers import expand
from da_core.offsets import sink_offsets
from da_core.products import _sum_of_selections

X = Interval(-128, 127, -4)


def _deep_plus_shallow(b: ProgramBuilder) -> int:
    """``((a + b) + (c + d)) + e``: e, an input, has two levels to spare."""
    a, bb, c, d, e = (b.input(X) for _ in range(5))
    return b.add(b.add(b.add(a, bb), b.add(c, d, 1)), e, 2)


def _same_outputs(before, after, n: int = 4000) -> None:
    codes = random_codes(before, n, 0)
    np.testing.assert_array_equal(before.run(codes), after.run(codes))


def test_a_bias_joins_the_operand_with_a_level_to_spare():
    b = ProgramBuilder()
    t = _deep_plus_shallow(b)
    program = b.build([b.add(t, b.const(0.6875))])  # a bias on top: one level more
    sunk = sink_offsets(program)
    assert program.depth == b.depth(t) + 1 and sunk.depth == b.depth(t)
    assert sunk.n_adders == program.n_adders
    _same_outputs(program, sunk)


def test_a_shared_sum_keeps_its_bias_on_top():
    """Rebuilding a value another op also reads would cost adders: the constant stays where it was."""
    b = ProgramBuilder()
    t = _deep_plus_shallow(b)
    program = b.build([b.add(t, b.const(0.6875)), b.quant(t, 1, 6, 2, "TRN", "WRAP")])
    assert sink_offsets(program).depth == program.depth


@pytest.mark.parametrize("overflow", ["SAT", "WRAP"])
def test_a_hard_sigmoid_offset_moves_before_its_quantizer(overflow):
    """``quant(x) / 4 + 0.5`` with x's tree able to take the 0.5: a saturating signed quantizer plus half its
    range is an unsigned one of ``x + 2``; a rounding that never overflows takes the offset as it is."""
    b = ProgramBuilder()
    t = _deep_plus_shallow(b)
    i = 1 if overflow == "SAT" else 7
    q = b.shift(b.quant(t, 1, i, 2, "TRN", overflow), -2)
    program = b.build([b.add(q, b.const(0.5 if overflow == "SAT" else 0.25))])
    sunk = sink_offsets(program)
    assert sunk.depth == program.depth - 1
    _same_outputs(program, sunk)


@pytest.mark.parametrize("seed", range(8))
def test_random_programs_keep_their_outputs(seed):
    program = random_program(seed, n_random_ops=60, wide=seed % 2 == 0)
    sunk = sink_offsets(program)
    assert sunk.depth <= program.depth
    _same_outputs(program, sunk, 2000)


def test_the_late_operand_of_a_product_selects():
    """x arrives late and is the wider operand: selecting by y puts x's triple (an adder) on x's path; selecting
    by x's bits puts only the selects and their sum there."""
    b = ProgramBuilder()
    x = b.input(Interval(0, 15, -2))
    for _ in range(6):
        x = b.quant(b.add(x, b.input(Interval(0, 1, -2))), 0, 2, 2, "TRN", "WRAP")  # 4 bits, 6 levels deep
    y = b.input(Interval(0, 7, -1))
    by_y = _sum_of_selections(b, x, y, True)
    plain = b.build([b.mul(x, y)])
    program = expand(plain)
    assert program.depth < b.depth(by_y)
    _same_outputs(plain, program)


def test_a_late_operand_shared_with_a_shared_one_still_selects():
    """x and y are each read by two products: both orientations share their triples, so depth decides and the
    late x selects; a softmax's shared 1/sum keeps its role only against an operand that no other product reads
    (tests/sim/test_softmax.py)."""
    b = ProgramBuilder()
    x, z = b.input(Interval(0, 15, -2)), b.input(Interval(0, 15, -2))
    for _ in range(6):
        x = b.quant(b.add(x, b.input(Interval(0, 1, -2))), 0, 2, 2, "TRN", "WRAP")  # 4 bits, 6 levels deep
        z = b.quant(b.add(z, b.input(Interval(0, 1, -2))), 0, 2, 2, "TRN", "WRAP")
    y, w = b.input(Interval(0, 7, -1)), b.input(Interval(0, 5, -1))
    by_y = _sum_of_selections(b, x, y, True)
    plain = b.build([b.mul(x, y), b.mul(x, w), b.mul(z, y), b.mul(z, w)])
    program = expand(plain)
    assert program.depth < b.depth(by_y)
    _same_outputs(plain, program)
