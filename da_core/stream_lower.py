"""Lowers a ``quant.Network`` into a ``StreamProgram``: each kernel built once from one position's slice.

The network's one input has shape ``(*grid, features)``; every axis but the last is streamed. The nodes are
walked in order and grouped into stages:

- a convolution (a ``Linear`` whose patches are one window translated over the grid, taps outside it -1:
  zero padding, as Keras' padding="same") or a ``Pool`` over windows (valid padding only: a pool ignores
  padded positions rather than reading zeros) starts a ``window`` stage; position-wise nodes (a
  ``Linear``/``Dense`` on one position's features, ``Quantize``, ``Table``, ``Clip`` with the same formats
  at every position, ``Relu``, ``LeakyRelu``, ``Merge`` of tensors of the stage) join the current stage's
  kernel (or open a ``map`` stage);
- a sum over all positions (QSum, global average pooling) is a ``reduce`` "add" stage, its scale the first
  op of the next kernel; global max pooling is a ``reduce`` "max";
- a flatten (``Reshape`` or ``Gather``) is a ``collect`` stage;
- a recurrent layer (QSimpleRNN, QGRU, read as per-step nodes) is a ``scan`` stage: its cell folded from the
  steps (``da_core.stream_scan``), the state's formats widened until the cell's outputs stay in them;
- everything after a reduce, collect or scan is one ``dense`` stage, lowered as the parallel program is.

Each kernel is a sub-network of the network's ops sliced to one position (or window), lowered by
``da_core.lower`` on the formats the previous stage gives. Every slice is checked against every position:
patches, kernel, bias, quantizer formats, tables and bounds must be the same, else the layer is refused
(``quant.UnsupportedLayerError``), never built into a different circuit.
"""

from dataclasses import dataclass, field

import numpy as np
from quant import (Clip, Dense, Gather, LeakyRelu, Linear, Merge, Network, Pool, Quantize, Quantizer, Relu, Reshape,
                   Table, UnsupportedLayerError)
from quant.network import Input, Node

from .interval import Interval
from .lower import lower_with_intervals
from .multipliers import DEFAULT_MULTIPLIERS
from .program import Program
from .stream import COLLECT, DENSE, MAP, REDUCE, SCAN, WINDOW, Stage, StreamProgram, holding_zero, window_rows
from .stream_scan import fold_cell, is_recurrent

POINTWISE = (Relu, LeakyRelu, Quantize, Table, Clip, Merge)
MAX_STATE_ROUNDS = 8
PER_CHANNEL = "train with per-channel quantizers (HGQ2: heterogeneous_axis=(-1,), homogeneous_axis=None)"


def lower_stream(network: Network, max_depth: int | None = None, multipliers: str = DEFAULT_MULTIPLIERS,
                 trim: bool = True) -> StreamProgram:
    """The stream program computing ``network.forward`` exactly, one kernel per stage reused over positions.

    ``max_depth``, ``multipliers`` and ``trim`` apply to every kernel as in ``da_core.lower``.
    Refuses (``quant.UnsupportedLayerError``, naming the layer) what does not repeat over positions.
    """
    return _Planner(network, max_depth, multipliers, trim).plan()


@dataclass
class _Kernel:
    """A map or window stage being built: the tensor entering, its sliced nodes, and each tensor's layout."""

    kind: str
    in_name: str
    grid: tuple[int, ...]
    in_intervals: tuple[Interval, ...]
    window: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    padding: tuple[tuple[int, int], ...] = ()
    nodes: list[Node] = field(default_factory=list)
    layout: dict[str, tuple[tuple[int, ...], int]] = field(default_factory=dict)  # name -> (grid, features)

    @property
    def n_in(self) -> int:
        return len(self.in_intervals) * int(np.prod(self.window, dtype=np.int64))


