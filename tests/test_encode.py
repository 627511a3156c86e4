"""linkage.encode: golden vectors, determinism, quarantine, similarity, hardening."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import random
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage import DataError, encode
from linkage.bloom import dice, popcount
from linkage.config import ExportConfig, Schema, parse_export_config, parse_schema
from linkage.encoded import FORMAT_VERSION, content_digest, verify_export

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

#: Every reason code a row may be quarantined with (older and newer spellings of "impossible date").
KNOWN_REASONS = {"missing", "duplicate", "unparseable", "out_of_range", "invalid_date", "invalid_calendar_date",
                 "unrecognised"}

ALL_COLUMNS = {"id": "id", "given_name": "given", "family_name": "family", "father_name": "father",
               "birth_date": "dob", "sex": "sex", "nationality": "nat", "place": "place"}


@pytest.fixture(scope="module")
def schema_data() -> dict[str, Any]:
    """A frozen copy of the example schema (configs/ may be tuned; these tests must not care)."""
    with open(GOLDEN / "schema.toml", "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def schema(schema_data) -> Schema:
    return parse_schema(schema_data)


def make_config(schema: Schema, columns: dict[str, Any] | None = None, **extra: Any) -> ExportConfig:
    data = {"version": 1, "agency": extra.pop("agency", "test-agency"), "schema": "schema.toml",
            "columns": columns or ALL_COLUMNS, **extra}
    return parse_export_config(data, schema)


@pytest.fixture(scope="module")
def config(schema) -> ExportConfig:
    return make_config(schema)


def frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    """A records table with every mapped column, missing cells as ""."""
    return pd.DataFrame([{col: row.get(col, "") for col in ALL_COLUMNS.values()} for row in rows], dtype=object)


def hardened(schema_data: dict[str, Any], **hardening: Any) -> Schema:
    data = copy.deepcopy(schema_data)
    data["hardening"] = hardening
    return parse_schema(data)


def part_filters(result, row: int, field: str = "f_name") -> list[bytes]:
    return result.table_in_input_order().column(field).to_pylist()[row]


PEOPLE = frame([
    {"id": "1", "given": "Anna Maria", "family": "Schmidt", "father": "Peter", "dob": "14.07.1990", "sex": "w",
     "nat": "DEU", "place": "Köln"},
    {"id": "2", "given": "Mohammad", "family": "AL-HASSAN", "dob": "01.01.1985", "sex": "m", "nat": "SYR"},
    {"id": "3", "given": "Schmidt", "family": "Maria Anna", "dob": "14.07.1990", "sex": "f", "nat": "deu",
     "place": "Koeln"},
    {"id": "4", "given": "Jürgen", "family": "Müller", "dob": "", "sex": "", "nat": ""},
    {"id": "5", "given": "Juergen", "family": "MUELLER", "dob": "00.00.1975", "sex": "M"},
])


# ----------------------------------------------------------------------------------- golden


def _load_make_golden():
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def golden_now() -> dict[str, Any]:
    return _load_make_golden().golden_vectors()


@pytest.fixture(scope="module")
def golden_committed() -> dict[str, Any]:
    return json.loads((GOLDEN / f"encode_v{FORMAT_VERSION}.json").read_text(encoding="utf-8"))


def test_golden_schema_is_a_frozen_copy_of_the_example(golden_committed):
    from linkage import io

    assert golden_committed["format_version"] == FORMAT_VERSION == 2
    assert set(golden_committed["cases"]) == {"plain", "hardened", "names", "bound"}
    plain = golden_committed["cases"]["plain"]
    assert plain["schema_fingerprint"] == io.load_schema(GOLDEN / "schema.toml").fingerprint()


@pytest.mark.parametrize("case", ["plain", "hardened", "names", "bound"])
def test_golden_vectors(golden_now, golden_committed, case):
    """Fixed input + secret + schema give byte-identical exports on any machine and version."""
    now, committed = golden_now["cases"][case], golden_committed["cases"][case]
    for key in ("key_check_value", "schema_fingerprint", "record_count", "column_order", "column_types",
                "reference_map", "quarantine"):
        assert now[key] == committed[key], f"{case}: {key} changed"
    assert set(now["columns"]) == set(committed["columns"])
    for column, values in committed["columns"].items():
        assert now["columns"][column] == values, f"{case}: column {column} changed"
    assert now["content_digest"] == committed["content_digest"]


def _input_ordered(case: dict[str, Any]) -> dict[str, list[Any]]:
    """A golden case's columns with rows in input order (the export's rows are in keyed order)."""
    position = {ref: i for i, ref in enumerate(case["columns"]["record_ref"])}
    order = [position[ref] for _, ref in case["reference_map"]]
    return {name: [values[i] for i in order] for name, values in case["columns"].items()}


def test_golden_names_case_covers_every_name_and_date_token_kind(golden_committed):
    from linkage import io
    from linkage.config import TOKEN_KINDS

    schema = io.load_schema(GOLDEN / "schema_names.toml")
    fields = {f.name: f for f in schema.fields}
    assert {kind for kind, _ in fields["name"].tokens} == set(TOKEN_KINDS["name"])
    assert {kind for kind, _ in fields["birth_date"].tokens} == set(TOKEN_KINDS["date"])
    derivations = {c.split(".")[1] for key in schema.blocking for c in key.components if c.split(".")[0] == "name"}
    assert derivations | {"part", "prefix3"} >= {"skeleton", "phonetic"}
    columns = _input_ordered(golden_committed["cases"]["names"])
    names = columns["f_name"]
    # Mohammed Alhasan / محمد الحسن and Muhamad Hasan share the canonical part "hasan"
    assert set(names[0]) & set(names[1])
    # Олександр Шевченко transliterates to the Latin parts: two parts, not four
    assert len(names[4]) == 2


def test_golden_vectors_cover_what_they_claim(golden_committed):
    plain = golden_committed["cases"]["plain"]
    columns = _input_ordered(plain)
    assert plain["columns"]["record_ref"] == sorted(plain["columns"]["record_ref"])  # rows in keyed order
    assert plain["record_count"] == 6 and len(columns["record_ref"]) == 6
    assert [row[:2] for row in plain["quarantine"]] == [[6, "name"], [8, "id"]]
    names = columns["f_name"]
    assert len(names[3]) == 4  # Fatemeh Rezaei and her name in Arabic script
    assert columns["f_birth_date"][3] is None  # missing
    assert columns["f_father_name"][2] is None
    # P001 and P007 share a birth date; P002 and P007 a given name, father name and birthplace
    assert columns["f_birth_date"][0] == columns["f_birth_date"][5]
    assert set(names[1]) & set(names[5])
    assert columns["f_father_name"][1] == columns["f_father_name"][5]
    assert columns["f_place"][1] == columns["f_place"][5]
    hard = _input_ordered(golden_committed["cases"]["hardened"])
    assert hard["f_birth_date"][0] != hard["f_birth_date"][5]  # blip differs per record
    assert hard["f_birth_date"][0] != columns["f_birth_date"][0]


# --------------------------------------------------------------------------------- determinism


def assert_same_result(a, b) -> None:
    assert a.export.table.equals(b.export.table)
    assert a.export.metadata == b.export.metadata
    assert content_digest(a.export.table) == content_digest(b.export.table)
    assert a.reference_map.equals(b.reference_map)
    assert a.quarantine.equals(b.quarantine)


def test_encoding_is_deterministic(config, secret):
    first = encode(PEOPLE, config, secret=secret, created=CREATED)
    second = encode(PEOPLE.copy(), config, secret=secret, created=CREATED)
    assert_same_result(first, second)
    verify_export(first.export)


HARDENINGS = {
    "balance": {"balance": True},
    "fold": {"xor_fold": True},
    "permute": {"permute": True},
    "blip": {"blip_probability": 0.1},
    "salt": {"salt_field": "birth_date"},
    "diffusion": {"diffusion": 3},
    "diffusion_5": {"diffusion": 5},
    "all": {"balance": True, "diffusion": 3, "xor_fold": True, "permute": True, "blip_probability": 0.05,
            "salt_field": "sex"},
}


@pytest.mark.parametrize("name", list(HARDENINGS))
def test_hardened_encoding_is_deterministic_and_differs(schema_data, config, secret, name):
    schema = hardened(schema_data, **HARDENINGS[name])
    hard_config = make_config(schema)
    first = encode(PEOPLE, hard_config, secret=secret, created=CREATED)
    assert_same_result(first, encode(PEOPLE, hard_config, secret=secret, created=CREATED))
    verify_export(first.export)
    plain = encode(PEOPLE, make_config(hardened(schema_data)), secret=secret, created=CREATED)
    assert first.reference_map.equals(plain.reference_map)
    for field in ("f_name", "f_father_name", "f_birth_date", "f_place", "clk"):
        hard_values = [v for v in first.table_in_input_order().column(field).to_pylist() if v is not None]
        plain_values = [v for v in plain.table_in_input_order().column(field).to_pylist() if v is not None]
        if name == "salt" and field == "f_birth_date":
            assert hard_values == plain_values  # the salt field itself is not salted
        else:
            assert hard_values != plain_values, field


def test_balanced_filters_are_half_full_and_twice_as_wide(schema_data, secret):
    schema = hardened(schema_data, balance=True, permute=True)
    result = encode(PEOPLE, make_config(schema), secret=secret, created=CREATED)
    table = result.table_in_input_order()
    assert table.schema.field("f_birth_date").type.byte_width == 2 * 768 // 8  # six 128-bit slices, each balanced
    dates = result.export.filters("birth_date")
    present = np.asarray(table.column("f_birth_date").is_valid())
    assert (popcount(dates[present]) == 768).all()
    folded = encode(PEOPLE, make_config(hardened(schema_data, xor_fold=True)), secret=secret, created=CREATED)
    assert folded.export.table.schema.field("f_birth_date").type.byte_width == 768 // 8 // 2
    assert folded.export.table.schema.field("clk").type.byte_width == 1024 // 8 // 2


def test_salt_separates_equal_values_with_different_salts(schema_data, secret):
    rows = frame([{"id": "1", "given": "Anna", "dob": "14.07.1990"},
                  {"id": "2", "given": "Anna", "dob": "01.02.1990"},
                  {"id": "3", "given": "Anna", "dob": "14.07.1991"},
                  {"id": "4", "given": "Anna", "dob": ""}])
    salted = encode(rows, make_config(hardened(schema_data, salt_field="birth_date")), secret=secret)
    names = salted.table_in_input_order().column("f_name").to_pylist()
    assert names[0] == names[1]  # same salt (the year)
    assert names[0] != names[2] and names[0] != names[3] and names[2] != names[3]


def test_blip_noise_is_fresh_per_export_and_fixed_within_one(schema_data, secret):
    """BLIP is seeded by the record's per-export reference: the same export encoded again gives the
    same noise (deterministic); another export (here: two rows fewer) gives a record fresh noise, so
    the linkage unit cannot average one person's noise away across deliveries."""
    config = make_config(hardened(schema_data, blip_probability=0.1))
    full = encode(PEOPLE, config, secret=secret, created=CREATED)
    again = encode(PEOPLE, config, secret=secret, created=CREATED)
    tail = encode(PEOPLE.iloc[2:].reset_index(drop=True), config, secret=secret, created=CREATED)
    assert full.export.table.equals(again.export.table)
    for field in ("f_birth_date", "clk", "f_name"):
        assert full.table_in_input_order().column(field).to_pylist()[2:] != tail.table_in_input_order().column(field).to_pylist()


