import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from da_core.interval import Interval
from rtl_emit.bus import pack, unpack
from rtl_emit.ports import bus_elements, bus_width


@st.composite
def intervals_and_codes(draw):
    ivs = []
    for _ in range(draw(st.integers(1, 8))):
        width = draw(st.integers(0, 62))
        signed = width > 0 and draw(st.booleans())
        lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
        ivs.append(Interval(lo, hi, draw(st.integers(-8, 8))))
    n = draw(st.integers(1, 20))
    codes = [[draw(st.integers(iv.lo, iv.hi)) for iv in ivs] for _ in range(n)]
    return ivs, np.array(codes, dtype=np.int64)


@settings(max_examples=200, deadline=None)
@given(intervals_and_codes())
def test_unpack_inverts_pack(case):
    ivs, codes = case
    elements = bus_elements(ivs)
    words = pack(codes, elements, bus_width(ivs))
    assert words.shape == (len(codes), max((bus_width(ivs) + 7) // 8, 1))
    assert np.array_equal(unpack(words, elements), codes)


def test_element_zero_takes_the_low_bits():
    ivs = [Interval(-2, 1, 0), Interval(0, 7, 0)]  # 2 bits signed, then 3 bits unsigned
    words = pack(np.array([[-1, 5]]), bus_elements(ivs), 5)
    assert int.from_bytes(words[0].tobytes(), "little") == 0b101_11
