"""Normalisation of raw values per role, on the agency side, before tokens are made.

Contract
--------
Each normaliser takes one raw string and returns either a normalised value or a
:class:`Invalid` carrying a reason code (``"unparseable"``, ``"unrecognised"``, ...). None of
them raises on any input and none of them puts the input into a reason. Empty input (after
stripping) is ``None``: missing, not invalid. All of them are pure and idempotent on their own
output, so encoding the same export twice gives the same bytes.

Names are a *set of parts*: ``name_parts("Mohammad AL-HASSAN")`` gives ``("mohammad", "hassan")``
regardless of which column held which part; the rules (titles, particles, compounds,
transliteration of Arabic, Ethiopic and Cyrillic script) live in :mod:`linkage.names`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .config import DateSpec
from .names import name_parts  # re-exported: the name rules live in linkage.names

__all__ = [
    "Invalid",
    "DateValue",
    "name_parts",
    "parse_date",
    "normalize_sex",
    "normalize_code",
    "normalize_text",
    "normalize_texts",
]


@dataclass(frozen=True, slots=True)
class Invalid:
    """A value that is present but cannot be used; ``reason`` is a code, never the value."""

    reason: str


@dataclass(frozen=True, slots=True, order=True)
class DateValue:
    """A Gregorian date whose day and month may be unknown (placeholders, zero days).

    ``ambiguous`` marks a date whose day and month could be read either way round (the column
    allows both orders): ``month`` and ``day`` then hold the first format's reading, and only
    the year and the unordered pair of day and month count as evidence.
    """

    year: int
    month: int | None = None
    day: int | None = None
    ambiguous: bool = False

    @property
    def day_month_known(self) -> bool:
        """Day and month are known, in a known order."""
        return self.month is not None and self.day is not None and not self.ambiguous

    @property
    def day_month_pair_known(self) -> bool:
        """Day and month are known as an unordered pair (possibly ambiguous)."""
        return self.month is not None and self.day is not None

    @property
    def iso(self) -> str:
        """What is known, as ISO text: ``YYYY-MM-DD``, or ``YYYY`` when day and month are unknown
        or could be read either way round."""
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}" if self.day_month_known else f"{self.year:04d}"


# -------------------------------------------------------------------------------- text folding

_GERMAN_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_APOSTROPHES = re.compile(r"['’‘`´ʿʾʼʻ\u0654\u0655]")


def _strip_marks(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return unicodedata.normalize("NFC", kept)


def _fold(value: str) -> str:
    """NFKC, case folding, German umlauts folded, marks and apostrophes removed (ASCII fast path)."""
    if value.isascii():
        return _APOSTROPHES.sub("", value.lower())
    text = unicodedata.normalize("NFKC", value).casefold().translate(_GERMAN_FOLD)
    return _APOSTROPHES.sub("", _strip_marks(text))


# ------------------------------------------------------------------------------------------ dates

_DIRECTIVES = {"%d": r"(?P<d>\d{1,2})", "%m": r"(?P<m>\d{1,2})", "%Y": r"(?P<Y>\d{4})", "%y": r"(?P<y>\d{2})"}
_DIRECTIVE_RE = re.compile(r"%.")


@functools.lru_cache(maxsize=256)
def compile_date_format(fmt: str) -> re.Pattern[str]:
    """A strict regex for a date format built from ``%d %m %Y %y %%`` and literal characters.

    Days and months take one or two digits (``00`` included: "unknown"); the whole text must match.
    Raises ValueError for any other directive.
    """
    pattern = []
    pos = 0
    for match in _DIRECTIVE_RE.finditer(fmt):
        pattern.append(re.escape(fmt[pos : match.start()]))
        directive = match.group()
        if directive == "%%":
            pattern.append("%")
        elif directive in _DIRECTIVES:
            pattern.append(_DIRECTIVES[directive])
        else:
            raise ValueError(f"unsupported date directive {directive!r} (use %d, %m, %Y, %y)")
        pos = match.end()
    pattern.append(re.escape(fmt[pos:]))
    return re.compile("".join(pattern))


def parse_date(raw: str | None, spec: DateSpec) -> DateValue | Invalid | None:
    """Parse a birth date written in one of ``spec.formats`` (then ISO) and convert its calendar.

    Zero days or months (``00.00.1990``, ``00.08.1990``) and ``spec.unknown_day_month``
    placeholders give a :class:`DateValue` with unknown day and month. Every format is tried:
    when two formats read a valid date with day and month swapped (``03/07/1990`` under
    ``%d/%m/%Y`` and ``%m/%d/%Y``) the result is marked ``ambiguous`` instead of guessed; other
    disagreements are ``Invalid("ambiguous")``. Dates that match no format are
    ``Invalid("unparseable")``, impossible dates ``Invalid("invalid_date")``, years outside
    1880..2100 after conversion ``Invalid("out_of_range")``.
    """
    if raw is None:
        return None
    text = (raw if raw.isascii() else unicodedata.normalize("NFKC", raw)).strip()
    if not text:
        return None
    first: DateValue | Invalid | None = None
    for pattern in _patterns(spec.formats):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        result = _date_from_parts(match.groupdict(), spec)
        if first is None or isinstance(first, Invalid):
            first = result
        elif isinstance(result, DateValue) and result != first:
            swapped = (result.year == first.year and result.month == first.day and result.day == first.month)
            return (DateValue(first.year, first.month, first.day, ambiguous=True) if swapped
                    else Invalid("ambiguous"))
    return Invalid("unparseable") if first is None else first


@functools.lru_cache(maxsize=64)
def _patterns(formats: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(compile_date_format(fmt) for fmt in (*formats, "%Y-%m-%d"))


def _date_from_parts(groups: dict[str, str], spec: DateSpec) -> DateValue | Invalid:
    if "Y" in groups:
        year = int(groups["Y"])
    else:
        short = int(groups["y"])
        year = 2000 + short if short < spec.two_digit_year_pivot else 1900 + short
    month, day = int(groups["m"]), int(groups["d"])
    if month > (13 if spec.calendar == "ethiopian" else 12) or day > 31:
        return Invalid("invalid_date")
    if month == 0 or day == 0:
        year += {"gregorian": 0, "solar_hijri": 621, "ethiopian": 7}[spec.calendar]
        return DateValue(year) if 1880 <= year <= 2100 else Invalid("out_of_range")
    try:
        if spec.calendar == "gregorian":
            date(year, month, day)
        else:
            year, month, day = _to_gregorian(year, month, day, spec.calendar)
    except ValueError:
        return Invalid("invalid_date")
    if not 1880 <= year <= 2100:
        return Invalid("out_of_range")
    if spec.calendar == "gregorian" and f"{month:02d}-{day:02d}" in spec.unknown_day_month:
        return DateValue(year)
    return DateValue(year, month, day)


def _to_gregorian(year: int, month: int, day: int, calendar_name: str) -> tuple[int, int, int]:
    if calendar_name == "solar_hijri":
        jdn = _solar_hijri_to_jdn(year, month, day)
    else:
        jdn = _ethiopian_to_jdn(year, month, day)
    return _jdn_to_gregorian(jdn)


def _solar_hijri_to_jdn(year: int, month: int, day: int) -> int:
    """Solar Hijri (Iranian/Afghan) date to Julian day number (Borkowski's algorithm)."""
    leap, march_day = _solar_hijri_year(year)
    month_days = 31 if month <= 6 else 30 if month <= 11 else (30 if leap else 29)
    if not (1 <= month <= 12 and 1 <= day <= month_days):
        raise ValueError("not a Solar Hijri date")
    nowruz = date(year + 621, 3, march_day).toordinal() + 1721425
    return nowruz + (month - 1) * 31 - max(0, month - 7) + day - 1


_SH_BREAKS = (-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262,
              2324, 2394, 2456, 3178)


def _solar_hijri_year(year: int) -> tuple[bool, int]:
    """(is leap year, March day of Nowruz) for Solar Hijri ``year`` in 1..3177."""
    if not 1 <= year < _SH_BREAKS[-1]:
        raise ValueError("Solar Hijri year out of range")
    gregorian_year = year + 621
    leap_j, jp, jump = -14, _SH_BREAKS[0], 0
    for jm in _SH_BREAKS[1:]:
        jump = jm - jp
        if year < jm:
            break
        leap_j += jump // 33 * 8 + (jump % 33) // 4
        jp = jm
    n = year - jp
    leap_j += n // 33 * 8 + ((n % 33) + 3) // 4
    if jump % 33 == 4 and jump - n == 4:
        leap_j += 1
    leap_g = gregorian_year // 4 - (gregorian_year // 100 + 1) * 3 // 4 - 150
    march_day = 20 + leap_j - leap_g
    if jump - n < 6:
        n = n - jump + (jump + 4) // 33 * 33
    leap = ((n + 1) % 33 - 1) % 4
    return leap == 0, march_day


def _ethiopian_to_jdn(year: int, month: int, day: int) -> int:
    if not (1 <= month <= 13 and 1 <= day <= (30 if month <= 12 else (6 if year % 4 == 3 else 5))):
        raise ValueError("not an Ethiopian date")
    return 1724221 + 365 * (year - 1) + year // 4 + 30 * (month - 1) + day - 1


def _jdn_to_gregorian(jdn: int) -> tuple[int, int, int]:
    d = date.fromordinal(jdn - 1721425)
    return d.year, d.month, d.day


# ---------------------------------------------------------------------------------- codes, text

_SEX = {
    "m": "m", "male": "m", "man": "m", "mann": "m", "maennlich": "m", "männlich": "m", "maennl": "m", "männl": "m",
    "herr": "m", "hr": "m", "1": "m",
    "w": "f", "f": "f", "female": "f", "woman": "f", "frau": "f", "fr": "f", "weiblich": "f", "weibl": "f", "2": "f",
    "d": "x", "x": "x", "divers": "x", "diverse": "x", "3": "x",
}
_UNKNOWN = {"u", "unknown", "unbekannt", "ka", "keineangabe", "-", "?", "0"}


def normalize_sex(raw: str | None) -> str | Invalid | None:
    """Map German and English sex codes to ``m``, ``f`` or ``x``; unknown codes are missing."""
    if raw is None:
        return None
    text = re.sub(r"[.\s]", "", unicodedata.normalize("NFKC", raw).casefold())
    if not text or text in _UNKNOWN:
        return None
    return _SEX.get(text, Invalid("unrecognised"))


def normalize_code(raw: str | None) -> str | None:
    """Generic code: NFKC, case folded, marks removed, inner whitespace collapsed."""
    if raw is None:
        return None
    text = " ".join(_strip_marks(unicodedata.normalize("NFKC", raw).casefold()).split())
    return text or None


_NON_ALNUM = re.compile(r"[^\w]|_")


_ASCII_TEXT = str.maketrans(
    {**{chr(c): " " for c in range(128) if not chr(c).isalnum()},
     **{c: None for c in "'`"}, **{chr(c): chr(c).lower() for c in range(65, 91)}}
)


def normalize_text(raw: str | None) -> str | None:
    """Free text such as a place or an address: NFKC, case folded, German umlauts folded, marks
    removed, apostrophes dropped, every other non-alphanumeric character a single space."""
    if raw is None:
        return None
    if raw.isascii():  # fast path, same result as the general one
        text = " ".join(raw.translate(_ASCII_TEXT).split())
    else:
        text = " ".join(_NON_ALNUM.sub(" ", _fold(raw)).split())
    return text or None


_ASCII_TEXT_KEEP_NUL = {**_ASCII_TEXT, 0: 0}
_SPACES = re.compile(" {2,}")


def normalize_texts(raws: list[str | None]) -> list[str | None]:
    """:func:`normalize_text` of many values at once (all-ASCII batches in one pass: same result)."""
    present = [r for r in raws if r is not None]
    joined = "\x00".join(present)
    if not joined.isascii() or joined.count("\x00") != max(len(present) - 1, 0):
        return [normalize_text(r) for r in raws]
    text = _SPACES.sub(" ", joined.translate(_ASCII_TEXT_KEEP_NUL)).replace(" \x00", "\x00").replace("\x00 ", "\x00")
    done = iter([t or None for t in text.strip(" ").split("\x00")] if present else [])
    return [next(done) if r is not None else None for r in raws]
