"""The layer families adderflow reads, one module each; importing a module registers its handlers."""

from . import (activation, conv, dense, keras_ops, layout, merge, pooling, quantizer, recurrent, reduce,  # noqa: F401
               spiking, wiring)
