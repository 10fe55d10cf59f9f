"""Small HGQ2 models for reductions, Keras ops, layout layers and 3-D layers, and models built like HGQ2's examples.

Each is trained a few steps on synthetic data and calibrated with trace_minmax; ``x`` holds the data
several times and then values beyond its range (>= 10,240 samples). Sizes keep HGQ2's float32 forward
pass exact and a Verilator build short.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

N_SAMPLES = 10_240


def _fit_and_calibrate(model, xs, ys, steps: int = 8) -> None:
    """``steps`` of training (none: the initial weights, sparing the training step's compilation), then
    trace_minmax's calibration."""
    import keras
    from hgq.utils import trace_minmax

    if steps:
        model.compile(keras.optimizers.Adam(3e-3), "mse")
        model.fit(xs, ys, epochs=1, batch_size=-(-n_samples(xs) // steps), verbose=0)
    trace_minmax(model, xs, batch_size=4096, verbose=False)


def n_samples(xs) -> int:
    """Samples in an input array or a list of them (one per model input): a predict over them all in one batch
    compiles one predict step, where batches of 4096 compile two (the full ones and the last)."""
    return len(xs[0] if isinstance(xs, list) else xs)


def _data(rng, shape, scale: float = 8, n: int = 1024) -> np.ndarray:
    """Calibration data on a 1/scale grid in [-2, 2)."""
    return (rng.integers(-2 * scale, 2 * scale, size=(n, *shape)) / scale).astype(np.float32)


def _many(x: np.ndarray, rng, wild: float = 4.0, scale: float = 8) -> np.ndarray:
    """The data several times, then grid values up to +-``wild`` (beyond calibration): N_SAMPLES samples."""
    reps = -(-N_SAMPLES // (2 * len(x)))
    off = rng.integers(-wild * scale, wild * scale, size=(N_SAMPLES // 2, *x.shape[1:])) / scale
    return np.concatenate([np.tile(x, (reps,) + (1,) * (x.ndim - 1)), off]).astype(np.float32)


def _q(name: str):
    from hgq.config import QuantizerConfig
    from hgq.quantizer import Quantizer

    return Quantizer(QuantizerConfig("kif", "datalane", f0=3), name=name)


def ops_zoo():
    """QSum, QMeanPow2, QAveragePow2 and Keras ops: indexing, arithmetic with constants, elementwise ops on tensors
    (broadcast too), transpose, reshape, expand_dims, squeeze, concatenate, stack, split, sum, mean."""
    import keras
    from hgq.layers import QAveragePow2, QDense, QMeanPow2, QSum
    from keras import ops

    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    x = _data(rng, (8, 4))
    inp = keras.Input((8, 4))
    q = _q("q")(inp)
    d1, d2 = QDense(4, name="d1")(q), QDense(4, name="d2")(q)
    avg = QAveragePow2(name="average3")([q, d1, d2])  # (8, 4), times 1/4
    t = ops.transpose(avg, (0, 2, 1))  # (4, 8)
    hi, lo = ops.maximum(t, ops.transpose(d1, (0, 2, 1))), ops.minimum(d2[:, :4], d1[:, 4:])
    row = ops.sum(lo, axis=1, keepdims=True)  # (1, 4): broadcast against (4, 4)
    diff = ops.subtract(ops.add(lo, row), ops.negative(d1[:, :4]))  # (4, 4)
    a = ops.relu(ops.clip(ops.abs(diff), 0.25, 6.0)) * 0.25 - 1.5  # (4, 4)
    b = 3.0 - ops.maximum(hi, -0.5)  # (4, 8)
    c = ops.minimum(ops.reshape(b, (-1, 8, 4)), 2.0)
    left, right = ops.split(c, 2, axis=1)  # (8, 2) each
    st = ops.stack([left, right], axis=-1)  # (8, 2, 2)
    e = ops.squeeze(ops.expand_dims(q[..., 1], 1), 1)  # (8,)
    s = QSum(axes=(1, 2), scale=0.5, keepdims=True, name="qsum")(st)  # (1, 1, 2)
    m = QMeanPow2(axes=1, name="qmean")(a)  # (4,)
    cat = ops.concatenate([ops.reshape(s, (-1, 2)), e, m, ops.mean(a, axis=1), ops.sum(c, axis=(1, 2))[..., None]],
                          axis=-1)  # (19,)
    out = QDense(3, name="head", enable_oq=True)(cat) + 229.0
    model = keras.Model(inp, [out, c], name="ops_zoo")
    _fit_and_calibrate(model, x, [x[:, :3, 0] + 229.0, x[:, :, :4] * 0.5])
    return model, _many(x, rng)


def layout_zoo():
    """Plain Keras layout layers: ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D, RepeatVector, Permute."""
    import keras
    from hgq.layers import QConv1D, QConv2D, QDense

    keras.utils.set_random_seed(12)
    rng = np.random.default_rng(12)
    x = _data(rng, (4, 4, 2))
    L = keras.layers
    inp = keras.Input((4, 4, 2))
    q = _q("q")(inp)
    img = L.UpSampling2D(2, name="up2d")(L.Cropping2D(((1, 0), (0, 1)), name="crop2d")(
        L.ZeroPadding2D(1, name="pad2d")(q)))  # (10, 10, 2)
    img = QConv2D(2, 3, strides=3, name="conv2d")(img)  # (3, 3, 2)
    seq = L.Reshape((8, 4), name="reshape")(q)
    seq = L.UpSampling1D(2, name="up1d")(L.Cropping1D((2, 1), name="crop1d")(L.ZeroPadding1D((1, 2), name="pad1d")(
        seq)))  # (16, 4)
    seq = QConv1D(2, 4, strides=4, name="conv1d")(L.Permute((1, 2), name="permute_id")(seq))  # (4, 2)
    vec = L.RepeatVector(3, name="repeat")(QDense(2, name="d")(L.Flatten(name="flat")(img)))  # (3, 2)
    out = QDense(3, name="head")(L.Flatten(name="flat2")(L.Permute((2, 1), name="permute")(
        L.Concatenate(axis=1, name="cat")([vec, seq]))))
    model = keras.Model(inp, out, name="layout_zoo")
    _fit_and_calibrate(model, x, x[:, 0, :3, 0])
    return model, _many(x, rng)


def conv3d_net():
    """A small 3-D net: QConv3D, QMaxPool3D, QAvgPool3D, QGlobalMaxPool3D, QGlobalAvgPool3D."""
    import keras
    from hgq.layers import QAdd, QAvgPool3D, QConv3D, QDense, QGlobalAvgPool3D, QGlobalMaxPool3D, QMaxPool3D

    keras.utils.set_random_seed(13)
    rng = np.random.default_rng(13)
    x = _data(rng, (4, 4, 4, 1))
    inp = keras.Input((4, 4, 4, 1))
    c = QConv3D(2, 2, padding="same", activation="relu", name="conv3d")(inp)  # (4, 4, 4, 2)
    g1 = QGlobalMaxPool3D(name="gmax3d")(QMaxPool3D(2, name="maxpool3d")(c))
    g2 = QGlobalAvgPool3D(name="gavg3d")(QAvgPool3D(2, name="avgpool3d")(c))
    out = QDense(2, name="head")(QAdd(name="add")([g1, g2]))
    model = keras.Model(inp, out, name="conv3d_net")
    _fit_and_calibrate(model, x, x[:, 0, 0, :2, 0])
    return model, _many(x, rng)


def deep_sets(n: int = 8):
    """A deep-sets particle network on (n particles x 3 features): per-particle QEinsumDenseBatchnorm,
    QSum pooling over particles (power-of-two scale, keepdims), a skip QAdd, a QDense head."""
    import keras
    from hgq.layers import QAdd, QDense, QEinsumDenseBatchnorm, QSum

    keras.utils.set_random_seed(14)
    rng = np.random.default_rng(14)
    x = _data(rng, (n, 3))
    inp = keras.Input((n, 3))
    h = QEinsumDenseBatchnorm("bnc,cC->bnC", (n, 4), bias_axes="C", activation="relu", name="phi1")(inp)
    h2 = QEinsumDenseBatchnorm("bnc,cC->bnC", (n, 4), bias_axes="C", activation="relu", name="phi2")(h)
    pooled = QSum(axes=1, scale=1 / 8, keepdims=True, name="pool")(QAdd(name="skip")([h, h2]))  # (1, 4)
    out = QDense(2, name="rho")(keras.layers.Flatten(name="flat")(pooled))
    model = keras.Model(inp, out, name="deep_sets")
    _fit_and_calibrate(model, x, x.sum(axis=1)[:, :2])
    return model, _many(x, rng)


def mixer(n: int = 8, c: int = 3):
    """A particle MLP-Mixer block: token mixing 'bnc,nN->bNc', channel mixing 'bnc,cC->bnC', skips, a mean head."""
    import keras
    from hgq.layers import QAdd, QDense, QEinsumDense, QMeanPow2

    keras.utils.set_random_seed(15)
    rng = np.random.default_rng(15)
    x = _data(rng, (n, c))
    inp = keras.Input((n, c))
    tok = QEinsumDense("bnc,nN->bNc", (n, c), bias_axes="N", activation="relu", name="token_mix")(inp)
    h = QAdd(name="skip1")([inp, tok])
    ch = QEinsumDense("bnc,cC->bnC", (n, c), bias_axes="C", activation="relu", name="channel_mix")(h)
    h = QAdd(name="skip2")([h, ch])
    out = QDense(2, name="head")(QMeanPow2(axes=1, name="mean")(h))
    model = keras.Model(inp, out, name="mixer")
    _fit_and_calibrate(model, x, x.mean(axis=1)[:, :2])
    return model, _many(x, rng)


def tgc(width: int = 6, split: int = 4):
    """A thin-gap-chamber-style regression: three inputs, QConv1D on each, Reshape, a QDense whose output is sliced
    ``o[:, :split]`` / ``o[:, split:]``, several QAdds, and a constant added to the output."""
    import keras
    from hgq.layers import QAdd, QConv1D, QDense

    keras.utils.set_random_seed(16)
    rng = np.random.default_rng(16)
    xs = [_data(rng, (width, 2)) for _ in range(3)]
    inputs = [keras.Input((width, 2), name=f"layer{j}") for j in range(3)]
    flat = [keras.layers.Reshape((2 * (width - 2),), name=f"reshape{j}")(
        QConv1D(2, 3, activation="relu", name=f"conv{j}")(t)) for j, t in enumerate(inputs)]
    o = QDense(2 * split, name="dense")(QAdd(name="add_ab")([flat[0], flat[1]]))
    o = QAdd(name="add_halves")([o[:, :split], o[:, split:]])
    o = QAdd(name="add_c")([o, QDense(split, name="dense_c")(flat[2])])
    out = QDense(1, name="head", enable_oq=True)(o) + 229.0
    model = keras.Model(inputs, out, name="tgc")
    _fit_and_calibrate(model, xs, xs[0][:, :1, 0] + xs[2][:, 1:2, 1] + 229.0)
    return model, [_many(a, rng) for a in xs]


ZOO = {"ops_zoo": ops_zoo, "layout_zoo": layout_zoo, "conv3d_net": conv3d_net}
EXAMPLES = {"deep_sets": deep_sets, "mixer": mixer, "tgc": tgc}


def verify_end_to_end(model, x, path, **options) -> int:
    """HGQ2 ``model.predict`` == NumPy reference == program == Verilator on ``x``; returns the samples checked.

    ``options`` go to ``rtl_emit.compile_model`` (e.g. ``multipliers``, or a ``latency_cutoff`` other than 4)."""
    import quant
    import rtl_emit
    import sim
    from rtl_emit.ports import flat_samples as _flat

    hgq2 = model.predict(x, batch_size=n_samples(x), verbose=0)
    net = quant.from_keras(model)
    bad = np.argwhere(_flat(net.predict(x)) != _flat(hgq2))
    assert bad.size == 0, f"{model.name}: reference != HGQ2 at sample/output {bad[0]}"
    design = rtl_emit.compile_model(net, path, **{"latency_cutoff": 4, **options})
    return sim.verify(design, x, reference=hgq2).n_samples  # reference == program == RTL, every output bit
