"""Recurrent layers, unrolled over time: each step is network ops of its own, so the whole sequence is one
II = 1 pipeline. A step's kernels are one constant matrix on the same formats at every step, so the solver
reuses one solution for all of them.

Shared with ``spiking``: the options every HGQ2 sequence layer has (``sequence_input``, ``time_steps``,
``sequence_output``) and the one-position ``Linear`` a step is made of (``step_linear``).
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import input_quantizer, read_affine, read_quantizer
from ..network import Concatenate, Einsum, Linear, Relu, Reshape
from ..registry import handles

SEQUENCE_LIMITS = "`return_sequences`, `return_state`, `go_backwards`; no masks, initial states or `stateful`"


def sequence_input(reader, layer, ins: list[str]) -> tuple[str, int, int]:
    """The input sequence through the cell's input quantizer, flattened for the steps' ``Linear`` ops to pick
    from, and its steps T and features F; refuses what cannot be converted exactly."""
    if len(ins) != 1:
        raise UnsupportedLayerError(f"{where(layer)} is called with {len(ins)} tensors (an initial state or a "
                                    f"mask); supported: one input sequence, zero initial state, no mask")
    if layer.stateful:
        raise UnsupportedLayerError(f"{where(layer)} is stateful (it keeps its state across batches); "
                                    "supported: stateful=False")
    x = reader.quantize(layer, "iq", input_quantizer(layer), ins[0])
    n_steps, n_features = reader.shapes[x]
    size = n_steps * n_features
    return reader.add(layer, "flat", Reshape((size,)), [x], (size,)), n_steps, n_features


def time_steps(layer, n_steps: int) -> list[int]:
    """The order the layer reads its time steps in."""
    return list(range(n_steps))[::-1] if layer.go_backwards else list(range(n_steps))


def step_linear(reader, layer, suffix: str, src: str, rows: np.ndarray, kernel: np.ndarray, bias) -> str:
    """``src[rows] @ kernel + bias`` at one position: a step's kernels, its scalings and its comparisons."""
    n = kernel.shape[1]
    op = Linear(np.asarray(rows)[None, :], kernel, None if bias is None else np.asarray(bias)[None, :],
                np.arange(n)[None, :], (n,))
    return reader.add(layer, suffix, op, [src], (n,))


def join(reader, layer, suffix: str, parts: list[str]) -> str:
    """1-D tensors one after another: the source a step's ``Linear`` picks from."""
    size = sum(reader.shapes[p][0] for p in parts)
    return reader.add(layer, suffix, Concatenate(0), parts, (size,))


def sequence_output(reader, layer, outputs: list[str], state: str):
    """The layer's result: the last step's output or all of them (``return_sequences``, in the order the steps
    ran, as Keras does with ``go_backwards``), and the final state with ``return_state``."""
    out = outputs[-1]
    if layer.return_sequences:
        n = reader.shapes[out][0]
        rows = [reader.add(layer, f"t{t}/row", Reshape((1, n)), [o], (1, n)) for t, o in enumerate(outputs)]
        out = reader.add(layer, "sequence", Concatenate(0), rows, (len(outputs), n))
    return (out, state) if layer.return_state else out


@handles("recurrent and spiking", "hgq.layers.QSimpleRNN",
         limits=f"activation 'linear' (hard tanh by the pre-activation quantizer) or 'relu'; {SEQUENCE_LIMITS}",
         quantized_io=False)
