"""The three models of issue 16 (streaming), trained on CPU, saved for benchmarks/stream_cost.py.

    python benchmarks/stream_models.py OUT_DIR [--models conv28 deepsets64 gru16] [--epochs N]

(defaults: conv28 6 epochs on 30,000 training images, the others 3 epochs on 20,000 samples)

- conv28: fashion-MNIST 28x28 (Debian's ``dataset-fashion-mnist``, read from /usr/share/datasets):
  QConv2D 6 3x3 - QMaxPool2D 2 - QConv2D 6 3x3 - QMaxPool2D 2 - Flatten - QDense 10, valid padding.
- deepsets64: 64 particles (x, y, e), two classes (a ring, a disk), made with a fixed seed: per-particle
  QEinsumDense 16 - QEinsumDense 16 - QSum over particles (scale 1/64) - QDense 16 - QDense 2.
- gru16: 16 time steps of 3 noisy pulses, which feature pulses first (3 classes): QGRU 8 - QDense 3.

Streaming reuses one kernel over pixels, particles and time steps, so every activation quantizer has one
format per feature, the same at every position: all datalane quantizers are made inside
``QuantizerConfigScope(place="datalane", heterogeneous_axis=(-1,))`` (HGQ2's default is one format per
element, heterogeneous over positions too). Weights stay per element (constants).

Writes ``NAME.keras``, ``NAME_x_test.npy`` / ``NAME_y_test.npy`` (held-out data and labels: the accuracy)
and ``NAME_x_verify.npy`` (10,000 samples: the test data with its last quarter scaled 2-4x beyond the
calibration range). Each saved model is reloaded and checked: ``quant.from_keras(model).predict`` equals
``model.predict`` bit-exact on ``NAME_x_verify.npy``.
"""

import argparse
import gzip
import os
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

FASHION = Path("/usr/share/datasets/fashion-mnist")
N_TEST = 10_000
SEED = 16


def _idx(path: Path, header: int) -> np.ndarray:
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def fashion_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test), images (n, 28, 28, 1) in [0, 1]."""
    if not FASHION.is_dir():
        raise SystemExit(f"{FASHION} is missing: apt-get install dataset-fashion-mnist")
    images = {s: _idx(FASHION / f"{s}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1) / np.float32(255)
              for s in ("train", "t10k")}
    labels = {s: _idx(FASHION / f"{s}-labels-idx1-ubyte.gz", 8).astype(np.int64) for s in ("train", "t10k")}
    return images["train"], labels["train"], images["t10k"], labels["t10k"]


def point_clouds(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n clouds of 64 particles (x, y, e): class 0 on a noisy ring of radius 1, class 1 uniform in a disk."""
    y = rng.integers(0, 2, n)
    phi = rng.uniform(0, 2 * np.pi, (n, 64))
    r = np.where(y[:, None] == 0, 1 + 0.15 * rng.normal(size=(n, 64)), 1.15 * np.sqrt(rng.uniform(size=(n, 64))))
    e = rng.exponential(1.0, (n, 64))
    return np.stack([r * np.cos(phi), r * np.sin(phi), e], axis=-1).astype(np.float32), y


