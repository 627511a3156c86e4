"""Bound roles: low-entropy attributes encoded only together with high-entropy anchors.

Contract
--------
A split date field with ``bind = ["sex", "nationality"]`` and ``bind_name_field = "name"``
(:class:`linkage.config.FieldSpec`) lets a schema drop sex and nationality as fields of their
own. The field gets one slice per *anchor* (:data:`linkage.config.BIND_ANCHORS`):

* ``year_name_set``: the date's year with the sorted set of the record's name-part skeletons
  (:func:`linkage.names.skeleton`) in the name field;
* ``ymd_name_a``, ``ymd_name_b``: the exact date (day and month known) with one of the record's
  skeletons, the one first in a public min-hash order (two orders): two records whose skeleton
  sets overlap in a share J pick the same one with probability J, so records of one person whose
  agencies hold different subsets of the name parts still share an anchor;

and, where the field lists them in ``anchors`` (:data:`linkage.config.KEYED_ANCHORS`), anchors that
no role is bound to, for the date comparison only:

* ``year_name_keyed``: the year with the ONE skeleton of the record first in an order keyed by a
  subkey of the project secret (``order/<field>``). One token per record, so its
  classes hold the records of one year that picked one skeleton: small, and they do not chain
  (two tokens per record, e.g. two orders, would link the (year, skeleton) classes into year-pure
  components that grow with the data); the linkage unit cannot recompute which skeleton a record
  picked. Two records whose skeleton sets overlap in a share J still pick the same one with
  probability J. Without the key (:func:`anchor_tokens` with ``order_key=None``: the attacker's
  view) a fixed public stand-in order is used;

and per bound anchor and role a slice ``<anchor>+<role>``: the keyed hash of the anchor's token
joined with the role's normalised value. Every slice holds one token (the ``year`` token kind's
bits per token, else the field's largest) under its own key ``bloom/<field>/<slice>``; a slice is
empty where the record lacks the anchor (no name part; a year-only date has no ``ymd_name_*``)
or, for a bound slice, the role's value.

The linkage unit compares a bound role only where an anchor agrees, trying the anchors in order:
equal bound slices mean the role agrees, different ones that it disagrees; anywhere else, or when
either record lacks the value, there is no evidence (level ``-1``, missing to Fellegi-Sunter).
:mod:`linkage.compare` makes one comparison column per bound role (:func:`comparison_name`). The
role's u (agreement of unrelated records) cannot be seen by the linkage unit, by design: each
export states it as an aggregate, the chance that two of its records with the value agree
(:func:`agreement_rate`, the sum of the squared value shares; ``stats.bound_agreement``).

Why these anchors: a bound class is then a few records of one person, of namesakes born in the
same year or of persons born on the same day sharing a name part, who mostly share sex, so class
sizes tell next to nothing about the value, and all anchors of a record lie within its year (the
exact-date ones within its day), so classes cannot chain across the data. Anchors shared by many
unrelated persons (the exact date alone once data is dense, the year, year windows) split groups
by the value, and the larger subgroup gives the common value away. :mod:`linkage.audit.bound`
measures both.

This module is the encoder's part: which bound columns to normalise, the tokens of the extra
slices (once per distinct (anchor, value) pair) and the agreement rates. Nothing here reads files
or prints; no value enters an error message or the metadata.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._columns import Column
from .config import BIND_ANCHORS, KEYED_ANCHORS, FieldSpec, Schema
from .names import skeleton
from .tokens import Incidence, date_array

__all__ = ["BoundSlice", "agreement_rate", "agreement_rates", "anchor_tokens", "attribute_specs", "bound_pairs",
           "bound_slices", "bound_token", "column_name", "comparison_name", "order_key_purpose", "value_counts"]
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


def _row_skeletons(names: Column) -> pd.DataFrame:
    """``row``, ``sk``: each row's distinct non-empty name-part skeletons, sorted by row, then by
    skeleton (Python string order); :func:`linkage.names.skeleton` runs once per distinct value."""
    skeletons = np.asarray([skeleton(v) for v in names.values] + [""], dtype=object)
    frame = pd.DataFrame({"row": np.asarray(names.rows, np.int64),
                          "sk": skeletons[names.codes] if len(names.codes) else np.zeros(0, object)})
    frame = frame[frame["sk"] != ""].drop_duplicates()
    return frame.sort_values(["row", "sk"], kind="stable").reset_index(drop=True)


def _skeleton_sets(names: Column) -> dict[int, list[str]]:
    """Each row's distinct non-empty name-part skeletons, sorted (the reference of
    :func:`anchor_tokens`' vectorised grouping)."""
    frame = _row_skeletons(names)
    return {int(row): list(group) for row, group in frame.groupby("row", sort=True)["sk"]}


