"""Normalised fields in long (columnar) form, built with one Python call per distinct raw value.

A :class:`Column` holds the normalised values of one schema field for ``n_rows`` records as
items: item ``i`` belongs to row ``rows[i]`` (ascending) and has value ``values[codes[i]]``.
Name fields have one item per distinct part (at most ``max_parts``, in column order: the first
source column's parts first); other fields have at most one item per row (the first source column
with a value wins). Missing values have no item.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .config import ExportConfig, FieldSpec, Role
from .countries import normalize_nationality
from .normalize import DateValue, Invalid, name_parts, normalize_code, normalize_sex, normalize_text, normalize_texts, parse_date

__all__ = ["Column", "normalise_field"]


@dataclass(frozen=True, slots=True)
class Column:
    n_rows: int
    rows: np.ndarray
    codes: np.ndarray
    values: list[Any]

    def take(self, keep: np.ndarray) -> "Column":
        """Only the rows where ``keep`` is true, renumbered from 0."""
        new_index = np.cumsum(keep) - 1
        mask = keep[self.rows]
        return Column(int(keep.sum()), new_index[self.rows[mask]], self.codes[mask], self.values)

    def slice(self, start: int, stop: int) -> "Column":
        lo, hi = np.searchsorted(self.rows, [start, stop])
        return Column(stop - start, self.rows[lo:hi] - start, self.codes[lo:hi], self.values)

    def rows_present(self) -> int:
        return int(np.count_nonzero(np.diff(self.rows))) + 1 if len(self.rows) else 0

    def per_row_salt(self, text: Callable[[Any], str]) -> tuple[np.ndarray, list[str]]:
        """Salt id per row (0 = missing, salted with ``""``) and the salt texts."""
        texts: dict[str, int] = {"": 0}
        value_salt = np.array([texts.setdefault(text(v), len(texts)) for v in self.values] or [0], np.int64)
        per_row = np.zeros(self.n_rows, np.int64)
        per_row[self.rows] = value_salt[self.codes]
        return per_row, list(texts)

    def map_values(self, ids_per_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, id) items for a per-value id (items whose value maps to -1 are dropped)."""
        ids = ids_per_value[self.codes] if len(self.codes) else np.zeros(0, np.int64)
        keep = ids >= 0
        return self.rows[keep], ids[keep]


