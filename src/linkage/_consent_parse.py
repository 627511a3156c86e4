"""Checking and indexing a consent register's cells (the column work of :func:`linkage.consent.parse_register`).

Contract
--------
A register repeats a few cells very often (bases, purposes, lists, statuses, dates), so every
column is held as :class:`Cells`: a code per row into its distinct cells, stripped. Each check
and each conversion runs once per distinct cell and is spread to the rows by the codes; the
problems found are reported through ``bad(row_mask, column, message)`` (the caller words them
with row numbers, never with a cell's content). :func:`grant_tables` derives, from the parsed
and sorted grants, the (grant, recipient) pairs the override rule leaves in force and the
(grant, data class) pairs of the accepted grants, with integer keys and no Python per grant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ConfigError
from .seal import check_recipient_name

__all__ = ["Cells", "Bad", "parse_list", "parse_dates", "identifiers", "recipient_names", "grant_tables"]

_ANY = "*"
_IDENTIFIER = r"[a-z][a-z0-9_]*"
_ISO_DATE = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$"
Bad = Callable[[np.ndarray, str, str], None]
Coded = tuple[np.ndarray, np.ndarray, np.ndarray]  # (grant, code, sorted vocabulary)


def _objects(values: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass(frozen=True, slots=True)
class Cells:
    """One column: ``texts[codes[row]]`` is the row's cell, stripped (``""`` when missing)."""

    codes: np.ndarray  # int64 per row
    texts: np.ndarray  # object: the distinct cells (repeats possible once stripped)

    @classmethod
    def of(cls, column: pd.Series | np.ndarray) -> Cells:
        """Cells of a column of strings (``NaN``/``None`` = empty; other values as ``str``)."""
        values = np.asarray(column, dtype=object)
        try:  # strings (the reader's case): hashed by Arrow, without a Python object per lookup
            encoded = pa.array(values, pa.string(), from_pandas=True).dictionary_encode()
            codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
            uniques = encoded.dictionary.to_pylist()
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # other cell types: as str
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [str(u).strip() for u in uniques]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(texts), codes)
            texts.append("")
        return cls(codes.astype(np.int64), _objects(texts))

    @classmethod
    def empty(cls, n: int) -> Cells:
        return cls(np.zeros(n, dtype=np.int64), np.asarray([""], dtype=object))

    def rows(self) -> np.ndarray:
        """The cell of every row (object array)."""
        return self.texts[self.codes]

    def ranked(self) -> tuple[np.ndarray, np.ndarray]:
        """Order-preserving codes per row and the sorted distinct cells."""
        rank, vocab = pd.factorize(self.texts, sort=True)
        return rank[self.codes] if len(self.codes) else self.codes, np.asarray(vocab, dtype=object)

    def spread(self, per_text: np.ndarray) -> np.ndarray:
        """A value per distinct cell, spread to the rows."""
        return np.asarray(per_text)[self.codes]

    def with_texts(self, texts: np.ndarray | list[str]) -> Cells:
        """The same rows with each distinct cell replaced (e.g. lower-cased, canonical)."""
        return Cells(self.codes, _objects(list(texts)))


def identifiers(items: pd.Series) -> np.ndarray:
    return items.str.fullmatch(_IDENTIFIER).to_numpy(dtype=bool)


def recipient_names(items: pd.Series) -> np.ndarray:
    """Which entries are recipient names by :func:`linkage.seal.check_recipient_name` (the one rule)."""
    def ok(name: str) -> bool:
        try:
            check_recipient_name(name)
        except ConfigError:
            return False
        return True
    return items.isin([name for name in pd.unique(items.to_numpy(dtype=object)) if ok(name)]).to_numpy(dtype=bool)


def parse_list(cells: Cells, valid: Callable[[pd.Series], np.ndarray], column: str, what: str, bad: Bad) -> Cells:
    """Check a ``;``-separated list column; return it canonical (entries stripped, unique, sorted)."""
    text = pd.Series(cells.texts, dtype=object)
    bad(cells.spread(text.to_numpy() == ""), column, "is required: one or more names separated by ';', or '*'")
    items = text[text != ""].str.split(";").explode().str.strip().astype(object)
    owner = items.index.to_numpy(dtype=np.int64)
    entry = pd.DataFrame({"empty": (items == "").to_numpy(), "any": (items == _ANY).to_numpy(),
                          "wrong": ~valid(items) & (items != _ANY).to_numpy(),
                          "n": 1}).groupby(owner).sum().reindex(range(len(text)), fill_value=0)
    empty = entry["empty"].to_numpy() > 0
    bad(cells.spread(empty), column, "has an empty entry (two ';' in a row, or one at an end)")
    bad(cells.spread(~empty & (entry["wrong"].to_numpy() > 0)), column, f"each entry must be {what} or '*'")
    bad(cells.spread(~empty & (entry["any"].to_numpy() > 0) & (entry["n"].to_numpy() > 1)), column,
        "'*' must stand alone")
    canonical = np.full(len(text), "", dtype=object)
    for i, group in pd.DataFrame({"owner": owner, "item": items.to_numpy(dtype=object)}).groupby("owner"):
        canonical[i] = ";".join(sorted(set(group["item"].tolist())))
    return cells.with_texts(canonical)


