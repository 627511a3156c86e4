"""The five agency export formats: columns, codes, date formats and capture habits.

=====================  ==============  ===========================================================
agency                 file            layout
=====================  ==============  ===========================================================
foreigners_authority   CSV ``;`` UTF-8 UPPER CASE names, ``DD.MM.YYYY`` (placeholders also
                                       ``00.00.YYYY``), ``M``/``W``, ISO-3 nationality, Arabic or
                                       Cyrillic original-script name for many persons
jobcentre              CSV ``,`` UTF-8 mixed case (some all caps), ``DD.MM.YYYY``,
                                       ``männlich``/``weiblich``, German country names, household no.
employment_agency      Parquet         ISO dates, ``1``/``2`` sex codes, German adjectives
                                       (``syrisch``)
course_provider        Excel ``.xlsx``  one full-name column ("Family, Given" or "Given Family"),
                                       ``DD/MM/YYYY`` (sometimes unpadded), ``Herr``/``Frau``,
                                       English country names, course and level
coordination_office    CSV tab cp1252  Latin only (folded for cp1252), father's name,
                                       ``DD.MM.YY``, ``m``/``w``, German country names
=====================  ==============  ===========================================================

Every record also carries the date it was last updated (never empty, 2023-01-01 .. 2026-06-30),
in the agency's date style, so a recipient merging fields can let the newest value win:

=====================  ====================  ============  =========================================
agency                 column                format        dates
=====================  ====================  ============  =========================================
foreigners_authority   ``LETZTE_AENDERUNG``  DD.MM.YYYY    uniform
jobcentre              ``Stand``             DD.MM.YYYY    leaning recent (cases are updated often)
employment_agency      ``aenderungsdatum``   YYYY-MM-DD    uniform
course_provider        ``Stand``             DD/MM/YYYY    0-120 days after the person's current
                                                           language level was attested
coordination_office    ``Erfasst am``        DD.MM.YY      leaning old; a stale ``Sprachniveau`` is
                                                           always dated before that attestation
=====================  ====================  ============  =========================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._model import AgencyExport
from ._persons import LEVELS, QUALIFICATION, RESIDENCE, Population
from ._records import DateFormat, Style, birth_dates, fold_cp1252, format_dates, join, names, original_script
from ._tables import COUNTRIES, STATELESS, tables

__all__ = ["Agency", "AGENCY_SPECS", "CAPTURED_FROM", "CAPTURED_UNTIL"]

Columns = dict[str, list[str] | np.ndarray]
CAPTURED_FROM, CAPTURED_UNTIL = np.datetime64("2023-01-01"), np.datetime64("2026-06-30")
_CAPTURE_SPAN = int((CAPTURED_UNTIL - CAPTURED_FROM).astype(np.int64)) + 1  # days
_STRFTIME = {"dot": "%d.%m.%Y", "iso": "%Y-%m-%d", "slash": "%d/%m/%Y", "dot2": "%d.%m.%y"}


@dataclass(frozen=True, slots=True)
class Agency:
    name: str
    file_name: str
    config_name: str
    delimiter: str | None
    encoding: str
    id_column: str
    coverage_weight: float  # relative chance that a person is known here
    minors: bool  # persons under 16 can appear
    dup_rate: float  # share of persons captured twice
    style: Style
    build: Callable[["Agency", Population, np.ndarray, np.ndarray, np.random.Generator], Columns]
    captured_column: str  # when the record was last updated (always the build's last column)
    captured_format: DateFormat
    legal_basis: str  # of the linkage flow: "consent" or "statute:<name>"
    data_classes: tuple[str, ...]  # the agency's own data classes besides "identity"

    def render(self, pop: Population, pidx: np.ndarray, repeat: np.ndarray, rng: np.random.Generator
               ) -> AgencyExport:
        """The export of the records of persons ``pidx`` (``repeat``: a repeat capture)."""
        columns = self.build(self, pop, pidx, repeat, rng)
        frame = pd.DataFrame({k: pd.Series(list(v), dtype=object) for k, v in columns.items()})
        return AgencyExport(agency=self.name, frame=frame, file_name=self.file_name, config_name=self.config_name,
                            delimiter=self.delimiter, encoding=self.encoding, captured_column=self.captured_column,
                            captured_format=_STRFTIME[self.captured_format])

    def captured(self, dates: np.ndarray) -> list[str]:
        return format_dates(dates, self.captured_format)


# ---------------------------------------------------------------------------------------- helpers


def _ids(n: int, rng: np.random.Generator, fmt: Callable[[int], str]) -> list[str]:
    """Unique ascending local ids with gaps, as a system's counter would leave them."""
    return [fmt(u) for u in (10_000 + np.cumsum(rng.integers(1, 6, n))).tolist()]


