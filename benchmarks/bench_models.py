"""Trained HGQ2 models of the whole-model benchmarks (rtl_luts.py), saved as .keras for every tool.

Bigger siblings of the test models in tests/sim/layer_models.py (same layer stacks, benchmark widths,
trained for epochs rather than a few steps): a tabular QDense MLP on synthetic data (a random teacher
network), the residual model (einsum-batchnorm block, tanh table, add around a skip, batchnorm-dense head)
and the Conv2D-MaxPool-BN-Dense-Dense net on scikit-learn's 8x8 digits. Two small models of the layer
issues come as their tests build them (tests/sim: trained a few steps, so without an accuracy): the
classifier ending in QSoftmax, the table (QDenseT) deep-sets GNN with QSum pooling, the transformer block
(attention), the stacked GRU and the spiking (QLIF) classifier (recurrent) and the MLP-Mixer block.
"""

import importlib
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402


def _compile_fit(model, x, y, epochs: int, loss):
    import keras

    model.compile(keras.optimizers.Adam(3e-3), loss)
    model.fit(x, y, epochs=epochs, batch_size=256, verbose=0)


def train_tabular_mlp(n_in: int = 16, hidden: tuple[int, ...] = (64, 32, 32), n_out: int = 5, name: str = "jsc_mlp",
                      seed: int = 0, epochs: int = 20, beta: float = 3e-6):
    """An n_in-hidden-n_out QDense MLP on synthetic n_in-feature, n_out-class data; returns (model, accuracy)."""
    import keras
    from hgq.layers import QDense
    from hgq.utils import trace_minmax

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(20000, n_in)).astype(np.float32)
    teacher = rng.normal(size=(16, n_out))
    y = np.argmax(np.tanh(x @ rng.normal(size=(n_in, 16))) @ teacher + 0.3 * rng.normal(size=(20000, n_out)), axis=1)
    inputs = keras.Input((n_in,))
    h = inputs
    for units in hidden:
        h = QDense(units, activation="relu", beta0=beta)(h)
    model = keras.Model(inputs, QDense(n_out, beta0=beta)(h), name=name)
    _compile_fit(model, x[:16000], y[:16000], epochs, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    trace_minmax(model, x[:16000])
    accuracy = float(np.mean(np.argmax(model.predict(x[16000:], verbose=0), axis=1) == y[16000:]))
    return model, accuracy


def train_residual(n_in: int = 24, width: int = 32, n_out: int = 8, seed: int = 2, epochs: int = 20,
                   beta: float = 3e-6):
    """QEinsumDenseBatchnorm (relu) -> tanh table, added to a QDense skip, QBatchNormDense head; returns
    (model, R^2 on held-out data)."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QAdd, QBatchNormDense, QDense, QEinsumDenseBatchnorm, QUnaryFunctionLUT, Quantizer
    from hgq.utils import trace_minmax

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = (rng.integers(-32, 32, size=(20000, n_in)) / 16).astype(np.float32)
    mix = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
    y = (np.tanh(x @ mix) + 0.1 * x[:, :n_out]).astype(np.float32)
    raw = keras.Input((n_in,))
    inp = Quantizer(QuantizerConfig("kif", "datalane", f0=4), name="input_q")(raw)  # one format for both users
    h = QEinsumDenseBatchnorm("ab,bc->ac", (width,), bias_axes="c", activation="relu", beta0=beta,
                              name="einsum_bn")(inp)
    t = QUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="tanh_table")(h)
    s = QAdd(name="add")([t, QDense(width, beta0=beta, name="skip")(inp)])
    model = keras.Model(raw, QBatchNormDense(n_out, beta0=beta, name="head_bn")(s), name="residual")
    _compile_fit(model, x[:16000], y[:16000], epochs, "mse")
    trace_minmax(model, x[:16000])
    residual = model.predict(x[16000:], verbose=0) - y[16000:]
    return model, float(1 - residual.var() / y[16000:].var())


def train_conv_net(filters: int = 8, dense: int = 32, seed: int = 1, epochs: int = 40, beta: float = 1e-5):
    """QConv2D (relu) - QMaxPool2D - QBatchNormalization - Flatten - QDense (relu) - QDense on 8x8 digits;
    returns (model, test accuracy)."""
    import keras
    from hgq.layers import QBatchNormalization, QConv2D, QDense, QMaxPool2D
    from hgq.utils import trace_minmax

    from adderflow.digits import load_digits_split

    keras.utils.set_random_seed(seed)
    x_train, x_test, y_train, y_test = load_digits_split(seed)
    x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
    inp = keras.Input((8, 8, 1))
    x = QConv2D(filters, 3, activation="relu", beta0=beta, name="conv")(inp)
    x = QBatchNormalization(beta0=beta, name="bn")(QMaxPool2D(2, name="maxpool")(x))
    x = QDense(dense, activation="relu", beta0=beta, name="dense1")(keras.layers.Flatten(name="flatten")(x))
    model = keras.Model(inp, QDense(10, beta0=beta, name="dense2")(x), name="conv_net")
    _compile_fit(model, x_train, y_train, epochs, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    trace_minmax(model, x_train)
    return model, float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))


def train_digits(epochs: int = 40, beta: float = 1e-4):
    """adderflow's bundled digits MLP 64-32-16-10; returns (model, test accuracy)."""
    from adderflow.digits import train_digits_mlp

    model, _, x_test, y_test = train_digits_mlp(epochs=epochs, beta=beta)
    return model, float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))


