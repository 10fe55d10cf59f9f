"""Stage 2: share recurring pairs of signed-digit terms across outputs.

A pair ``±(a << h) ± (b << h+d)`` recurs wherever the same two signals meet at
the same relative shift d with the same relative sign. Each pick computes the
pair once (one adder) and substitutes it in every output where it fits, then
recounts only what the substitution touched. Picks are ranked by the cost
they save, ``(uses - 1) * width of the shared adder``, from a lazy max-heap.

Depth: every output keeps its Kraft sum Σ 2^depth over its live terms; the
final Huffman sum of an output reaches depth D exactly when that sum is at most
2^D, so a substitution is taken in an output only while it keeps the sum under
the output's budget.

Each term is a record (output, signal, shift, sign). A signal's records are
contiguous (all made at once), so the places a pair can occur are found from
the records of its rarer signal and an (output, signal, shift) -> record index.
Each output also lists its live terms packed into one int64 each, so the
recount after a substitution reads memory in order.
"""

import numba
import numpy as np

from da_core import hash_table as ht
from da_core import max_heap as mh
from da_core.pair_counts import SIG_BITS, add_counts, drop_counts, get_count, new_counts, pair_key, unpack_pair
from da_core.signals import add_adder, merge_cost

# Passes after the first scale each pair's weight by (NOISE_BASE + a hashed 0..NOISE_SPAN-1) / NOISE_BASE, a
# randomized greedy: table2.py N=16 at the minimum depth 423.3 -> 421.6 mean adders over 80 matrices.
NOISE_BASE = 16
NOISE_SPAN = 3
MAX_SIGNALS = 1 << SIG_BITS  # inputs + adders that the pair and term keys can name
# The heap drops its stale entries (pairs whose count fell below 2) in one sweep once it has popped 1/PURGE_EVERY
# of its size in stale entries since the last sweep: most entries die before they reach the top, and a pop each
# costs more than a sweep's share (table2.py N=16 at the minimum depth: 18.7 -> 15-16 ms of CPU). A sweep could
# change which pair wins an exact score tie; no graph changed (benchmarks/RESULTS.md, issue 14 second round).
PURGE_EVERY = 4

# columns of the record table
OUT, SIG, SHIFT, SIGN, POS, MARK = 0, 1, 2, 3, 4, 5  # POS: index in its output's list, -1 once gone


@numba.njit(cache=True, inline="always")
def _term_key(out, sig, shift) -> int:
    return (out << 30) | (sig << 6) | shift


@numba.njit(cache=True, inline="always")
def _packed_term(sig, shift, sign) -> int:
    return (sig << 7) | (shift << 1) | (1 if sign > 0 else 0)


@numba.njit(cache=True, inline="always")
def _terms_key(t1, t2) -> int:
    """Pair key of two packed terms: order_pair then pair_key, written with
    selects instead of branches (the recount's hottest line; the order of two
    terms is a coin flip for the branch predictor)."""
    first = ((((t1 >> 1) & 63) << SIG_BITS) | (t1 >> 7)) <= ((((t2 >> 1) & 63) << SIG_BITS) | (t2 >> 7))
    lo_t = t1 if first else t2
    hi_t = t2 if first else t1
    d = ((hi_t >> 1) & 63) - ((lo_t >> 1) & 63)
    return ((lo_t >> 7) << 31) | ((hi_t >> 7) << 7) | (d << 1) | (1 - ((t1 ^ t2) & 1))


@numba.njit(cache=True, inline="always")
def _saving(uses, width, key, salt) -> int:
    """Cost saved by computing a pair once for `uses` places instead of in each,
    in the high bits (perturbed a little when salt > 0); the low bits break ties
    by a hash of the pair and `salt`, so passes explore different greedy paths."""
    h = (((key + salt) * 2654435761) >> 16) & 255
    scale = NOISE_BASE + (h % NOISE_SPAN if salt > 0 else 0)
    return ((uses - 1) * width * scale << 8) | h


@numba.njit(cache=True, inline="always")
def _weight(a_lo, a_hi, a_depth, b_lo, b_hi, b_depth, d, s, skew, room) -> int:
    """What one use of a pair saves, in quarters of its adder's width: times skew / 4 when
    the operands' depths differ (that pair spends the output's depth room), or, when room > 0,
    times room / (room + growth), growth being what one use adds to its output's Kraft sum:
    the scarcer the room, the more a pair that spends much of it must save."""
    width = merge_cost(a_lo, a_hi, b_lo, b_hi, d, s)
    if a_depth == b_depth:
        return 4 * width
    if room > 0:
        growth = (1 << (max(a_depth, b_depth) + 1)) - (1 << a_depth) - (1 << b_depth)
        return 4 * width * room // (room + growth)
    return skew * width


