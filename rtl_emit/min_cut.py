"""Register-minimal stages: each pipeline boundary placed at the narrowest cut the stage limit allows.

As-soon-as-possible placement registers whatever is alive at a boundary: a recurrent model's input terms for
its last step, summed in the first stage, ride through every register on the way as wide partial sums, where
the few narrow inputs could have ridden instead. Moving one op at a time (``pipeline._sink``) cannot see that
moving the whole group pays. Here each boundary, first to last, is a minimum cut: among the ops that fit in the
stage (by the same per-stage limit, counted from the registers before it), the closed set (an op with its
operands) whose values read beyond the boundary have the fewest bits, a value with many readers counted once.
Ops that the later stages could no longer fit are forced in, so the latency does not change.
"""

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, maximum_flow


def min_cut_stages(graph, start: tuple[int, ...], weight: list, limit: float, latency: int
                   ) -> tuple[int, ...] | None:
    """Per value, its stage, with ``latency`` stages of at most ``limit`` (by ``weight`` per op) each; values
    no output reads keep their ``start`` stage or follow their operands. None when the latest-stage bounds are
    inconsistent (the caller keeps its own placement)."""
    ops, root = graph.ops, graph.root
    live = set(graph.live)
    units = [v for v in graph.live if ops[v].kind != "shift"]
    args = {v: sorted({root[a] for a in ops[v].args if a in live}) for v in units}
    for room in dict.fromkeys((limit, _room(graph, units, args, start, weight, limit))):
        stage = _sweep(graph, units, args, weight, room, latency)
        if stage is not None:
            break
    else:
        return None
    out = list(start)
    for v, op in enumerate(ops):
        out[v] = stage[root[v]] if v in live else max([start[v]] + [out[a] for a in op.args])
    return tuple(out)


def _sweep(graph, units: list[int], args: dict, weight: list, room: float, latency: int) -> dict | None:
    """Per op, its stage: the boundaries first to last, each at its narrowest cut; None where infeasible."""
    latest = _latest_stages(graph, units, weight, room, latency)
    if latest is None:
        return None
    stage = {v: 0 for v in units if graph.ops[v].kind == "input"}
    for k in range(latency):
        fits = _fitting(units, args, stage, weight, room)
        if any(v not in stage and v not in fits and latest[v] <= k for v in units):
            return None
        if k == latency - 1:
            chosen = fits
        else:
            chosen = _narrowest_cut(graph, fits, stage, args, latest, k)
        for v in chosen:
            stage[v] = k
    return stage if len(stage) == len(units) else None


def _room(graph, units: list[int], args: dict, start: tuple[int, ...], weight: list, limit: float) -> float:
    """The longest path a stage may hold: ``limit``, or the longest path of the placement ``start`` where that is
    longer (an op of several levels that ``(depth - 1) // N`` puts after a boundary it straddles), so that
    ``start`` stays feasible and no stage gets a longer path than its longest."""
    arrival = {}
    for v in units:
        arrival[v] = weight[v] + max((arrival[a] for a in args[v] if start[a] == start[v]), default=0.0)
    return max([limit, *arrival.values()])


def _latest_stages(graph, units: list[int], weight: list, room: float, latency: int) -> dict | None:
    """Per op, the last stage that still leaves its readers room (as-late-as-possible, outputs at the end)."""
    latest, tail = {}, {}  # tail: longest path from the op's start to its stage's end
    for v in reversed(units):
        ends = [(latest[c], tail[c]) for c in graph.readers[v]]
        if v in graph.outputs:
            ends.append((latency - 1, 0.0))
        s = min((e[0] for e in ends), default=latency - 1)
        start = max((t for e, t in ends if e == s), default=0.0)
        if start > 0 and start + weight[v] > room:
            s, start = s - 1, 0.0
        latest[v], tail[v] = s, start + weight[v]
        if s < 0:
            return None
    return latest


def _fitting(units: list[int], args: dict, stage: dict, weight: list, room: float) -> dict:
    """The ops not yet placed that fit in the next stage with their unplaced operands (their arrival times)."""
    arrival = {}
    for v in units:
        if v in stage or any(a not in stage and a not in arrival for a in args[v]):
            continue
        start = max((arrival[a] for a in args[v] if a in arrival), default=0.0)
        if start == 0 or start + weight[v] <= room:
            arrival[v] = start + weight[v]
    return arrival


def _narrowest_cut(graph, fits: dict, stage: dict, args: dict, latest: dict, k: int) -> list[int]:
    """The closed subset of ``fits`` (holding every op due by stage k) with the fewest register bits at
    boundary k; of equal cuts, the largest (as soon as possible)."""
    ops, readers, outputs = graph.ops, graph.readers, graph.outputs
    placed_read = {a for v in fits for a in args[v] if a in stage}
    nodes = list(fits) + sorted(placed_read)
    index = {v: j for j, v in enumerate(nodes)}
    n = len(nodes)
    source, sink = 2 * n, 2 * n + 1
    inf = 1 + sum(ops[v].interval.width for v in nodes)
    rows, cols, caps = [], [], []

    def edge(i: int, j: int, c: int) -> None:
        rows.append(i)
        cols.append(j)
        caps.append(c)

    for v in nodes:
        j = index[v]
        if v in stage or latest[v] <= k:
            edge(source, j, inf)
        for a in args.get(v, ()) if v in fits else ():
            if a in fits:
                edge(j, index[a], inf)  # v before the boundary needs its operand there too
        edge(j, n + j, ops[v].interval.width)  # v's register, paid once when any reader is beyond
        for c in set(readers[v]):
            if c in fits:
                edge(n + j, index[c], inf)
        if v in outputs or any(c not in fits and c not in stage for c in readers[v]):
            edge(n + j, sink, inf)  # read in a later stage for sure
    size = 2 * n + 2
    capacity = csr_matrix((np.array(caps, dtype=np.int32), (rows, cols)), shape=(size, size))
    flow = maximum_flow(capacity, source, sink).flow
    residual = (capacity - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    beyond = breadth_first_order(residual.T.tocsr(), sink, directed=True, return_predecessors=False)
    after = set(beyond.tolist())
    return [v for v in fits if index[v] not in after]
