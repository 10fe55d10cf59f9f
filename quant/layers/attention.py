"""Attention layers: QMultiHeadAttention, QLinformerAttention, QSALTAttention, and the HGQ-LUT
QMultiHeadAttentionT and QLinformerAttentionT (QEinsumDenseT tables as projections, read by ``table_layers``).

HGQ2 projects query, key and value with QEinsumDense sub-layers (each with its own input and output
quantizers; fused projections share one input quantizer), takes the scores as a float32 einsum of key and
query, runs its QSoftmax sub-layer (the 1/sqrt(key_dim) scale lives in the exp table), combines the
weights with the value by a second einsum, and projects the result. Linformer and SALT first project
key and value along the sequence; SALT also convolves the scores before the softmax. Every step here is
one exact op: the einsums of two variables are ``Einsum`` nodes, refused where float32 could round.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import read_quantizer
from ..network import Einsum, Gather
from ..registry import handles
from .activation import check_activation
from .conv import conv_linear
from .dense import einsum_linear
from .grid import MAX_TABLE_BITS
from .products import feature_equation
from .softmax import softmax_of
from .table_layers import einsum_table

_LIMITS = ("query, key and value inputs of any shapes Keras allows (model inputs through a Quantizer first), several "
           "heads, `attention_axes`, fused or unfused projections, `output_shape`; no masks, no "
           "`return_attention_scores`; `stable_softmax=True`; score and combine einsums within float32's 24 bits")


@handles("softmax and attention", "hgq.layers.attn.QMultiHeadAttention", limits=_LIMITS, quantized_io=False,
         ports="none")
def multi_head_attention(reader, layer, ins: list[str], call) -> str:
    query, value, key = _arguments(reader, layer, call)
    return _attend(reader, layer, query, value, key)


@handles("softmax and attention", "hgq.layers.attn.QLinformerAttention", quantized_io=False, ports="none",
         limits="as QMultiHeadAttention, key and value first projected along the attention axes "
                "(`lin_kv_proj_mode='dense'`, `share_kv_proj` both ways)")
def linformer_attention(reader, layer, ins: list[str], call) -> str:
    query, value, key = _arguments(reader, layer, call)
    key = _projection(reader, layer, layer._lin_k_proj, key, "lin_key")
    value = _projection(reader, layer, layer._lin_v_proj, value, "lin_value")
    return _attend(reader, layer, query, value, key)


@handles("softmax and attention", "hgq.layers.attn.QMultiHeadAttentionT", quantized_io=False, ports="none",
         limits=f"as QMultiHeadAttention, query, key, value and output projections QEinsumDenseT tables over at most "
                f"{MAX_TABLE_BITS} input bits")
def multi_head_attention_t(reader, layer, ins: list[str], call) -> str:
    return multi_head_attention(reader, layer, ins, call)


@handles("softmax and attention", "hgq.layers.attn.QLinformerAttentionT", quantized_io=False, ports="none",
         limits="as QMultiHeadAttentionT, key and value first projected along the attention axes by tables "
                "(`lin_kv_proj_mode='dense_t'`) or constants ('dense'), `share_kv_proj` both ways")
def linformer_attention_t(reader, layer, ins: list[str], call) -> str:
    return linformer_attention(reader, layer, ins, call)


@handles("softmax and attention", "hgq.layers.attn.QSALTAttention", quantized_io=False, ports="none",
         limits="as QMultiHeadAttention on (sequence, features) inputs; key and value projected to "
                "`lin_kv_proj_dim` (clustered or not, `share_kv_proj`); the scores' QConv2D with `groups=1` "
                "(`separate_conv=False`) or none (`conv_size=0`)")
def salt_attention(reader, layer, ins: list[str], call) -> str:
    query, value, key = _arguments(reader, layer, call)
    if layer.cluster_k_proj:
        key = _cluster(reader, layer, key, layer.n_k_pad, "key_clusters")
    if layer.n_v_pad > 0:
        value = _cluster(reader, layer, value, layer.n_v_pad, "value_clusters")
    key = _projection(reader, layer, layer._lin_k_proj, key, "lin_key")
    value = _projection(reader, layer, layer._lin_v_proj, value, "lin_value")
    return _attend(reader, layer, query, value, key, _salt_conv if layer.conv_size > 0 else None)


def _arguments(reader, layer, call) -> tuple[str, str, str]:
    """The query, value and key tensors of the call (value defaults to query, key to value); refuses masks."""
    args, kwargs = list(call.arguments.args), dict(call.arguments.kwargs)
    named = dict(zip(("query", "value", "key"), args)) | {k: kwargs[k] for k in ("query", "value", "key")
                                                           if kwargs.get(k) is not None}
    extra = [k for k, v in kwargs.items() if k not in ("query", "value", "key", "training") and v not in (None, False)]
    if len(args) > 3 or extra:
        raise UnsupportedLayerError(f"{where(layer)} is called with {extra or 'a mask'}; supported: query, value and "
                                    "key tensors only (no masks, causal masks or returned attention scores)")
    query = reader.names[id(named["query"])]
    value = reader.names[id(named["value"])] if "value" in named else query
    key = reader.names[id(named["key"])] if "key" in named else value
    return query, value, key


def _attend(reader, layer, query: str, value: str, key: str, on_scores=None) -> str:
    """HGQ2's ``QMultiHeadAttention.call`` from the projections on (``on_scores``: SALT's convolution)."""
    if float(layer._inverse_sqrt_key_dim) != 1.0:  # HGQ2 moves the scale into the softmax's exp table
        raise UnsupportedLayerError(f"{where(layer)} scales the query by {layer._inverse_sqrt_key_dim}; supported: "
                                    "the scale inside the softmax's exp table, as HGQ2 builds it")
    query = _projection(reader, layer, layer._query_dense, query, "query")
    key = _projection(reader, layer, layer._key_dense, key, "key")
    value = _projection(reader, layer, layer._value_dense, value, "value")
    scores = _einsum(reader, layer, layer._dot_product_equation, key, query, "scores")
    if on_scores is not None:
        scores = on_scores(reader, layer, scores)
    weights = softmax_of(reader, layer, layer._softmax, scores, "softmax/")
    out = _einsum(reader, layer, layer._combine_equation, weights, value, "combine")
    out = _projection(reader, layer, layer._output_dense, out, "attention_output")
    if layer.enable_oq:
        out = reader.quantize(layer, "oq", read_quantizer(layer.oq, layer), out)
    return out


def _projection(reader, owner, sub, x: str, name: str) -> str:
    """A QEinsumDense sub-layer: its input quantizer, kernel and bias, output quantizer (a QEinsumDenseT: its
    tables)."""
    out_shape = tuple(int(d) for d in sub.compute_output_shape((None, *reader.shapes[x]))[1:])
    if type(sub).__name__ == "QEinsumDenseT":
        return einsum_table(reader, sub, x, out_shape, owner, f"{name}/")
    check_activation(sub)
    if sub.enable_iq:
        x = reader.quantize(owner, f"{name}/iq", read_quantizer(sub.iq, owner), x)
    bias = None if sub.bias is None else np.asarray(sub.qbias, dtype=np.float64)
    op = einsum_linear(sub.equation, reader.shapes[x], np.asarray(sub.qkernel, dtype=np.float64), bias, out_shape)
    out = reader.add(owner, f"{name}/einsum", op, [x], out_shape)
    return _output_quantized(reader, owner, sub, out, name)


def _output_quantized(reader, owner, sub, x: str, name: str) -> str:
    if not sub.enable_oq:
        return x
    return reader.quantize(owner, f"{name}/oq", read_quantizer(sub.oq, owner), x)


def _einsum(reader, layer, equation: str, a: str, b: str, name: str) -> str:
    """HGQ2's float32 ``ops.einsum(equation, a, b)`` as one exact ``Einsum`` node."""
    features = feature_equation(layer, equation)
    shapes = (reader.shapes[a], reader.shapes[b])
    out_shape = np.einsum(features, *(np.zeros(s) for s in shapes)).shape
    return reader.add(layer, name, Einsum(features, *shapes, out_shape), [a, b], out_shape)