def test_record_refs_and_row_order_are_per_export(schema, config, secret):
    """The same local id gets unrelated references in two exports (another time or other content),
    and rows are in keyed order, not the input's; the same input and time give the same export."""
    first = encode(PEOPLE, config, secret=secret, created=CREATED)
    assert first.export.table.equals(encode(PEOPLE, config, secret=secret, created=CREATED).export.table)
    later = encode(PEOPLE, config, secret=secret, created=CREATED + timedelta(seconds=1))
    changed = PEOPLE.copy()
    changed.loc[4, "given"] = changed.loc[4, "given"] + "x"
    edited = encode(changed, config, secret=secret, created=CREATED)
    refs = set(first.reference_map["record_ref"])
    assert not refs & set(later.reference_map["record_ref"]) and not refs & set(edited.reference_map["record_ref"])
    for result in (first, later, edited):
        rows = result.export.table.column("record_ref").to_pylist()
        assert rows == sorted(rows)  # keyed order
        assert result.reference_map["local_id"].tolist() == PEOPLE["id"].tolist()  # the agency's map: input order
    orders = {tuple(r.input_order()) for r in (first, later, edited)}
    assert len(orders) > 1  # the input order shows in none of them consistently


def test_progress_is_reported(config, secret):
    calls: list[tuple[int, int]] = []
    encode(PEOPLE, config, secret=secret, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (5, 5)


# ------------------------------------------------------------------------------- what is encoded


def test_identical_values_give_identical_filters(config, secret):
    result = encode(PEOPLE, config, secret=secret)
    table = result.table_in_input_order()
    dates = table.column("f_birth_date").to_pylist()
    assert dates[0] == dates[2] and dates[0] != dates[1]
    sexes = table.column("f_sex").to_pylist()
    assert sexes[0] == sexes[2] and sexes[1] == sexes[4] and sexes[0] != sexes[1]
    nats = table.column("f_nationality").to_pylist()
    assert nats[0] == nats[2]  # "DEU" and "deu"
    places = table.column("f_place").to_pylist()
    assert places[0] == places[2]  # "Köln" and "Koeln"
    assert part_filters(result, 3) == part_filters(result, 4)  # Jürgen Müller, JUERGEN MUELLER


def test_name_parts_are_order_independent(config, secret):
    result = encode(PEOPLE, config, secret=secret)
    a, b = part_filters(result, 0), part_filters(result, 2)  # Anna Maria Schmidt / Schmidt Maria Anna
    assert len(a) == 3
    assert a == b  # same set, and stored in the same (keyed) order
    assert a == sorted(a)


def test_missing_values_are_null(config, secret):
    result = encode(PEOPLE, config, secret=secret)
    table = result.table_in_input_order()
    row = {name: table.column(name).to_pylist()[3] for name in table.column_names}
    for column in ("f_birth_date", "f_sex", "f_nationality", "f_place", "f_father_name"):
        assert row[column] is None, column
    assert row["f_name"] and row["clk"] is not None
    assert not row["bk_name_year"]  # no birth year, no key (an empty list or null)
    assert table.column("f_father_name").to_pylist()[0] is not None
    meta = result.export.metadata
    assert meta["stats"]["present"] == {"name": 5, "father_name": 1, "birth_date": 4, "sex": 4, "nationality": 3,
                                        "place": 2}
    assert meta["stats"]["input_rows"] == 5 and meta["stats"]["quarantined_rows"] == 0


def test_blocking_keys_are_shared_by_similar_records(config, secret):
    table = encode(PEOPLE, config, secret=secret).table_in_input_order()
    keys = table.column("bk_name_year").to_pylist()
    assert len(keys[0]) == 3  # one per name part, each with the year
    assert set(keys[0]) == set(keys[2])
    assert not set(keys[0]) & set(keys[1])
    assert all(len(k) == 16 for row in keys if row for k in row)
    day_month = table.column("bk_name_date").to_pylist()
    assert day_month[0] == day_month[2]
    assert not day_month[3] and not day_month[4]  # missing and zero dates have no month_day
    pairs = table.column("bk_name_pair").to_pylist()
    assert set(pairs[0]) == set(pairs[2]) and len(pairs[0]) == 3  # {anna, maria, schmidt}: three pairs
    assert set(pairs[3]) == set(pairs[4]) and len(pairs[3]) == 1  # Jürgen Müller = Juergen MUELLER, no date needed
    assert not set(pairs[0]) & set(pairs[1])


def test_record_refs_are_keyed_pseudonyms_per_agency(schema, config, secret, other_secret):
    result = encode(PEOPLE, config, secret=secret)
    refs = result.table_in_input_order().column("record_ref").to_pylist()
    assert len(set(refs)) == 5
    assert all(len(r) == 32 and int(r, 16) >= 0 for r in refs)
    assert not set(refs) & set(PEOPLE["id"])
    assert result.reference_map["local_id"].tolist() == PEOPLE["id"].tolist()
    assert result.reference_map["record_ref"].tolist() == refs
    other_agency = encode(PEOPLE, make_config(schema, agency="other"), secret=secret)
    assert not set(refs) & set(other_agency.export.table.column("record_ref").to_pylist())
    other_key = encode(PEOPLE, config, secret=other_secret)
    assert not set(refs) & set(other_key.export.table.column("record_ref").to_pylist())
    plain = encode(PEOPLE, make_config(schema, reference="local_id"), secret=secret)
    assert plain.table_in_input_order().column("record_ref").to_pylist() == PEOPLE["id"].tolist()


def test_other_secret_gives_other_filters(config, secret, other_secret):
    a = encode(PEOPLE, config, secret=secret).export
    b = encode(PEOPLE, config, secret=other_secret).export
    assert a.key_check_value != b.key_check_value
    for field in ("birth_date", "sex", "place"):
        assert not np.array_equal(a.filters(field), b.filters(field))
    # about half the bits of a date filter are set: unrelated filters have Dice near 0.5, not 1
    assert (dice(a.filters("birth_date"), b.filters("birth_date")) < 0.8).all()


def _bigrams(text: str) -> set[str]:
    padded = f"_{text}_"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def _mutate(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        op, letter = rng.choice("sid"), rng.choice("abcdefghijklmnopqrstuvwxyz")
        i = rng.randrange(len(chars))
        if op == "s":
            chars[i] = letter
        elif op == "i":
            chars.insert(i, letter)
        elif len(chars) > 3:
            del chars[i]
    return "".join(chars)


@pytest.mark.parametrize("diffusion", [0, 3, 5])
def test_dice_of_filters_tracks_string_similarity(schema_data, secret, diffusion):
    """Plain filters: Dice follows bigram Dice. Diffused ones: the comparison's estimate of the
    inputs' (chance-corrected) similarity follows it as well, only with more noise."""
    from linkage.similarity import part_set_dice

    schema = hardened(schema_data, diffusion=diffusion)
    rng = random.Random(20240501)
    pairs = []
    for _ in range(200):
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10)))
        pairs.append((name, _mutate(rng, name, rng.randint(0, 6))))
    names = [n for pair in pairs for n in pair]
    records = pd.DataFrame({"id": [str(i) for i in range(len(names))], "given": names}, dtype=object)
    result = encode(records, make_config(schema, {"id": "id", "given_name": "given"}), secret=secret)
    filters = np.array([np.frombuffer(parts[0], np.uint8) for parts in result.table_in_input_order().column("f_name").to_pylist()])
    if diffusion:
        parts, present = filters[:, None, :], np.ones((len(filters), 1), bool)
        index = np.arange(0, len(filters), 2)
        filter_dice = part_set_dice(parts, present, parts, present, index, index + 1, diffusion=diffusion)
    else:
        filter_dice = dice(filters[0::2], filters[1::2])
    string_dice = np.array([2 * len(_bigrams(a) & _bigrams(b)) / (len(_bigrams(a)) + len(_bigrams(b)))
                            for a, b in pairs])
    # the filter holds folded bigrams, trigrams and the final letter, so it follows bigram Dice a
    # little less closely than a bigram-only filter would
    assert np.corrcoef(string_dice, filter_dice)[0, 1] > {0: 0.85, 3: 0.8, 5: 0.75}[diffusion]
    identical = string_dice == 1.0
    assert identical.any() and (filter_dice[identical] == 1.0).all()
    # binned by string similarity, the mean filter similarity rises
    bins = np.digitize(string_dice, [0.25, 0.5, 0.75, 0.999])
    means = [filter_dice[bins == b].mean() for b in range(5) if (bins == b).sum() >= 5]
    assert means == sorted(means) and len(means) >= 4


