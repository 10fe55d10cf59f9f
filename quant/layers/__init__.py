"""The layer families adderflow reads, one module each; importing a module registers its handlers."""

from . import activation, conv, dense, merge, pooling, quantizer, wiring  # noqa: F401
from . import recurrent, spiking  # noqa: F401  (recurrent and spiking)