def layer_test_model(module: str, name: str):
    """A model of tests/sim/<module>.py built as its tests build it; returns (model, None): no accuracy."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sim"))
    model, _ = getattr(importlib.import_module(module), name)()
    return model, None


def train_binary_mlp(hidden: tuple[int, ...] = (64, 32), seed: int = 3, epochs: int = 40, beta: float = 1e-5):
    """A digits MLP on 1-bit data: binarized pixels in, every hidden activation quantized to one unsigned bit
    (fixed k=0, i=1, f=0, SAT), as a binary-activation network has; the layers' inputs are all 1 bit wide
    (the case of ``da_core.lut_pack``). Returns (model, test accuracy)."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QDense
    from hgq.utils import trace_minmax

    from adderflow.digits import load_digits_split

    def one_bit():
        return QuantizerConfig("kif", "datalane", k0=0, i0=1, f0=0, overflow_mode="SAT", trainable=False)

    keras.utils.set_random_seed(seed)
    x_train, x_test, y_train, y_test = load_digits_split(seed)
    x_train, x_test = (x_train > 0.5).astype(np.float32), (x_test > 0.5).astype(np.float32)
    x = inputs = keras.Input((64,))
    for units in hidden:
        x = QDense(units, activation="relu", beta0=beta, iq_conf=one_bit())(x)
    model = keras.Model(inputs, QDense(10, beta0=beta, iq_conf=one_bit())(x), name="binary_mlp")
    _compile_fit(model, x_train, y_train, epochs, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    trace_minmax(model, x_train)
    return model, float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))


MODELS = {
    "jsc_mlp": train_tabular_mlp,
    "digits_mlp": train_digits,
    "tabular_mlp": lambda: train_tabular_mlp(30, (64, 32, 32), 2, name="tabular_mlp"),
    "residual": train_residual,
    "conv_net": train_conv_net,
    "softmax_classifier": lambda: layer_test_model("models_softmax", "softmax_classifier"),
    "table_deep_sets": lambda: layer_test_model("models_tables", "table_deep_sets"),
    "transformer_block": lambda: layer_test_model("models_attention", "transformer_block"),
    "stacked_gru": lambda: layer_test_model("models_recurrent", "stacked_gru"),
    "spiking_classifier": lambda: layer_test_model("models_recurrent", "spiking_classifier"),
    "mixer": lambda: layer_test_model("models_ops", "mixer"),
    "binary_mlp": train_binary_mlp,  # a targeted benchmark for da_core.lut_pack, not one of the five
}
