"""The attack self-test (linkage.audit): the attacks must detect what the encodings leak, and the
shipped schema must stay under the targets of issue #12 for what it no longer leaks.

``LEAKS`` and ``SELF_TEST_FLAGS`` are the expectations for the *legacy* v2 schema
(``tests/golden/schema.toml`` with every hardening option off: sex and nationality code fields of
their own, year windows, a ``name_year`` key): the attacks must find those leaks. ``GUARDS`` are
regression guards for the shipped schema (``configs/schema.toml``: sex and nationality bound to
anchors, no year windows, diffusion): the attacks it defeats must stay defeated. Everything runs
on small synthetic scenarios (about 4,000 records; a few seconds).
"""

from __future__ import annotations

import json
import operator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from linkage import io, synth
from linkage.audit import ATTACKS, add_dummies, audit_privacy, concat_sides, lu_view, run_attacks, synthetic_scenario
from linkage.audit._truth import item_truth
from linkage.audit._view import EncodedColumn
from linkage.audit.dates import recover_years
from linkage.audit.frequency import align_frequencies, rank_confidence
from linkage.audit.scenario import agency_configs
from linkage.audit.selftest import blocking_components
from linkage.config import HardeningSpec
from linkage.encoded import EncodedExport
from linkage_cli.main import cli

PERSONS = 1500
OPS = {">=": operator.ge, "<=": operator.le}
LEGACY_SCHEMA = Path(__file__).resolve().parent / "golden" / "schema.toml"

#: (attack, column, figure field) -> (comparison, threshold) on the legacy schema.
LEAKS: dict[tuple[str, str, str], tuple[str, float]] = {
    ("frequency", "f_sex", "reidentified"): (">=", 0.99),  # sex decoded outright
    ("frequency", "f_sex", "advantage_pp"): (">=", 25.0),
    ("frequency", "f_nationality", "advantage_pp"): (">=", 15.0),
    ("frequency", "f_name", "top10"): (">=", 0.2),  # the most frequent name parts are named
    ("frequency", "f_name", "advantage_pp"): (">=", 2.0),
    ("dates: year groups (purity)", "f_birth_date", "reidentified"): (">=", 0.99),  # grouped by year
    ("dates: birth year (structure)", "f_birth_date", "advantage_pp"): (">=", 50.0),  # ordered by windows, named
    ("blocking groups: birth-year purity", "bk_name_year", "reidentified"): (">=", 0.99),
    ("patterns (100 most frequent known)", "f_name", "reidentified"): (">=", 0.5),
    ("patterns, linear (100 most frequent known)", "f_name", "beyond_known"): (">=", 0.5),  # learns q-grams
    ("graph matching", "f_name", "advantage_pp"): (">=", 10.0),
}

#: (attack, column, figure field) -> (comparison, threshold) on the shipped schema: the attacks
#: must fail (issue #12: at most 1 percentage point over guessing the commonest value for sex and
#: nationality); a known-plaintext attacker names (almost) nothing beyond the 100 values it knows,
#: and graph matching anchored by frequency adds little to frequency alignment (measured at this
#: size: 0.0 / 0.0065 / 0.0106 / 1.65 pp; unhardened: 0.16 / 0.60 / 0.68 / 20 pp).
GUARDS: dict[tuple[str, str, str], tuple[str, float]] = {
    **{(f"bound: {attack}", f"birth_date.{role}", "advantage_pp"): ("<=", 1.0)
       for attack in ("subgroup sizes", "colouring", "frequency", "date shape") for role in ("sex", "nationality")},
    # no year windows: the year groups can no longer be ordered (the legacy schema: >= 50)
    ("dates: birth year (structure)", "f_birth_date", "advantage_pp"): ("<=", 25.0),
    ("patterns (100 most frequent known)", "f_name", "beyond_known_records"): ("<=", 0.01),
    ("patterns, linear (100 most frequent known)", "f_name", "beyond_known_records"): ("<=", 0.03),
    ("patterns, linear (100 most frequent known)", "f_name", "beyond_known"): ("<=", 0.05),
    ("graph matching", "f_name", "advantage_pp"): ("<=", 5.0),
}

