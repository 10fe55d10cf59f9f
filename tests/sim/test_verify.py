"""sim.verify on real-valued inputs: through a network's quantizers, or straight on the input grid."""

import numpy as np
import pytest
from random_programs import random_codes, random_program

from rtl_emit import emit_program
from sim import MismatchError, verify


class FakeNetwork:
    """Stands in for quant's network: quantizes to the program's input grid, predicts with the program.

    Inputs arrive as one (n, 7) float array and leave the quantizer as two arrays, (n, 2, 2) and
    (n, 3), which flatten in C order to the program's seven input ports; outputs likewise.
    """

    def __init__(self, program, corrupt_sample: int | None = None):
        self.program, self.corrupt_sample = program, corrupt_sample

    def quantize_inputs(self, x):
        ivs = self.program.input_intervals
        exps = np.array([iv.exp for iv in ivs], dtype=np.float64)
        codes = np.clip(np.floor(x * 2.0 ** -exps), [iv.lo for iv in ivs], [iv.hi for iv in ivs])
        values = codes * 2.0 ** exps
        return [values[:, :4].reshape(-1, 2, 2), values[:, 4:]]

    def predict(self, x):
        values = np.concatenate([a.reshape(len(a), -1) for a in self.quantize_inputs(x)], axis=1)
        out = self.program(values)
        if self.corrupt_sample is not None:
            out[self.corrupt_sample, 2] += 0.5
        return [out[:, :10].reshape(-1, 5, 2), out[:, 10:]]


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    program = random_program(seed=3, n_random_ops=30, wide=False)
    return emit_program(program, tmp_path_factory.mktemp("verify"), latency_cutoff=4, network=FakeNetwork(program))


def _raw_inputs(program, n):
    exps = np.array([iv.exp for iv in program.input_intervals], dtype=np.float64)
    return (random_codes(program, n, seed=2) + np.random.default_rng(1).random((n, len(exps)))) * 2.0 ** exps


def test_network_reference_program_and_rtl_agree(design):
    result = verify(design, _raw_inputs(design.program, 2000))
    assert result.n_samples == 2000 and result.latency_cycles == design.latency_cycles
    assert result.samples_per_second > 0


def test_a_wrong_reference_names_the_sample(design):
    design.network = FakeNetwork(design.program, corrupt_sample=77)
    try:
        with pytest.raises(MismatchError, match=r"reference vs program mismatch at sample 77, output 2"):
            verify(design, _raw_inputs(design.program, 200))
    finally:
        design.network = FakeNetwork(design.program)


def test_without_network_inputs_are_values_on_the_grid(design):
    program = design.program
    codes = random_codes(program, 300, seed=4)
    x = codes * 2.0 ** np.array([iv.exp for iv in program.input_intervals])
    network, design.network = design.network, None
    try:
        verify(design, x, reference=program(x))
        wrong = program(x)
        wrong[5, 0] += 1
        with pytest.raises(MismatchError, match="given reference vs program mismatch at sample 5, output 0"):
            verify(design, x, reference=wrong)
        x[1, 1] += 2.0 ** (program.input_intervals[1].exp - 1)
        with pytest.raises(ValueError, match="input 1 of sample 1"):
            verify(design, x)
    finally:
        design.network = network
