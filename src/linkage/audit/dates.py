"""Structural attack on date filters: birth years from containment and shared bit patterns.

Contract
--------
``recover_years(encoded, public_years)`` takes one filter column holding dates (any column with
bit structure: it finds the structure or reports none) and the birth years of the attacker's
public sample, and guesses a year per encoding class, using only bit patterns:

1. **Bases.** A date with unknown day and month encodes only its year's tokens; its filter is
   then contained in the filter of every full date of that year. Encodings contained in at least
   ``min_supersets`` others (checked among the low-popcount ones) are bases; minimal bases start
   the groups.
2. **Groups.** Every encoding joins the group of the bases it contains; groups whose cores
   (the AND of their members) share most bits are merged (a year seen only as year-month);
   encodings that contain no base join the group whose core they cover almost entirely (noise
   such as BLIP flips), or none.
3. **Order.** The cores of adjacent years share the bits of a two-year window token, so the
   excess overlap of cores links the groups into chains (strongest links first; a year missing
   from the data leaves two chains, not a false link).
4. **Years.** Each chain, largest first, is slid along the public sample's year histogram
   (either way round) onto free years; the position with the largest overlap names its years.

``YearAttack`` reports per class the group and year; ``via_containment`` is the share of items
placed by exact containment (1.0 on today's format; 0 when hardening hides the structure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._view import EncodedColumn

__all__ = ["YearAttack", "recover_years", "subset_structure"]

_CHUNK_WORDS = 4_000_000  # uint64 words per step of the containment test (32 MB)


@dataclass(frozen=True, slots=True)
class YearAttack:
    column: str
    class_group: np.ndarray  # per class: group id (-1: none)
    group_year: np.ndarray  # per group: guessed year
    n_bases: int
    via_containment: float  # share of items placed by exact containment
    assigned: float  # share of items with a group at all
    link_strength: float  # median excess overlap of chain links over the random expectation (bits)

    def class_years(self) -> np.ndarray:
        years = np.zeros(len(self.class_group), np.int64)
        ok = self.class_group >= 0
        years[ok] = self.group_year[self.class_group[ok]]
        return years

    def item_years(self, encoded: EncodedColumn) -> np.ndarray:
        return self.class_years()[encoded.classes]


def _words(matrix: np.ndarray) -> np.ndarray:
    pad = (-matrix.shape[1]) % 8
    if pad:
        matrix = np.concatenate([matrix, np.zeros((len(matrix), pad), np.uint8)], axis=1)
    return np.ascontiguousarray(matrix).view(np.uint64)


def _popcount(matrix: np.ndarray) -> np.ndarray:
    return np.unpackbits(matrix, axis=1).sum(axis=1).astype(np.int64)


def _contained(small: np.ndarray, big: np.ndarray) -> np.ndarray:
    """(len(small), len(big)) bool: small[i] is a subset of big[j] (uint64 word matrices)."""
    out = np.empty((len(small), len(big)), bool)
    inverse = ~big
    chunk = max(1, _CHUNK_WORDS // max(1, big.size))
    for start in range(0, len(small), chunk):
        part = small[start : start + chunk]
        out[start : start + chunk] = ((part[:, None, :] & inverse[None, :, :]) == 0).all(axis=2)
    return out


def subset_structure(encoded: EncodedColumn, *, max_candidates: int = 2000,
                     min_supersets: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Base classes (contained in >= ``min_supersets`` other distinct encodings) and the
    containment matrix bases x classes. Only the lowest-popcount third of the distinct
    encodings (at most ``max_candidates``) are tried as bases."""
    distinct = encoded.distinct
    if not encoded.has_bits or len(distinct) < 3:
        return np.zeros(0, np.int64), np.zeros((0, len(distinct)), bool)
    pop = _popcount(distinct)
    limit = min(max_candidates, max(1, len(distinct) // 3))
    candidates = np.argsort(pop, kind="stable")[:limit]
    words = _words(distinct)
    contained = _contained(words[candidates], words)
    contained[np.arange(len(candidates)), candidates] = False
    keep = contained.sum(axis=1) >= min_supersets
    return candidates[keep], contained[keep]


def _minimal(bases: np.ndarray, contained: np.ndarray) -> np.ndarray:
    """Positions (into ``bases``) of bases that contain no other base."""
    inner = contained[:, bases]  # inner[i, j]: base i is inside base j
    return np.flatnonzero(~inner.any(axis=0))


def _cores(words: np.ndarray, class_group: np.ndarray, n_groups: int) -> np.ndarray:
    cores = np.zeros((n_groups, words.shape[1]), np.uint64)
    for g in range(n_groups):
        members = words[class_group == g]
        cores[g] = np.bitwise_and.reduce(members, axis=0) if len(members) else 0
    return cores


def _bits(words: np.ndarray) -> np.ndarray:
    return np.unpackbits(words.view(np.uint8), axis=1).sum(axis=1).astype(np.int64)


def _merge_groups(words: np.ndarray, class_group: np.ndarray, n_groups: int) -> tuple[np.ndarray, int]:
    cores = _cores(words, class_group, n_groups)
    sizes = _bits(cores)
    if n_groups < 2:
        return class_group, n_groups
    threshold = 0.75 * float(np.median(sizes))
    parent = list(range(n_groups))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a in range(n_groups):
        shared = _bits(cores[a][None, :] & cores)
        for b in np.flatnonzero(shared >= threshold).tolist():
            if b != a:
                parent[find(a)] = find(b)
    roots = np.asarray([find(g) for g in range(n_groups)])
    _, new_id = np.unique(roots, return_inverse=True)
    out = np.where(class_group >= 0, new_id.ravel()[np.maximum(class_group, 0)], -1)
    return out, int(new_id.max()) + 1


def _segments(cores: np.ndarray, num_bits: int) -> tuple[list[list[int]], float]:
    """Groups linked into chains of adjacent years; the median excess overlap of the links.

    Adjacent years share one window token, so their cores overlap by about ``k`` bits more than
    chance. Links are added strongest first while both ends have fewer than two and no cycle
    forms, but only links at least half as strong as the typical best link of a group: a year
    missing from the data leaves a gap between two chains rather than a false link.
    """
    n = len(cores)
    if n < 2:
        return [list(range(n))], 0.0
    sizes = _bits(cores).astype(float)
    shared = np.stack([_bits(cores[a][None, :] & cores) for a in range(n)]).astype(float)
    excess = shared - np.outer(sizes, sizes) / num_bits
    np.fill_diagonal(excess, -np.inf)
    threshold = 0.5 * float(np.median(excess.max(axis=1)))
    chains, strengths = strongest_paths(excess, threshold, stop_at_floor=False)
    return chains, float(np.median(strengths)) if strengths else 0.0


def strongest_paths(weights: np.ndarray, floor: float, *, stop_at_floor: bool) -> tuple[list[list[int]], list[float]]:
    """Chains through the strongest links of the symmetric matrix ``weights``: links taken
    strongest first while both ends have fewer than two and no cycle forms, until a link falls
    below ``floor`` (``stop_at_floor``: at or below). Returns the chains (groups in path order;
    a group without links is a chain of its own) and the weights of the links taken."""
    n = len(weights)
    a_idx, b_idx = np.triu_indices(n, 1)
    link_weights = weights[a_idx, b_idx]
    order = np.argsort(-link_weights, kind="stable")
    degree = np.zeros(n, np.int64)
    comp = np.arange(n)
    neighbours: dict[int, list[int]] = {g: [] for g in range(n)}
    taken = []
    for e in order.tolist():
        a, b, w = int(a_idx[e]), int(b_idx[e]), float(link_weights[e])
        if w < floor or (stop_at_floor and w <= floor):
            break
        if degree[a] >= 2 or degree[b] >= 2 or comp[a] == comp[b]:
            continue
        comp[comp == comp[b]] = comp[a]
        degree[a] += 1
        degree[b] += 1
        neighbours[a].append(b)
        neighbours[b].append(a)
        taken.append(w)
    chains, seen = [], set()
    for start in range(n):
        if start in seen or len(neighbours[start]) > 1:
            continue
        path, prev = [start], -1
        while True:
            nxt = [g for g in neighbours[path[-1]] if g != prev]
            if not nxt:
                break
            prev = path[-1]
            path.append(nxt[0])
        seen.update(path)
        chains.append(path)
    return chains, taken


def _place_chains(chains: list[list[int]], group_sizes: np.ndarray, public_years: np.ndarray) -> np.ndarray:
    """Year per group: each chain (largest first) slid along the public year histogram, either
    way round, onto free years (not next to another chain: it would have linked) where its sizes
    overlap the histogram most."""
    years = public_years[public_years > 0]
    group_year = np.zeros(len(group_sizes), np.int64)
    if len(years) == 0:
        return group_year
    lo, hi = int(years.min()), int(years.max())
    hist = np.bincount(years - lo, minlength=hi - lo + 1).astype(float)
    hist /= hist.sum()
    share = group_sizes / max(group_sizes.sum(), 1.0)
    blocked: set[int] = set()  # years taken, and their neighbours: adjacent chains would be linked
    for chain in sorted(chains, key=lambda c: -share[c].sum()):
        best_years = best_placement(share[chain], hist, lo, blocked)
        if best_years is not None:
            group_year[chain] = best_years
            blocked.update(y + d for y in best_years.tolist() for d in (-1, 0, 1))
    return group_year


def best_placement(chain_share: np.ndarray, hist: np.ndarray, lo: int, taken: set[int],
                   options: tuple[tuple[int, int | None], ...] = ((1, None), (-1, None))) -> np.ndarray | None:
    """The run of consecutive years for a chain of groups (shares ``chain_share``, in chain
    order) that overlaps most with the public year shares ``hist`` (years ``lo``...), avoiding the
    ``taken`` years; ``options`` are (direction, residue of the first year mod 3 or None). None
    when every run touches a taken year."""
    n, hi = len(chain_share), lo + len(hist) - 1
    best, best_years = -1.0, None
    for direction, residue in options:
        for first in range(lo - n, hi + n + 1):
            if residue is not None and first % 3 != residue:
                continue
            cand = first + direction * np.arange(n)
            if taken.intersection(cand.tolist()):
                continue
            inside = (cand >= lo) & (cand <= hi)
            overlap = np.minimum(chain_share[inside], hist[cand[inside] - lo]).sum()
            if overlap > best:
                best, best_years = overlap, cand
    return best_years


def recover_years(encoded: EncodedColumn, public_years: np.ndarray, *, min_supersets: int = 2,
                  cover: float = 0.95) -> YearAttack:
    """Guess a birth year per encoding class of a date filter column (see the module docstring)."""
    n_classes = len(encoded.distinct)
    counts = encoded.counts.astype(float)
    bases, contained = subset_structure(encoded, min_supersets=min_supersets)
    empty = YearAttack(encoded.name, np.full(n_classes, -1, np.int64), np.zeros(0, np.int64), 0, 0.0, 0.0, 0.0)
    if len(bases) == 0:
        return empty
    minimal = _minimal(bases, contained)
    inside = contained[minimal]  # minimal base i is inside class j
    inside[np.arange(len(minimal)), bases[minimal]] = True
    n_inside = inside.sum(axis=0)
    class_group = np.where(n_inside >= 1, np.argmax(inside, axis=0), -1)
    exact = n_inside >= 1
    words = _words(encoded.distinct)
    class_group, n_groups = _merge_groups(words, class_group, len(minimal))
    cores = _cores(words, class_group, n_groups)
    core_bits = _bits(cores).astype(float)
    loose = np.flatnonzero(class_group < 0)
    if len(loose) and n_groups:
        covered = np.stack([_bits(words[loose] & core[None, :]) for core in cores], axis=1) / np.maximum(core_bits, 1)
        best = covered.argmax(axis=1)
        ok = covered[np.arange(len(loose)), best] >= cover
        class_group[loose[ok]] = best[ok]
    # a year's own pattern: the AND of its bases (exact for a year-only date), else of its members
    base_classes = bases[minimal]
    base_cores = _cores(words[base_classes], class_group[base_classes], n_groups)
    chains, strength = _segments(np.where(_bits(base_cores)[:, None] > 0, base_cores, cores), encoded.num_bits)
    group_sizes = np.bincount(class_group[class_group >= 0], weights=counts[class_group >= 0], minlength=n_groups)
    group_year = _place_chains(chains, group_sizes, public_years)
    total = counts.sum()
    return YearAttack(encoded.name, class_group, group_year, len(bases), float(counts[exact].sum() / total),
                      float(counts[class_group >= 0].sum() / total), strength)
