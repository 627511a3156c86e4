"""Record-level variation: who appears where, and how each agency writes names and dates.

Each function takes the population, the person index of every record (``pidx``) and an agency
:class:`Style`, draws all its randomness as arrays up front, and returns one string (or number)
per record. Python loops run only over the few records that get a typo or a fold.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._persons import Population
from ._tables import COUNTRIES, CULTURES, VariantTable, tables

__all__ = ["Style", "coverage", "names", "original_script", "birth_dates", "format_dates", "typos", "fold_cp1252",
           "join"]

DateFormat = Literal["dot", "slash", "dot2", "iso"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Style:
    """How one agency captures a person (rates are per record)."""

    p_doc: float  # spelling copied from the papers, else re-transcribed
    typo_rate: float  # per name field
    p_drop_second: float  # second given name left out
    p_father_in_given: float  # father's name appended to the given names
    p_swap: float  # given and family name swapped
    p_no_family_whole: float  # no family name: given names written as family name
    p_no_family_father: float  # no family name: father's name used as family name
    p_no_family_split: float  # no family name: second given name used as family name
    p_self_date: float  # uncertain date: person's own statement instead of the placeholder
    p_zero_date: float  # placeholder written 00.00.YYYY instead of 01.01.YYYY
    p_dm_swap: float = 0.008
    p_date_typo: float = 0.006
    p_missing_date: float = 0.005
    date_format: DateFormat = "dot"
    p_unpadded: float = 0.0  # 3/7/1990 instead of 03/07/1990


_FATHER_IN_GIVEN = np.array([c.name in ("arab", "pers", "kurd", "soma", "tigr") for c in CULTURES])
_CALENDAR = np.array([{"gregorian": 0, "solar_hijri": 1, "ethiopian": 2}[c.calendar] for c in COUNTRIES])
_LETTERS = "aeinorsthldumkbyz"
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def join(*columns: np.ndarray, sep: str = " ") -> np.ndarray:
    """Element-wise join of string columns, skipping empty strings."""
    return np.asarray([sep.join(p for p in parts if p) for parts in zip(*columns)], dtype=object)


def _text(table: VariantTable, idx: np.ndarray) -> np.ndarray:
    return np.append(table.strings, "")[idx]  # index -1 -> ""


def _spell(table: VariantTable, groups: np.ndarray, doc_v: np.ndarray, p_doc: float | np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    """The document spelling, or with probability 1 - p_doc a fresh draw from the group."""
    n = len(groups)
    keep = rng.random(n) < p_doc
    drawn = table.draw(np.maximum(groups, 0), rng.random(n))
    return np.where(groups < 0, -1, np.where(keep, doc_v, drawn))


def coverage(pop: Population, weights: tuple[float, ...], minors: tuple[bool, ...], dup_rates: tuple[float, ...],
             rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per agency: person index per record and whether the record is a repeat capture.

    Most persons are at 2-4 agencies; a share ``dup_rates[a]`` is captured twice (a tenth of
    those three times) under new local ids.
    """
    n, k = len(pop), len(weights)
    count = rng.choice(np.arange(1, 6), size=n, p=[0.10, 0.30, 0.32, 0.20, 0.08])
    eligible = np.ones((n, k), dtype=bool)
    eligible[pop.age < 16] = np.asarray(minors)
    keys = np.where(eligible, np.log(np.asarray(weights)) + rng.gumbel(size=(n, k)), -np.inf)
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    chosen = (rank < np.minimum(count, eligible.sum(axis=1))[:, None]) & eligible
    out = []
    for a in range(k):
        people = np.flatnonzero(chosen[:, a])
        dups = people[rng.random(len(people)) < dup_rates[a]]
        again = dups[rng.random(len(dups)) < 0.1]
        records = np.concatenate([people, dups, again])
        repeat = np.arange(len(records)) >= len(people)
        order = rng.permutation(len(records))
        out.append((records[order], repeat[order]))
    return out


