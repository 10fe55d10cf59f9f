"""Recurrent layers, unrolled over time: each step is network ops of its own, so the whole sequence is one
II = 1 pipeline. A step's kernels are one constant matrix on the same formats at every step, so the solver
reuses one solution for all of them.

Shared with ``spiking``: the options every HGQ2 sequence layer has (``sequence_input``, ``time_steps``,
``sequence_output``) and the one-position ``Linear`` a step is made of (``step_linear``).
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import input_quantizer, read_quantizer
from ..network import Concatenate, Linear, Relu, Reshape
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
         limits="refused for now: its gates multiply two variables (z·h, r·h); the product op exists, the GRU's "
                "reader does not yet",
         quantized_io=False)
def gru(reader, layer, ins: list[str], call) -> str:
    raise UnsupportedLayerError(f"{where(layer)} is not supported yet: its update and reset gates multiply two "
                                "variables (z * h and r * h), which its reader does not handle yet; supported: "
                                "QSimpleRNN, QSimpleSNN and QLIF")
