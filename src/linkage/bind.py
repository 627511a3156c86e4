"""Bound roles: low-entropy attributes encoded only together with a high-entropy anchor.

Contract
--------
A split date field with ``bind = ["sex", "nationality"]`` and ``bind_name_field = "name"``
(:class:`linkage.config.FieldSpec`) lets a schema drop sex and nationality as fields of their
own. The field gets an *anchor* slice, ``year_name_set``: the keyed hash of the date's year with
the sorted set of the record's name-part skeletons (:func:`linkage.names.skeleton`) in the name
field; and per bound role a slice ``year_name_set+<role>``: the keyed hash of the anchor's token
joined with the role's normalised value (one token each, the ``year`` token kind's bits per
token, each slice its own key ``bloom/<field>/<slice>``). A slice is empty where the record has
no name part, or (bound slices) lacks the role's value.

The linkage unit compares a bound role only where the anchor agrees (same year, same skeleton
set: one person's records, or namesakes born in the same year): equal bound slices mean the role
agrees, different ones that it disagrees; anywhere else, or when either record lacks the value,
there is no evidence (level ``-1``, missing to Fellegi-Sunter). :mod:`linkage.compare` makes one
comparison column per bound role (:func:`comparison_name`). The role's u (agreement of unrelated
records) cannot be seen by the linkage unit, by design: each export states it as an aggregate,
the chance that two of its records with the value agree (:func:`agreement_rate`, the sum of the
squared value shares; ``stats.bound_agreement`` in the metadata).

Why this anchor: a bound class is then a few records of one person or of namesakes, who mostly
share sex and often nationality, so class sizes tell next to nothing about the value. Anchors
shared by several unrelated persons (the exact date once data is dense, the year, year windows)
split groups by the value, and the larger subgroup gives the common value away; several anchors
per record chain subgroups into "worlds". :mod:`linkage.audit.bound` measures both.

This module is the encoder's part: which bound columns to normalise, the tokens of the extra
slices (once per distinct (anchor, value) pair) and the agreement rates. Nothing here reads files
or prints; no value enters an error message or the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._columns import Column
from .config import NAME_ANCHOR, FieldSpec, Schema
from .names import skeleton
from .tokens import Incidence, date_array

__all__ = ["BoundSlice", "agreement_rate", "attribute_specs", "bound_slices", "bound_token", "column_name",
           "comparison_name", "bound_pairs", "year_name_set_tokens"]
_JOIN = "\x1d"  # between an anchor token and a bound value (never in a normalised value)


def column_name(field: str, role: str) -> str:
    """Key of a bound role's normalised column in the encoder (also its quarantine field name)."""
    return f"{field}.{role}"


def comparison_name(field: str, role: str) -> str:
    """Name of a bound role's comparison column at the linkage unit: ``birth_date.sex``."""
    return f"{field}.{role.removeprefix('attribute.')}"


def bound_pairs(spec: FieldSpec) -> list[tuple[str, str, str]]:
    """(slice kind, anchor, role) of every bound slice of ``spec``, in stored order."""
    out = []
    for kind in spec.slice_kinds:
        anchor, plus, role = kind.partition("+")
        if plus:
            out.append((kind, anchor, role))
    return out


def attribute_specs(schema: Schema) -> Iterator[tuple[str, FieldSpec]]:
    """(column key, code field spec) of every bound role, for normalising it like a code field."""
    for spec in schema.fields:
        for role in spec.bind:
            key = column_name(spec.name, role)
            yield key, FieldSpec(name=key, kind="code", sources=(role,), num_bits=64, tokens=(("value", 1),))


def bound_token(anchor_token: str, value: str) -> str:
    """The token of a bound slice: the anchor's token joined with the role's value."""
    return f"{anchor_token}{_JOIN}{value}"


def year_name_set_tokens(years: np.ndarray, rows: np.ndarray, names: Column) -> list[str]:
    """The ``year_name_set`` anchor token of each date item (its year and its row ``rows[i]``;
    ``""`` where the row has no name part): ``"yns:<year>|<sorted distinct skeletons>"``."""
    skeletons = [skeleton(v) for v in names.values]
    owners = names.rows
    keys = np.asarray(skeletons + [""], dtype=object)[names.codes] if len(names.codes) else np.zeros(0, object)
    per_row: dict[int, set[str]] = {}
    for row, key in zip(owners.tolist(), keys.tolist()):
        if key:
            per_row.setdefault(row, set()).add(key)
    return [f"yns:{y:04d}|{' '.join(sorted(per_row[r]))}" if r in per_row else ""
            for y, r in zip(years.tolist(), rows.tolist())]