#: column -> flags the self-test must raise on the legacy schema (no truth, no public sample).
SELF_TEST_FLAGS: dict[str, set[str]] = {
    "f_sex": {"deterministic", "few_values"},
    "f_nationality": {"deterministic", "few_values"},
    "f_birth_date": {"deterministic", "nested"},
    "f_name": {"deterministic"},
}


@pytest.fixture(scope="module")
def scenario():
    """The legacy schema's exports (sex and nationality fields, year windows, no hardening)."""
    return synthetic_scenario(PERSONS, seed=3, public_seed=4, schema=io.load_schema(LEGACY_SCHEMA),
                              hardening=HardeningSpec())


@pytest.fixture(scope="module")
def report(scenario):
    return run_attacks(scenario.exports, scenario.public, scenario.truth, real=scenario.real, known_seeds=100)


@pytest.fixture(scope="module")
def shipped():
    """The shipped schema's exports (bound sex and nationality, no year windows)."""
    return synthetic_scenario(PERSONS, seed=3, public_seed=4)


@pytest.fixture(scope="module")
def shipped_report(shipped):
    return run_attacks(shipped.exports, shipped.public, shipped.truth, real=shipped.real, known_seeds=100,
                       attacks=("frequency", "dates", "bound", "patterns", "graph"))


#: Expectations the attacks, written against format version 1, no longer meet on format version 2
#: at this size: name parts carry folded_final tokens and are read across columns. Strict: the day
#: an attack detects the leak again, the test says so (issue #8).
NOT_YET_ON_V2 = {("frequency", "f_name", "top10"), ("frequency", "f_name", "advantage_pp")}


@pytest.mark.parametrize("expectation", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason="attack not adapted to format v2 yet (issue #8)"))
    if k in NOT_YET_ON_V2 else k for k in sorted(LEAKS)], ids=lambda k: ":".join(k))
def test_attacks_detect_the_leaks_of_the_legacy_schema(report, expectation):
    attack, column, field = expectation
    op, threshold = LEAKS[expectation]
    value = getattr(report.figure(attack, column), field)
    assert value is not None and OPS[op](value, threshold), f"{expectation} = {value}, want {op} {threshold}"


def test_the_shipped_schema_is_diffused(shipped):
    assert lu_view(shipped.exports).schema.hardening.diffusion >= 3


@pytest.mark.parametrize("guard", sorted(GUARDS), ids=lambda k: ":".join(k))
def test_shipped_schema_stays_under_the_targets(shipped_report, guard):
    """CI regression guard (full-size figures in benchmarks/results/ and the README)."""
    attack, column, field = guard
    op, threshold = GUARDS[guard]
    value = getattr(shipped_report.figure(attack, column), field)
    assert value is not None and OPS[op](value, threshold), f"{guard} = {value}, want {op} {threshold}"


def test_shipped_schema_hides_the_birth_year(shipped_report):
    # no year slice: a year slice's birth-year groups are named by their sizes (+27 pp at 100 k,
    # benchmarks/results/lowentropy_study.md); year-only dates are kept by the name anchors
    for attack in ("frequency: birth year", "dates: birth year (structure)"):
        figure = next(f for f in shipped_report.figures if f.attack == attack)
        assert figure.advantage_pp <= 1.0, (attack, figure.advantage_pp)


def test_no_shipped_blocking_key_groups_records_by_birth_year(shipped):
    for key in audit_privacy(shipped.exports).blocking:  # the legacy name_year key: 1.0
        assert key.date_group_purity is None or key.date_group_purity < 0.97, key


