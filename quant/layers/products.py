"""Products of two variable tensors: QMultiply, QDot, QEinsum (Keras's ``ops.multiply`` is in keras_ops).

HGQ2 quantizes each input with its own input quantizer, then multiplies (and sums) in float32: the
reference is one ``Einsum`` per product, exact or refused where float32 would round.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..network import Einsum
from ..reader import tensor_shape
from ..registry import handles
from .keras_ops import broadcast


@handles("products", "hgq.layers.QMultiply", limits="two or more inputs, broadcast to the output's shape; each "
         "product within float32's 24 significant bits")
def multiply(reader, layer, xs: list[str], call) -> str:
    shape = tensor_shape(call.output_tensors[0])
    xs = [broadcast(reader, layer, x, shape) for x in xs]
    out = xs[0]
    for j, x in enumerate(xs[1:]):  # in Keras's order: ((x0 * x1) * x2) ...
        out = reader.add(layer, f"mul{j}" if len(xs) > 2 else "mul", Einsum.elementwise(shape), [out, x], shape)
    return out


@handles("products", "hgq.layers.QDot", limits="two inputs; `axes` an int or a pair of feature axes, as Keras's "
         "`batch_dot`; no `normalize`; partial sums within float32's 24 significant bits")
def dot(reader, layer, xs: list[str], call) -> str:
    sa, sb = (reader.shapes[x] for x in xs)
    axes = (layer.axes, layer.axes) if isinstance(layer.axes, int) else tuple(layer.axes)
    axes = tuple(a % (len(s) + 1) if a < 0 else a for a, s in zip(axes, (sa, sb)))
    if getattr(layer, "normalize", False) or 0 in axes:
        raise UnsupportedLayerError(f"{where(layer)} has normalize={layer.normalize}, axes={layer.axes}; supported: "
                                    "a dot product over feature axes without normalization")
    letters = [chr(ord("a") + j) for j in range(len(sa) + len(sb))]
    la, lb = letters[:len(sa)], letters[len(sa):]
    lb[axes[1] - 1] = la[axes[0] - 1]  # the contracted axis
    out = [c for j, c in enumerate(la) if j != axes[0] - 1] + [c for j, c in enumerate(lb) if j != axes[1] - 1]
    equation = f"{''.join(la)},{''.join(lb)}->{''.join(out)}"
    return _einsum(reader, layer, equation, xs, call)


@handles("products", "hgq.layers.QEinsum", limits="any equation of two inputs whose batch axis is the first of "
         "each and of the output (e.g. 'bqhd,bkhd->bhqk'); partial sums within float32's 24 significant bits")
def einsum(reader, layer, xs: list[str], call) -> str:
    return _einsum(reader, layer, feature_equation(layer, layer.equation), xs, call)


def feature_equation(layer, equation: str) -> str:
    """A two-operand einsum over the batch axis too, as one over feature axes only (the batch axis dropped)."""
    lhs, out = equation.replace(" ", "").split("->")
    ins = lhs.split(",")
    batch = out[:1]
    if len(ins) != 2 or not batch or any(t[:1] != batch or batch in t[1:] for t in (*ins, out)):
        raise UnsupportedLayerError(f"{where(layer)} has the equation {equation!r}; supported: two inputs, "
                                    "the batch axis first in each and in the output and nowhere else")
    return f"{ins[0][1:]},{ins[1][1:]}->{out[1:]}"


def _einsum(reader, layer, equation: str, xs: list[str], call) -> str:
    """An ``Einsum`` node of ``equation`` (feature axes only) checked against Keras's own output shape."""
    shapes = [reader.shapes[x] for x in xs]
    out_shape = tensor_shape(call.output_tensors[0])
    found = np.einsum(equation, *(np.zeros(s) for s in shapes)).shape
    if int(np.prod(found)) != int(np.prod(out_shape)):
        raise UnsupportedLayerError(f"{where(layer)}: {equation!r} gives shape {found}, Keras says {out_shape}; "
                                    "supported: products without broadcasting")
    op = Einsum(equation, *shapes, out_shape)
    return reader.add(layer, "einsum", op, xs, out_shape)
