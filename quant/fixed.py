"""HGQ2's fixed-point quantizer on float64 values: the reference semantics.

Uses the NumPy quantizer that HGQ2 itself ships (package ``quantizers``), plus the
one rule HGQ2's layer adds on top: an element with ``k + i + f <= 0`` is pruned to 0. The stochastic
modes ``S_RND`` and ``S_RND_CONV`` are ``RND`` and ``RND_CONV`` outside training (``quant.hgq_quantizer``).
float64 holds every value exactly as long as it stays within 53 significant bits,
which ``Network`` checks.
"""

import numpy as np
from quantizers import get_fixed_quantizer_np

ROUND_MODES = ("TRN", "RND", "RND_CONV")  # RND_CONV: half to even (np.round)
OVERFLOW_MODES = ("WRAP", "SAT", "SAT_SYM")


def quantize(x: np.ndarray, k: np.ndarray, i: np.ndarray, f: np.ndarray, round_mode: str = "RND",
             overflow_mode: str = "WRAP") -> np.ndarray:
    """Quantize x to HGQ2's format (keep-negative k, integer bits i, fractional bits f), elementwise."""
    if round_mode not in ROUND_MODES or overflow_mode not in OVERFLOW_MODES:
        raise ValueError(f"unsupported quantizer modes {round_mode}/{overflow_mode}: supported rounding "
                         f"{ROUND_MODES}, overflow {OVERFLOW_MODES}")
    k, i, f = (np.asarray(a, dtype=np.float64) for a in (k, i, f))
    q = get_fixed_quantizer_np(round_mode, overflow_mode)(np.asarray(x, dtype=np.float64), k, i, f)
    return np.where(k + i + f > 0, q, 0.0)
