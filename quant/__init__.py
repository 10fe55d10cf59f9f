"""Fixed-point formats with HGQ2's exact semantics, and trained models read as networks of fixed-point ops."""

from . import layers  # noqa: F401  (each family module registers its handlers with the registry)
from .errors import NotCalibratedError, UnsupportedLayerError
from .fixed import quantize
from .network import (Clip, Concatenate, Dense, Einsum, Gather, Input, LeakyRelu, Linear, Merge, Network, Node, Pool,
                      Quantize, Quantizer, Relu, Reshape, Table)
from .reader import from_keras
from .registry import supported_families

__all__ = ["quantize", "from_keras", "supported_families", "Network", "Node", "Input", "Dense", "Linear", "Relu",
           "LeakyRelu", "Quantize", "Quantizer", "Table", "Merge", "Pool", "Reshape", "Concatenate", "Gather", "Clip",
           "Einsum", "UnsupportedLayerError", "NotCalibratedError"]
