"""Tokens: the strings whose keyed hashes set Bloom-filter bits, and blocking-key components.

Contract
--------
``value_tokens(kind, token_kind, value)`` returns the set of tokens of one normalised value for
one token kind, each prefixed by a short tag of its kind (``"b:mo"``, ``"y:1990"``), so tokens of
different kinds never collide. Token kinds are listed per field kind in
:data:`linkage.config.TOKEN_KINDS`; each kind's bits per token is set in the schema, which is how
kinds are weighted. ``blocking_values(kind, derivation, value)`` returns the component values one
normalised value contributes to a blocking key (several for a name: one per part).

Values by field kind: ``name`` -> one part (str); ``date`` -> :class:`~linkage.normalize.DateValue`;
``code`` and ``text`` -> str.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .names import folded, koelner, metaphone, skeleton
from .normalize import DateValue

__all__ = ["MONTH_DAY_WINDOWS", "value_tokens", "blocking_values", "component_ids", "date_array", "qgrams",
           "final_letter", "part_pairs", "TOKENIZERS", "DERIVATIONS", "Incidence", "incidence"]

PAD = "_"


def qgrams(text: str, q: int) -> list[str]:
    """Padded q-grams: ``qgrams("ali", 2) == ["_a", "al", "li", "i_"]``."""
    padded = PAD + text + PAD
    if len(padded) < q:
        return [padded]
    return [padded[i : i + q] for i in range(len(padded) - q + 1)]


def final_letter(part: str) -> str:
    """Last letter of the folded spelling (``folded_final`` token kind): it survives an edit
    anywhere else in a short part, where most q-grams do not, and tells apart names that differ
    only at the end (Samir/Samira, Khalid/Khalil)."""
    return folded(part)[-1:]


def _date_tokens(tag: str, fn: Callable[[DateValue], list[str]]) -> Callable[[Any], list[str]]:
    def make(value: DateValue) -> list[str]:
        return [f"{tag}:{t}" for t in fn(value)]

    return make


def _year_window(d: DateValue) -> list[str]:
    """Two overlapping two-year windows: years one apart share exactly one, equal years both."""
    return [f"a{d.year // 2}", f"b{(d.year + 1) // 2}"]


def _ymd(d: DateValue) -> list[str]:
    return [f"{d.year:04d}-{d.month:02d}-{d.day:02d}"] if d.day_month_known else []


def _month_day(d: DateValue) -> list[str]:
    return [f"{d.month:02d}-{d.day:02d}"] if d.day_month_known else []


def _year_month(d: DateValue) -> list[str]:
    return [f"{d.year:04d}-{d.month:02d}"] if d.month is not None and not d.ambiguous else []


def _day_month_set(d: DateValue) -> list[str]:
    """Day and month as an unordered pair: a day/month swap keeps this token."""
    if not d.day_month_pair_known:
        return []
    low, high = sorted((d.day, d.month))
    return [f"{low:02d}/{high:02d}"]


def _year_day_month_set(d: DateValue) -> list[str]:
    """The year with day and month as an unordered pair: equal for the same date and for a
    day/month swap within the same year."""
    return [f"{d.year:04d}:{t}" for t in _day_month_set(d)]


#: Width of the year windows of ``month_day_window_a/b/c``: three partitions of the years into
#: windows of three, shifted by 0, 1 and 2 years. Dates with the same day and month whose years
#: are at most two apart share the window of at least one partition; three or more apart, none.
_WINDOW = 3
MONTH_DAY_WINDOWS = ("month_day_window_a", "month_day_window_b", "month_day_window_c")


def _month_day_window(offset: int) -> Callable[[DateValue], list[str]]:
    """Day and month with the year's window of the partition shifted by ``offset`` years."""
    def tokens(d: DateValue) -> list[str]:
        return [f"{(d.year + offset) // _WINDOW}:{d.month:02d}-{d.day:02d}"] if d.day_month_known else []

    return tokens


def _year_of_full_date(d: DateValue) -> list[str]:
    """The year, only for a date whose day and month are known (as a pair): a year-only or
    placeholder date carries no evidence."""
    return [f"{d.year:04d}"] if d.day_month_pair_known else []


