"""HGQ-LUT layers (QDenseT, QEinsumDenseT, QConvT1D/2D): a learned table in place of every multiplication.

Each layer broadcasts its input to a "presum" tensor (one element per input x output pair; a convolution
gathers its patches first), quantizes it (``iq``, per element), maps every element through its own small
network, batch norm and table quantizer (``toq``) — one table per element, computed by the layer's own
float32 code — and sums over the input axes. In the network: Gather, Quantize, Table, a sum (``Linear``),
then the layer's activation and output quantizer.
"""

from math import sqrt

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import read_quantizer
from ..network import Gather, Relu
from ..reader import tensor_shape
from ..registry import handles
from .activation import activation_name, check_activation
from .grid import MAX_TABLE_BITS, build_table, layout_index, upstream_formats
from .reduce import sum_linear

_LIMITS = (f"learned tables over at most {MAX_TABLE_BITS} input bits, batch norm folded into them; activation 'relu' "
           "or 'linear'; `enable_iq=False` right after a quantizer; a model input needs an hgq Quantizer first")


@handles("activations and tables", "hgq.layers.QDenseT", limits=_LIMITS, quantized_io=False, ports="none")
def dense_t(reader, layer, ins: list[str], call) -> str:
    from keras import ops

    def presum(x):
        return ops.broadcast_to(x[..., None], (*x.shape, layer.n_out))

    return _table_layer(reader, layer, ins[0], presum, _dense_tables(layer), (-2,), None,
                        tensor_shape(call.output_tensors[0]))


@handles("activations and tables", "hgq.layers.QConvT1D", "hgq.layers.QConvT2D", limits=_LIMITS + "; "
         "`channels_last`, any padding, strides and dilation", quantized_io=False, ports="none")
def conv_t(reader, layer, ins: list[str], call) -> str:
    from keras import ops

    if layer.data_format != "channels_last":
        raise UnsupportedLayerError(f"{where(layer)} has data_format={layer.data_format!r}; supported: "
                                    "channels_last")

    def presum(x):
        if layer.rank == 1:
            x = x[:, :, None]
        x = ops.image.extract_patches(x, **layer.im2col_params)
        if layer.rank == 1:
            x = x[:, :, 0]
        return ops.broadcast_to(x[..., None], (*x.shape, layer.n_out))

    return _table_layer(reader, layer, ins[0], presum, _dense_tables(layer), (-2,), None,
                        tensor_shape(call.output_tensors[0]))


@handles("activations and tables", "hgq.layers.QEinsumDenseT", limits=_LIMITS + "; any equation HGQ2 builds",
         quantized_io=False, ports="none")
def einsum_dense_t(reader, layer, ins: list[str], call) -> str:
    return einsum_table(reader, layer, ins[0], tensor_shape(call.output_tensors[0]))


def einsum_table(reader, layer, x: str, out_shape: tuple[int, ...], owner=None, prefix: str = "") -> str:
    """A QEinsumDenseT ``layer`` applied to tensor ``x``: a model's layer, or a sub-layer of ``owner`` (an
    attention layer's projections), its nodes then named ``OWNER/{prefix}...``."""
    from keras import ops

    def presum(v):
        reshape, broadcast = layer._broadcast_shapes(tuple(v.shape))
        return ops.broadcast_to(ops.reshape(v, reshape), broadcast)

    def run(grid):
        t = layer._apply_batch_norm(layer.module(grid[..., None], training=False), training=False)
        return layer.toq(t, training=False)

    if layer._output_transpose[0] != 0:
        raise UnsupportedLayerError(f"{where(owner or layer)} moves the batch axis; supported: equations keeping it "
                                    "first")
    order = [a - 1 for a in layer._output_transpose[1:]]
    return _table_layer(reader, layer, x, presum, run, tuple(a - 1 for a in layer._contract_axes), order, out_shape,
                        owner, prefix)


def _dense_tables(layer):
    """QDenseT's (and its convolutions') per-element path: the small network, batch norm, ``toq``."""

    def run(grid):
        t = layer.module(grid[..., None], training=False)
        if layer.enable_bn:
            t = layer.bn_module(t, training=False) / sqrt(layer.n_in)
        return layer.toq(t, training=False)

    return run


def _table_layer(reader, layer, x: str, presum, run, axes: tuple[int, ...], order, out_shape: tuple[int, ...],
                 owner=None, prefix: str = "") -> str:
    """Gather the presum tensor, quantize it, look every element up in its table, sum over ``axes``; nodes named
    ``OWNER/{prefix}...`` (``owner`` defaults to the layer itself)."""
    owner = owner or layer

    def add(suffix: str, op, inputs: list[str], shape) -> str:
        return reader.add(owner, prefix + suffix, op, inputs, shape)

    check_activation(layer)
    index, shape = layout_index(owner, presum, reader.shapes[x])
    p = add("presum", Gather(index, shape), [x], shape)
    if layer.enable_iq:
        q = read_quantizer(layer.iq, owner)
        p = reader.quantize(owner, prefix + "iq", q, p)
        formats = q.formats(shape)
    else:
        formats = upstream_formats(reader, owner, p)
    t = add("table", build_table(owner, formats, shape, run), [p], shape)
    axes = sorted(a % len(shape) for a in axes)
    kept = [a for a in range(len(shape)) if a not in axes]
    s = sum_linear(shape, axes, 1.0, False, kept if order is None else [kept[j] for j in order])
    if s.out_shape != tuple(out_shape):
        raise AssertionError(f"{where(owner)}: {prefix}summed to {s.out_shape}, Keras says {out_shape}")
    out = add("sum", s, [t], s.out_shape)
    if activation_name(layer) == "relu":
        out = add("relu", Relu(), [out], s.out_shape)
    if layer.enable_oq:
        out = reader.quantize(owner, prefix + "oq", read_quantizer(layer.oq, owner), out)
    return out
