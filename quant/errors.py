"""The errors a model conversion refuses with: each names the layer, its class and what is supported."""


class UnsupportedLayerError(ValueError):
    """A layer, or a layer option, that adderflow cannot convert exactly."""


class NotCalibratedError(ValueError):
    """WRAP activation quantizers whose integer bits were never calibrated."""


def where(layer) -> str:
    """How an error names a layer: ``layer 'dense_1' (QDense)``."""
    return f"layer {layer.name!r} ({type(layer).__name__})"