def test_shipped_schema_has_no_sex_or_nationality_column(shipped):
    view = lu_view(shipped.exports)
    assert not {"f_sex", "f_nationality"} & set(view.columns)
    assert {"f_birth_date/year_name_set+sex", "f_birth_date/ymd_name_a+nationality"} <= set(view.columns)
    assert set(shipped.truth.attributes) == {"sex", "nationality"}


def test_every_attack_reports_and_stays_in_range(report):
    attacks = {f.attack.split(" ")[0].rstrip(":") for f in report.figures}
    assert {"frequency", "dates", "patterns", "graph", "blocking"} <= attacks
    for f in report.figures:
        assert 0.0 <= f.reidentified <= 1.0
        if f.prior is not None:
            assert f.advantage_pp == pytest.approx(100 * (f.reidentified - f.prior), abs=0.02)
    assert set(report.seconds) == set(ATTACKS)
    json.dumps(report.to_dict())


def test_self_test_flags_the_leaks_without_truth(scenario):
    audit = audit_privacy(scenario.exports)
    flags = {c.column: set(c.flags) for c in audit.columns}
    for column, expected in SELF_TEST_FLAGS.items():
        assert expected <= flags[column], column
    year_key = next(b for b in audit.blocking if b.column == "bk_name_year")
    assert year_key.date_group_purity is not None and year_key.date_group_purity >= 0.99
    assert not audit.expectations  # none without a public sample
    json.dumps(audit.to_dict())


def test_self_test_flags_references_repeated_across_exports(scenario):
    first = scenario.exports[1]
    again = EncodedExport(first.table.slice(0, 50), first.metadata)  # a copy (or local-id references) repeats references
    audit = audit_privacy([first, again])
    assert audit.repeated_refs == 1.0
    assert any("record references repeat" in f for f in audit.findings)