@dataclass(frozen=True, slots=True)
class BoundSlice:
    """Tokens of one extra slice (a bound slice or the ``year_name_set`` anchor) over the distinct
    (token, salt) pairs of a chunk: ``pair_of_item[i]`` is the pair of date item ``i``;
    ``tokens`` holds at most one token per pair, ``pair_salts`` the salt id of each pair (salted
    like the date's own items)."""

    kind: str
    bits_per_token: int
    pair_of_item: np.ndarray
    tokens: Incidence
    pair_salts: np.ndarray


def _slice(kind: str, bits: int, token_of_item: np.ndarray, vocab: list[str], item_salts: np.ndarray,
           n_salts: int) -> BoundSlice:
    """A slice whose date item ``i`` holds token ``vocab[token_of_item[i]]`` (none where -1)."""
    pair_of_item, uniq = pd.factorize((token_of_item + 1) * n_salts + item_salts, sort=False)
    uniq = np.asarray(uniq, np.int64)
    token = uniq // n_salts - 1
    owners = np.flatnonzero(token >= 0)
    strings = [vocab[t] for t in token[owners].tolist()]
    ids, distinct = pd.factorize(pd.Series(strings, dtype=object), sort=False)
    return BoundSlice(kind, bits, np.asarray(pair_of_item, np.int64),
                      Incidence(owners.astype(np.int64), np.asarray(ids, np.int64), list(distinct)), uniq % n_salts)


def bound_slices(spec: FieldSpec, dates: Column, columns: Mapping[str, Column], item_salts: np.ndarray,
                 n_salts: int) -> list[BoundSlice]:
    """The extra slices of a split date field (after its token kinds' slices, in stored order)
    for the date items of a chunk (one per row with a date, ``dates.rows``); ``columns`` holds
    the bound roles' normalised columns and the ``bind_name_field``'s."""
    if not spec.bind or spec.bind_name_field is None:
        return []
    bits = dict(spec.tokens).get("year", max(b for _, b in spec.tokens))
    years = date_array(dates.values)[dates.codes, 0] if len(dates.codes) else np.zeros(0, np.int64)
    strings = year_name_set_tokens(years, dates.rows, columns[spec.bind_name_field])
    ids, vocab = pd.factorize(pd.Series(strings, dtype=object), sort=False)
    vocab, ids = list(vocab), np.asarray(ids, np.int64)
    if "" in vocab:
        ids = np.where(ids == vocab.index(""), -1, ids)
    out = [_slice(NAME_ANCHOR, bits, ids, vocab, item_salts, n_salts)]
    for kind, _, role in bound_pairs(spec):
        attr = columns[column_name(spec.name, role)]
        per_row = np.full(dates.n_rows, -1, np.int64)
        per_row[attr.rows] = attr.codes
        size = len(attr.values) + 1
        pair, uniq = pd.factorize((ids + 1) * size + per_row[dates.rows] + 1, sort=False)
        uniq = np.asarray(uniq, np.int64)
        anchor, value = uniq // size - 1, uniq % size - 1
        ok = (anchor >= 0) & (value >= 0)
        joined = [bound_token(vocab[a], attr.values[v]) if k else ""
                  for a, v, k in zip(anchor.tolist(), value.tolist(), ok.tolist())]
        token_of_item = np.where(ok, np.arange(len(uniq)), -1)[np.asarray(pair, np.int64)]
        out.append(_slice(kind, bits, token_of_item, joined, item_salts, n_salts))
    return out


def agreement_rate(counts: Mapping[str, int]) -> float | None:
    """The chance that two records drawn with replacement agree on the role: the sum of the
    squared shares of its values (None without values). An aggregate of the export, stated in
    its metadata so that the linkage unit can weigh agreement (u) without seeing any value."""
    total = sum(counts.values())
    if total == 0:
        return None
    return round(float(sum((c / total) ** 2 for c in counts.values())), 4)
