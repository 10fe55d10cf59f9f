"""The layer families adderflow reads, one module each; importing a module registers its handlers."""

from . import (activation, conv, dense, keras_ops, layout, merge, pooling, products, quantizer, recurrent,  # noqa: F401
               reduce, softmax, spiking, wiring)
