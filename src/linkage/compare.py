"""Comparison: per candidate pair and field, a similarity and an agreement level (linkage unit).

Contract
--------
:func:`compare` takes the record set, pairs ``(ia[k], ib[k])`` and the job config and returns a
:class:`Comparison`: ``similarities`` (pairs, fields) float32 and ``levels`` (pairs, fields)
int8, one column per field of the schema, in schema order. A pair in which either record lacks
the field has similarity NaN and level ``-1`` (:data:`linkage.score.MISSING`: no evidence).

* **Name fields** (sets of part filters): :func:`linkage.similarity.part_set_dice`; levels by
  the cut points of the job config (``comparison.levels``, else the kind's defaults).
* **Code and text fields, joint date filters**: Dice of the filters; levels by cut points.
* **Split date fields** (``layout = "split"``, one slice per token kind): compared by
  *category*, from the strongest down: ``exact`` (the ``ymd`` slices agree), ``day and month
  swapped`` (``year_day_month_set`` agrees: the same year with day and month as an unordered
  pair; for a date whose day/month order is ambiguous this is also the best it can reach),
  ``same day and month, year 1-2 apart`` (one of ``month_day_window_a/b/c`` agrees: day and
  month with the year's three-year window in three partitions shifted by a year each), ``same
  year only`` (``year`` agrees: also a year-only or placeholder date,
  such as a 1 January, against any date of its year; or, with bound roles, one of the anchors
  ``year_name_set`` and ``year_name_keyed`` of :mod:`linkage.bind`: the year with the name
  skeletons, or with the one skeleton a keyed order picks), else ``different``. A category whose slice
  the schema lacks is not offered (the levels are the offered ones, lowest first); with
  ``year_of_full_date`` instead of ``year`` a year-only date carries no evidence at all (it is
  stored as missing). A missing date gives level ``-1``.
  Every slice holds one token per value; it "agrees" when its Dice is three quarters of the way
  from what two unrelated values give by chance (measured on seeded random record pairs,
  :func:`chance_dice`) to full agreement (:func:`agreement_cut`), so the categories hold for any
  slice size and for hardening noise. The similarity column of a split date is the Dice of the whole filter.

* **Bound roles** (kind ``"bound"``, :mod:`linkage.bind`: e.g. ``birth_date.sex``): levels
  ``disagree`` (0) and ``agree`` (1), only where an anchor slice agrees (the anchors tried in
  order; an anchor that agrees where a record lacks the role passes to the next): then the role's
  slice bound to that anchor agrees or not. Where no anchor agrees with the role on both sides,
  level ``-1`` (no evidence). The similarity is the Dice of the deciding bound slice (NaN
  without evidence).

**Diffused filters** (``[hardening] diffusion = t``, :mod:`linkage.diffusion`): name parts are
scored by the estimated chance-corrected similarity of their inputs (``c' ** (1 / t)``, without
unions of parts), joint filters by the estimated Dice of their half-full inputs, so that the cut
points keep their meaning; date slices agree by the same chance-relative cut as before (equal
values still give equal slices).

Every level is an integer, higher meaning stronger agreement, which is what Fellegi-Sunter
scoring (:mod:`linkage.score`) expects. Memory is proportional to the pairs passed; callers pass
the candidates in one call (the kernels chunk internally).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import similarity
from .diffusion import diffusion_of, estimated_dice
from .job_config import LinkJobConfig
from .config import BIND_ANCHORS
from .records import FieldData, RecordSet
from .tokens import MONTH_DAY_WINDOWS

__all__ = ["Comparison", "compare", "to_levels", "date_categories", "agreement_cut", "chance_dice", "level_names",
           "DATE_CATEGORY_SLICES", "BOUND_LEVELS", "bound_u", "name_bound_levels"]

#: Date categories from the strongest down, with the slices (token kinds) that show each: the
#: category holds when any of its slices agrees.
DATE_CATEGORY_SLICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("exact", ("ymd",)),
    ("day and month swapped", ("year_day_month_set",)),
    ("same day and month, year 1-2 apart", MONTH_DAY_WINDOWS),
    ("same day and month, another year", ("month_day",)),
    ("same year only", ("year", "year_of_full_date", "year_name_set", "year_name_keyed")),
)
#: Levels of a bound role (:mod:`linkage.bind`), lowest first.
BOUND_LEVELS = ("disagree", "agree")
#: Share of the way from chance to full agreement at which a slice counts as agreeing.
AGREEMENT = 0.75
_CHUNK = 1 << 21


@dataclass(frozen=True, slots=True)
class Comparison:
    """Similarities (float32, NaN = missing) and levels (int8, -1 = missing) per pair and field."""

    similarities: np.ndarray
    levels: np.ndarray
    num_levels: tuple[int, ...]
    level_names: tuple[tuple[str, ...], ...]


def level_names(data: FieldData, config: LinkJobConfig) -> tuple[str, ...]:
    """Names of a field's levels, lowest first."""
    if data.kind == "bound":
        return BOUND_LEVELS
    if data.slices:
        return date_categories(data)
    return config.level_names(data.name, data.kind)