# ---------------------------------------------------------------------------------- quarantine


def test_duplicate_and_missing_ids_are_quarantined(config, secret):
    rows = frame([{"id": "a", "given": "Anna"}, {"id": "a", "given": "Berta"}, {"id": "", "given": "Carl"},
                  {"id": " b ", "given": "Dora"}, {"id": "b", "given": "Emil"}, {"id": "  ", "given": "Fritz"}])
    result = encode(rows, config, secret=secret, row_numbers=[2, 3, 4, 5, 6, 7])
    q = result.quarantine
    assert list(q.columns) == ["row_number", "field", "reason"]
    assert q.values.tolist() == [[3, "id", "duplicate"], [4, "id", "missing"], [6, "id", "duplicate"],
                                 [7, "id", "missing"]]
    assert result.reference_map["local_id"].tolist() == ["a", "b"]
    assert result.export.record_count == 2
    assert result.export.metadata["stats"]["quarantined_rows"] == 4


def test_bad_values_are_quarantined_with_row_numbers_not_values(config, secret):
    rows = frame([{"id": "1", "given": "Anna", "dob": "31.02.1990"},
                  {"id": "2", "given": "Berta", "dob": "1990"},
                  {"id": "3", "given": "Carl", "sex": "Zqxwvyt"},
                  {"id": "4", "given": "123", "dob": "01.02.1800"},
                  {"id": "5", "given": "Dora", "dob": "14.07.1990", "sex": "w"}])
    result = encode(rows, config, secret=secret, row_numbers=[10, 11, 12, 13, 14])
    q = result.quarantine
    assert set(map(tuple, q[["row_number", "field"]].values.tolist())) == {
        (10, "birth_date"), (11, "birth_date"), (12, "sex"), (13, "birth_date"), (13, "name")}
    assert set(q["reason"]) <= KNOWN_REASONS
    assert q.set_index(["row_number", "field"]).loc[(12, "sex"), "reason"] == "unrecognised"
    assert q.set_index(["row_number", "field"]).loc[(13, "name"), "reason"] == "missing"
    assert q.set_index(["row_number", "field"]).loc[(13, "birth_date"), "reason"] == "out_of_range"
    assert result.reference_map["local_id"].tolist() == ["5"]
    text = q.to_csv()
    for value in ("31.02.1990", "Zqxwvyt", "1800", "Anna"):
        assert value not in text


