"""Which elements of a network's tensors can reach an output: a backward pass over the network's nodes.

A quantizer that gives a feature no bits (HGQ2 prunes it: k + i + f <= 0) makes it the constant 0, so what
only it reads is dead: the spikes of a LIF unit the readout ignores, that unit's membrane, its encoder column.
``da_core.lower`` solves a matrix again without its dead columns, which otherwise shape the shared adders of
the live ones. Exact for the wiring, quantizers and matrices; any other op keeps all of its inputs live when
one of its outputs is.
"""

import numpy as np

from quant import Clip, Concatenate, Dense, Gather, LeakyRelu, Linear, Merge, Network, Quantize, Relu, Reshape, Table

ELEMENTWISE = (Relu, LeakyRelu, Clip, Table, Merge)


def unread_columns(network: Network, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Per Dense/Linear node with outputs no network output depends on: a flat mask of those outputs.

    ``shapes``: every input's and node's feature shape (as lowered)."""
    live = {name: np.zeros(int(np.prod(shape)), dtype=bool) for name, shape in shapes.items()}
    for name in network.outputs:
        live[name][:] = True
    unread = {}
    for node in reversed(network.nodes):
        out = live[node.name]
        ins = [live[n] for n in node.inputs]
        if isinstance(node.op, (Dense, Linear)):
            if not out.all():
                unread[node.name] = ~out
            _matrix(node.op, shapes[node.inputs[0]], out, ins[0])
        elif isinstance(node.op, Quantize):
            kif = node.op.quantizer.formats(shapes[node.name])
            ins[0] |= out & (kif.sum(axis=1) > 0)
        elif isinstance(node.op, (Reshape, Concatenate, Gather)):
            _wiring(node.op, [shapes[n] for n in node.inputs], out, ins)
        elif isinstance(node.op, ELEMENTWISE) and all(len(x) == len(out) for x in ins):
            for x in ins:
                x |= out
        elif out.any():
            for x in ins:
                x[:] = True
    return unread


def _matrix(op: Dense | Linear, in_shape: tuple[int, ...], out: np.ndarray, x: np.ndarray) -> None:
    """An input is live where it has a non-zero weight into a live output."""
    if isinstance(op, Dense):
        op = op.as_linear(in_shape)
    for patch, cols in zip(op.patches, op.out_index):
        read = (op.kernel[:, out[cols]] != 0).any(axis=1) & (patch >= 0)
        x[patch[read]] = True


def _wiring(op: Reshape | Concatenate | Gather, in_shapes: list[tuple[int, ...]], out: np.ndarray,
            ins: list[np.ndarray]) -> None:
    """Each output element is one input element (or a constant): the live ones mark theirs."""
    sizes = [int(np.prod(s)) for s in in_shapes]
    starts = np.cumsum([0, *sizes])
    index = [np.arange(a, a + n).reshape(s) for a, n, s in zip(starts, sizes, in_shapes)]
    if isinstance(op, Reshape):
        source = index[0].reshape(-1)
    elif isinstance(op, Concatenate):
        source = np.concatenate(index, axis=op.axis).reshape(-1)
    else:
        flat = np.concatenate([i.reshape(-1) for i in index])
        source = np.where(op.index >= 0, flat[np.maximum(op.index, 0)], -1).reshape(-1)
    for j, x in enumerate(ins):
        hit = source[out & (source >= starts[j]) & (source < starts[j + 1])]
        x[hit - starts[j]] = True