def date_categories(data: FieldData) -> tuple[str, ...]:
    """The categories a split date field offers, lowest first (``different`` always)."""
    kinds = {kind for kind, _, _ in data.slices}
    offered = [name for name, needs in DATE_CATEGORY_SLICES if kinds & set(needs)]
    return ("different", *reversed(offered))


def agreement_cut(chance: float) -> float:
    """Dice at or above which a slice (one token per value) counts as agreeing:
    ``chance + AGREEMENT * (1 - chance)``, where ``chance`` is the Dice two unrelated values reach
    (measured on random pairs, so that the cut holds for any slice size and hardening). With 8
    bits per token in 128-bit slices two unrelated values share about half a bit: reaching the
    cut (about 7 of 8 bits) by chance happens about once in a million pairs."""
    return float(chance + AGREEMENT * (1.0 - chance))


def chance_dice(piece: np.ndarray, present: np.ndarray, *, pairs: int = 4096, seed: int = 0) -> float:
    """Median Dice of seeded random pairs of distinct rows with a non-empty ``piece`` (0 if none)."""
    rows = np.flatnonzero(present & piece.any(axis=1))
    if len(rows) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    a = rows[rng.integers(0, len(rows), pairs)]
    b = rows[rng.integers(0, len(rows), pairs)]
    keep = a != b
    return float(np.median(similarity.dice_pairs(piece, piece, a[keep], b[keep]))) if keep.any() else 0.0


def to_levels(similarities: np.ndarray, cuts: Sequence[Sequence[float]]) -> np.ndarray:
    """Agreement level per pair and field: the number of cut points at or below the similarity;
    -1 for a missing similarity."""
    levels = np.full(similarities.shape, -1, np.int8)
    for f, field_cuts in enumerate(cuts):
        column = similarities[:, f]
        known = ~np.isnan(column)
        levels[known, f] = np.searchsorted(np.asarray(field_cuts, np.float32), column[known], side="right")
    return levels


def compare(records: RecordSet, ia: np.ndarray, ib: np.ndarray, config: LinkJobConfig) -> Comparison:
    """Similarities and levels of every pair ``(ia[k], ib[k])`` and field (module docstring)."""
    fields = records.fields
    t = diffusion_of(records.schema)
    sims = np.empty((len(ia), len(fields)), np.float32)
    levels = np.empty((len(ia), len(fields)), np.int8)
    for f, data in enumerate(fields):
        pieces = {kind: data.slice(kind) for kind, _, _ in data.slices}
        cuts = {kind: agreement_cut(chance_dice(piece, data.present)) for kind, piece in pieces.items()}
        for start in range(0, len(ia), _CHUNK):
            a, b = ia[start : start + _CHUNK], ib[start : start + _CHUNK]
            if data.kind == "bound":
                sims[start : start + len(a), f], levels[start : start + len(a), f] = _bound_levels(pieces, cuts, a, b)
                continue
            column = _similarity(data, a, b, t)
            sims[start : start + len(a), f] = column
            if data.slices:
                levels[start : start + len(a), f] = _date_levels(pieces, cuts, data.present, a, b)
            else:
                levels[start : start + len(a), f] = to_levels(column[:, None], [config.cuts(data.name, data.kind)])[:, 0]
    names = tuple(level_names(data, config) for data in fields)
    return Comparison(sims, levels, tuple(len(n) for n in names), names)


def _similarity(data: FieldData, a: np.ndarray, b: np.ndarray, t: int) -> np.ndarray:
    """Names: part-set score; others: Dice, of the inputs as estimated when diffused (``t > 0``)."""
    if data.kind == "name":
        return similarity.part_set_dice(data.filters, data.present, data.filters, data.present, a, b, diffusion=t)
    if t and not data.slices:
        sims = estimated_dice(data.filters, data.filters, a, b, t)
    else:
        sims = similarity.dice_pairs(data.filters, data.filters, a, b)
    return np.where(data.present[a] & data.present[b], sims, np.float32(np.nan))


