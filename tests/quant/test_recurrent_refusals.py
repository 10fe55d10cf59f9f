"""What the recurrent and spiking layers cannot do exactly is refused with UnsupportedLayerError, naming why.

Built, untrained models: a refusal comes from the layer's options alone, before any value is compared.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import pytest  # noqa: E402
from hgq import layers as hl  # noqa: E402

import quant  # noqa: E402


def _model(make, n_steps=4, features=3, extra=None):
    inp = keras.Input((n_steps, features))
    inputs = [inp] + ([extra] if extra is not None else [])
    return keras.Model(inputs, make(*inputs))


def _masked(x, mask):
    return hl.QSimpleRNN(3)(x, mask=mask)


def _initial_state(x, state):
    return hl.QSimpleRNN(3)(x, initial_state=[state])


CASES = {
    "gru_tanh": (lambda: _model(lambda x: hl.QGRU(3, recurrent_activation="sigmoid")(x)),
                 "recurrent_activation 'sigmoid'"),
    "tanh": (lambda: _model(lambda x: hl.QSimpleRNN(3, activation="tanh")(x)), "activation 'tanh'"),
    "mask": (lambda: _model(_masked, extra=keras.Input((4,), dtype="bool")), "no mask"),
    "initial_state": (lambda: _model(_initial_state, extra=keras.Input((3,))), "zero initial state"),
    "spike_grad": (lambda: _model(lambda x: hl.QSimpleSNN(3, spike_grad=lambda v: v)(x)), "spike_grad"),
    "no_iq": (lambda: _model(lambda x: hl.QSimpleSNN(3, enable_iq=False)(hl.Quantizer()(x))), "enable_iq=True"),
    "float32_membrane": (lambda: _model(lambda x: hl.QLIF(3, enable_sq=False)(x), n_steps=16), "float32"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_with_the_reason(case):
    keras.utils.set_random_seed(0)
    make, reason = CASES[case]
    with pytest.raises(quant.UnsupportedLayerError, match="supported") as e:
        quant.from_keras(make())
    assert reason in str(e.value)


def test_a_short_lif_without_state_quantizer_converts():
    """The float32 bound is a bound, not a blanket refusal: a few steps of an unquantized membrane fit."""
    keras.utils.set_random_seed(0)
    quant.from_keras(_model(lambda x: hl.QLIF(3, enable_sq=False)(x), n_steps=2))
