"""Lowers a whole ``quant.Network`` into one flat program of scalar ops.

Tensors are carried as NumPy arrays of value ids with the tensor's feature
shape, so layout ops stay index shuffles and every arithmetic op is emitted
per element. Ports: the network's inputs flattened in C order and concatenated
(first input first); the outputs likewise.
"""

import numpy as np
from quant import Dense, Network, Quantize, Relu

from .builder import ProgramBuilder
from .cmvm import emit_cmvm
from .interval import Interval
from .program import Program


def lower(network: Network, max_depth: int | None = None) -> Program:
    """The program computing ``network.forward`` exactly; ``max_depth`` bounds each layer's adder tree."""
    builder = ProgramBuilder()
    tensors: dict[str, np.ndarray] = {}
    for spec in network.inputs:
        formats = spec.quantizer.formats(spec.shape)
        ids = [builder.input(Interval.from_kif(*kif)) for kif in formats.tolist()]
        tensors[spec.name] = np.array(ids, dtype=np.int64).reshape(spec.shape)
    for node in network.nodes:
        lowering = _LOWERINGS.get(type(node.op))
        if lowering is None:
            raise NotImplementedError(f"{node.source or node.name}: no lowering for {type(node.op).__name__}")
        tensors[node.name] = lowering(builder, node.op, *(tensors[n] for n in node.inputs), max_depth=max_depth)
    outputs = np.concatenate([tensors[name].reshape(-1) for name in network.outputs])
    return builder.build(outputs.tolist())


def _dense(builder: ProgramBuilder, op: Dense, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    rows = x.reshape(-1, x.shape[-1])
    out = np.array([_dense_row(builder, op, row.tolist(), max_depth) for row in rows], dtype=np.int64)
    return out.reshape(*x.shape[:-1], op.kernel.shape[1])


def _dense_row(builder: ProgramBuilder, op: Dense, x: list[int], max_depth: int | None) -> list[int]:
    bias = np.zeros(op.kernel.shape[1]) if op.bias is None else op.bias
    out = []
    for (v, sign), b in zip(emit_cmvm(builder, x, op.kernel, max_depth), bias.tolist()):
        if b == 0:
            out.append(v if sign > 0 else builder.neg(v))
        else:  # the output's sign folds into the bias adder
            out.append(builder.add(v, builder.const(b)) if sign > 0 else builder.sub(builder.const(b), v))
    return out


def _relu(builder: ProgramBuilder, op: Relu, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    return np.vectorize(builder.relu, otypes=[np.int64])(x) if x.size else x


def _quantize(builder: ProgramBuilder, op: Quantize, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    q = op.quantizer
    formats = q.formats(x.shape)
    out = [builder.quant(v, k, i, f, q.round_mode, q.overflow_mode) for v, (k, i, f) in zip(x.reshape(-1).tolist(),
                                                                                               formats.tolist())]
    return np.array(out, dtype=np.int64).reshape(x.shape)


_LOWERINGS = {Dense: _dense, Relu: _relu, Quantize: _quantize}
