"""The canary test: planted unique values appear in no output, log, quarantine or error message.

An agency's export is encoded through the CLI; the only file allowed to hold a record value is
the agency's own reference map, and it holds the local id only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from linkage import io, jobs
from linkage.config import InputSpec
from linkage.errors import LinkageError
from linkage.normalize import name_parts
from linkage_cli.main import cli

GIVEN = "Zqxwvyt"
FAMILY = "Vyxqwöz-Kjrtp"
FATHER = "Wqzxyvn"
PLACE = "Xqvzbürg"
NATIONALITY = "Qxjvland"
LOCAL_ID = "ID-Kqzxw4711"
BIRTH_DATE = "17.03.1937"
DATE_FORMS = ["17.03.1937", "1937-03-17", "19370317", "1937-03", "17/03/1937"]
NAME_CANARIES = [GIVEN, FAMILY, FATHER, PLACE]


def forms() -> list[str]:
    """Every spelling a canary might leak in: as written, case-folded, normalised, its parts."""
    out = set(DATE_FORMS) | {NATIONALITY.casefold()}
    for value in NAME_CANARIES:
        out |= {value, value.casefold(), value.upper(), " ".join(name_parts(value)), *name_parts(value)}
    out.discard("")
    return sorted(out, key=len, reverse=True)


FORMS = forms()
ID_FORMS = [LOCAL_ID, LOCAL_ID.casefold(), "kqzxw4711"]


def assert_no_canary(text: str, where: str, *, allow_id: bool = False) -> None:
    folded = text.casefold()
    for form in FORMS + ([] if allow_id else ID_FORMS):
        assert form.casefold() not in folded, f"{form!r} leaked into {where}"


def assert_no_canary_bytes(data: bytes, where: str) -> None:
    folded = data.lower()
    for form in FORMS + ID_FORMS:
        for encoding in ("utf-8", "utf-16-le"):
            assert form.casefold().encode(encoding) not in folded, f"{form!r} ({encoding}) leaked into {where}"


HEADER = ["pid", "given", "family", "father", "dob", "sex", "nat", "birthplace"]


def canary_rows() -> list[list[str]]:
    return [
        ["A1", "Anna", "Schmidt", "Peter", "14.07.1990", "w", "DEU", "Köln"],
        [LOCAL_ID, GIVEN, FAMILY, FATHER, BIRTH_DATE, "m", NATIONALITY, PLACE],  # encoded
        ["A3", GIVEN, FAMILY, FATHER, f"{GIVEN} {BIRTH_DATE}", "m", NATIONALITY, PLACE],  # bad date
        ["A4", FAMILY, GIVEN, "", "1937-03-17", GIVEN, NATIONALITY, PLACE],  # bad sex code
        ["A5", GIVEN, FAMILY, BIRTH_DATE],  # wrong field count
        [LOCAL_ID, GIVEN, FAMILY, FATHER, BIRTH_DATE, "m", NATIONALITY, PLACE],  # duplicate id
        ["A7", "", "", "", BIRTH_DATE, "m", NATIONALITY, PLACE],  # no name
        ["A8", GIVEN, "", "", "31.02.1937", "", "", ""],  # impossible date
    ]


@pytest.fixture
def canary_csv(write_csv) -> Path:
    return write_csv(canary_rows(), HEADER, name="export.csv")


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    assert not isinstance(result.exception, AssertionError)
    return result.exit_code, result.stdout + result.stderr


def test_canary_never_leaves_the_agency(canary_csv, make_export_config, key_file, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    config = make_export_config()
    out = tmp_path / "encoded.parquet"
    code, output = run(["encode", "--config", str(config), "--secret", str(key_file), "-o", str(out),
                        str(canary_csv)])
    assert code == 0, output
    assert "quarantined" in output  # the run did exercise the quarantine
    assert_no_canary(output, "CLI output")
    assert_no_canary(caplog.text, "logs")

    # the encoded export: raw bytes, decoded table, metadata, Parquet footer
    assert_no_canary_bytes(out.read_bytes(), "encoded file bytes")
    export = io.read_encoded(out)
    assert export.record_count == 2
    assert_no_canary(repr(export.table.to_pylist()), "encoded table")
    assert_no_canary(json.dumps(dict(export.metadata), ensure_ascii=False), "metadata")
    assert_no_canary(repr(pq.read_metadata(out).metadata), "Parquet footer")

    # the quarantine: row numbers, fields and reason codes only
    quarantine_path = canary_csv.with_name("export.quarantine.csv")
    quarantine = pd.read_csv(quarantine_path, dtype=str)
    assert list(quarantine.columns) == ["row_number", "field", "reason"]
    assert set(quarantine["row_number"].astype(int)) == {4, 5, 6, 7, 8, 9}
    assert_no_canary(quarantine_path.read_text(encoding="utf-8"), "quarantine file")

    # the reference map stays with the agency: local ids and record references, nothing else
    refmap_path = canary_csv.with_name("encoded.refmap.csv")  # named after the export
    refmap = pd.read_csv(refmap_path, dtype=str)
    assert list(refmap.columns) == ["local_id", "record_ref"]
    assert refmap["local_id"].tolist() == ["A1", LOCAL_ID]
    assert_no_canary(refmap_path.read_text(encoding="utf-8"), "reference map", allow_id=True)
    assert set(refmap["record_ref"]) == set(export.table.column("record_ref").to_pylist())

    # inspecting the export shows aggregates only
    for args in (["inspect", str(out)], ["inspect", "--json", str(out)]):
        code, output = run(args)
        assert code == 0
        assert_no_canary(output, "inspect output")
    assert_no_canary(caplog.text, "logs")


def test_canary_not_in_errors_for_bad_input(canary_csv, make_export_config, key_file, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "encoded.parquet"
    cases = []

    # a column named in the config is missing
    missing = make_export_config("missing.toml", columns={"id": "pid", "given_name": "given", "place": "Geburtsort"})
    cases.append(([str(missing), str(canary_csv)], 4, "'Geburtsort'"))

    # undecodable bytes right after a canary
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(HEADER).encode() + b"\n" + f"1,{GIVEN} {FAMILY}".encode() + b"\xfc,,,,,,\n")
    cases.append(([str(make_export_config()), str(latin)], 4, "offset"))

    # every row malformed
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(HEADER) + f"\n1,{GIVEN},{FAMILY}\n2,{PLACE}\n", encoding="utf-8")
    cases.append(([str(make_export_config()), str(ragged)], 4, "malformed"))

    # a broken CSV quote
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(",".join(HEADER) + f'\n1,"{GIVEN},{FAMILY}\n', encoding="utf-8")
    cases.append(([str(make_export_config()), str(quoted)], 4, "malformed"))

    for (config, data), expected_code, fragment in cases:
        code, output = run(["encode", "--config", config, "--secret", str(key_file), "-o", str(out), data])
        assert code == expected_code, output
        assert fragment in output
        assert code != 1, f"internal error for {data}: {output}"
        assert_no_canary(output, f"error output for {Path(data).name}")
    assert_no_canary(caplog.text, "logs")


def test_canary_not_in_library_exceptions(canary_csv, tmp_path, export_config, secret):
    """The exceptions themselves (message, repr and cause) hold no value either."""
    problems: list[BaseException] = []
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"pid;given\n1;" + GIVEN.encode() + b"\xfc\n")
    bad_xlsx = tmp_path / "bad.xlsx"
    bad_xlsx.write_bytes(b"PK\x03\x04" + GIVEN.encode())
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(GIVEN.encode() * 10)
    calls = [
        lambda: io.read_table(latin, InputSpec()),
        lambda: io.read_table(bad_xlsx, InputSpec()),
        lambda: io.read_table(bad_parquet, InputSpec()),
        lambda: io.read_encoded(canary_csv),
        lambda: io.read_secret(canary_csv),
        lambda: io.load_schema(canary_csv),
        lambda: jobs.encode_file(canary_csv, tmp_path / "nope.toml", tmp_path / "o.parquet", secret=secret),
    ]
    frame = pd.DataFrame([dict(zip(HEADER, row)) for row in canary_rows() if len(row) == len(HEADER)])
    from linkage import encode

    calls.append(lambda: encode(frame.drop(columns=["dob"]), export_config, secret=secret))
    for call in calls:
        with pytest.raises(LinkageError) as info:
            call()
        problems.append(info.value)
    for exc in problems:
        for text in (str(exc), repr(exc), str(exc.__cause__ or ""), str(getattr(exc, "problems", ""))):
            assert_no_canary(text, f"{type(exc).__name__}: {str(exc)[:60]}")


def test_internal_errors_hide_their_message(canary_csv, make_export_config, key_file, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError(f"value {GIVEN} {BIRTH_DATE} broke something")

    monkeypatch.setattr(jobs, "encode_file", explode)
    code, output = run(["encode", "--config", str(make_export_config()), "--secret", str(key_file),
                        "-o", str(tmp_path / "o.parquet"), str(canary_csv)])
    assert code == 1
    assert "internal error (RuntimeError)" in output and "--debug" in output
    assert_no_canary(output, "internal error output")
