"""Entry point of the CMVM solver: integer matrix + input intervals -> adder graph.

The wrapper validates the input, drops free outputs (zero or ±2^k copies of
another column), and runs the numba stages on the distinct columns:
outputs built from close outputs (decompose), signed digits (csd), shared
pairs of terms (cse), then the final depth-aware sum of each output (sum_tree).
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from da_core.adder_graph import AdderGraph
from da_core.columns import unique_columns
from da_core.csd import csd_digit_counts, csd_terms
from da_core.cse import MAX_SIGNALS, extract_common_pairs
from da_core.decompose import candidate_links, parents_from_links, star_links
from da_core.signals import SignalTable
from da_core.sum_tree import sum_outputs

DEFAULT_DEPTH_SLACK = 1
MAX_KRAFT_DEPTH = 36  # deeper bounds never bind and would overflow the Kraft sums
MAX_IN_DEPTH = 24
# Greedy passes with different tie-breaks, the best kept (by `objective`): as
# many as fit PASS_DIGITS signed digits of work, at most MAX_PASSES.
MAX_PASSES = 32
PASS_DIGITS = 8000
# Counting adders at the minimum depth, the best of more passes pays (table2.py, 200 matrices: 243.3 -> 241.5
# adders at N=12 with 64 passes, 325.4 -> 323.4 at N=14 with about 35): each signed digit under MIN_DEPTH_RAMP
# adds MIN_DEPTH_BONUS digits of work, up to MIN_DEPTH_MAX_PASSES, so matrices of N=16's size (850-930 digits)
# keep their passes and time. Ranked by cost it does not (trained kernels, slack 0: 8 less cost, 2 more
# adders, 3x the time at 32x16), so objective "cost" keeps PASS_DIGITS.
MIN_DEPTH_RAMP = 820
MIN_DEPTH_BONUS = 120
MIN_DEPTH_MAX_PASSES = 64
# Weight (in quarters) of a pair whose operands differ in depth, by depth slack (1, or 2 or more): with room to
# spare it is a pair like any other (slack 1: trained kernels cost 0.2% less with (4, 3) than (3,)). Passes cycle
# through the tuple; a single pass (a large matrix) weights all pairs alike, since at 128x128 and 256x256 the
# skewed weights cost 1-2% more adders at the minimum depth, and time.
DEPTH_SKEWS = ((4, 3), (4,))
# At the minimum depth such a pair spends the little Kraft room the bound leaves: one use grows its output's
# Kraft sum by g = 2^(deeper+1) - 2^a - 2^b, and the pair's weight is scaled by room / (room + g), room being
# MIN_DEPTH_ROOM times the outputs' mean Kraft room before stage 2 (at least 1), so a pair that spends much of
# the room must save more than one that spends little. A flat weight (2/4 or 3/4 for every such pair, before)
# weighs both alike: table2.py at the minimum depth, 60 matrices, two seeds, about 1.5 adders fewer at N=12
# and 2 at N=14 and 16; fractions 0.125-0.4, and the median or a quantile of the room, did no better.
MIN_DEPTH_ROOM = 0.25
_INT64_HEADROOM = 1 << 61
# Threads for the passes of one solve: the passes are independent and their numba kernels release the GIL,
# so two cores halve a multi-pass solve's wall time (the best pass is still chosen in pass order).
SOLVE_THREADS = min(2, os.cpu_count() or 1)
_pools: dict[int, ThreadPoolExecutor] = {}  # by thread count, kept between solves
os.register_at_fork(after_in_child=_pools.clear)  # a forked worker has none of its parent's threads


def min_depth(W: np.ndarray, in_depth: np.ndarray | None = None) -> int:
    """Fewest adder levels any adder graph needs for x @ W.

    An adder at most doubles the signed-digit terms of its operands, so an
    output whose terms start at depths d_i needs ceil(log2(Σ 2^d_i)) levels.
    """
    W = np.asarray(W, dtype=np.int64)
    n_in = W.shape[0]
    in_depth = np.zeros(n_in, dtype=np.int64) if in_depth is None else np.asarray(in_depth, dtype=np.int64)
    kraft = (csd_digit_counts(W) << in_depth[:, None]).sum(axis=0)
    return max((int(k - 1).bit_length() for k in kraft if k > 0), default=0)


def solve_integer(
    W: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_depth: int | None = None,
    in_depth: np.ndarray | None = None,
    passes: int | None = None,
    objective: str = "cost",
    threads: int = SOLVE_THREADS,
) -> AdderGraph:
    """Adder graph computing y = x @ W exactly for integer x with lo <= x <= hi.

    max_depth bounds the adder levels from any input to any output, counting
    in_depth (levels the inputs already carry); None picks the minimum
    possible depth plus DEFAULT_DEPTH_SLACK. passes: greedy passes with
    different tie-breaks (None: by size); the one with the least `objective`
    ("cost", Σ adder widths ≈ LUTs, or "adders"), the other breaking ties, is kept.
    threads: run the passes on up to this many threads; the graph does not depend on it.
    """
    if objective not in ("cost", "adders"):
        raise ValueError(f"objective must be 'cost' or 'adders', got {objective!r}")
    W, lo, hi, in_depth = _validated(W, lo, hi, in_depth)
    W[(lo == 0) & (hi == 0)] = 0  # an input fixed at zero adds nothing (a pixel HGQ2 gave no bits)
    n_in = W.shape[0]
    floor = min_depth(W, in_depth)
    if max_depth is None:
        max_depth = floor + DEFAULT_DEPTH_SLACK
    elif max_depth < floor:
        raise ValueError(
            f"max_depth={max_depth} is below the minimum adder depth {floor} of this matrix "
            f"(an output with T signed-digit terms needs ceil(log2 T) levels); use max_depth >= {floor}"
        )

    depth_bound = min(max_depth, max(floor, MAX_KRAFT_DEPTH))
    U, col_index, col_shift, col_sign = unique_columns(W)
    if passes is None:
        passes = _default_passes(int(csd_digit_counts(U).sum()), depth_bound == floor and objective == "adders")
    skews = DEPTH_SKEWS[min(depth_bound - floor, 2) - 1] if passes > 1 and depth_bound > floor else (4,)
    room_share = MIN_DEPTH_ROOM if passes > 1 and depth_bound == floor else 0.0
    link_sets = [candidate_links(U)]
    if depth_bound == floor:  # no room for chains: every other pass ranks the best star of links first
        star = star_links(U, in_depth, depth_bound, link_sets[0])
        if not np.array_equal(star, link_sets[0]):
            link_sets.insert(0, star)
    def one_pass(salt):
        return _one_pass(U, lo, hi, in_depth, depth_bound, link_sets[salt % len(link_sets)], salt,
                         skews[salt % len(skews)], room_share)

    best = None
    for table, outs in _map_passes(one_pass, passes, threads):
        score = table.score(objective)
        if best is None or score < best[0]:
            best = score, table, outs
    _, table, (u_index, u_shift, u_sign) = best

    zero = col_index < 0
    safe = np.where(zero, 0, col_index)
    return AdderGraph(
        n_in=n_in,
        adders=table.used_adders(),
        out_index=np.where(zero, -1, u_index[safe]) if len(u_index) else col_index.copy(),
        out_shift=np.where(zero, 0, u_shift[safe] + col_shift) if len(u_index) else col_shift.copy(),
        out_sign=np.where(zero, 1, u_sign[safe] * col_sign) if len(u_index) else col_sign.copy(),
    )


def _default_passes(digits: int, min_adders: bool) -> int:
    """Passes that fit the work budget of a matrix with `digits` signed digits (more when `min_adders`:
    counting adders at the minimum depth)."""
    digits = max(digits, 1)
    if min_adders:
        budget = PASS_DIGITS + MIN_DEPTH_BONUS * max(0, MIN_DEPTH_RAMP - digits)
        return max(1, min(MIN_DEPTH_MAX_PASSES, budget // digits))
    return max(1, min(MAX_PASSES, PASS_DIGITS // digits))


def _map_passes(one_pass, passes: int, threads: int):
    """one_pass(salt) for each salt in order, on a shared pool of `threads` threads when it helps."""
    if threads < 2 or passes < 2:
        return map(one_pass, range(passes))
    if threads not in _pools:
        _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="da_core-solve")
    return _pools[threads].map(one_pass, range(passes))


def _one_pass(U, lo, hi, in_depth, depth_bound, links, salt, skew, room_share):
    """Stages 1-3 once, ties broken by `salt`: (signal table, (out_index, out_shift, out_sign)).
    links: candidate_links(U), shared by the passes; room_share > 0 prices Kraft room (MIN_DEPTH_ROOM)."""
    n_in = U.shape[0]
    parent, parent_sign, cap, diff = parents_from_links(U, in_depth, depth_bound, links, salt)
    term_sig, term_shift, term_sign, n_terms = csd_terms(diff)
    if n_in + 2 * n_terms.sum() >= MAX_SIGNALS:
        raise ValueError(
            f"matrix too large: {int(n_terms.sum())} signed digits, the solver handles up to {MAX_SIGNALS // 2}"
        )
    kraft_budget = np.where(parent < 0, 1 << cap, (1 << cap) - (1 << cap[np.maximum(parent, 0)]))
    room = 0
    if room_share > 0 and len(n_terms):
        live = np.arange(term_sig.shape[1]) < n_terms[:, None]
        kraft = np.where(live, 1 << in_depth[term_sig], 0).sum(axis=1)
        room = max(1, round(room_share * float(np.mean(kraft_budget - kraft))))
    table = SignalTable(lo, hi, in_depth, max_adders=int(n_terms.sum()) + len(parent))
    terms = extract_common_pairs(term_sig, term_shift, term_sign, n_terms, *table.arrays(), n_in, kraft_budget,
                                 salt, skew, room)
    return table, sum_outputs(*terms, parent, parent_sign, *table.arrays(), n_in)


def _validated(W, lo, hi, in_depth):
    W_in = np.asarray(W)
    if W_in.ndim != 2:
        raise ValueError(f"W must be a 2-D (n_in, n_out) matrix, got shape {W_in.shape}")
    if not np.issubdtype(W_in.dtype, np.integer) and not np.array_equal(W_in, np.round(W_in)):
        raise ValueError("W must hold integers (scale dyadic weights by a power of two first)")
    W = W_in.astype(np.int64)
    n_in = W.shape[0]
    lo = np.asarray(lo, dtype=np.int64).reshape(-1)
    hi = np.asarray(hi, dtype=np.int64).reshape(-1)
    if lo.shape != (n_in,) or hi.shape != (n_in,):
        raise ValueError(f"lo and hi need one entry per input ({n_in}), got {lo.shape} and {hi.shape}")
    if np.any(lo > hi):
        raise ValueError(f"input intervals must have lo <= hi; input {int(np.argmax(lo > hi))} does not")
    in_depth = np.zeros(n_in, dtype=np.int64) if in_depth is None else np.asarray(in_depth, dtype=np.int64).reshape(-1)
    if in_depth.shape != (n_in,) or np.any(in_depth < 0) or np.any(in_depth > MAX_IN_DEPTH):
        raise ValueError(f"in_depth needs one entry in 0..{MAX_IN_DEPTH} per input ({n_in})")
    x_max = [max(abs(int(a)), abs(int(b))) for a, b in zip(lo, hi)]
    w_max = [int(np.abs(W[i]).max(initial=0)) for i in range(n_in)]
    if sum(x << (w.bit_length() + 2) for x, w in zip(x_max, w_max)) >= _INT64_HEADROOM:
        raise ValueError("inputs and weights too wide: intermediate sums would not fit in 64-bit integers")
    return W, lo, hi, in_depth
