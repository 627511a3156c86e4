"""Tests of the synthetic data generator and of writing its exports to files."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage import encode, generate_secret
from linkage.io import load_export_config, read_table
from linkage.io.synth_files import write_synth
from linkage.synth import AGENCIES, AgencyExport, SynthData, generate

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def small() -> SynthData:
    return generate(300, seed=11)


@pytest.fixture(scope="module")
def medium() -> SynthData:
    return generate(2000, seed=3)


@pytest.fixture(scope="module")
def written(medium: SynthData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_synth(medium, tmp_path_factory.mktemp("synth"))


def _id_column(export: AgencyExport) -> str:
    return load_export_config(CONFIGS / export.config_name).id_column


def _all_values(data: SynthData) -> list[str]:
    return [v for e in data.exports for col in e.frame.columns for v in e.frame[col].tolist()]


# ------------------------------------------------------------------------------------ contract


def test_agencies_in_order_with_their_files(small: SynthData) -> None:
    assert tuple(e.agency for e in small.exports) == AGENCIES
    suffixes = {e.agency: Path(e.file_name).suffix for e in small.exports}
    assert suffixes == {"foreigners_authority": ".csv", "jobcentre": ".csv", "employment_agency": ".parquet",
                        "course_provider": ".xlsx", "coordination_office": ".csv"}
    for e in small.exports:
        assert (CONFIGS / e.config_name).is_file()
        assert load_export_config(CONFIGS / e.config_name).agency == e.agency


def test_every_cell_is_a_string(small: SynthData) -> None:
    values = _all_values(small)
    assert values and all(isinstance(v, str) for v in values)
    assert all(isinstance(v, str) for col in small.truth.columns for v in small.truth[col])


def test_same_seed_same_data_and_other_seed_differs(small: SynthData) -> None:
    again = generate(300, seed=11)
    for a, b in zip(small.exports, again.exports):
        pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(small.truth, again.truth)
    other = generate(300, seed=12)
    assert any(not a.frame.equals(b.frame) for a, b in zip(small.exports, other.exports))


def test_truth_covers_every_record_exactly_once(medium: SynthData) -> None:
    truth = medium.truth
    assert list(truth.columns) == ["agency", "record_id", "person_id"]
    assert not truth.duplicated(["agency", "record_id"]).any()
    assert len(truth) == sum(len(e.frame) for e in medium.exports)
    for e in medium.exports:
        ids = e.frame[_id_column(e)]
        assert ids.is_unique and (ids != "").all()
        assert set(truth.loc[truth.agency == e.agency, "record_id"]) == set(ids)
    assert truth.person_id.nunique() <= 2000


def test_coverage_mostly_two_to_four_agencies_with_duplicates(medium: SynthData) -> None:
    truth = medium.truth
    per_person = truth.groupby("person_id").agency.nunique()
    assert per_person.between(2, 4).mean() > 0.6
    for agency, group in truth.groupby("agency"):
        share = 1 - group.person_id.nunique() / len(group)
        assert 0.01 < share < 0.1, agency


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_invalid_person_count_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="persons"):
        generate(bad, seed=1)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- files + encode


@pytest.mark.parametrize("agency", AGENCIES)
def test_written_file_reads_back_and_encodes_without_quarantine(
    medium: SynthData, written: dict[str, Path], agency: str
) -> None:
    export = medium.export(agency)
    config = load_export_config(CONFIGS / export.config_name)
    table = read_table(written[agency], config.input)
    assert len(table.malformed) == 0
    pd.testing.assert_frame_equal(table.frame, export.frame, check_dtype=False)
    result = encode(table.frame, config, secret=generate_secret(), row_numbers=table.row_numbers)
    assert len(result.quarantine) == 0, result.quarantine.head().to_dict("records")
    assert result.export.table.num_rows == len(export.frame)


def test_truth_file_is_written(medium: SynthData, written: dict[str, Path]) -> None:
    truth = pd.read_csv(written["truth"], dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(truth, medium.truth, check_dtype=False)


def test_coordination_office_file_is_cp1252_and_tab_separated(written: dict[str, Path]) -> None:
    raw = written["coordination_office"].read_bytes()
    text = raw.decode("cp1252")
    assert "\t" in text.splitlines()[0] and "\r\n" in text
    with pytest.raises(UnicodeDecodeError):
        written["foreigners_authority"].read_bytes().decode("ascii")  # Arabic script is there


# ------------------------------------------------------------------------------- realism checks


def test_placeholder_dates_occur(small: SynthData) -> None:
    dates = small.export("foreigners_authority").frame["GEBURTSDATUM"]
    assert dates.str.startswith("01.01.").any()


def test_date_formats_per_agency(medium: SynthData) -> None:
    patterns = {
        "foreigners_authority": ("GEBURTSDATUM", r"\d\d\.\d\d\.\d{4}"),
        "jobcentre": ("Geburtsdatum", r"\d\d\.\d\d\.\d{4}"),
        "employment_agency": ("geburtsdatum", r"\d{4}-\d\d-\d\d"),
        "course_provider": ("Geburtsdatum", r"\d{1,2}/\d{1,2}/\d{4}"),
        "coordination_office": ("Geb.-Datum", r"\d\d\.\d\d\.\d\d"),
    }
    for agency, (col, pattern) in patterns.items():
        values = medium.export(agency).frame[col]
        present = values[values != ""]
        assert present.str.fullmatch(pattern).all(), agency
    fa = medium.export("foreigners_authority").frame["GEBURTSDATUM"]
    assert fa.str.startswith("00.").any()


def test_name_styles_and_scripts(medium: SynthData) -> None:
    fa = medium.export("foreigners_authority").frame
    assert (fa["FAMILIENNAME"] == fa["FAMILIENNAME"].str.upper()).all()
    original = " ".join(fa["NAME_ORIGINALSCHRIFT"])
    assert re.search("[\u0600-\u06ff]", original) and re.search("[\u0400-\u04ff]", original)
    full = medium.export("course_provider").frame["Name"]
    assert full.str.contains(", ").any() and (~full.str.contains(",")).any()
    co = medium.export("coordination_office").frame
    for col in co.columns:
        assert all(v.encode("cp1252") is not None for v in co[col])
    assert (co["Name des Vaters"] != "").mean() > 0.7
    jc = medium.export("jobcentre").frame
    assert ((jc["Nachname"] == "") & (jc["Staatsangehörigkeit"] == "Afghanistan")).any()  # no family name


def test_romanisation_variants_occur(medium: SynthData) -> None:
    words = {w for v in _all_values(medium) for w in re.split(r"[\s,]+", v)}
    mohammed = {"Mohammed", "Muhammad", "Mohamad", "Mohamed", "Mouhamed", "Mohammad", "MOHAMMED", "MUHAMMAD"}
    assert len(words & mohammed) >= 4
    assert any(w.startswith(("Al-", "AL-")) for w in words) and any(w.startswith(("El-", "EL-")) for w in words)
    assert any(w.startswith("Al") and w[2:3].islower() and len(w) > 4 for w in words)  # "Alhassan"


def test_household_members_share_family_names(medium: SynthData) -> None:
    jc = medium.export("jobcentre").frame.merge(
        medium.truth[medium.truth.agency == "jobcentre"], left_on="Kundennummer", right_on="record_id")
    multi = jc.groupby("BG-Nummer").filter(lambda g: g.person_id.nunique() >= 3)
    shared = multi.groupby("BG-Nummer").Nachname.agg(lambda s: s.str.lower().value_counts().iloc[0] >= 2)
    assert len(shared) > 0 and shared.mean() > 0.3


def test_two_thousand_persons_is_quick() -> None:
    data = generate(2000, seed=99)
    assert all(len(e.frame) > 100 for e in data.exports)


# --------------------------------------------------------------------------------------- name data


def test_name_data_is_well_formed() -> None:
    from linkage.synth._tables import tables

    t = tables()
    assert t.given.num_groups >= 150 and t.family.num_groups >= 100
    for table in (t.given, t.family, t.place):
        assert np.all(np.diff(table.cum) > -1e-12)  # cumulative, group by group
        for g in range(table.num_groups):
            spellings = table.strings[table.group == g].tolist()
            assert spellings and len(spellings) == len(set(spellings))
            for s in spellings:
                letters = [c for c in s if c.isalpha()]
                assert all(unicodedata.name(c).startswith("LATIN") for c in letters), s
                assert re.fullmatch(r"[^\W\d_]+(?:[ '\-.()]+[^\W\d_]*)*\)?", s), s
    arabic = [s for s in t.given.script if s and not re.search("[\u0400-\u04ff]", s)]
    assert all(re.fullmatch(r"[\u0600-\u06ff ]+", s) for s in arabic)