def _ragged(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of ``lengths``: the group of each element and its index within the group."""
    owners = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
    return owners, np.arange(int(lengths.sum())) - starts[owners]


def _factorize(series: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """Codes per row and the distinct raw values in first-appearance order.

    Missing cells (None/NaN) get the last code, whose value is None. Values are not stripped:
    every normaliser treats surrounding and blank whitespace itself.
    """
    codes, uniques = pd.factorize(series, sort=False)
    codes = np.asarray(codes, np.int64)
    values: list[str | None] = [u if isinstance(u, str) else str(u) for u in uniques.tolist()]
    codes[codes < 0] = len(values)
    return codes, values + [None]


def _normaliser(role: str, kind: str, config: ExportConfig) -> Callable[[str | None], Any]:
    if role == Role.BIRTH_DATE:
        spec = config.birth_date
        return lambda raw: parse_date(raw, spec)
    if role == Role.SEX:
        return normalize_sex
    if role == Role.NATIONALITY:
        return normalize_nationality
    return normalize_text if kind == "text" else normalize_code


class FieldResult(NamedTuple):
    """A normalised field: its column, rows to quarantine and rows to warn about, with reasons."""

    column: Column
    bad_rows: np.ndarray
    bad_reasons: list[str]
    warn_rows: np.ndarray
    warn_reasons: list[str]


#: Roles whose unusable values make the field missing (with a warning) instead of quarantining
#: the row: weak evidence that is often written freely (a nationality nobody can map).
_SOFT_ROLES = frozenset({Role.NATIONALITY})


def normalise_field(records: pd.DataFrame, config: ExportConfig, spec: FieldSpec) -> FieldResult:
    """The field's :class:`Column`, the rows that must be quarantined and the rows to warn about."""
    sources = [(role, col) for role in spec.sources for col in config.columns_for(role)]
    if spec.kind == "name":
        empty = np.zeros(0, np.int64)
        result = FieldResult(_name_column(records, sources, spec.max_parts), empty, [], empty, [])
    else:
        result = _scalar_column(records, sources, config, spec.kind)
    if not spec.required:
        return result
    present = np.zeros(len(records), bool)
    present[result.column.rows] = True
    present[result.bad_rows] = True  # already quarantined for a better reason
    missing = np.flatnonzero(~present)
    return result._replace(bad_rows=np.concatenate([result.bad_rows, missing]),
                           bad_reasons=result.bad_reasons + ["missing"] * len(missing))


def _scalar_column(records: pd.DataFrame, sources: list[tuple[str, str]], config: ExportConfig,
                   kind: str) -> FieldResult:
    n = len(records)
    row_value = np.full(n, -1, np.int64)
    row_reason = np.full(n, -1, np.int64)
    row_warning = np.full(n, -1, np.int64)
    values: dict[Hashable, int] = {}
    reasons: dict[str, int] = {}
    for role, col in sources:
        codes, uniques = _factorize(records[col])
        if kind == "text" and role != Role.BIRTH_DATE:
            results: list[Any] = normalize_texts(uniques)
        else:
            normalise = _normaliser(role, kind, config)
            results = [normalise(raw) if raw is not None else None for raw in uniques]
        # per distinct raw value: value id (>= 0), -1 missing, or -2 - reason id
        if kind == "text" or role not in (Role.BIRTH_DATE, Role.SEX, Role.NATIONALITY):  # no Invalid possible
            ids = [-1 if r is None else values.setdefault(r, len(values)) for r in results]
        else:
            ids = [-1 if r is None else (-2 - reasons.setdefault(r.reason, len(reasons))) if isinstance(r, Invalid)
                   else values.setdefault(r, len(values)) for r in results]
        per_unique = np.array(ids, np.int64)
        open_rows = np.flatnonzero((row_value < 0) & (row_reason < 0))
        chosen = per_unique[codes[open_rows]]
        row_value[open_rows] = np.where(chosen >= 0, chosen, -1)
        invalid = chosen <= -2
        soft = role in _SOFT_ROLES or (role == Role.BIRTH_DATE and config.birth_date.invalid == "missing")
        (row_warning if soft else row_reason)[open_rows[invalid]] = -2 - chosen[invalid]
    value_list = list(values)
    ambiguous = np.array([isinstance(v, DateValue) and v.ambiguous for v in value_list] + [False], bool)
    row_warning[(row_warning < 0) & ambiguous[row_value]] = reasons.setdefault("ambiguous_day_month", len(reasons))
    rows = np.flatnonzero(row_value >= 0)
    bad = np.flatnonzero(row_reason >= 0)
    warned = np.flatnonzero((row_warning >= 0) & (row_reason < 0))
    names = list(reasons)
    return FieldResult(Column(n, rows, row_value[rows], value_list), bad, [names[r] for r in row_reason[bad].tolist()],
                       warned, [names[r] for r in row_warning[warned].tolist()])


def _name_column(records: pd.DataFrame, sources: list[tuple[str, str]], max_parts: int) -> Column:
    n = len(records)
    vocab: dict[str, int] = {}
    all_rows, all_order, all_parts = [], [], []
    for c, (_, col) in enumerate(sources):
        codes, uniques = _factorize(records[col])
        per_unique = [[vocab.setdefault(p, len(vocab)) for p in name_parts(u)] if u else [] for u in uniques]
        lengths = np.array([len(p) for p in per_unique], np.int64)
        flat = np.array([p for parts in per_unique for p in parts], np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
        rows, within = _ragged(lengths[codes])
        all_rows.append(rows)
        all_order.append(c * 1_000 + within)
        all_parts.append(flat[starts[codes][rows] + within] if len(rows) else np.zeros(0, np.int64))
    if not all_rows:
        return Column(n, np.zeros(0, np.int64), np.zeros(0, np.int64), [])
    rows, order, parts = (np.concatenate(a) for a in (all_rows, all_order, all_parts))
    idx = np.lexsort((order, rows))
    rows, parts = rows[idx], parts[idx]
    # keep the first occurrence of each part within a row
    first = ~pd.Series(rows * max(len(vocab), 1) + parts).duplicated().to_numpy()
    rows, parts = rows[first], parts[first]
    if len(rows):
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
        rows, parts = rows[rank < max_parts], parts[rank < max_parts]
    return Column(n, rows, parts, list(vocab))
