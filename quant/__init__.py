"""Fixed-point formats with HGQ2's exact semantics, and trained models read as networks of fixed-point ops."""

from .fixed import quantize
from .keras_reader import NotCalibratedError, UnsupportedLayerError, from_keras
from .network import Dense, Input, Network, Node, Quantize, Quantizer, Relu

__all__ = ["quantize", "from_keras", "Network", "Node", "Input", "Dense", "Relu", "Quantize", "Quantizer",
           "UnsupportedLayerError", "NotCalibratedError"]
