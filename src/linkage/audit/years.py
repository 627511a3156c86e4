"""Birth years from split date slices (format v2): year groups, ordered through window slices,
named by the public sample's year distribution.

Contract
--------
``recover_years_split(view, column, public_years)`` plays the linkage unit on a split date field
(its slices are columns of their own, :func:`linkage.audit._view.lu_view`):

1. **Groups.** Records whose year-preserving slices agree are born in one year: the ``year``
   slice, and (joining records further) ``ymd``, ``year_day_month_set`` and the anchors
   ``year_name_set``, ``ymd_name_a/b`` and ``year_name_keyed`` classes. The groups are the
   connected components of records through shared classes; with a
   ``year`` slice they are exactly the birth years present.
2. **Order.** (With ``digests=True`` instead through blocking digests and day-and-month slices,
   by their excess over chance: the order left without windows.) A ``month_day_window_<o>`` token is day and month with the year's window in the
   partition shifted by ``o`` years (:mod:`linkage.tokens`): records of years one apart share a
   window in two of the three partitions, two apart in one. So groups sharing window classes are
   neighbours; links are weighed by shared classes over the expected share, and chained strongest
   first (each group at most two neighbours, no cycles).
3. **Direction and residue.** The partition in which two neighbours do *not* share a window tells
   the smaller year modulo 3 (``(y + o) % 3 == 2``), so along a chain the missing partition steps
   by one: its trend gives the direction and the first year's residue modulo 3.
4. **Years.** Each chain, largest first, is slid along the public sample's year histogram (in
   the direction and on the residue found, else either way and anywhere) onto free years; the
   position with the largest overlap of shares names its years. A group in no chain is a chain
   of one.

Returns a :class:`SplitYearAttack`: per record the group and the guessed year (0: none). Needs no
truth; scoring is :mod:`linkage.audit.measure`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tokens import MONTH_DAY_WINDOWS
from ._view import EncodedView
from .dates import best_placement, strongest_paths

__all__ = ["SplitYearAttack", "recover_years_split", "YEAR_SLICES", "CROSS_YEAR_SLICES"]

#: Slices whose classes never mix birth years (the first one present founds the groups).
YEAR_SLICES = ("year", "ymd", "year_day_month_set", "year_name_set", "ymd_name_a", "ymd_name_b", "year_name_keyed")
#: Slices that join records of any years (day and month without the year): like blocking digests,
#: they order year groups only by their excess between neighbours (one person's year slips).
CROSS_YEAR_SLICES = ("month_day", "day_month_set")


@dataclass(frozen=True, slots=True)
class SplitYearAttack:
    column: str
    group: np.ndarray  # per record: year group (-1: none)
    year: np.ndarray  # per record: guessed year (0: none)
    groups: int
    chains: int
    largest_chain: int  # groups in the longest chain
    oriented: float  # share of grouped records in chains whose direction and residue were read
    largest_group: float  # share of grouped records in the largest group

    @property
    def assigned(self) -> float:
        grouped = self.group >= 0
        return float(grouped.mean()) if len(grouped) else 0.0


def _classes(view: EncodedView, name: str) -> np.ndarray | None:
    col = view.columns.get(name)
    if col is None:
        return None
    out = np.full(view.n_records, -1, np.int64)
    out[col.owners] = col.classes
    return out


def _components(n: int, memberships: list[np.ndarray]) -> np.ndarray:
    """Connected components of records through shared classes (-1: a record in no class)."""
    label = np.arange(n, dtype=np.int64)
    present = np.zeros(n, bool)
    for classes in memberships:
        present |= classes >= 0
    while True:
        before = label.copy()
        for classes in memberships:
            has = np.flatnonzero(classes >= 0)
            if not len(has):
                continue
            low = pd.Series(label[has]).groupby(classes[has]).transform("min").to_numpy()
            np.minimum.at(label, has, low)
        while True:  # pointer jumping
            jumped = label[label]
            if (jumped == label).all():
                break
            label = jumped
        if (label == before).all():
            break
    out = np.full(n, -1, np.int64)
    _, compact = np.unique(label[present], return_inverse=True)
    out[present] = compact.ravel()
    return out


def _links(group: np.ndarray, window: np.ndarray, n_groups: int, owners: np.ndarray | None = None) -> np.ndarray:
    """(n_groups, n_groups) count of classes holding records of both groups: ``window`` is a class
    per record, or with ``owners`` a class per item of a list column (item ``i`` of record
    ``owners[i]``)."""
    group = group if owners is None else group[owners]
    has = (group >= 0) & (window >= 0)
    pairs = pd.DataFrame({"w": window[has], "g": group[has]}).drop_duplicates()
    joined = pairs.merge(pairs, on="w")
    joined = joined[joined["g_x"] < joined["g_y"]]
    out = np.zeros((n_groups, n_groups))
    np.add.at(out, (joined["g_x"].to_numpy(), joined["g_y"].to_numpy()), 1.0)
    return out + out.T


def _chains(strength: np.ndarray) -> list[list[int]]:
    """Paths through the strongest links (degree <= 2, no cycle, positive strength only), as
    lists of groups (:func:`linkage.audit.dates.strongest_paths`)."""
    return strongest_paths(strength, 0.0, stop_at_floor=True)[0]


def _orientation(chain: list[int], linked: np.ndarray) -> tuple[int, int] | None:
    """(direction, residue of the first year mod 3) read from the partitions that do not link
    consecutive groups (``linked[o, g, h]``), or None when no link tells."""
    missing = []
    for i in range(len(chain) - 1):
        parts = linked[:, chain[i], chain[i + 1]]
        missing.append(int(np.flatnonzero(~parts)[0]) if parts.sum() == 2 else -1)
    votes = {}
    for direction in (1, -1):
        for residue in range(3):
            # link i joins years y0 + d*i and y0 + d*(i+1); its smaller year y satisfies (y + o) % 3 == 2
            expected = [(2 - (residue + (i if direction == 1 else -(i + 1)))) % 3 for i in range(len(missing))]
            votes[(direction, residue)] = sum(m == e for m, e in zip(missing, expected) if m >= 0)
    best = max(votes, key=lambda k: votes[k])
    return best if votes[best] > 0 else None


def _place(chains: list[list[int]], orient: list[tuple[int, int] | None], sizes: np.ndarray,
           public_years: np.ndarray) -> np.ndarray:
    years = public_years[public_years > 0]
    group_year = np.zeros(len(sizes), np.int64)
    if len(years) == 0:
        return group_year
    lo, hi = int(years.min()), int(years.max())
    hist = np.bincount(years - lo, minlength=hi - lo + 1).astype(float)
    hist /= hist.sum()
    share = sizes / max(sizes.sum(), 1.0)
    taken: set[int] = set()
    for k in sorted(range(len(chains)), key=lambda i: -share[chains[i]].sum()):
        chain = chains[k]
        options = ((1, None), (-1, None)) if orient[k] is None else ((orient[k][0], orient[k][1]),)
        best_years = best_placement(share[chain], hist, lo, taken, options)
        if best_years is not None:
            group_year[chain] = best_years
            taken.update(best_years.tolist())
    return group_year


def _excess(counts: np.ndarray, sizes: np.ndarray, min_expected: float = 20.0) -> np.ndarray:
    """Links over what unrelated groups of these sizes share (the overall rate), for pairs of
    groups expected to share at least ``min_expected`` (smaller ones are noise): for columns that
    join records of any years, only the excess orders (one person's records with a wrong year)."""
    expected = np.outer(sizes, sizes)
    upper = np.triu_indices(len(sizes), 1)
    mean = float(counts[upper].sum()) / max(float(expected[upper].sum()), 1.0) * expected
    out = np.where(mean >= min_expected, counts / np.maximum(mean, 1e-12), 0.0)
    np.fill_diagonal(out, 0.0)
    return out


def recover_years_split(view: EncodedView, column: str, public_years: np.ndarray, *,
                        digests: bool = False) -> SplitYearAttack:
    """Guess every record's birth year from a split date column's slices (module docstring).
    With ``digests``, the groups are linked instead through shared blocking-key digests and
    cross-year slices (:data:`CROSS_YEAR_SLICES`), by the links in excess of what unrelated groups
    share (the same person's records with a wrong year): the order left without windows."""
    n = view.n_records
    memberships = [c for c in (_classes(view, f"{column}/{kind}") for kind in YEAR_SLICES) if c is not None]
    group = _components(n, memberships) if memberships else np.full(n, -1, np.int64)
    n_groups = int(group.max()) + 1 if (group >= 0).any() else 0
    empty = SplitYearAttack(column, group, np.zeros(n, np.int64), n_groups, 0, 0, 0.0, 0.0)
    if n_groups == 0:
        return empty
    sizes = np.bincount(group[group >= 0], minlength=n_groups).astype(float)
    windows = [_classes(view, f"{column}/{kind}") for kind in MONTH_DAY_WINDOWS]
    linked = np.zeros((3, n_groups, n_groups), bool)
    strength = np.zeros((n_groups, n_groups))
    if n_groups <= 5000:  # a dense matrix of group pairs; more groups than that are not year groups
        for o, window in enumerate(windows):
            if window is None or digests:
                continue
            counts = _links(group, window, n_groups)
            linked[o] = counts > 0
            strength += counts / np.sqrt(np.outer(sizes, sizes))
        for name, col in view.columns.items() if digests else ():
            if col.kind == "digest_list" or name in (f"{column}/{kind}" for kind in CROSS_YEAR_SLICES):
                strength += _excess(_links(group, col.classes, n_groups, col.owners), sizes)
    chains = _chains(strength) if strength.any() else [[g] for g in range(n_groups)]
    orient = [_orientation(c, linked) if len(c) > 1 else None for c in chains]
    group_year = _place(chains, orient, sizes, public_years)
    year = np.where(group >= 0, group_year[np.maximum(group, 0)], 0)
    oriented = sum(sizes[c].sum() for c, o in zip(chains, orient) if o is not None) / sizes.sum()
    return SplitYearAttack(column, group, year, n_groups, len(chains), max(len(c) for c in chains),
                           float(oriented), float(sizes.max() / sizes.sum()))
