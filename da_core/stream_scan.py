"""A recurrent layer read as per-step nodes (``quant/layers/recurrent.py``) folded back into one cell.

The reader unrolls QSimpleRNN and QGRU: the sequence is flattened (``LAYER/flat``), then each step ``n`` is
nodes named ``LAYER/t{n}/...`` that pick step n's features from the flat sequence and read the state step
n - 1 left. Step 1 sliced to one step's features (its row indices moved to a vector of the step's features
alone) is the cell; every later step must be exactly that cell, reading the state the step before it left.
Step 0 reads no state (or an all-zero one): the planner checks it equals the cell on a zero state.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np
from quant import Concatenate, Linear, UnsupportedLayerError
from quant.network import Node

RECURRENT = ("QSimpleRNN", "QGRU")


@dataclass(frozen=True)
class Cell:
    """The cell's nodes (inputs: ``flat`` as one step's ``n_features``, then ``state``), step 0's nodes (input
    ``flat`` alone), their outputs, and every node of the layer after ``flat`` (consumed by the scan)."""

    flat: str
    n_features: int
    state: str
    nodes: tuple[Node, ...]
    output: str
    first: tuple[Node, ...]
    first_output: str
    last_output: str
    consumed: frozenset[str]


def is_recurrent(node: Node) -> bool:
    return any(node.source.endswith(f"({cls})") for cls in RECURRENT) and node.name.endswith("/flat")


def fold_cell(flat: Node, later: list[Node], shapes: dict[str, tuple[int, ...]], n_steps: int) -> Cell:
    """The cell of the recurrent layer whose flattened sequence is ``flat``; ``later``: the nodes after it."""
    layer = flat.name.removesuffix("/flat")
    mine = [n for n in later if n.source == flat.source]

    def refuse(reason: str):
        raise UnsupportedLayerError(f"{flat.source}: {reason}; streamed: return_sequences=False, "
                                    "go_backwards=False, at least 2 time steps")

    if any(n.name == f"{layer}/sequence" for n in mine):
        refuse("return_sequences=True is not streamed (a scan leaves the final state only)")
    if n_steps < 2:
        refuse(f"{n_steps} time step")
    steps = [[n for n in mine if n.name.startswith(f"{layer}/t{t}/")] for t in range(n_steps)]
    extra = [n for n in mine if not any(n.name.startswith(f"{layer}/t{t}/") for t in range(n_steps))]
    if any(n.name != f"{layer}/h0" for n in extra) or not all(steps):
        refuse(f"has nodes {[n.name for n in extra]} outside its steps")
    n_features = shapes[flat.name][0] // n_steps
    outs = [s[-1].name for s in steps]

    def sliced(node: Node, t: int, state: str | None) -> Node:
        """``node`` of step t on one step's features, its inputs renamed to the cell's (``state``)."""
        prefix = f"{layer}/t{t}/"
        roles = {flat.name: flat.name, **({outs[t - 1]: state} if t else {f"{layer}/h0": f"{layer}/h0"})}
        inputs = []
        for name in node.inputs:
            if name.startswith(prefix):
                inputs.append(f"{layer}/t1/" + name.removeprefix(prefix))
            elif name in roles:
                inputs.append(roles[name])
            else:
                refuse(f"step {t} reads {name!r}, neither the sequence nor its own nodes nor the state before it")
        op = node.op
        if isinstance(op, Linear):
            op = dataclasses.replace(op, patches=_rows(op.patches, _parts(node.inputs[0], later, flat, shapes),
                                                       flat.name, t, n_features, refuse))
        elif flat.name in node.inputs and not isinstance(op, Concatenate):
            refuse(f"step {t} reads the sequence through a {type(op).__name__} op")
        name = f"{layer}/t1/" + node.name.removeprefix(prefix) if node.name.startswith(prefix) else node.name
        return Node(name, op, tuple(inputs), node.source)

    state = outs[0]
    cell = [sliced(n, 1, state) for n in steps[1]]
    for t in range(2, n_steps):
        again = [sliced(n, t, state) for n in steps[t]]
        if len(again) != len(cell) or not all(_same(a, b) for a, b in zip(again, cell)):
            refuse(f"time step {t} differs from time step 1 (another kernel, format or order of steps, e.g. "
                   "go_backwards=True)")
    h0 = [sliced(n, 0, None) for n in extra]
    first = h0 + [sliced(n, 0, None) for n in steps[0]]
    first_out = f"{layer}/t1/" + outs[0].removeprefix(f"{layer}/t0/")
    consumed = frozenset(n.name for n in mine) | {flat.name}
    return Cell(flat.name, n_features, state, tuple(cell), outs[1], tuple(first), first_out, outs[-1], consumed)


def _parts(source: str, nodes: list[Node], flat: Node, shapes) -> list[tuple[str, int]]:
    """What a Linear op's source is made of: (name, size) per part (a Concatenate's inputs, or itself)."""
    node = next((n for n in nodes if n.name == source), None)
    if node is not None and isinstance(node.op, Concatenate):
        return [(name, int(np.prod(shapes[name]))) for name in node.inputs]
    return [(source, int(np.prod(shapes[source])))]


def _rows(patches: np.ndarray, parts, flat: str, t: int, n_features: int, refuse) -> np.ndarray:
    """``patches`` into the parts joined, moved to the parts joined with ``flat`` cut to step t's features."""
    old = np.cumsum([0] + [size for _, size in parts])
    new = np.cumsum([0] + [n_features if name == flat else size for name, size in parts])
    part = np.searchsorted(old, patches, side="right") - 1
    local = patches - old[part]
    is_flat = np.array([name == flat for name, _ in parts])[part]
    local = np.where(is_flat, local - t * n_features, local)
    if np.any(patches < 0) or np.any(is_flat & ((local < 0) | (local >= n_features))):
        refuse(f"time step {t} reads features of another time step")
    return new[part] + local


def _same(a, b) -> bool:
    """Equal ops, nodes or parameters (arrays compared by value)."""
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)) and not isinstance(a, str):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is not None and b is not None and np.array_equal(a, b)
    return a == b