def test_every_row_quarantined_gives_an_empty_valid_export(config, secret):
    rows = frame([{"id": "1", "given": ""}, {"id": "2", "given": "--"}])
    result = encode(rows, config, secret=secret)
    assert result.export.record_count == 0
    assert len(result.quarantine) == 2 and result.reference_map.empty
    verify_export(result.export)


def test_missing_column_is_a_data_error_naming_it(schema, secret):
    config = make_config(schema, {"id": "id", "given_name": "given", "birth_date": "Geburtsdatum"})
    with pytest.raises(DataError, match="'Geburtsdatum'") as info:
        encode(PEOPLE, config, secret=secret)
    assert info.value.exit_code == 4
    assert "'given'" not in str(info.value)


def test_empty_table_is_a_data_error(config, secret):
    with pytest.raises(DataError, match="no data rows"):
        encode(pd.DataFrame(columns=list(ALL_COLUMNS.values()), dtype=object), config, secret=secret)


_ANY_TEXT = st.text(max_size=12)
_DATE_TEXT = st.one_of(_ANY_TEXT, st.sampled_from(["14.07.1990", "00.00.1990", "01.01.1985", "31.02.1990", ""]),
                       st.builds(lambda d, m, y: f"{d:02d}.{m:02d}.{y}", st.integers(0, 32), st.integers(0, 13),
                                 st.integers(1850, 2150)))