#: (field kind, token kind) -> function of a normalised value returning its tokens.
TOKENIZERS: dict[tuple[str, str], Callable[[Any], list[str]]] = {
    ("name", "bigram"): lambda part: ["b:" + g for g in qgrams(part, 2)],
    ("name", "trigram"): lambda part: ["t:" + g for g in qgrams(part, 3)],
    ("name", "whole"): lambda part: ["w:" + part],
    ("name", "folded_bigram"): lambda part: ["fb:" + g for g in qgrams(folded(part), 2)],
    ("name", "folded_trigram"): lambda part: ["ft:" + g for g in qgrams(folded(part), 3)],
    ("name", "folded_final"): lambda part: ["ff:" + key for key in [final_letter(part)] if key],
    ("name", "skeleton_bigram"): lambda part: ["sb:" + g for g in qgrams(skeleton(part), 2)],
    ("name", "skeleton"): lambda part: ["s:" + key for key in [skeleton(part)] if key],
    ("name", "koelner"): lambda part: ["k:" + code for code in [koelner(part)] if code],
    ("name", "metaphone"): lambda part: ["m:" + code for code in [metaphone(part)] if code],
    ("date", "ymd"): _date_tokens("ymd", _ymd),
    ("date", "year"): _date_tokens("y", lambda d: [f"{d.year:04d}"]),
    ("date", "month_day"): _date_tokens("md", _month_day),
    ("date", "year_month"): _date_tokens("ym", _year_month),
    ("date", "day_month_set"): _date_tokens("dms", _day_month_set),
    ("date", "year_window"): _date_tokens("yw", _year_window),
    ("date", "year_day_month_set"): _date_tokens("ydms", _year_day_month_set),
    **{("date", kind): _date_tokens(f"mdw{offset}", _month_day_window(offset))
       for offset, kind in enumerate(MONTH_DAY_WINDOWS)},
    ("date", "year_of_full_date"): _date_tokens("yf", _year_of_full_date),
    ("code", "value"): lambda code: ["v:" + code],
    ("text", "bigram"): lambda text: ["b:" + g for g in qgrams(text, 2)],
    ("text", "whole"): lambda text: ["w:" + text],
}

#: (field kind, derivation) -> function of a normalised value returning blocking components.
DERIVATIONS: dict[tuple[str, str], Callable[[Any], list[str]]] = {
    ("name", "part"): lambda part: [part],
    ("name", "prefix3"): lambda part: [part[:3]],
    ("name", "skeleton"): lambda part: [skeleton(part)],
    ("name", "phonetic"): lambda part: [koelner(part)],
    ("date", "ymd"): _ymd,
    ("date", "year"): lambda d: [f"{d.year:04d}"],
    ("date", "month_day"): _month_day,
    ("code", "value"): lambda code: [code],
    ("text", "value"): lambda text: [text],
}


def value_tokens(kind: str, token_kind: str, value: Any) -> list[str]:
    """Distinct tokens of ``value`` for one token kind, in first-appearance order."""
    return list(dict.fromkeys(TOKENIZERS[(kind, token_kind)](value)))


def part_pairs(components: Sequence[str]) -> list[str]:
    """The record-level blocking components of ``skeleton_pair``: every unordered pair of distinct
    (non-empty) derived parts of one record, as ``"a b"`` with ``a < b``, sorted (the reference
    of the encoder's vectorised derivation)."""
    distinct = sorted({c for c in components if c})
    return [f"{a} {b}" for i, a in enumerate(distinct) for b in distinct[i + 1:]]


def blocking_values(kind: str, derivation: str, value: Any) -> list[str]:
    """Blocking-key components of one normalised value (empty when it has none)."""
    return [v for v in DERIVATIONS[(kind, derivation)](value) if v]


# ------------------------------------------------------------------------------ fast incidence


@dataclass(frozen=True, slots=True)
class Incidence:
    """Tokens of many values at once: value ``owners[i]`` has token ``tokens[token_ids[i]]``.

    ``tokens`` are distinct; pairs may repeat (harmless: a Bloom filter is a set).
    """

    owners: np.ndarray
    token_ids: np.ndarray
    tokens: list[str]


_QGRAM_TAGS = {"bigram": ("b:", 2), "trigram": ("t:", 3)}
#: Name token kinds made from a key of the part: (tag, key function, q; 0 = the whole key).
_NAME_KEYS: dict[str, tuple[str, Callable[[str], str], int]] = {
    "folded_bigram": ("fb:", folded, 2), "folded_trigram": ("ft:", folded, 3), "folded_final": ("ff:", final_letter, 0),
    "skeleton_bigram": ("sb:", skeleton, 2), "skeleton": ("s:", skeleton, 0),
    "koelner": ("k:", koelner, 0), "metaphone": ("m:", metaphone, 0),
}
_CHAR_BITS = 21  # every code point fits in 21 bits