def parse_dates(cells: Cells, column: str, bad: Bad, *, required: bool) -> np.ndarray:
    """ISO dates as ``datetime64[D]`` per row (NaT for empty); impossible dates are problems."""
    distinct = cells.texts
    parts = pd.Series(distinct, dtype=object).str.extract(_ISO_DATE)
    matched = parts[0].notna().to_numpy()
    y, m, d = (pd.to_numeric(parts[i]).fillna(1).to_numpy(dtype=np.int64) for i in range(3))
    month_ok = (m >= 1) & (m <= 12) & (y >= 1)
    start = ((y - 1970) * 12 + np.where(month_ok, m, 1) - 1).astype("datetime64[M]")
    days_in_month = ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
    ok = matched & month_ok & (d >= 1) & (d <= days_in_month)
    empty = np.asarray([v == "" for v in distinct], dtype=bool)
    if required:
        bad(cells.spread(empty), column, "is required (an ISO date YYYY-MM-DD)")
    bad(cells.spread(~empty & ~matched), column, "must be an ISO date YYYY-MM-DD")
    bad(cells.spread(matched & ~ok), column, "is not a calendar date")
    days = np.where(ok, start.astype("datetime64[D]") + (d - 1), np.datetime64("NaT", "D"))
    return days[cells.codes] if len(cells.codes) else np.zeros(0, dtype="datetime64[D]")


def _items(cells: Cells, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of the ``;``-lists of ``rows``: (position in ``rows``, entry code) pairs in
    list order, and the sorted entry vocabulary (the same for any ``rows``)."""
    lists = [t.split(";") for t in cells.texts.tolist()]
    vocab = _objects(sorted({e for entries in lists for e in entries}))
    index = {e: i for i, e in enumerate(vocab.tolist())}
    flat = np.asarray([index[e] for entries in lists for e in entries], dtype=np.int64)
    lengths = np.asarray([len(entries) for entries in lists], dtype=np.int64)
    which = cells.codes[rows]
    counts = lengths[which]
    position = np.repeat(np.arange(len(rows)), counts)
    return position, flat[_ranges(np.cumsum(lengths)[which] - counts, counts)], vocab


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``starts[i], starts[i] + 1, ..., starts[i] + counts[i] - 1`` for every i, concatenated."""
    total = int(counts.sum())
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


def grant_tables(record: np.ndarray, purpose: np.ndarray, accepted: np.ndarray, recipients: Cells,
                 classes: Cells, recorded: np.ndarray, row_number: np.ndarray) -> tuple[Coded, Coded]:
    """``in_force`` (grant, recipient) and ``classes`` (grant, data_class) of sorted grants, each as
    grants, codes and the sorted vocabulary of the codes.

    ``record`` and ``purpose`` are integer codes per grant, ``recorded`` days (NaT = none),
    ``recipients``/``classes`` the canonical list cells. Override rule: a non-accepted grant of the
    same record and purpose that is later (by ``recorded`` when both have one and they differ,
    else by ``row_number``) cancels the accepted grant for its recipients, or wholly when either
    names ``*``.
    """
    key = record.astype(np.int64) * (int(purpose.max()) + 1 if len(purpose) else 1) + purpose
    grants_a, grants_n = np.flatnonzero(accepted), np.flatnonzero(~accepted)
    grants_n = grants_n[np.argsort(key[grants_n], kind="stable")]
    lo = np.searchsorted(key[grants_n], key[grants_a], "left")
    counts = np.searchsorted(key[grants_n], key[grants_a], "right") - lo
    a, n = np.repeat(grants_a, counts), grants_n[_ranges(lo, counts)]  # every (accepted, other) pair
    day = recorded.astype("datetime64[D]")
    by_date = ~np.isnat(day[a]) & ~np.isnat(day[n]) & (day[a] != day[n])
    later = np.where(by_date, day[n] > day[a], row_number[n] > row_number[a])
    a, n = a[later], n[later]
    star = recipients.texts == _ANY
    wholly = np.zeros(len(record), dtype=bool)
    wholly[a[star[recipients.codes[a]] | star[recipients.codes[n]]]] = True
    standing = grants_a[~wholly[grants_a]]
    position, entry, vocab = _items(recipients, standing)
    owner = standing[position]
    pair, removed_entry, _ = _items(recipients, n)  # the recipients each later row withdraws
    width = len(vocab) + 1
    removed = np.isin(owner * width + entry, a[pair] * width + removed_entry)
    position, class_entry, class_vocab = _items(classes, grants_a)
    return (owner[~removed], entry[~removed], vocab), (grants_a[position], class_entry, class_vocab)
