"""Fixed-point formats with HGQ2's exact semantics, and trained models read as networks of fixed-point ops."""

from .fixed import quantize
from .keras_reader import NotCalibratedError, UnsupportedLayerError, from_keras
from .network import (Concatenate, Dense, Input, LeakyRelu, Linear, Merge, Network, Node, Pool, Quantize, Quantizer,
                      Relu, Reshape, Table)

__all__ = ["quantize", "from_keras", "Network", "Node", "Input", "Dense", "Linear", "Relu", "LeakyRelu", "Quantize",
           "Quantizer", "Table", "Merge", "Pool", "Reshape", "Concatenate", "UnsupportedLayerError",
           "NotCalibratedError"]
