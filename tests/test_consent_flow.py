"""The whole consent flow through files: registers -> encode -> link -> deliver -> view (issue #5).

A unique value is planted in one record's payload; it must reach exactly the recipients its
grants name, never a file the linkage unit holds, never the audit log, and it must leave the
next view once the grant is withdrawn.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from linkage import consent as K
from linkage import io, jobs, synth
from linkage.demo import example_configs_dir
from linkage.errors import IntegrityError
from linkage.seal import generate_recipient_key
from linkage.keys import generate_linkage_unit_key, generate_secret

PLANTED = "Qorvexilnumbratt"
AGENCIES = ("foreigners_authority", "jobcentre", "employment_agency", "course_provider", "coordination_office")
TODAY = dt.date(2026, 7, 1)
CREATED = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.timezone.utc)


def _planted_record(data: synth.SynthData) -> tuple[str, tuple[str, ...]]:
    """A jobcentre record with an identity grant to some recipients (and a linkage basis)."""
    register = K.parse_register(data.consent["jobcentre"])
    ids = data.export("jobcentre").frame["Kundennummer"].tolist()
    for record_id in ids:
        scopes = [s for s in K.scopes(register, record_id, TODAY)
                  if s.purpose == "integration_support" and ("identity" in s.data_classes or "*" in s.data_classes)
                  and s.valid_from <= TODAY]
        if scopes and K.linkage_basis(register, record_id, TODAY) and len(register.grants(record_id)) == 2:
            return record_id, tuple(sorted({s.recipient for s in scopes}))
    raise AssertionError("no jobcentre record with a sharing grant")


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    root = tmp_path_factory.mktemp("flow")
    data = synth.generate(150, seed=5)
    record_id, granted = _planted_record(data)
    frame = data.export("jobcentre").frame
    frame.loc[frame["Kundennummer"] == record_id, "Vorname"] = PLANTED
    io.write_synth(data, root / "exports")
    secret = generate_secret()
    keys = {}
    for name in AGENCIES:
        keys[name] = generate_recipient_key(name)
        io.create_recipient(keys[name], root / "keys" / f"{name}.key", root / "keys" / "keyring.json")
    io.create_linkage_unit_key(generate_linkage_unit_key(), root / "unit" / "lu.key")
    return root, data, secret, keys, record_id, granted


def _view(root: Path, package: Path, key: Path, out: Path, secret, **kwargs):
    return jobs.view_file(package, key, out, linkage_unit_key_path=root / "unit" / "lu.pub",
                          expected_key_check=secret.key_check_value, **kwargs)


def _run(root: Path, data: synth.SynthData, secret, keys, tag: str) -> dict[str, Path]:
    configs = example_configs_dir()
    encoded = []
    for export in data.exports:
        summary = jobs.encode_file(root / "exports" / export.file_name, configs / export.config_name,
                                   root / tag / "encoded" / f"{export.agency}.parquet", secret=secret,
                                   consent_path=root / "exports" / "consent" / f"{export.agency}.csv",
                                   keyring_path=root / "keys" / "keyring.json", created=CREATED)
        encoded.append(summary.output)
    jobs.link_files(encoded, root / tag / "result", signing_key_path=root / "unit" / "lu.key",
                    job_config_path=configs / "link_job.toml")
    views = {}
    for name in AGENCIES:
        package = root / tag / "packages" / f"{name}.parquet"
        jobs.deliver_file(root / tag / "result", name, package, signing_key_path=root / "unit" / "lu.key")
        summary = _view(root, package, root / "keys" / f"{name}.key", root / tag / "views" / f"{name}.csv", secret,
                        at=TODAY)
        views[name] = summary.outputs[0]
    return views


def _linkage_unit_files(root: Path, tag: str) -> list[Path]:
    return [p for sub in ("encoded", "result", "packages") for p in (root / tag / sub).rglob("*") if p.is_file()]


def test_planted_value_reaches_exactly_the_granted_recipients(flow):
    root, data, secret, keys, record_id, granted = flow
    views = _run(root, data, secret, keys, "first")
    for path in _linkage_unit_files(root, "first"):
        assert PLANTED.encode() not in path.read_bytes(), path
    assert PLANTED not in (root / "first" / "views" / "view-audit.jsonl").read_text(encoding="utf-8")
    for name, path in views.items():
        shown = PLANTED in path.read_text(encoding="utf-8")
        assert shown == (name in granted), (name, granted)


def test_withdrawal_removes_the_data_from_the_next_view(flow):
    root, data, secret, keys, record_id, granted = flow
    register_path = root / "exports" / "consent" / "jobcentre.csv"
    register = pd.read_csv(register_path, dtype=str, keep_default_na=False)
    withdrawal = pd.DataFrame([{"record_id": record_id, "legal_basis": "consent", "purpose": "integration_support",
                                "recipients": "*", "data_classes": "*", "valid_from": "2026-06-30",
                                "valid_until": "", "status": "withdrawn", "recorded": "2026-06-30"}])
    io.write_csv(pd.concat([register, withdrawal], ignore_index=True), register_path)
    views = _run(root, data, secret, keys, "second")
    for name, path in views.items():
        assert PLANTED not in path.read_text(encoding="utf-8"), name


def test_a_package_does_not_open_with_another_recipients_key(flow, tmp_path):
    root, data, secret, keys, record_id, granted = flow
    package = next((root / "first" / "packages").glob("*.parquet"))
    other = next(p for p in (root / "keys").glob("*.key") if p.stem != package.stem)
    with pytest.raises(IntegrityError, match="belongs to"):
        _view(root, package, other, tmp_path / "v.csv", secret, at=TODAY)


def test_cli_encode_deliver_view(flow, tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from linkage_cli.main import cli

    root, data, secret, keys, record_id, granted = flow
    runner = CliRunner()
    secret_path = tmp_path / "project.key"
    io.write_secret(secret_path, secret)
    export = data.export("jobcentre")
    encoded = tmp_path / "jobcentre.parquet"
    register = io.write_csv(data.consent["jobcentre"], tmp_path / "consent.csv")  # without the withdrawal
    run = runner.invoke(cli, ["encode", "--config", str(example_configs_dir() / export.config_name), "--secret",
                              str(secret_path), str(root / "exports" / export.file_name), "-o", str(encoded),
                              "--ref-map", str(tmp_path / "refmap.csv"), "--quarantine", str(tmp_path / "q.csv"),
                              "--consent", str(register),
                              "--keyring", str(root / "keys" / "keyring.json")])
    assert run.exit_code == 0, run.output
    assert "sealed" in run.output and PLANTED not in run.output
    assert keys[granted[0]].key_id in run.output  # agencies compare the key ids they sealed for
    missing = runner.invoke(cli, ["encode", "--config", str(example_configs_dir() / export.config_name), "--secret",
                                  str(secret_path), str(root / "exports" / export.file_name), "-o",
                                  str(tmp_path / "x.parquet")])
    assert missing.exit_code == 3 and "consent register" in missing.output
    result = tmp_path / "result"
    unit_key = str(root / "unit" / "lu.key")
    run = runner.invoke(cli, ["link", str(encoded), "-o", str(result)])
    assert run.exit_code == 2 and "--signing-key" in run.output  # every link result is signed
    assert runner.invoke(cli, ["link", str(encoded), "-o", str(result), "--signing-key", unit_key]).exit_code == 0
    recipient = granted[0]
    package = tmp_path / "package.parquet"
    run = runner.invoke(cli, ["deliver", str(result), "--recipient", recipient, "-o", str(package),
                              "--signing-key", unit_key])
    assert run.exit_code == 0, run.output
    assert "signed, linkage unit key id" in run.output
    trust = ["--linkage-unit-key", str(root / "unit" / "lu.pub"), "--expect-key-check", secret.key_check_value]
    view = tmp_path / "view.xlsx"
    run = runner.invoke(cli, ["view", str(package), "--private-key", str(root / "keys" / f"{recipient}.key"),
                              "-o", str(view), "--at", "2026-07-01", *trust])
    assert run.exit_code == 0, run.output
    assert PLANTED not in run.output and "warning" not in run.output
    assert "authenticated: package made" in run.output and secret.key_check_value in run.output
    late = runner.invoke(cli, ["view", str(package), "--private-key", str(root / "keys" / f"{recipient}.key"),
                               "-o", str(tmp_path / "late.csv"), "--at", "2099-01-01", *trust])
    assert late.exit_code == 0 and "ask the linkage unit for a fresh package" in late.output
    assert "were encoded up to" in late.output  # the agencies' signed times, not only the package's
    book = load_workbook(view)
    assert book.sheetnames == ["persons", "duplicates"] and book["persons"].freeze_panes == "A2"
    assert any(PLANTED in str(cell.value) for row in book["persons"].iter_rows() for cell in row)
    audit = (tmp_path / "view-audit.jsonl").read_text(encoding="utf-8")
    assert recipient in audit and PLANTED not in audit
    other = next(n for n in AGENCIES if n != recipient)
    wrong = runner.invoke(cli, ["view", str(package), "--private-key", str(root / "keys" / f"{other}.key"),
                                "-o", str(tmp_path / "w.csv"), *trust])
    assert wrong.exit_code == 6 and "belongs to" in wrong.output
    raw = bytearray(package.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(bytes(raw))
    run = runner.invoke(cli, ["view", str(damaged), "--private-key", str(root / "keys" / f"{recipient}.key"),
                              "-o", str(tmp_path / "d.csv"), *trust])
    assert run.exit_code == 6, run.output
    nothing = runner.invoke(cli, ["deliver", str(tmp_path / "nope"), "--recipient", recipient, "-o",
                                  str(tmp_path / "p.parquet"), "--signing-key", unit_key])
    assert nothing.exit_code == 6 and "not a complete link result" in nothing.output


def test_cli_demo_writes_views(tmp_path):
    from click.testing import CliRunner

    from linkage_cli.main import cli

    run = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--persons", "120", "--seed", "2"])
    assert run.exit_code == 0, run.output
    for name in AGENCIES:
        assert (tmp_path / "demo" / "views" / f"{name}.xlsx").is_file()
        assert f"view of {name}" in run.output
    assert len((tmp_path / "demo" / "views" / "view-audit.jsonl").read_text().splitlines()) == len(AGENCIES)


def test_cli_view_with_a_missing_reference_map_is_a_clear_error(flow, tmp_path):
    from click.testing import CliRunner

    from linkage_cli.main import cli

    root, data, secret, keys = flow[:4]
    package = root / "first" / "packages" / "jobcentre.parquet"
    if not package.exists():  # this test run alone
        _run(root, data, secret, keys, "first")
    run = CliRunner().invoke(cli, ["view", str(package), "--private-key", str(root / "keys" / "jobcentre.key"),
                                   "-o", str(tmp_path / "v.csv"), "--ref-map", str(tmp_path / "nope.csv"),
                                   "--linkage-unit-key", str(root / "unit" / "lu.pub"),
                                   "--expect-key-check", secret.key_check_value])
    assert run.exit_code == 4 and "nope.csv does not exist" in run.output