class _Planner:
    def __init__(self, network: Network, max_depth, multipliers: str, trim: bool):
        if len(network.inputs) != 1 or len(network.outputs) != 1:
            raise UnsupportedLayerError(f"the network has {len(network.inputs)} inputs and {len(network.outputs)} "
                                        "outputs; a stream takes one input and gives one output")
        spec = network.inputs[0]
        if len(spec.shape) < 2:
            raise UnsupportedLayerError(f"the input has shape {spec.shape}: nothing to stream (a stream's input is "
                                        "(*positions, features))")
        self.network, self.options = network, dict(max_depth=max_depth, multipliers=multipliers, trim=trim)
        self.shapes = {name: a.shape[1:] for name, a in network.trace(np.zeros((1, *spec.shape))).items()}
        grid, n_features = tuple(spec.shape[:-1]), spec.shape[-1]
        formats = spec.quantizer.formats(spec.shape).reshape(-1, n_features, 3)
        if not np.all(formats == formats[0]):
            reader = next((n.source for n in network.nodes if spec.name in n.inputs), "")
            raise UnsupportedLayerError(f"{reader}: the model input {spec.name!r} it reads is quantized with "
                                        f"bit-widths that vary over the streamed positions; {PER_CHANNEL}")
        intervals = tuple(Interval.from_kif(*kif) for kif in formats[0].tolist())
        self.stages: list[Stage] = []
        self.kernel: _Kernel | None = self._open(MAP, spec.name, grid, intervals)
        self.dense: list[Node] | None = None  # the nodes of the dense head, once a reduce or collect is reached
        self.dense_input: Input | None = None
        self.consumed: frozenset[str] = frozenset()  # the nodes of recurrent layers, folded into their cells

    # ---- the walk -----------------------------------------------------------------------------------------
    def plan(self) -> StreamProgram:
        nodes = self.network.nodes
        for j, node in enumerate(nodes):
            if node.name in self.consumed:
                continue
            if self.dense is not None:
                self._dense_node(node)
            elif is_recurrent(node):
                self._scan(node, list(nodes[j + 1:]))
            else:
                self._stream_node(node)
        out = self.network.outputs[0]
        if self.dense is not None:
            self._close_dense(out)
        else:
            self._close(out)
        if not self.stages:
            raise UnsupportedLayerError("the network's output is its input, unchanged: nothing to stream")
        return StreamProgram(tuple(self.stages))

    def _stream_node(self, node: Node) -> None:
        self._check_live(node)
        k, op = self.kernel, node.op
        if isinstance(op, Dense):
            op = op.as_linear(self.shapes[node.inputs[0]])
        if isinstance(op, (Linear, Pool)) and self._reduction(node, op):
            return
        if isinstance(op, (Linear, Pool)):
            self._windowed(node, op)
        elif isinstance(op, POINTWISE):
            grid, n = k.layout[node.inputs[0]]
            if any(k.layout[name] != (grid, n) for name in node.inputs):
                self._refuse(node, "merges tensors laid out on different positions")
            sliced = self._pointwise(node, op, int(np.prod(grid, dtype=np.int64)), n)
            k.nodes.append(Node(node.name, sliced, node.inputs, node.source))
            k.layout[node.name] = (grid, n)
        elif isinstance(op, (Reshape, Gather)) and len(node.inputs) == 1 and \
                sum(d > 1 for d in self.shapes[node.name]) <= 1:
            self._collect(node)
        else:
            self._refuse(node, "is not streamed (supported: convolutions and pools over windows, position-wise "
                         "dense layers and activations, sums and global pools over all positions, a flatten to a "
                         "vector; not padding, slicing or other layout changes of the streamed positions)")

    def _check_live(self, node: Node) -> None:
        """Refuses a node reading a tensor the current kernel does not hold one position of."""
        k = self.kernel
        for name in node.inputs:
            if name not in k.layout:
                self._refuse(node, f"reads {name!r}, which an earlier stage computed: a tensor used across a window, "
                             "reduction or flatten is not streamed")
            if name == k.in_name and k.kind == WINDOW:
                self._refuse(node, f"reads {name!r} besides the window over it: a tensor used across a window is "
                             "not streamed")

    def _dense_node(self, node: Node) -> None:
        known = {self.dense_input.name} | {n.name for n in self.dense}
        for name in node.inputs:
            if name not in known:
                self._refuse(node, f"reads {name!r}, a tensor of the stream before a reduction or flatten: only the "
                             "reduced or collected vector reaches the dense head")
        self.dense.append(node)

    # ---- windows and position-wise ops -------------------------------------------------------------------
    def _windowed(self, node: Node, op: Linear | Pool) -> None:
        """A Linear or Pool: joins the kernel when it acts on one position, else opens a window stage."""
        k = self.kernel
        grid, n = k.layout[node.inputs[0]]
        out_shape = op.out_shape
        out_grid, n_out = tuple(out_shape[:-1]), out_shape[-1] if out_shape else 1
        if len(out_grid) != len(grid):
            self._refuse(node, f"maps positions {grid} to an output of shape {out_shape}: not one result per "
                         "position or window")
        n_pos = int(np.prod(out_grid, dtype=np.int64))
        if isinstance(op, Linear):
            rows, outs = op.patches, op.out_index
            if len(rows) != n_pos or not np.array_equal(outs, np.arange(n_pos * n_out).reshape(n_pos, n_out)):
                self._refuse(node, "does not apply its kernel once per position of the grid")
            if op.bias is not None and not np.all(op.bias == op.bias[0]):
                self._refuse(node, "has a bias that differs over the streamed positions")
        else:
            if op.windows.shape[0] != n_pos * n or n_out != n:
                self._refuse(node, "does not pool each channel once per position of the grid")
            rows = op.windows.reshape(n_pos, -1)
        if isinstance(op, Pool) and np.any(rows < 0):
            self._refuse(node, "pools windows over padding (padding='same'): its padded positions are ignored, not "
                         "zeros, which a window stage does not stream; use padding='valid'")
        window, stride, padding, local = self._window(node, rows, grid, n, out_grid)
        if isinstance(op, Linear):
            sliced = Linear(local[None, :], op.kernel, None if op.bias is None else op.bias[:1],
                            np.arange(n_out)[None, :], (n_out,))
        else:
            sliced = Pool(op.kind, local.reshape(n, -1), op.shift, (n,))
        pointwise = all(w == 1 for w in window) and all(s == 1 for s in stride)
        if not pointwise:
            self._close(node.inputs[0])
            k = self.kernel = self._open(WINDOW, node.inputs[0], grid, self._intervals(), window, stride, padding)
        k.nodes.append(Node(node.name, sliced, node.inputs, node.source))
        k.layout[node.name] = (out_grid, n_out)

    def _window(self, node: Node, rows: np.ndarray, grid: tuple[int, ...], n: int, out_grid: tuple[int, ...]):
        """(window, stride, padding, the kernel's input index of each of a window's rows) when ``rows`` (P, L) is
        one window translated over the grid, its taps outside the grid -1 (zero padding, as Keras' 'same');
        refuses anything else. Every position is checked against the window rebuilt from what is derived."""
        real = rows >= 0
        if not np.all(real.any(axis=0)):
            self._refuse(node, "has window taps that read only zero padding")
        pos, channel = np.divmod(np.where(real, rows, 0), n)
        coords = np.stack(np.unravel_index(pos, grid), axis=-1)  # (P, L, axes)
        first = real.argmax(axis=0)  # per tap, an output position where it is real
        at = np.stack(np.unravel_index(np.arange(len(rows)), out_grid), axis=-1)  # (P, axes)
        stride = []
        for a in range(len(grid)):
            if out_grid[a] == 1:
                stride.append(0)
                continue
            step = int(np.prod(out_grid[a + 1:], dtype=np.int64))
            both = real & np.roll(real, -step, axis=0) & (at[:, a] < out_grid[a] - 1)[:, None]
            if not both.any():
                self._refuse(node, "reads windows whose stride cannot be told from its positions")
            p, tap = np.argwhere(both)[0]
            stride.append(int(coords[p + step, tap, a] - coords[p, tap, a]))
        if min(stride + [1]) < 0:
            self._refuse(node, "reads windows that are not evenly strided over the grid")
        rel = coords - (at * np.array(stride))[:, None, :]  # each tap's place relative to its window's start
        offset = rel[first, np.arange(rows.shape[1])]  # (L, axes)
        window = tuple(int(w) for w in offset.max(axis=0) - offset.min(axis=0) + 1)
        before = -offset.min(axis=0)
        stride = tuple(s or max(1, g + b - w + 1) for s, g, b, w in zip(stride, grid, before, window))
        padding = tuple((int(b), max(0, s * (o - 1) - int(b) + w - g)) for b, s, o, w, g in
                        zip(before, stride, out_grid, window, grid))
        local = np.ravel_multi_index(tuple((offset + before).T), window) * n + channel[first, np.arange(rows.shape[1])]
        padding = padding if any(any(p) for p in padding) else ()
        ok = all(max(p) < w for p, w in zip(padding, window)) and all(
            (g + sum(p) - w) // s + 1 == o for g, p, w, s, o in zip(grid, padding or [(0, 0)] * len(grid), window,
                                                                      stride, out_grid))
        rebuilt = window_rows(grid, window, stride, padding)[:, local // n] if ok else None
        if rebuilt is None or not np.array_equal(np.where(rebuilt >= 0, rebuilt * n + local % n, -1), rows):
            self._refuse(node, "reads windows that are not one window evenly strided over the grid (with zero "
                         "padding, less than a window, at the edges)")
        return window, stride, padding, local

    def _pointwise(self, node: Node, op, P: int, n: int):
        """``op`` on one position's ``n`` features; refuses parameters that differ over the ``P`` positions."""

        def same(a: np.ndarray, what: str) -> np.ndarray:
            """Per-element parameters (P * n, ...) -> one position's (n, ...), the same at every position."""
            a = np.asarray(a).reshape(P, n, *np.shape(a)[1:])
            if not np.all(a == a[0]):
                self._refuse(node, f"has {what} that vary over the streamed positions; {PER_CHANNEL}")
            return a[0]

        shape = self.shapes[node.name]
        if isinstance(op, Quantize):
            q = op.quantizer
            kif = same(q.formats(shape).reshape(P * n, 3), "quantizer bit-widths")
            return Quantize(Quantizer(kif[:, 0], kif[:, 1], kif[:, 2], q.round_mode, q.overflow_mode))
        if isinstance(op, Table):
            exp, lo, which = (same(a, "table formats or tables") for a in (op.exp, op.lo, op.table_of))
            return Table(exp, lo, which, op.tables, (n,))
        if isinstance(op, Clip):
            return Clip(*(same(np.broadcast_to(a, shape).reshape(-1), "clip bounds") for a in (op.lo, op.hi)))
        return op

    # ---- recurrent layers ----------------------------------------------------------------------------------
    def _scan(self, node: Node, later: list[Node]) -> None:
        """A recurrent layer: one scan stage running its cell over the time steps, the state from 0."""
        self._check_live(node)
        grid, n = self.kernel.layout[node.inputs[0]]
        if len(grid) != 1:
            self._refuse(node, f"reads a sequence laid out on positions {grid}; a scan runs over one axis of steps")
        cell = fold_cell(node, later, self.shapes, grid[0])
        self._close(node.inputs[0])
        steps = self._intervals()
        x = Input(cell.flat, (n,), None)
        first = self._lower([x], list(cell.first), cell.first_output, [steps])
        state = tuple(holding_zero(iv) for iv in first.output_intervals)
        for _ in range(MAX_STATE_ROUNDS):
            h = Input(cell.state, (len(state),), None)
            program = self._lower([x, h], list(cell.nodes), cell.output, [steps, state])
            outs = program.output_intervals
            if all(o.exp == s.exp and s.lo <= o.lo and o.hi <= s.hi for o, s in zip(outs, state)):
                break
            state = tuple(holding_zero(o) if o.exp != s.exp else Interval(min(o.lo, s.lo), max(o.hi, s.hi), o.exp)
                          for o, s in zip(outs, state))
        else:
            self._refuse(node, f"has a state whose format still grows after {MAX_STATE_ROUNDS} steps")
        codes = _sample_codes(steps)
        zero = np.zeros((len(codes), len(state)), np.int64)
        if not np.array_equal(first.output_values(first.run(codes)),
                              program.output_values(program.run(np.concatenate([codes, zero], axis=1)))):
            self._refuse(node, "computes its first time step differently from the cell on a zero state")
        self.stages.append(Stage(SCAN, grid, steps, program, state=state, layers=(node.source,)))
        self.consumed = cell.consumed
        self._open_dense(Input(cell.last_output, self.shapes[cell.last_output], None), [])

    # ---- reductions, flatten and the dense head ---------------------------------------------------------
    def _reduction(self, node: Node, op: Linear | Pool) -> bool:
        """A sum (times a constant) or max of each feature over all positions: a reduce stage, then dense."""
        grid, n = self.kernel.layout[node.inputs[0]]
        P = int(np.prod(grid, dtype=np.int64))
        every = np.arange(P)[None, :] * n + np.arange(n)[:, None]  # (features, positions)
        if isinstance(op, Pool):
            if not np.array_equal(op.windows, every):
                return False
            reduction, scale = ("max", None) if op.kind == "max" else ("add", 2.0**op.shift)
        else:
            column = op.kernel[:, 0] if op.kernel.shape[1] == 1 else None
            if column is None or op.bias is not None or not np.array_equal(op.patches, every) or \
                    not np.all(column == column[0]) or not np.array_equal(op.out_index, np.arange(n)[:, None]):
                return False
            reduction, scale = "add", float(column[0])
        if P == 1:
            self._refuse(node, "reduces a single position: nothing to stream")
        self._close(node.inputs[0])
        self.stages.append(Stage(REDUCE, grid, self._intervals(), reduction=reduction, layers=(node.source,)))
        shape = self.shapes[node.name]
        if scale is None:
            self._open_dense(Input(node.name, shape, None), [])
        else:
            summed = Input(f"{node.name}/sum", (n,), None)
            rescale = Linear(np.arange(n)[:, None], np.array([[scale]]), None, np.arange(n)[:, None], shape)
            self._open_dense(summed, [Node(node.name, rescale, (summed.name,), node.source)])
        return True

    def _collect(self, node: Node) -> None:
        src = node.inputs[0]
        grid, _ = self.kernel.layout[src]
        self._close(src)
        if grid:
            self.stages.append(Stage(COLLECT, grid, self._intervals(), layers=(node.source,)))
        self._open_dense(Input(src, self.shapes[src], None), [node])

    def _open_dense(self, inp: Input, nodes: list[Node]) -> None:
        self.kernel, self.dense_input, self.dense = None, inp, nodes

    def _close_dense(self, out: str) -> None:
        if not self.dense:
            return
        program = self._lower([self.dense_input], self.dense, out, [self._intervals()])
        layers = tuple(dict.fromkeys(n.source for n in self.dense))
        self.stages.append(Stage(DENSE, (), self._intervals(), program, layers=layers))

    # ---- stages -------------------------------------------------------------------------------------------
    def _open(self, kind: str, name: str, grid, intervals, window=(), stride=(), padding=()) -> _Kernel:
        k = _Kernel(kind, name, tuple(grid), tuple(intervals), tuple(window), tuple(stride), tuple(padding))
        k.layout[name] = (k.grid, len(intervals))
        return k

    def _close(self, out: str) -> None:
        """Ends the current kernel at tensor ``out`` (its nodes that ``out`` does not need are dropped)."""
        k = self.kernel
        if not k.nodes or out == k.in_name:
            return
        if out not in k.layout:
            raise UnsupportedLayerError(f"{out!r} is computed in an earlier stage and read again later: a tensor "
                                        "used across a window, reduction or flatten is not streamed")
        nodes = _needed(k.nodes, out)
        ivs = [holding_zero(iv) for iv in k.in_intervals] if k.padding else list(k.in_intervals)  # as Stage's
        program = self._lower([Input(k.in_name, (k.n_in,), None)], nodes, out, [ivs * (k.n_in // len(ivs))])
        if k.kind == WINDOW or program.outputs != program.inputs:  # (a map that changes nothing is no stage)
            layers = tuple(dict.fromkeys(n.source for n in nodes))
            self.stages.append(Stage(k.kind, k.grid, k.in_intervals, program, k.window, k.stride, layers=layers,
                                     padding=k.padding))
        grid, _ = k.layout[out]
        self.kernel = self._open(MAP, out, grid, self._intervals())

    def _intervals(self) -> tuple[Interval, ...]:
        """What the last stage gives (the input's formats before any stage)."""
        return self.stages[-1].out_intervals if self.stages else self.kernel.in_intervals

    def _lower(self, inputs: list[Input], nodes: list[Node], out: str, intervals: list) -> Program:
        """The sub-network ``nodes`` on ``inputs`` of the given formats, lowered as ``da_core.lower`` does."""
        sub = Network(tuple(inputs), tuple(nodes), (out,))
        given = {inp.name: list(ivs) for inp, ivs in zip(inputs, intervals)}
        program, _ = lower_with_intervals(sub, input_intervals=given, **self.options)
        return program

    def _refuse(self, node: Node, reason: str):
        raise UnsupportedLayerError(f"{node.source or node.name}: its {type(node.op).__name__} op {node.name!r} "
                                    f"{reason}")


def _sample_codes(intervals, n: int = 4096) -> np.ndarray:
    """Random input codes of these formats, the extremes first."""
    rng = np.random.default_rng(0)
    cols = [np.concatenate([[iv.lo, iv.hi, iv.lo, iv.hi], rng.integers(iv.lo, iv.hi + 1, n)]) for iv in intervals]
    cols = [np.roll(c, j) if j % 2 else c for j, c in enumerate(cols)]  # extremes in mixed combinations
    return np.stack(cols, axis=1).astype(np.int64)


def _needed(nodes: list[Node], out: str) -> list[Node]:
    """The nodes ``out`` depends on, in order."""
    need, kept = {out}, []
    for node in reversed(nodes):
        if node.name in need:
            kept.append(node)
            need.update(node.inputs)
    return kept[::-1]