def test_self_test_flags_envelope_sizes_that_follow_name_lengths(scenario):
    from linkage.encoded import ENVELOPE_TYPE

    export = scenario.exports[1]
    parts = export.table.column("f_name").combine_chunks()
    bits = [sum(bin(b).count("1") for f in row for b in f) if row else 0 for row in parts.to_pylist()]
    envelopes = pa.array([[{"recipient": "r", "purpose": "p", "valid_from": "", "valid_until": "",
                            "ephemeral_key": b"", "nonce": b"", "ciphertext": b"x" * (64 + n // 8)}]
                          for n in bits], pa.list_(ENVELOPE_TYPE))
    index = export.table.column_names.index("envelopes")
    table = export.table.set_column(index, "envelopes", envelopes)
    audit = audit_privacy([EncodedExport(table, export.metadata)])
    assert audit.envelope_length_correlation is not None and audit.envelope_length_correlation > 0.9
    assert any("envelope sizes follow name lengths" in f for f in audit.findings)


def test_self_test_estimates_with_a_public_sample(scenario):
    audit = audit_privacy(scenario.exports, public=scenario.public)
    expected = {(e.attack, e.column): e.expected_share for e in audit.expectations}
    assert expected[("frequency", "f_sex")] >= 0.99
    assert expected[("dates: birth year (structure)", "f_birth_date")] >= 0.9


def test_columns_are_found_by_type_not_by_name(scenario):
    export = scenario.exports[0]
    renamed = export.table.rename_columns([{"f_sex": "gender_v2", "clk": "record_bits"}.get(n, n)
                                           for n in export.table.column_names])
    view = lu_view([EncodedExport(renamed, export.metadata)])
    assert view.columns["gender_v2"].kind == "filter" and len(view.columns["gender_v2"].distinct) <= 3
    assert view.columns["record_bits"].kind == "filter"
    assert view.columns["f_name"].kind == "filter_list" and view.columns["bk_name_date"].kind == "digest_list"
    assert "record_ref" not in view.columns


def test_truth_of_list_items_is_found_by_peeling():
    # record 0: parts {a, b}; record 1: {b, c}; record 2: {c}; encodings 0=a, 1=b, 2=c
    col = EncodedColumn("f_x", "filter_list", 3, np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 2, 2]),
                        np.zeros((3, 1), np.uint8))
    from linkage.audit._plain import PlainColumn

    plain = PlainColumn("f_x", np.array([0, 0, 1, 1, 2]), np.array(["a", "b", "c", "b", "c"], dtype=object))
    truth = item_truth(col, plain)
    assert truth.keys.tolist() == ["a", "b", "b", "c", "c"] and truth.ambiguous == 0


def test_blocking_components_join_records_through_shared_digests():
    col = EncodedColumn("bk_x", "digest_list", 5, np.array([0, 1, 1, 2, 4]), np.array([7, 7, 8, 8, 9]),
                        np.zeros((10, 16), np.uint8))
    groups = blocking_components(col)
    assert groups[0] == groups[1] == groups[2] and groups[4] != groups[0] and groups[3] == -1


def test_rank_confidence_trusts_gaps_not_ties():
    conf = rank_confidence(np.array([500.0, 100.0, 10.0, 10.0, 10.0]), np.array([480.0, 110.0, 9.0, 11.0, 10.0]))
    assert conf[0] > 0.99 and conf[1] > 0.99 and (conf[2:] <= 1 / 3 + 1e-9).all()


def test_denoise_recovers_values_under_random_bit_flips():
    from linkage.audit._view import distinct_rows
    from linkage.audit.frequency import denoise

    rng = np.random.default_rng(0)
    values = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    which = rng.integers(0, 40, 4000)
    noisy = np.unpackbits(values[which], axis=1).astype(bool) ^ (rng.random((4000, 256)) < 0.05)
    distinct, classes = distinct_rows(np.packbits(noisy, axis=1))
    col = EncodedColumn("f_x", "filter", 4000, np.arange(4000), classes, distinct)
    clean = denoise(col, 0.05)
    assert len(clean.distinct) == 40
    assert (clean.distinct[clean.classes] == values[which]).all()
    assert denoise(col, 0.0) is col


def test_frequency_alignment_names_a_low_entropy_column(scenario):
    view = lu_view(scenario.exports)
    col = view.columns["f_sex"]
    alignment = align_frequencies(col, scenario.public.columns["f_sex"])
    truth = item_truth(col, scenario.truth.columns["f_sex"]).keys
    assert np.mean(alignment.item_guesses(col) == truth) > 0.99
    assert alignment.expected_share > 0.99


def test_year_structure_is_found_without_a_public_sample(scenario):
    col = lu_view(scenario.exports).columns["f_birth_date"]
    attack = recover_years(col, np.zeros(0, np.int64))
    assert attack.n_bases >= 20 and attack.via_containment > 0.9
    groups = attack.class_group[col.classes]
    years = scenario.truth.years["f_birth_date"][col.owners]
    frame = pd.DataFrame({"g": groups, "y": years})[groups >= 0]
    purity = frame.groupby("g")["y"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(frame)
    assert purity > 0.99


def test_dummies_are_mixed_in_deterministically():
    data = synth.generate(200, seed=5)
    export = data.export("jobcentre")
    config = agency_configs(data)["jobcentre"]
    one, mask = add_dummies(export.frame, config, fraction=0.25, seed=1)
    two, mask2 = add_dummies(export.frame, config, fraction=0.25, seed=1)
    assert one.equals(two) and (mask == mask2).all()
    assert mask.sum() == round(0.25 * len(export.frame)) and len(one) == len(export.frame) + mask.sum()
    assert one[config.id_column].is_unique
    assert not mask[: len(mask) // 2].all()  # mixed in, not appended
    real = one.loc[~mask].set_index(config.id_column).sort_index()
    assert real.equals(export.frame.set_index(config.id_column).sort_index().astype(real.dtypes))


def test_public_sample_from_a_role_named_table(scenario):
    from linkage.audit import public_sample

    schema = lu_view(scenario.exports).schema
    table = pd.DataFrame({"given_name": ["Mohammad", "Anna"], "family_name": ["Al-Hassan", "Schmidt"],
                          "birth_date": ["1990-00-00", "14.07.1990"], "sex": ["m", "w"], "nationality": ["SYR", "DEU"]})
    side = public_sample(table, schema)
    assert side.n_records == 2 and side.years["f_birth_date"].tolist() == [1990, 1990]
    assert len(side.columns["f_name"].keys) == 4 and side.columns["f_sex"].keys[0] != side.columns["f_sex"].keys[1]


@pytest.fixture(scope="module")
def written(scenario, tmp_path_factory):
    folder = tmp_path_factory.mktemp("audit")
    paths = []
    for export in scenario.exports[:2]:
        path = folder / f"{export.agency}.parquet"
        io.write_encoded(export, path)
        paths.append(path)
    data = synth.generate(300, seed=9)
    frame = data.export("jobcentre").frame
    sample = pd.DataFrame({"given_name": frame["Vorname"], "family_name": frame["Nachname"],
                           "birth_date": frame["Geburtsdatum"], "sex": frame["Geschlecht"],
                           "nationality": frame["Staatsangehörigkeit"], "place": frame["Geburtsort"]})
    sample_path = folder / "public.csv"
    sample.to_csv(sample_path, index=False)
    return paths, sample_path, sample


def test_cli_audit_privacy_text_and_json(written):
    paths, sample_path, sample = written
    result = CliRunner().invoke(cli, ["audit-privacy", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert "f_sex" in result.output and "few_values" in result.output and "findings:" in result.output
    result = CliRunner().invoke(cli, ["audit-privacy", *map(str, paths), "--public-sample", str(sample_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["records"] == sum(io.read_encoded(p).record_count for p in paths)
    assert any(e["attack"] == "graph matching" for e in data["expectations"])
    names = {str(v).casefold() for v in sample["given_name"]} - {"nan", ""}
    assert not any(n in result.output.casefold() for n in names if len(n) > 3)  # no value is printed


def test_cli_audit_privacy_refuses_a_tampered_export_and_a_bad_sample(written, tmp_path):
    paths, _, _ = written
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(paths[0].read_bytes()[:-100])
    result = CliRunner().invoke(cli, ["audit-privacy", str(bad)])
    assert result.exit_code == 6
    sample = tmp_path / "nothing.csv"
    sample.write_text("colour\nred\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit-privacy", str(paths[0]), "--public-sample", str(sample)])
    assert result.exit_code == 4 and "public sample" in result.output


def test_truth_is_aligned_with_the_exports(scenario):
    # the scenario's truth keys give every encoding class one key (deterministic encodings)
    view = lu_view(scenario.exports)
    for name in ("f_sex", "f_nationality", "f_birth_date"):
        col = view.columns[name]
        keys = item_truth(col, scenario.truth.columns[name]).keys
        per_class = pd.Series(keys).groupby(col.classes).nunique()
        assert (per_class == 1).all(), name
    assert concat_sides([scenario.truth]).n_records == view.n_records


def test_truth_of_every_slice_matches_its_encodings(shipped):
    """The plain side's slice keys (bound slices included) are equal exactly when the encodings are."""
    view = lu_view(shipped.exports)
    slices = [name for name in view.columns if name.startswith("f_birth_date/")]
    assert len(slices) == 12
    for name in slices:
        col = view.columns[name]
        keys = pd.Series(item_truth(col, shipped.truth.columns[name]).keys)
        assert keys.notna().all() and (keys != "").all(), name
        assert (keys.groupby(col.classes).nunique() == 1).all(), name
        assert (pd.Series(col.classes).groupby(keys.to_numpy()).nunique() == 1).all(), name