def incidence(kind: str, token_kind: str, values: Sequence[Any]) -> Incidence:
    """Tokens of every value in ``values`` for one token kind; equal to :func:`value_tokens`.

    q-grams of strings are computed with numpy on UTF-32 code units and date tokens as integer
    codes; other token kinds call the reference tokenizer once per value. Precondition (which
    every normaliser guarantees): strings hold no NUL character.
    """
    if token_kind in _QGRAM_TAGS and kind in ("name", "text"):
        tag, q = _QGRAM_TAGS[token_kind]
        return _qgram_incidence(values, q, tag)
    if kind == "name" and token_kind in _NAME_KEYS:  # a key per value, then q-grams or the whole key
        tag, key, q = _NAME_KEYS[token_kind]
        keyed = [key(v) for v in values]
        return _qgram_incidence(keyed, q, tag) if q else _whole_incidence(keyed, tag)
    if kind == "date":
        return _date_incidence(values, token_kind)  # type: ignore[arg-type]
    owners: list[int] = []
    ids: list[int] = []
    vocabulary: dict[str, int] = {}
    for i, value in enumerate(values):
        for token in value_tokens(kind, token_kind, value):
            owners.append(i)
            ids.append(vocabulary.setdefault(token, len(vocabulary)))
    return Incidence(np.asarray(owners, dtype=np.int64), np.asarray(ids, dtype=np.int64), list(vocabulary))


def _qgram_incidence(values: Sequence[str], q: int, tag: str) -> Incidence:
    if not values:
        return Incidence(np.zeros(0, np.int64), np.zeros(0, np.int64), [])
    raw = np.array(values, dtype=str)
    n, width = len(values), raw.dtype.itemsize // 4
    lengths = (np.strings.str_len(raw) if hasattr(np, "strings") else np.char.str_len(raw)).astype(np.int64)
    # padded code points: PAD + value + PAD, zeros after; at least q columns
    chars = np.zeros((n, max(width + 2, q)), dtype=np.uint64)
    chars[:, 0] = ord(PAD)
    if width:
        chars[:, 1 : width + 1] = raw.view(np.uint32).reshape(n, width)
    chars[np.arange(n), lengths + 1] = ord(PAD)
    padded_len = lengths + 2
    grams = chars.shape[1] - q + 1
    code = np.zeros((n, grams), dtype=np.uint64)
    for j in range(q):
        code = (code << np.uint64(_CHAR_BITS)) | chars[:, j : grams + j]
    starts = np.arange(grams)
    valid = (starts[None, :] <= padded_len[:, None] - q) | ((starts[None, :] == 0) & (padded_len[:, None] < q))
    owners = np.nonzero(valid)[0].astype(np.int64)
    token_ids, uniq = pd.factorize(code[valid], sort=False)  # hashing beats sorting here
    return Incidence(owners, token_ids.astype(np.int64), [tag + g for g in _decode_grams(np.asarray(uniq), q)])


def _whole_incidence(keys: Sequence[str], tag: str) -> Incidence:
    """One token per non-empty key (``tag + key``), ids by first appearance."""
    owners = np.array([i for i, k in enumerate(keys) if k], np.int64)
    token_ids, uniq = pd.factorize(pd.Series([keys[i] for i in owners.tolist()], dtype=object), sort=False)
    return Incidence(owners, np.asarray(token_ids, np.int64), [tag + k for k in uniq.tolist()])


def _decode_grams(codes: np.ndarray, q: int) -> list[str]:
    """Strings of q-gram codes (zero code points, the padding of short values, are dropped)."""
    mask = np.uint64((1 << _CHAR_BITS) - 1)
    points = np.stack([(codes >> np.uint64(_CHAR_BITS * (q - 1 - j))) & mask for j in range(q)], axis=1)
    return points.astype(np.uint32).view(f"<U{q}").ravel().tolist()


def date_array(values: Sequence[DateValue]) -> np.ndarray:
    """(n, 4) int64 matrix of year, month, day (0 = unknown), ambiguous (0/1): the fast paths' form."""
    return np.array([(v.year, v.month or 0, v.day or 0, v.ambiguous) for v in values], np.int64).reshape(-1, 4)


