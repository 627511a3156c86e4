"""Dice similarity of packed Bloom filters: pairs, dense many-to-many, and name part sets.

Contract
--------
* Filters are ``numpy.uint8`` matrices, one row per filter, packed as in :mod:`linkage.bloom`; all
  rows compared with each other have the same width (any number of bytes; rows are zero-padded to
  whole 64-bit words internally, which changes no count).
* ``Dice(x, y) = 2 |x & y| / (|x| + |y|)`` computed in float64 from exact counts and returned
  rounded once to float32; two empty filters have Dice 0.0.
* :func:`dice_all_pairs` reports exactly the pairs whose float32 Dice (the value
  :func:`dice_pairs` returns for them) is ``>= float32(threshold)``, sorted by ``(ia, ib)``; the
  result does not depend on the number of threads. Pruning (a popcount window; after a number of
  words chosen on a sample, the bound ``partial |a&b| + min(rest |a|, rest |b|)``) only discards
  pairs that provably fail the threshold.
* Name fields are sets of part filters, scored by :func:`part_set_dice` in three steps:

  1. **Chance-corrected Dice of two parts**: with counts ``|x|``, ``|y|``, ``I = |x & y|`` and
     ``E = |x| |y| / num_bits`` (the overlap two unrelated filters of those counts have on
     average), ``c = max(0, (2 I - 2 E) / (|x| + |y| - 2 E))``: 1 for identical parts, about 0
     for unrelated ones whatever their fill. Plain Dice is not: two long, nearly full part
     filters share most bits by chance (``kamalisarvestani`` / ``mirhazar`` 0.76), which put
     unrelated long names above short spelling variants.
  2. **Best match of each part**, in each direction, over the single parts of the other record
     and over the union (bitwise or) of any two of them, so that a compound written as one word
     on one side and as two parts on the other (``shahrokh`` / ``shah`` + ``rokh``) still finds
     its match. Without chance correction a union, fuller than a part, would flatter any part.
  3. **Set score** from the mean best match over A (``forward``) and over B (``backward``):
     ``0.85 * max(forward, backward) + 0.15 * min(forward, backward)``. A record whose parts all
     appear in the other (a missing or an extra part: given name only, a grandfather's name
     added) scores at least 0.85, close to a match but below identical sets (1.0).

  The score is symmetric, ignores the order of parts and padding slots, and is NaN when either
  record has no part.
* Every fast kernel has a plain Python reference next to it (``*_reference``), tested equal.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from ._lanes import GROUP as _GROUP
from ._lanes import LANES as _LANES
from ._lanes import count_lanes as _count_lanes
from ._lanes import lane_blocks as _lane_blocks
from ._lanes import popcnt as _popcnt

__all__ = ["popcounts", "dice_pairs", "dice_all_pairs", "part_set_dice",
           "dice_pairs_reference", "dice_all_pairs_reference", "part_set_dice_reference"]

_TILE = 256  # columns of ``b`` scanned per pass; a tile of 1024-bit rows (32 KiB) stays in L1 for a chunk
_CHUNK_ROWS = 32  # rows of ``a`` sharing one tile of ``b``; also the unit of parallel work and of output
_SAMPLE_PAIRS = 2048  # random pairs on which the checkpoint is chosen
_SHIFT = 18  # fixed-point bits of the pruning test ``U * 2**18 >= tq * (|a| + |b|)``, tq ~ threshold * 2**17


def _as_words(filters: np.ndarray, name: str) -> np.ndarray:
    """A (rows, words) uint64 view of a uint8 filter matrix, or a zero-padded copy if needed."""
    if not isinstance(filters, np.ndarray) or filters.dtype != np.uint8 or filters.ndim != 2:
        raise TypeError(f"'{name}' must be a 2-d numpy uint8 array of packed filters")
    rows, width = filters.shape
    if width % 8 == 0 and filters.flags.c_contiguous:
        return filters.view(np.uint64)
    padded = np.zeros((rows, -(-width // 8) * 8), np.uint8)
    padded[:, :width] = filters
    return padded.view(np.uint64)


def _as_index(index: np.ndarray, rows: int, name: str) -> np.ndarray:
    """Row numbers as int64, checked to lie in ``[0, rows)``."""
    index = np.asarray(index)
    if index.ndim != 1 or not (np.issubdtype(index.dtype, np.integer) or index.size == 0):
        raise TypeError(f"'{name}' must be a 1-d integer array")
    index = index.astype(np.int64, copy=False)
    if index.size and (index.min() < 0 or index.max() >= rows):
        raise IndexError(f"'{name}' holds a row number outside [0, {rows})")
    return index


def _check_width(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"filters of one field must have one width, got {a.shape[-1]} and {b.shape[-1]} bytes")


def _check_pairs(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Same filter width on both sides and two index arrays of one length into ``a`` and ``b``."""
    _check_width(a, b)
    ia, ib = _as_index(ia, len(a), "ia"), _as_index(ib, len(b), "ib")
    if ia.shape != ib.shape:
        raise ValueError(f"'ia' and 'ib' must have one length, got {len(ia)} and {len(ib)}")
    return ia, ib


