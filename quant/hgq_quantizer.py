"""HGQ2 quantizer layers frozen into ``quant.Quantizer`` (integer k, i, f per element)."""

import math

import numpy as np

from .errors import UnsupportedLayerError, where
from .fixed import OVERFLOW_MODES, ROUND_MODES
from .network import Quantizer


def read_quantizer(q, layer, with_affine: bool = False) -> Quantizer:
    """Freeze an HGQ2 ``Quantizer`` to integer (k, i, f) per feature, dropping the batch axis.

    A power-of-two ``scaler`` (quantize x / 2**s, then multiply by 2**s) is the format (k, i + s, f - s).
    A post-quantization ``affine`` is refused unless the caller applies it (``with_affine``, see ``read_affine``).
    """
    at = f"{where(layer)}, quantizer {q.name!r}"
    affine = getattr(q, "affine", None)
    if affine is not None and not with_affine:
        raise UnsupportedLayerError(f"{at} has an affine transform {affine}; supported: quantizers without one")
    scaler = getattr(q, "scaler", None)
    shift = 0
    if scaler is not None:
        m, e = math.frexp(float(scaler))
        if m != 0.5:
            raise UnsupportedLayerError(f"{at} has scaler {scaler!r}; supported: power-of-two scalers (exact)")
        shift = e - 1
    inner = q.quantizer
    round_mode = getattr(inner, "round_mode", "?").removeprefix("S_")  # stochastic only while training
    if not hasattr(inner, "kif") or round_mode not in ROUND_MODES or inner.overflow_mode not in OVERFLOW_MODES:
        raise UnsupportedLayerError(f"{at} is {type(inner).__name__} {getattr(inner, 'round_mode', '?')}/"
                                    f"{getattr(inner, 'overflow_mode', '?')}; supported: fixed-point quantizers "
                                    f"with rounding {' or '.join(ROUND_MODES)} and overflow "
                                    f"{', '.join(OVERFLOW_MODES)}")
    k, i, f = (np.asarray(t, dtype=np.float64) for t in inner.kif)
    if k.ndim and k.shape[0] == 1:  # the shared batch axis of a datalane quantizer
        k, i, f = k[0], i[0], f[0]
    return Quantizer(k.astype(np.int64), i.astype(np.int64) + shift, f.astype(np.int64) - shift, round_mode,
                     inner.overflow_mode)


def read_affine(q, layer) -> tuple[float, float] | None:
    """The (scale, shift) HGQ2 applies after quantizing (``q(x) * scale + shift``, as a hard sigmoid's
    gate quantizer does), or None; refused unless both are short dyadic numbers, exact in float32."""
    affine = getattr(q, "affine", None)
    if affine is None:
        return None
    scale, shift = (float(v) for v in affine)
    if not all(np.float32(v) == v and math.frexp(v)[0] * 2**24 % 1 == 0 for v in (scale, shift)):
        raise UnsupportedLayerError(f"{where(layer)}, quantizer {q.name!r} has an affine transform {affine}; "
                                    "supported: dyadic scale and shift exact in float32 (e.g. 0.25, 0.5)")
    return scale, shift


def input_quantizer(layer, j: int = 0) -> Quantizer | None:
    """The quantizer an HGQ2 layer applies to its j-th input, or None with ``enable_iq=False``.

    A recurrent layer's quantizer lives in its cell, which applies it at every time step.
    """
    holder = getattr(layer, "cell", layer)
    if holder is not layer and j:
        raise UnsupportedLayerError(f"{where(layer)} reads a second tensor (an initial state or a mask); supported: "
                                    "one input sequence, zero initial state, no mask")
    if not holder.enable_iq:
        return None
    return read_quantizer(holder.iq[j] if is_multi_input(holder) else holder.iq, layer)


def is_multi_input(layer) -> bool:
    from hgq.layers.core.base import QLayerBaseMultiInputs

    return isinstance(layer, QLayerBaseMultiInputs)


def laid_out(q: Quantizer | None, shape) -> Quantizer | None:
    """A quantizer read downstream of layout layers, its formats laid out on the input's shape."""
    if q is None:
        return None
    n = int(np.prod(shape))
    k, i, f = (np.asarray(a) for a in (q.k, q.i, q.f))
    if all(a.size == 1 for a in (k, i, f)):
        return q
    try:
        k, i, f = (np.broadcast_to(a, np.broadcast_shapes(k.shape, i.shape, f.shape)).reshape(-1) for a in (k, i, f))
    except ValueError:
        return q
    if k.size != n:
        return q
    return Quantizer(k.reshape(shape), i.reshape(shape), f.reshape(shape), q.round_mode, q.overflow_mode)


def wrap_quantizers(layer):
    """The WRAP activation quantizers inside a layer (the ones ``trace_minmax`` calibrates)."""
    from hgq.quantizer import Quantizer as HQuantizer

    for sub in layer._flatten_layers(include_self=True, recursive=True):
        if isinstance(sub, HQuantizer) and getattr(sub.quantizer, "overflow_mode", None) == "WRAP" and \
                hasattr(sub.quantizer, "_i") and not getattr(sub.quantizer, "_is_weight", False):
            yield sub
