"""Raw model inputs for the compiled model's harness, which quantizes and codes them itself.

``quantizer_table`` freezes the quantizer of every bus input (``quant.Quantizer``: per element k, i, f and
the modes) into the float64 constants that the harness's quantizer reads, each computed by the NumPy
expression HGQ2's own quantizer uses (``quant.fixed``), so the harness repeats its float64 operations one
for one and rounds exactly where it rounds. ``raw_samples`` lays the samples out as the bus elements,
in float32 as HGQ2 sees them. Both return None where only the Python path (``Design.input_codes``) applies.
"""

import numpy as np

from quant.fixed import OVERFLOW_MODES, ROUND_MODES
from quant.network import Network
from rtl_emit.ports import flat_samples

# the table's columns; the C++ harness names them in the same order (sim.compiled)
COLUMNS = ("PRUNED", "ROUND", "OVERFLOW", "SCALE", "BIAS", "PERIOD", "CLIP_LO", "CLIP_HI", "FAST", "UNIT_BIAS",
           "UNIT_PERIOD", "CODE_SCALE", "UNIT_CODE", "CODE_LO", "CODE_HI")
FAST_BITS = 52  # a wrap period of up to 2**52 steps: the harness's integer quantizer is exact (sim.compiled)


def quantizer_table(design) -> np.ndarray | None:
    """(n_inputs, len(COLUMNS)) float64: rounding and overflow modes as indices into quant.fixed's
    ROUND_MODES and OVERFLOW_MODES, HGQ2's constants (2**f, the wrap bias and period, the saturation bounds),
    then the program's input grid (2**-exp) and code range."""
    network = getattr(design, "network", None)
    if not isinstance(network, Network) or design.metadata.get("io") == "stream":
        return None  # no network, or one of its own kind: only its quantize_inputs knows what it does
    rows = []
    for spec in network.inputs:
        q = spec.quantizer
        if q.round_mode not in ROUND_MODES or q.overflow_mode not in OVERFLOW_MODES:
            return None
        k, i, f = q.formats(spec.shape).astype(np.float64).T
        pruned = (k + i + f <= 0) * 1.0  # quant.fixed: such an element is 0
        i = np.maximum(i, -f)  # as HGQ2's quantizer: at least -f integer bits
        top = 2.0**i - 2.0**(-f)
        low = -(2.0**i) * k if q.overflow_mode == "SAT" else -top * k
        modes = [np.full_like(k, ROUND_MODES.index(q.round_mode)),
                 np.full_like(k, OVERFLOW_MODES.index(q.overflow_mode))]
        steps = i + k + f  # the wrap period in steps of 2**-f
        rows.append(np.stack([pruned, *modes, 2.0**f, k * 2.0**(i + k - 1), 2.0**(i + k), low, top,
                              (steps <= FAST_BITS) * 1.0, k * 2.0**np.minimum(steps - 1, FAST_BITS),
                              2.0**np.minimum(steps, FAST_BITS), f], axis=1))
    intervals = design.program.input_intervals
    table = np.concatenate(rows) if rows else np.zeros((0, 12))
    if len(table) != len(intervals):
        return None
    exp = np.array([iv.exp for iv in intervals], dtype=np.float64)
    f = table[:, -1]
    grid = [2.0**-exp, 2.0**(-f - exp), [iv.lo for iv in intervals], [iv.hi for iv in intervals]]
    return np.ascontiguousarray(np.concatenate([table[:, :-1], np.array(grid, dtype=np.float64).T.reshape(-1, 4)],
                                               axis=1))


def raw_samples(design, x) -> np.ndarray | None:
    """The raw inputs ``x`` (one array, or a list of one per model input) as float32 (n_samples, n_inputs) in
    bus order, or None where their shapes are not the model's (the Python path names what is wrong)."""
    specs = design.network.inputs
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(xs) != len(specs):
        return None
    arrays = [np.asarray(a, dtype=np.float32) for a in xs]  # as quant.Network.quantize_inputs: HGQ2 sees float32
    if any(a.ndim < 1 or a.shape[1:] != spec.shape or len(a) != len(arrays[0]) for a, spec in zip(arrays, specs)):
        return None
    if len(arrays) == 1:
        return np.ascontiguousarray(arrays[0].reshape(len(arrays[0]), -1))
    return np.ascontiguousarray(flat_samples(arrays))
