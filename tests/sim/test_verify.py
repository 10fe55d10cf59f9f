"""sim.verify on real-valued inputs: through a network's quantizers, or straight on the input grid.

The program is ``x @ W + bias`` solved into adders, so the reference (plain ``x @ W + bias`` in
NumPy) is independent of it: each leg of verify can fail on its own.
"""

import dataclasses

import numpy as np
import pytest

from da_core.builder import ProgramBuilder
from da_core.cmvm import emit_cmvm
from da_core.interval import Interval
from rtl_emit import emit_program
from sim import MismatchError, verify

INPUTS = [Interval(-128, 127, 0), Interval(0, 255, -4), Interval(-8, 7, -2), Interval(-32, 31, 1),
          Interval(0, 3, 0), Interval(-16, 15, -3), Interval(0, 0, -3)]  # the last is zero bits wide: only ever 0
W = np.random.default_rng(0).integers(-12, 13, (len(INPUTS), 15)) / 2.0
BIAS = np.arange(15) * 0.25 - 1.5


def matrix_program(W):
    builder = ProgramBuilder()
    x = [builder.input(iv) for iv in INPUTS]
    return builder.build(emit_cmvm(builder, x, W, BIAS))


class FakeNetwork:
    """Stands in for quant's network: quantizes to the input grid, predicts ``x @ W + BIAS`` in float64
    (exact: every value is a multiple of 2**-5 below 2**12).

    Inputs arrive as one (n, 7) float array and leave the quantizer as two arrays, (n, 2, 2) and
    (n, 3), which flatten in C order to the program's seven input ports; outputs likewise.
    """

    def __init__(self, corrupt_sample: int | None = None):
        self.corrupt_sample = corrupt_sample

    def quantize_inputs(self, x):
        exps = np.array([iv.exp for iv in INPUTS], dtype=np.float64)
        codes = np.clip(np.floor(x * 2.0 ** -exps), [iv.lo for iv in INPUTS], [iv.hi for iv in INPUTS])
        values = codes * 2.0 ** exps
        return [values[:, :4].reshape(-1, 2, 2), values[:, 4:]]

    def predict(self, x):
        values = np.concatenate([a.reshape(len(a), -1) for a in self.quantize_inputs(x)], axis=1)
        out = values @ W + BIAS
        if self.corrupt_sample is not None:
            out[self.corrupt_sample, 2] += 0.5
        return [out[:, :10].reshape(-1, 5, 2), out[:, 10:]]


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    """In a directory named as sweeps label their points: make must not read its '=' as an assignment."""
    return emit_program(matrix_program(W), tmp_path_factory.mktemp("verify") / "beta=1e-5_lc=2", latency_cutoff=2,
                        network=FakeNetwork())


def _raw_inputs(n):
    rng = np.random.default_rng(1)
    codes = rng.integers([iv.lo for iv in INPUTS], [iv.hi for iv in INPUTS], (n, len(INPUTS)), endpoint=True)
    return (codes + rng.random(codes.shape)) * 2.0 ** np.array([iv.exp for iv in INPUTS], dtype=np.float64)


def test_network_reference_program_and_rtl_agree(design, capsys):
    result = verify(design, _raw_inputs(2000))
    assert result.n_samples == 2000 and result.latency_cycles == design.latency_cycles > 0
    assert result.samples_per_second > 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 / 2000 samples mismatched"  # the acceptance line


def test_a_wrong_program_fails_the_reference_leg(design):
    wrong = W.copy()
    wrong[3, 2] += 0.5  # output 2 is off wherever input 3 is non-zero
    with pytest.raises(MismatchError, match=r"reference vs program mismatch at sample \d+, output 2"):
        verify(dataclasses.replace(design, program=matrix_program(wrong)), _raw_inputs(200))


def test_a_wrong_reference_names_the_sample(design, capsys):
    with pytest.raises(MismatchError, match=r"reference vs program mismatch at sample 77, output 2") as error:
        verify(dataclasses.replace(design, network=FakeNetwork(corrupt_sample=77)), _raw_inputs(200))
    assert (error.value.n_bad_samples, error.value.n_samples) == (1, 200)
    assert "1 / 200 samples mismatched" in str(error.value)
    assert capsys.readouterr().out.splitlines()[-1] == "1 / 200 samples mismatched (reference vs program)"


def test_without_network_inputs_are_values_on_the_grid(design):
    design = dataclasses.replace(design, network=None)
    x = np.concatenate([a.reshape(len(a), -1) for a in FakeNetwork().quantize_inputs(_raw_inputs(300))], axis=1)
    verify(design, x, reference=x @ W + BIAS)
    wrong = x @ W + BIAS
    wrong[5, 0] += 1
    with pytest.raises(MismatchError, match="given reference vs program mismatch at sample 5, output 0"):
        verify(design, x, reference=wrong)
    x[1, 1] += 2.0 ** (INPUTS[1].exp - 1)
    with pytest.raises(ValueError, match="input 1 of sample 1"):
        verify(design, x)


class TwoInputNetwork(FakeNetwork):
    """FakeNetwork's model with its inputs given as two arrays, (n, 4) and (n, 3)."""

    def quantize_inputs(self, xs):
        return super().quantize_inputs(np.concatenate(xs, axis=1))


def test_inputs_are_quantized_in_blocks_of_samples(design, monkeypatch):
    import rtl_emit.design

    x = _raw_inputs(30)
    expected = design.program.input_codes(
        np.concatenate([a.reshape(len(a), -1) for a in FakeNetwork().quantize_inputs(x)], axis=1))
    monkeypatch.setattr(rtl_emit.design, "QUANTIZE_ROWS", 7)  # 5 blocks, the last one short
    np.testing.assert_array_equal(design.input_codes(x), expected)
    two = dataclasses.replace(design, network=TwoInputNetwork())
    np.testing.assert_array_equal(two.input_codes([x[:, :4], x[:, 4:]]), expected)


class OffGridNetwork(FakeNetwork):
    """FakeNetwork whose quantizer lets a raw first input of 0.125 through, off that input's integer grid."""

    def quantize_inputs(self, x):
        values = super().quantize_inputs(x)
        values[0][x[:, 0] == 0.125, 0, 0] = 0.125
        return values


def test_a_refusal_in_a_later_block_names_the_sample_in_the_whole_run(design, monkeypatch):
    import rtl_emit.design

    monkeypatch.setattr(rtl_emit.design, "QUANTIZE_ROWS", 7)
    x = _raw_inputs(30)
    x[20, 0] = 0.125
    with pytest.raises(ValueError, match="input 0 of sample 20 is .*0.125"):
        dataclasses.replace(design, network=OffGridNetwork()).input_codes(x)
