"""``lower_stream``: a trained network as stages whose kernels are built once, equal to the parallel program and
to the reference on every sample, and refused where a layer does not repeat over positions."""

import numpy as np
import pytest

import da_core
import quant
from da_core.stream import COLLECT, DENSE, MAP, REDUCE, SCAN, WINDOW

N_WILD = 1200  # inputs up to 4x beyond the calibration range


def _per_channel():
    """HGQ2 activation quantizers with one format per channel, shared by every position."""
    from hgq.config import QuantizerConfigScope

    return QuantizerConfigScope(place="datalane", homogeneous_axis=None, heterogeneous_axis=(-1,))


def _train(model, x, y, fit: bool = True):
    """A few Adam steps (trained weights and bit-widths, not initial ones; skipped for refusals), calibration."""
    import keras
    from hgq.utils import trace_minmax

    if fit:
        model.compile(keras.optimizers.Adam(3e-3), "mse")
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    trace_minmax(model, x, verbose=False)


def _inputs(x, rng):
    """The calibration data, then values on its grid up to 4x beyond its range."""
    wild = rng.integers(-64, 64, size=(N_WILD, *x.shape[1:])) / 16
    return np.concatenate([x, wild]).astype(np.float32)


def _converted(model, x):
    net = quant.from_keras(model)
    return net, da_core.lower_stream(net), da_core.lower(net), x


def _conv_model(padding="valid", per_channel_conv2=True, fit=True):
    """8x8x1 -> conv 3x3 (3 ch, relu) -> max pool 2 -> conv 2x2 (2 ch) -> flatten -> dense 2."""
    import contextlib

    import keras
    from hgq.layers import QConv2D, QDense, QMaxPool2D

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (rng.integers(-16, 16, size=(256, 8, 8, 1)) / 16).astype(np.float32)
    y = np.stack([x[:, :4].mean((1, 2, 3)), x[:, :, :4].max((1, 2, 3))], 1)
    with _per_channel():
        inp = keras.Input((8, 8, 1))
        h = QConv2D(3, 3, activation="relu", padding=padding, name="conv1")(inp)
        h = QMaxPool2D(2, name="pool")(h)
    with _per_channel() if per_channel_conv2 else contextlib.nullcontext():
        h = QConv2D(2, 2, name="conv2")(h)
        out = QDense(2, name="head")(keras.layers.Flatten(name="flatten")(h))
    model = keras.Model(inp, out)
    _train(model, x * np.linspace(0.2, 1, 8)[None, :, None, None], y, fit)  # positions of different ranges
    return model, _inputs(x, rng)


@pytest.fixture(scope="module")
def conv():
    return _converted(*_conv_model())


@pytest.fixture(scope="module")
def deep_sets():
    """8 particles x 3 features -> per-particle QEinsumDense (relu) and QDense (relu) -> QSum / 8 -> dense 2."""
    import keras
    from hgq.layers import QDense, QEinsumDense, QSum

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = (rng.integers(-16, 16, size=(256, 8, 3)) / 16).astype(np.float32)
    y = np.stack([x[..., 0].sum(1), (x[..., 1] * x[..., 2]).max(1)], 1)
    with _per_channel():
        inp = keras.Input((8, 3))
        h = QEinsumDense("bpf,fo->bpo", (8, 4), bias_axes="o", activation="relu", name="phi1")(inp)
        h = QDense(4, activation="relu", name="phi2")(h)
        h = QSum(axes=1, scale=1 / 8, name="pool")(h)
        out = QDense(2, name="rho")(h)
    model = keras.Model(inp, out)
    _train(model, x, y)
    return _converted(model, _inputs(x, rng))


def _pulses(n: int, n_steps: int, rng, scale: float = 1.0) -> np.ndarray:
    """Noisy pulses (a rise, then an exponential fall) on 2 features, on a grid of 1/64."""
    t = np.arange(n_steps)[None, :, None]
    start, height = rng.integers(0, n_steps, (n, 1, 2)), rng.uniform(0.2, 1.5, (n, 1, 2))
    shape = np.where(t >= start, height * 0.6 ** (t - start), 0.0) + 0.1 * rng.normal(size=(n, n_steps, 2))
    return (np.round(scale * shape * 64) / 64).astype(np.float32)


