"""Birth dates: ambiguous day/month reported not guessed; tokens that keep partial similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkage import encode, io
from linkage.bloom import PositionHasher, dice
from linkage.config import DateSpec
from linkage.normalize import DateValue, Invalid, parse_date
from linkage.tokens import value_tokens

BOTH_ORDERS = DateSpec(formats=("%d/%m/%Y", "%m/%d/%Y"))


@pytest.mark.parametrize(("raw", "expected"), [
    ("03/07/1990", DateValue(1990, 7, 3, ambiguous=True)),   # either order is a valid date: not guessed
    ("25/07/1990", DateValue(1990, 7, 25)),                   # only day-first is valid
    ("07/25/1990", DateValue(1990, 7, 25)),                   # only month-first is valid
    ("05/05/1990", DateValue(1990, 5, 5)),                    # both orders read the same date
    ("01/01/1990", DateValue(1990)),                          # placeholder either way
    ("31/31/1990", Invalid("invalid_date")),
    ("3/7/90", Invalid("unparseable")),
])
def test_day_month_ambiguity_is_reported_not_guessed(raw, expected):
    assert parse_date(raw, BOTH_ORDERS) == expected


def test_a_single_format_is_never_ambiguous():
    assert parse_date("03/07/1990", DateSpec(formats=("%d/%m/%Y",))) == DateValue(1990, 7, 3)


def test_ambiguous_dates_keep_only_year_and_the_unordered_pair():
    tokens = {kind: value_tokens("date", kind, DateValue(1990, 7, 3, ambiguous=True))
              for kind in ("ymd", "month_day", "year_month", "day_month_set", "year")}
    assert tokens == {"ymd": [], "month_day": [], "year_month": [], "day_month_set": ["dms:03/07"], "year": ["y:1990"]}


@pytest.mark.parametrize(("a", "b", "shared"), [(1990, 1990, 2), (1990, 1991, 1), (1991, 1992, 1), (1990, 1992, 0)])
def test_year_windows_share_one_token_for_adjacent_years(a, b, shared):
    ta = set(value_tokens("date", "year_window", DateValue(a)))
    tb = set(value_tokens("date", "year_window", DateValue(b)))
    assert len(ta & tb) == shared


def _date_filter(value: DateValue) -> np.ndarray:
    hasher = PositionHasher(bytes(range(32)), 256)
    bits = np.zeros((1, 256), bool)
    for kind in ("ymd", "year", "month_day", "year_month", "day_month_set", "year_window"):
        for token in value_tokens("date", kind, value):
            bits[0, hasher.positions(token, 20)] = True
    return np.packbits(bits, axis=1)


def test_exact_agreement_scores_highest_and_slips_keep_partial_similarity():
    base = _date_filter(DateValue(1990, 7, 14))

    def sim(other: DateValue) -> float:
        return float(dice(base, _date_filter(other))[0])

    exact = sim(DateValue(1990, 7, 14))
    year_off_by_one = sim(DateValue(1991, 7, 14))
    different = sim(DateValue(1975, 3, 2))
    swapped = float(dice(_date_filter(DateValue(1990, 7, 3)), _date_filter(DateValue(1990, 3, 7)))[0])
    # a half-full filter agrees with an unrelated one on about half its bits: compare to that floor
    assert exact == 1.0
    assert different + 0.1 < year_off_by_one < exact
    assert different + 0.1 < swapped < exact


def test_placeholder_dates_give_no_day_month_evidence():
    one, other = DateValue(1990), DateValue(1990)
    for kind in ("ymd", "month_day", "day_month_set", "year_month"):
        assert value_tokens("date", kind, one) == [] == value_tokens("date", kind, other)


def test_encode_reports_ambiguous_dates_as_warnings(make_export_config, secret):
    config = io.load_export_config(make_export_config(birth_date={"formats": ["%d/%m/%Y", "%m/%d/%Y"]}))
    records = pd.DataFrame({column: [""] * 3 for _, columns in config.columns for column in columns})
    records[config.id_column] = ["a", "b", "c"]
    records[config.columns_for("given_name")[0]] = ["Ali", "Omar", "Aya"]
    records[config.columns_for("birth_date")[0]] = ["03/07/1990", "25/07/1991", "05/05/1990"]
    result = encode(records, config, secret=secret)
    assert result.warnings.to_dict("list") == {"row_number": [1], "field": ["birth_date"],
                                               "reason": ["ambiguous_day_month"]}
    assert result.export.metadata["stats"]["warnings"] == {"birth_date.ambiguous_day_month": 1}
    assert result.export.record_count == 3