def names(pop: Population, pidx: np.ndarray, repeat: np.ndarray, style: Style, rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(given names, family name, father's name) per record, before casing.

    Repeat captures (``repeat``) were typed by another clerk: they copy the papers less often.
    """
    t = tables()
    n = len(pidx)
    p_doc = np.where(repeat, style.p_doc * 0.6, style.p_doc)

    def spell(table: VariantTable, groups: np.ndarray, doc_v: np.ndarray) -> np.ndarray:
        return _text(table, _spell(table, groups[pidx], doc_v[pidx], p_doc, rng))

    g1 = spell(t.given, pop.given1, pop.given1_v)
    g2 = spell(t.given, pop.given2, pop.given2_v)
    g2[rng.random(n) < style.p_drop_second] = ""
    father = spell(t.given, pop.father, pop.father_v)
    family = spell(t.family, pop.family, pop.family_v)
    pat = np.flatnonzero(pop.patronymic[pidx])
    if len(pat):
        grandfather = spell(t.given, pop.grandfather, pop.grandfather_v)[pat]
        mode = np.where(rng.random(len(pat)) < p_doc[pat], pop.patronymic_mode[pidx[pat]],
                        rng.integers(0, 3, len(pat)))
        both = join(father[pat], grandfather)
        family[pat] = np.where(mode == 0, father[pat], np.where(mode == 1, both, grandfather))
    given = join(g1, g2)

    u = rng.random(n)
    none = np.flatnonzero((family == "") & (given != ""))
    if len(none):
        un = u[none]
        whole = none[un < style.p_no_family_whole]
        family[whole], given[whole] = given[whole], ""
        lo = style.p_no_family_whole
        fat = none[(un >= lo) & (un < lo + style.p_no_family_father)]
        family[fat] = father[fat]
        lo += style.p_no_family_father
        split = none[(un >= lo) & (un < lo + style.p_no_family_split) & (g2[none] != "")]
        given[split], family[split] = g1[split], g2[split]

    add = np.flatnonzero((rng.random(n) < style.p_father_in_given) & _FATHER_IN_GIVEN[pop.culture[pidx]]
                         & (father != "") & (given != ""))
    given[add] = join(given[add], father[add])
    swap = np.flatnonzero((rng.random(n) < style.p_swap) & (family != "") & (given != ""))
    given[swap], family[swap] = family[swap], given[swap].copy()
    return (typos(given, style.typo_rate, rng), typos(family, style.typo_rate, rng),
            typos(father, style.typo_rate, rng))


_ARABIC_LOOSE = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك"})


def original_script(pop: Population, pidx: np.ndarray, p_present: float, rng: np.random.Generator) -> np.ndarray:
    """The name in its original script (Arabic or Cyrillic) for some records, else ""."""
    t = tables()
    n = len(pidx)
    script = np.asarray([c.script for c in CULTURES], dtype=object)[pop.culture[pidx]]
    use = np.flatnonzero((script != "") & (rng.random(n) < p_present))
    gs, fs = np.append(t.given.script, ""), np.append(t.family.script, "")
    p = pidx[use]
    g1, g2, fam, fat = gs[pop.given1[p]], gs[pop.given2[p]], fs[pop.family[p]], gs[pop.father[p]]
    with_father = (rng.random(len(use)) < 0.25) | (pop.family[p] < 0)
    cyrillic = script[use] == "cyrl"
    loose = rng.random(len(use)) < 0.25
    out = np.full(n, "", dtype=object)
    complete = (g1 != "") & ((fam != "") | (pop.family[p] < 0)) & ((g2 != "") | (pop.given2[p] < 0))
    for i, row in enumerate(use.tolist()):
        if not complete[i]:
            continue
        if cyrillic[i]:
            out[row] = " ".join(x for x in (fam[i], g1[i], g2[i]) if x)
        else:
            text = " ".join(x for x in (g1[i], g2[i], fat[i] if with_father[i] else "", fam[i]) if x)
            out[row] = text.translate(_ARABIC_LOOSE) if loose[i] else text
    return out


def typos(values: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Insert, delete, substitute or transpose one letter in a share ``rate`` of the values."""
    n = len(values)
    hit = np.flatnonzero(rng.random(n) < rate)
    kinds, where, letters = rng.integers(0, 4, len(hit)), rng.random(len(hit)), rng.integers(0, len(_LETTERS), len(hit))
    out = values.copy()
    for i, kind, pos, letter in zip(hit.tolist(), kinds.tolist(), where.tolist(), letters.tolist()):
        out[i] = _typo(out[i], kind, pos, _LETTERS[letter])
    return out


def _typo(s: str, kind: int, pos: float, letter: str) -> str:
    idx = [i for i, c in enumerate(s) if c.isalpha()]
    if len(idx) < 4:
        return s
    i = idx[1 + int(pos * (len(idx) - 1))]  # never the first letter
    if s[i].isupper():
        letter = letter.upper()
    if kind == 0:
        return s[: i + 1] + letter + s[i + 1 :]
    if kind == 1:
        return s[:i] + s[i + 1 :]
    if kind == 2:
        return s[:i] + (letter if letter.lower() != s[i].lower() else "y") + s[i + 1 :]
    j = i - 1 if i + 1 >= len(s) or not s[i + 1].isalpha() else i + 1
    a, b = min(i, j), max(i, j)
    return s[:a] + s[b] + s[a] + s[b + 1 :]


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _MONTH_DAYS[month - 1] + ((month == 2) & leap)


def _ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def _calendar_digits(dates: np.ndarray, calendar: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, month and naively converted year as a clerk writes a Solar Hijri / Ethiopian date."""
    y, _, _ = _ymd(dates)
    start = dates.astype("datetime64[Y]").astype("datetime64[M]")
    nowruz = (start + 2).astype("datetime64[D]") + 20  # ~21 March
    enkutatash = (start + 8).astype("datetime64[D]") + 10  # ~11 September
    new_year = np.where(calendar == 1, nowruz, enkutatash)
    before = dates < new_year
    prev_start = (dates.astype("datetime64[Y]") - 1).astype("datetime64[M]")
    prev = np.where(calendar == 1, (prev_start + 2).astype("datetime64[D]") + 20,
                    (prev_start + 8).astype("datetime64[D]") + 10)
    off = (dates - np.where(before, prev, new_year)).astype(np.int64)
    sh_month = np.where(off < 186, off // 31 + 1, 7 + (off - 186) // 30).clip(1, 12)
    sh_day = np.where(off < 186, off % 31 + 1, (off - 186) % 30 + 1)
    et_month, et_day = (off // 30 + 1).clip(1, 12), off % 30 + 1
    year = np.where(before, y - 1, y)  # the calendar year the local year began in: a naive conversion
    month = np.where(calendar == 1, sh_month, et_month)
    day = np.minimum(np.where(calendar == 1, sh_day, et_day), _days_in_month(year, month))
    return year, month, day


def birth_dates(pop: Population, pidx: np.ndarray, style: Style, rng: np.random.Generator) -> list[str]:
    """Birth dates as the agency writes them, with placeholders, calendar slips, swaps and typos."""
    n = len(pidx)
    u = rng.random((8, n))
    dates = pop.birth[pidx]
    y, m, d = _ymd(dates)
    uncertain = pop.uncertain[pidx]
    placeholder = uncertain & (u[0] >= style.p_self_date)
    calendar = _CALENDAR[pop.country[pidx]]
    slip = (calendar > 0) & ~placeholder & (u[1] < np.where(uncertain, 0.35, 0.03))
    off_by_one = slip & (u[2] < 0.5)
    y = np.where(off_by_one, y + np.where(u[3] < 0.5, -1, 1), y)
    converted = np.flatnonzero(slip & ~off_by_one)
    cy, cm, cd = _calendar_digits(dates[converted], calendar[converted])
    y[converted], m[converted], d[converted] = cy, cm, cd
    d = np.minimum(d, _days_in_month(y, m))

    swap = ~placeholder & (d <= 12) & (d != m) & (u[4] < style.p_dm_swap)
    m, d = np.where(swap, d, m), np.where(swap, m, d)
    typo = ~placeholder & (u[5] < style.p_date_typo)
    digit = rng.integers(1, 10, n)
    y_typo = y - y % 10 + (y % 10 + digit) % 10
    d_typo = (d // 10) * 10 + (d % 10 + digit) % 10
    d_typo = np.where((d_typo < 1) | (d_typo > _days_in_month(y, m)), d % _days_in_month(y, m) + 1, d_typo)
    in_year = u[6] < 0.5
    y = np.where(typo & in_year, np.minimum(y_typo, 2024), y)
    d = np.where(typo & ~in_year, d_typo, np.minimum(d, _days_in_month(y, m)))

    y = np.where(placeholder, pop.doc_year[pidx], y)
    zero = placeholder & (u[7] < style.p_zero_date) & (style.date_format != "iso")
    m = np.where(placeholder, np.where(zero & (rng.random(n) < 0.1), m, np.where(zero, 0, 1)), m)
    d = np.where(placeholder, np.where(zero, 0, 1), d)
    missing = rng.random(n) < style.p_missing_date
    unpadded = rng.random(n) < style.p_unpadded
    fmt = style.date_format
    out = []
    for yy, mm, dd, miss, short in zip(y.tolist(), m.tolist(), d.tolist(), missing.tolist(), unpadded.tolist()):
        if miss:
            out.append("")
        elif fmt == "dot":
            out.append(f"{dd:02d}.{mm:02d}.{yy}")
        elif fmt == "iso":
            out.append(f"{yy}-{mm:02d}-{dd:02d}")
        elif fmt == "dot2":
            out.append(f"{dd:02d}.{mm:02d}.{yy % 100:02d}")
        else:
            out.append(f"{dd}/{mm}/{yy}" if short else f"{dd:02d}/{mm:02d}/{yy}")
    return out


def format_dates(dates: np.ndarray, fmt: DateFormat) -> list[str]:
    """Format ``datetime64[D]`` values (none missing) as ``dot`` DD.MM.YYYY, ``iso``, ``slash``
    DD/MM/YYYY or ``dot2`` DD.MM.YY, by rearranging the ISO characters (no per-date Python)."""
    iso = np.datetime_as_string(np.asarray(dates, dtype="datetime64[D]"), unit="D").astype("<U10")
    if fmt == "iso":
        return iso.astype(object).tolist()
    c = iso.view("<U1").reshape(-1, 10)
    sep = np.full((len(c), 1), "/" if fmt == "slash" else ".")
    out = np.ascontiguousarray(np.concatenate([c[:, 8:10], sep, c[:, 5:7], sep, c[:, 2 if fmt == "dot2" else 0:4]],
                                              axis=1))
    return out.view(f"<U{out.shape[1]}").ravel().astype(object).tolist()


def _fold_one(s: str) -> str:
    out = []
    for ch in s:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            base = {"ı": "i", "ʿ": "'", "ʾ": "'"}.get(base, base)
            out.append(base if base.encode("cp1252", errors="ignore") == base.encode("cp1252", errors="replace")
                       else "")
    return "".join(out)


def fold_cp1252(values: list[str] | np.ndarray) -> list[str]:
    """Make every value encodable in cp1252 (ş -> s, č -> c, ı -> i), as a Windows system would."""
    cache: dict[str, str] = {}
    out = []
    for s in values:
        r = cache.get(s)
        if r is None:
            try:
                s.encode("cp1252")
                r = s
            except UnicodeEncodeError:
                r = _fold_one(s)
            cache[s] = r
        out.append(r)
    return out