@numba.njit(cache=True)
def _index_terms(term_sig, term_shift, term_sign, n_terms, n_in, n_signals, depth):
    """Records of the initial terms (grouped by input), each output's live
    list, Kraft sums and the (output, signal, shift) -> record table."""
    n_out = len(n_terms)
    n_rec = n_terms.sum()
    rec = np.zeros((2 * n_rec + 16, 6), dtype=np.int64)  # substitutions at most add n_rec records
    sig_range = np.zeros((n_signals, 2), dtype=np.int64)
    for j in range(n_out):
        for t in range(n_terms[j]):
            sig_range[term_sig[j, t], 1] += 1
    start = 0
    for s in range(n_in):
        size = sig_range[s, 1]
        sig_range[s, 0], sig_range[s, 1] = start, start
        start += size
    t_cap = max(1, term_sig.shape[1])
    out_rec = np.zeros((n_out, t_cap), dtype=np.int64)
    out_term = np.zeros((n_out, t_cap), dtype=np.int64)
    out_len = np.zeros(n_out, dtype=np.int64)
    kraft = np.zeros(n_out, dtype=np.int64)
    terms = ht.new_table(n_rec + 16, -1)
    for j in range(n_out):
        for t in range(n_terms[j]):
            s, shift, sign = term_sig[j, t], term_shift[j, t], term_sign[j, t]
            r = sig_range[s, 1]
            sig_range[s, 1] += 1
            rec[r, OUT], rec[r, SIG], rec[r, SHIFT], rec[r, SIGN], rec[r, POS] = j, s, shift, sign, out_len[j]
            out_rec[j, out_len[j]] = r
            out_term[j, out_len[j]] = _packed_term(s, shift, sign)
            out_len[j] += 1
            kraft[j] += 1 << depth[s]
            ht.put(terms, _term_key(j, s, shift), r)
    return rec, sig_range, out_rec, out_term, out_len, kraft, terms