@pytest.fixture(scope="module")
def zoo_1d():
    """13 steps x 2 -> conv1d 3/2 (relu) -> per-position dense -> tanh table -> add the conv back -> avg pool 2
    -> global max pool -> dense 2."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QAdd, QAvgPool1D, QConv1D, QDense, QGlobalMaxPool1D, QUnaryFunctionLUT

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = (rng.integers(-16, 16, size=(256, 13, 2)) / 16).astype(np.float32)
    with _per_channel():
        inp = keras.Input((13, 2))
        c = QConv1D(4, 3, strides=2, activation="relu", name="conv")(inp)  # (6, 4)
        table = QUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="tanh")
        s = QAdd(name="add")([table(QDense(4, name="per_position")(c)), c])
        g = QGlobalMaxPool1D(name="gmax")(QAvgPool1D(2, name="avg")(s))
        out = QDense(2, name="head")(g)
    model = keras.Model(inp, out)
    _train(model, x, x[:, :2, 0])
    return _converted(model, _inputs(x, rng))


def _recurrent_model(layer, n_steps=5, fit=True):
    """A recurrent layer on pulse sequences of 2 features, then dense 2; and >= 1,000 sequences (half 4x larger)."""
    import keras
    from hgq.layers import QDense

    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = _pulses(256, n_steps, rng)
    inp = keras.Input((n_steps, 2))
    model = keras.Model(inp, QDense(2, name="head")(layer(inp)))  # per step after return_sequences
    _train(model, x, np.stack([x.max((1, 2)), x.sum((1, 2))], 1), fit)
    return model, np.concatenate([x, _pulses(N_WILD, n_steps, rng, 4.0)])


@pytest.fixture(scope="module")
def gru():
    from hgq.layers import QGRU

    return _converted(*_recurrent_model(QGRU(3, name="gru")))


def _check_equal(net, stream, parallel, x):
    ref = net.predict(x).reshape(len(x), -1)
    codes = parallel.input_codes(net.quantize_inputs(x)[0].reshape(len(x), -1))
    np.testing.assert_array_equal(parallel.output_values(parallel.run(codes)), ref)
    np.testing.assert_array_equal(stream.output_values(stream.run(codes)), ref)
    assert len(x) >= 1000 and np.abs(x).max() > 2 * np.abs(x[:256]).max()


def _adders(program, origin: str) -> int:
    return program.cost_by_origin().get(origin, {}).get("adders", 0)


def test_conv_net_streams_bit_exact(conv):
    _check_equal(*conv)


def test_conv_net_is_window_stages_then_a_dense_head(conv):
    _, stream, parallel, _ = conv
    kinds = [s.kind for s in stream.stages]
    assert kinds == [WINDOW, WINDOW, WINDOW, COLLECT, DENSE]
    conv1, pool, conv2 = stream.stages[:3]
    assert (conv1.grid, conv1.window, conv1.stride) == ((8, 8), (3, 3), (1, 1))
    assert (pool.grid, pool.window, pool.stride) == ((6, 6), (2, 2), (2, 2))
    assert (conv2.grid, conv2.window, conv2.out_grid) == ((3, 3), (2, 2), (2, 2))
    # the kernel is one output pixel's share of the unrolled convolution, built once
    per_pixel = _adders(parallel, "conv1/conv") / 36
    assert 0 < _adders(conv1.program, "conv1/conv") <= 1.5 * per_pixel
    kernels = sum(s.program.n_adders for s in stream.stages if s.program is not None)
    assert kernels < parallel.n_adders / 4


def test_deep_sets_streams_bit_exact(deep_sets):
    _check_equal(*deep_sets)


def test_deep_sets_is_a_particle_map_a_sum_and_a_dense_head(deep_sets):
    _, stream, parallel, _ = deep_sets
    assert [s.kind for s in stream.stages] == [MAP, REDUCE, DENSE]
    phi, total, _ = stream.stages
    assert phi.grid == (8,) and total.reduction == "add"
    assert {"phi1 (QEinsumDense)", "phi2 (QDense)"} <= set(phi.layers) and total.layers == ("pool (QSum)",)
    per_particle = (_adders(parallel, "phi1/einsum") + _adders(parallel, "phi2/dense")) / 8
    assert 0 < phi.program.n_adders <= 1.5 * per_particle


def test_position_dependent_quantizer_is_refused():
    model, _ = _conv_model(per_channel_conv2=False, fit=False)
    with pytest.raises(quant.UnsupportedLayerError, match=r"conv2 \(QConv2D\).*vary over the streamed positions"):
        da_core.lower_stream(quant.from_keras(model))


def test_same_padding_is_refused():
    model, _ = _conv_model(padding="same", fit=False)
    with pytest.raises(quant.UnsupportedLayerError, match=r"conv1 \(QConv2D\).*padding='same'"):
        da_core.lower_stream(quant.from_keras(model))


def test_strided_conv_table_merge_and_global_max_stream_bit_exact(zoo_1d):
    _check_equal(*zoo_1d)
    stream = zoo_1d[1]
    assert [s.kind for s in stream.stages] == [WINDOW, WINDOW, REDUCE, DENSE]
    conv, avg, gmax, _ = stream.stages
    assert (conv.window, conv.stride, conv.out_grid) == ((3,), (2,), (6,)) and gmax.reduction == "max"
    assert {"per_position (QDense)", "tanh (QUnaryFunctionLUT)", "add (QAdd)"} <= set(conv.layers)
    assert (avg.window, avg.stride) == ((2,), (2,))


def test_gru_streams_bit_exact(gru):
    _check_equal(*gru)


def test_gru_is_one_cell_scanned_over_the_steps(gru):
    _, stream, parallel, _ = gru
    assert [s.kind for s in stream.stages] == [SCAN, DENSE]
    scan, head = stream.stages
    assert scan.grid == (5,) and len(scan.state) == 3 and scan.layers == ("gru (QGRU)",)
    per_step = (parallel.n_adders - head.program.n_adders) / 5
    assert 0 < scan.program.n_adders <= 1.5 * per_step


@pytest.mark.parametrize("option, reason", [("return_sequences", "return_sequences=True"),
                                            ("go_backwards", "reads features of another time step")])
def test_recurrent_options_not_streamed_are_refused(option, reason):
    from hgq.layers import QSimpleRNN

    model, _ = _recurrent_model(QSimpleRNN(3, name="rnn", **{option: True}), n_steps=3, fit=False)
    with pytest.raises(quant.UnsupportedLayerError, match=rf"rnn \(QSimpleRNN\).*{reason}"):
        da_core.lower_stream(quant.from_keras(model))


def test_a_stream_tensor_read_past_a_reduction_is_refused():
    from quant.layers.reduce import sum_linear

    q = quant.Quantizer(np.array(1), np.array(2), np.array(2), "TRN", "WRAP")
    nodes = (quant.Node("a", quant.Relu(), ("x",), "act (ReLU)"),
             quant.Node("s", sum_linear((4, 2), [0], 1.0, keepdims=False), ("a",), "sum (QSum)"),
             quant.Node("both", quant.Gather(np.arange(10), (10,)), ("s", "a"), "cat (Concatenate)"))
    net = quant.Network((quant.Input("x", (4, 2), q),), nodes, ("both",))
    with pytest.raises(quant.UnsupportedLayerError, match=r"cat \(Concatenate\).*before a reduction or flatten"):
        da_core.lower_stream(net)
    summed = da_core.lower_stream(quant.Network(net.inputs, nodes[:2], ("s",)))
    assert [s.kind for s in summed.stages] == [MAP, REDUCE, DENSE]