@numba.njit(cache=True, parallel=True, boundscheck=False)
def _popcounts_kernel(words: np.ndarray) -> np.ndarray:
    out = np.empty(words.shape[0], np.int32)
    for i in prange(words.shape[0]):
        row = words[i]
        total = 0
        for w in range(row.shape[0]):
            total += _popcnt(row[w])
        out[i] = total
    return out


def popcounts(filters: np.ndarray) -> np.ndarray:
    """Number of set bits of every row of a packed uint8 filter matrix, as int32."""
    return _popcounts_kernel(_as_words(filters, "filters"))


@numba.njit(cache=True, parallel=True, boundscheck=False)
def _dice_pairs_kernel(a: np.ndarray, pa: np.ndarray, b: np.ndarray, pb: np.ndarray, ia: np.ndarray,
                       ib: np.ndarray) -> np.ndarray:
    out = np.empty(ia.shape[0], np.float32)
    for k in prange(ia.shape[0]):
        x = a[ia[k]]
        y = b[ib[k]]
        both = 0
        for w in range(x.shape[0]):
            both += _popcnt(x[w] & y[w])
        total = pa[ia[k]] + pb[ib[k]]
        out[k] = np.float32(2.0 * both / total) if total > 0 else np.float32(0.0)
    return out


def dice_pairs(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Dice of ``a[ia[k]]`` and ``b[ib[k]]`` for every ``k``, as float32 (``a`` may be ``b``).

    Each call counts the bits of every row of ``a`` and ``b`` once (and copies them when the width
    is not a multiple of 8 bytes), so pass many pairs per call rather than a few.
    """
    words_a = _as_words(a, "a")
    words_b = words_a if b is a else _as_words(b, "b")
    ia, ib = _check_pairs(a, b, ia, ib)
    pa = _popcounts_kernel(words_a).astype(np.int64)
    pb = pa if words_b is words_a else _popcounts_kernel(words_b).astype(np.int64)
    return _dice_pairs_kernel(words_a, pa, words_b, pb, ia, ib)


@numba.njit(cache=True, boundscheck=False, inline="always")
def _scan(arow: np.ndarray, pa_r: int, rest_a: np.ndarray, blocks: np.ndarray, bs: np.ndarray, pb: np.ndarray,
          rest_b: np.ndarray, cut_b: np.ndarray, jl: int, jh: int, cps: np.ndarray, tq: int, t32: np.float32,
          s: np.ndarray, flags: np.ndarray, hits: np.ndarray, id_a: int, order_b: np.ndarray,
          self_join: bool, out_i: np.ndarray, out_j: np.ndarray, out_d: np.ndarray, start: int, cap: int,
          count: int) -> int:
    """Compare one row of ``a`` with sorted columns ``jl:jh`` of ``b``; returns the updated ``count``.

    Words are counted dense, 8 columns a vector from the lane ``blocks`` (``s[off + j]`` counts
    column ``jl + j``; whole groups of blocks are counted, the extra columns are ignored), up to a
    checkpoint of ``cps``; there a column survives while ``partial |a&b| + min(rest |a|, rest |b|)``
    (the largest intersection still possible) can reach the threshold. If at most a quarter
    survive, they are finished one by one on the row-major ``bs``; else the dense count goes on.
    """
    width = jh - jl
    words = arow.shape[0]
    need_a = tq * pa_r
    c0 = jl // _LANES
    off = jl - c0 * _LANES
    span = -(-(off + width) // (_LANES * _GROUP)) * (_LANES * _GROUP)
    s[:span] = 0
    done = 0
    for k in range(cps.shape[0]):
        stop = cps[k]
        for g in range(0, span, _LANES * _GROUP):
            _count_lanes(s, g, arow, done, stop, blocks, c0 + g // _LANES)
        rest_ak = rest_a[k]
        rest_bk = rest_b[k, jl:jh]
        cut = cut_b[jl:jh]
        alive = 0
        low = need_a - 1
        for j in range(width):
            both = s[off + j]
            keep = (both << _SHIFT) + min(rest_ak, rest_bk[j]) > low + cut[j]
            flags[j] = keep
            alive += keep
        done = stop
        if alive == 0:
            return count
        if stop < words and 4 * alive > width:
            continue
        for j in range(width, -(-width // 4) * 4):
            flags[j] = 0
        found = 0
        for g in range(0, width, 4):
            if flags[g] | flags[g + 1] | flags[g + 2] | flags[g + 3]:
                for j in range(g, g + 4):
                    hits[found] = j
                    found += flags[j]
                if found == alive:
                    break
        for h in range(alive):
            jj = jl + hits[h]
            both = s[off + hits[h]]
            row = bs[jj]
            for w in range(stop, words):
                both += _popcnt(arow[w] & row[w])
            total = pa_r + pb[jj]
            dice = np.float32(2.0 * both / total) if total > 0 else np.float32(0.0)
            if dice >= t32:
                if count < cap:
                    id_b = order_b[jj]
                    swap = self_join and id_b < id_a
                    out_i[start + count] = id_b if swap else id_a
                    out_j[start + count] = id_a if swap else id_b
                    out_d[start + count] = dice
                count += 1
        return count
    return count


@numba.njit(cache=True, parallel=True, boundscheck=False)
def _all_pairs_kernel(sa: np.ndarray, pa: np.ndarray, rest_a: np.ndarray, blocks: np.ndarray, bs: np.ndarray,
                      pb: np.ndarray, rest_b: np.ndarray, cut_b: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                      order_a: np.ndarray, order_b: np.ndarray, cps: np.ndarray, tq: int, t32: np.float32,
                      self_join: bool, chunks: np.ndarray, starts: np.ndarray, caps: np.ndarray, workers: int,
                      out_i: np.ndarray, out_j: np.ndarray, out_d: np.ndarray) -> np.ndarray:
    """Scan the listed chunks of rows of ``sa``; chunk ``q`` writes at most ``caps[q]`` results from
    ``starts[q]`` and its true count goes to ``counts[q]``. Workers take chunks round-robin."""
    n = sa.shape[0]
    counts = np.zeros(chunks.shape[0], np.int64)
    for worker in prange(workers):
        s = np.empty(_TILE + _LANES * _GROUP, np.int64)
        flags = np.zeros(_TILE + 4, np.int64)
        hits = np.empty(_TILE + 8, np.int64)
        for q in range(worker, chunks.shape[0], workers):
            r0 = chunks[q] * _CHUNK_ROWS
            r1 = min(n, r0 + _CHUNK_ROWS)
            count = 0
            for j0 in range(lo[r0:r1].min() // _LANES * _LANES, hi[r0:r1].max(), _TILE):  # tiles of whole blocks
                for r in range(r0, r1):
                    jl = max(j0, lo[r])
                    jh = min(j0 + _TILE, hi[r])
                    if jl < jh:
                        count = _scan(sa[r], pa[r], rest_a[r], blocks, bs, pb, rest_b, cut_b, jl, jh, cps, tq, t32, s,
                                      flags, hits, order_a[r], order_b, self_join, out_i, out_j, out_d,
                                      starts[q], caps[q], count)
            counts[q] = count
    return counts


def _word_counts(words: np.ndarray) -> np.ndarray:
    """Popcount of every 64-bit word: (rows, words) int32."""
    return _popcounts_kernel(np.ascontiguousarray(words).reshape(-1, 1)).reshape(words.shape)


def _rest_counts(words: np.ndarray, cps: np.ndarray) -> np.ndarray:
    """Popcount of words ``cps[k]:`` of every row, shifted left by ``_SHIFT``: (len(cps), rows) int64."""
    counts = _word_counts(words)
    return np.stack([counts[:, stop:].sum(1, dtype=np.int64) << _SHIFT for stop in cps.tolist()])


def _schedule(sa: np.ndarray, spa: np.ndarray, sb: np.ndarray, spb: np.ndarray, tq: int) -> np.ndarray:
    """Checkpoints: the word count after which to test the bound, chosen on a sample of pairs.

    The cost model, in dense word-comparisons per pair, is ``c + 1 + survivors(c) * (130 + 2 *
    (words - c))``: a survivor costs about 130 dense words (measured: a scattered row, mispredicted
    branches). At threshold 0.8 on half-full filters it picks half the words, at 0.6 nearly all of
    them. Only speed depends on this choice, never the result.
    """
    words = sa.shape[1]
    rng = np.random.default_rng(0)
    ia = rng.integers(0, len(sa), _SAMPLE_PAIRS)
    ib = rng.integers(0, len(sb), _SAMPLE_PAIRS)
    total = spa[ia] + spb[ib]
    feasible = (np.minimum(spa[ia], spb[ib]) << _SHIFT) >= tq * total  # pairs the popcount window keeps
    if not feasible.any():
        return np.array([words], np.int64)
    x, y, total = sa[ia[feasible]], sb[ib[feasible]], total[feasible]
    both, only_a, only_b = _word_counts(x & y), _word_counts(x), _word_counts(y)
    candidates = np.unique(np.linspace(1, words, min(words, 64)).astype(np.int64))
    best, best_cost = words, float("inf")
    for stop in candidates.tolist():
        bound = both[:, :stop].sum(1) + np.minimum(only_a[:, stop:].sum(1), only_b[:, stop:].sum(1))
        survive = float(np.mean((bound << _SHIFT) >= tq * total))
        cost = stop + 1 + survive * (130 + 2 * (words - stop))
        if cost < best_cost:
            best, best_cost = stop, cost
    return np.array([best, words] if best < words else [words], np.int64)


def _window(pa: np.ndarray, pb_sorted: np.ndarray, tq: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions ``lo:hi`` of the popcounts ``|b|`` with ``2 min(|a|,|b|) / (|a|+|b|)`` above the cut."""
    scale = 1 << _SHIFT
    if tq <= 0:
        return np.zeros(len(pa), np.int64), np.full(len(pa), len(pb_sorted), np.int64)
    low = -(-(tq * pa) // (scale - tq))
    high = (pa * (scale - tq)) // tq
    return (np.searchsorted(pb_sorted, low, "left").astype(np.int64),
            np.searchsorted(pb_sorted, high, "right").astype(np.int64))


def dice_all_pairs(a: np.ndarray, b: np.ndarray | None = None, *,
                   threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair with Dice >= ``threshold``: ``(ia int64, ib int64, dice float32)`` sorted by (ia, ib).

    With ``b`` None, pairs within ``a`` with ``ia < ib``. The dense path for inputs small enough to
    skip blocking: work is at most ``len(a) * len(b)`` comparisons, usually far less after pruning.
    """
    threshold = float(threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"'threshold' must be in [0, 1], got {threshold}")
    self_join = b is None
    words_a = _as_words(a, "a")
    words_b = words_a if self_join else _as_words(b, "b")
    _check_width(a, a if self_join else b)
    n, m = len(words_a), len(words_b)
    if n == 0 or m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    t32 = np.float32(threshold)
    tq = int(np.floor((float(t32) - 2.0**-20) * 2 ** (_SHIFT - 1)))  # keep iff U * 2**SHIFT >= tq * (|a|+|b|)
    pa = _popcounts_kernel(words_a).astype(np.int64)
    order_a = np.argsort(pa, kind="stable")
    sa, spa = words_a[order_a], pa[order_a]
    order_b, sb, spb = order_a, sa, spa
    if not self_join:
        pb = _popcounts_kernel(words_b).astype(np.int64)
        order_b = np.argsort(pb, kind="stable")
        sb, spb = words_b[order_b], pb[order_b]
    cps = _schedule(sa, spa, sb, spb, tq)
    rest_a = _rest_counts(sa, cps)
    rest_b = rest_a if self_join else _rest_counts(sb, cps)
    lo, hi = _window(spa, spb, tq)
    if self_join:
        lo = np.maximum(lo, np.arange(1, n + 1))
    args = (sa, spa, np.ascontiguousarray(rest_a.T), _lane_blocks(sb), sb, spb, rest_b, tq * spb, lo, hi,
            order_a, order_b, cps, tq, t32, self_join)

    def run(chunks: np.ndarray, caps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        size = int(caps.sum())
        out = np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.float32)
        starts = np.cumsum(caps) - caps
        workers = max(1, min(numba.get_num_threads(), len(chunks)))
        return _all_pairs_kernel(*args, chunks, starts, caps, workers, *out), *out

    chunks = np.arange(-(-n // _CHUNK_ROWS), dtype=np.int64)
    cap = 4 * _CHUNK_ROWS  # room per chunk; a chunk with more results is scanned again with exact room
    counts, *found = run(chunks, np.full(len(chunks), cap, np.int64))
    fits = counts <= cap
    keep = ((np.arange(cap) < counts[:, None]) & fits[:, None]).ravel()
    parts = [[column[keep] for column in found]]
    if not fits.all():
        parts.append(run(chunks[~fits], counts[~fits])[1:])
    ia, ib, dice = (np.concatenate(columns) for columns in zip(*parts))
    order = np.argsort(ia * m + ib, kind="stable")
    return ia[order], ib[order], dice[order]


#: Weight of the better direction in the part-set score (module docstring); the other gets the rest.
SUBSET_WEIGHT = 0.85


@numba.njit(cache=True, boundscheck=False, inline="always")
def _corrected_dice(both: int, count_a: int, count_b: int, num_bits: float, exponent: float, floor: float) -> float:
    """Chance-corrected Dice of two filters from their counts (module docstring), in [0, 1]; for
    diffused filters (``exponent = 1 / t``) that of their inputs, estimated above the noise
    ``floor`` (:func:`linkage.diffusion.input_corrected`)."""
    expected = count_a * count_b / num_bits
    denominator = count_a + count_b - 2.0 * expected
    if denominator <= 0.0:  # both filters empty or both full
        return 1.0 if both == count_a and both == count_b and count_a > 0 else 0.0
    corrected = max(0.0, (2.0 * both - 2.0 * expected) / denominator)
    if exponent == 1.0:
        return corrected
    return (max(0.0, corrected - floor) / (1.0 - floor)) ** exponent


@numba.njit(cache=True, boundscheck=False)
def _unions(rows: np.ndarray, present: np.ndarray, out: np.ndarray, counts: np.ndarray) -> int:
    """The unions of every two present rows into ``out`` (their popcounts into ``counts``); how many."""
    n = 0
    for q in range(rows.shape[0]):
        if not present[q]:
            continue
        for r in range(q + 1, rows.shape[0]):
            if not present[r]:
                continue
            total = 0
            for w in range(rows.shape[1]):
                u = rows[q, w] | rows[r, w]
                out[n, w] = u
                total += _popcnt(u)
            counts[n] = total
            n += 1
    return n


@numba.njit(cache=True, boundscheck=False)
def _side_mean(xs: np.ndarray, present: np.ndarray, count: np.ndarray, best: np.ndarray, unions: np.ndarray,
               union_count: np.ndarray, n_unions: int, num_bits: float, exponent: float,
               floor: float) -> tuple[float, int]:
    """Sum over the present rows of ``xs`` of their best match (``best`` raised by the unions), and how many."""
    total, rows = 0.0, 0
    for p in range(xs.shape[0]):
        if not present[p]:
            continue
        b = best[p]
        for u in range(n_unions):
            if b >= 1.0:
                break
            if _corrected_dice(min(count[p], union_count[u]), count[p], union_count[u], num_bits, exponent,
                               floor) <= b:
                continue  # not even a full overlap could beat the best match
            both = 0
            for w in range(xs.shape[1]):
                both += _popcnt(xs[p, w] & unions[u, w])
            b = max(b, _corrected_dice(both, count[p], union_count[u], num_bits, exponent, floor))
        total += b
        rows += 1
    return total, rows


@numba.njit(cache=True, parallel=True, boundscheck=False)
def _part_set_kernel(a: np.ndarray, present_a: np.ndarray, count_a: np.ndarray, b: np.ndarray,
                     present_b: np.ndarray, count_b: np.ndarray, ia: np.ndarray, ib: np.ndarray,
                     num_bits: float, exponent: float, floor: float, unions: bool) -> np.ndarray:
    out = np.empty(ia.shape[0], np.float32)
    block = 1024
    words = a.shape[2]
    for first in prange(-(-ia.shape[0] // block)):
        row_best = np.empty(a.shape[1], np.float64)
        column_best = np.empty(b.shape[1], np.float64)
        unions_a = np.empty((a.shape[1] * (a.shape[1] - 1) // 2, words), np.uint64)
        unions_b = np.empty((b.shape[1] * (b.shape[1] - 1) // 2, words), np.uint64)
        union_count_a = np.empty(unions_a.shape[0], np.int64)
        union_count_b = np.empty(unions_b.shape[0], np.int64)
        for k in range(first * block, min(ia.shape[0], (first + 1) * block)):
            i, j = ia[k], ib[k]
            row_best[:] = 0.0
            column_best[:] = 0.0
            for p in range(a.shape[1]):
                if not present_a[i, p]:
                    continue
                for q in range(b.shape[1]):
                    if not present_b[j, q]:
                        continue
                    both = 0
                    for w in range(words):
                        both += _popcnt(a[i, p, w] & b[j, q, w])
                    dice = _corrected_dice(both, count_a[i, p], count_b[j, q], num_bits, exponent, floor)
                    row_best[p] = max(row_best[p], dice)
                    column_best[q] = max(column_best[q], dice)
            n_a = _unions(a[i], present_a[i], unions_a, union_count_a) if unions else 0
            n_b = _unions(b[j], present_b[j], unions_b, union_count_b) if unions else 0
            forward, rows = _side_mean(a[i], present_a[i], count_a[i], row_best, unions_b, union_count_b, n_b,
                                       num_bits, exponent, floor)
            backward, columns = _side_mean(b[j], present_b[j], count_b[j], column_best, unions_a, union_count_a,
                                           n_a, num_bits, exponent, floor)
            if rows == 0 or columns == 0:
                out[k] = np.nan
            else:
                forward /= rows
                backward /= columns
                out[k] = np.float32(SUBSET_WEIGHT * max(forward, backward)
                                    + (1.0 - SUBSET_WEIGHT) * min(forward, backward))
    return out


def _as_parts(parts: np.ndarray, present: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(records, slots, words) uint64 parts, the bool mask and per-part popcounts (int64)."""
    if not isinstance(parts, np.ndarray) or parts.dtype != np.uint8 or parts.ndim != 3:
        raise TypeError(f"'{name}' must be a 3-d numpy uint8 array (records, parts, bytes)")
    present = np.asarray(present)
    if present.dtype != np.bool_ or present.shape != parts.shape[:2]:
        raise ValueError(f"the presence mask of '{name}' must be bool of shape {parts.shape[:2]}")
    records, slots, width = parts.shape
    words = _as_words(parts.reshape(records * slots, width), name)
    counts = _popcounts_kernel(words).astype(np.int64).reshape(records, slots)
    return words.reshape(records, slots, -1), present, counts


def part_set_dice(parts_a: np.ndarray, present_a: np.ndarray, parts_b: np.ndarray, present_b: np.ndarray,
                  ia: np.ndarray, ib: np.ndarray, *, diffusion: int = 0) -> np.ndarray:
    """Similarity of name part sets for every pair ``(ia[k], ib[k])``, as float32.

    ``parts_x`` is uint8 (records, slots, bytes), ``present_x`` bool (records, slots). With A the
    present parts of record ``ia[k]`` and B those of ``ib[k]``: each part's best chance-corrected
    Dice to a part of the other record or to the union of two of its parts, averaged per side,
    and the two sides combined as ``0.85 * max + 0.15 * min`` (module docstring). Slots and their
    order do not matter; NaN when either record has no part. ``diffusion`` is the ``t`` of
    diffused filters (:mod:`linkage.diffusion`): each part score is then the estimated score of
    the inputs (:func:`linkage.diffusion.input_corrected`), and unions are not formed (they have
    no diffused counterpart).
    """
    from .diffusion import noise_floor

    a, present_a, count_a = _as_parts(parts_a, present_a, "parts_a")
    b, present_b, count_b = _as_parts(parts_b, present_b, "parts_b")
    ia, ib = _check_pairs(parts_a, parts_b, ia, ib)
    num_bits = parts_a.shape[2] * 8
    exponent = 1.0 / diffusion if diffusion else 1.0
    return _part_set_kernel(a, present_a, count_a, b, present_b, count_b, ia, ib, float(num_bits), exponent,
                            noise_floor(num_bits) if diffusion else 0.0, not diffusion)


def _bits(row: np.ndarray) -> int:
    return int.from_bytes(row.tobytes(), "big")


def _dice_of_ints(x: int, y: int) -> float:
    total = x.bit_count() + y.bit_count()
    return 2 * (x & y).bit_count() / total if total else 0.0


def dice_pairs_reference(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Plain-Python :func:`dice_pairs`."""
    return np.array([_dice_of_ints(_bits(a[i]), _bits(b[j])) for i, j in zip(ia, ib)], np.float32)


def dice_all_pairs_reference(a: np.ndarray, b: np.ndarray | None = None, *,
                             threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain-Python :func:`dice_all_pairs`: every pair in order, kept when its float32 Dice passes."""
    rows_a = [_bits(row) for row in a]
    rows_b = rows_a if b is None else [_bits(row) for row in b]
    pairs = [(i, j) for i in range(len(rows_a)) for j in range(i + 1 if b is None else 0, len(rows_b))]
    dice = np.array([_dice_of_ints(rows_a[i], rows_b[j]) for i, j in pairs], np.float32)
    keep = [k for k in range(len(pairs)) if dice[k] >= np.float32(threshold)]
    return (np.array([pairs[k][0] for k in keep], np.int64), np.array([pairs[k][1] for k in keep], np.int64),
            dice[keep])


def _corrected_dice_of_ints(x: int, y: int, num_bits: int, diffusion: int) -> float:
    from .diffusion import input_corrected

    count_x, count_y = x.bit_count(), y.bit_count()
    both = (x & y).bit_count()
    expected = count_x * count_y / num_bits
    denominator = count_x + count_y - 2.0 * expected
    if denominator <= 0.0:
        return 1.0 if both == count_x and both == count_y and count_x > 0 else 0.0
    corrected = max(0.0, (2.0 * both - 2.0 * expected) / denominator)
    return float(input_corrected(corrected, diffusion, num_bits)) if diffusion else corrected


def part_set_dice_reference(parts_a: np.ndarray, present_a: np.ndarray, parts_b: np.ndarray,
                            present_b: np.ndarray, ia: np.ndarray, ib: np.ndarray, *,
                            diffusion: int = 0) -> np.ndarray:
    """Plain-Python :func:`part_set_dice`."""
    num_bits = parts_a.shape[2] * 8
    out = []
    for i, j in zip(ia, ib):
        set_a = [_bits(part) for part, here in zip(parts_a[i], present_a[i]) if here]
        set_b = [_bits(part) for part, here in zip(parts_b[j], present_b[j]) if here]
        if not set_a or not set_b:
            out.append(float("nan"))
            continue

        def best(x: int, others: list[int]) -> float:
            unions = [] if diffusion else [others[q] | others[r] for q in range(len(others))
                                           for r in range(q + 1, len(others))]
            return max(_corrected_dice_of_ints(x, y, num_bits, diffusion) for y in others + unions)

        forward = sum(best(x, set_b) for x in set_a) / len(set_a)
        backward = sum(best(y, set_a) for y in set_b) / len(set_b)
        out.append(SUBSET_WEIGHT * max(forward, backward) + (1.0 - SUBSET_WEIGHT) * min(forward, backward))
    return np.array(out, np.float32)
