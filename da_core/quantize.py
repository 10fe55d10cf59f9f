"""HGQ2's quantizer on integer codes, as the hardware computes it.

Deliberately written apart from ``quant``'s float reference: the two agreeing
is one of the correctness checks. Order as in HGQ2: saturate (SAT, SAT_SYM),
round to ``f`` fractional bits (TRN floor, RND floor(x + 1/2)), wrap (WRAP);
``i`` is raised to ``-f`` first, and a format with ``k + i + f <= 0`` gives 0.
"""

import numpy as np

from quant.fixed import OVERFLOW_MODES
from quant.network import INT64_SAFE_BITS

OP_ROUND_MODES = ("TRN", "RND")  # a program's quant op; RND_CONV is lowered to TRN by da_core.lower


def check_modes(round_mode: str, overflow_mode: str) -> None:
    if round_mode not in OP_ROUND_MODES:
        raise ValueError(f"rounding mode {round_mode!r} is not a quant op's; supported: {', '.join(OP_ROUND_MODES)} "
                         "(da_core.lower turns RND_CONV into TRN)")
    if overflow_mode not in OVERFLOW_MODES:
        raise ValueError(f"overflow mode {overflow_mode!r} is not supported; supported: {', '.join(OVERFLOW_MODES)}")


def saturation_bounds(k: int, i: int, f: int, overflow_mode: str) -> tuple[int, int]:
    """Smallest and largest code at exponent -f that SAT / SAT_SYM keep."""
    i = max(i, -f)
    top = (1 << (i + f)) - 1
    bottom = -k * top if overflow_mode == "SAT_SYM" else -k * (top + 1)
    return bottom, top


def round_code(code: int, exp: int, f: int, round_mode: str) -> int:
    """One code at exponent exp rounded to exponent -f, with no overflow handling (Python ints)."""
    if exp >= -f:
        return code << (exp + f)
    drop = -f - exp
    return (code + (1 << (drop - 1) if round_mode == "RND" else 0)) >> drop


def quantize_codes(code: np.ndarray, exp: int, k: int, i: int, f: int, round_mode: str,
                   overflow_mode: str) -> np.ndarray:
    """Quantize values ``code * 2**exp`` to HGQ2's format (k, i, f); returns codes at exponent -f.

    Works on int64 codes of at most 62 bits (or on Python-int object arrays) without
    ever forming an intermediate that could overflow.
    """
    check_modes(round_mode, overflow_mode)
    code = np.asarray(code)
    if k + i + f <= 0:
        return np.zeros_like(code)
    if overflow_mode != "WRAP":
        bottom, top = saturation_bounds(k, i, f, overflow_mode)
        if exp >= -f:  # clipped values may fall off the coarse input grid: move to the fine one
            d = exp + f
            code = np.where(code > (top >> d), top, np.where(code < -((-bottom) >> d), bottom, code << d))
            exp = -f
        else:
            code = _clip_fine(code, -f - exp, bottom, top)
    if exp >= -f:
        c = code << (exp + f)  # exact; for WRAP, overflow beyond 64 bits is modulo 2**64 and wraps away below
    else:
        drop = -f - exp
        if round_mode == "RND":
            code = code + (1 << (drop - 1))
        c = code >> drop
    if overflow_mode == "WRAP":
        bits = k + max(i, -f) + f
        bias = k << (bits - 1) if k else 0
        c = ((c + bias) & ((1 << bits) - 1)) - bias
    return c


def _clip_fine(code: np.ndarray, drop: int, bottom: int, top: int) -> np.ndarray:
    """Clip codes that are ``drop`` bits finer than the bounds; a bound past 62 bits clips nothing."""
    limit = 1 << INT64_SAFE_BITS
    lo, hi = bottom << drop, top << drop
    if lo > -limit:
        code = np.maximum(code, lo)
    if hi < limit:
        code = np.minimum(code, hi)
    return code