def _date_codes(values: Sequence[DateValue] | np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, Callable[[int], str]]:
    """Integer code per date for a token kind or derivation, where it has one, and its rendering.

    Renderings equal the reference tokenizers and derivations above (without the token tag).
    ``values`` may be DateValues or their :func:`date_array`.
    """
    ymd = values if isinstance(values, np.ndarray) else date_array(values)
    y, m, d, ambiguous = ymd[:, 0], ymd[:, 1], ymd[:, 2], ymd[:, 3] > 0
    pair_known = (m > 0) & (d > 0)
    known = pair_known & ~ambiguous
    low, high = np.minimum(d, m), np.maximum(d, m)
    return {
        "ymd": (y * 10_000 + m * 100 + d, known, lambda c: f"{c // 10000:04d}-{c // 100 % 100:02d}-{c % 100:02d}"),
        "year": (y, np.ones(len(y), bool), lambda c: f"{c:04d}"),
        "month_day": (m * 100 + d, known, lambda c: f"{c // 100:02d}-{c % 100:02d}"),
        "year_month": (y * 100 + m, (m > 0) & ~ambiguous, lambda c: f"{c // 100:04d}-{c % 100:02d}"),
        "day_month_set": (low * 100 + high, pair_known, lambda c: f"{c // 100:02d}/{c % 100:02d}"),
        "year_day_month_set": (y * 10_000 + low * 100 + high, pair_known,
                               lambda c: f"{c // 10000:04d}:{c // 100 % 100:02d}/{c % 100:02d}"),
        "year_of_full_date": (y, pair_known, lambda c: f"{c:04d}"),
        **{window: (((y + offset) // _WINDOW) * 10_000 + m * 100 + d, known,
                    lambda c: f"{c // 10000}:{c // 100 % 100:02d}-{c % 100:02d}")
           for offset, window in enumerate(MONTH_DAY_WINDOWS)},
    }[kind]


_DATE_TAGS = {"ymd": "ymd:", "year": "y:", "month_day": "md:", "year_month": "ym:", "day_month_set": "dms:",
              "year_day_month_set": "ydms:", "year_of_full_date": "yf:",
              **{window: f"mdw{offset}:" for offset, window in enumerate(MONTH_DAY_WINDOWS)}}


def _date_incidence(values: Sequence[DateValue], token_kind: str) -> Incidence:
    """Date tokens as integer codes (unknown day/month = 0), strings made once per distinct token."""
    if token_kind == "year_window":
        years = (values if isinstance(values, np.ndarray) else date_array(values))[:, 0]
        owners = np.concatenate([np.arange(len(years)), np.arange(len(years))]).astype(np.int64)
        code = np.concatenate([years // 2 * 2, (years + 1) // 2 * 2 + 1])
        uniq, token_ids = np.unique(code, return_inverse=True)
        return Incidence(owners, token_ids.astype(np.int64).ravel(),
                         [f"yw:{'ab'[c % 2]}{c // 2}" for c in uniq.tolist()])
    code, valid, render = _date_codes(values, token_kind)
    uniq, token_ids = np.unique(code[valid], return_inverse=True)
    tag = _DATE_TAGS[token_kind]
    return Incidence(np.flatnonzero(valid).astype(np.int64), token_ids.astype(np.int64).ravel(),
                     [tag + render(c) for c in uniq.tolist()])


_NAME_DERIVED: dict[str, Callable[[str], str]] = {"prefix3": lambda v: v[:3], "skeleton": skeleton,
                                                  "phonetic": koelner}


def component_ids(kind: str, derivation: str, values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Blocking-key component of each value as an id into a vocabulary (-1: the value has none).

    Same components as :func:`blocking_values` (every derivation yields at most one), computed
    with numpy for dates and without a Python call per value for names, codes and text.
    """
    if kind == "date":
        code, valid, render = _date_codes(values, derivation)
        uniq, inverse = np.unique(code[valid], return_inverse=True)
        ids = np.full(len(values), -1, np.int64)
        ids[valid] = inverse.ravel()
        return ids, [render(c) for c in uniq.tolist()]
    if kind == "name" and derivation in _NAME_DERIVED:
        derived = [_NAME_DERIVED[derivation](v) for v in values]
    else:
        derived = list(values)
    vocabulary: dict[str, int] = {}
    ids_list = [vocabulary.setdefault(v, len(vocabulary)) if v else -1 for v in derived]
    return np.array(ids_list, np.int64), list(vocabulary)
