"""Blocking: candidate record pairs from keyed blocking keys and Hamming LSH (linkage unit side).

Contract
--------
Records of all exports share one index space ``0..n-1``. A *pass* proposes pairs ``(i, j)``
with ``i < j``:

* **key passes**, one per blocking key of the schema: records that share any keyed digest of
  that key (``bk_<key>`` columns; a record has one digest per name part). Blocks larger than
  ``max_block_size`` are skipped and counted (their records usually still meet in other passes).
* **LSH pass**: Hamming LSH on the record-level filters (``clk``): ``bands`` bands of
  ``bits_per_band`` bit positions each, drawn from a seeded generator (public: positions reveal
  nothing, the filters are keyed); records whose bits agree on a whole band share a bucket.
  Two half-full filters that agree on a share ``s`` of bits collide in one band with
  probability about ``s ** bits_per_band``. With ``lsh_bits_per_band = 0`` the width is chosen
  from the input size (:func:`lsh_bits`) so that unrelated records (``s`` about 1/2) add about
  ``lsh_random_candidates`` candidates per record over all bands.
* **all-pairs pass**, when the input has at most ``all_pairs_max`` pairs: every pair whose
  record filters have Dice >= ``all_pairs_min_dice``, found by the dense kernel
  :func:`linkage.similarity.dice_all_pairs` (so small inputs need no blocking assumptions).

The candidates are the sorted union of all passes. :func:`estimate_pair_completeness` checks
them against *probable matches* found without blocking: for a seeded sample of records, every
record whose filter has Dice >= a high threshold with it. The share of those pairs each pass
(and the union) contains estimates pair completeness for matches that look alike. All results
are deterministic for the same inputs and configuration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numba
import numpy as np

from . import similarity
from .job_config import BlockingConfig

__all__ = ["PassStats", "Candidates", "candidate_pairs", "sorted_unique", "key_codes", "lsh_bits", "lsh_codes", "pairs_in_blocks",
           "estimate_pair_completeness", "probable_pairs", "completeness", "weighted_completeness"]


@dataclass(frozen=True, slots=True)
class PassStats:
    """What one pass contributed: pairs it proposed, of those new to earlier passes, blocks."""

    name: str
    pairs: int
    new_pairs: int
    blocks: int
    largest_block: int
    skipped_blocks: int
    skipped_records: int

    def to_dict(self) -> dict[str, int | str]:
        return {"name": self.name, "pairs": self.pairs, "new_pairs": self.new_pairs, "blocks": self.blocks,
                "largest_block": self.largest_block, "skipped_blocks": self.skipped_blocks,
                "skipped_records": self.skipped_records}


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs ``ia < ib`` sorted by ``(ia, ib)`` and per-pass statistics."""

    ia: np.ndarray
    ib: np.ndarray
    passes: tuple[PassStats, ...]
    total_pairs: int
    pass_pairs: Mapping[str, np.ndarray]  # pass name -> sorted pair codes ia * n + ib

    @property
    def count(self) -> int:
        return len(self.ia)

    @property
    def reduction_ratio(self) -> float:
        """1 - candidates / all pairs (0 for inputs with fewer than two records)."""
        return 1.0 - self.count / self.total_pairs if self.total_pairs else 0.0


def key_codes(digests: np.ndarray) -> np.ndarray:
    """Integer codes of keyed digests ``(m, bytes)``: equal codes for equal digests."""
    if len(digests) == 0:
        return np.zeros(0, np.int64)
    flat = np.ascontiguousarray(digests).view(np.dtype((np.void, digests.shape[1]))).ravel()
    _, codes = np.unique(flat, return_inverse=True)
    return codes.astype(np.int64).ravel()


def lsh_bits(n: int, bands: int, random_candidates: float) -> int:
    """Bits per band so that ``n * bands * 2**-bits`` (random collisions per record) is about
    ``random_candidates``: ``ceil(log2(n * bands / random_candidates))`` within [8, 40]."""
    if n < 2 or bands < 1:
        return 8
    return int(min(40, max(8, math.ceil(math.log2(n * bands / random_candidates)))))


