"""Constant-kernel layers without windows: QDense, QEinsumDense (with their batch-norm forms), QBatchNormalization."""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..network import Dense, Linear, to_codes
from ..reader import tensor_shape
from ..registry import handles
from .activation import check_activation, post_activation


@handles("dense and einsum", "hgq.layers.QDense", "hgq.layers.QBatchNormDense",
         limits="batch norm folded by HGQ2; activation 'relu' or 'linear'")
def dense(reader, layer, x: str, call) -> str:
    check_activation(layer)
    bias = None if layer.bias is None else np.asarray(layer.qbias, dtype=np.float64)
    kernel = np.asarray(layer.qkernel, dtype=np.float64)
    shape = reader.shapes[x][:-1] + (kernel.shape[1],)
    return post_activation(reader, layer, reader.add(layer, "dense", Dense(kernel, bias), [x], shape))


@handles("dense and einsum", "hgq.layers.QEinsumDense", "hgq.layers.QEinsumDenseBatchnorm",
         limits="any equation; axes passed straight through become positions sharing one kernel")
def einsum_dense(reader, layer, x: str, call) -> str:
    check_activation(layer)
    out_shape = tensor_shape(call.output_tensors[0])
    bias = None if layer.bias is None else np.asarray(layer.qbias, dtype=np.float64)
    op = einsum_linear(layer.equation, reader.shapes[x], np.asarray(layer.qkernel, dtype=np.float64), bias,
                       out_shape)
    return post_activation(reader, layer, reader.add(layer, "einsum", op, [x], out_shape))


@handles("dense and einsum", "hgq.layers.QBatchNormalization", limits="scale and offset as HGQ2 quantizes them; "
         "one axis")
def batch_norm(reader, layer, x: str, call) -> str:
    shape = reader.shapes[x]
    axis = layer.axis if isinstance(layer.axis, int) else None
    if axis is None:
        raise UnsupportedLayerError(f"{where(layer)} normalizes several axes {layer.axis}; supported: one axis")
    axis = axis % (len(shape) + 1) - 1
    if axis < 0:
        raise UnsupportedLayerError(f"{where(layer)} normalizes the batch axis; supported: a feature axis")
    scale, offset = (np.asarray(a, dtype=np.float64).reshape(-1) for a in layer.qscaler_and_qoffset)
    index = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), axis, -1).reshape(-1, shape[axis])
    op = Linear(index, np.diag(scale), np.broadcast_to(offset, index.shape), index, shape)
    return reader.add(layer, "batchnorm", op, [x], shape)


def einsum_linear(equation: str, in_shape, kernel: np.ndarray, bias, out_shape) -> Linear:
    """An einsum layer as a ``Linear``: its matrix found by feeding unit inputs, split into positions
    when input axes pass straight to the output (the same kernel at every position)."""
    in_shape, out_shape = tuple(in_shape), tuple(out_shape)
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    w_codes, w_exp = to_codes(kernel)
    unit = np.eye(n_in, dtype=np.int64).reshape(n_in, *in_shape)
    M = np.einsum(equation, unit, w_codes).reshape(n_in, n_out)
    b = None if bias is None else np.broadcast_to(bias, out_shape).reshape(-1)
    rows, cols = _einsum_positions(equation, in_shape, out_shape)
    if rows is not None:
        blocks = M[rows[:, :, None], cols[:, None, :]]  # (P, L, N)
        if np.all(blocks == blocks[0]) and np.abs(blocks).sum() == np.abs(M).sum():
            return Linear(rows, blocks[0] * 2.0**w_exp, None if b is None else b[cols], cols, out_shape)
    return Linear(np.arange(n_in)[None, :], M * 2.0**w_exp, None if b is None else b[None, :],
                  np.arange(n_out)[None, :], out_shape)


def _einsum_positions(equation, in_shape, out_shape):
    if "..." in equation:
        return None, None
    lhs, out = equation.replace(" ", "").split("->")
    inp, ker = lhs.split(",")
    inp, out = inp[1:], out[1:]  # drop the batch axis
    if len(inp) != len(in_shape) or len(out) != len(out_shape):
        return None, None
    parallel = [c for c in inp if c in out and c not in ker]
    if not parallel:
        return None, None
    sizes = [in_shape[inp.index(c)] for c in parallel]
    positions = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1).reshape(-1, len(sizes))

    def members(axes: str, shape) -> np.ndarray:
        idx = np.indices(shape).reshape(len(shape), -1)  # (ndim, n) in C order
        flat = np.arange(idx.shape[1])
        sel = []
        for pos in positions:
            mask = np.ones(idx.shape[1], bool)
            for c, v in zip(parallel, pos):
                mask &= idx[axes.index(c)] == v
            sel.append(flat[mask])
        return np.array(sel)

    return members(inp, in_shape), members(out, out_shape)
