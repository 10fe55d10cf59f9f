"""Spiking layers (QSimpleSNN, QLIF), unrolled over time like the recurrent ones.

A step: the membrane ``mem = beta * state + x`` (beta = 1 for QSimpleSNN), a spike where ``mem > threshold``,
the output ``spike * graded_spikes_factor``, then the reset and the state quantizer. The comparison needs no
op of its own: membrane and threshold lie on one grid 2**g, so the score ``(mem - threshold) / 2**g`` is an
integer, and saturating it to one unsigned bit is 1 exactly when it is positive. Inhibition (only the
largest score may fire, the first on a tie, as argmax) compares unique integer keys ``score * W + (W-1-u)``
with their maximum the same way; the 'zero' reset ``mem * (1 - spike)`` is a clamp of mem to
``±B * (1 - spike)``, B a bound of |mem|.

HGQ2 computes the membrane in float32; the grid and bounds walk below refuses a layer whose membrane, score
or reset could need more than float32's 24 significant bits, where HGQ2 itself would round.
"""

from fractions import Fraction

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import read_quantizer
from ..network import Merge, Pool, Quantizer, to_codes
from ..registry import handles
from .recurrent import SEQUENCE_LIMITS, join, sequence_input, sequence_output, step_linear, time_steps

FLOAT32_BITS = 24
BIT = Quantizer(np.array(0), np.array(1), np.array(0), "TRN", "SAT")  # an integer saturated to {0, 1}
_LIMITS = ("thresholds and spikes exact (`spike_grad` ATan or `surrogate_disable`); resets 'subtract', 'zero', "
           f"'none'; graded spikes; inhibition; `enable_iq=True`; the float32 membrane within 24 bits; "
           f"{SEQUENCE_LIMITS}")


@handles("recurrent and spiking", "hgq.layers.QSimpleSNN", "hgq.layers.QLIF", limits=_LIMITS, quantized_io=False)
def spiking(reader, layer, ins: list[str], call) -> str | tuple[str, str]:
    cell = layer.cell
    _check_cell(layer, cell)
    units = cell.units
    beta = np.broadcast_to(_weight(cell.qlif_beta) if hasattr(cell, "qlif_beta") else 1.0, (units,))
    threshold = np.broadcast_to(_weight(cell.threshold), (units,))
    factor = np.broadcast_to(_weight(cell.qgraded_spikes_factor), (units,))
    sq = read_quantizer(cell.sq, layer) if cell.enable_sq else None
    oq = read_quantizer(cell.oq, layer) if cell.enable_oq else None
    flat, n_steps, _ = sequence_input(reader, layer, ins)
    x_q = read_quantizer(cell.iq, layer)
    bound, grid = _membrane_walk(layer, cell, x_q, beta, threshold, sq, n_steps)

    eye, every = np.eye(units), np.arange(units)
    state_rows = n_steps * units + every
    outputs, state = [], None
    for n, t in enumerate(time_steps(layer, n_steps)):
        rows = np.arange(t * units, (t + 1) * units)
        if state is None:  # the state starts at 0
            mem = step_linear(reader, layer, f"t{n}/mem", flat, rows, eye, None)
        else:
            mem = step_linear(reader, layer, f"t{n}/mem", join(reader, layer, f"t{n}/inputs", [flat, state]),
                              np.concatenate([rows, state_rows]), np.vstack([eye, np.diag(beta)]), None)
        score = step_linear(reader, layer, f"t{n}/score", mem, every, eye * 2.0**-grid, -threshold * 2.0**-grid)
        spike = reader.quantize(layer, f"t{n}/fire", BIT, score)
        if cell.inhibition:
            spike = _strongest(reader, layer, f"t{n}", score, spike, units)
        out = spike if np.all(factor == 1) else step_linear(reader, layer, f"t{n}/graded", spike, every,
                                                             np.diag(factor), None)
        outputs.append(reader.quantize(layer, f"t{n}/oq", oq, out))
        state = reader.quantize(layer, f"t{n}/sq", sq, _reset(reader, layer, f"t{n}", cell.reset_mechanism, mem,
                                                                  spike, threshold, bound))
    return sequence_output(reader, layer, outputs, state)


def _check_cell(layer, cell) -> None:
    from hgq.layers.snn import ATan

    grad = cell.spike_grad
    if not (cell.surrogate_disable or isinstance(grad, ATan) and grad.alpha >= 0):
        raise UnsupportedLayerError(f"{where(layer)} has spike_grad {grad!r}; supported: the default ATan surrogate "
                                    "(alpha >= 0) or surrogate_disable=True, whose forward pass is exactly "
                                    "mem > threshold")
    if cell.reset_mechanism not in ("subtract", "zero", "none"):
        raise UnsupportedLayerError(f"{where(layer)} has reset_mechanism {cell.reset_mechanism!r}; supported: "
                                    "'subtract', 'zero' or 'none'")
    if not cell.enable_iq:
        raise UnsupportedLayerError(f"{where(layer)} has enable_iq=False; the membrane's format comes from the "
                                    "input quantizer: supported with enable_iq=True")


