"""Sums over axes and power-of-two means: QSum, QMeanPow2, QAveragePow2.

A sum over axes is a ``Linear`` whose kernel is a column of ones times the dyadic scale, applied at
every position of the kept axes: the CMVM solver builds one depth-aware adder tree and replays it.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..network import Gather, Linear
from ..registry import handles


def feature_axes(layer, axes, rank: int) -> list[int]:
    """Keras axes (over the batch axis too; negative from the end) as sorted feature axes; refuses the batch axis."""
    if axes is None:
        raise UnsupportedLayerError(f"{where(layer)} reduces over every axis, the batch axis too; supported: "
                                    "reductions over feature axes")
    full = sorted({int(a) % (rank + 1) for a in ((axes,) if np.ndim(axes) == 0 else axes)})
    if 0 in full:
        raise UnsupportedLayerError(f"{where(layer)} reduces over the batch axis; supported: feature axes")
    return [a - 1 for a in full]


def reduction_groups(in_shape: tuple[int, ...], axes: list[int], kept: list[int] | None = None) -> np.ndarray:
    """(P, W): per position of the kept axes (C order, or the order ``kept``), the flat indices of the W
    elements reduced there."""
    kept = [a for a in range(len(in_shape)) if a not in axes] if kept is None else kept
    idx = np.arange(int(np.prod(in_shape))).reshape(in_shape)
    return np.transpose(idx, kept + axes).reshape(-1, int(np.prod([in_shape[a] for a in axes])))


def sum_linear(in_shape: tuple[int, ...], axes: list[int], scale: float, keepdims: bool,
               kept: list[int] | None = None) -> Linear:
    """``scale * sum(x, axes)``: a column of ``scale`` applied at every position of the kept axes (in the
    order ``kept`` when given, a transpose of the result; without keepdims)."""
    kept = [a for a in range(len(in_shape)) if a not in axes] if kept is None else kept
    patches = reduction_groups(in_shape, axes, kept)
    out_shape = tuple(1 if a in axes else in_shape[a] for a in range(len(in_shape))) if keepdims else \
        tuple(in_shape[a] for a in kept)
    n_pos = len(patches)
    return Linear(patches, np.full((patches.shape[1], 1), float(scale)), None, np.arange(n_pos)[:, None], out_shape)


@handles("reductions", "hgq.layers.QSum", "hgq.layers.QMeanPow2",
         limits="feature `axes`, power-of-two `scale` (QMeanPow2: the power of two nearest 1/count, as HGQ2), "
                "`keepdims`; an adder tree per kept position")
def reduce_sum(reader, layer, x: str, call) -> str:
    shape = reader.shapes[x]
    op = sum_linear(shape, feature_axes(layer, layer.axes, len(shape)), layer.scale, layer.keepdims)
    return reader.add(layer, "sum", op, [x], op.out_shape)


@handles("reductions", "hgq.layers.QAveragePow2", limits="equal input shapes; the sum times the power of two "
         "nearest 1/count, as HGQ2")
def average(reader, layer, xs: list[str], call) -> str:
    shapes = {reader.shapes[x] for x in xs}
    if len(shapes) != 1:
        raise UnsupportedLayerError(f"{where(layer)} averages tensors of shapes {sorted(shapes)}; supported: "
                                    "equal shapes (no broadcasting)")
    shape = shapes.pop()
    n = int(np.prod(shape))
    stacked = shape + (len(xs),)
    index = (np.arange(n)[:, None] + n * np.arange(len(xs))[None, :]).reshape(stacked)  # inputs side by side
    joined = reader.add(layer, "stack", Gather(index.reshape(-1), stacked), xs, stacked)
    op = sum_linear(stacked, [len(shape)], layer._scale, keepdims=False)
    return reader.add(layer, "average", op, [joined], shape)
