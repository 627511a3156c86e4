"""Synthetic refugee records as five German agencies would export them, with the truth.

Contract
--------
``generate(persons, seed=...)`` builds a population of ``persons`` people in households and
returns one :class:`AgencyExport` per agency in :data:`AGENCIES`, the truth table (``agency``,
``record_id`` = the agency's local id, ``person_id``) and, in ``consent``, each agency's consent
register as of :data:`REGISTER_DATE` (2026-06-30; one row per grant, the columns of
:mod:`linkage.consent`, all strings). It is pure (no files, no environment, no printing) and
deterministic: the same ``persons`` and ``seed`` give identical frames on every platform; every
random draw comes from a numpy ``Generator`` seeded by ``SeedSequence(seed)``, one child stream
per stage and per agency (the registers have their own, so they leave the exports unchanged).

What the data contains (rates are per record unless noted):

* origins weighted roughly like recent German asylum and protection caseloads (Syria,
  Afghanistan, Ukraine, Iraq, Turkey, Iran, Eritrea, Somalia, Sudan, Ethiopia; rough choices,
  not official figures) and naming cultures within them (Arab, Persian/Afghan, Kurdish,
  Turkish, Somali, Tigrinya, Ukrainian); about 62 % men, 40 % aged 18-30;
* households sharing family and father's names; many Afghans without a family name;
  patronymic Somali and Eritrean names (family name = father's and/or grandfather's name);
* each person at 1-5 agencies (most at 2-4; children under 16 only at the foreigners
  authority and the job centre), 3-5 % captured twice at one agency under a new local id;
* romanisation variants re-drawn per record (Mohammed/Muhammad/Mouhamed, al-/el-/dropped
  articles, Maxamed, Tesfay/Tesfaye, Schewtschenko/Shevchenko), Arabic or Cyrillic original
  script at the foreigners authority, given/family swaps, father's name among the given names,
  second given names dropped, typos (insert, delete, substitute, transpose);
* birth dates with 1 January placeholders for uncertain dates (often Afghanistan, Somalia,
  Eritrea), ``00.00.YYYY``, years off by one, Solar Hijri / Ethiopian day-month digits written
  with a naively converted year, day/month swaps, digit typos and missing values;
* the date each record was last updated (``AgencyExport.captured_column``, 2023-2026, in the
  agency's date style); the coordination office's language levels are often stale and then
  dated before the course provider's, so "newest wins" takes the course provider's level;
* consent registers: a statute or (course provider, coordination office) consent as the
  linkage basis, which 6 % of the consent agencies' records lack; grants to share data with
  the other agencies, some declined, withdrawn, expired or unknown (see :mod:`._consent`).

Every generated value is readable with the shipped export configs (``configs/<agency>.toml``):
encoding a generated export with its register quarantines only the records without a linkage
basis. Name data are hand-curated (see :mod:`._data_given`); layouts are described in
:mod:`._agencies`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ._agencies import AGENCY_SPECS
from ._consent import REGISTER_DAY, SHARING_PURPOSE, consent_register
from ._model import AgencyExport, SynthData
from ._persons import make_population
from ._records import coverage

__all__ = ["AGENCIES", "DATA_CLASSES", "REGISTER_DATE", "SHARING_PURPOSE", "AgencyExport", "SynthData", "generate"]

AGENCIES: tuple[str, ...] = ("foreigners_authority", "jobcentre", "employment_agency", "course_provider",
                             "coordination_office")
REGISTER_DATE: date = REGISTER_DAY.astype(object)
"""The date the consent registers are as of: nothing starts or is recorded later."""
DATA_CLASSES: dict[str, tuple[str, ...]] = {a.name: ("identity", *a.data_classes) for a in AGENCY_SPECS}
"""The data classes each agency's grants may name (identity: names, birth date, sex, nationality)."""


def generate(persons: int, *, seed: int) -> SynthData:
    """Generate the exports of ``persons`` synthetic people (>= 1) at the five agencies."""
    if isinstance(persons, bool) or not isinstance(persons, (int, np.integer)) or persons < 1:
        raise ValueError(f"'persons' of generate must be an integer >= 1, got {persons!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"'seed' of generate must be an integer >= 0, got {seed!r}")
    streams = np.random.SeedSequence(int(seed)).spawn(2 + 2 * len(AGENCY_SPECS))  # later ones: registers
    pop = make_population(int(persons), np.random.default_rng(streams[0]))
    records = coverage(pop, tuple(a.coverage_weight for a in AGENCY_SPECS), tuple(a.minors for a in AGENCY_SPECS),
                       tuple(a.dup_rate for a in AGENCY_SPECS), np.random.default_rng(streams[1]))
    width = max(7, len(str(int(persons))))
    exports, truth, consent = [], [], {}
    for spec, (pidx, repeat), stream, register_stream in zip(AGENCY_SPECS, records, streams[2:],
                                                             streams[2 + len(AGENCY_SPECS):]):
        export = spec.render(pop, pidx, repeat, np.random.default_rng(stream))
        exports.append(export)
        consent[spec.name] = consent_register(spec, export.frame[spec.id_column].to_numpy(dtype=object), AGENCIES,
                                              np.random.default_rng(register_stream))
        truth.append(pd.DataFrame({
            "agency": pd.Series([spec.name] * len(pidx), dtype=object),
            "record_id": export.frame[spec.id_column].astype(object),
            "person_id": pd.Series([f"P{i + 1:0{width}d}" for i in pidx.tolist()], dtype=object),
        }))
    return SynthData(exports=tuple(exports), truth=pd.concat(truth, ignore_index=True), consent=consent)