def _order(parts: set[str], order: str, key: bytes = b"") -> dict[str, bytes]:
    """Each part's place in a pseudo-random order (BLAKE2b personalised by ``order``): public
    without ``key``, secret with it."""
    return {p: hashlib.blake2b(p.encode(), digest_size=8, key=key, person=order.encode()).digest()
            for p in parts}


def order_key_purpose(field: str) -> str:
    """The project-secret subkey purpose of the keyed anchors' orders of ``field`` (each anchor
    personalises the keyed hash with its name)."""
    return f"order/{field}"


def _first_in_order(frame: pd.DataFrame, rank: dict[str, bytes], n_rows: int) -> np.ndarray:
    """Per row, its skeleton first in the order ``rank`` ("" for a row without one): the 8-byte
    ranks compared as big-endian integers, which is their byte order."""
    out = np.full(n_rows, "", dtype=object)
    if frame.empty:
        return out
    keys = np.array([int.from_bytes(rank[p], "big") for p in frame["sk"].tolist()], dtype=np.uint64)
    order = np.lexsort((keys, frame["row"].to_numpy()))
    rows = frame["row"].to_numpy()[order]
    first = order[np.r_[True, rows[1:] != rows[:-1]]]
    out[frame["row"].to_numpy()[first]] = frame["sk"].to_numpy()[first]
    return out


