"""Activations and tables: ReLU in its forms, LeakyReLU, and QUnaryFunctionLUT as a lookup table."""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import input_quantizer, read_quantizer
from ..network import LeakyRelu, Relu, Table, to_codes
from ..registry import handles

MAX_TABLE_BITS = 14  # input bits of a lookup table: 16,384 entries per distinct table
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


@handles("activations and tables", "hgq.layers.QUnaryFunctionLUT",
         limits=f"a ROM over every input code, entries computed by HGQ2 itself; `enable_iq=True`; at most "
                f"{MAX_TABLE_BITS} input bits per element", quantized_io=False)
def unary_table(reader, layer, ins: list[str], call) -> str:
    """The table's entries already hold the layer's output quantizer (HGQ2 computes them)."""
    if not layer.enable_iq:
        raise UnsupportedLayerError(f"{where(layer)} has enable_iq=False; a table needs the quantized input "
                                    "grid: supported with enable_iq=True")
    x = reader.quantize(layer, "iq", input_quantizer(layer), ins[0])
    return reader.add(layer, "table", read_table(layer, reader.shapes[x]), [x], reader.shapes[x])


def read_table(layer, shape: tuple[int, ...]) -> Table:
    """Every entry of a QUnaryFunctionLUT, computed by the layer itself (float32, output quantizer included)."""
    import keras

    q = read_quantizer(layer.iq, layer)
    formats = q.formats(shape)  # (n, 3)
    n = len(formats)
    los, exps, sizes = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for e, (k, i, f) in enumerate(formats.tolist()):
        i = max(i, -f)
        bits = k + i + f  # >= 0: i + f >= 0 now
        if bits > MAX_TABLE_BITS:
            raise UnsupportedLayerError(f"{where(layer)} has an input of {bits} bits; tables are supported up to "
                                        f"{MAX_TABLE_BITS} input bits (lower the input quantizer's bit width)")
        los[e], exps[e], sizes[e] = -k << (i + f), -f, 1 << bits
    rows = int(sizes.max())
    j = np.minimum(np.arange(rows)[:, None], sizes[None, :] - 1)
    grid = ((los[None, :] + j) * 2.0 ** exps[None, :]).astype(np.float32)
    values = np.asarray(keras.ops.convert_to_numpy(layer(grid.reshape(rows, *shape), training=False)),
                        dtype=np.float64).reshape(rows, n)
    if not np.all(np.isfinite(values)):
        raise UnsupportedLayerError(f"{where(layer)} gives non-finite table entries")
    tables, table_of, known = [], np.zeros(n, np.int64), {}
    for e in range(n):
        entry = values[: sizes[e], e]
        key = entry.tobytes()
        if key not in known:
            known[key] = len(tables)
            tables.append(entry.copy())
        table_of[e] = known[key]
    return Table(exps, los, table_of, tuple(tables), tuple(shape))