_ROWS = st.lists(
    st.fixed_dictionaries({
        "id": st.one_of(st.sampled_from(["1", "2", "3", " 1", ""]), st.text(max_size=4)),
        "given": _ANY_TEXT, "family": _ANY_TEXT, "father": _ANY_TEXT, "dob": _DATE_TEXT,
        "sex": st.one_of(_ANY_TEXT, st.sampled_from(["m", "w", "x", "?"])), "nat": _ANY_TEXT, "place": _ANY_TEXT,
    }),
    min_size=1, max_size=8,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_ROWS)
def test_any_unicode_input_is_encoded_or_quarantined(config, secret, rows):
    records = frame(rows)
    row_numbers = list(range(2, len(rows) + 2))
    result = encode(records, config, secret=secret, row_numbers=row_numbers, created=CREATED)
    quarantined = set(result.quarantine["row_number"].tolist())
    assert set(result.quarantine["reason"]) <= KNOWN_REASONS
    assert quarantined <= set(row_numbers)
    encoded_ids = result.reference_map["local_id"].tolist()
    kept = [row["id"].strip() for number, row in zip(row_numbers, rows) if number not in quarantined]
    assert encoded_ids == kept  # each row is either encoded or quarantined, exactly once
    assert len(set(encoded_ids)) == len(encoded_ids) and "" not in encoded_ids
    assert result.export.record_count == len(encoded_ids)
    verify_export(result.export)
    again = encode(records, config, secret=secret, row_numbers=row_numbers, created=CREATED)
    assert again.export.table.equals(result.export.table)


def test_invalid_dates_can_be_missing_with_a_warning_instead_of_quarantine(config, secret):
    lenient = dataclasses.replace(config, birth_date=dataclasses.replace(config.birth_date, invalid="missing"))
    rows = frame([{"id": "1", "given": "Anna", "dob": "31.02.1990"},
                  {"id": "2", "given": "Berta", "dob": "14.07.1990"}])
    result = encode(rows, lenient, secret=secret)
    assert result.quarantine.empty and result.export.record_count == 2
    assert result.warnings[["row_number", "field", "reason"]].values.tolist() == [[1, "birth_date", "invalid_date"]]
    assert result.export.table.column("f_birth_date").null_count == 1
    assert len(encode(rows, config, secret=secret).quarantine) == 1  # the default still quarantines