def simple_rnn(reader, layer, ins: list[str], call) -> str | tuple[str, str]:
    """``h_t = act(paq(x_t @ K + b + sq(h_{t-1}) @ R))``, h_0 = 0: each step one CMVM on ``[x_t, h_{t-1}]``."""
    cell = layer.cell
    activation = getattr(cell.activation, "__name__", "?")
    if activation not in ("linear", "relu"):
        raise UnsupportedLayerError(f"{where(layer)} has activation {activation!r}; supported: 'linear' or 'relu' "
                                    "(the pre-activation quantizer makes 'linear' a hard tanh)")
    flat, n_steps, n_in = sequence_input(reader, layer, ins)
    kernel = np.asarray(cell.qkernel, dtype=np.float64)
    stacked = np.vstack([kernel, np.asarray(cell.qrecurrent_kernel, dtype=np.float64)])
    bias = np.asarray(cell.qbias, dtype=np.float64) if cell.use_bias else None
    paq = read_quantizer(cell.paq, layer)
    sq = read_quantizer(cell.sq, layer) if cell.enable_sq else None
    state_rows = n_steps * n_in + np.arange(cell.units)
    outputs: list[str] = []
    for n, t in enumerate(time_steps(layer, n_steps)):
        rows = np.arange(t * n_in, (t + 1) * n_in)
        if outputs:  # h_0 = 0: the first step has no recurrent term
            state = reader.quantize(layer, f"t{n}/sq", sq, outputs[-1])
            z = step_linear(reader, layer, f"t{n}/kernels", join(reader, layer, f"t{n}/inputs", [flat, state]),
                            np.concatenate([rows, state_rows]), stacked, bias)
        else:
            z = step_linear(reader, layer, f"t{n}/kernels", flat, rows, kernel, bias)
        h = reader.quantize(layer, f"t{n}/paq", paq, z)
        if activation == "relu":
            h = reader.add(layer, f"t{n}/relu", Relu(), [h], reader.shapes[h])
        outputs.append(h)
    return sequence_output(reader, layer, outputs, outputs[-1])


@handles("recurrent and spiking", "hgq.layers.QGRU",
         limits=f"activations 'linear' (hard tanh and hard sigmoid by the gate quantizers) or 'relu'; "
                f"`reset_after` both ways; {SEQUENCE_LIMITS}",
         quantized_io=False)
