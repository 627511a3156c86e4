"""The ``linkage`` CLI through click's runner: help everywhere, keys, encode, inspect, exit codes."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import linkage
from linkage import io
from linkage_cli import main as cli_main
from linkage_cli.main import cli

KCV_RE = re.compile(r"key check value:? ([0-9a-f]{4}(?:-[0-9a-f]{4}){3})")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out += all_commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def test_exit_codes_are_documented_and_match_the_errors():
    doc = cli_main.__doc__ or ""
    table = dict(re.findall(r"^(\d)\s+(.+)$", doc, re.MULTILINE))
    assert set(table) == {str(i) for i in range(9)}
    from linkage import errors

    assert errors.ConfigError.exit_code == 3 and "configuration" in table["3"]
    assert errors.DataError.exit_code == 4 and "input data" in table["4"]
    assert errors.KeyFileError.exit_code == 5 and "key file" in table["5"]
    assert errors.IntegrityError.exit_code == 6 and "integrity" in table["6"]
    assert errors.ConsentError.exit_code == 7 and "consent" in table["7"]
    assert cli_main.EXIT_QUARANTINE == 8 and "--fail-on-quarantine" in table["8"]
    assert errors.OutputError.exit_code == 2 and "refused output path" in table["2"]


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "linkage")
def test_every_command_has_help(path):
    for flag in ("--help", "-h"):
        result = invoke(*path, flag)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Usage: ")
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help and len(command.help.split()) >= 5, f"{path} has no real help text"


def test_all_commands_are_listed():
    assert {p[0] for p in all_commands() if p} >= {"keys", "encode", "inspect", "synth", "demo"}
    assert ("keys", "init") in all_commands() and ("keys", "check") in all_commands()


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and linkage.__version__ in result.output


def test_usage_errors_exit_2(tmp_path):
    assert invoke("encode").exit_code == 2
    assert invoke("no-such-command").exit_code == 2
    assert invoke("keys", "init").exit_code == 2
    assert invoke("inspect", "--bogus", tmp_path / "x.parquet").exit_code == 2


# ------------------------------------------------------------------------------------------ keys


def test_keys_init_and_check(tmp_path):
    path = tmp_path / "project.key"
    result = invoke("keys", "init", path)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kcv = KCV_RE.search(result.output).group(1)
    assert kcv == io.read_secret(path).key_check_value
    assert io.read_secret(path).key.hex() not in result.output
    check = invoke("keys", "check", path)
    assert check.exit_code == 0 and KCV_RE.search(check.output).group(1) == kcv


def test_keys_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "project.key"
    assert invoke("keys", "init", path).exit_code == 0
    before = path.read_bytes()
    result = invoke("keys", "init", path)
    assert result.exit_code == 5
    assert "already exists" in result.stderr
    assert path.read_bytes() == before


def test_keys_check_refuses_an_exposed_key(key_file):
    os.chmod(key_file, 0o644)
    result = invoke("keys", "check", key_file)
    assert result.exit_code == 5
    assert "chmod 600" in result.stderr


def test_keys_check_missing_and_garbage(tmp_path):
    assert invoke("keys", "check", tmp_path / "nope.key").exit_code == 5
    garbage = tmp_path / "garbage.key"
    garbage.write_text("hello")
    os.chmod(garbage, 0o600)
    result = invoke("keys", "check", garbage)
    assert result.exit_code == 5 and "not a linkage project secret" in result.stderr


# ---------------------------------------------------------------------------------------- encode


@pytest.fixture
def encode_args(write_csv, make_export_config, key_file, tmp_path):
    def build(*extra: str | Path, csv_path: Path | None = None, config: Path | None = None,
              secret: Path | None = None) -> list[str | Path]:
        return ["encode", "--config", config or make_export_config(), "--secret", secret or key_file,
                "-o", tmp_path / "encoded" / "agency.parquet", csv_path or write_csv(), *extra]

    return build


def test_encode_happy_path(encode_args, tmp_path, secret):
    result = invoke(*encode_args())
    assert result.exit_code == 0, result.output
    out = tmp_path / "encoded" / "agency.parquet"
    assert "test-agency: 5 of 5 rows encoded" in result.stdout
    assert secret.key_check_value in result.stdout
    export = io.read_encoded(out, expected_key_check=secret.key_check_value)
    assert export.record_count == 5
    quarantine = pd.read_csv(tmp_path / "input.quarantine.csv")
    assert quarantine.empty and list(quarantine.columns) == ["row_number", "field", "reason"]
    refmap = pd.read_csv(tmp_path / "agency.refmap.csv", dtype=str)  # named after the export
    assert refmap["local_id"].tolist() == ["A1", "A2", "A3", "A4", "A5"]
    assert "quarantined" not in result.stderr


def test_encode_with_explicit_side_paths(encode_args, tmp_path):
    q, ref = tmp_path / "side" / "q.csv", tmp_path / "side" / "ref.csv"
    result = invoke(*encode_args("--quarantine", q, "--ref-map", ref))
    assert result.exit_code == 0, result.output
    assert q.is_file() and ref.is_file()
    assert not (tmp_path / "agency.refmap.csv").exists()


def test_encode_quarantine_is_reported_and_can_fail_the_run(encode_args, write_csv, tmp_path):
    rows = [["A1", "Anna", "Schmidt", "", "14.07.1990", "w", "", ""],
            ["A1", "Anna", "Schmidt", "", "14.07.1990", "w", "", ""],
            ["A3", "Carl", "", "", "31.31.1990", "m", "", ""],
            ["A4", "Dora"]]
    csv_path = write_csv(rows)
    result = invoke(*encode_args(csv_path=csv_path))
    assert result.exit_code == 0, result.output
    assert "1 of 4 rows encoded" in result.stdout
    assert "3 rows quarantined" in result.stderr
    assert "id.duplicate: 1" in result.stderr and "row.field_count: 1" in result.stderr
    quarantine = pd.read_csv(tmp_path / "input.quarantine.csv")
    assert quarantine.values.tolist() == [[3, "id", "duplicate"], [4, "birth_date", quarantine.loc[1, "reason"]],
                                          [5, "row", "field_count"]]
    assert quarantine.loc[1, "reason"] in {"unparseable", "invalid_date", "invalid_calendar_date"}
    failed = invoke(*encode_args("--fail-on-quarantine", csv_path=csv_path))
    assert failed.exit_code == 8
    assert (tmp_path / "encoded" / "agency.parquet").is_file()
    clean = invoke(*encode_args("--fail-on-quarantine"))
    assert clean.exit_code == 0


def test_encode_config_error_exits_3(encode_args, make_export_config):
    bad = make_export_config("bad.toml", version=2, colour="blue")
    result = invoke(*encode_args(config=bad))
    assert result.exit_code == 3
    assert "version: must be 1" in result.stderr and "colour: is not a known setting" in result.stderr
    assert invoke(*encode_args(config=bad.with_name("missing.toml"))).exit_code == 3


def test_encode_data_errors_exit_4(encode_args, make_export_config, tmp_path):
    missing_column = make_export_config("m.toml", columns={"id": "pid", "given_name": "Vorname"})
    result = invoke(*encode_args(config=missing_column))
    assert result.exit_code == 4 and "'Vorname'" in result.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert invoke(*encode_args(csv_path=empty)).exit_code == 4
    assert invoke(*encode_args(csv_path=tmp_path / "nope.csv")).exit_code == 4
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"pid,given\n1,J\xfcrgen\n")
    result = invoke(*encode_args(csv_path=latin))
    assert result.exit_code == 4 and "offset" in result.stderr


def test_encode_key_file_errors_exit_5(encode_args, key_file, tmp_path):
    os.chmod(key_file, 0o640)
    assert invoke(*encode_args()).exit_code == 5
    assert not (tmp_path / "encoded").exists()
    assert invoke(*encode_args(secret=tmp_path / "none.key")).exit_code == 5


# --------------------------------------------------------------------------------------- inspect


@pytest.fixture
def encoded_file(encode_args, tmp_path) -> Path:
    assert invoke(*encode_args()).exit_code == 0
    return tmp_path / "encoded" / "agency.parquet"


def test_inspect_text(encoded_file, secret):
    result = invoke("inspect", encoded_file)
    assert result.exit_code == 0, result.output
    assert "signature valid" in result.stdout
    assert secret.key_check_value in result.stdout
    assert "fill" in result.stdout and "blocking keys" in result.stdout


def test_inspect_json(encoded_file, secret):
    result = invoke("inspect", "--json", encoded_file, "--expect-key-check", secret.key_check_value)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["signature"] == "valid"
    assert info["record_count"] == 5 and info["agency"] == "test-agency"
    assert info["key_check_value"] == secret.key_check_value
    fields = info["fields"]
    assert set(fields) == {"name", "father_name", "birth_date", "place"}  # sex and nationality: bound to the date
    for name, field in fields.items():
        assert 0.0 <= field["fill_rate"] <= 1.0, name
    assert fields["name"]["present"] == 5 and fields["name"]["mean_parts"] == 2.0  # AL-HASSAN is one part: the article goes
    assert fields["birth_date"]["present"] == 4 and fields["father_name"]["present"] == 3
    assert 0.01 < fields["birth_date"]["fill_rate"] < 0.2  # split slices: a few tokens of 8 bits in 128 each
    assert 0.0 < info["record_filter"]["fill_rate"] < 1.0
    assert info["blocking"]["name_date"]["records_with_key"] == 2  # full dates only (not 1 January, not 00.00)
    assert info["stats"]["input_rows"] == 5
    text = result.stdout.casefold()
    for value in ("anna", "schmidt", "mohammad", "14.07.1990", "1990-07-14", "köln", "aleppo", '"a1"'):
        assert value not in text


def test_inspect_wrong_key_check_exits_6(encoded_file, other_secret):
    result = invoke("inspect", encoded_file, "--expect-key-check", other_secret.key_check_value)
    assert result.exit_code == 6
    assert "different project secret" in result.stderr


def test_inspect_tampered_or_foreign_files_exit_6(encoded_file, tmp_path):
    data = bytearray(encoded_file.read_bytes())
    data[len(data) // 3] ^= 0xFF
    tampered = tmp_path / "tampered.parquet"
    tampered.write_bytes(bytes(data[: len(data) // 2]))
    assert invoke("inspect", tampered).exit_code == 6
    foreign = tmp_path / "foreign.parquet"
    foreign.write_text("id,name\n1,a\n")
    assert invoke("inspect", foreign).exit_code == 6
    assert invoke("inspect", tmp_path / "nope.parquet").exit_code == 6