def pulse_sequences(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n sequences of 16 steps x 3 features, one noisy pulse per feature; the label is the first to rise."""
    t = np.arange(16)[None, :, None]
    start = np.argsort(rng.uniform(size=(n, 12)), axis=1)[:, None, :3]  # three distinct steps in 0..11
    height = rng.uniform(0.3, 1.5, (n, 1, 3))
    x = np.where(t >= start, height * 0.7 ** (t - start), 0.0) + 0.05 * rng.normal(size=(n, 16, 3))
    return x.astype(np.float32), start[:, 0].argmin(axis=1)


def _head(model, x_train, y_train, n_classes: int, epochs: int, batch: int):
    import keras
    from hgq.utils import trace_minmax

    model.compile(keras.optimizers.Adam(3e-3), keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, keras.utils.to_categorical(y_train, n_classes), epochs=epochs, batch_size=batch,
              verbose=2)
    trace_minmax(model, x_train, batch_size=2048, verbose=False)
    return model


def conv28(epochs: int):
    import keras
    from hgq.layers import QConv2D, QDense, QMaxPool2D

    x_train, y_train, x_test, y_test = fashion_mnist()
    inp = keras.Input((28, 28, 1))
    h = QConv2D(6, 3, activation="relu", padding="valid", name="conv1")(inp)
    h = QMaxPool2D(2, name="pool1")(h)
    h = QConv2D(6, 3, activation="relu", padding="valid", name="conv2")(h)
    h = QMaxPool2D(2, name="pool2")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    out = QDense(10, name="dense")(h)
    model = keras.Model(inp, out, name="conv28")
    return _head(model, x_train[:30_000], y_train[:30_000], 10, epochs, 128), x_test, y_test


def deepsets64(epochs: int):
    import keras
    from hgq.layers import QDense, QEinsumDense, QSum

    rng = np.random.default_rng(SEED)
    x_train, y_train = point_clouds(20_000, rng)
    x_test, y_test = point_clouds(N_TEST, rng)
    inp = keras.Input((64, 3))
    h = QEinsumDense("bpc,cd->bpd", (64, 16), bias_axes="d", activation="relu", name="phi1")(inp)
    h = QEinsumDense("bpd,de->bpe", (64, 16), bias_axes="e", activation="relu", name="phi2")(h)
    h = QSum(axes=1, scale=1 / 64, name="sum")(h)  # the mean: the head keeps fewer integer bits
    h = QDense(16, activation="relu", name="rho1")(h)
    out = QDense(2, name="rho2")(h)
    model = keras.Model(inp, out, name="deepsets64")
    return _head(model, x_train, y_train, 2, epochs, 128), x_test, y_test


def gru16(epochs: int):
    import keras
    from hgq.layers import QDense, QGRU

    rng = np.random.default_rng(SEED)
    x_train, y_train = pulse_sequences(20_000, rng)
    x_test, y_test = pulse_sequences(N_TEST, rng)
    inp = keras.Input((16, 3))
    h = QGRU(8, return_sequences=False, name="gru")(inp)
    out = QDense(3, name="dense")(h)
    model = keras.Model(inp, out, name="gru16")
    return _head(model, x_train, y_train, 3, epochs, 128), x_test, y_test


MODELS = {"conv28": conv28, "deepsets64": deepsets64, "gru16": gru16}
EPOCHS = {"conv28": 6, "deepsets64": 3, "gru16": 3}  # each well under 3 minutes on 2 CPU cores


def verify_set(x_test: np.ndarray, rng) -> np.ndarray:
    """The test data with its last quarter scaled by 2-4x (WRAP overflow must match too)."""
    x = x_test[:N_TEST].copy()
    q = len(x) // 4
    x[-q:] *= rng.uniform(2, 4, (q,) + (1,) * (x.ndim - 1)).astype(np.float32)
    return x


def build(name: str, out: Path, epochs: int) -> dict:
    """Train, calibrate, save, reload and check one model; returns its accuracy and timings."""
    import keras
    from hgq.config import QuantizerConfigScope

    import quant

    keras.utils.set_random_seed(SEED)
    start = time.perf_counter()
    with QuantizerConfigScope(place="datalane", heterogeneous_axis=(-1,)):
        model, x_test, y_test = MODELS[name](epochs)
    train_s = time.perf_counter() - start
    model.save(out / f"{name}.keras")
    np.save(out / f"{name}_x_test.npy", x_test)
    np.save(out / f"{name}_y_test.npy", y_test)
    x_verify = verify_set(x_test, np.random.default_rng(SEED))
    np.save(out / f"{name}_x_verify.npy", x_verify)

    model = keras.models.load_model(out / f"{name}.keras", compile=False)
    accuracy = float((model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1) == y_test).mean())
    keras_out = model.predict(x_verify, batch_size=1000, verbose=0).astype(np.float64)
    quant_out = quant.from_keras(model).predict(x_verify).reshape(keras_out.shape)
    bad = int((keras_out != quant_out).any(axis=1).sum())
    return dict(accuracy=accuracy, train_s=train_s, mismatches=bad, n=len(x_verify))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--epochs", type=int, help="epochs for every model (default: EPOCHS)")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        r = build(name, args.out_dir, args.epochs or EPOCHS[name])
        print(f"{name}: test accuracy {r['accuracy']:.4f}, trained in {r['train_s']:.0f} s, "
              f"quant vs keras {r['mismatches']} / {r['n']} samples mismatched", flush=True)
        if r["mismatches"]:
            raise SystemExit(f"{name}: quant.from_keras(model).predict differs from model.predict")


if __name__ == "__main__":
    main()
