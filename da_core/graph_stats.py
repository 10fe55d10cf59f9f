"""Measures of an AdderGraph under the shared cost model: intervals, cost, depth.

Exact Python integers, one pass over the adders; used by tests, benchmarks and
anyone who wants to compare two solutions.
"""

import numpy as np

from da_core.adder_graph import AdderGraph
from da_core.cost import adder_cost


def signal_intervals(graph: AdderGraph, lo: np.ndarray, hi: np.ndarray) -> list[tuple[int, int]]:
    """Interval of every signal (inputs, then adders) by interval arithmetic."""
    iv = [(int(a), int(b)) for a, b in zip(lo, hi)]
    for a, b, shift, sign in graph.adders.tolist():
        (a_lo, a_hi), (b_lo, b_hi) = iv[a], iv[b]
        if sign > 0:
            iv.append((a_lo + (b_lo << shift), a_hi + (b_hi << shift)))
        else:
            iv.append((a_lo - (b_hi << shift), a_hi - (b_lo << shift)))
    return iv


def adder_costs(graph: AdderGraph, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Cost of each adder: width of its result interval minus the free low bits."""
    iv = signal_intervals(graph, lo, hi)[graph.n_in :]
    shifts = graph.adders[:, 2].tolist()
    return np.array([adder_cost(r_lo, r_hi, s) for (r_lo, r_hi), s in zip(iv, shifts)], dtype=np.int64)


def graph_cost(graph: AdderGraph, lo: np.ndarray, hi: np.ndarray) -> int:
    """Total cost (≈ LUTs) of the graph for inputs in [lo, hi]."""
    return int(adder_costs(graph, lo, hi).sum())


def signal_depths(graph: AdderGraph, in_depth: np.ndarray | None = None) -> np.ndarray:
    """Adder depth of every signal, counting the inputs' own depth."""
    depth = list(np.zeros(graph.n_in, dtype=np.int64) if in_depth is None else np.asarray(in_depth).tolist())
    for a, b, _, _ in graph.adders.tolist():
        depth.append(max(depth[a], depth[b]) + 1)
    return np.array(depth, dtype=np.int64)


def output_depths(graph: AdderGraph, in_depth: np.ndarray | None = None) -> np.ndarray:
    """Adder depth of every output; 0 for constant-zero outputs."""
    depth = signal_depths(graph, in_depth)
    idx = graph.out_index
    return np.where(idx >= 0, depth[np.maximum(idx, 0)], 0) if len(depth) else np.zeros(len(idx), dtype=np.int64)
