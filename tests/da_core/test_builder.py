from fractions import Fraction

import numpy as np

from da_core.builder import ProgramBuilder
from da_core.interval import Interval


def test_negation_folds_into_the_add_that_reads_it():
    """A negated value (a Solution's out_sign, a negated CMVM output) read by an add becomes a subtraction:
    the neg op, an adder and a level, disappears from the program."""
    b = ProgramBuilder()
    x, y = b.input(Interval(-128, 127, 0)), b.input(Interval(-8, 7, -1))
    n = b.neg(y)
    outputs = [b.add(x, n), b.add(x, b.shift(n, 1), 1), b.add(b.shift(n, 2), x), b.add(b.shift(n, 2), x, 0, -1)]
    program = b.build(outputs)
    kinds = [op.kind for op in program.ops]
    assert kinds.count("neg") == 1, kinds  # only the last one, -(4y + x), keeps its neg
    assert program.depth == 2 and [program.ops[v].depth for v in program.outputs[:3]] == [1, 1, 1]
    rng = np.random.default_rng(0)
    xs = np.concatenate([[[-128, -4], [127, 3.5]], np.stack([rng.integers(-128, 128, 200),
                                                                 rng.integers(-8, 8, 200) / 2], axis=1)])
    want = np.stack([xs[:, 0] - xs[:, 1], xs[:, 0] - 4 * xs[:, 1], xs[:, 0] - 4 * xs[:, 1],
                     -4 * xs[:, 1] - xs[:, 0]], axis=1)
    np.testing.assert_array_equal(program(xs), want)


def test_tables_of_equal_codes_at_other_scales_stay_apart():
    """Two lookups of one input whose entries have the same codes but another output exponent (0.25 x [0, 1]
    and 0.125 x [0, 1]) are two values, not one shared op."""
    b = ProgramBuilder()
    x = b.input(Interval(0, 1, -2))
    program = b.build([b.lut(x, 0, -2, [0, 1], -2), b.lut(x, 0, -2, [0, 1], -3)])
    np.testing.assert_array_equal(program(np.array([[0.0], [0.25]])), [[0, 0], [0.25, 0.125]])


def test_a_wrapping_quantizer_keeps_its_input_grid_so_a_table_reads_only_the_bits_that_vary():
    """HGQ2's quantizer wraps a value on the 2^-4 grid to [0, 1) at 2^-6 (an HGQ-LUT layer's input quantizer
    after a sum): the result stays on the 2^-4 grid, so the table after it has 16 addresses, not 64."""
    b = ProgramBuilder()
    x = b.input(Interval(0, 47, -4))  # 0 .. 2.9375
    program = b.build([b.lut(b.quant(x, 0, 0, 6, "RND", "WRAP"), 0, -6, [j * j % 7 for j in range(64)], 0)])
    xs = np.arange(48)[:, None] / 16
    reachable = np.unique(xs % 1)  # the distinct values the table can see, counted without the builder
    address = program.ops[program.ops[program.outputs[0]].args[0]].interval
    assert 2 ** address.width == len(reachable) == 16
    np.testing.assert_array_equal(program(xs)[:, 0], (xs[:, 0] % 1 * 64).astype(int) ** 2 % 7)


def test_a_difference_from_the_maximum_of_its_row_is_never_negative():
    """A softmax subtracts each element from its row's maximum (a tree of max ops), also with the rounding
    constant added to the maximum: the difference's interval starts at 0 (at the constant), so the signed,
    saturating quantizer and the table after it see only their upper half. The minimum mirrors it."""
    b = ProgramBuilder()
    xs = [b.input(Interval(-64, 63, -3)) for _ in range(4)]
    top = b.maximum(b.maximum(xs[0], xs[1]), b.maximum(xs[2], xs[3]))
    low = b.minimum(b.minimum(xs[0], xs[1]), xs[2])
    half = b.offset(top, Fraction(1, 16))
    below = [b.sub(top, x) for x in xs]
    rounded = [b.sub(half, x) for x in xs]
    above = [b.sub(low, x) for x in xs[:3]]
    assert all(b.interval(d) == Interval(0, 127, -3) for d in below)
    assert all(b.interval(d) == Interval(1, 255, -4) for d in rounded)
    assert all(b.interval(d) == Interval(-127, 0, -3) for d in above)
    other = ProgramBuilder()
    ys = [other.input(Interval(-64, 63, -3)) for _ in range(3)]
    assert other.interval(other.sub(other.maximum(ys[0], ys[1]), ys[2])).lo < 0  # not in the tree: no order
    exps = [b.lut(b.quant(d, 1, 3, 3, "TRN", "SAT"), -64, -3, list(range(128)), 0) for d in below]
    assert all(b.interval(e) == Interval(64, 127, 0) for e in exps)  # 64 addresses of the signed 128
    program = b.build(below + rounded + above + exps)
    rng = np.random.default_rng(1)
    codes = np.concatenate([[[-64] * 4, [63] * 4, [-64, 63, -64, 63]], rng.integers(-64, 64, (300, 4))])
    got = program(codes / 8)
    top_v, low_v = codes.max(axis=1, keepdims=True), codes[:, :3].min(axis=1, keepdims=True)
    want = np.concatenate([(top_v - codes) / 8, (top_v - codes) / 8 + 1 / 16, (low_v - codes[:, :3]) / 8,
                           np.minimum(top_v - codes, 63) + 64], axis=1)
    np.testing.assert_array_equal(got, want)