def _upper(values: np.ndarray | list[str]) -> list[str]:
    return [v.upper() for v in values]


def _blank(values: list[str] | np.ndarray, p: float, rng: np.random.Generator) -> list[str]:
    miss = rng.random(len(values)) < p
    return ["" if m else v for v, m in zip(values, miss.tolist())]


def _sex(pop: Population, pidx: np.ndarray, codes: tuple[str, str], p_missing: float,
         rng: np.random.Generator) -> list[str]:
    return _blank(np.where(pop.female[pidx], codes[1], codes[0]).tolist(), p_missing, rng)


def _nationality(pop: Population, pidx: np.ndarray, style: str, p_missing: float,
                 rng: np.random.Generator) -> list[str]:
    attr = {"iso": "code", "german": "german", "english": "english", "adjective": "adjective"}[style]
    names_ = np.asarray([getattr(c, attr) for c in COUNTRIES], dtype=object)
    values = np.where(pop.stateless[pidx], STATELESS[style], names_[pop.country[pidx]])
    return _blank(values.tolist(), p_missing, rng)


def _place(pop: Population, pidx: np.ndarray, p_doc: float, p_missing: float,
           rng: np.random.Generator) -> list[str]:
    t = tables()
    n = len(pidx)
    groups = pop.place[pidx]
    v = np.where(rng.random(n) < p_doc, pop.place_v[pidx], t.place.draw(groups, rng.random(n)))
    return _blank(t.place.strings[v].tolist(), p_missing, rng)


def _choose(options: tuple[str, ...], idx: np.ndarray) -> list[str]:
    return np.asarray(options, dtype=object)[idx].tolist()


def _updated(n: int, rng: np.random.Generator, power: float = 1.0) -> np.ndarray:
    """Last-update dates in the capture window; ``power`` < 1 leans recent, > 1 leans old.
    Drawn last in each build, so the other columns do not depend on them."""
    return CAPTURED_FROM + np.floor(rng.random(n) ** power * _CAPTURE_SPAN).astype(np.int64)


# --------------------------------------------------------------------------------------- agencies


def _foreigners_authority(a: Agency, pop: Population, pidx: np.ndarray, rep: np.ndarray,
                          rng: np.random.Generator) -> Columns:
    given, family, _ = names(pop, pidx, rep, a.style, rng)
    return {
        "AZR_NR": _ids(len(pidx), rng, lambda u: f"{400_000_000_000 + u}"),
        "FAMILIENNAME": _upper(family),
        "VORNAMEN": _upper(given),
        "NAME_ORIGINALSCHRIFT": original_script(pop, pidx, 0.6, rng),
        "GEBURTSDATUM": birth_dates(pop, pidx, a.style, rng),
        "GESCHLECHT": _sex(pop, pidx, ("M", "W"), 0.0, rng),
        "STAATSANGEHOERIGKEIT": _nationality(pop, pidx, "iso", 0.002, rng),
        "GEBURTSORT": _upper(_place(pop, pidx, 0.9, 0.05, rng)),
        "AUFENTHALTSSTATUS": _choose(RESIDENCE, pop.residence[pidx]),
        a.captured_column: a.captured(_updated(len(pidx), rng)),
    }


