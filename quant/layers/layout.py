"""Layouts of Keras ops and layers (slicing, transposes, padding, cropping, repeats, stacks, splits): one ``Gather``.

The layer itself says where each element goes: it runs on its inputs' element numbers (1, 2, ...; 0 is
a padded zero), so no argument of it is re-implemented here. A second run on shuffled numbers confirms
that every output is a copy of one input element or zero, nothing computed.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..network import Gather
from ..reader import tensor_shape
from ..registry import handles

_OPS = [f"keras.src.ops.numpy.{name}" for name in
        ("GetItem", "Transpose", "Reshape", "ExpandDims", "Squeeze", "Concatenate", "Stack", "Split")]
_LAYERS = [f"keras.layers.{name}" for name in
           ("ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
            "RepeatVector", "Permute")]


@handles("wiring", *_OPS, *_LAYERS, limits="feature axes only (the batch axis untouched); UpSampling "
         "`nearest`; free wiring, -1 padding becomes a zero", quantized_io=False, ports="none")
def layout(reader, layer, ins: list[str], call) -> list[str]:
    sizes = [int(np.prod(reader.shapes[x])) for x in ins]
    total = sum(sizes)
    shuffle = np.random.default_rng(0).permutation(total)
    plain, shuffled = _run(layer, call, np.arange(total)), _run(layer, call, shuffle)
    outs = []
    for j, (tensor, a, b) in enumerate(zip(call.output_tensors, plain, shuffled)):
        shape = tensor_shape(tensor)
        index = a.reshape(-1) - 1
        if a.shape != (1, *shape) or np.any(index != np.round(index)) or index.min(initial=0) < -1 or \
                index.max(initial=0) >= total or \
                not np.array_equal(b.reshape(-1), np.where(index >= 0, shuffle[index.astype(np.int64)] + 1, 0)):
            raise UnsupportedLayerError(f"{where(layer)} does not only move elements of the feature axes (its output "
                                        "is computed, or the batch axis moves); supported: slicing, transposes, "
                                        "reshapes, padding, cropping, nearest upsampling, repeats, stacks, splits")
        suffix = "gather" if len(call.output_tensors) == 1 else f"gather{j}"
        outs.append(reader.add(layer, suffix, Gather(index.astype(np.int64), shape), ins, shape))
    return outs


def _run(layer, call, numbers: np.ndarray) -> list[np.ndarray]:
    """The layer's outputs, with batch 1, on the inputs filled with ``numbers + 1`` (in input order, C order)."""
    values, start = {}, 0
    for t in call.input_tensors:
        size = int(np.prod(tensor_shape(t)))
        values[id(t)] = (numbers[start:start + size] + 1).astype(np.float32).reshape(1, *tensor_shape(t))
        start += size
    args, kwargs = call.arguments.fill_in(values)
    out = layer(*args, **kwargs)
    return [np.asarray(o, dtype=np.float64) for o in (out if isinstance(out, (list, tuple)) else [out])]