def _fixed(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded decimal strings."""
    if len(values) == 0:
        return np.zeros(0, dtype=object)
    return np.char.zfill(values.astype(np.int64).astype(str), width).astype(object)


def anchor_tokens(dates: np.ndarray, rows: np.ndarray, names: Column, anchors: Sequence[str] = (),
                  order_key: bytes | None = None) -> dict[str, list[str]]:
    """Every anchor's token (:data:`linkage.config.BIND_ANCHORS`, then the keyed ``anchors``) of
    each date item: its :func:`linkage.tokens.date_array` row ``dates[i]`` and its record
    ``rows[i]`` (``""``: none). ``order_key`` keys the order of the keyed anchors (None: a public
    stand-in order, which is all an attacker without the secret can use). Vectorised over items;
    :func:`anchor_tokens_reference` is the per-item definition."""
    frame = _row_skeletons(names)
    n_rows = int(max(names.n_rows, int(rows.max()) + 1 if len(rows) else 0))
    joined = np.full(n_rows, "", dtype=object)
    if not frame.empty:  # frame is sorted by row: one join per row over its run of skeletons
        row_of, sks = frame["row"].to_numpy(), frame["sk"].tolist()
        starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
        ends = np.r_[starts[1:], len(sks)]
        joined[row_of[starts]] = [" ".join(sks[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    distinct = set(frame["sk"].tolist())
    rows = np.asarray(rows, np.int64)
    dates = np.asarray(dates, np.int64).reshape(-1, 4)
    year, month, day, ambiguous = (dates[:, i] for i in range(4))
    parts = joined[rows] if len(rows) else np.zeros(0, object)
    has = parts != ""
    full = has & (month > 0) & (day > 0) & (ambiguous == 0)
    y = _fixed(year, 4)
    ymd = y + "-" + _fixed(month, 2) + "-" + _fixed(day, 2)
    out: dict[str, list[str]] = {"year_name_set": np.where(has, "yns:" + y + "|" + parts, "").tolist()}
    for anchor in BIND_ANCHORS[1:]:
        pick = _first_in_order(frame, _order(distinct, anchor), n_rows)[rows] if len(rows) else parts
        out[anchor] = np.where(full, anchor + ":" + ymd + "|" + pick, "").tolist()
    for anchor in anchors:
        if anchor in KEYED_ANCHORS:
            pick = _first_in_order(frame, _order(distinct, anchor, order_key or b""), n_rows)[rows] if len(rows) else parts
            out[anchor] = np.where(has, "ynk:" + y + "|" + pick, "").tolist()
    return out


def anchor_tokens_reference(dates: np.ndarray, rows: np.ndarray, names: Column, anchors: Sequence[str] = (),
                            order_key: bytes | None = None) -> dict[str, list[str]]:
    """:func:`anchor_tokens`, one item at a time (the definition; checked equal by a test)."""
    sets = _skeleton_sets(names)
    distinct = {p for parts in sets.values() for p in parts}
    orders = {anchor: _order(distinct, anchor) for anchor in BIND_ANCHORS[1:]}
    keyed = {anchor: _order(distinct, anchor, order_key or b"") for anchor in anchors if anchor in KEYED_ANCHORS}
    out: dict[str, list[str]] = {anchor: [] for anchor in (*BIND_ANCHORS, *keyed)}
    for (year, month, day, ambiguous), row in zip(np.asarray(dates).tolist(), np.asarray(rows).tolist()):
        parts = sets.get(row)
        full = month > 0 and day > 0 and not ambiguous
        out["year_name_set"].append(f"yns:{year:04d}|{' '.join(parts)}" if parts else "")
        for anchor, rank in orders.items():
            out[anchor].append(f"{anchor}:{year:04d}-{month:02d}-{day:02d}|{min(parts, key=rank.__getitem__)}"
                               if parts and full else "")
        for anchor, rank in keyed.items():
            out[anchor].append(f"ynk:{year:04d}|{min(parts, key=rank.__getitem__)}" if parts else "")
    return out


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
                 n_salts: int, order_key: bytes | None = None) -> list[BoundSlice]:
    """The extra slices of a split date field (after its token kinds' slices, in stored order)
    for the date items of a chunk (one per row with a date, ``dates.rows``); ``columns`` holds
    the bound roles' normalised columns and the ``bind_name_field``'s; ``order_key`` keys the
    order of the keyed anchors (the encoder's subkey :func:`order_key_purpose`)."""
    if not spec.bind or spec.bind_name_field is None:
        return []
    bits = dict(spec.tokens).get("year", max(b for _, b in spec.tokens))
    matrix = date_array(dates.values)[dates.codes] if len(dates.codes) else np.zeros((0, 4), np.int64)
    anchors: dict[str, tuple[np.ndarray, list[str]]] = {}
    out = []
    tokens = anchor_tokens(matrix, dates.rows, columns[spec.bind_name_field], spec.anchors, order_key)
    for anchor, strings in tokens.items():
        ids, vocab = pd.factorize(pd.Series(strings, dtype=object), sort=False)
        vocab, ids = list(vocab), np.asarray(ids, np.int64)
        if "" in vocab:
            ids = np.where(ids == vocab.index(""), -1, ids)
        anchors[anchor] = (ids, vocab)
        out.append(_slice(anchor, bits, ids, vocab, item_salts, n_salts))
    for kind, anchor, role in bound_pairs(spec):
        attr = columns[column_name(spec.name, role)]
        per_row = np.full(dates.n_rows, -1, np.int64)
        per_row[attr.rows] = attr.codes
        size = len(attr.values) + 1
        ids, vocab = anchors[anchor]
        pair, uniq = pd.factorize((ids + 1) * size + per_row[dates.rows] + 1, sort=False)
        uniq = np.asarray(uniq, np.int64)
        token, value = uniq // size - 1, uniq % size - 1
        ok = (token >= 0) & (value >= 0)
        joined = [bound_token(vocab[t], attr.values[v]) if k else ""
                  for t, v, k in zip(token.tolist(), value.tolist(), ok.tolist())]
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


def value_counts(schema: Schema, columns: Mapping[str, Column]) -> dict[str, dict[str, int]]:
    """Records per value of every bound role's column in ``columns`` (the encoder's part of a
    chunk; never leaves the agency: only :func:`agreement_rates` of it does)."""
    out = {}
    for key, _ in attribute_specs(schema):
        col = columns[key]
        counts = np.bincount(col.codes, minlength=len(col.values)) if len(col.codes) else np.zeros(0, np.int64)
        out[key] = {str(v): int(c) for v, c in zip(col.values, counts.tolist()) if c}
    return out


def agreement_rates(schema: Schema, parts: Sequence[Mapping[str, Mapping[str, int]]]) -> dict[str, float | None]:
    """The export's ``stats.bound_agreement``: comparison name -> :func:`agreement_rate` of the
    summed :func:`value_counts` of its parts (empty without bound roles)."""
    out: dict[str, float | None] = {}
    for spec in schema.fields:
        for role in spec.bind:
            summed: dict[str, int] = {}
            for part in parts:
                for value, count in part[column_name(spec.name, role)].items():
                    summed[value] = summed.get(value, 0) + count
            out[comparison_name(spec.name, role)] = agreement_rate(summed)
    return out