def _jobcentre(a: Agency, pop: Population, pidx: np.ndarray, rep: np.ndarray,
               rng: np.random.Generator) -> Columns:
    given, family, _ = names(pop, pidx, rep, a.style, rng)
    caps = np.flatnonzero(rng.random(len(pidx)) < 0.1)  # copied from the passport in capitals
    given[caps], family[caps] = _upper(given[caps]), _upper(family[caps])
    return {
        "Kundennummer": _ids(len(pidx), rng, lambda u: f"{962 + u // 1_000_000}D{u % 1_000_000:06d}"),
        "Nachname": family.tolist(),
        "Vorname": given.tolist(),
        "Geburtsdatum": birth_dates(pop, pidx, a.style, rng),
        "Geschlecht": _sex(pop, pidx, ("männlich", "weiblich"), 0.005, rng),
        "Staatsangehörigkeit": _nationality(pop, pidx, "german", 0.01, rng),
        "Geburtsort": _place(pop, pidx, 0.6, 0.15, rng),
        "BG-Nummer": [f"96201BG{h:07d}" for h in pop.household[pidx].tolist()],
        a.captured_column: a.captured(_updated(len(pidx), rng, 0.6)),
    }


def _employment_agency(a: Agency, pop: Population, pidx: np.ndarray, rep: np.ndarray,
                       rng: np.random.Generator) -> Columns:
    given, family, _ = names(pop, pidx, rep, a.style, rng)
    return {
        "bewerber_nr": _ids(len(pidx), rng, lambda u: f"V{u:09d}"),
        "nachname": family.tolist(),
        "vorname": given.tolist(),
        "geburtsdatum": birth_dates(pop, pidx, a.style, rng),
        "geschlecht": _sex(pop, pidx, ("1", "2"), 0.005, rng),
        "staatsangehoerigkeit": _nationality(pop, pidx, "adjective", 0.01, rng),
        "berufsabschluss": _blank(_choose(QUALIFICATION, pop.qualification[pidx]), 0.1, rng),
        a.captured_column: a.captured(_updated(len(pidx), rng)),
    }


def _course_provider(a: Agency, pop: Population, pidx: np.ndarray, rep: np.ndarray,
                     rng: np.random.Generator) -> Columns:
    n = len(pidx)
    given, family, _ = names(pop, pidx, rep, a.style, rng)
    caps = rng.random(n) < 0.1
    family = np.where(caps, np.asarray(_upper(family), dtype=object), family)
    comma = (rng.random(n) < 0.6) & (family != "") & (given != "")
    full = np.where(comma, join(family, given, sep=", "), join(given, family))
    u = rng.random(n)
    course = np.where(pop.literacy[pidx], 0, np.where(u < 0.75, 1, 2))
    return {
        "TN-Nr": _ids(n, rng, lambda u: f"TN-{u:06d}"),
        "Name": full.tolist(),
        "Geburtsdatum": birth_dates(pop, pidx, a.style, rng),
        "Anrede": _sex(pop, pidx, ("Herr", "Frau"), 0.01, rng),
        "Herkunftsland": _nationality(pop, pidx, "english", 0.02, rng),
        "Kursart": _choose(("Integrationskurs mit Alphabetisierung", "Integrationskurs", "Berufssprachkurs"), course),
        "Niveau": _choose(LEVELS, pop.level[pidx]),
        a.captured_column: a.captured(np.minimum(pop.level_date[pidx] + rng.integers(0, 121, n), CAPTURED_UNTIL)),
    }


