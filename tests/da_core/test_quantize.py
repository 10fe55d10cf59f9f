"""The integer-code quantizer and the builder's quant op agree with HGQ2's own NumPy quantizer."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from quantizers import get_fixed_quantizer_np

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.quantize import quantize_codes

modes = st.sampled_from([(r, o) for r in ("TRN", "RND") for o in ("WRAP", "SAT", "SAT_SYM")])


def hgq2_quantize(values, k, i, f, round_mode, overflow_mode):
    q = get_fixed_quantizer_np(round_mode, overflow_mode)(values, np.float64(k), np.float64(i), np.float64(f))
    return np.where(k + i + f > 0, q, 0.0)


@settings(max_examples=400, deadline=None)
@given(lo=st.integers(-2**20, 2**20), span=st.integers(0, 2**12), exp=st.integers(-12, 6),
       k=st.integers(0, 1), i=st.integers(-6, 10), f=st.integers(-4, 12), mode=modes)
def test_quantize_codes_matches_hgq2(lo, span, exp, k, i, f, mode):
    codes = np.arange(lo, lo + span + 1, dtype=np.int64)
    expected = hgq2_quantize(codes * 2.0**exp, k, i, f, *mode)
    got = quantize_codes(codes, exp, k, i, f, *mode) * 2.0**-f
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=400, deadline=None)
@given(lo=st.integers(-2**12, 2**12), span=st.integers(0, 2**10), exp=st.integers(-10, 4),
       k=st.integers(0, 1), i=st.integers(-4, 8), f=st.integers(-3, 10), mode=modes)
def test_builder_quant_interval_holds_every_value(lo, span, exp, k, i, f, mode):
    builder = ProgramBuilder()
    x = builder.input(Interval(lo, lo + span, exp))
    program = builder.build([builder.quant(x, k, i, f, *mode)])
    codes = np.arange(lo, lo + span + 1, dtype=np.int64)[:, None]
    out = program.run(codes)[:, 0]
    iv = program.output_intervals[0]
    assert out.min() >= iv.lo and out.max() <= iv.hi
    np.testing.assert_array_equal(out * 2.0**iv.exp, hgq2_quantize(codes[:, 0] * 2.0**exp, k, i, f, *mode))


@settings(max_examples=300, deadline=None)
@given(lo=st.integers(-2**10, 0), span=st.integers(0, 2**11), exp=st.integers(-10, 2), bias=st.integers(-300, 300),
       relu=st.booleans(), k=st.integers(0, 1), i=st.integers(-3, 8), f=st.integers(-3, 8),
       overflow=st.sampled_from(["WRAP", "SAT", "SAT_SYM"]))
def test_rounding_through_the_bias_equals_hgq2_rnd(lo, span, exp, bias, relu, k, i, f, overflow):
    """quant(RND) of relu(x + b) == quant(TRN) of relu(x + b + half an LSB): the lowering's rounding."""
    builder = ProgramBuilder()
    x = builder.input(Interval(lo, lo + span, exp))
    v = builder.add(x, builder.const(bias * 2.0**exp))
    v = builder.relu(v) if relu else v
    program = builder.build([builder.quant(builder.half_lsb_up(v, f), k, i, f, "TRN", overflow)])
    assert sum(op.kind == "add" for op in program.ops) <= 1  # the half joined the bias: no rounding adder
    codes = np.arange(lo, lo + span + 1, dtype=np.int64)[:, None]
    iv = program.output_intervals[0]
    pre = (codes[:, 0] + bias) * 2.0**exp
    expected = hgq2_quantize(np.maximum(pre, 0) if relu else pre, k, i, f, "RND", overflow)
    np.testing.assert_array_equal(program.run(codes)[:, 0] * 2.0**iv.exp, expected)


def test_rounding_differences_from_one_value_shares_one_adder():
    """A softmax rounds ``max - x_j`` for every element j: the half joins the max once (one adder, shared), not
    each difference (one adder each); the roundings stay HGQ2's RND."""
    builder = ProgramBuilder()
    xs = [builder.input(Interval(-40, 40, -3)) for _ in range(3)]
    top = builder.maximum(builder.maximum(xs[0], xs[1]), xs[2])
    program = builder.build([builder.quant(builder.half_lsb_up(builder.sub(top, x), 1), 0, 4, 1, "TRN", "WRAP")
                             for x in xs])
    assert program.n_adders == 3 + 1  # three differences, one max + half
    codes = np.random.default_rng(0).integers(-40, 41, (3000, 3))
    pre = (codes.max(axis=1, keepdims=True) - codes) * 2.0**-3
    np.testing.assert_array_equal(program.run(codes) * 2.0**-1, hgq2_quantize(pre, 0, 4, 1, "RND", "WRAP"))


@settings(max_examples=300, deadline=None)
@given(k0=st.integers(0, 1), i0=st.integers(-2, 6), f0=st.integers(-1, 8), k=st.integers(0, 1),
       i=st.integers(-3, 6), f=st.integers(-3, 6), overflow=st.sampled_from(["WRAP", "SAT", "SAT_SYM"]))
def test_round_half_to_even_lowers_to_a_truncation_equal_to_hgq2(k0, i0, f0, k, i, f, overflow):
    """RND_CONV (half to even) has no quant op of its own: the lowering biases by the last kept bit, truncates."""
    from da_core import lower
    from quant.network import Input, Network, Node, Quantize, Quantizer

    def q(k, i, f, r, o):
        return Quantizer(np.array(k), np.array(i), np.array(f), r, o)

    net = Network((Input("x", (1,), q(k0, i0, f0, "TRN", "WRAP")),),
                  (Node("r", Quantize(q(k, i, f, "RND_CONV", overflow)), ("x",)),), ("r",))
    lo, hi = Interval.from_kif(k0, max(i0, -f0), f0).lo, Interval.from_kif(k0, max(i0, -f0), f0).hi
    codes = np.arange(lo, hi + 1, dtype=np.int64)[:, None]
    program = lower(net)
    assert all(op.params[3] == "TRN" for op in program.ops if op.kind == "quant")
    got = program.run(codes)[:, 0] * 2.0 ** program.output_intervals[0].exp
    np.testing.assert_array_equal(got, hgq2_quantize(codes[:, 0] * 2.0**-f0, k, i, f, "RND_CONV", overflow))
