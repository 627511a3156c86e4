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

from collections.abc import Callable
from typing import Any

from .normalize import DateValue

__all__ = ["value_tokens", "blocking_values", "qgrams", "TOKENIZERS", "DERIVATIONS"]

PAD = "_"


def qgrams(text: str, q: int) -> list[str]:
    """Padded q-grams: ``qgrams("ali", 2) == ["_a", "al", "li", "i_"]``."""
    padded = PAD + text + PAD
    if len(padded) < q:
        return [padded]
    return [padded[i : i + q] for i in range(len(padded) - q + 1)]


def _date_tokens(tag: str, fn: Callable[[DateValue], list[str]]) -> Callable[[Any], list[str]]:
    def make(value: DateValue) -> list[str]:
        return [f"{tag}:{t}" for t in fn(value)]

    return make


def _ymd(d: DateValue) -> list[str]:
    return [f"{d.year:04d}-{d.month:02d}-{d.day:02d}"] if d.day_month_known else []


def _month_day(d: DateValue) -> list[str]:
    return [f"{d.month:02d}-{d.day:02d}"] if d.day_month_known else []


def _year_month(d: DateValue) -> list[str]:
    return [f"{d.year:04d}-{d.month:02d}"] if d.month is not None else []


def _day_month_set(d: DateValue) -> list[str]:
    """Day and month as an unordered pair: a day/month swap keeps this token."""
    if not d.day_month_known:
        return []
    low, high = sorted((d.day, d.month))
    return [f"{low:02d}/{high:02d}"]


#: (field kind, token kind) -> function of a normalised value returning its tokens.
TOKENIZERS: dict[tuple[str, str], Callable[[Any], list[str]]] = {
    ("name", "bigram"): lambda part: ["b:" + g for g in qgrams(part, 2)],
    ("name", "trigram"): lambda part: ["t:" + g for g in qgrams(part, 3)],
    ("name", "whole"): lambda part: ["w:" + part],
    ("date", "ymd"): _date_tokens("ymd", _ymd),
    ("date", "year"): _date_tokens("y", lambda d: [f"{d.year:04d}"]),
    ("date", "month_day"): _date_tokens("md", _month_day),
    ("date", "year_month"): _date_tokens("ym", _year_month),
    ("date", "day_month_set"): _date_tokens("dms", _day_month_set),
    ("code", "value"): lambda code: ["v:" + code],
    ("text", "bigram"): lambda text: ["b:" + g for g in qgrams(text, 2)],
    ("text", "whole"): lambda text: ["w:" + text],
}

#: (field kind, derivation) -> function of a normalised value returning blocking components.
DERIVATIONS: dict[tuple[str, str], Callable[[Any], list[str]]] = {
    ("name", "part"): lambda part: [part],
    ("name", "prefix3"): lambda part: [part[:3]],
    ("date", "ymd"): _ymd,
    ("date", "year"): lambda d: [f"{d.year:04d}"],
    ("date", "month_day"): _month_day,
    ("code", "value"): lambda code: [code],
    ("text", "value"): lambda text: [text],
}


def value_tokens(kind: str, token_kind: str, value: Any) -> list[str]:
    """Distinct tokens of ``value`` for one token kind, in first-appearance order."""
    return list(dict.fromkeys(TOKENIZERS[(kind, token_kind)](value)))


def blocking_values(kind: str, derivation: str, value: Any) -> list[str]:
    """Blocking-key components of one normalised value (empty when it has none)."""
    return [v for v in DERIVATIONS[(kind, derivation)](value) if v]
