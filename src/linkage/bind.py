"""Bound roles: low-entropy attributes encoded only together with a high-entropy anchor.

Contract
--------
A split date field with ``bind = ["sex", "nationality"]`` (:class:`linkage.config.FieldSpec`)
lets a schema drop sex and nationality as fields of their own: for every bound role and *anchor*
(:data:`linkage.config.BIND_ANCHORS`) the field gets one more slice, ``<anchor>+<role>``,
holding the keyed hash of the anchor's token joined with the role's normalised value (one token,
the anchor's bits per token, the slice's own key ``bloom/<field>/<slice>``). The anchors:

* ``ymd`` and ``year_day_month_set``: the date token kinds of the field (exact date; the same
  year with day and month as an unordered pair), when the field has them;
* ``year_name_set`` (with ``bind_name_field = "<name field>"``): the year with the sorted set of
  the record's name-part skeletons (:func:`linkage.names.skeleton`) in that field, stored as an
  anchor slice of its own: the anchor of year-only and placeholder dates.

A slice is empty where the record lacks the role's value or the anchor (a year-only date has no
``ymd``; a record without name parts no ``year_name_set``).

The linkage unit compares a bound role only where an anchor agrees, the anchors tried in order:
equal bound slices mean the role agrees, different ones that it disagrees; anywhere else, or when
either record lacks the value, there is no evidence (level ``-1``, missing to Fellegi-Sunter).
:mod:`linkage.compare` makes one comparison column per bound role (:func:`comparison_name`).

Why these anchors: records sharing one are one person's records, twins or namesakes born in the
same year, so a bound class holds a few records of one or two persons and its size tells nothing
about the value; the year or a year window would split large groups by the value (given away by
subgroup sizes), and window tokens would chain such subgroups across years.
:mod:`linkage.audit.bound` measures what the linkage unit can still infer.

This module is the encoder's part: which bound columns to normalise and the tokens of every bound
slice, computed once per distinct (anchor, value) pair. Nothing here reads files or prints; no
value enters an error message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._columns import Column
from .config import FieldSpec, Schema
from .names import skeleton
from .tokens import Incidence, date_array, incidence

__all__ = ["NAME_ANCHOR", "BoundSlice", "attribute_specs", "bound_slices", "bound_token", "column_name",
           "comparison_name", "bound_pairs", "year_name_set_tokens"]

NAME_ANCHOR = "year_name_set"
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
    if not spec.bind:
        return []
    bits = dict(spec.tokens)
    matrix = date_array(dates.values)
    anchors: dict[str, tuple[np.ndarray, list[str]]] = {}  # anchor -> token id per date item, vocabulary
    for anchor in ("ymd", "year_day_month_set"):
        if anchor in bits:
            inc = incidence("date", anchor, matrix)
            per_value = np.full(len(dates.values), -1, np.int64)
            per_value[inc.owners] = inc.token_ids
            anchors[anchor] = (per_value[dates.codes], inc.tokens)
    out = []
    if spec.bind_name_field is not None:
        strings = year_name_set_tokens(matrix[dates.codes, 0], dates.rows, columns[spec.bind_name_field])
        ids, vocab = pd.factorize(pd.Series(strings, dtype=object), sort=False)
        vocab = list(vocab)
        ids = np.asarray(ids, np.int64)
        if "" in vocab:
            ids = np.where(ids == vocab.index(""), -1, ids)
        anchors[NAME_ANCHOR] = (ids, vocab)
        bits[NAME_ANCHOR] = bits.get("year", max(bits.values()))
        out.append(_slice(NAME_ANCHOR, bits[NAME_ANCHOR], ids, vocab, item_salts, n_salts))
    for kind, anchor, role in bound_pairs(spec):
        attr = columns[column_name(spec.name, role)]
        per_row = np.full(dates.n_rows, -1, np.int64)
        per_row[attr.rows] = attr.codes
        value = per_row[dates.rows]
        token, vocab = anchors[anchor]
        pair, uniq = pd.factorize((token + 1) * (len(attr.values) + 1) + value + 1, sort=False)
        uniq = np.asarray(uniq, np.int64)
        t, v = uniq // (len(attr.values) + 1) - 1, uniq % (len(attr.values) + 1) - 1
        ok = (t >= 0) & (v >= 0)
        joined = [bound_token(vocab[a], attr.values[b]) if k else "" for a, b, k in zip(t.tolist(), v.tolist(), ok.tolist())]
        token_of_item = np.where(ok, np.arange(len(uniq)), -1)[np.asarray(pair, np.int64)]
        out.append(_slice(kind, bits[anchor], token_of_item, joined, item_salts, n_salts))
    return out
