"""The compiled model's own quantizer (C++, fed by sim._raw_inputs) against the Python path (quant.fixed and
Design.input_codes): the same codes for every raw input, in every rounding and overflow mode, far outside
the formats' ranges too, and the Python path's own error wherever it refuses an input.

The network is four inputs passed straight to the outputs, so the RTL's outputs are the input codes.
"""

import numpy as np
import pytest

import da_core
import rtl_emit.design
from quant.network import Input, Network, Quantizer
from rtl_emit import emit_program
from sim import CompiledModel

MODES = [("RND", "WRAP"), ("TRN", "SAT"), ("RND_CONV", "SAT_SYM"), ("TRN", "WRAP")]
WIDTH = 12  # elements per input


def _network() -> Network:
    rng = np.random.default_rng(3)
    inputs = []
    for n, (round_mode, overflow_mode) in enumerate(MODES):
        k, i, f = rng.integers(0, 2, WIDTH), rng.integers(-3, 6, WIDTH), rng.integers(-2, 7, WIDTH)
        # pruned (k + i + f = 0), i < -f, a 1-bit wrap, and 53 bits: too wide for the harness's integer quantizer
        k[:4], i[:4], f[:4] = (1, 0, 1, 1), (2, -4, 5, 30), (-3, 4, 2, 22)
        inputs.append(Input(f"x{n}", (WIDTH,), Quantizer(k, i, f, round_mode, overflow_mode)))
    return Network(tuple(inputs), (), tuple(x.name for x in inputs))


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    network = _network()
    return emit_program(da_core.lower(network), tmp_path_factory.mktemp("quantize"), name="quantize",
                        latency_cutoff=1, network=network)


@pytest.fixture(scope="module")
def model(design):
    return CompiledModel(design)


def _raw(design, n: int, seed: int) -> list[np.ndarray]:
    """Raw float64 inputs up to 4x beyond each element's range, with ties on its grid, zeros, tiny and huge
    values; inf only where the overflow mode saturates (a wrap turns it into NaN, which is refused)."""
    rng = np.random.default_rng(seed)
    xs = []
    for spec in design.network.inputs:
        q = spec.quantizer
        x = rng.normal(size=(n, WIDTH)) * 4 * 2.0 ** q.i
        x[::7] = (rng.integers(-300, 300, x[::7].shape) + 0.5) * 2.0 ** -q.f  # ties to round
        x[1::11] = rng.choice([0.0, -0.0, 1e-30, -1e-30, 3e38, -3e38, 1e12, 2.0**60], x[1::11].shape)
        if q.overflow_mode != "WRAP":
            x[2::13] = rng.choice([np.inf, -np.inf], x[2::13].shape)
        xs.append(x)
    return xs


def _python_path(design, xs) -> np.ndarray:
    return design.program.output_values(design.program.run(design.input_codes(xs)))


def test_the_harness_quantizes_as_the_python_path(design, model, monkeypatch):
    xs = _raw(design, 100_000, seed=1)
    expected = _python_path(design, xs)
    monkeypatch.setattr(rtl_emit.design.Design, "input_codes", lambda self, x: pytest.fail("the Python path ran"))
    np.testing.assert_array_equal(model.predict(xs), expected)
    assert model.last_harness_cpu_seconds > 0


@pytest.mark.parametrize("value, column", [(np.nan, 0), (np.inf, 0), (-np.inf, 3), (np.nan, 1)])
def test_a_refused_input_raises_the_python_paths_error(design, model, value, column):
    """NaN anywhere, and inf where the quantizer wraps (it becomes NaN), off the grid of no code."""
    xs = _raw(design, 3000, seed=2)
    xs[column][1234, 5] = value
    with pytest.raises(ValueError) as python:
        design.input_codes(xs)
    assert "sample 1234" in str(python.value)
    with pytest.raises(ValueError) as compiled:
        model.predict(xs)
    assert str(compiled.value) == str(python.value)


def test_a_pruned_element_is_zero_even_for_nan(design, model):
    xs = _raw(design, 100, seed=3)
    xs[0][:, 0] = np.nan  # element 0 of input 0 is pruned: k + i + f = 0
    values = model.predict(xs)
    assert np.all(values[:, 0] == 0)
    np.testing.assert_array_equal(values, _python_path(design, xs))
