"""The layer families adderflow reads, one module each; importing a module registers its handlers."""

from . import (activation, attention, conv, dense, keras_ops, layout, merge, pooling, products,  # noqa: F401
               quantizer, recurrent, reduce, softmax, spiking, table_layers, wiring)