def _coordination_office(a: Agency, pop: Population, pidx: np.ndarray, rep: np.ndarray,
                         rng: np.random.Generator) -> Columns:
    n = len(pidx)
    given, family, father = names(pop, pidx, rep, a.style, rng)
    behind = rng.random(n) < 0.3  # level recorded before the last course: stale
    stale = np.maximum(pop.level[pidx] - behind, 0)
    return {
        "Fall-Nr": _ids(n, rng, lambda u: f"ST{u:07d}"),
        "Familienname": fold_cp1252(family),
        "Vorname": fold_cp1252(given),
        "Name des Vaters": fold_cp1252(_blank(father, 0.15, rng)),
        "Geb.-Datum": birth_dates(pop, pidx, a.style, rng),
        "Geschlecht": _sex(pop, pidx, ("m", "w"), 0.01, rng),
        "Nationalität": _nationality(pop, pidx, "german", 0.03, rng),
        "Geburtsort": fold_cp1252(_place(pop, pidx, 0.6, 0.3, rng)),
        "Sprachniveau": _choose(LEVELS, stale),
        a.captured_column: a.captured(_stale_dates(pop.level_date[pidx], behind, rng)),
    }


def _stale_dates(attested: np.ndarray, behind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Leaning old; a record ``behind`` the person's course is dated before the level was attested."""
    days = (attested - CAPTURED_FROM).astype(np.int64)  # >= 181
    before = CAPTURED_FROM + np.floor(rng.random(len(attested)) * days).astype(np.int64)
    return np.where(behind, before, _updated(len(attested), rng, 2.0))


_COMMON = dict(p_drop_second=0.12, p_father_in_given=0.03, p_swap=0.02, p_no_family_whole=0.05,
               p_no_family_father=0.25, p_no_family_split=0.2)

AGENCY_SPECS: tuple[Agency, ...] = (
    Agency("foreigners_authority", "foreigners_authority.csv", "foreigners_authority.toml", ";", "utf-8",
           "AZR_NR", 0.95, True, 0.03,
           Style(p_doc=0.92, typo_rate=0.004, p_drop_second=0.02, p_father_in_given=0.0, p_swap=0.003,
                 p_no_family_whole=0.3, p_no_family_father=0.0, p_no_family_split=0.0, p_self_date=0.0,
                 p_zero_date=0.12, p_dm_swap=0.002, p_date_typo=0.002, p_missing_date=0.001),
           _foreigners_authority, captured_column="LETZTE_AENDERUNG", captured_format="dot",
           legal_basis="statute:AufenthG §86", data_classes=("residence",)),
    Agency("jobcentre", "jobcentre.csv", "jobcentre.toml", ",", "utf-8", "Kundennummer", 0.75, True, 0.05,
           Style(p_doc=0.7, typo_rate=0.015, p_self_date=0.2, p_zero_date=0.05, **_COMMON), _jobcentre,
           captured_column="Stand", captured_format="dot", legal_basis="statute:SGB II §50", data_classes=()),
    Agency("employment_agency", "employment_agency.parquet", "employment_agency.toml", None, "utf-8",
           "bewerber_nr", 0.5, False, 0.03,
           Style(p_doc=0.8, typo_rate=0.01, p_self_date=0.1, p_zero_date=0.0, date_format="iso", **_COMMON),
           _employment_agency, captured_column="aenderungsdatum", captured_format="iso",
           legal_basis="statute:SGB III §394", data_classes=("qualification",)),
    Agency("course_provider", "course_provider.xlsx", "course_provider.toml", None, "utf-8", "TN-Nr",
           0.55, False, 0.05,
           Style(p_doc=0.55, typo_rate=0.025, p_self_date=0.45, p_zero_date=0.03, p_dm_swap=0.02,
                 date_format="slash", p_unpadded=0.2, **{**_COMMON, "p_drop_second": 0.2}),
           _course_provider, captured_column="Stand", captured_format="slash", legal_basis="consent",
           data_classes=("course", "language")),
    Agency("coordination_office", "coordination_office.csv", "coordination_office.toml", "\t", "cp1252",
           "Fall-Nr", 0.35, False, 0.04,
           Style(p_doc=0.6, typo_rate=0.02, p_self_date=0.5, p_zero_date=0.05, date_format="dot2", **_COMMON),
           _coordination_office, captured_column="Erfasst am", captured_format="dot2", legal_basis="consent",
           data_classes=("language",)),
)
