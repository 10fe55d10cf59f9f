import numpy as np
import pytest

import quant


def test_zero_width_elements_are_pruned_to_zero():
    x = np.array([0.7, -3.2, 5.0])
    got = quant.quantize(x, k=np.array([1, 1, 0]), i=np.array([-3, 2, 0]), f=np.array([2, 3, 0]))
    np.testing.assert_array_equal(got, [0.0, -3.25, 0.0])


def test_saturation_and_wrap_follow_hgq2_defaults():
    x = np.array([7.9, -9.0, 3.3])
    np.testing.assert_array_equal(quant.quantize(x, 1, 2, 1, "RND", "SAT_SYM"), [3.5, -3.5, 3.5])
    np.testing.assert_array_equal(quant.quantize(x, 1, 2, 1, "RND", "SAT"), [3.5, -4.0, 3.5])
    np.testing.assert_array_equal(quant.quantize(x, 1, 2, 1, "TRN", "WRAP"), [-0.5, -1.0, 3.0])


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unsupported quantizer modes"):
        quant.quantize(np.zeros(2), 1, 2, 3, "RND_ZERO", "WRAP")
