"""The layer families adderflow reads, one module each; importing a module registers its handlers."""

from . import activation, conv, dense, merge, pooling, quantizer, wiring  # noqa: F401
from . import keras_ops, layout, reduce  # noqa: F401  (issue 11)