def _date_levels(pieces: dict[str, np.ndarray], cuts: dict[str, float], present: np.ndarray, a: np.ndarray,
                 b: np.ndarray) -> np.ndarray:
    """Category level of every pair of a split date field (-1 where either date is missing);
    ``pieces`` are the slices' filters by token kind, ``cuts`` their agreement cuts."""
    offered = [[kind for kind in needs if kind in cuts] for _, needs in DATE_CATEGORY_SLICES]
    offered = [kinds for kinds in offered if kinds]
    out = np.zeros(len(a), np.int8)
    decided = np.zeros(len(a), bool)
    for rank, kinds in enumerate(offered):  # strongest first
        agree = np.zeros(len(a), bool)
        for kind in kinds:
            agree |= similarity.dice_pairs(pieces[kind], pieces[kind], a, b) >= np.float32(cuts[kind])
        new = agree & ~decided
        out[new] = len(offered) - rank
        decided |= agree
    out[~(present[a] & present[b])] = -1
    return out


def _bound_levels(pieces: dict[str, np.ndarray], cuts: dict[str, float], a: np.ndarray,
                  b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Similarity and level of every pair for a bound role (module docstring): the anchors in
    :data:`linkage.config.BIND_ANCHORS` order, the first that agrees deciding; ``pieces`` holds
    each anchor's slice and the role's slice bound to it, by slice kind."""
    sims = np.full(len(a), np.nan, np.float32)
    out = np.full(len(a), -1, np.int8)
    decided = np.zeros(len(a), bool)
    for anchor in BIND_ANCHORS:
        bound = next((kind for kind in pieces if kind.startswith(f"{anchor}+")), None)
        if anchor not in pieces or bound is None:
            continue
        piece = pieces[bound]
        agree = ~decided & (similarity.dice_pairs(pieces[anchor], pieces[anchor], a, b) >= np.float32(cuts[anchor]))
        use = agree & piece[a].any(axis=1) & piece[b].any(axis=1)
        dice = similarity.dice_pairs(piece, piece, a[use], b[use])
        sims[use] = dice
        out[use] = dice >= np.float32(cuts[bound])
        decided |= use
    return sims, out


def bound_u(records: RecordSet) -> dict[int, np.ndarray]:
    """u of every bound role (field index -> [disagree, agree]) from the exports' stated agreement
    rates (:func:`linkage.bind.agreement_rate`, combined by :func:`linkage.records.record_set`):
    the linkage unit cannot count agreement among unrelated records itself, by design. Roles
    without a stated rate are left out (their u then comes from the random pairs)."""
    out = {}
    for f, data in enumerate(records.fields):
        rate = records.bound_agreement.get(data.name) if data.kind == "bound" else None
        if rate is not None:
            rate = min(max(float(rate), 1e-6), 1.0 - 1e-6)
            out[f] = np.array([1.0 - rate, rate])
    return out


#: Date slices that agree only where the name skeletons agree too (:mod:`linkage.bind`).
NAME_BOUND_SLICES = frozenset({"year_name_set", "year_name_keyed"})


def name_bound_levels(records: RecordSet) -> dict[int, tuple[int, tuple[int, ...]]]:
    """Split date fields whose categories some level reaches only through name-bound anchors
    (``year_name_set``, ``year_name_keyed``: the year with the name skeletons of the schema's
    ``bind_name_field``): date field index -> (that name field's index, those levels). Such a
    level holds the name's agreement as well as the date's, so its u must be that of pairs whose
    names agree (:func:`linkage.estimate.estimate_model`, ``u_given``)."""
    index = {data.name: f for f, data in enumerate(records.fields)}
    specs = {spec.get("name"): spec for spec in records.schema.get("fields", [])}
    out = {}
    for f, data in enumerate(records.fields):
        name_field = specs.get(data.name, {}).get("bind_name_field")
        if not data.slices or data.kind == "bound" or name_field not in index:
            continue
        categories = date_categories(data)
        kinds = {kind for kind, _, _ in data.slices}
        levels = tuple(categories.index(category) for category, needs in DATE_CATEGORY_SLICES
                       if category in categories and kinds & set(needs) and kinds & set(needs) <= NAME_BOUND_SLICES)
        if levels:
            out[f] = (index[name_field], levels)
    return out