def _weight(w) -> np.ndarray:
    return np.asarray(w, dtype=np.float64)


def _strongest(reader, layer, step: str, score: str, fire: str, units: int) -> str:
    """``fire`` where the score is the largest, the first of equal ones (argmax): unique keys, then their max."""
    width = 1 << (units - 1).bit_length()
    every = np.arange(units)
    key = step_linear(reader, layer, f"{step}/key", score, every, np.eye(units) * width, width - 1 - every)
    top = reader.add(layer, f"{step}/top", Pool("max", every[None, :], 0, (1,)), [key], (1,))
    lead = step_linear(reader, layer, f"{step}/lead", join(reader, layer, f"{step}/keys", [key, top]),
                       np.arange(units + 1), np.vstack([np.eye(units), -np.ones((1, units))]), np.ones(units))
    winner = reader.quantize(layer, f"{step}/winner", BIT, lead)
    return reader.add(layer, f"{step}/spike", Merge("min"), [fire, winner], (units,))


def _reset(reader, layer, step: str, mechanism: str, mem: str, spike: str, threshold: np.ndarray,
           bound: Fraction) -> str:
    units = len(threshold)
    eye, every = np.eye(units), np.arange(units)
    if mechanism == "subtract":  # mem - spike * threshold
        return step_linear(reader, layer, f"{step}/reset", join(reader, layer, f"{step}/fired", [mem, spike]),
                           np.arange(2 * units), np.vstack([eye, -np.diag(threshold)]), None)
    if mechanism == "zero":  # mem * (1 - spike): mem clamped to +-B (1 - spike)
        b = float(bound)
        keep = step_linear(reader, layer, f"{step}/keep", spike, every, -b * eye, np.full(units, b))
        floor = step_linear(reader, layer, f"{step}/floor", spike, every, b * eye, np.full(units, -b))
        low = reader.add(layer, f"{step}/clamp_low", Merge("max"), [mem, floor], (units,))
        return reader.add(layer, f"{step}/reset", Merge("min"), [low, keep], (units,))
    return mem


def _membrane_walk(layer, cell, x_q: Quantizer, beta, threshold, sq: Quantizer | None,
                   n_steps: int) -> tuple[Fraction, int]:
    """A power-of-two bound of |mem| over all steps and inputs, and the grid exponent g of mem and threshold.

    Refuses a layer whose float32 membrane (or, where it is kept, mem - threshold) could need more than 24
    significant bits: HGQ2 would round it, and no exact reference could follow.
    """
    units = cell.units
    x_mag, x_exp = _span(x_q, units)
    b_mag, b_exp = _magnitude(beta)
    t_mag, t_exp = _magnitude(threshold)
    keeps_difference = cell.reset_mechanism == "subtract" or cell.inhibition
    peak, grid = Fraction(0), min(x_exp, t_exp)
    s_mag, s_exp = Fraction(0), x_exp
    for t in range(n_steps):
        mag, exp = x_mag + b_mag * s_mag, min(x_exp, b_exp + s_exp)
        checks = [(mag, exp)] + ([(mag + t_mag, min(exp, t_exp))] if keeps_difference else [])
        for m, e in checks:
            if m * Fraction(2) ** -e >= 2**FLOAT32_BITS:
                raise UnsupportedLayerError(
                    f"{where(layer)}: at step {t} the float32 membrane can need more than {FLOAT32_BITS} "
                    "significant bits, so HGQ2 itself rounds it; supported: a membrane within 24 bits "
                    "(enable the state quantizer, enable_sq=True, or narrow the input quantizer)")
        peak, grid = max(peak, mag), min(grid, exp)
        after = (mag + t_mag, min(exp, t_exp)) if cell.reset_mechanism == "subtract" else (mag, exp)
        s_mag, s_exp = _span(sq, units) if sq is not None else after
    bound = Fraction(1)
    while bound < peak:
        bound *= 2
    return bound, grid


def _span(q: Quantizer, n: int) -> tuple[Fraction, int]:
    """A bound of |value| and the finest grid exponent of a quantizer's outputs."""
    formats = q.formats((n,))
    return Fraction(2) ** int(formats[:, 1].max()), -int(formats[:, 2].max())


def _magnitude(values: np.ndarray) -> tuple[Fraction, int]:
    codes, exp = to_codes(values)
    return Fraction(int(np.abs(codes).max())) * Fraction(2) ** exp, exp
