"""linkage.config and linkage.io.configs: every problem reported at once, with its path."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage import io
from linkage.config import (
    CONFIG_VERSION,
    DateSpec,
    ExportConfig,
    InputSpec,
    Schema,
    parse_export_config,
    parse_schema,
)
from linkage.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schema_data() -> dict[str, Any]:
    """A frozen copy of the example schema (configs/ may be tuned; these tests must not care)."""
    with open(REPO / "tests" / "golden" / "schema.toml", "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def schema(schema_data) -> Schema:
    return parse_schema(schema_data)


def export_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "agency": "jobcentre",
        "schema": "schema.toml",
        "columns": {"id": "Kundennummer", "given_name": "Vorname", "family_name": "Nachname",
                    "birth_date": "Geburtsdatum", "sex": "Geschlecht"},
        "birth_date": {"formats": ["%d.%m.%Y"]},
    }
    data.update(overrides)
    return data


def problems_of(fn: Callable[[], Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        fn()
    assert info.value.problems, "a ConfigError from a loader must list its problems"
    for problem in info.value.problems:  # the message repeats every problem
        assert problem in str(info.value)
    return info.value.problems


def assert_problem_at(problems: tuple[str, ...], path: str, fragment: str = "") -> None:
    hits = [p for p in problems if p.startswith(f"{path}: ")]
    assert hits, f"no problem at {path!r} in {problems}"
    assert any(fragment in p for p in hits), f"no problem at {path!r} mentions {fragment!r}: {hits}"


# ------------------------------------------------------------------------------------- schema


def test_schema_parses(schema):
    assert schema.version == CONFIG_VERSION
    assert schema.name == "refugee-services-v1"
    assert [f.name for f in schema.fields] == ["name", "father_name", "birth_date", "sex", "nationality", "place"]
    name = schema.field("name")
    assert name.kind == "name" and name.required and name.max_parts == 5 and name.num_bits == 512
    assert dict(name.tokens) == {"folded_bigram": 30, "folded_trigram": 20, "folded_final": 40}
    assert name.layout == "joint" and name.slice_bits == 512
    date = schema.field("birth_date")
    assert date.layout == "split" and date.num_bits == 768 and date.slice_bits == 128
    assert [kind for kind, _ in date.tokens] == sorted(["ymd", "year_day_month_set", "month_day_window_a",
                                                        "month_day_window_b", "month_day_window_c", "year"])
    assert schema.field("sex").max_parts == 1
    assert schema.record_filter is not None and schema.record_filter.num_bits == 1024
    assert [b.name for b in schema.blocking] == ["name_year", "name_date", "name_pair"]
    assert schema.blocking[0].components == ("name.skeleton", "birth_date.year")
    assert schema.blocking[2].components == ("name.skeleton_pair",)
    with pytest.raises(KeyError):
        schema.field("nope")


def test_schema_is_frozen_hashable_and_fingerprinted(schema, schema_data):
    again = parse_schema(copy.deepcopy(schema_data))
    assert again == schema and hash(again) == hash(schema)
    assert again.fingerprint() == schema.fingerprint()
    assert schema.fingerprint().startswith("sha256:") and len(schema.fingerprint()) == 7 + 64
    with pytest.raises(AttributeError):
        schema.name = "other"  # type: ignore[misc]
    changed = copy.deepcopy(schema_data)
    changed["fields"][2]["num_bits"] = 1536
    assert parse_schema(changed).fingerprint() != schema.fingerprint()


def test_token_order_in_the_file_does_not_change_the_fingerprint(schema, schema_data):
    reordered = copy.deepcopy(schema_data)
    reordered["fields"][0]["tokens"] = dict(reversed(list(schema_data["fields"][0]["tokens"].items())))
    assert list(reordered["fields"][0]["tokens"]) != list(schema_data["fields"][0]["tokens"])
    assert parse_schema(reordered).fingerprint() == schema.fingerprint()


def test_encoded_width_follows_hardening(schema_data):
    def width(**hardening: Any) -> int:
        data = copy.deepcopy(schema_data)
        data["hardening"] = hardening
        parsed = parse_schema(data)
        return parsed.encoded_width(parsed.field("birth_date"))

    assert width() == 768  # six slices of 128 bits, each hardened on its own
    assert width(balance=True) == 1536
    assert width(xor_fold=True) == 384
    assert width(balance=True, xor_fold=True) == 768
    assert width(diffusion=3) == 768  # diffusion keeps the width
    assert width(balance=True, diffusion=5, xor_fold=True) == 768


def test_diffusion_must_fit_the_smallest_filter(schema_data):
    data = copy.deepcopy(schema_data)
    data["fields"][2]["num_bits"] = 96  # six birth-date slices of 16 bits
    data["hardening"]["diffusion"] = 5
    problems = problems_of(lambda: parse_schema(data))
    assert_problem_at(problems, "hardening.diffusion", "at most a quarter of the smallest filter (16 bits), got 5")
    data["hardening"]["diffusion"] = 4
    assert parse_schema(data).hardening.diffusion == 4


def test_split_layout_is_for_dates_with_whole_slices(schema_data):
    data = copy.deepcopy(schema_data)
    data["fields"][2]["num_bits"] = 776
    data["fields"][0]["layout"] = "split"
    with pytest.raises(ConfigError) as caught:
        parse_schema(data)
    assert "fields[2].num_bits: must be a multiple of 96" in str(caught.value)
    assert "fields[0].layout: 'split' applies to 'date' fields only" in str(caught.value)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def _delete(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return apply


INVALID_SCHEMAS = [
    # (id, mutation, expected path, fragment of the message)
    ("bits_too_small", _set(("fields", 0, "num_bits"), 3), "fields[0].num_bits", "must be in [64, 16384], got 3"),
    ("bits_too_large", _set(("fields", 0, "num_bits"), 20000), "fields[0].num_bits", "must be in [64, 16384]"),
    ("bits_not_multiple_of_16", _set(("fields", 2, "num_bits"), 100), "fields[2].num_bits", "multiple of 16"),
    ("bits_not_an_int", _set(("fields", 0, "num_bits"), "512"), "fields[0].num_bits", "must be an integer"),
    ("bits_a_bool", _set(("fields", 0, "num_bits"), True), "fields[0].num_bits", "must be an integer"),
    ("unknown_top_level_key", _set(("colour",), "blue"), "colour", "not a known setting"),
    ("unknown_field_key", _set(("fields", 1, "bitz"), 5), "fields[1].bitz", "not a known setting"),
    ("unknown_hardening_key", _set(("hardening", "rule90"), True), "hardening.rule90", "not a known setting"),
    ("role_of_wrong_kind", _set(("fields", 3, "sources"), ["birth_date"]), "fields[3].sources[0]",
     "role 'birth_date' feeds 'date' fields, not 'code'"),
    ("unknown_role", _set(("fields", 1, "sources"), ["grandfather_name"]), "fields[1].sources[0]", "must be a role"),
    ("attribute_for_a_name", _set(("fields", 1, "sources"), ["attribute.alias"]), "fields[1].sources[0]",
     "attributes can feed only"),
    ("token_kind_not_allowed", _set(("fields", 3, "tokens"), {"bigram": 10}), "fields[3].tokens.bigram",
     "is not a token kind of 'code' fields"),
    ("date_token_on_a_name", _set(("fields", 0, "tokens"), {"ymd": 10}), "fields[0].tokens.ymd",
     "is not a token kind of 'name' fields"),
    ("bits_per_token_zero", _set(("fields", 3, "tokens"), {"value": 0}), "fields[3].tokens.value",
     "bits per token must be an integer in [1, 64]"),
    ("no_token_kinds", _set(("fields", 3, "tokens"), {}), "fields[3].tokens", "at least one token kind"),
    ("unknown_field_kind", _set(("fields", 5, "kind"), "blob"), "fields[5].kind", "must be one of"),
    ("bad_field_name", _set(("fields", 0, "name"), "Full Name"), "fields[0].name", "lower-case"),
    ("max_parts_on_a_date", _set(("fields", 2, "max_parts"), 2), "fields[2].max_parts", "applies to 'name'"),
    ("max_parts_too_many", _set(("fields", 0, "max_parts"), 13), "fields[0].max_parts", "must be in [1, 12]"),
    ("required_not_bool", _set(("fields", 0, "required"), "yes"), "fields[0].required", "true or false"),
    ("missing_kind", _delete(("fields", 0, "kind")), "fields[0].kind", "is required"),
    ("duplicate_field_name", _set(("fields", 1, "name"), "name"), "fields", "used twice"),
    ("fields_not_an_array", _set(("fields",), {"name": "x"}), "fields", "must be an array of tables"),
    ("no_fields", _set(("fields",), []), "fields", "at least one field"),
    ("component_bad_derivation", _set(("blocking", 0, "components"), ["name.part", "birth_date.prefix3"]),
     "blocking[0].components[1]", "derivation of a 'date' field must be one of"),
    ("component_unknown_field", _set(("blocking", 1, "components"), ["nope.part"]), "blocking[1].components[0]",
     "must be '<field>.<derivation>'"),
    ("component_two_names", _set(("blocking", 0, "components"), ["name.part", "father_name.part"]),
     "blocking[0].components", "at most one name component"),
    ("no_components", _set(("blocking", 0, "components"), []), "blocking[0].components", "at least one component"),
    ("duplicate_blocking_name", _set(("blocking", 1, "name"), "name_year"), "blocking", "used twice"),
    ("salt_field_unknown", _set(("hardening", "salt_field"), "nope"), "hardening.salt_field",
     "must name a field of this schema"),
    ("salt_field_a_name", _set(("hardening", "salt_field"), "name"), "hardening.salt_field",
     "must name a 'code' or 'date' field"),
    ("blip_too_high", _set(("hardening", "blip_probability"), 0.5), "hardening.blip_probability",
     "must be in [0.0, 0.25]"),
    ("blip_not_a_number", _set(("hardening", "blip_probability"), "low"), "hardening.blip_probability",
     "must be a number"),
    ("balance_not_bool", _set(("hardening", "balance"), 1), "hardening.balance", "true or false"),
    ("diffusion_one", _set(("hardening", "diffusion"), 1), "hardening.diffusion", "must be 0 (off) or in [2, 16]"),
    ("diffusion_too_high", _set(("hardening", "diffusion"), 17), "hardening.diffusion", "must be in [0, 16], got 17"),
    ("diffusion_negative", _set(("hardening", "diffusion"), -3), "hardening.diffusion", "must be in [0, 16]"),
    ("diffusion_not_an_int", _set(("hardening", "diffusion"), "3"), "hardening.diffusion", "must be an integer"),
    ("diffusion_a_bool", _set(("hardening", "diffusion"), True), "hardening.diffusion", "must be an integer"),
    ("record_filter_unknown_field", _set(("record_filter", "bits_per_token", "nope"), 3),
     "record_filter.bits_per_token.nope", "must name a field"),
    ("record_filter_bits_not_multiple", _set(("record_filter", "num_bits"), 1000), "record_filter.num_bits",
     "multiple of 16"),
    ("version_wrong", _set(("version",), 2), "version", "must be 1"),
    ("version_missing", _delete(("version",)), "version", "is required"),
    ("version_a_string", _set(("version",), "1"), "version", "must be an integer"),
    ("name_missing", _delete(("name",)), "name", "is required"),
    ("hardening_not_a_table", _set(("hardening",), True), "hardening", "must be a table"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in INVALID_SCHEMAS],
                         ids=[c[0] for c in INVALID_SCHEMAS])
def test_invalid_schema_names_the_path(schema_data, mutate, path, fragment):
    data = copy.deepcopy(schema_data)
    mutate(data)
    problems = problems_of(lambda: parse_schema(data))
    assert_problem_at(problems, path, fragment)


def test_schema_reports_every_problem_at_once(schema_data):
    data = copy.deepcopy(schema_data)
    data["version"] = 7
    data["fields"][0]["num_bits"] = 3
    data["fields"][3]["tokens"] = {"trigram": 5}
    data["hardening"]["salt_field"] = "place"
    data["hardening"]["diffusion"] = 1
    data["blocking"][1]["components"] = ["name.prefix3", "birth_date.decade"]
    data["extra"] = 1
    problems = problems_of(lambda: parse_schema(data, source="schema s.toml"))
    for path in ("version", "fields[0].num_bits", "fields[3].tokens.trigram", "hardening.salt_field",
                 "hardening.diffusion", "blocking[1].components[1]", "extra"):
        assert_problem_at(problems, path)


def test_config_error_is_a_value_error_with_exit_code_3(schema_data):
    data = copy.deepcopy(schema_data)
    data["version"] = 2
    with pytest.raises(ValueError) as info:
        parse_schema(data, source="schema x.toml")
    assert isinstance(info.value, ConfigError)
    assert info.value.exit_code == 3
    assert "schema x.toml is invalid (1 problem(s))" in str(info.value)


TOML_LIKE = st.recursive(
    st.booleans() | st.integers(-3, 20000) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["name", "date", "code", "text", "birth_date", "name.part", "sex"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_schema_parser_never_crashes_on_mistyped_values(schema_data, data):
    """Any value anywhere gives a Schema or a ConfigError, never a TypeError or KeyError."""
    mutated = copy.deepcopy(schema_data)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(mutated)))
        _set(path, data.draw(TOML_LIKE))(mutated)
    try:
        parsed = parse_schema(mutated)
    except ConfigError as exc:
        assert exc.problems
    else:
        assert isinstance(parsed, Schema)


# ------------------------------------------------------------------------------- export config


def test_valid_export_config(schema):
    config = parse_export_config(export_data(), schema)
    assert isinstance(config, ExportConfig)
    assert config.agency == "jobcentre" and config.reference == "pseudonym"
    assert config.id_column == "Kundennummer"
    assert config.columns_for("given_name") == ("Vorname",)
    assert config.columns_for("place") == ()
    assert config.input == InputSpec()
    assert config.birth_date == DateSpec()


def test_export_config_options(schema):
    config = parse_export_config(export_data(
        reference="local_id",
        input={"format": "csv", "delimiter": ";", "encoding": "cp1252"},
        columns={"id": "ID", "full_name": ["Name1", "Name2"], "birth_date": "GebDat"},
        attributes={"district": "Bezirk"},
        birth_date={"formats": ["%d/%m/%y", "%Y%m%d"], "calendar": "solar_hijri", "unknown_day_month": [],
                    "two_digit_year_pivot": 25},
    ), schema)
    assert config.reference == "local_id"
    assert config.input == InputSpec(format="csv", delimiter=";", encoding="cp1252")
    assert config.columns_for("full_name") == ("Name1", "Name2")
    assert config.columns_for("attribute.district") == ("Bezirk",)
    assert config.birth_date == DateSpec(formats=("%d/%m/%y", "%Y%m%d"), calendar="solar_hijri",
                                         unknown_day_month=(), two_digit_year_pivot=25)


INVALID_EXPORTS = [
    ("id_not_mapped", {"columns": {"given_name": "Vorname"}}, "columns.id", "is required"),
    ("columns_missing", {"columns": None}, "columns", "is required"),
    ("required_field_unmapped", {"columns": {"id": "ID", "birth_date": "D"}}, "columns",
     "schema field 'name' is required"),
    ("unknown_role", {"columns": {"id": "ID", "given_name": "G", "nickname": "N"}}, "columns.nickname",
     "not a known setting"),
    ("two_id_columns", {"columns": {"id": ["A", "B"], "given_name": "G"}}, "columns.id", "exactly one column"),
    ("two_date_columns", {"columns": {"id": "A", "given_name": "G", "birth_date": ["D1", "D2"]}},
     "columns.birth_date", "exactly one column"),
    ("empty_column_name", {"columns": {"id": "", "given_name": "G"}}, "columns.id", "non-empty strings"),
    ("date_format_without_year", {"birth_date": {"formats": ["%d.%m."]}}, "birth_date.formats[0]", ""),
    ("date_format_without_day", {"birth_date": {"formats": ["%m/%Y"]}}, "birth_date.formats[0]", ""),
    ("unknown_calendar", {"birth_date": {"calendar": "julian"}}, "birth_date.calendar", "must be one of"),
    ("bad_unknown_day_month", {"birth_date": {"unknown_day_month": ["1-1"]}}, "birth_date.unknown_day_month[0]",
     "MM-DD"),
    ("pivot_out_of_range", {"birth_date": {"two_digit_year_pivot": 100}}, "birth_date.two_digit_year_pivot",
     "must be in [0, 99]"),
    ("unknown_date_key", {"birth_date": {"format": "%d.%m.%Y"}}, "birth_date.format", "not a known setting"),
    ("bad_encoding", {"input": {"encoding": "klingon-8"}}, "input.encoding", "is not a text encoding"),
    ("bad_delimiter", {"input": {"delimiter": ";;"}}, "input.delimiter", "single character"),
    ("bad_format", {"input": {"format": "ods"}}, "input.format", "must be one of"),
    ("bad_agency", {"agency": "job centre!"}, "agency", "letters, digits"),
    ("bad_reference", {"reference": "plain"}, "reference", "must be one of"),
    ("bad_attribute_name", {"attributes": {"Bezirk": "B"}}, "attributes.Bezirk", "lower-case"),
    ("version_wrong", {"version": 0}, "version", "must be 1"),
    ("unknown_top_level", {"secret": "project.key"}, "secret", "not a known setting"),
]


@pytest.mark.parametrize(("overrides", "path", "fragment"), [c[1:] for c in INVALID_EXPORTS],
                         ids=[c[0] for c in INVALID_EXPORTS])
def test_invalid_export_config_names_the_path(schema, overrides, path, fragment):
    data = export_data(**overrides)
    for key in [k for k, v in data.items() if v is None]:
        del data[key]
    problems = problems_of(lambda: parse_export_config(data, schema))
    assert_problem_at(problems, path, fragment)


def test_export_config_reports_every_problem_at_once(schema):
    data = export_data(agency="", columns={"given_name": "G", "shoe_size": "S"},
                       input={"encoding": "nope", "delimiter": 5}, birth_date={"calendar": "mayan"})
    problems = problems_of(lambda: parse_export_config(data, schema))
    for path in ("agency", "columns.id", "columns.shoe_size", "input.encoding", "input.delimiter",
                 "birth_date.calendar"):
        assert_problem_at(problems, path)


# ------------------------------------------------------------------------------------ loading


def test_load_export_config_resolves_the_schema_relative_to_the_config(tmp_path, schema_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "schema.toml").write_bytes(schema_path.read_bytes())
    (tmp_path / "agency").mkdir()
    config_path = tmp_path / "agency" / "export.toml"
    config_path.write_text('version = 1\nagency = "a"\nschema = "../shared/schema.toml"\n'
                           '[columns]\nid = "ID"\ngiven_name = "G"\n')
    config = io.load_export_config(config_path)
    assert config.schema == io.load_schema(schema_path)


def test_load_export_config_with_the_fixture_helper(make_export_config, schema_path):
    config = io.load_export_config(make_export_config(agency="abh.kreis-1"))
    assert config.agency == "abh.kreis-1"
    assert config.schema.fingerprint() == io.load_schema(schema_path).fingerprint()


def test_load_export_config_without_schema_key(tmp_path):
    path = tmp_path / "export.toml"
    path.write_text('version = 1\nagency = "a"\n[columns]\nid = "ID"\n')
    problems = problems_of(lambda: io.load_export_config(path))
    assert_problem_at(problems, "schema", "is required")


def test_load_export_config_with_missing_schema_file(tmp_path):
    path = tmp_path / "export.toml"
    path.write_text('version = 1\nagency = "a"\nschema = "missing.toml"\n[columns]\nid = "ID"\n')
    with pytest.raises(ConfigError, match="does not exist"):
        io.load_export_config(path)


def test_load_missing_and_malformed_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        io.load_schema(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("version = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        io.load_schema(bad)


def test_schema_problems_name_the_file(tmp_path):
    path = tmp_path / "schema.toml"
    path.write_text('version = 1\nname = "x"\n[[fields]]\nname = "n"\nkind = "name"\nsources = ["given_name"]\n'
                    'num_bits = 3\ntokens = { bigram = 10 }\n')
    with pytest.raises(ConfigError) as info:
        io.load_schema(path)
    assert str(path) in str(info.value)
    assert_problem_at(info.value.problems, "fields[0].num_bits")


# ---------------------------------------------------------------------- the shipped example configs


def _example_configs() -> list[Path]:
    return sorted((REPO / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", _example_configs(), ids=lambda p: p.name)
def test_every_example_config_loads(path):
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    if "fields" in data:
        assert isinstance(io.load_schema(path), Schema)
    elif "schema" in data:
        config = io.load_export_config(path)
        assert isinstance(config, ExportConfig)
        assert config.id_column
    elif path.name.startswith("link_job"):
        assert io.load_link_job(path).blocking.max_block_size >= 2
    else:
        pytest.fail(f"{path.name} is neither a schema, an export config nor a link job config")
