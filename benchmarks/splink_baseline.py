"""Plaintext Splink 5 (DuckDB) on the synthetic five-agency data: the anchor for benchmarks/quality.py.

``plaintext_records(frame, config, agency)`` turns one agency's input table into the standardised
plaintext columns a data engineer would give Splink, cleaned with this library's own normalisers
(so that the comparison is about the matcher, not the cleaning):

* ``unique_id`` (the agency's local id) and ``source_dataset`` (the agency);
* ``first_name``: first canonical part (:func:`linkage.names.name_parts`) of the given names;
  ``surname``: the canonical parts of the family name, joined by spaces. A full-name-only column
  is split at its comma (``"Family, Given"``) when it has one, else first part = first name, the
  rest = surname. Without any Latin name column the original-script name is read as a full name.
  The father's name (one agency) is left out;
* ``dob``: ISO ``yyyy-mm-dd`` when day and month are known, else None; ``birth_year`` (integer)
  whenever the year is known (placeholder dates such as 1 January and ``00.00.yyyy`` keep just
  the year). Unusable dates are missing;
* ``sex`` (``m``/``f``/``x``), ``nationality`` (ISO alpha-3) and ``place`` (normalised text).

``run_splink(records)`` links and deduplicates them with Splink 5 (DuckDB) as its tutorials do and
returns the cluster label of every row, in input order, and the seconds Splink took (registration,
training, prediction, clustering). Model (:func:`settings`): link_type ``link_and_dedupe``;
``NameComparison`` (exact with term-frequency adjustment, Jaro-Winkler 0.92 / 0.88 / 0.7) on
first_name and on surname; a date comparison in the shape of ``DateOfBirthComparison`` (exact,
Levenshtein <= 1, within a month) extended by birth-year levels (same year, 1 apart, <= 10 apart)
so that year-only dates count; ``ExactMatch`` on sex and nationality (term frequencies on
nationality); Jaro-Winkler 0.9 / 0.7 on place. Prediction blocking: first_name + surname,
surname + birth_year, first_name + birth_year, dob. Training as in the Splink tutorial: the prior
from deterministic rules (first_name + surname + dob; first_name, surname within Levenshtein 2,
dob) at recall 0.7, u by random sampling (1e7 pairs, seeded), EM blocked on first_name + surname
and then on dob; predict, then connected components at match probability 0.95. Importing this
module needs ``splink``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from linkage.config import ExportConfig
from linkage.countries import normalize_nationality
from linkage.names import name_parts
from linkage.normalize import DateValue, normalize_sex, normalize_text, parse_date

__all__ = ["COLUMNS", "plaintext_records", "run_splink", "settings"]

COLUMNS = ["unique_id", "source_dataset", "first_name", "surname", "dob", "birth_year", "sex", "nationality", "place"]
MATCH_PROBABILITY = 0.95
SEED = 1


# ------------------------------------------------------------------------------------ cleaning

def _first(frame: pd.DataFrame, cols: tuple[str, ...]) -> list[str | None]:
    """Per row, the first non-blank value of ``cols`` (None where all are blank)."""
    out: list[str | None] = [None] * len(frame)
    for col in cols:
        for i, v in enumerate(frame[col].tolist()):
            if out[i] is None and isinstance(v, str) and v.strip():
                out[i] = v
    return out


def _mapped(values: list, fn: Callable) -> list:
    """``fn`` of every value, computed once per distinct value."""
    cache: dict = {}
    return [cache[v] if v in cache else cache.setdefault(v, fn(v)) for v in values]


def _code(normalise: Callable[[str], object]) -> Callable[[str | None], str | None]:
    """A normaliser whose unusable values (Invalid) are missing."""
    def code(raw: str | None) -> str | None:
        value = normalise(raw) if raw is not None else None
        return value if isinstance(value, str) else None
    return code


def _names(given: str | None, family: str | None, full: str | None) -> tuple[str | None, str | None]:
    given_parts, family_parts = name_parts(given), name_parts(family)
    if not given_parts and not family_parts and full:
        if "," in full:
            family_raw, given_raw = full.split(",", 1)
            given_parts, family_parts = name_parts(given_raw), name_parts(family_raw)
        else:
            parts = name_parts(full)
            given_parts, family_parts = parts[:1], parts[1:]
    return (given_parts[0] if given_parts else None), (" ".join(family_parts) or None)


def plaintext_records(frame: pd.DataFrame, config: ExportConfig, agency: str) -> pd.DataFrame:
    """One row per input row: the standardised plaintext columns of :data:`COLUMNS`."""
    cols = config.columns_for
    given = _first(frame, cols("given_name"))
    family = _first(frame, cols("family_name"))
    full = _first(frame, cols("full_name"))
    original = _first(frame, cols("original_name"))
    full = [f if (f or g or s) else o for g, s, f, o in zip(given, family, full, original)]
    names = _mapped(list(zip(given, family, full)), lambda t: _names(*t))

    def date(raw: str | None) -> tuple[str | None, int | None]:
        value = parse_date(raw, config.birth_date) if raw is not None else None
        if not isinstance(value, DateValue):
            return None, None
        if value.month is None or value.day is None:
            return None, value.year
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}", value.year

    dates = _mapped(_first(frame, cols("birth_date")), date)
    return pd.DataFrame({
        "unique_id": [str(v).strip() if isinstance(v, str) else "" for v in frame[config.id_column].tolist()],
        "source_dataset": agency,
        "first_name": [n[0] for n in names],
        "surname": [n[1] for n in names],
        "dob": [d[0] for d in dates],
        "birth_year": pd.array([d[1] for d in dates], dtype="Int64"),
        "sex": _mapped(_first(frame, cols("sex")), _code(normalize_sex)),
        "nationality": _mapped(_first(frame, cols("nationality")), _code(normalize_nationality)),
        "place": _mapped(_first(frame, cols("place")), _code(normalize_text)),
    })[COLUMNS]


# -------------------------------------------------------------------------------------- Splink

def settings() -> SettingsCreator:
    """The model: comparisons and prediction blocking rules (see the module docstring)."""
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_description="date of birth, or birth year where day and month are unknown",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="Exact match on date of birth"),
            cll.LevenshteinLevel("dob", 1).configure(label_for_charts="Levenshtein distance <= 1"),
            cll.AbsoluteDateDifferenceLevel("dob", input_is_string=True, threshold=1, metric="month")
               .configure(label_for_charts="Abs date difference <= 1 month"),
            cll.ExactMatchLevel("birth_year").configure(label_for_charts="Same birth year"),
            cll.AbsoluteDifferenceLevel("birth_year", 1).configure(label_for_charts="Birth years 1 apart"),
            cll.AbsoluteDifferenceLevel("birth_year", 10).configure(label_for_charts="Birth years <= 10 apart"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_and_dedupe",
        unique_id_column_name="unique_id",
        source_dataset_column_name="source_dataset",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            dob,
            cl.ExactMatch("sex"),
            cl.ExactMatch("nationality").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("place", [0.9, 0.7]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "birth_year"),
            block_on("first_name", "birth_year"),
            block_on("dob"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def run_splink(records: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Cluster labels (one per row of ``records``, in order) and the seconds Splink took."""
    start = time.perf_counter()
    db_api = DuckDBAPI()
    tables = [db_api.register(part.reset_index(drop=True), dataset_display_name=str(agency))
              for agency, part in records.groupby("source_dataset", sort=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linker = Linker(tables, settings(), log_level=logging.ERROR)
        training = linker.training
        training.estimate_probability_two_random_records_match(
            [block_on("first_name", "surname", "dob"),
             "l.first_name = r.first_name and levenshtein(l.surname, r.surname) <= 2 and l.dob = r.dob"],
            recall=0.7)
        training.estimate_u_using_random_sampling(max_pairs=1e7, seed=SEED)
        training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
        training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
        predictions = linker.inference.predict(threshold_match_probability=0.5)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=MATCH_PROBABILITY).as_pandas_dataframe()
    seconds = time.perf_counter() - start
    cluster_of = dict(zip(zip(clusters["source_dataset"], clusters["unique_id"].astype(str)),
                          clusters["cluster_id"].astype(str)))
    labels = np.array([cluster_of[key] for key in zip(records["source_dataset"], records["unique_id"])], dtype=object)
    return labels, seconds
