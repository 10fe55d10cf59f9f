"""Layers that only move elements: free wiring in hardware."""

from ..errors import UnsupportedLayerError, where
from ..network import Concatenate, Reshape
from ..reader import tensor_shape
from ..registry import handles


@handles("wiring", "keras.layers.Dropout", limits="an identity at inference", quantized_io=False, ports="through")
def dropout(reader, layer, ins: list[str], call) -> str:
    return ins[0]


@handles("wiring", "keras.layers.Flatten", "keras.layers.Reshape", limits="C order, as Keras", quantized_io=False,
         ports="through")
def reshape(reader, layer, ins: list[str], call) -> str:
    shape = tensor_shape(call.output_tensors[0])
    return reader.add(layer, "reshape", Reshape(shape), ins, shape)


@handles("wiring", "keras.layers.Concatenate", limits="feature axes", quantized_io=False, ports="none")
def concatenate(reader, layer, ins: list[str], call) -> str:
    axis = layer.axis % (len(reader.shapes[ins[0]]) + 1)
    if axis == 0:
        raise UnsupportedLayerError(f"{where(layer)} concatenates along the batch axis; supported: feature axes")
    shape = tensor_shape(call.output_tensors[0])
    return reader.add(layer, "concat", Concatenate(axis - 1), ins, shape)
