"""linkage.link and `linkage link`: the linkage unit end to end on small synthetic exports."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from linkage import io, jobs, synth
from linkage.errors import ConfigError, IntegrityError
from linkage.evaluate import pair_quality
from linkage.job_config import parse_link_job
from linkage.keys import ProjectSecret, generate_linkage_unit_key
from linkage.compare import to_levels
from linkage.link import link
from linkage.seal import generate_recipient_key
from linkage_cli.main import cli

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SECRET = ProjectSecret(bytes(range(32)))
OTHER_SECRET = ProjectSecret(bytes(range(100, 132)))
JOB = CONFIGS / "link_job.toml"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> dict[str, object]:
    """Synthetic exports of the five agencies (150 persons), encoded with the example configs."""
    root = tmp_path_factory.mktemp("link")
    data = synth.generate(150, seed=3)
    paths = io.write_synth(data, root / "exports")
    for export in data.exports:  # every agency is also a recipient of sealed payloads
        io.create_recipient(generate_recipient_key(export.agency), root / "keys" / f"{export.agency}.key",
                            root / "keys" / "keyring.json")
    encoded, maps = {}, []
    for export in data.exports:
        out = root / "encoded" / f"{export.agency}.parquet"
        summary = jobs.encode_file(paths[export.agency], CONFIGS / export.config_name, out, secret=SECRET,
                                   **_consent(root, export.agency))
        encoded[export.agency] = out
        maps.append(io.read_string_csv(summary.reference_map).assign(agency=export.agency))
    truth = io.read_string_csv(root / "exports" / "truth.csv")
    io.create_linkage_unit_key(generate_linkage_unit_key(), root / "keys" / "lu.key")
    return {"root": root, "encoded": encoded, "maps": pd.concat(maps), "truth": truth, "data": data,
            "unit_key": root / "keys" / "lu.key"}


def _consent(root: Path, agency: str) -> dict[str, Path]:
    """The agency's synthetic consent register and the recipients' keyring (the configs require both)."""
    return {"consent_path": root / "exports" / "consent" / f"{agency}.csv",
            "keyring_path": root / "keys" / "keyring.json"}


def _exports(demo_files, agencies=None):
    paths = demo_files["encoded"]
    return [io.read_encoded(paths[a]) for a in (agencies or list(paths))]


def _persons(result, demo_files) -> np.ndarray:
    joined = (result.entities.merge(demo_files["maps"], on=["agency", "record_ref"], how="left")
              .merge(demo_files["truth"], left_on=["agency", "local_id"], right_on=["agency", "record_id"], how="left"))
    return joined["person_id"].to_numpy()


def test_links_five_agencies_into_persons(demo_files):
    result = link(_exports(demo_files), io.load_link_job(JOB))
    persons = _persons(result, demo_files)
    assert len(result.entities) == result.manifest["counts"]["records"] and not pd.isna(persons).any()
    quality = pair_quality(result.labels, persons)
    assert quality.f1 > 0.8, quality.to_dict()
    # blocking recall on generated data: the candidates hold (almost) every true pair
    index = {key: i for i, key in enumerate(zip(result.entities.agency, result.entities.record_ref))}
    ia = np.array([index[k] for k in zip(result.pairs.agency_a, result.pairs.record_ref_a)])
    ib = np.array([index[k] for k in zip(result.pairs.agency_b, result.pairs.record_ref_b)])
    found = int((persons[ia] == persons[ib]).sum())
    assert found >= 0.97 * quality.true_pairs
    assert set(result.entities.columns) == {"entity_id", "agency", "record_ref"}
    assert result.entities.entity_id.str.match(r"^E-[0-9a-f]{16}$").all()
    sims = [c for c in result.pairs.columns if c.startswith("sim_")]
    assert sims == ["sim_name", "sim_father_name", "sim_birth_date", "sim_birth_date.nationality", "sim_birth_date.sex",
                    "sim_place"]
    assert set(result.pairs.decision.astype(str)) <= {"match", "review", "non_match"}
    assert (result.review.decision == "review").all()
    m = result.manifest
    assert [p["name"] for p in m["blocking"]["passes"]][:2] == ["key:name_date", "key:name_pair"]
    assert 0.0 < m["blocking"]["reduction_ratio"] <= 1.0
    assert m["thresholds"]["source"] == "model" and m["thresholds"]["review"] <= m["thresholds"]["match"]
    assert len(m["inputs"]) == 5 and all(i["content_digest"].startswith("sha256:") for i in m["inputs"])
    assert m["levels"]["birth_date"]["names"] == ["different", "same year only", "same day and month, another year",
                                                  "day and month swapped", "exact"]
    assert m["levels"]["birth_date.sex"]["names"] == ["disagree", "agree"]
    assert m["estimation"]["u_stated_by_exports"] == ["birth_date.nationality", "birth_date.sex"]
    assert len(m["levels"]["name"]["names"]) == len(m["levels"]["name"]["cuts"]) + 1


def test_results_are_reproducible_bit_for_bit(demo_files, tmp_path):
    config = io.load_link_job(JOB)
    first = link(_exports(demo_files), config)
    second = link(_exports(demo_files), config)
    pd.testing.assert_frame_equal(first.entities, second.entities)
    pd.testing.assert_frame_equal(first.pairs, second.pairs)
    io.write_link_result(first, tmp_path / "a")
    io.write_link_result(second, tmp_path / "b")
    for name in ("entities.parquet", "entities.csv", "pairs.parquet", "review.parquet", "review.csv",
                 "envelopes.parquet", "exports.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_one_export_is_deduplication(demo_files):
    result = link(_exports(demo_files, ["foreigners_authority"]), io.load_link_job(JOB))
    assert set(result.entities.agency) == {"foreigners_authority"}
    persons = _persons(result, demo_files)
    assert pair_quality(result.labels, persons).recall > 0.5  # within-agency duplicates are found


def test_refuses_exports_of_another_secret_or_schema_or_agency(demo_files, tmp_path):
    data = demo_files["data"]
    export = data.exports[0]
    source = demo_files["root"] / "exports" / export.file_name
    other = tmp_path / "other.parquet"
    jobs.encode_file(source, CONFIGS / export.config_name, other, secret=OTHER_SECRET,
                     quarantine_path=tmp_path / "q.csv", reference_map_path=tmp_path / "r.csv",
                     **_consent(demo_files["root"], export.agency))
    exports = _exports(demo_files, ["jobcentre"]) + [io.read_encoded(other)]
    with pytest.raises(IntegrityError, match="different project secret"):
        link(exports, io.load_link_job(None), names=["a.parquet", "other.parquet"])
    schema_dir = tmp_path / "cfg"
    shutil.copytree(CONFIGS, schema_dir)
    schema = schema_dir / "schema.toml"
    schema.write_text(schema.read_text().replace("num_bits = 256\ntokens = { bigram = 22 }",
                                                 "num_bits = 128\ntokens = { bigram = 11 }"))
    changed = tmp_path / "changed.parquet"
    jobs.encode_file(source, schema_dir / export.config_name, changed, secret=SECRET,
                     quarantine_path=tmp_path / "q2.csv", reference_map_path=tmp_path / "r2.csv",
                     **_consent(demo_files["root"], export.agency))
    with pytest.raises(IntegrityError, match="different schema"):
        link(_exports(demo_files, ["jobcentre"]) + [io.read_encoded(changed)], io.load_link_job(None))
    twice = _exports(demo_files, ["jobcentre", "jobcentre"])
    with pytest.raises(IntegrityError, match="both come from agency 'jobcentre'"):
        link(twice, io.load_link_job(None))
    with pytest.raises(IntegrityError, match="no encoded exports"):
        link([], io.load_link_job(None))


def test_a_single_record_is_one_person(demo_files):
    export = _exports(demo_files, ["coordination_office"])[0]
    single = dataclasses.replace(export, table=export.table.slice(0, 1),
                                 metadata={**export.metadata, "record_count": 1})
    result = link([single], io.load_link_job(None))
    assert len(result.entities) == 1 and result.pairs.empty and result.manifest["counts"]["entities"] == 1
    assert "no candidate pairs" in " ".join(result.model.notes)


def test_unknown_field_in_levels_is_a_config_error(demo_files):
    config = dataclasses.replace(io.load_link_job(None), levels={"shoe_size": (0.5,)})
    with pytest.raises(ConfigError, match="comparison.levels.shoe_size"):
        link(_exports(demo_files, ["jobcentre"]), config)


def test_fixed_thresholds_from_the_job_config(demo_files):
    config = parse_link_job({"scoring": {"match_threshold": 0.9, "review_threshold": 0.4}})
    result = link(_exports(demo_files), config)
    assert result.manifest["thresholds"] == {"match": 0.9, "review": 0.4, "source": "job config"}
    p = result.pairs
    assert (p.probability[p.decision == "match"] >= 0.9).all()
    band = ((p.probability >= 0.4) & (p.probability < 0.9)).sum()
    assert band == result.manifest["counts"]["undecided"] == (p.decision == "review").sum()
    assert len(result.review) == min(band, result.manifest["review_queue"]["cap"])


def test_to_levels_cuts_and_missing():
    sims = np.array([[0.1, np.nan], [0.55, 1.0], [0.97, 0.2]], np.float32)
    levels = to_levels(sims, [(0.5, 0.9), (0.5,)])
    assert levels.tolist() == [[0, -1], [1, 1], [2, 0]]


def test_cli_link_writes_the_result_directory(demo_files, tmp_path):
    out = tmp_path / "result"
    paths = [str(p) for p in demo_files["encoded"].values()]
    key = ["--signing-key", str(demo_files["unit_key"])]
    run = CliRunner().invoke(cli, ["link", "--config", str(JOB), *paths, "-o", str(out), *key])
    assert run.exit_code == 0, run.output
    assert "persons ->" in run.output and "estimated pair completeness" in run.output
    assert sorted(p.name for p in out.iterdir()) == sorted(io.RESULT_FILES)
    again = CliRunner().invoke(cli, ["link", *paths, "-o", str(out), *key])  # replaces the previous result
    assert again.exit_code == 0, again.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_cli_link_refuses_tampered_and_foreign_files(demo_files, tmp_path):
    good = demo_files["encoded"]["jobcentre"]
    bad = tmp_path / "tampered.parquet"
    raw = bytearray(good.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    bad.write_bytes(bytes(raw))
    key = ["--signing-key", str(demo_files["unit_key"])]
    run = CliRunner().invoke(cli, ["link", str(good), str(bad), "-o", str(tmp_path / "r"), *key])
    assert run.exit_code == 6 and "tampered.parquet" in run.output
    assert not (tmp_path / "r").exists()
    run = CliRunner().invoke(cli, ["link", str(good), "--expect-key-check", "0000-0000-0000-0000",
                                   "-o", str(tmp_path / "r"), *key])
    assert run.exit_code == 6 and "different project secret" in run.output
    run = CliRunner().invoke(cli, ["link", str(good), "--config", str(tmp_path / "missing.toml"),
                                   "-o", str(tmp_path / "r"), *key])
    assert run.exit_code == 3


def test_no_record_value_reaches_the_linkage_result(demo_files, tmp_path):
    canary = "Zzyqxcanaryname"
    export = demo_files["data"].exports[1]  # jobcentre, CSV
    source = demo_files["root"] / "exports" / export.file_name
    text = source.read_text(encoding="utf-8").splitlines()
    planted = tmp_path / export.file_name
    cells = text[1].split(",")
    cells[1] = canary
    planted.write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n", encoding="utf-8")
    encoded = tmp_path / "planted.parquet"
    jobs.encode_file(planted, CONFIGS / export.config_name, encoded, secret=SECRET,
                     **_consent(demo_files["root"], export.agency))
    out = tmp_path / "result"
    run = CliRunner().invoke(cli, ["link", str(encoded), str(demo_files["encoded"]["foreigners_authority"]),
                                   "-o", str(out), "--signing-key", str(demo_files["unit_key"])])
    assert run.exit_code == 0, run.output
    assert canary.lower() not in run.output.lower()
    for path in [encoded, *out.iterdir()]:
        assert canary.lower().encode() not in path.read_bytes().lower(), path.name


def _names_only(filters: np.ndarray):
    from linkage.records import FieldData, RecordSet

    n = len(filters)
    present = filters.any(axis=2)
    return RecordSet(("a",), np.zeros(n, np.int64), np.array([f"r{i}" for i in range(n)], dtype=object),
                     (FieldData("name", "name", filters, present),), None, None, {}, {}, "s", "k")


def test_name_frequency_adjustment_follows_winkler():
    from linkage.estimate import frequency_adjustment

    def name_frequency_adjustment(*args, cap):
        return frequency_adjustment(*args, kinds={"name"}, cap=cap)

    rng = np.random.default_rng(5)
    values = rng.integers(0, 256, (4, 2, 8), dtype=np.uint8)  # four distinct names of two parts
    which = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 3])  # a common name (6 records), a rare one (2), two unique
    filters = values[which]
    filters[9] = 0  # the last record has no name at all
    records = _names_only(filters)
    ia, ib = np.array([0, 6, 0, 8, 2]), np.array([1, 7, 6, 9, 3])
    levels = np.array([[3], [3], [3], [3], [2]], np.int8)  # top level is 3 of 4; the last pair is not at the top
    delta, stats = name_frequency_adjustment(records, ia, ib, levels, (4,), cap=8.0)
    squares, total = 36 + 4 + 1, 9  # counts of the records that have a name
    assert delta[0] == pytest.approx(np.log2(squares / (total * 6)))
    assert delta[1] == pytest.approx(np.log2(squares / (total * 2)))
    assert delta[0] < delta[1]  # the common name weighs less
    assert delta[2] == 0 and delta[3] == 0 and delta[4] == 0  # different names, no name, not at the top
    assert stats["name"]["pairs_adjusted"] == 2
    capped, _ = name_frequency_adjustment(records, ia, ib, levels, (4,), cap=0.5)
    assert np.abs(capped).max() <= 0.5


def test_term_frequencies_can_be_switched_off(demo_files):
    job = io.load_link_job(JOB)
    assert job.scoring.name_frequency and job.scoring.date_frequency  # on by default (README, Linking)
    off = dataclasses.replace(job, scoring=dataclasses.replace(job.scoring, name_frequency=False,
                                                                date_frequency=False))
    with_it, without = link(_exports(demo_files), job), link(_exports(demo_files), off)
    assert with_it.manifest["term_frequency"]["name"]["pairs_adjusted"] > 0
    assert with_it.manifest["term_frequency"]["birth_date"]["pairs_adjusted"] > 0
    assert without.manifest["term_frequency"] == {}
    levels = np.column_stack([without.pairs[f"level_{f}"] for f in without.model.fields])
    assert np.allclose(without.pairs["probability"], without.model.probabilities(levels))
    sims = np.column_stack([without.pairs[f"sim_{f}"] for f in ("name", "place")])
    assert (to_levels(sims, [without.manifest["levels"][f]["cuts"] for f in ("name", "place")])
            == levels[:, [0, 5]]).all()
    assert not np.allclose(with_it.pairs["probability"], with_it.model.probabilities(levels))