def lsh_codes(clk: np.ndarray, present: np.ndarray, *, bands: int, bits_per_band: int,
              seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per band: rows with a filter and their band values (``bits_per_band`` sampled bits)."""
    num_bits = clk.shape[1] * 8
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(present).astype(np.int64)
    bits = np.unpackbits(clk[rows], axis=1) if len(rows) else np.zeros((0, num_bits), np.uint8)
    weights = (np.uint64(1) << np.arange(bits_per_band, dtype=np.uint64))
    out = []
    for _ in range(bands):
        positions = np.sort(rng.choice(num_bits, size=bits_per_band, replace=False))
        values = (bits[:, positions].astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
        out.append((rows, values.astype(np.int64)))
    return out


@numba.njit(cache=True, nogil=True)
def _emit_pairs(order_rows: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int, total: int) -> np.ndarray:
    """Pair codes ``min * n + max`` of every two rows of each block (rows distinct within a block)."""
    out = np.empty(total, np.int64)
    k = 0
    for g in range(len(starts)):
        s = starts[g]
        for x in range(sizes[g]):
            a = order_rows[s + x]
            for y in range(x + 1, sizes[g]):
                b = order_rows[s + y]
                out[k] = a * n + b if a < b else b * n + a
                k += 1
    return out


def sorted_unique(codes: np.ndarray) -> np.ndarray:
    """The distinct values of an int64 array, sorted: sort and mask (numpy's ``unique`` may take a
    hash path that is many times slower on tens of millions of pair codes)."""
    out = np.sort(codes, kind="stable")
    if len(out) < 2:
        return out
    return out[np.r_[True, out[1:] != out[:-1]]]


def pairs_in_blocks(rows: np.ndarray, codes: np.ndarray, n: int, *, max_block_size: int,
                    ) -> tuple[np.ndarray, dict[str, int]]:
    """Sorted unique pair codes ``i * n + j`` (``i < j``) of rows sharing a code.

    A row appearing twice in one block (two parts with one key) yields no self pair. Blocks
    with more than ``max_block_size`` distinct rows are skipped and counted.
    """
    stats = {"blocks": 0, "largest_block": 0, "skipped_blocks": 0, "skipped_records": 0}
    if len(rows) == 0:
        return np.zeros(0, np.int64), stats
    order = np.lexsort((rows, codes))
    rows_sorted, codes_sorted = rows[order], codes[order]
    keep = np.ones(len(order), bool)  # drop a row repeated within one block
    keep[1:] = (codes_sorted[1:] != codes_sorted[:-1]) | (rows_sorted[1:] != rows_sorted[:-1])
    rows_sorted, codes_sorted = rows_sorted[keep], codes_sorted[keep]
    boundaries = np.flatnonzero(np.r_[True, codes_sorted[1:] != codes_sorted[:-1]])
    sizes = np.diff(np.r_[boundaries, len(codes_sorted)])
    multi = sizes > 1
    stats["blocks"] = int(multi.sum())
    stats["largest_block"] = int(sizes.max())
    over = sizes > max_block_size
    stats["skipped_blocks"] = int(over.sum())
    stats["skipped_records"] = int(sizes[over].sum())
    use = multi & ~over
    starts, sizes = boundaries[use].astype(np.int64), sizes[use].astype(np.int64)
    total = int((sizes * (sizes - 1) // 2).sum())
    return sorted_unique(_emit_pairs(rows_sorted.astype(np.int64), starts, sizes, n, total)), stats


def candidate_pairs(n: int, key_passes: Mapping[str, tuple[np.ndarray, np.ndarray]], clk: np.ndarray | None,
                    clk_present: np.ndarray | None, config: BlockingConfig) -> Candidates:
    """Union of key passes, the LSH pass and (small inputs) the all-pairs pass; see module docstring."""
    total_pairs = n * (n - 1) // 2
    union = np.zeros(0, np.int64)
    stats: list[PassStats] = []
    per_pass: dict[str, np.ndarray] = {}

    def add(name: str, codes: np.ndarray, block_stats: Mapping[str, int]) -> None:
        nonlocal union
        before = len(union)
        union = sorted_unique(np.concatenate([union, codes]))
        new = len(union) - before
        per_pass[name] = codes
        stats.append(PassStats(name, len(codes), new, block_stats.get("blocks", 0),
                               block_stats.get("largest_block", 0), block_stats.get("skipped_blocks", 0),
                               block_stats.get("skipped_records", 0)))

    for name, (rows, codes) in key_passes.items():
        add(f"key:{name}", *pairs_in_blocks(rows, codes, n, max_block_size=config.max_block_size))
    if clk is not None and config.lsh_bands > 0:
        present = np.ones(n, bool) if clk_present is None else clk_present
        band_codes = []
        merged = {"blocks": 0, "largest_block": 0, "skipped_blocks": 0, "skipped_records": 0}
        bits = config.lsh_bits_per_band or lsh_bits(n, config.lsh_bands, config.lsh_random_candidates)
        for rows, values in lsh_codes(clk, present, bands=config.lsh_bands, bits_per_band=bits, seed=config.seed):
            codes, s = pairs_in_blocks(rows, values, n, max_block_size=config.max_block_size)
            band_codes.append(codes)
            merged = {k: (max(merged[k], v) if k == "largest_block" else merged[k] + v) for k, v in s.items()}
        add("lsh", sorted_unique(np.concatenate(band_codes)) if band_codes else np.zeros(0, np.int64), merged)
    if clk is not None and 0 < total_pairs <= config.all_pairs_max:
        ia, ib, _ = similarity.dice_all_pairs(clk, threshold=config.all_pairs_min_dice)
        if clk_present is not None:
            ok = clk_present[ia] & clk_present[ib]
            ia, ib = ia[ok], ib[ok]
        add("all_pairs", sorted_unique(ia.astype(np.int64) * n + ib), {"blocks": 1, "largest_block": n})
    ia, ib = np.divmod(union, np.int64(max(n, 1)))
    return Candidates(ia, ib, tuple(stats), total_pairs, per_pass)


def probable_pairs(clk: np.ndarray, clk_present: np.ndarray | None, *, sample: int, min_dice: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of up to ``sample`` seeded random records with every record whose record-filter Dice
    is ``>= min_dice`` (no blocking): codes ``lo * n + hi`` (unique, sorted), for each pair the
    position in the sample of the sampled record it was found for, and the number sampled."""
    n = len(clk)
    rng = np.random.default_rng(seed)
    present = np.ones(n, bool) if clk_present is None else clk_present
    eligible = np.flatnonzero(present)
    chosen = np.sort(rng.choice(eligible, size=min(sample, len(eligible)), replace=False)) if len(eligible) else eligible
    if len(chosen) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    ia, ib, _ = similarity.dice_all_pairs(clk[chosen], clk[eligible], threshold=min_dice)
    a, b = chosen[ia], eligible[ib]
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    codes, first = np.unique(lo.astype(np.int64) * n + hi, return_index=True)
    return codes, ia[keep][first].astype(np.int64), int(len(chosen))


def completeness(pairs: np.ndarray, candidates: Candidates, n: int) -> dict[str, float]:
    """Share of ``pairs`` (codes ``lo * n + hi``, unique) that the union and each pass contain."""
    if len(pairs) == 0:
        return {}
    out = {"union": round(float(np.isin(pairs, candidates.ia * np.int64(n) + candidates.ib, assume_unique=True).mean()), 4)}
    for name, codes in candidates.pass_pairs.items():
        out[name] = round(float(np.isin(pairs, codes, assume_unique=True).mean()), 4)
    return out


def weighted_completeness(pairs: np.ndarray, owner: np.ndarray, weight: np.ndarray, sampled: int,
                          candidates: Candidates, n: int, *, seed: int, resamples: int = 200,
                          level: float = 0.95) -> dict[str, object]:
    """Pair completeness of the union and of each pass, each pair counted with ``weight`` (its
    match probability), and a bootstrap interval over the sampled records for the union.

    ``pairs`` were found for the sampled record ``owner`` (a position in ``0..sampled-1``): the
    estimate is ``sum(weight of pairs among the candidates) / sum(weight)``; the interval
    resamples the sampled records with replacement ``resamples`` times (seeded).
    """
    total = float(weight.sum())
    if len(pairs) == 0 or total <= 0:
        return {"matches_in_sample": 0.0}
    union = np.isin(pairs, candidates.ia * np.int64(n) + candidates.ib, assume_unique=True)
    by_owner = np.bincount(owner, weights=weight, minlength=sampled)
    kept_by_owner = np.bincount(owner, weights=weight * union, minlength=sampled)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, sampled, (resamples, sampled))
    ratios = kept_by_owner[draws].sum(axis=1) / np.maximum(by_owner[draws].sum(axis=1), 1e-300)
    tail = (1.0 - level) / 2
    out: dict[str, object] = {
        "matches_in_sample": round(total, 2),
        "union": round(float((weight * union).sum() / total), 4),
        "interval": [round(float(np.quantile(ratios, tail)), 4), round(float(np.quantile(ratios, 1 - tail)), 4)],
        "interval_level": level,
    }
    for name, codes in candidates.pass_pairs.items():
        out[name] = round(float((weight * np.isin(pairs, codes, assume_unique=True)).sum() / total), 4)
    return out


def estimate_pair_completeness(candidates: Candidates, clk: np.ndarray, clk_present: np.ndarray | None, *,
                               sample: int, min_dice: float, seed: int) -> dict[str, float | int]:
    """Share of probable matches (filter Dice >= ``min_dice`` with a sampled record, found by
    comparing the sample with every record) that each pass and the union contain."""
    probable, _, sampled = probable_pairs(clk, clk_present, sample=sample, min_dice=min_dice, seed=seed)
    if sampled == 0:
        return {"sampled_records": 0, "probable_matches": 0}
    out: dict[str, float | int] = {"sampled_records": sampled, "probable_matches": int(len(probable)),
                                   "min_dice": min_dice}
    out.update(completeness(probable, candidates, len(clk)))
    return out
