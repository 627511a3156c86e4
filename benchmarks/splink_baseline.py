"""Plaintext Splink 5 (DuckDB): the anchor of benchmarks/quality.py, on exactly the records we encode.

Nothing here sees an identifier: FEBRL's social security number column is never read, and the synthetic agencies'
ids serve only as ``unique_id`` (Splink's row key, not compared). Every threshold is fixed up
front (clustering at match probability :data:`MATCH_PROBABILITY`); none is chosen with the truth.

Records
-------
* Synthetic data, ``plaintext_records(frame, config, agency)``: one agency's input table as the
  standardised plaintext columns a data engineer would give Splink, cleaned with this library's
  own normalisers (so that the comparison is about the matcher, not the cleaning):
  ``unique_id`` (the agency's local id) and ``source_dataset`` (the agency); ``first_name``: the
  first canonical part (:func:`linkage.names.name_parts`) of the given names; ``surname``: the
  canonical parts of the family name, joined by spaces (a full-name-only column is split at its
  comma, ``"Family, Given"``, else first part = first name, the rest = surname; without any
  Latin name column the original-script name is read as a full name; the father's name is left
  out); ``dob``: ISO ``yyyy-mm-dd`` when day and month are known, else None; ``birth_year``
  whenever the year is known (placeholder dates such as 1 January and ``00.00.yyyy`` keep just
  the year); ``sex``, ``nationality`` (ISO alpha-3) and ``place`` (normalised text).
* FEBRL, ``febrl_records(frame, agency)``: the FEBRL columns as they are (already lower case),
  blanks as None, without the social security number column.

Models (``synth_model()``, ``febrl_model(link_type)``), as Splink's tutorials build them
------------------------------------------------------------------------------------------
* Synthetic: link_type ``link_and_dedupe``; ``NameComparison`` (exact with term-frequency
  adjustment, Jaro-Winkler 0.92 / 0.88 / 0.7) on first_name and on surname; a date comparison
  in the shape of ``DateOfBirthComparison`` (exact, Levenshtein <= 1, within a month) extended
  by birth-year levels (same year, 1 apart, <= 10 apart) so that year-only dates count;
  ``ExactMatch`` on sex and nationality (term frequencies on nationality); Jaro-Winkler 0.9 / 0.7
  on place. Prediction blocking: first_name + surname, surname + birth_year, first_name +
  birth_year, dob. Prior from first_name + surname + dob and (first_name, surname within
  Levenshtein 2, dob); EM blocked on first_name + surname, then on dob.
* FEBRL (the febrl3 / febrl4 examples of Splink's documentation, without the social security number and with
  every address field): ``dedupe_only`` for one export, ``link_and_dedupe`` for two (the task our
  linkage solves; it is not told that FEBRL4 is one-to-one). ``NameComparison`` with term
  frequencies on given_name and surname; ``DateOfBirthComparison`` (``%Y%m%d``, impossible dates
  as null: exact, one edit, within a month / a year / 10 years); ``ExactMatch`` with term
  frequencies on street_number; Jaro-Winkler 0.9 / 0.7 on address_1, address_2 and suburb (term
  frequencies on suburb); Damerau-Levenshtein 1 / 2 with term frequencies on postcode;
  ``ExactMatch`` on state. Prediction blocking (a union that keeps nearly all true pairs; the
  benchmark prints its true pair completeness): given_name + surname, the two swapped,
  date_of_birth, given_name, surname, postcode, street_number + address_1, state + address_1.
  Prior from given_name + surname + date_of_birth and the swapped names + date_of_birth; EM
  blocked on date_of_birth, then on postcode.

Both: the prior's deterministic rules at an assumed recall of :data:`PRIOR_RECALL`, u by random
sampling (1e7 pairs, seeded), m by EM; every candidate pair predicted; connected components at
match probability :data:`MATCH_PROBABILITY`. ``run_splink(records, model)`` returns a
:class:`SplinkRun`: cluster labels in input order, the seconds Splink took (registration,
training, prediction, clustering), the candidate pairs with their match probabilities and the
fitted prior. Importing this module needs ``splink`` (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from linkage.config import ExportConfig
from linkage.countries import normalize_nationality
from linkage.names import name_parts
from linkage.normalize import DateValue, normalize_sex, normalize_text, parse_date

__all__ = ["COLUMNS", "FEBRL_COLUMNS", "MATCH_PROBABILITY", "SplinkModel", "SplinkRun", "febrl_model", "febrl_records",
           "plaintext_records", "run_splink", "synth_model"]

COLUMNS = ["unique_id", "source_dataset", "first_name", "surname", "dob", "birth_year", "sex", "nationality", "place"]
#: FEBRL columns Splink compares: names, the birth date and the address (never soc_sec_id).
FEBRL_COLUMNS = ["given_name", "surname", "date_of_birth", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state"]
MATCH_PROBABILITY = 0.95
PRIOR_RECALL = 0.7
SEED = 1


# ------------------------------------------------------------------------------------ cleaning

def _first(frame: pd.DataFrame, cols: tuple[str, ...]) -> list[str | None]:
    """Per row, the first non-blank value of ``cols`` (None where all are blank)."""
    out = pd.Series(None, index=frame.index, dtype=object)
    for col in cols:
        values = frame[col].fillna("").astype(str)
        out = out.where(out.notna(), values.where(values.str.strip() != "", None))
    return out.where(out.notna(), None).tolist()


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


def febrl_records(frame: pd.DataFrame, agency: str) -> pd.DataFrame:
    """FEBRL rows (``rec_id`` and :data:`FEBRL_COLUMNS`, strings) for Splink: blanks as None."""
    out = frame[FEBRL_COLUMNS].fillna("").astype(str).apply(lambda col: col.str.strip())
    out = out.where(out != "", None)
    out.insert(0, "source_dataset", agency)
    out.insert(0, "unique_id", frame["rec_id"].astype(str).to_numpy())
    return out.reset_index(drop=True)


# -------------------------------------------------------------------------------------- Splink

@dataclass(frozen=True)
class SplinkModel:
    """What Splink is told: settings, the prior's deterministic rules and the EM blocking rules."""

    settings: SettingsCreator
    prior_rules: list
    em_rules: list


