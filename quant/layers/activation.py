"""Activations and tables: ReLU in its forms, LeakyReLU, and QUnaryFunctionLUT (affined too) as a lookup table."""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import input_quantizer, read_quantizer
from ..network import LeakyRelu, Relu, to_codes
from ..registry import handles
from .grid import MAX_TABLE_BITS, build_table, upstream_formats
MAX_SLOPE_BITS = 16  # significant bits of a LeakyReLU slope


def activation_name(layer) -> str:
    act = getattr(layer, "activation", None)
    if act is None:
        return "linear"
    return getattr(act, "__name__", type(act).__name__)


def check_activation(layer) -> None:
    """Refuse an ``activation=`` other than relu or linear (before anything else of the layer is read)."""
    if activation_name(layer) not in ("relu", "linear"):
        raise UnsupportedLayerError(f"{where(layer)} has activation {activation_name(layer)!r}; "
                                    "supported: 'relu' or 'linear' (put other functions in a QUnaryFunctionLUT table "
                                    "layer)")


def post_activation(reader, layer, x: str) -> str:
    """``x`` through the layer's ``activation=`` (relu or linear)."""
    check_activation(layer)
    if activation_name(layer) == "relu":
        return reader.add(layer, "relu", Relu(), [x], reader.shapes[x])
    return x


@handles("activations and tables", "keras.layers.Activation", limits="'relu' or 'linear'", quantized_io=False,
         ports="none")
def activation(reader, layer, ins: list[str], call) -> str:
    return post_activation(reader, layer, ins[0])


@handles("activations and tables", "keras.layers.ReLU", limits="no `max_value` or `threshold`; "
         "`negative_slope` as for LeakyReLU", quantized_io=False, ports="none")
def relu(reader, layer, ins: list[str], call) -> str:
    if layer.max_value is not None or float(layer.threshold) != 0.0:
        raise UnsupportedLayerError(f"{where(layer)} has max_value or threshold; supported: ReLU with "
                                    "neither (an optional dyadic negative_slope)")
    return _leaky(reader, layer, ins[0], float(layer.negative_slope))


@handles("activations and tables", "keras.layers.LeakyReLU", limits=f"dyadic slope (at most {MAX_SLOPE_BITS} "
         "significant bits, e.g. 0.125), as `max(x, s*x)`", quantized_io=False, ports="none")
def leaky_relu(reader, layer, ins: list[str], call) -> str:
    return _leaky(reader, layer, ins[0], float(layer.negative_slope))


def _leaky(reader, layer, x: str, slope: float) -> str:
    if slope == 0.0:
        return reader.add(layer, "relu", Relu(), [x], reader.shapes[x])
    codes, _ = to_codes(np.array([slope]))
    if abs(int(codes[0])).bit_length() > MAX_SLOPE_BITS:
        raise UnsupportedLayerError(f"{where(layer)} has negative_slope {slope!r}, not a short dyadic number; "
                                    f"supported: slopes like 0.125 or 0.3125 (at most {MAX_SLOPE_BITS} significant "
                                    "bits)")
    return reader.add(layer, "leaky_relu", LeakyRelu(slope), [x], reader.shapes[x])


@handles("activations and tables", "hgq.layers.QUnaryFunctionLUT", "hgq.layers.QAffinedUnaryFunctionLUT",
         limits=f"a ROM over every input code, entries computed by HGQ2 itself (affine scale and bias included); "
                f"`enable_iq=False` right after a quantizer; `enable_oq=False` folded into the next quantizer; at "
                f"most {MAX_TABLE_BITS} input bits per element", quantized_io=False)
def unary_table(reader, layer, ins: list[str], call) -> str:
    """The table's entries hold the layer's output quantizer (HGQ2 computes them); without one, the
    next layer's input quantizer is folded in (``quant.fold``)."""
    import keras

    x = ins[0]
    shape = reader.shapes[x]
    if layer.enable_iq:
        x = reader.quantize(layer, "iq", input_quantizer(layer), x)
        formats = read_quantizer(layer.iq, layer).formats(shape)
    else:
        formats = upstream_formats(reader, layer, x)

    def run(grid: np.ndarray) -> np.ndarray:
        return keras.ops.convert_to_numpy(layer(grid, training=False))

    return reader.add(layer, "table", build_table(layer, formats, shape, run), [x], shape)
