"""Keras ops in functional graphs: arithmetic with constants, elementwise ops on tensors, sums and means.

A Keras op has no quantizer of its own: it computes in float32 on what its inputs hold (a product of
two tensors too), so the reference reproduces that exactly (``Network.forward`` refuses a value float32
would round). Constants must be exact in float32 (dyadic, at most 24 significant bits); others are
refused. Arithmetic with constants is a ``Linear`` at every element (``x * c + d``); bounds by constants are a ``Clip``.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..network import Clip, Einsum, Gather, Linear, Merge, Relu
from ..reader import tensor_shape
from ..registry import handles
from .reduce import feature_axes, sum_linear

_NUMPY = "keras.src.ops.numpy"
_BINARY = {"Add": "add", "Subtract": "sub", "Multiply": "mul", "Maximum": "max", "Minimum": "min"}


@handles("keras ops", *(f"{_NUMPY}.{name}" for name in _BINARY), limits="two tensors (broadcast to the output's "
         "shape), a product of two within float32's 24 significant bits; a tensor and a constant exact in float32 "
         "(`y + 229.0`, `x * 0.25`, `c - x`)", quantized_io=False, ports="none")
def binary(reader, layer, ins: list[str], call) -> str:
    kind, shape = _BINARY[type(layer).__name__], tensor_shape(call.output_tensors[0])
    ids = [id(t) for t in call.input_tensors]
    operands = [ins[ids.index(id(a))] if id(a) in ids else _constant(layer, a, shape) for a in call.arguments.args]
    tensors = [broadcast(reader, layer, x, shape) for x in operands if isinstance(x, str)]
    if len(tensors) == 2:
        op = Einsum.elementwise(shape) if kind == "mul" else Merge(kind)
        return reader.add(layer, kind, op, tensors, shape)
    x, c, first = tensors[0], *(o for o in operands if not isinstance(o, str)), isinstance(operands[0], str)
    if kind == "max":
        return reader.add(layer, "max", Clip(c, np.full(shape, np.inf)), [x], shape)
    if kind == "min":
        return reader.add(layer, "min", Clip(np.full(shape, -np.inf), c), [x], shape)
    scale, offset = {"add": (1.0, c), "mul": (c, None), "sub": (1.0, -c) if first else (-1.0, c)}[kind]
    return scale_offset(reader, layer, x, np.broadcast_to(scale, shape), offset)


@handles("keras ops", f"{_NUMPY}.Negative", f"{_NUMPY}.Absolute", "keras.src.ops.nn.Relu", f"{_NUMPY}.Clip",
         limits="clip bounds exact in float32", quantized_io=False, ports="none")
def unary(reader, layer, ins: list[str], call) -> str:
    (x,), shape = ins, reader.shapes[ins[0]]
    name = type(layer).__name__
    if name == "Relu":
        return reader.add(layer, "relu", Relu(), [x], shape)
    if name == "Clip":
        bounds = (_constant(layer, layer.x_min, shape), _constant(layer, layer.x_max, shape))
        return reader.add(layer, "clip", Clip(*bounds), [x], shape)
    negative = scale_offset(reader, layer, x, np.full(shape, -1.0), None)
    return negative if name == "Negative" else reader.add(layer, "abs", Merge("max"), [x, negative], shape)


@handles("keras ops", f"{_NUMPY}.Sum", f"{_NUMPY}.Mean", limits="feature axes; a mean over a power-of-two count",
         quantized_io=False, ports="none")
def reduction(reader, layer, ins: list[str], call) -> str:
    shape = reader.shapes[ins[0]]
    axes = feature_axes(layer, layer.axis, len(shape))
    count = int(np.prod([shape[a] for a in axes]))
    if type(layer).__name__ == "Mean" and count & (count - 1):
        raise UnsupportedLayerError(f"{where(layer)} averages {count} elements; a mean is exact only over a "
                                    "power-of-two count (use a sum, or QMeanPow2)")
    scale = 1.0 / count if type(layer).__name__ == "Mean" else 1.0
    op = sum_linear(shape, axes, scale, bool(layer.keepdims))
    return reader.add(layer, "sum", op, ins, op.out_shape)


def scale_offset(reader, layer, x: str, scale: np.ndarray, offset: np.ndarray | None) -> str:
    """``x * scale + offset`` elementwise: one 1x1 kernel at every element, or a diagonal when scales differ."""
    shape = reader.shapes[x]
    n = int(np.prod(shape))
    flat, bias = scale.reshape(-1), None if offset is None else offset.reshape(-1)
    if np.all(flat == flat[0]):
        op = Linear(np.arange(n)[:, None], flat[:1, None], None if bias is None else bias[:, None],
                    np.arange(n)[:, None], shape)
    else:
        op = Linear(np.arange(n)[None, :], np.diag(flat), None if bias is None else bias[None, :],
                    np.arange(n)[None, :], shape)
    return reader.add(layer, "affine", op, [x], shape)


def broadcast(reader, layer, x: str, shape: tuple[int, ...]) -> str:
    """``x`` broadcast to ``shape`` (free wiring), or ``x`` itself when it has that shape."""
    if reader.shapes[x] == shape:
        return x
    src = reader.shapes[x]
    index = np.broadcast_to(np.arange(int(np.prod(src))).reshape(src), shape).reshape(-1)
    return reader.add(layer, f"broadcast_{x.replace('/', '_')}", Gather(index, shape), [x], shape)


def _constant(layer, value, shape: tuple[int, ...]) -> np.ndarray:
    """A constant operand broadcast to the feature ``shape``; refused unless float32 holds it exactly."""
    a = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(a)) or not np.array_equal(a.astype(np.float32), a):
        raise UnsupportedLayerError(f"{where(layer)} has the constant {value!r}, which float32 cannot hold exactly; "
                                    "supported: dyadic constants of at most 24 significant bits (e.g. 229.0, 0.25, "
                                    "-1.5)")
    return np.broadcast_to(a, (1, *shape))[0].astype(np.float64)
