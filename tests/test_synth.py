"""Tests of the synthetic data generator and of writing its exports to files."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage import consent, seal

from linkage import encode, generate_secret
from linkage.io import load_export_config, read_consent_register, read_table
from linkage.io.synth_files import write_synth
from linkage.synth import AGENCIES, DATA_CLASSES, REGISTER_DATE, SHARING_PURPOSE, AgencyExport, SynthData, generate

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
    assert list(again.consent) == list(AGENCIES)
    for agency in AGENCIES:
        pd.testing.assert_frame_equal(small.consent[agency], again.consent[agency])
    other = generate(300, seed=12)
    assert any(not a.frame.equals(b.frame) for a, b in zip(small.exports, other.exports))
    assert any(not small.consent[a].equals(other.consent[a]) for a in AGENCIES)


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


@pytest.fixture(scope="module")
def keyring() -> seal.Keyring:
    return seal.Keyring({name: seal.generate_recipient_key(name).public_key for name in AGENCIES})


@pytest.mark.parametrize("agency", AGENCIES)
def test_written_file_reads_back_and_encodes_quarantining_only_records_without_basis(
    medium: SynthData, written: dict[str, Path], keyring: seal.Keyring, agency: str
) -> None:
    export = medium.export(agency)
    config = load_export_config(CONFIGS / export.config_name)
    table = read_table(written[agency], config.input)
    assert len(table.malformed) == 0
    pd.testing.assert_frame_equal(table.frame, export.frame, check_dtype=False)
    register = read_consent_register(written[f"consent/{agency}"])
    result = encode(table.frame, config, secret=generate_secret(), row_numbers=table.row_numbers,
                    consent=register, keyring=keyring)
    ids = export.frame[config.id_column]
    no_basis = ~consent.linkage_basis_mask(register, ids, REGISTER_DATE)
    assert result.quarantine["field"].eq("consent").all(), result.quarantine.head().to_dict("records")
    assert result.quarantine["row_number"].tolist() == np.asarray(table.row_numbers)[no_basis].tolist()
    assert result.export.table.num_rows == len(export.frame) - no_basis.sum()
    assert (no_basis.sum() > 0) == (agency in ("course_provider", "coordination_office"))


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


# ------------------------------------------------------------------------------ capture dates

CAPTURED = {
    "foreigners_authority": ("LETZTE_AENDERUNG", "%d.%m.%Y", r"\d\d\.\d\d\.\d{4}"),
    "jobcentre": ("Stand", "%d.%m.%Y", r"\d\d\.\d\d\.\d{4}"),
    "employment_agency": ("aenderungsdatum", "%Y-%m-%d", r"\d{4}-\d\d-\d\d"),
    "course_provider": ("Stand", "%d/%m/%Y", r"\d\d/\d\d/\d{4}"),
    "coordination_office": ("Erfasst am", "%d.%m.%y", r"\d\d\.\d\d\.\d\d"),
}


def _captured(data: SynthData, agency: str) -> pd.Series:
    export = data.export(agency)
    return pd.to_datetime(export.frame[export.captured_column], format=export.captured_format)


def test_capture_date_column_per_agency_in_its_style(medium: SynthData) -> None:
    for agency, (column, fmt, pattern) in CAPTURED.items():
        export = medium.export(agency)
        assert (export.captured_column, export.captured_format) == (column, fmt)
        values = export.frame[column]
        assert values.str.fullmatch(pattern).all(), agency  # never empty
        dates = pd.to_datetime(values, format=fmt)
        assert dates.min() >= pd.Timestamp("2023-01-01") and dates.max() <= pd.Timestamp("2026-06-30"), agency
        assert dates.dt.year.nunique() == 4, agency


def test_stale_language_levels_are_older_than_the_course_providers(medium: SynthData) -> None:
    truth = medium.truth
    levels = {}
    for agency, column in (("course_provider", "Niveau"), ("coordination_office", "Sprachniveau")):
        export = medium.export(agency)
        levels[agency] = pd.DataFrame({
            "record_id": export.frame[_id_column(export)], "level": export.frame[column],
            "date": _captured(medium, agency)}).merge(truth[truth.agency == agency], on="record_id")
    both = levels["coordination_office"].merge(levels["course_provider"], on="person_id", suffixes=("_co", "_cp"))
    stale = both[both.level_co != both.level_cp]
    assert len(stale) > 20
    assert (stale.level_co < stale.level_cp).all()  # behind, never ahead
    assert (stale.date_co < stale.date_cp).all()  # so newest-wins takes the course provider's level
    assert (both.date_co < both.date_cp).mean() > 0.75
    assert levels["coordination_office"].date.median() < levels["course_provider"].date.median()


# --------------------------------------------------------------------------- consent registers


@pytest.fixture(scope="module")
def registers(medium: SynthData) -> dict[str, consent.ConsentRegister]:
    return {a: consent.parse_register(medium.consent[a], source=a) for a in AGENCIES}


def test_registers_cover_every_record_and_only_those(medium: SynthData) -> None:
    for agency in AGENCIES:
        frame = medium.consent[agency]
        assert tuple(frame.columns) == consent.REGISTER_COLUMNS
        assert all(isinstance(v, str) for col in frame.columns for v in frame[col])
        ids = medium.export(agency).frame[_id_column(medium.export(agency))]
        assert set(frame.record_id) == set(ids)  # within-agency duplicates have their own rows
        linkage = frame[frame.purpose == "linkage"]
        assert linkage.record_id.is_unique and len(linkage) == len(ids)
        assert (linkage.recipients == "*").all() and (linkage.data_classes == "identity").all()
        assert frame.groupby("record_id", sort=False).purpose.first().eq("linkage").all()  # its first row


def test_registers_parse_and_every_status_appears(registers: dict[str, consent.ConsentRegister]) -> None:
    for agency, register in registers.items():
        counted = consent.counts(register, at=REGISTER_DATE)
        assert all(n > 0 for n in counted.by_purpose[SHARING_PURPOSE].values()), agency
        sharing = register.table[register.table.purpose == SHARING_PURPOSE]
        assert (sharing.legal_basis == "consent").all()


def test_statute_agencies_link_every_record(medium: SynthData, registers: dict[str, consent.ConsentRegister]) -> None:
    statutes = {"foreigners_authority": "statute:AufenthG §86", "jobcentre": "statute:SGB II §50",
                "employment_agency": "statute:SGB III §394"}
    for agency, statute in statutes.items():
        frame = medium.consent[agency]
        linkage = frame[frame.purpose == "linkage"]
        assert (linkage.legal_basis == statute).all() and (linkage.status == "accepted").all()
        ids = medium.export(agency).frame[_id_column(medium.export(agency))]
        assert consent.linkage_basis_mask(registers[agency], ids, REGISTER_DATE).all()
        assert consent.linkage_basis_mask(registers[agency], ids, date(2031, 1, 1)).all()


@pytest.mark.parametrize("agency", ["course_provider", "coordination_office"])
def test_consent_agencies_have_records_without_linkage_basis(
    medium: SynthData, registers: dict[str, consent.ConsentRegister], agency: str
) -> None:
    ids = medium.export(agency).frame[_id_column(medium.export(agency))]
    basis = consent.linkage_basis_mask(registers[agency], ids, REGISTER_DATE)
    assert 0.03 < 1 - basis.mean() < 0.1
    np.testing.assert_array_equal(basis, consent.linkage_basis_mask(registers[agency], ids, date(2040, 1, 1)))
    linkage = medium.consent[agency].query("purpose == 'linkage'").set_index("record_id").reindex(ids)
    assert (linkage.legal_basis == "consent").all()
    assert set(linkage.status[~basis]) == {"declined", "unknown"}
    rows = medium.consent[agency][medium.consent[agency].record_id.isin(ids[~basis])]
    assert len(rows) == (~basis).sum() and (rows.purpose == "linkage").all()  # no sharing rows without a basis


def test_sharing_grants_name_other_agencies_and_their_classes(medium: SynthData) -> None:
    for agency in AGENCIES:
        sharing = medium.consent[agency].query("purpose == @SHARING_PURPOSE")
        recipients = sharing.recipients.str.split(";").explode()
        assert recipients.str.fullmatch("[a-z][a-z0-9_]{0,39}|\\*").all()
        assert set(recipients) - {"*"} <= set(AGENCIES) - {agency}
        accepted = sharing[sharing.status == "accepted"]
        assert accepted.recipients.str.split(";").str.len().between(1, 4).all()
        classes = accepted.data_classes.str.split(";")
        assert classes.map(lambda c: c[0] == "identity" and set(c) <= set(DATA_CLASSES[agency])).all()
        per_record = sharing.groupby("record_id").size()
        assert (per_record == 2).any() and per_record.max() <= 2


def test_withdrawn_rows_come_later_and_end_the_grant(
    medium: SynthData, registers: dict[str, consent.ConsentRegister]
) -> None:
    for agency in AGENCIES:
        frame = medium.consent[agency]
        sharing = frame[frame.purpose == SHARING_PURPOSE]
        withdrawn = sharing[sharing.status == "withdrawn"]
        granted = sharing[sharing.status == "accepted"].merge(withdrawn, on="record_id", suffixes=("", "_w"))
        assert len(granted) == len(withdrawn) > 0
        assert (granted.recorded_w > granted.recorded).all()  # ISO strings compare as dates
        assert ((granted.recipients_w == "*") | (granted.recipients_w == granted.recipients)).all()
        assert (granted.recipients_w == "*").any()
        first = granted.recipients.str.split(";").str[0]
        for recipient in set(first):
            ids = granted.record_id[first == recipient]
            for at in (REGISTER_DATE, date(2031, 1, 1)):
                assert not consent.allows_mask(registers[agency], ids, recipient=recipient, purpose=SHARING_PURPOSE,
                                               data_class="identity", at=at).any()


def test_expired_grants_ended_before_2026_and_valid_ones_last(
    medium: SynthData, registers: dict[str, consent.ConsentRegister]
) -> None:
    for agency in AGENCIES:
        frame = medium.consent[agency]
        assert (frame.valid_from <= "2026-06-30").all() and (frame.recorded <= "2026-06-30").all()
        assert (frame.recorded != "").all()
        ends = frame.valid_until[frame.valid_until != ""]
        assert ((ends < "2026-01-01") | (ends > "2030-12-31")).all()
        ended = frame[(frame.valid_until != "") & (frame.valid_until < "2026-01-01")]
        assert set(ended.status) == {"accepted", "expired"}
        assert (frame.status != "expired").sum() == len(frame) - (ended.status == "expired").sum()
        ids, recipient = ended.record_id, ended.recipients.str.split(";").str[0]
        for name in set(recipient):
            assert not consent.allows_mask(registers[agency], ids[recipient == name], recipient=name,
                                           purpose=SHARING_PURPOSE, data_class="identity", at=REGISTER_DATE).any()


def test_most_records_share_something_with_someone(
    medium: SynthData, registers: dict[str, consent.ConsentRegister]
) -> None:
    for agency in AGENCIES:
        ids = medium.export(agency).frame[_id_column(medium.export(agency))]
        shared = np.zeros(len(ids), dtype=bool)
        for recipient in set(AGENCIES) - {agency}:
            allowed = consent.allows_mask(registers[agency], ids, recipient=recipient, purpose=SHARING_PURPOSE,
                                          data_class="identity", at=REGISTER_DATE)
            np.testing.assert_array_equal(allowed, consent.allows_mask(
                registers[agency], ids, recipient=recipient, purpose=SHARING_PURPOSE, data_class="identity",
                at=date(2030, 12, 31)))
            shared |= allowed
        assert 0.7 < shared.mean() < 0.9, agency


def test_written_registers_read_back(medium: SynthData, written: dict[str, Path],
                                     registers: dict[str, consent.ConsentRegister]) -> None:
    for agency in AGENCIES:
        path = written[f"consent/{agency}"]
        assert path == path.parent.parent / "consent" / f"{agency}.csv"
        assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(consent.REGISTER_COLUMNS)
        register = read_consent_register(path)
        pd.testing.assert_frame_equal(register.table, registers[agency].table)


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
