"""Products of two program values: the ``mul`` op, its shift-and-add expansion, its precision and its cost.

Every check is exact: all code pairs of small operands, or random codes with the ranges' ends.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from da_core.builder import ProgramBuilder
from da_core.cost import dsp_tiles
from da_core.interval import Interval
from da_core.multipliers import DSP_LUTS, DSP_MIN_PRODUCT_BITS, MODES, apply, expand, expansion_luts
from da_core.precision import trim
from da_core.products import _sum_of_selections, multiply, shift_and_add


@st.composite
def intervals(draw, max_bits: int = 9):
    """A non-constant interval of at most ``max_bits`` bits, signed or not, at any exponent."""
    lo = draw(st.integers(-(1 << (max_bits - 1)), (1 << max_bits) - 2))
    hi = draw(st.integers(lo + 1, min(lo + (1 << max_bits) - 1, (1 << max_bits) - 1) if lo >= 0 else
                          (1 << (max_bits - 1)) - 1))
    return Interval(lo, hi, draw(st.integers(-6, 6)))


def _every_pair(x: Interval, y: Interval) -> np.ndarray:
    return np.array(list(itertools.product(range(x.lo, x.hi + 1), range(y.lo, y.hi + 1))), dtype=np.int64)


def _product_program(x: Interval, y: Interval):
    b = ProgramBuilder()
    p = b.mul(b.input(x), b.input(y))
    return b.build([p, b.quant(p, 1, 3, 2, "TRN", "WRAP"), b.quant(p, 0, 4, 1, "RND", "SAT")])


@settings(max_examples=150, deadline=None)
@given(x=intervals(), y=intervals())
def test_mul_and_its_expansion_are_the_exact_product(x, y):
    program = _product_program(x, y)
    codes = _every_pair(x, y)
    exact = codes[:, 0] * codes[:, 1]
    iv = program.output_intervals[0]
    assert iv.exp == x.exp + y.exp and (iv.lo, iv.hi) == (exact.min(), exact.max())  # the exact product interval
    want = program(codes * 2.0 ** np.array([x.exp, y.exp]))
    np.testing.assert_array_equal(want[:, 0], exact * 2.0 ** (x.exp + y.exp))
    lut = expand(program)
    assert not lut.multipliers and {op.kind for op in lut.ops} <= {"input", "const", "add", "neg", "shift", "quant",
                                                                    "mul", "mux"}
    for p in (lut, trim(lut), trim(program)):
        np.testing.assert_array_equal(p(codes * 2.0 ** np.array([x.exp, y.exp])), want)


@pytest.mark.parametrize("bit", [Interval(0, 1, -3), Interval(-1, 0, 2)])
def test_a_one_bit_operand_is_a_select_in_both_modes(bit):
    b = ProgramBuilder()
    s = b.input(bit)
    program = b.build([b.mul(s, b.input(Interval(-100, 90, -1)))])
    selects = [op for op in program.ops if op.kind == "mul"]
    assert len(selects) == 1 and not program.multipliers and program.dsps == 0
    assert program.ops[selects[0].args[1]].interval.lo == 0 and program.ops[selects[0].args[1]].interval.hi == 1
    codes = _every_pair(bit, Interval(-100, 90, -1))
    values = codes * 2.0 ** np.array([bit.exp, -1])
    for mode in MODES:
        np.testing.assert_array_equal(apply(program, mode)(values)[:, 0], values[:, 0] * values[:, 1])


def test_a_known_operand_goes_to_the_cmvm_solver():
    b = ProgramBuilder()
    x = b.input(Interval(-128, 127, 0))
    with pytest.raises(ValueError, match="products.multiply"):
        b.mul(x, b.const(3))
    program = b.build([multiply(b, x, b.const(-0.375)), multiply(b, b.const(0), x),
                       multiply(b, b.const(3), b.const(5))])
    assert "mul" not in {op.kind for op in program.ops} and program.n_adders == 1  # -3/8 x = (x - 4x) / 8
    codes = np.arange(-128, 128)[:, None]
    np.testing.assert_array_equal(program(codes), np.c_[codes * -0.375, 0 * codes, 15 + 0 * codes])


def test_products_cost_dsps_in_dsp_mode_and_adders_in_lut_mode():
    program = _product_program(Interval(-128, 127, -4), Interval(0, 255, -2))  # 8 x 9 signed bits: one DSP48E2
    assert len(program.multipliers) == 1 and program.dsps == 1 and program.n_adders == 0
    assert program.ops[program.multipliers[0]].depth == 4  # a multiplier is four adder levels deep
    lut = expand(program)
    # the signed 8-bit operand: three radix-4 digits, bit 6 and the sign bit (subtracted) are five partial
    # products, four adds; and 3x
    assert lut.dsps == 0 and lut.n_adders == 4 + 1
    assert (dsp_tiles(27, 18), dsp_tiles(18, 27), dsp_tiles(28, 18), dsp_tiles(44, 35), dsp_tiles(40, 40)) == \
        (1, 1, 2, 4, 6)


def test_products_by_one_operand_read_two_bits_at_a_time_and_share_its_triple():
    """Radix 4: each pair of unsigned bits of the narrower operand picks 0, x, 2x or 3x (a ``mux``), so a product
    takes half the partial products (adders) of one select per bit; 3x is one adder for every product by x."""
    b = ProgramBuilder()
    x = b.input(Interval(16, 255, -6))  # a softmax's 1/sum
    ys = [b.input(Interval(0, 64, -6)) for _ in range(4)]  # its exp(-d): 7 bits, the top one alone
    program = expand(b.build([b.mul(x, y) for y in ys]))
    muxes = [op for op in program.ops if op.kind == "mux"]
    assert len(muxes) == 4 * 3 and len({op.args[3] for op in muxes}) == 1  # three digits each, one 3x
    assert program.n_adders == 4 * 3 + 1  # per product 3 digits + 1 bit: 3 adds; and 3x
    assert [program.ops[op.args[1]].interval.width for op in program.ops if op.kind == "mul"] == [1] * 4  # bit 6
    codes = np.array(list(itertools.product(range(16, 256), range(65))), dtype=np.int64)
    codes = np.c_[codes, 64 - codes[:, 1:], codes[:, 1:] // 2, codes[:, 1:] // 3]
    values = codes * 2.0 ** -6
    np.testing.assert_array_equal(program(values), values[:, :1] * values[:, 1:])


def test_a_radix_4_product_deeper_than_one_select_per_bit_is_built_per_bit():
    """3x is an adder level above x: where that makes the sum deeper (here x 26 levels deep, as in the products
    zoo's einsum, where the sum of three digits and two bits came out one level deeper), one select per bit."""
    b = ProgramBuilder()
    x = b.input(Interval(-1024, 1023, -3))
    for _ in range(26):
        x = b.quant(b.add(x, b.input(Interval(-1, 1, -3))), 1, 7, 3, "TRN", "WRAP")
    y = b.input(Interval(-128, 127, -3))
    radix4, per_bit = (_sum_of_selections(b, x, y, pairs) for pairs in (True, False))
    assert b.depth(radix4) > b.depth(per_bit)
    program = b.build([shift_and_add(b, x, y)])
    assert program.depth == b.depth(per_bit) and not any(op.kind == "mux" for op in program.ops)


def test_a_wrapping_quantizer_narrows_the_operands_of_a_product():
    b = ProgramBuilder()
    x, y = b.input(Interval(-(1 << 15), (1 << 15) - 1, -8)), b.input(Interval(-(1 << 11), (1 << 11) - 1, -4))
    program = b.build([b.quant(b.mul(x, y), 1, 1, 10, "TRN", "WRAP")])  # sees the product modulo 2**2
    trimmed = trim(program)
    mul = trimmed.ops[trimmed.multipliers[0]]
    # x is needed modulo 2**(2 + 4), y modulo 2**(2 + 8): 14 and 12 bits
    assert sorted(trimmed.ops[a].interval.width for a in mul.args) == [12, 14]
    rng = np.random.default_rng(0)
    codes = np.c_[rng.integers(-(1 << 15), 1 << 15, 4000), rng.integers(-(1 << 11), 1 << 11, 4000)]
    np.testing.assert_array_equal(trimmed.run(codes), program.run(codes))


def test_auto_keeps_wide_products_for_dsps_and_expands_narrow_ones():
    """"auto": a DSP for a byte by a byte; shift-and-add for a byte by 3 bits (a few adders), and for a wide
    product of which the output sees too few bits for Yosys to give it a DSP."""
    byte, three_bits = Interval(-128, 127, -3), Interval(-4, 3, -2)
    b = ProgramBuilder()
    x, y, n = b.input(byte), b.input(byte), b.input(three_bits)
    low7 = b.quant(b.mul(b.input(Interval(2, 63, -4)), b.input(Interval(0, 31, -3))), 0, 0, 7, "TRN", "WRAP")
    program = b.build([b.mul(x, y), b.mul(x, n), low7])
    assert expansion_luts(byte, byte, 16) > DSP_LUTS >= expansion_luts(byte, three_bits, 11)
    assert expansion_luts(Interval(2, 63, -4), Interval(0, 31, -3), 7) > DSP_LUTS and 7 < DSP_MIN_PRODUCT_BITS
    auto = apply(program, "auto")
    assert len(program.multipliers) == 3 and len(auto.multipliers) == 1 and auto.dsps == 1
    assert [auto.ops[a].interval for a in auto.ops[auto.multipliers[0]].args] == [byte, byte]
    assert expand(program).dsps == 0 and apply(program, "dsp").dsps == 3
    rng = np.random.default_rng(1)
    codes = np.c_[[rng.integers(iv.lo, iv.hi + 1, 4000) for iv in program.input_intervals]].T
    codes[:2] = [[iv.lo for iv in program.input_intervals], [iv.hi for iv in program.input_intervals]]
    np.testing.assert_array_equal(auto.run(codes), program.run(codes))


def test_a_lookup_selecting_a_product_stays_one_rom():
    """The digits of a table's output (a softmax's exp) are its bits, read as wiring: expanding the product
    adds no ROM per digit (a quantizer of a lookup would otherwise fold into a table of its own)."""
    b = ProgramBuilder()
    address = b.input(Interval(0, 31, 0))
    exp = b.lut(address, 0, 0, [(37 * j) % 211 for j in range(32)], -8)  # 8 bits: four radix-4 digits
    x = b.input(Interval(-512, 511, -6))
    program = expand(b.build([b.mul(x, exp)]))
    assert sum(op.kind == "lut" for op in program.ops) == 1
    assert any(op.kind == "mux" for op in program.ops)  # the digits did select
    codes = np.array(list(itertools.product(range(32), range(-512, 512, 37))))
    assert np.array_equal(program.run(codes)[:, 0], codes[:, 1] * np.array([(37 * j) % 211 for j in codes[:, 0]]))
