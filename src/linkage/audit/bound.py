"""Attacks on bound roles (:mod:`linkage.bind`): what the linkage unit infers about sex or
nationality encoded only bound to an anchor.

Contract
--------
``bound_attacks(view, public)`` takes the linkage unit's view (slice columns of split fields,
:func:`linkage.audit._view.lu_view`) and the attacker's public sample, and guesses every bound
role of every record with a date, four ways:

* ``subgroup sizes``: within each anchor group (records sharing an anchor slice), the distinct
  bound classes are the role's values; the attacker ranks them by records and names the largest
  with the public sample's most common value, the next with the second, ... (of a record's
  anchors, the first whose group is split decides, else the first it has);
* ``colouring``: bound classes of one record (one per anchor) hold the same value, distinct
  classes of one anchor group different values: classes are merged through records, and within
  each connected structure a two-valued role is 2-coloured (larger colour: the most common value;
  this is how subgroups chained into one "world" would give the role away), a many-valued one
  ranked by size as above. The largest structure's share of records shows whether classes chain;
* ``frequency``: each bound slice aligned by frequency with the sample's bound tokens (anchor
  token with value); the value of the guessed token is the guess;
* ``date shape``: the sample's most common value among records whose date has the same anchors
  (full date, day/month ambiguous, year only): what the date's visible form alone tells.

Records no attack can place get the sample's most common value (the prior guess). Returns a
:class:`BoundGuesses` per (field, role): per record guesses by attack, and the largest structure.
Scoring against the truth is :mod:`linkage.audit.measure`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..bind import comparison_name
from ..config import BIND_ANCHORS
from ._plain import PlainSide
from ._view import EncodedColumn, EncodedView
from .frequency import align_frequencies

__all__ = ["BoundGuesses", "bound_attacks", "BOUND_ATTACKS"]

BOUND_ATTACKS = ("subgroup sizes", "colouring", "frequency", "date shape")
_JOIN = "\x1d"


@dataclass(frozen=True, slots=True)
class BoundGuesses:
    field: str  # comparison name, e.g. birth_date.sex
    role: str
    guesses: dict[str, np.ndarray]  # attack -> per record value guess (object)
    prior_value: str
    largest_structure: float = 0.0  # share of records with a bound class in the largest colouring structure
    structures: int = 0
    notes: dict[str, str] = field(default_factory=dict)


def _per_record(col: EncodedColumn, n: int) -> np.ndarray:
    """Class of each record in a one-item-per-record column (-1: none)."""
    out = np.full(n, -1, np.int64)
    out[col.owners] = col.classes
    return out


def _ranked_values(public: PlainSide, role: str) -> list[str]:
    values = public.attributes.get(role, np.zeros(0, object))
    counts = pd.Series(values[values != ""], dtype=object).value_counts(sort=True)
    return [str(v) for v in counts.index] or [""]


def _rank_within(groups: np.ndarray, members: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rank (0 = most weight) of every member within its group; rows are (group, member) pairs."""
    frame = pd.DataFrame({"g": groups, "m": members, "w": weights})
    sizes = frame.groupby(["g", "m"], sort=False)["w"].sum().reset_index()
    sizes = sizes.sort_values(["g", "w", "m"], ascending=[True, False, True], kind="stable")
    sizes["rank"] = sizes.groupby("g").cumcount()
    return frame.merge(sizes[["g", "m", "rank"]], on=["g", "m"], how="left")["rank"].to_numpy()