@dataclass(frozen=True)
class SplinkRun:
    """One Splink run: cluster label per input row, seconds, candidate pairs (row indices ``a < b``
    not guaranteed; each pair once) with their match probabilities, and the fitted prior."""

    labels: np.ndarray
    seconds: float
    pair_a: np.ndarray
    pair_b: np.ndarray
    probability: np.ndarray
    prior: float


def synth_model() -> SplinkModel:
    """The model for the five-agency synthetic data (see the module docstring)."""
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
    settings = SettingsCreator(
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
    return SplinkModel(settings, [
        block_on("first_name", "surname", "dob"),
        "l.first_name = r.first_name and levenshtein(l.surname, r.surname) <= 2 and l.dob = r.dob",
    ], [block_on("first_name", "surname"), block_on("dob")])


def febrl_model(link_type: str) -> SplinkModel:
    """The model for FEBRL (``dedupe_only`` or ``link_and_dedupe``; see the module docstring)."""
    swapped = "l.given_name = r.surname and l.surname = r.given_name"
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        source_dataset_column_name="source_dataset",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                     invalid_dates_as_null=True),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]).configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            swapped,
            block_on("date_of_birth"),
            block_on("given_name"),
            block_on("surname"),
            block_on("postcode"),
            block_on("street_number", "address_1"),
            block_on("state", "address_1"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    return SplinkModel(settings, [block_on("given_name", "surname", "date_of_birth"),
                                  f"{swapped} and l.date_of_birth = r.date_of_birth"],
                       [block_on("date_of_birth"), block_on("postcode")])


def run_splink(records: pd.DataFrame, model: SplinkModel) -> SplinkRun:
    """Train, predict every candidate pair and cluster ``records`` (``unique_id``, ``source_dataset``
    and the model's columns); see :class:`SplinkRun`."""
    start = time.perf_counter()
    db_api = DuckDBAPI()
    tables = [db_api.register(part.reset_index(drop=True), dataset_display_name=str(agency))
              for agency, part in records.groupby("source_dataset", sort=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linker = Linker(tables if len(tables) > 1 else tables[0], model.settings, log_level=logging.ERROR)
        training = linker.training
        training.estimate_probability_two_random_records_match(model.prior_rules, recall=PRIOR_RECALL)
        training.estimate_u_using_random_sampling(max_pairs=1e7, seed=SEED)
        for rule in model.em_rules:
            training.estimate_parameters_using_expectation_maximisation(rule)
        predictions = linker.inference.predict()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=MATCH_PROBABILITY).as_pandas_dataframe()
    seconds = time.perf_counter() - start
    keys = pd.Index(records["source_dataset"].astype(str) + "\x1f" + records["unique_id"].astype(str))
    cluster_of = pd.Series(clusters["cluster_id"].astype(str).to_numpy(), index=pd.Index(
        clusters["source_dataset"].astype(str) + "\x1f" + clusters["unique_id"].astype(str)))
    labels = cluster_of.reindex(keys).to_numpy(dtype=object)
    pairs = predictions.as_pandas_dataframe()
    sides = []
    for side in ("l", "r"):
        source = (pairs[f"source_dataset_{side}"].astype(str) if f"source_dataset_{side}" in pairs
                  else str(records["source_dataset"].iloc[0]))
        sides.append(keys.get_indexer(source + "\x1f" + pairs[f"unique_id_{side}"].astype(str)))
    if min(sides[0].min(initial=0), sides[1].min(initial=0)) < 0 or pd.isna(labels).any():
        raise RuntimeError("Splink returned records that were not in its input")
    prior = float(linker.misc.save_model_to_json()["probability_two_random_records_match"])
    return SplinkRun(labels, seconds, np.asarray(sides[0], np.int64), np.asarray(sides[1], np.int64),
                     pairs["match_probability"].to_numpy(np.float64), prior)
