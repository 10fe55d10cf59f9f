"""Elementwise merges of several tensors: QAdd, QSubtract, QMaximum, QMinimum."""

from ..errors import UnsupportedLayerError, where
from ..network import Merge
from ..registry import handles

_KINDS = {"QAdd": "add", "QSubtract": "sub", "QMaximum": "max", "QMinimum": "min"}


@handles("merges", *(f"hgq.layers.{name}" for name in _KINDS), limits="equal input shapes")
def merge(reader, layer, xs: list[str], call) -> str:
    kind = _KINDS[type(layer).__name__]
    shapes = {reader.shapes[x] for x in xs}
    if len(shapes) != 1:
        raise UnsupportedLayerError(f"{where(layer)} merges tensors of shapes {sorted(shapes)}; supported: "
                                    "equal shapes (no broadcasting)")
    return reader.add(layer, kind, Merge(kind), xs, shapes.pop())
