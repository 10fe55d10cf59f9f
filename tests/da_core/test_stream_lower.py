"""``lower_stream``: a trained network as stages whose kernels are built once, equal to the parallel program and
to the reference on every sample, and refused where a layer does not repeat over positions."""

import numpy as np
import pytest

import da_core
import quant
from da_core.stream import COLLECT, DENSE, MAP, REDUCE, SCAN, WINDOW

from tests import stream_models as sm


def _converted(model, x):
    net = quant.from_keras(model)
    return net, da_core.lower_stream(net), da_core.lower(net), x


@pytest.fixture(scope="module")
def conv(stream_model):
    return _converted(*stream_model("conv"))


@pytest.fixture(scope="module")
def deep_sets(stream_model):
    return _converted(*stream_model("deep_sets"))


@pytest.fixture(scope="module")
def zoo_1d(stream_model):
    return _converted(*stream_model("zoo_1d"))


@pytest.fixture(scope="module")
def gru(stream_model):
    return _converted(*stream_model("gru"))


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
    model, _ = sm.conv_model(per_channel_conv2=False, fit=False)
    with pytest.raises(quant.UnsupportedLayerError, match=r"conv2 \(QConv2D\).*vary over the streamed positions"):
        da_core.lower_stream(quant.from_keras(model))


@pytest.fixture(scope="module")
def same_conv(stream_model):
    return _converted(*stream_model("same_conv"))


def test_same_padding_convolutions_stream_bit_exact(same_conv):
    _check_equal(*same_conv)
    stream = same_conv[1]
    assert [s.kind for s in stream.stages] == [WINDOW, WINDOW, WINDOW, COLLECT, DENSE]
    conv1, conv2, conv3 = stream.stages[:3]
    assert (conv1.window, conv1.stride, conv1.padding, conv1.out_grid) == ((3, 3), (1, 1), ((1, 1), (1, 1)), (7, 6))
    assert (conv2.window, conv2.stride, conv2.padding, conv2.out_grid) == ((2, 2), (2, 2), ((0, 1), (0, 0)), (4, 3))
    assert (conv3.window, conv3.padding, conv3.out_grid) == ((4, 4), ((1, 2), (1, 2)), (4, 3))


def test_same_padding_max_pool_is_refused():
    import keras
    from hgq.layers import QMaxPool2D

    inp = keras.Input((3, 3, 1))  # max pooling ignores the padded positions: they are not zeros
    pooled = keras.Model(inp, QMaxPool2D(2, padding="same", name="odd_pool")(inp))
    with pytest.raises(quant.UnsupportedLayerError, match=r"odd_pool \(QMaxPooling2D\).*ignored, not zeros"):
        da_core.lower_stream(quant.from_keras(pooled))


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

    model, _ = sm.recurrent_model(QSimpleRNN(3, name="rnn", **{option: True}), n_steps=3, fit=False)
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
