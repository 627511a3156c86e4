"""Evaluating a consent register for many records at once (the kernel of :mod:`linkage.consent`).

Contract
--------
:func:`evaluate` answers, for every entry of ``record_ids`` at the day ``at``, what
:func:`linkage.consent.linkage_basis` and :func:`linkage.consent.scopes` answer for that one record
(the scalar functions are the reference; ``tests/test_consent.py`` checks the two agree on
generated registers): whether the record has a linkage basis, and its scopes as one
``list<SCOPE_TYPE>`` value (empty for a record the register does not know).

Every string is turned into an order-preserving integer code once (record ids by the register's
sort order, recipients, purposes, legal bases and data classes by ``np.unique``), dates into
days; grants are then filtered, grouped by (record, recipient, purpose, validity, basis) with one
``lexsort`` and their data classes merged as boolean rows. The record ids asked for are looked up
in one hash pass. No Python runs per grant or per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from .encoded import SCOPE_TYPE

if TYPE_CHECKING:
    from .consent import ConsentRegister

__all__ = ["GrantIndex", "evaluate"]

_ANY = "*"
_LINKAGE = "linkage"
_ACCEPTED = "accepted"
_OPEN = np.iinfo(np.int64).max  # an open-ended validity sorts last, as date.max does in the reference


def _day(at: date) -> np.int64:
    return np.datetime64((at.date() if isinstance(at, datetime) else at).isoformat(), "D").astype(np.int64)


def _iso(days: np.ndarray) -> pa.Array:
    """ISO text of day numbers (null for ``_OPEN``), formatting each distinct day once."""
    inverse, distinct = pd.factorize(days)
    distinct = np.asarray(distinct, dtype=np.int64)
    text = np.datetime_as_string(np.where(distinct == _OPEN, 0, distinct).astype("datetime64[D]")).astype(object)
    return pa.array(text, pa.string(), mask=distinct == _OPEN).take(pa.array(inverse, pa.int64()))


@dataclass(frozen=True, slots=True, eq=False)
class GrantIndex:
    """A register's grants as integer codes (built once, when the register is parsed).

    ``ids``: the distinct record ids in sort order; per grant: ``record`` (position in ``ids``),
    ``accepted``, ``purpose`` and ``basis`` (codes into the sorted ``purposes``/``bases``), validity
    as day numbers (``_OPEN`` = open-ended), ``classes`` (grants x ``class_names`` booleans); per
    item in force: ``grant`` and ``recipient`` (code into the sorted ``recipients``).
    """

    ids: pd.Index
    record: np.ndarray
    accepted: np.ndarray
    purpose: np.ndarray
    purposes: np.ndarray
    basis: np.ndarray
    bases: np.ndarray
    valid_from: np.ndarray
    valid_until: np.ndarray
    classes: np.ndarray
    class_names: np.ndarray
    grant: np.ndarray
    recipient: np.ndarray
    recipients: np.ndarray

    @classmethod
    def of(cls, table: pd.DataFrame, *, purpose: tuple[np.ndarray, np.ndarray], basis: tuple[np.ndarray, np.ndarray],
           in_force: tuple[np.ndarray, np.ndarray, np.ndarray],
           classes: tuple[np.ndarray, np.ndarray, np.ndarray]) -> GrantIndex:
        """The index of a register ``table`` (sorted by record id) given the order-preserving codes
        (and sorted vocabularies) of its purposes and bases, and its (grant, code, vocabulary)
        items in force and data classes, as the parser has them."""
        record_id = table["record_id"].to_numpy(dtype=object)
        new = np.r_[True, record_id[1:] != record_id[:-1]] if len(record_id) else np.zeros(0, dtype=bool)
        until = table["valid_until"].to_numpy().astype("datetime64[D]")
        matrix = np.zeros((len(table), len(classes[2])), dtype=bool)
        matrix[classes[0], classes[1]] = True
        return cls(ids=pd.Index(record_id[new], dtype=object), record=np.cumsum(new) - 1,
                   accepted=(table["status"] == _ACCEPTED).to_numpy(), purpose=purpose[0], purposes=purpose[1],
                   basis=basis[0], bases=basis[1],
                   valid_from=table["valid_from"].to_numpy().astype("datetime64[D]").astype(np.int64),
                   valid_until=np.where(np.isnat(until), _OPEN, until.astype(np.int64)), classes=matrix,
                   class_names=classes[2], grant=in_force[0], recipient=in_force[1], recipients=in_force[2])


def evaluate(register: ConsentRegister, record_ids: Sequence[str] | np.ndarray | pd.Series, at: date, *,
             with_scopes: bool = True) -> tuple[np.ndarray, pa.ListArray | None]:
    """Linkage basis (booleans) and scopes (``list<SCOPE_TYPE>``; None unless ``with_scopes``) of
    each of ``record_ids`` at ``at``."""
    x, day = register.index, _day(at)
    where = x.ids.get_indexer(np.asarray(record_ids, dtype=object))
    record, purpose, valid_from, valid_until = x.record, x.purpose, x.valid_from, x.valid_until
    purposes = x.purposes.tolist()
    linkage = purposes.index(_LINKAGE) if _LINKAGE in purposes else -1
    grant = x.grant
    # linkage basis: an accepted linkage grant valid at ``at`` with a recipient still in force
    valid_now = x.accepted & (valid_from <= day) & (valid_until >= day) & (purpose == linkage)
    based = np.zeros(len(x.ids) + 1, dtype=bool)  # the last entry answers for unknown ids
    based[record[grant[valid_now[grant]]]] = True
    basis = based[where]
    if not with_scopes:
        return basis, None
    # scopes: (grant, recipient) items in force whose grant is accepted and not yet ended
    live = (x.accepted & (valid_until >= day))[grant]
    grant, recipient = grant[live], x.recipient[live]
    recipients, bases, class_names, legal_basis = x.recipients, x.bases, x.class_names, x.basis
    classes = x.classes
    finite = valid_until != _OPEN
    ends = np.where(finite, valid_until, valid_until[finite].max(initial=0) + 1)[grant]  # open sorts last
    keys = (record[grant], recipient, purpose[grant], valid_from[grant], ends, legal_basis[grant])
    order = _sort_order(keys)
    keys = tuple(k[order] for k in keys)
    grant = grant[order]
    m = len(grant)
    change = np.zeros(m, dtype=bool)
    change[:1] = True
    for k in keys:
        change[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(change)
    merged = np.logical_or.reduceat(classes[grant], starts, axis=0) if m else np.zeros((0, len(class_names)), bool)
    if _ANY in class_names.tolist():  # "*" merges every other class away
        star = class_names.tolist().index(_ANY)
        merged[merged[:, star]] = np.arange(len(class_names)) == star
    # the scopes of each record asked for, in its order (unknown ids, -1, hit the empty last entry)
    per_record = np.bincount(keys[0][starts], minlength=len(x.ids) + 1)
    counts, begins = per_record[where], (np.cumsum(per_record) - per_record)[where]
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    take = starts[np.repeat(begins - offsets[:-1], counts) + np.arange(offsets[-1])]
    owner, which = np.nonzero(merged[np.searchsorted(starts, take)])  # row-major: classes in sorted order
    class_offsets = np.r_[0, np.cumsum(np.bincount(owner, minlength=len(take)))].astype(np.int32)
    until = valid_until[grant[take]]
    structs = pa.StructArray.from_arrays(
        [_strings(recipients, keys[1][take]), _strings(x.purposes, keys[2][take]),
         pa.ListArray.from_arrays(pa.array(class_offsets), _strings(class_names, which)),
         _strings(bases, keys[5][take]), _iso(keys[3][take]), _iso(until)],
        fields=list(SCOPE_TYPE))
    return basis, pa.ListArray.from_arrays(pa.array(offsets), structs, type=pa.list_(SCOPE_TYPE))


def _strings(vocab: np.ndarray, codes: np.ndarray) -> pa.Array:
    return pa.array(vocab, pa.string()).take(pa.array(codes, pa.int64()))


def _sort_order(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Stable order of rows by the non-negative integer ``keys`` (first = most significant): one
    argsort of a combined key when it fits 63 bits, else ``lexsort``."""
    lows = [int(k.min()) if len(k) else 0 for k in keys]
    sizes = [int(k.max()) - low + 1 if len(k) else 1 for k, low in zip(keys, lows)]
    if np.prod([float(s) for s in sizes]) >= 2.0 ** 62:
        return np.lexsort(keys[::-1])
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for k, low, size in zip(keys, lows, sizes):
        combined = combined * size + (k - low)
    return np.argsort(combined, kind="stable")
