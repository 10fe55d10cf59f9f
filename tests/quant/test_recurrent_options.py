"""Every option of the recurrent and spiking layers: HGQ2 model.predict == NumPy reference == program.

Two multi-branch models (one per family, so Keras compiles once each), trained a few steps, calibrated
and checked on over 10,000 sequences, half far beyond the calibration range. Verilog is checked on three
models in tests/sim/test_recurrent.py.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq import layers as hl  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402
from rtl_emit.ports import flat_samples  # noqa: E402

N_STEPS, N_SAMPLES = 4, 10_240


def _rnn_options(x):
    a = hl.QSimpleRNN(4, return_sequences=True, go_backwards=True, name="backwards_sequence")(x)
    b = hl.QSimpleRNN(3, use_bias=False, enable_sq=True, return_state=True, name="state_no_bias")(x)
    c = hl.QSimpleRNN(3, activation="relu", return_sequences=True, return_state=True, name="relu_sequence")(x)
    d = hl.QSimpleRNN(2, name="stacked")(a)
    return [a, *b, *c, d]


def _gru_options(x):
    a = hl.QGRU(4, return_sequences=True, name="reset_after_sequence")(x)
    b = hl.QGRU(3, reset_after=False, go_backwards=True, name="reset_before_backwards")(x)
    c = hl.QGRU(3, activation="relu", recurrent_activation="relu", use_bias=False, return_state=True,
                name="relu_no_bias_state")(x)
    d = hl.QGRU(2, reset_after=False, return_sequences=True, name="stacked")(a)
    return [a, b, *c, d]


def _snn_options(x):
    x = hl.QDense(4, name="encode")(x)
    a = hl.QSimpleSNN(4, return_sequences=True, name="subtract")(x)
    b = hl.QLIF(4, beta=[0.5, 0.75, 0.25, 1.0], reset_mechanism="zero", inhibition=True,
                graded_spikes_factor=[0.5, 1.5, 1.0, 2.0], go_backwards=True, return_state=True,
                name="zero_inhibition_graded")(x)
    c = hl.QLIF(4, threshold=0.75, reset_mechanism="none", surrogate_disable=True, return_sequences=True,
                name="none")(x)
    d = hl.QSimpleSNN(4, threshold=[0.5, 1.0, 1.25, 0.75], enable_sq=False, inhibition=True, enable_oq=True,
                      graded_spikes_factor=1.5, return_sequences=True, name="no_sq_oq")(x)
    return [a, *b, c, d]


def _sequences(n, rng, scale=1.0):
    t = np.arange(N_STEPS)[None, :, None]
    start = rng.integers(0, N_STEPS, size=(n, 1, 3))
    pulse = np.where(t >= start, rng.uniform(0.2, 1.5, size=(n, 1, 3)) * 0.6 ** (t - start), 0.0)
    return (scale * (pulse + 0.1 * rng.normal(size=pulse.shape))).astype(np.float32)


@pytest.fixture(scope="module", params=["rnn", "gru", "snn"])
def trained(request):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    inp = keras.Input((N_STEPS, 3))
    outputs = {"rnn": _rnn_options, "gru": _gru_options, "snn": _snn_options}[request.param](inp)
    model = keras.Model(inp, outputs)
    x = _sequences(512, rng)
    model.compile(keras.optimizers.Adam(3e-3), "mse")
    model.fit(x, [rng.normal(size=(512, *o.shape[1:])) for o in outputs], batch_size=128, verbose=0)
    trace_minmax(model, x, batch_size=512, verbose=False)
    test = np.concatenate([_sequences(N_SAMPLES // 2, rng), _sequences(N_SAMPLES // 2, rng, 4.0)])
    return request.param, model, test


def test_every_option_is_bit_exact(trained):
    name, model, x = trained
    hgq2 = model.predict(x, batch_size=len(x), verbose=0)
    net = quant.from_keras(model)
    reference = net.predict(x)
    assert len(reference) == len(hgq2) == len(model.outputs)
    for j, (got, want) in enumerate(zip(reference, hgq2)):
        bad = np.argwhere(got != want)
        assert bad.size == 0, f"{name} output {j}: reference != HGQ2 at {bad[0]}"
        assert len(np.unique(want)) > 1, f"{name} output {j} is constant: the check would be weak"
    program = da_core.lower(net)
    codes = program.input_codes(flat_samples(net.quantize_inputs(x)))
    np.testing.assert_array_equal(program.output_values(program.run(codes)), flat_samples(reference))


def test_a_long_sequence_reuses_the_solved_step(monkeypatch):
    """Every step's kernels are one matrix on the same formats: once the state's depth reaches the solver's
    cap, each step replays one solution. 32 steps of a (built, untrained) QSimpleRNN take a few solves."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((32, 3))
    model = keras.Model(inp, hl.QSimpleRNN(4, name="long")(inp))
    solves = []
    solve = da_core.cmvm.solve_integer
    monkeypatch.setattr(da_core.cmvm, "solve_integer", lambda *a, **k: solves.append(1) or solve(*a, **k))
    program = da_core.lower(quant.from_keras(model))
    assert program.n_adders > 32  # every step has adders of its own
    assert 2 <= len(solves) <= 8