@numba.njit(cache=True)
def _count_pairs(out_term, out_len, n_in, n_shifts):
    """Occurrences of every pair key, counted once per pair of terms in an output."""
    dense, pairs = new_counts(n_in, n_shifts, out_len.sum() + 16)
    keys = np.zeros(out_term.shape[1], dtype=np.int64)
    for j in range(len(out_len)):
        n = out_len[j]
        pairs = ht.reserved(pairs, 0 if dense.shape[0] == n_in else n * (n - 1) // 2)
        for p in range(n):
            for q in range(p + 1, n):
                keys[q - p - 1] = _terms_key(out_term[j, p], out_term[j, q])
            add_counts(dense, pairs, keys, n - p - 1, 1)
    return dense, pairs


@numba.njit(cache=True)
def _initial_heap(dense, pairs, lo, hi, depth, salt, skew, room):
    """Every pair that occurs at least twice, scored by its saving."""
    n_cand = 0
    for a in range(dense.shape[0]):
        for b in range(dense.shape[1]):
            for d in range(dense.shape[2]):
                for k in range(2):
                    n_cand += dense[a, b, d, k] >= 2
    for i in range(ht.capacity(pairs)):
        n_cand += pairs[i, 0] != ht.EMPTY and pairs[i, 1] >= 2
    heap, h_size = mh.new_heap(2 * n_cand + 16)
    for a in range(dense.shape[0]):
        for b in range(dense.shape[1]):
            for d in range(dense.shape[2]):
                for k in range(2):
                    if dense[a, b, d, k] >= 2:
                        s = 2 * k - 1
                        heap[h_size[0], 0] = _saving(
                            dense[a, b, d, k],
                            _weight(lo[a], hi[a], depth[a], lo[b], hi[b], depth[b], d, s, skew, room),
                            pair_key(a, b, d, s),
                            salt,
                        )
                        heap[h_size[0], 1] = pair_key(a, b, d, s)
                        h_size[0] += 1
    for i in range(ht.capacity(pairs)):
        if pairs[i, 0] != ht.EMPTY and pairs[i, 1] >= 2:
            a, b, d, s = unpack_pair(pairs[i, 0])
            weight = _weight(lo[a], hi[a], depth[a], lo[b], hi[b], depth[b], d, s, skew, room)
            score = _saving(pairs[i, 1], weight, pairs[i, 0], salt)
            mh.push(heap, h_size, score, pairs[i, 0])
    mh.heapify(heap, h_size)
    return heap, h_size


@numba.njit(cache=True)
def _drop_stale(heap, h_size, dense, pairs) -> None:
    """Keep only the heap entries whose pair still occurs at least twice."""
    n = 0
    for i in range(h_size[0]):
        if get_count(dense, pairs, heap[i, 1]) >= 2:
            heap[n, 0], heap[n, 1] = heap[i, 0], heap[i, 1]
            n += 1
    h_size[0] = n
    mh.heapify(heap, h_size)


@numba.njit(cache=True)
def _find_occurrences(a, b, d, s, pick, rec, sig_range, terms, kraft, kraft_budget, depth, occ) -> int:
    """Fill occ with (record of a, record of b) wherever the pair is live,
    unclaimed by this pick, and fits its output's depth budget; returns how many."""
    n_occ = 0
    from_b = sig_range[b, 1] - sig_range[b, 0] < sig_range[a, 1] - sig_range[a, 0]
    scan = b if from_b else a
    growth = (1 << (max(depth[a], depth[b]) + 1)) - (1 << depth[a]) - (1 << depth[b])
    for r in range(sig_range[scan, 0], sig_range[scan, 1]):
        if rec[r, POS] < 0 or rec[r, MARK] == pick:
            continue
        j = rec[r, OUT]
        if from_b:
            if rec[r, SHIFT] < d:
                continue
            other = ht.get(terms, _term_key(j, a, rec[r, SHIFT] - d))
            r1, r2 = other, r
        else:
            other = ht.get(terms, _term_key(j, b, rec[r, SHIFT] + d))
            r1, r2 = r, other
        if other < 0 or rec[other, MARK] == pick or rec[r2, SIGN] != s * rec[r1, SIGN]:
            continue
        if kraft[j] + growth > kraft_budget[j]:
            continue
        kraft[j] += growth  # held while scanning, so two uses in one output both count
        rec[r1, MARK], rec[r2, MARK] = pick, pick
        occ[n_occ, 0], occ[n_occ, 1] = r1, r2
        n_occ += 1
    for k in range(n_occ):
        kraft[rec[occ[k, 0], OUT]] -= growth
    return n_occ


@numba.njit(cache=True)
def _remove_term(r, rec, out_rec, out_term, out_len, kraft, depth, dense, pairs, terms, keys):
    """Take record r out of its output and uncount its pairs."""
    j, pos = rec[r, OUT], rec[r, POS]
    term = out_term[j, pos]
    n = 0
    for p in range(out_len[j]):
        if p != pos:
            keys[n] = _terms_key(term, out_term[j, p])
            n += 1
    drop_counts(dense, pairs, keys, n)
    last = out_len[j] - 1
    out_rec[j, pos], out_term[j, pos] = out_rec[j, last], out_term[j, last]
    rec[out_rec[j, pos], POS] = pos
    out_len[j] = last
    rec[r, POS] = -1
    kraft[j] -= 1 << depth[rec[r, SIG]]
    ht.put(terms, _term_key(j, rec[r, SIG], rec[r, SHIFT]), -1)


@numba.njit(cache=True)
def _add_term(r, rec, out_rec, out_term, out_len, kraft, depth, terms, new_keys, n_new):
    """Put record r into its output; its pairs' keys go to new_keys, to be
    counted once the whole substitution is done. Returns (new_keys, n_new)."""
    j = rec[r, OUT]
    term = _packed_term(rec[r, SIG], rec[r, SHIFT], rec[r, SIGN])
    n = out_len[j]
    if n_new + n > len(new_keys):
        new_keys = np.concatenate((new_keys, np.zeros(n_new + n, dtype=np.int64)))
    for p in range(n):
        new_keys[n_new + p] = _terms_key(term, out_term[j, p])
    rec[r, POS] = n
    out_rec[j, n], out_term[j, n] = r, term
    out_len[j] = n + 1
    kraft[j] += 1 << depth[rec[r, SIG]]
    ht.put(terms, _term_key(j, rec[r, SIG], rec[r, SHIFT]), r)
    return new_keys, n_new + n


@numba.njit(cache=True, nogil=True)
def extract_common_pairs(
    term_sig, term_shift, term_sign, n_terms, adders, lo, hi, depth, count, n_in, kraft_budget, salt=0, skew=4, room=0
):
    """Greedy pair sharing over all outputs; appends the shared adders to the
    signal table and returns the outputs' remaining terms in the same layout
    as csd_terms (term_sig, term_shift, term_sign, n_terms). kraft_budget[j]
    bounds output j's Kraft sum (2^depth bound, less any room reserved)."""
    rec, sig_range, out_rec, out_term, out_len, kraft, terms = _index_terms(
        term_sig, term_shift, term_sign, n_terms, n_in, len(lo), depth
    )
    n_rec = n_terms.sum()
    n_shifts = 1
    for j in range(len(n_terms)):
        for t in range(n_terms[j]):
            n_shifts = max(n_shifts, term_shift[j, t] + 1)
    dense, pairs = _count_pairs(out_term, out_len, n_in, n_shifts)
    heap, h_size = _initial_heap(dense, pairs, lo, hi, depth, salt, skew, room)

    occ = np.zeros((n_rec + 1, 2), dtype=np.int64)
    keys = np.zeros(term_sig.shape[1] + 1, dtype=np.int64)  # scratch for one output's pair keys
    new_keys = np.zeros(1024, dtype=np.int64)
    scratch = ht.new_table(1024, 0)  # tallies new_keys
    used = np.zeros(len(scratch), dtype=np.int64)
    pick = 0
    n_stale = 0  # stale pops since the last sweep
    while h_size[0] > 0:
        # the top entry stays in place until taken: a lowered score replaces it (one short sift-down), and
        # the rest of the heap's best is then the best of the top's children
        key = heap[0, 1]
        uses = get_count(dense, pairs, key)
        if uses < 2:
            mh.pop(heap, h_size)
            n_stale += 1
            if n_stale * PURGE_EVERY > h_size[0]:
                _drop_stale(heap, h_size, dense, pairs)
                n_stale = 0
            continue
        a, b, d, s = unpack_pair(key)
        width = _weight(lo[a], hi[a], depth[a], lo[b], hi[b], depth[b], d, s, skew, room)
        bound = _saving(uses, width, key, salt)
        if bound < mh.second_score(heap, h_size):
            mh.replace_top(heap, h_size, bound, key)
            continue
        pick += 1
        n_occ = _find_occurrences(a, b, d, s, pick, rec, sig_range, terms, kraft, kraft_budget, depth, occ)
        if n_occ < 2:
            mh.pop(heap, h_size)
            continue  # back in the heap when its count grows
        actual = _saving(n_occ, width, key, salt)
        if actual < mh.second_score(heap, h_size):
            mh.replace_top(heap, h_size, actual, key)
            continue
        mh.pop(heap, h_size)

        # build the pair once and substitute it: take out every used pair of
        # terms first, then put the new terms in and count their pairs at once
        new_sig = add_adder(adders, lo, hi, depth, count, n_in, a, b, d, s)
        terms = ht.reserved(terms, n_occ)
        for k in range(n_occ):
            for r in (occ[k, 0], occ[k, 1]):
                _remove_term(r, rec, out_rec, out_term, out_len, kraft, depth, dense, pairs, terms, keys)
        sig_range[new_sig, 0] = n_rec
        n_new = 0
        for k in range(n_occ):
            r1 = occ[k, 0]
            rec[n_rec, OUT], rec[n_rec, SIG] = rec[r1, OUT], new_sig
            rec[n_rec, SHIFT], rec[n_rec, SIGN] = rec[r1, SHIFT], rec[r1, SIGN]
            new_keys, n_new = _add_term(n_rec, rec, out_rec, out_term, out_len, kraft, depth, terms, new_keys, n_new)
            n_rec += 1
        sig_range[new_sig, 1] = n_rec
        # keep and offer the new pairs that occur at least twice
        if 2 * n_new > ht.capacity(scratch):
            scratch = ht.new_table(n_new, 0)
            used = np.zeros(len(scratch), dtype=np.int64)
        size = 16
        while size < 2 * n_new:
            size *= 2
        tallies = scratch[: size + 1]  # the smallest table that fits: its probes stay in cache (same order of keys)
        pairs = ht.reserved(pairs, n_new // 2)
        heap = mh.reserved(heap, h_size, n_new // 2)
        for t in range(ht.tally(tallies, new_keys, n_new, used)):  # an index loop: iterating a slice refcounts
            i = used[t]
            key, uses = tallies[i, 0], tallies[i, 1]
            tallies[i, 0], tallies[i, 1] = ht.EMPTY, 0
            if uses >= 2:
                ht.put(pairs, key, uses)
                pa, pb, pd, ps = unpack_pair(key)
                score = _saving(
                    uses, _weight(lo[pa], hi[pa], depth[pa], lo[pb], hi[pb], depth[pb], pd, ps, skew, room), key, salt
                )
                mh.push(heap, h_size, score, key)

    left_sig = np.zeros_like(term_sig)
    left_shift = np.zeros_like(term_sig)
    left_sign = np.zeros_like(term_sig)
    for j in range(len(out_len)):
        for p in range(out_len[j]):
            r = out_rec[j, p]
            left_sig[j, p], left_shift[j, p], left_sign[j, p] = rec[r, SIG], rec[r, SHIFT], rec[r, SIGN]
    return left_sig, left_shift, left_sign, out_len