def gru(reader, layer, ins: list[str], call) -> str | tuple[str, str]:
    """HGQ2's gated step, h_0 = 0, with ``q = sq(h_{t-1})``::

        z, r = split(praq(x_t @ K_zr + q @ R_zr + b_zr))
        hh = paq(x_t @ K_h + b_h + r * rhq(q @ R_h + b'_h))      reset_after
        hh = paq(x_t @ K_h + b_h + rhq(r * q) @ R_h)             reset before
        h = z * q + (1 - z) * hh

    Each step is a few ``Linear`` ops on ``[x_t, ...]`` and three elementwise products, in HGQ2's order
    (every product and sum is checked exact in float32)."""
    cell = layer.cell
    for role in ("activation", "recurrent_activation"):
        name = getattr(getattr(cell, role), "__name__", "?")
        if name not in ("linear", "relu"):
            raise UnsupportedLayerError(f"{where(layer)} has {role} {name!r}; supported: 'linear' or 'relu' (the "
                                        "gate quantizers make 'linear' a hard sigmoid or hard tanh)")
    flat, n_steps, n_in = sequence_input(reader, layer, ins)
    units = cell.units
    kernel = np.asarray(cell.qkernel, dtype=np.float64)
    recurrent = np.asarray(cell.qrecurrent_kernel, dtype=np.float64)
    bias_in, bias_rec = _gru_biases(cell)

    def quantize(suffix: str, role: str, x: str) -> str:
        """``x`` through the cell's quantizer ``role`` and its affine transform, if any."""
        hq = getattr(cell, role)
        y = reader.quantize(layer, suffix, read_quantizer(hq, layer, with_affine=True), x)
        affine = read_affine(hq, layer)
        if affine is None:
            return y
        n = reader.shapes[y][0]
        return step_linear(reader, layer, f"{suffix}/affine", y, np.arange(n), affine[0] * np.eye(n),
                           np.full(n, affine[1]))

    zr, h = slice(0, 2 * units), slice(2 * units, 3 * units)
    eye = np.eye(units)

    def linear(suffix: str, parts: list, kernels: list[np.ndarray], bias) -> str:
        """``sum_k parts[k] @ kernels[k] + bias``: one ``Linear`` on the parts joined; a part is a node, or a
        node and the rows of it to use."""
        parts = [(p, np.arange(reader.shapes[p][0])) if isinstance(p, str) else p for p in parts]
        names = [name for name, _ in parts]
        offsets = np.cumsum([0] + [reader.shapes[name][0] for name in names[:-1]])
        src = names[0] if len(names) == 1 else join(reader, layer, f"{suffix}/inputs", names)
        rows = np.concatenate([offset + rows for offset, (_, rows) in zip(offsets, parts)])
        return step_linear(reader, layer, suffix, src, rows, np.vstack(kernels), bias)

    def product(suffix: str, a: str, b: str) -> str:
        return reader.add(layer, suffix, Einsum.elementwise((units,)), [a, b], (units,))

    state = step_linear(reader, layer, "h0", flat, np.arange(n_in), np.zeros((n_in, units)), None)  # zeros
    outputs: list[str] = []
    for n, t in enumerate(time_steps(layer, n_steps)):
        x_rows = np.arange(t * n_in, (t + 1) * n_in)
        qs = quantize(f"t{n}/sq", "sq", state)
        gates = linear(f"t{n}/zr", [(flat, x_rows), qs], [kernel[:, zr], recurrent[:, zr]],
                       _add(bias_in, bias_rec, zr))
        gates = _act(reader, layer, f"t{n}/zr_act", cell.recurrent_activation, gates)
        gates = quantize(f"t{n}/praq", "praq", gates)
        z = step_linear(reader, layer, f"t{n}/z", gates, np.arange(units), eye, None)
        r = step_linear(reader, layer, f"t{n}/r", gates, units + np.arange(units), eye, None)
        if cell.reset_after:
            inner = step_linear(reader, layer, f"t{n}/inner_h", qs, np.arange(units), recurrent[:, h],
                                None if bias_rec is None else bias_rec[h])
            rh = product(f"t{n}/r_inner", r, quantize(f"t{n}/rhq", "rhq", inner))
            pre = linear(f"t{n}/h", [(flat, x_rows), rh], [kernel[:, h], eye], _add(bias_in, None, h))
        else:
            rq = quantize(f"t{n}/rhq", "rhq", product(f"t{n}/r_state", r, qs))
            pre = linear(f"t{n}/h", [(flat, x_rows), rq], [kernel[:, h], recurrent[:, h]], _add(bias_in, None, h))
        pre = _act(reader, layer, f"t{n}/h_act", cell.activation, pre)
        hh = quantize(f"t{n}/paq", "paq", pre)
        keep = product(f"t{n}/z_state", z, qs)
        one_minus_z = step_linear(reader, layer, f"t{n}/1-z", z, np.arange(units), -eye, np.ones(units))
        new = product(f"t{n}/z_candidate", one_minus_z, hh)
        state = linear(f"t{n}/state", [keep, new], [eye, eye], None)
        outputs.append(state)
    return sequence_output(reader, layer, outputs, state)


def _gru_biases(cell) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The input and recurrent biases (the recurrent one only with ``reset_after``)."""
    if not cell.use_bias:
        return None, None
    bias = np.asarray(cell.qbias, dtype=np.float64)
    return (bias[0], bias[1]) if cell.reset_after else (bias, None)


def _add(a: np.ndarray | None, b: np.ndarray | None, part: slice) -> np.ndarray | None:
    """The sum of two optional biases over ``part``."""
    picked = [v[part] for v in (a, b) if v is not None]
    return sum(picked) if picked else None


def _act(reader, layer, suffix: str, activation, x: str) -> str:
    """``x`` through a gate's activation: relu, or linear (unchanged)."""
    if getattr(activation, "__name__", "?") == "relu":
        return reader.add(layer, suffix, Relu(), [x], reader.shapes[x])
    return x
