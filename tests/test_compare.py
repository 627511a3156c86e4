"""linkage.compare: dates by category, levels per field, and the name-pair blocking key it relies on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathlib import Path

from linkage import io
from linkage.compare import (AGREEMENT, agreement_cut, chance_dice, compare, date_categories, name_bound_levels,
                             to_levels)
from linkage.encode import encode
from linkage.job_config import parse_link_job
from linkage.records import record_set

JOB = parse_link_job({"version": 1})
REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ("different", "same year only", "same day and month, another year", "day and month swapped", "exact")
#: The categories of a schema with year windows instead of the day-and-month slice.
WINDOW_CATEGORIES = ("different", "same year only", "same day and month, year 1-2 apart", "day and month swapped",
                     "exact")


def _records(export_config, secret, dates: list[str], names: list[str] | None = None):
    n = len(dates)
    frame = pd.DataFrame({
        "pid": [f"R{i}" for i in range(n)], "given": names or ["Anna"] * n, "family": ["Schmidt"] * n,
        "father": [""] * n, "dob": dates, "sex": ["w"] * n, "nat": ["DEU"] * n, "birthplace": [""] * n,
    })
    result = encode(frame, export_config, secret=secret)
    assert result.quarantine.empty
    in_order = dataclasses.replace(result.export, table=result.table_in_input_order())  # rows shuffled at encoding
    return record_set([in_order])


def _date_level(records, i: int, j: int) -> int:
    f = [d.name for d in records.fields].index("birth_date")
    return int(compare(records, np.array([i]), np.array([j]), JOB).levels[0, f])


# Every category, and what must never count as exact (the test export config names no placeholder
# day and month; 00.00.YYYY is an unknown day and month).
CASES = [  # (date a, date b, category with the day-and-month slice, category with year windows)
    ("14.07.1990", "14.07.1990", "exact", "exact"),
    ("07.04.1990", "04.07.1990", "day and month swapped", "day and month swapped"),
    ("14.07.1990", "14.07.1991", "same day and month, another year", "same day and month, year 1-2 apart"),
    ("14.07.1990", "14.07.1992", "same day and month, another year", "same day and month, year 1-2 apart"),
    ("14.07.1989", "14.07.1990", "same day and month, another year", "same day and month, year 1-2 apart"),
    ("14.07.1990", "14.07.1993", "same day and month, another year", "different"),
    ("14.07.1990", "03.02.1990", "same year only", "same year only"),
    ("00.00.1990", "14.07.1990", "same year only", "same year only"),
    ("00.00.1990", "00.00.1990", "same year only", "same year only"),  # unknown days and months: never exact
    ("00.00.1990", "00.00.1991", "different", "different"),
    ("14.07.1990", "15.08.1991", "different", "different"),
]
_FILLER = [f"{d:02d}.{m:02d}.{y}" for d, m, y in zip(range(1, 29), [1, 2, 3, 5, 6, 8, 9, 10, 11, 12] * 3,
                                                      range(1950, 1978))]


@pytest.mark.parametrize(("a", "b", "expected", "_"), CASES, ids=[f"{a}-{b}" for a, b, _, _ in CASES])
def test_dates_are_compared_by_category(export_config, secret, a, b, expected, _):
    records = _records(export_config, secret, [a, b] + _FILLER)
    assert date_categories(records.fields[[d.name for d in records.fields].index("birth_date")]) == CATEGORIES
    assert CATEGORIES[_date_level(records, 0, 1)] == expected
    assert _date_level(records, 0, 1) == _date_level(records, 1, 0)  # symmetric


@pytest.mark.parametrize(("a", "b", "_", "expected"), CASES, ids=[f"{a}-{b}" for a, b, _, _ in CASES])
def test_year_windows_are_compared_by_category(make_export_config, secret, tmp_path, a, b, _, expected):
    """Year windows (not shipped: they order year groups) keep their category for schemas using them."""
    text = (REPO / "tests" / "golden" / "schema.toml").read_text(encoding="utf-8")
    (tmp_path / "windows.toml").write_text(text, encoding="utf-8")
    config = io.load_export_config(make_export_config(schema=str(tmp_path / "windows.toml")))
    records = _records(config, secret, [a, b] + _FILLER)
    assert date_categories(records.fields[[d.name for d in records.fields].index("birth_date")]) == WINDOW_CATEGORIES
    assert WINDOW_CATEGORIES[_date_level(records, 0, 1)] == expected


def test_a_missing_date_is_no_evidence(export_config, secret):
    records = _records(export_config, secret, ["14.07.1990", ""])
    assert _date_level(records, 0, 1) == -1


def test_levels_of_every_field_and_the_names_of_date_levels(export_config, secret):
    records = _records(export_config, secret, ["14.07.1990", "14.07.1990", "01.02.1960"],
                       names=["Anna", "Anna", "Mohammed"])
    result = compare(records, np.array([0, 0]), np.array([1, 2]), JOB)
    assert result.levels.shape == (2, len(records.fields)) and result.levels.dtype == np.int8
    assert result.level_names[[d.name for d in records.fields].index("birth_date")] == CATEGORIES
    names = [d.name for d in records.fields]
    assert result.levels[0, names.index("name")] == result.num_levels[names.index("name")] - 1
    assert result.levels[1, names.index("name")] < result.levels[0, names.index("name")]
    assert np.isnan(result.similarities[0, names.index("father_name")])  # nobody has a father's name
    assert (result.levels[:, names.index("father_name")] == -1).all()


def test_agreement_cut_lies_between_chance_and_agreement():
    assert agreement_cut(0.0) == pytest.approx(AGREEMENT)
    assert 0.5 < agreement_cut(0.06) < 1.0


def test_chance_dice_of_unrelated_single_tokens_is_small(export_config, secret):
    records = _records(export_config, secret, [f"{d:02d}.{m:02d}.{y}" for d in range(1, 29) for m, y in
                                               [(3, 1970), (9, 1985)]])
    data = records.fields[[d.name for d in records.fields].index("birth_date")]
    assert chance_dice(data.slice("ymd"), data.present) < 0.2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 1, width=32)), min_size=1, max_size=30),
       st.lists(st.floats(0, 1), min_size=1, max_size=4, unique=True))
def test_to_levels_counts_cuts_at_or_below(values, cuts):
    cuts = sorted(cuts)
    sims = np.array([[np.nan if v is None else v] for v in values], np.float32)
    levels = to_levels(sims, [cuts])[:, 0]
    for v, level in zip(values, levels):
        assert level == (-1 if v is None else sum(np.float32(c) <= np.float32(v) for c in cuts))


def test_name_pair_key_joins_two_shared_parts_in_any_order_and_column(export_config, secret):
    config = export_config
    frame = pd.DataFrame({
        "pid": ["A", "B", "C", "D"], "given": ["Ali Hasan", "Omar", "Ali", "Ali"],
        "family": ["Omar", "Hasan Ali", "Karimi", "Hasan"], "father": [""] * 4,
        "dob": ["14.07.1990", "03.02.1961", "01.01.1950", "05.05.1955"], "sex": ["m"] * 4,
        "nat": ["SYR"] * 4, "birthplace": [""] * 4,
    })
    result = encode(frame, config, secret=secret)
    records = record_set([dataclasses.replace(result.export, table=result.table_in_input_order())])
    rows, codes = records.block_keys["name_pair"]
    keys = {r: set(codes[rows == r].tolist()) for r in range(4)}
    assert keys[0] & keys[1]  # {ali, hasan, omar} vs {omar, hasan, ali}: three shared pairs
    assert len(keys[0]) == 3 and keys[0] == keys[1]
    assert not keys[2] & keys[0]  # one part in common is not enough
    assert keys[3] & keys[0]  # {ali, hasan}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["ali", "hasan", "omar", "mohammed", "ahmad", "karimi", "ben", "abu",
                                          "x" * 13, "fatima", "zainab", "musa", "isa", "nur"]), max_size=14),
                min_size=1, max_size=12))
def test_name_pair_keys_equal_the_reference(records):
    """The encoder's vectorised part pairs equal tokens.part_pairs per record (any number of parts)."""
    from linkage._columns import Column
    from linkage.encode import _part_pairs
    from linkage.names import skeleton
    from linkage.tokens import part_pairs

    values = sorted({v for parts in records for v in parts})
    rows = np.array([r for r, parts in enumerate(records) for _ in parts], np.int64)
    codes = np.array([values.index(v) for parts in records for v in parts], np.int64)
    column = Column(len(records), rows, codes, values)
    owner, ids, vocab = _part_pairs(column, "skeleton")
    for r, parts in enumerate(records):
        assert sorted(vocab[i] for i in ids[owner == r]) == part_pairs([skeleton(p) for p in parts])


def test_same_year_only_through_the_name_skeletons_is_a_level_given_the_name(export_config, secret):
    records = _records(export_config, secret, ["14.07.1990", "01.01.1990"], names=["Anna", "Anna"])
    names = [d.name for d in records.fields]
    kinds = {kind for kind, _, _ in records.fields[names.index("birth_date")].slices}
    given = name_bound_levels(records)
    if kinds & {"year", "year_of_full_date"}:  # a plain year slice: the level needs no name
        assert names.index("birth_date") not in given
    else:
        assert given[names.index("birth_date")] == (names.index("name"), (CATEGORIES.index("same year only"),))
