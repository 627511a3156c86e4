"""Nationality normalisation: German, English and code inputs to ISO 3166-1 alpha-3 codes.

Contract
--------
:func:`normalize_nationality` maps one raw nationality cell to an upper-case ISO 3166-1
alpha-3 code (``"SYR"``), to ``"XXA"`` (stateless, the ICAO/AZR code), to ``None`` (missing or
explicitly unknown/unresolved) or to ``Invalid("unrecognised")``. It accepts

* alpha-3 and alpha-2 codes (``SYR``, ``SY``), ``XKX``/``XK`` for Kosovo, ``D`` (ICAO, Germany);
* German short names and common long forms (``Syrien``, ``Türkei``, ``Russische Föderation``,
  ``Iran, Islamische Republik``);
* German nationality adjectives, inflected or not (``syrisch``, ``syrische``, ``äthiopischer``);
* English short names, ISO list forms and demonyms (``Syria``, ``Syrian Arab Republic``,
  ``Türkiye``, ``Turkey``, ``Syrian``, ``Afghan``);
* ``staatenlos``/``stateless``/``XXA`` (-> ``"XXA"``) and ``ungeklärt``, ``unbekannt``,
  ``unknown``, ``k.A.``, ``n/a``, ``XXX`` and the ICAO refugee codes ``XXB``/``XXC``, which
  carry no nationality (-> ``None``).

Matching is on a folded key: NFKC, case folding, umlauts folded (``ü`` -> ``ue``; table entries
are also registered with bare vowels, so ``Turkei`` matches), marks and apostrophes dropped,
every non-alphanumeric character dropped and, in values of several words, the filler words
``the of and und von der die das des`` dropped. A value that does not match as a whole is split
at ``/ , ; | ( ) [ ]`` and spaced dashes; if every part matches the same country (``Syrien
(SYR)``, ``SYR - Syrien``) that country is the result. Forms shared by two countries
(``kongolesisch``, ``Korea``, ``Dominican``) are never guessed. Official long forms are
matched by their short name (``Republic of Chad``, ``Königreich Marokko``, ``Slovak Republic``).
Pure, never raises, never puts the raw value into a reason, and idempotent on its output.
"""

from __future__ import annotations

import re

from ._country_data import AMBIGUOUS, COUNTRIES, EXTRA_ADJECTIVES, EXTRA_NAMES
from .normalize import Invalid, _fold

__all__ = ["STATELESS", "CODES", "normalize_nationality"]

#: The code for stateless persons (ICAO Doc 9303, used by the German AZR).
STATELESS = "XXA"

_WORD = re.compile(r"[^\W_]+")
_FILLER = frozenset({"the", "of", "and", "und", "von", "der", "die", "das", "des"})
_SPLIT = re.compile(r"[/;,|()\[\]]|\s[-\u2013\u2014]+\s")
_BARE_VOWELS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U"})
_ADJECTIVE_ENDINGS = ("", "e", "er", "es", "en")
_UNRECOGNISED = Invalid("unrecognised")

#: Forms of state around a short name (as keys): "Republic of Chad", "Königreich Marokko", "Slovak
#: Republic". "Democratic Republic of" is not among them: it tells the two Congos apart.
_STATE_PREFIXES = tuple(sorted((
    "republic", "kingdom", "state", "principality", "grandduchy", "sultanate", "commonwealth", "union",
    "federalrepublic", "federativerepublic", "federaldemocraticrepublic", "independentstate", "islamicrepublic",
    "peoplesrepublic", "socialistrepublic", "democraticsocialistrepublic", "unitedrepublic", "hashemitekingdom",
    "easternrepublic",
    "republik", "koenigreich", "staat", "fuerstentum", "grossherzogtum", "bundesrepublik", "islamischerepublik",
    "volksrepublik", "sultanat", "unabhaengigerstaat", "vereinigterepublik",
), key=len, reverse=True))
_STATE_SUFFIXES = ("republic", "republik")

#: Whole values (folded, whitespace removed) that mean "not given" but would key like a code.
_UNKNOWN_RAW = frozenset({"n/a", "n.a.", "n.a", "n/v", "n.v.", "n.v", "-/-"})
#: Raw values that are a code and a common "not available" at once: ``NA`` is Namibia's alpha-2
#: code, but in exports it far more often means "not available" (R, pandas, SAS). Neither is
#: guessed: the value is unrecognised (a warning; the record is encoded without nationality).
_AMBIGUOUS_RAW = frozenset({"na"})

