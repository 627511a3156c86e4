"""linkage.bind: roles bound to anchors: configuration, encoding, comparison levels, u."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import copy
import hashlib
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pandas as pd
import pytest

from linkage import io
from linkage.bind import agreement_rate, anchor_tokens
from linkage.compare import BOUND_LEVELS, bound_u, compare
from linkage.config import BIND_ANCHORS, KEYED_ANCHORS, parse_schema, slice_kinds
from linkage.encode import encode
from linkage.errors import ConfigError
from linkage.job_config import parse_link_job
from linkage.records import record_set

REPO = Path(__file__).resolve().parents[1]
JOB = parse_link_job({"version": 1})


@pytest.fixture(scope="module")
def shipped_data() -> dict[str, Any]:
    with open(REPO / "tests" / "golden" / "schema_bound.toml", "rb") as fh:
        return tomllib.load(fh)


def _date(data: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in data["fields"] if f["name"] == "birth_date")


def _problems(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        parse_schema(data)
    return info.value.problems


# ------------------------------------------------------------------------------------- config


def test_bind_parses_into_sorted_roles_and_extra_slices(shipped_data):
    spec = parse_schema(shipped_data).field("birth_date")
    assert spec.bind == ("nationality", "sex") and spec.bind_name_field == "name"
    kinds = spec.slice_kinds
    assert kinds[: len(spec.tokens)] == tuple(k for k, _ in spec.tokens)
    assert kinds[len(spec.tokens):len(spec.tokens) + 3] == BIND_ANCHORS
    assert kinds[-6:] == tuple(f"{a}+{r}" for a in BIND_ANCHORS for r in ("nationality", "sex"))
    assert spec.slice_bits == spec.num_bits // len(kinds) == 128


def test_schemas_without_bind_keep_their_fingerprint(shipped_data):
    legacy = io.load_schema(REPO / "tests" / "golden" / "schema.toml")
    assert all("bind" not in f and "bind_name_field" not in f for f in legacy.to_dict()["fields"])
    assert "bind" in _date(parse_schema(shipped_data).to_dict())
    assert slice_kinds(["ymd", "year"]) == ("ymd", "year")


@pytest.mark.parametrize(("mutate", "path", "fragment"), [
    (lambda d: _date(d).update(bind=["sex", "sex"]), "fields[2].bind", "twice"),
    (lambda d: _date(d).update(bind=["colour"]), "fields[2].bind[0]", "must be one of sex, nationality"),
    (lambda d: _date(d).update(bind=["birth_date"]), "fields[2].bind[0]", "must be one of"),
    (lambda d: _date(d).update(bind=["attribute.Bad"]), "fields[2].bind[0]", "attribute names"),
    (lambda d: _date(d).pop("bind_name_field"), "fields[2].bind", "needs 'bind_name_field'"),
    (lambda d: _date(d).update(bind_name_field="place"), "fields[2].bind_name_field", "must name a 'name' field"),
    (lambda d: _date(d).update(bind_name_field="nobody"), "fields[2].bind_name_field", "must name a field"),
    (lambda d: _date(d).update(layout="joint"), "fields[2].bind", "layout 'split'"),
    (lambda d: _date(d).update(num_bits=1536), "fields[2].num_bits", "multiple of 208"),
    (lambda d: _date(d).update(bind="sex", num_bits=1280), None, None),  # one role: a list of one, 10 slices
], ids=["twice", "unknown-role", "date-role", "bad-attribute", "no-name-field", "not-a-name-field",
        "missing-name-field", "joint", "num-bits", "single"])
def test_bind_is_validated_with_paths(shipped_data, mutate, path, fragment):
    data = copy.deepcopy(shipped_data)
    mutate(data)
    if path is None:
        assert parse_schema(data).field("birth_date").bind == ("sex",)
        return
    problems = _problems(data)
    assert any(p.startswith(f"{path}:") and fragment in p for p in problems), problems


def test_keyed_anchor_parses_after_the_bound_anchors(shipped_data):
    data = copy.deepcopy(shipped_data)
    _date(data).update(tokens={"ymd": 8, "year_day_month_set": 8, "month_day": 8}, anchors=["year_name_keyed"])
    spec = parse_schema(data).field("birth_date")
    assert spec.anchors == KEYED_ANCHORS
    assert spec.slice_kinds[3:7] == (*BIND_ANCHORS, "year_name_keyed") and len(spec.slice_kinds) == 13
    assert _date(parse_schema(data).to_dict())["anchors"] == ["year_name_keyed"]
    assert "anchors" not in _date(parse_schema(shipped_data).to_dict())  # unset: fingerprints kept


@pytest.mark.parametrize(("mutate", "path", "fragment"), [
    (lambda d: _date(d).update(anchors=["year_name_public"]), "fields[2].anchors[0]", "must be one of year_name_keyed"),
    (lambda d: _date(d).update(anchors=["year_name_keyed"] * 2), "fields[2].anchors", "twice"),
    (lambda d: (_date(d).pop("bind"), _date(d).pop("bind_name_field"), _date(d).update(anchors="year_name_keyed")),
     "fields[2].anchors", "needs 'bind'"),
    (lambda d: _date(d).update(anchors=["year_name_keyed"]), "fields[2].num_bits", "multiple of 224"),
], ids=["unknown", "twice", "no-bind", "num-bits"])
def test_anchors_are_validated_with_paths(shipped_data, mutate, path, fragment):
    data = copy.deepcopy(shipped_data)
    mutate(data)
    problems = _problems(data)
    assert any(p.startswith(f"{path}:") and fragment in p for p in problems), problems


def test_bind_name_field_needs_bind(shipped_data):
    data = copy.deepcopy(shipped_data)
    _date(data).pop("bind")
    assert any(p.startswith("fields[2].bind_name_field:") and "needs 'bind'" in p for p in _problems(data))


def test_bind_applies_to_dates_only(shipped_data):
    data = copy.deepcopy(shipped_data)
    place = next(f for f in data["fields"] if f["name"] == "place")
    place["bind"] = ["sex"]
    assert any(p.startswith("fields[3].bind:") and "'date' fields" in p for p in _problems(data))


# ----------------------------------------------------------------------------------- encoding

def _frame(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """Rows of (given, family, birth date, sex, nationality)."""
    return pd.DataFrame({
        "pid": [f"R{i}" for i in range(len(rows))], "given": [r[0] for r in rows], "family": [r[1] for r in rows],
        "father": "", "dob": [r[2] for r in rows], "sex": [r[3] for r in rows], "nat": [r[4] for r in rows],
        "birthplace": "",
    }, dtype=object)


def _slices(result) -> dict[str, list[bytes]]:
    spec = result.export.metadata["schema"]["fields"][2]
    kinds = slice_kinds([k for k, _ in spec["tokens"]], spec.get("bind") or ())
    rows = result.table_in_input_order().column("f_birth_date").to_pylist()
    width = len(next(r for r in rows if r)) // len(kinds)
    return {k: [r[i * width:(i + 1) * width] if r else None for r in rows] for i, k in enumerate(kinds)}


def test_bound_slices_follow_anchor_and_value(export_config, secret):
    result = encode(_frame([("Anna", "Schmidt", "14.07.1990", "w", "DEU"),
                            ("Anna", "Schmidt", "14.07.1990", "w", "DEU"),     # the same person again
                            ("Anna", "Schmidt", "14.07.1990", "m", "DEU"),     # sex differs
                            ("Anna", "Schmidt", "14.07.1990", "", ""),         # no sex, no nationality
                            ("Anna", "Schmidt", "00.00.1990", "w", "DEU"),     # year only
                            ("Omar", "Schmidt", "14.07.1990", "w", "DEU")]),   # other names
                    export_config, secret=secret)
    s = _slices(result)
    assert s["year_name_set+sex"][0] == s["year_name_set+sex"][1] != s["year_name_set+sex"][2]
    assert s["year_name_set+nationality"][0] == s["year_name_set+nationality"][2]
    assert not any(s["year_name_set+sex"][3]) and not any(s["ymd_name_a+nationality"][3])
    assert any(s["year_name_set"][3])  # the anchor is there without the roles
    assert s["year_name_set"][4] == s["year_name_set"][0]  # a year-only date shares the year anchor ...
    assert not any(s["ymd_name_a"][4]) and not any(s["ymd_name_b+sex"][4])  # ... but has no exact-date anchor
    assert s["year_name_set"][5] != s["year_name_set"][0]
    assert result.export.metadata["stats"]["bound_agreement"] == {
        "birth_date.sex": agreement_rate({"f": 4, "m": 1}), "birth_date.nationality": 1.0}
    assert agreement_rate({"f": 4, "m": 1}) == round(0.8 ** 2 + 0.2 ** 2, 4) and agreement_rate({}) is None


def test_bound_encoding_is_deterministic_and_leaks_no_value(export_config, secret):
    frame = _frame([("Anna", "Schmidt", "14.07.1990", "w", "Syrien"), ("Omar", "Ali", "01.02.1980", "m", "Irak")])
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)  # references are keyed by the export time too
    one, two = (encode(frame, export_config, secret=secret, created=created),
                encode(frame, export_config, secret=secret, created=created))
    assert one.export.table.equals(two.export.table)
    text = str(one.export.metadata).casefold()
    assert not any(v in text for v in ("syrien", "syr", "irak", "irq", "anna", "schmidt"))


def test_unreadable_bound_sex_quarantines_like_a_sex_field(export_config, secret):
    result = encode(_frame([("Anna", "Schmidt", "14.07.1990", "w", "DEU"), ("Omar", "Ali", "01.02.1980", "?!", "SYR")]),
                    export_config, secret=secret)
    assert result.quarantine[["row_number", "field"]].values.tolist() == [[2, "birth_date.sex"]]
    assert "?!" not in result.quarantine.to_string()


def test_min_hash_anchor_matches_records_holding_a_subset_of_the_parts():
    rank = {a: (lambda p, a=a: hashlib.blake2b(p.encode(), digest_size=8, person=a.encode()).digest())
            for a in BIND_ANCHORS[1:]}
    from linkage._columns import Column

    names = Column(2, np.array([0, 0, 1]), np.array([0, 1, 0]), ["mohammad", "hassan"])
    dates = np.array([[1990, 7, 14, 0], [1990, 7, 14, 0]])
    tokens = anchor_tokens(dates, np.array([0, 1]), names)
    assert tokens["year_name_set"][0] != tokens["year_name_set"][1]  # {mhmd, hsn} vs {mhmd}
    for anchor in BIND_ANCHORS[1:]:  # the same part is picked when it is first in the order
        first = min(["mhmd", "hsn"], key=rank[anchor])
        assert (tokens[anchor][0] == tokens[anchor][1]) == (first == "mhmd")


def test_keyed_anchor_picks_one_skeleton_by_a_secret_order():
    from linkage._columns import Column

    parts = ["mohammad", "hassan", "ali", "omar", "karim", "yusuf"]
    names = Column(2, np.array([0] * 6 + [1, 1]), np.arange(8) % 6, parts)  # row 0: all six; row 1: two
    dates = np.array([[1990, 7, 14, 0], [1990, 0, 0, 0]])
    picks = {key: anchor_tokens(dates, np.array([0, 1]), names, KEYED_ANCHORS, key)["year_name_keyed"]
             for key in (None, *(bytes([k]) * 32 for k in range(8)))}
    for tokens in picks.values():  # one token per record: the year and one of its skeletons
        assert all(t.startswith("ynk:1990|") and " " not in t for t in tokens)
    assert len({t[0] for t in picks.values()}) > 1  # the key decides the pick (the attacker lacks it)
    assert picks[None] == anchor_tokens(dates, np.array([0, 1]), names, KEYED_ANCHORS)["year_name_keyed"]
    assert "year_name_keyed" not in anchor_tokens(dates, np.array([0, 1]), names)  # only where asked


# -------------------------------------------------------------------------------- comparison

def _levels(records, pairs: list[tuple[int, int]], role: str) -> list[int]:
    f = [d.name for d in records.fields].index(f"birth_date.{role}")
    a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    return compare(records, a, b, JOB).levels[:, f].tolist()


def test_bound_roles_agree_disagree_or_give_no_evidence(export_config, secret):
    rows = [("Anna", "Schmidt", "14.07.1990", "w", "DEU"),    # 0
            ("Anna", "Schmidt", "00.00.1990", "w", "DEU"),    # 1 year only, same names: year anchor
            ("Anna", "Schmidt", "14.07.1990", "m", "SYR"),    # 2 sex and nationality differ
            ("Anna", "Schmidt", "14.07.1991", "w", "DEU"),    # 3 another year: no anchor
            ("Lena", "Meyer", "14.07.1990", "w", "DEU"),      # 4 other names, same date: no anchor
            ("Anna", "Schmidt", "14.07.1990", "", "")]        # 5 no values
    rows += [(f"P{i}", "X", f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1950 + i}", "m", "SYR") for i in range(30)]
    result = encode(_frame(rows), export_config, secret=secret)
    records = record_set([dataclasses.replace(result.export, table=result.table_in_input_order())])
    pairs = [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 0)]
    assert _levels(records, pairs, "sex") == [1, 0, -1, -1, -1, 1]
    assert _levels(records, pairs, "nationality") == [1, 0, -1, -1, -1, 1]
    result = compare(records, np.array([0]), np.array([2]), JOB)
    assert result.level_names[[d.name for d in records.fields].index("birth_date.sex")] == BOUND_LEVELS
    assert np.isnan(compare(records, np.array([0]), np.array([3]), JOB).similarities[0, -2])


def test_u_of_bound_roles_comes_from_the_exports_stated_rates(export_config, secret):
    a = encode(_frame([("Anna", "Schmidt", "14.07.1990", "w", "DEU"), ("Omar", "Ali", "01.02.1980", "m", "SYR")]),
               export_config, secret=secret).export
    records = record_set([a])
    u = bound_u(records)
    names = [d.name for d in records.fields]
    assert set(u) == {names.index("birth_date.sex"), names.index("birth_date.nationality")}
    assert u[names.index("birth_date.sex")].tolist() == pytest.approx([0.5, 0.5])
    assert records.bound_agreement == {"birth_date.nationality": 0.5, "birth_date.sex": 0.5}


@given(st.lists(st.tuples(st.lists(st.sampled_from(["Anna", "Maria", "Omar", "Ali", "Ahmad", "Schmidt", "", "Al"]),
                                   max_size=4),
                          st.integers(1900, 2030), st.integers(0, 12), st.integers(0, 31), st.booleans()),
                min_size=0, max_size=30),
       st.booleans())
@settings(max_examples=60, deadline=None)
def test_vectorised_anchor_tokens_equal_the_per_item_definition(rows, keyed):
    """bind.anchor_tokens (vectorised) == bind.anchor_tokens_reference, item by item."""
    from linkage import bind
    from linkage._columns import Column

    values = sorted({name for names, *_ in rows for name in names})
    index = {v: i for i, v in enumerate(values)}
    name_rows = [r for r, (names, *_) in enumerate(rows) for _ in names]
    name_codes = [index[n] for names, *_ in rows for n in names]
    names = Column(len(rows), np.asarray(name_rows, np.int64), np.asarray(name_codes, np.int64), values)
    dates = np.asarray([(y, m, d, int(a)) for _, y, m, d, a in rows], np.int64).reshape(-1, 4)
    items = np.arange(len(rows), dtype=np.int64)
    anchors = ("year_name_keyed",) if keyed else ()
    fast = bind.anchor_tokens(dates, items, names, anchors, b"k" * 32)
    assert fast == bind.anchor_tokens_reference(dates, items, names, anchors, b"k" * 32)