def _transpose(reader, layer, x: str, axes: tuple[int, ...], name: str) -> str:
    shape = reader.shapes[x]
    index = np.transpose(np.arange(int(np.prod(shape))).reshape(shape), axes)
    return reader.add(layer, name, Gather(index.reshape(-1), index.shape), [x], index.shape)


def _cluster(reader, layer, x: str, pad: int, name: str) -> str:
    """SALT's ``ops.pad`` of the sequence by ``pad`` zeros, reshaped to (clusters, length, features)."""
    n, d = reader.shapes[x]
    clusters = layer._kv_proj_dim
    index = np.concatenate([np.arange(n * d), np.full(pad * d, -1)])
    shape = (clusters, (n + pad) // clusters, d)
    return reader.add(layer, name, Gather(index, shape), [x], shape)


def _salt_conv(reader, layer, scores: str) -> str:
    """SALT's channels-first QConv2D over the (heads, query, key) scores: transposed to channels-last and back."""
    conv = layer.conv
    if conv.groups != 1:
        raise UnsupportedLayerError(f"{where(layer)} convolves the scores with separate_conv=True ({conv.groups} "
                                    "groups); supported: separate_conv=False (one group) or conv_size=0")
    check_activation(conv)
    if conv.enable_iq:
        scores = reader.quantize(layer, "conv/iq", read_quantizer(conv.iq, layer), scores)
    last = _transpose(reader, layer, scores, (1, 2, 0), "conv/channels_last")
    op = conv_linear(conv, reader.shapes[last], data_format="channels_first")
    out = reader.add(layer, "conv/conv", op, [last], op.out_shape)
    out = _transpose(reader, layer, out, (2, 0, 1), "conv/channels_first")
    return _output_quantized(reader, layer, conv, out, "conv")