#: Keys meaning "not given", "unknown" or "unresolved": missing, not a nationality.
_UNKNOWN_TEXTS = (
    "ungeklärt", "ungeklärte Staatsangehörigkeit", "Staatsangehörigkeit ungeklärt", "unklar", "unbekannt",
    "unbek.", "unbekannte Staatsangehörigkeit", "Staatsangehörigkeit unbekannt", "nicht bekannt",
    "nicht angegeben", "nicht ermittelt", "k.A.", "keine Angabe", "keine Angaben", "ohne Angabe",
    "ohne Angaben", "unknown", "unk", "not known", "not specified", "unspecified", "nationality unknown",
    "unknown nationality", "none", "XXX", "XXB", "XXC",
)

#: Keys meaning "stateless" (ICAO/AZR code XXA).
_STATELESS_TEXTS = (
    "XXA", "stateless", "stateless person", "ohne Staatsangehörigkeit", "keine Staatsangehörigkeit",
    "staatenlos", "staatenlose", "staatenloser", "staatenlos (XXA)",
)


def _key_folded(folded: str) -> str:
    words = _WORD.findall(folded)
    if len(words) > 1:
        words = [w for w in words if w not in _FILLER] or words
    return "".join(words)


def _key(text: str) -> str:
    return _key_folded(_fold(text))


def _spellings(text: str) -> tuple[str, ...]:
    """The text, and the text with bare vowels for umlauts (``Türkei``: also ``Turkei``)."""
    bare = text.translate(_BARE_VOWELS)
    return (text,) if bare == text else (text, bare)


def _inflected(stem: str) -> list[str]:
    return [stem + ending for ending in _ADJECTIVE_ENDINGS] if stem.endswith("sch") else [stem]


def _build() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    table: dict[str, str] = {}

    def add(text: str, code: str) -> None:
        for spelling in _spellings(text):
            key = _key(spelling)
            if not key:
                raise ValueError(f"country table: empty key for {code}")
            if table.setdefault(key, code) != code:
                raise ValueError(f"country table: key {key!r} for both {table[key]} and {code}")

    for alpha3, alpha2, english, german, adjective, demonym in COUNTRIES:
        for text in (alpha3, alpha2, english, german, demonym, *EXTRA_NAMES.get(alpha3, ())):
            if text:
                add(text, alpha3)
        for stem in (adjective, *EXTRA_ADJECTIVES.get(alpha3, ())):
            if stem:
                for form in _inflected(stem):
                    add(form, alpha3)
    for text in _STATELESS_TEXTS:
        add(text, STATELESS)
    unknown = frozenset(_key(t) for text in _UNKNOWN_TEXTS for t in _spellings(text))
    ambiguous = frozenset(_key(s) for text in AMBIGUOUS for form in _inflected(text) for s in _spellings(form))
    clash = sorted((unknown | ambiguous) & table.keys()) + sorted(unknown & ambiguous)
    if clash:
        raise ValueError(f"country table: keys both known and unknown/ambiguous: {clash}")
    unknown_codes = {_key(c) for c in ("XXX", "XXB", "XXC")}
    if not unknown_codes <= unknown:
        raise ValueError("country table: ICAO placeholder codes must be unknown")
    return table, unknown, ambiguous


_TABLE, _UNKNOWN, _AMBIGUOUS = _build()

#: Every code :func:`normalize_nationality` can return.
CODES: frozenset[str] = frozenset(_TABLE.values())


def normalize_nationality(raw: str | None) -> str | Invalid | None:
    """An ISO 3166-1 alpha-3 code (``"SYR"``), ``"XXA"`` (stateless), ``None`` or ``Invalid``."""
    if raw is None:
        return None
    folded = _fold(raw)
    compact = "".join(folded.split())
    if compact in _UNKNOWN_RAW:
        return None
    if compact in _AMBIGUOUS_RAW:
        return _UNRECOGNISED
    key = _key_folded(folded)
    if not key or key in _UNKNOWN:
        return None
    code = _TABLE.get(key)
    if code is not None:
        return code
    if key in _AMBIGUOUS:
        return _UNRECOGNISED
    code = _without_state_form(key)
    return code if code is not None else _from_parts(folded)


def _without_state_form(key: str) -> str | None:
    """The country a long form such as ``Republic of Chad`` names, by its short name."""
    for prefix in _STATE_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return _TABLE.get(key[len(prefix):])
    for suffix in _STATE_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return _TABLE.get(key[: -len(suffix)])
    return None


def _from_parts(folded: str) -> str | Invalid:
    """The country every part of a value such as ``Syrien (SYR)`` names, if they all name one."""
    parts = [key for key in map(_key_folded, _SPLIT.split(folded)) if key]
    if len(parts) < 2:
        return _UNRECOGNISED
    codes = {_TABLE.get(key) for key in parts}
    if len(codes) != 1 or None in codes:
        return _UNRECOGNISED
    return codes.pop()  # type: ignore[return-value]
