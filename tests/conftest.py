import functools

import numpy as np
import pytest

from tests import session_env

session_env.set_up()  # before JAX starts

import adderflow  # noqa: E402, F401  (selects Keras's JAX backend before any test imports Keras)


@pytest.fixture(scope="session")
def digits():
    """A calibrated 64-32-16-10 QDense MLP on digits, and its train/test inputs."""
    from adderflow.digits import train_digits_mlp

    model, x_train, x_test, y_test = train_digits_mlp(epochs=8, beta=1e-4)
    return model, x_train, x_test, y_test


@pytest.fixture(scope="session")
def digits_net(digits):
    import quant

    return quant.from_keras(digits[0])


@pytest.fixture(scope="session")
def many_inputs(digits):
    """Over 10,000 samples: every digit image several times, then inputs off the data (overflowing, negative)."""
    _, x_train, x_test, _ = digits
    rng = np.random.default_rng(1)
    data = np.tile(np.concatenate([x_train, x_test]), (5, 1))
    wild = rng.integers(-32, 48, size=(2000, 64)) / 16.0  # beyond the calibrated ranges: WRAP must match
    return np.concatenate([data, wild]).astype(np.float32)


@pytest.fixture(scope="session")
def narrow_digits():
    """A 64-8-10 QDense MLP on digits: for tests of a path, not of a model size, its design builds in far less time."""
    from adderflow.digits import train_digits_mlp

    return train_digits_mlp(hidden=(8,), epochs=3, beta=1e-3)[0]


@pytest.fixture(scope="session")
def two_models(digits, narrow_digits, tmp_path_factory):
    """Two saved .keras candidates for sweeps: the digits MLP ("wide") and the 64-8-10 one ("narrow")."""
    folder = tmp_path_factory.mktemp("models")
    digits[0].save(folder / "wide.keras")
    narrow_digits.save(folder / "narrow.keras")
    return [folder / "wide.keras", folder / "narrow.keras"]


@pytest.fixture(scope="session")
def stream_model():
    """``stream_model("conv")``: a model of ``tests/stream_models.py`` and its inputs, trained once per session."""
    from tests import stream_models

    return functools.cache(lambda name: getattr(stream_models, f"{name}_model")())