def _subgroup_sizes(anchor: np.ndarray, bound: np.ndarray, values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per record (with both classes): the value of its bound class's size rank in its anchor
    group, and whether that group is split (holds more than one bound class)."""
    has = (anchor >= 0) & (bound >= 0)
    out = np.full(len(anchor), None, dtype=object)
    split = np.zeros(len(anchor), bool)
    if has.any():
        rank = _rank_within(anchor[has], bound[has], np.ones(int(has.sum())))
        out[has] = np.asarray(values, dtype=object)[np.minimum(rank, len(values) - 1)]
        classes = pd.DataFrame({"a": anchor[has], "b": bound[has]}).groupby("a")["b"].transform("nunique")
        split[has] = classes.to_numpy() > 1
    return out, split


class _Parity:
    """Union-find with a parity bit: ``same``/``differ`` constraints between nodes."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)
        self.parity = np.zeros(n, np.int8)  # parity to the parent

    def find(self, a: int) -> tuple[int, int]:
        path = []
        while self.parent[a] != a:
            path.append(a)
            a = int(self.parent[a])
        root, acc = a, 0
        for node in reversed(path):  # compress, accumulating parity from the root down
            acc ^= int(self.parity[node])
            self.parity[node] = acc
            self.parent[node] = root
        return root, (int(self.parity[path[0]]) if path else 0)

    def union(self, a: int, b: int, differ: int) -> None:
        (ra, pa), (rb, pb) = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.parity[rb] = pa ^ pb ^ differ


def _colouring(anchors: Sequence[np.ndarray], bounds: Sequence[np.ndarray], values: list[str],
               two_valued: bool) -> tuple[np.ndarray, float, int]:
    """Guesses of the colouring attack (module docstring), the largest structure's share of
    records with a class, and the number of structures."""
    n = len(anchors[0])
    offsets = np.cumsum([0] + [int(b.max()) + 1 if (b >= 0).any() else 0 for b in bounds])
    node = np.full((n, len(bounds)), -1, np.int64)
    for j, b in enumerate(bounds):
        node[b >= 0, j] = b[b >= 0] + offsets[j]
    uf = _Parity(int(offsets[-1]))
    first = np.full(n, -1, np.int64)  # each record's first bound node
    for j in reversed(range(len(bounds))):
        first = np.where(node[:, j] >= 0, node[:, j], first)
    for j in range(len(bounds)):  # classes of one record: the same value
        both = (first >= 0) & (node[:, j] >= 0) & (node[:, j] != first)
        for a, b in zip(first[both].tolist(), node[both, j].tolist()):
            uf.union(a, b, 0)
    for j, (anchor, b) in enumerate(zip(anchors, bounds)):  # distinct classes of one group: different values
        has = (anchor >= 0) & (b >= 0)
        frame = pd.DataFrame({"g": anchor[has], "c": b[has] + offsets[j]}).drop_duplicates()
        lead = frame.groupby("g")["c"].transform("first").to_numpy()
        for a, c in zip(lead.tolist(), frame["c"].tolist()):
            if a != c:
                uf.union(a, c, 1)
    placed = first >= 0
    roots = np.full(n, -1, np.int64)
    colour = np.zeros(n, np.int64)
    for i in np.flatnonzero(placed).tolist():
        roots[i], colour[i] = uf.find(int(first[i]))
    out = np.full(n, None, dtype=object)
    if not placed.any():
        return out, 0.0, 0
    sizes = np.bincount(np.unique(roots[placed], return_inverse=True)[1].ravel())
    member = colour if two_valued else np.where(placed, first, -1)  # many values: a class of its own
    rank = _rank_within(roots[placed], member[placed], np.ones(int(placed.sum())))
    out[placed] = np.asarray(values, dtype=object)[np.minimum(rank, len(values) - 1)]
    return out, float(sizes.max() / placed.sum()), int(len(sizes))


def _frequency(col: EncodedColumn, public: PlainSide, n: int) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    if col.name not in public.columns:
        return out
    al = align_frequencies(col, public.columns[col.name])
    guesses = al.item_guesses(col)
    out[col.owners] = [g.rsplit(_JOIN, 1)[-1] if isinstance(g, str) else None for g in guesses.tolist()]
    return out


def _shape(view: EncodedView, public: PlainSide, base: str, role: str, n: int) -> tuple[np.ndarray, str]:
    """The sample's most common value per date shape (which anchor slices a record has)."""
    anchors = [f"{base}/{a}" for a in ("ymd", "year_day_month_set")]

    def shapes(has: list[np.ndarray]) -> np.ndarray:
        return sum((h.astype(np.int64) << i) for i, h in enumerate(has))

    def present(columns: dict, name: str, size: int) -> np.ndarray:
        out = np.zeros(size, bool)
        if name in columns:
            out[columns[name].owners] = True
        return out

    mine = shapes([present(view.columns, a, n) for a in anchors])
    values = public.attributes.get(role, np.zeros(0, object))
    theirs = shapes([present(public.columns, a, len(values)) for a in anchors])
    frame = pd.DataFrame({"s": theirs, "v": values})[values != ""]
    best = frame.groupby("s")["v"].agg(lambda v: v.value_counts().index[0])
    out = np.asarray([best.get(s) for s in mine.tolist()], dtype=object)
    return out, ", ".join(f"{s}: {v}" for s, v in best.items())


def bound_attacks(view: EncodedView, public: PlainSide) -> list[BoundGuesses]:
    """Every bound role's guesses per record and attack (see the module docstring)."""
    out: list[BoundGuesses] = []
    n = view.n_records
    for spec in view.schema.fields if view.schema is not None else ():
        base = f"f_{spec.name}"
        for role in spec.bind:
            kinds = [(a, f"{a}+{role}") for a in BIND_ANCHORS if f"{base}/{a}+{role}" in view.columns
                     and f"{base}/{a}" in view.columns]
            if not kinds:
                continue
            values = _ranked_values(public, role)
            anchors = [_per_record(view.columns[f"{base}/{a}"], n) for a, _ in kinds]
            bounds = [_per_record(view.columns[f"{base}/{k}"], n) for _, k in kinds]
            guesses: dict[str, np.ndarray] = {}
            first = np.full(n, None, dtype=object)
            informative = np.zeros(n, bool)
            for anchor, bound in zip(anchors, bounds):  # a split group tells most: it wins
                part, split = _subgroup_sizes(anchor, bound, values)
                take = (part != None) & ((first == None) | (split & ~informative))  # noqa: E711 - elementwise
                first = np.where(take, part, first)
                informative |= take & split
            guesses["subgroup sizes"] = first
            two = len(values) <= 3  # sex: m / f (and a rare x)
            guesses["colouring"], largest, structures = _colouring(anchors, bounds, values, two)
            freq = np.full(n, None, dtype=object)
            for _, k in kinds:
                part = _frequency(view.columns[f"{base}/{k}"], public, n)
                freq = np.where(freq == None, part, freq)  # noqa: E711
            guesses["frequency"] = freq
            guesses["date shape"], shape_note = _shape(view, public, base, role, n)
            prior = values[0]
            guesses = {k: np.where(g == None, prior, g) for k, g in guesses.items()}  # noqa: E711
            out.append(BoundGuesses(comparison_name(spec.name, role), role, guesses, prior, largest, structures,
                                    {"date shape": f"most common value per shape (bit 0 ymd, bit 1 "
                                                   f"year_day_month_set): {shape_note}"}))
    return out
