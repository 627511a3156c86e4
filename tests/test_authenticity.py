"""linkage.authenticity through deliver and view: what is signed, and every tampering refused.

One demo run (five agencies, keys, encode, link, deliver) gives a real signed link result. Each
tampering of the matrix is applied where an attacker would apply it: to the result folder before
``deliver`` (by someone without the linkage unit's key, or by the linkage unit itself, which can
re-sign its manifest), and to a package before ``view`` (in transit, or by the linkage unit,
which can re-sign the package but not the agencies' export metadata).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from linkage import io, jobs
from linkage.authenticity import (PACKAGE_KIND, Provenance, Trust, check_inputs, envelope_digests, seal_manifest,
                                  sign_document, stale_warnings, verify_result)
from linkage.deliver import ENVELOPES_SCHEMA, PACKAGE_SCHEMA, Package, deliver, verify_delivery
from linkage.demo import run_demo
from linkage.encoded import ENVELOPE_TYPE, content_digest, seal_metadata
from linkage.errors import ConfigError, IntegrityError, KeyFileError
from linkage.keys import LinkageUnitKey, ProjectSecret, generate_linkage_unit_key
from linkage.view import build_view
from linkage_cli.main import cli

RECIPIENT = "jobcentre"
OTHER = "course_provider"
CREATED = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.timezone.utc)
AT = dt.date(2026, 7, 2)
FOREIGN_UNIT = LinkageUnitKey(bytes(range(96, 128)))
FOREIGN_SECRET = ProjectSecret(bytes(range(100, 132)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("auth") / "demo"
    run_demo(out, persons=60, seed=4)
    unit = io.read_linkage_unit_key(out / "keys" / "linkage-unit.key")
    secret = io.read_secret(out / "keys" / "project.key")
    raw = io.read_link_result(out / "result")
    files = SimpleNamespace(manifest=raw.manifest, file_digests=raw.file_digests, exports=raw.exports(),
                            entities=raw.entities(), envelopes=raw.envelopes())
    return {"out": out, "unit": unit, "secret": secret, "files": files,
            "trust": Trust(linkage_unit_key=unit.public_key, key_check_value=secret.key_check_value),
            "key": io.read_recipient_key(out / "keys" / "recipients" / f"{RECIPIENT}.key")}


def package_of(demo: dict[str, Any], envelopes: pa.Table | None = None, **kwargs: Any) -> Package:
    files = demo["files"]
    return deliver(files.entities, files.envelopes if envelopes is None else envelopes, recipient=RECIPIENT,
                   exports=files.exports, signing_key=demo["unit"], created=CREATED, **kwargs)


# ------------------------------------------------------------------------------------ tamperings
# Each takes rows (dicts with agency, record_ref, envelope and, in a package, entity_id and own),
# the envelopes of the whole link result (for one copied from another recipient) and returns the rows.

Rows = list[dict[str, Any]]


def _mine(rows: Rows) -> list[int]:
    return [i for i, r in enumerate(rows) if r["envelope"] is not None and r["envelope"]["recipient"] == RECIPIENT]


def flip_a_ciphertext_byte(rows: Rows, everything: Rows) -> Rows:
    i = _mine(rows)[0]
    ciphertext = bytearray(rows[i]["envelope"]["ciphertext"])
    ciphertext[5] ^= 1
    rows[i]["envelope"]["ciphertext"] = bytes(ciphertext)
    return rows


def swap_two_record_refs(rows: Rows, everything: Rows) -> Rows:
    mine = _mine(rows)
    i = mine[0]
    j = next(k for k in mine
             if rows[k]["agency"] == rows[i]["agency"] and rows[k]["record_ref"] != rows[i]["record_ref"])
    rows[i]["record_ref"], rows[j]["record_ref"] = rows[j]["record_ref"], rows[i]["record_ref"]
    return rows


def move_to_another_record(rows: Rows, everything: Rows) -> Rows:
    i = _mine(rows)[0]
    rows[i]["record_ref"] = next(r["record_ref"] for r in everything
                                 if r["agency"] == rows[i]["agency"] and r["record_ref"] != rows[i]["record_ref"])
    return rows


def drop_one(rows: Rows, everything: Rows) -> Rows:
    del rows[_mine(rows)[-1]]
    return rows


def add_a_duplicate(rows: Rows, everything: Rows) -> Rows:
    return [*rows, copy.deepcopy(rows[_mine(rows)[0]])]


def add_one_of_another_recipient(rows: Rows, everything: Rows) -> Rows:
    """An envelope sealed for another office, re-addressed to this one (its AEAD would fail at view)."""
    stolen = copy.deepcopy(next(r for r in everything if r["envelope"]["recipient"] == OTHER))
    stolen["envelope"]["recipient"] = RECIPIENT
    template = rows[_mine(rows)[0]]
    return [*rows, {**{k: template[k] for k in template}, **stolen}]


DIFFER = "differ from those the agency signed"
COUNT = r"signed \d+ envelope\(s\) addressed to 'jobcentre'; the (link result|package) holds \d+"
MATRIX: list[tuple[Callable[[Rows, Rows], Rows], str]] = [
    (flip_a_ciphertext_byte, DIFFER),
    (swap_two_record_refs, DIFFER),
    (move_to_another_record, DIFFER),
    (drop_one, COUNT),
    (add_a_duplicate, COUNT),
    (add_one_of_another_recipient, COUNT),
]


def tampered_envelopes(demo: dict[str, Any], tamper: Callable[[Rows, Rows], Rows]) -> pa.Table:
    rows = demo["files"].envelopes.to_pylist()
    return pa.Table.from_pylist(tamper(copy.deepcopy(rows), rows), schema=ENVELOPES_SCHEMA)


def resigned(package: Package, key: LinkageUnitKey, table: pa.Table | None = None, **changes: Any) -> Package:
    """What the linkage unit itself can do: change anything and sign again."""
    table = package.table if table is None else table
    meta = {**package.metadata, **changes, "content_digest": content_digest(table)}
    return Package(table, sign_document(meta, key, PACKAGE_KIND))


def reseal(result_dir: Path, key: LinkageUnitKey | None) -> None:
    """Write the manifest again over the files as they are now (the linkage unit re-signing it)."""
    manifest = io.read_manifest(result_dir)
    digests = {name: "sha256:" + hashlib.sha256((result_dir / name).read_bytes()).hexdigest()
               for name in io.RESULT_FILES[:-1]}
    sealed = seal_manifest({k: v for k, v in manifest.items() if k not in ("linkage_unit", "signature")}, digests, key)
    (result_dir / "manifest.json").write_text(json.dumps(sealed, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def copy_result(demo: dict[str, Any], tmp_path: Path) -> Path:
    target = tmp_path / "result"
    shutil.copytree(demo["out"] / "result", target)
    return target


def deliver_from(demo: dict[str, Any], result_dir: Path, tmp_path: Path, key: str = "linkage-unit.key") -> Path:
    out = tmp_path / "package.parquet"
    jobs.deliver_file(result_dir, RECIPIENT, out, signing_key_path=demo["out"] / "keys" / key, created=CREATED)
    return out


# ----------------------------------------------------------------------------------- happy paths


def test_a_signed_result_delivers_and_views_with_public_information_only(demo, tmp_path):
    files = demo["files"]
    verify_result(files.manifest, files.file_digests, public_key=demo["unit"].public_key)
    assert check_inputs(files.manifest, files.exports) == demo["secret"].key_check_value
    with pytest.raises(IntegrityError, match="does not match the manifest's inputs"):
        check_inputs(files.manifest, files.exports[::-1])
    assert set(files.manifest["files"]) == set(io.RESULT_FILES[:-1])
    assert files.manifest["linkage_unit"]["key_id"] == demo["unit"].key_id
    path = deliver_from(demo, demo["out"] / "result", tmp_path)
    package = io.read_package(path)
    assert package.metadata["linkage_unit"]["key_id"] == demo["unit"].key_id
    assert [e["agency"] for e in package.metadata["exports"]] == [e["agency"] for e in files.exports]
    view = build_view(package, demo["key"], at=AT, trust=demo["trust"])
    origin = view.provenance
    assert origin is not None and view.audit["package"]["authenticated"] is True
    assert origin.package_created == "2026-07-01T08:00:00Z"
    assert origin.exports_created == {e["agency"]: e["created"] for e in files.exports}
    assert origin.linkage_unit_key_id == demo["unit"].key_id
    assert origin.key_check_value == demo["secret"].key_check_value
    assert RECIPIENT not in origin.contributing and len(origin.contributing) >= 2
    assert view.audit["package"]["provenance"] == origin.to_dict()
    assert view.audit["counts"]["envelopes_opened"] > 0


def test_delivery_is_deterministic_and_signed_envelope_counts_match_the_stats(demo, tmp_path):
    first, second = package_of(demo), package_of(demo)
    assert first.table.equals(second.table) and first.metadata == second.metadata
    a = io.write_package(first, tmp_path / "a.parquet")
    b = io.write_package(second, tmp_path / "b.parquet")
    assert a.read_bytes() == b.read_bytes()
    for export in demo["files"].exports:
        counts = {r: d["envelopes"] for r, d in export["envelope_digests"].items()}
        assert counts == export["stats"]["consent"]["envelopes_by_recipient"]


def test_envelope_digests_ignore_row_order_and_count_duplicates(demo):
    rows = [r for r in demo["files"].envelopes.to_pylist() if r["agency"] == "foreigners_authority"]

    def export_table(items: Rows) -> pa.Table:
        return pa.table({"record_ref": pa.array([r["record_ref"] for r in items], pa.string()),
                         "envelopes": pa.array([[r["envelope"]] for r in items], pa.list_(ENVELOPE_TYPE))})

    digests = envelope_digests("foreigners_authority", export_table(rows))
    assert digests == envelope_digests("foreigners_authority", export_table(rows[::-1]))
    assert digests != envelope_digests("foreigners_authority", export_table([*rows, rows[0]]))
    assert digests != envelope_digests("course_provider", export_table(rows))  # the agency is bound too
    signed = next(e for e in demo["files"].exports if e["agency"] == "foreigners_authority")
    assert digests == signed["envelope_digests"]


def test_cli_keys_deliver_and_view(demo, tmp_path):
    runner = CliRunner()
    key = tmp_path / "unit" / "lu.key"
    run = runner.invoke(cli, ["keys", "linkage-unit", "-o", str(key)])
    assert run.exit_code == 0, run.output
    unit = io.read_linkage_unit_key(key)
    assert f"key id: {unit.key_id}" in run.output and unit.private_key.hex() not in run.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.with_suffix(".pub").stat().st_mode) == 0o644
    assert io.read_linkage_unit_public_key(key.with_suffix(".pub")) == unit.public_key
    out = demo["out"]
    package = tmp_path / "p.parquet"
    run = runner.invoke(cli, ["deliver", str(out / "result"), "--recipient", RECIPIENT, "-o", str(package),
                              "--signing-key", str(key)])  # another key than the result was signed with
    assert run.exit_code == 6 and "signed by another linkage unit key" in run.output and not package.exists()
    run = runner.invoke(cli, ["deliver", str(out / "result"), "--recipient", RECIPIENT, "-o", str(package),
                              "--signing-key", str(out / "keys" / "linkage-unit.key")])
    assert run.exit_code == 0, run.output
    base = ["view", str(package), "--private-key", str(out / "keys" / "recipients" / f"{RECIPIENT}.key"),
            "-o", str(tmp_path / "v.csv")]
    kcv = demo["secret"].key_check_value
    run = runner.invoke(cli, [*base, "--linkage-unit-key", str(out / "keys" / "linkage-unit.pub"),
                              "--expect-key-check", kcv])
    assert run.exit_code == 0, run.output
    assert f"linkage unit key id {demo['unit'].key_id}" in run.output and kcv in run.output
    assert "warning" not in run.output
    run = runner.invoke(cli, [*base, "--linkage-unit-key", str(key.with_suffix(".pub")), "--expect-key-check", kcv])
    assert run.exit_code == 6 and "signed by another linkage unit key" in run.output
    run = runner.invoke(cli, [*base, "--linkage-unit-key", str(out / "keys" / "linkage-unit.pub"),
                              "--expect-key-check", FOREIGN_SECRET.key_check_value])
    assert run.exit_code == 6 and "check the value with the agencies" in run.output
    run = runner.invoke(cli, [*base, "--linkage-unit-key", str(out / "keys" / "linkage-unit.key"),
                              "--expect-key-check", kcv])
    assert run.exit_code == 5 and "private key" in run.output
    run = runner.invoke(cli, [*base, "--expect-key-check", kcv])
    assert run.exit_code == 2 and "--linkage-unit-key" in run.output  # authenticity is not optional


# -------------------------------------------------------------------------------- at deliver


@pytest.mark.parametrize(("tamper", "message"), MATRIX, ids=[t.__name__ for t, _ in MATRIX])
def test_deliver_refuses_envelopes_the_agencies_did_not_sign(demo, tmp_path, tamper, message):
    envelopes = tampered_envelopes(demo, tamper)
    with pytest.raises(IntegrityError, match=message) as caught:
        package_of(demo, envelopes)
    assert "run linkage link again from the agencies' exports" in str(caught.value)
    # through the files: someone without the linkage unit's key is caught by the signed manifest ...
    result = copy_result(demo, tmp_path)
    pq.write_table(envelopes, result / "envelopes.parquet")
    with pytest.raises(IntegrityError, match="envelopes.parquet of the link result differs from the file the "
                                             "linkage unit signed"):
        deliver_from(demo, result, tmp_path)
    # ... and the linkage unit re-signing its manifest by the agencies' signatures
    reseal(result, demo["unit"])
    with pytest.raises(IntegrityError, match=message):
        deliver_from(demo, result, tmp_path)
    assert not (tmp_path / "package.parquet").exists()


def _edit_json(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def test_deliver_refuses_an_edited_manifest_or_result_file(demo, tmp_path):
    result = copy_result(demo, tmp_path)
    _edit_json(result / "manifest.json", lambda m: m["counts"].update(entities=1))
    with pytest.raises(IntegrityError, match="manifest was changed after the linkage unit signed it"):
        deliver_from(demo, result, tmp_path)
    for name in ("entities.parquet", "pairs.parquet", "review.csv", "exports.json"):
        result = copy_result(demo, tmp_path / name)
        with open(result / name, "ab") as fh:
            fh.write(b"\n")
        with pytest.raises(IntegrityError, match=f"{name} of the link result differs"):
            deliver_from(demo, result, tmp_path)
    result = copy_result(demo, tmp_path / "missing")
    (result / "exports.json").unlink()
    with pytest.raises(IntegrityError, match=r"not a complete link result \(exports.json is missing\)"):
        deliver_from(demo, result, tmp_path)
    assert not (tmp_path / "package.parquet").exists()


def test_deliver_refuses_edited_export_metadata_even_from_the_linkage_unit(demo, tmp_path):
    result = copy_result(demo, tmp_path)

    def newer(doc: dict[str, Any]) -> None:  # make old data look fresh
        doc["exports"][0]["created"] = "2099-01-01T00:00:00Z"

    _edit_json(result / "exports.json", newer)
    reseal(result, demo["unit"])
    with pytest.raises(IntegrityError, match=r"the export of agency '\w+': signature check failed"):
        deliver_from(demo, result, tmp_path)
    exports = copy.deepcopy(demo["files"].exports)
    del exports[0]["envelope_digests"]
    with pytest.raises(IntegrityError, match="signature check failed"):  # signed: nobody can remove it
        deliver(demo["files"].entities, demo["files"].envelopes, recipient=RECIPIENT, exports=exports,
                signing_key=demo["unit"])


def test_deliver_refuses_an_unsigned_result_or_one_signed_by_another_key(demo, tmp_path):
    result = copy_result(demo, tmp_path)
    reseal(result, None)
    with pytest.raises(IntegrityError, match="link result manifest is not signed by the linkage unit; run linkage "
                                             "link again"):
        deliver_from(demo, result, tmp_path)
    reseal(result, FOREIGN_UNIT)
    with pytest.raises(IntegrityError, match=f"signed by another linkage unit key \\(key id {FOREIGN_UNIT.key_id}, "
                                             f"expected {demo['unit'].key_id}\\)"):
        deliver_from(demo, result, tmp_path)
    _edit_json(result / "manifest.json", lambda m: m.update(format_version=1))
    with pytest.raises(IntegrityError, match="older linkage"):
        deliver_from(demo, result, tmp_path)


# ----------------------------------------------------------------------------------- at view


def tampered_package(demo: dict[str, Any], tamper: Callable[[Rows, Rows], Rows]) -> pa.Table:
    rows = package_of(demo).table.to_pylist()
    return pa.Table.from_pylist(tamper(rows, demo["files"].envelopes.to_pylist()), schema=PACKAGE_SCHEMA)


@pytest.mark.parametrize(("tamper", "message"), MATRIX, ids=[t.__name__ for t, _ in MATRIX])
def test_view_refuses_envelopes_the_agencies_did_not_sign(demo, tamper, message):
    package, table = package_of(demo), tampered_package(demo, tamper)
    in_transit = Package(table, {**package.metadata, "content_digest": content_digest(table)})
    with pytest.raises(IntegrityError, match="package was changed after the linkage unit signed it"):
        build_view(in_transit, demo["key"], at=AT, trust=demo["trust"])
    by_the_linkage_unit = resigned(package, demo["unit"], table)
    with pytest.raises(IntegrityError, match=message) as caught:
        build_view(by_the_linkage_unit, demo["key"], at=AT, trust=demo["trust"])
    assert "ask the linkage unit for a fresh package" in str(caught.value)


def test_view_refuses_a_package_with_an_envelope_addressed_to_another_recipient(demo):
    package = package_of(demo)
    foreign = next(r for r in demo["files"].envelopes.to_pylist() if r["envelope"]["recipient"] == OTHER)
    rows = [*package.table.to_pylist(), {"entity_id": "E0", "own": False, **foreign}]
    table = pa.Table.from_pylist(rows, schema=PACKAGE_SCHEMA)
    with pytest.raises(IntegrityError, match=f"addressed to '{OTHER}', not '{RECIPIENT}'"):
        verify_delivery(resigned(package, demo["unit"], table), demo["trust"])


def test_view_refuses_forged_times_and_export_metadata(demo):
    package = package_of(demo)
    forged = Package(package.table, {**package.metadata, "created": "2099-01-01T00:00:00Z"})
    with pytest.raises(IntegrityError, match="changed after the linkage unit signed it"):
        verify_delivery(forged, demo["trust"])
    exports = copy.deepcopy(package.metadata["exports"])
    exports[0]["created"] = "2099-01-01T00:00:00Z"  # old data made to look new, package re-signed
    with pytest.raises(IntegrityError, match=r"the export of agency '\w+': signature check failed"):
        verify_delivery(resigned(package, demo["unit"], exports=exports), demo["trust"])
    with pytest.raises(IntegrityError, match="signed metadata of the agencies' exports is missing"):
        verify_delivery(resigned(package, demo["unit"], exports=[]), demo["trust"])


def test_view_refuses_exports_the_linkage_unit_made_up(demo):
    """The linkage unit holds the recipients' public keys, so it could seal payloads of its own;
    without the project secret it cannot sign an export under the project's key check value."""
    package = package_of(demo)
    forged = []
    for meta in package.metadata["exports"]:
        table = pa.table({"record_ref": pa.array([], pa.string())})
        forged.append(seal_metadata(table, {k: v for k, v in meta.items()
                                            if k not in ("key_check_value", "verify_key", "signature")},
                                    secret=FOREIGN_SECRET))
    made_up = resigned(package, demo["unit"], exports=forged)
    with pytest.raises(IntegrityError, match=f"signed under key check value {FOREIGN_SECRET.key_check_value}, "
                                             f"not {demo['secret'].key_check_value}"):
        verify_delivery(made_up, demo["trust"])
    gullible = Trust(linkage_unit_key=demo["unit"].public_key, key_check_value=FOREIGN_SECRET.key_check_value)
    with pytest.raises(IntegrityError, match="do not match the exports"):  # the result facts name the real KCV
        verify_delivery(made_up, gullible)


def test_view_refuses_another_linkage_units_signature_or_public_key(demo):
    package = package_of(demo)
    other = resigned(package, FOREIGN_UNIT)
    with pytest.raises(IntegrityError, match=f"package was signed by another linkage unit key \\(key id "
                                             f"{FOREIGN_UNIT.key_id}, expected {demo['unit'].key_id}\\)") as caught:
        build_view(other, demo["key"], at=AT, trust=demo["trust"])
    assert "--linkage-unit-key" in str(caught.value)
    wrong = Trust(linkage_unit_key=FOREIGN_UNIT.public_key, key_check_value=demo["secret"].key_check_value)
    with pytest.raises(IntegrityError, match="signed by another linkage unit key"):
        build_view(package, demo["key"], at=AT, trust=wrong)
    unsigned = Package(package.table, {k: v for k, v in package.metadata.items() if k != "signature"})
    with pytest.raises(IntegrityError, match="not signed by the linkage unit"):
        build_view(unsigned, demo["key"], at=AT, trust=demo["trust"])
    with pytest.raises(ConfigError, match="key_check_value"):
        Trust(linkage_unit_key=demo["unit"].public_key, key_check_value="abc")
    with pytest.raises(ConfigError, match="32-byte"):
        Trust(linkage_unit_key=b"short", key_check_value=demo["secret"].key_check_value)


# ----------------------------------------------------------------------------------- staleness


def test_stale_warnings_come_from_signed_times_of_package_and_exports():
    origin = Provenance(linkage_unit_key_id="x", key_check_value="y", package_created="2026-07-01T08:00:00Z",
                        exports_created={"abh": "2026-06-30T08:00:00Z", "course": "2026-05-01T08:00:00Z",
                                         "jobcentre": "2026-01-01T08:00:00Z"},
                        contributing=("abh", "course"))
    assert stale_warnings(origin, dt.date(2026, 7, 2), max_age_days=90) == []
    fresh_package = stale_warnings(origin, dt.date(2026, 7, 2), max_age_days=7)
    assert len(fresh_package) == 1  # a fresh package of old data: the agencies' times tell
    assert "export(s) of course were encoded up to 62 days before 2026-07-02" in fresh_package[0]
    assert "jobcentre" not in fresh_package[0]  # no envelopes of its own export in the package
    late = stale_warnings(origin, dt.date(2026, 8, 1), max_age_days=7)
    assert "package was made 31 days before 2026-08-01" in late[0] and "abh, course" in late[1]


def test_view_file_reports_stale_exports(demo, tmp_path):
    path = deliver_from(demo, demo["out"] / "result", tmp_path)
    out = demo["out"]
    summary = jobs.view_file(path, out / "keys" / "recipients" / f"{RECIPIENT}.key", tmp_path / "v.csv",
                             linkage_unit_key_path=out / "keys" / "linkage-unit.pub",
                             expected_key_check=demo["secret"].key_check_value,
                             at=dt.date.fromisoformat(summary_day(demo)), max_age_days=0)
    assert summary.package_created == "2026-07-01T08:00:00Z"
    assert summary.exports_created == {e["agency"]: e["created"] for e in demo["files"].exports}
    assert any("were encoded up to" in w for w in summary.warnings)
    entry = json.loads((tmp_path / "view-audit.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["package"]["authenticated"] is True
    assert entry["package"]["provenance"]["package_created"] == "2026-07-01T08:00:00Z"


def summary_day(demo: dict[str, Any]) -> str:
    """Two days after the newest export was encoded."""
    newest = max(e["created"] for e in demo["files"].exports)
    return (dt.date.fromisoformat(newest[:10]) + dt.timedelta(days=2)).isoformat()


# ----------------------------------------------------------------------------------- key files


def test_linkage_unit_key_files(tmp_path):
    key = generate_linkage_unit_key()
    private, public = io.create_linkage_unit_key(key, tmp_path / "keys" / "lu.key")
    assert public == tmp_path / "keys" / "lu.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and stat.S_IMODE(public.stat().st_mode) == 0o644
    assert io.read_linkage_unit_key(private) == key and io.read_linkage_unit_public_key(public) == key.public_key
    assert key.private_key.hex() not in repr(key) and key.key_id in public.read_text()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        io.create_linkage_unit_key(generate_linkage_unit_key(), private, tmp_path / "new.pub")
    assert not (tmp_path / "new.pub").exists()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        io.create_linkage_unit_key(generate_linkage_unit_key(), tmp_path / "new.key", public)
    assert not (tmp_path / "new.key").exists()
    os.chmod(private, 0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        io.read_linkage_unit_key(private)
    os.chmod(private, 0o600)
    doc = json.loads(public.read_text())
    doc["key_id"] = "0000-0000-0000-0000"
    public.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="damaged"):
        io.read_linkage_unit_public_key(public)
    with pytest.raises(KeyFileError, match="is a directory"):
        io.read_linkage_unit_public_key(tmp_path / "keys")
    (tmp_path / "other.json").write_text('{"kind": "linkage-keyring"}')
    with pytest.raises(KeyFileError, match="not a linkage unit public key"):
        io.read_linkage_unit_public_key(tmp_path / "other.json")


def test_the_fast_leaves_equal_the_reference_definition(demo):
    from linkage.authenticity import _leaves, envelope_leaf

    table = demo["files"].envelopes
    rows = table.to_pylist()
    rows[0]["envelope"]["valid_from"] = None  # a missing date: 0xFFFFFFFF, no bytes
    rows[1]["envelope"]["valid_until"] = "2030-01-01"
    table = pa.Table.from_pylist(rows, schema=ENVELOPES_SCHEMA)
    agencies, recipients, leaves = _leaves(table.slice(1))  # an offset into the arrays
    assert leaves == [envelope_leaf(r["record_ref"], r["envelope"]) for r in rows[1:]]
    assert _leaves(table)[2][0] == envelope_leaf(rows[0]["record_ref"], rows[0]["envelope"])
    assert agencies == [r["agency"] for r in rows[1:]] and recipients == [r["envelope"]["recipient"] for r in rows[1:]]
    assert _leaves(table.slice(0, 0)) == ([], [], [])


def test_deliver_refuses_a_result_of_an_older_linkage(demo, tmp_path):
    result = copy_result(demo, tmp_path)
    (result / "exports.json").unlink()
    _edit_json(result / "manifest.json", lambda m: m.update(format_version=1))
    with pytest.raises(IntegrityError, match="written by an older linkage .*--signing-key"):
        deliver_from(demo, result, tmp_path)


@pytest.mark.parametrize("shared_prefix", [0, 8, 31])
def test_the_fast_set_digest_sorts_leaves_like_the_reference(shared_prefix):
    import numpy as np

    from linkage.authenticity import _set_digest, _sorted_digest

    rng = np.random.default_rng(shared_prefix)
    leaves = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    leaves[::3, :shared_prefix] = leaves[0, :shared_prefix]  # leaves that agree on their first bytes
    expected = _set_digest("jobcentre", "course_provider", [row.tobytes() for row in leaves])
    assert _sorted_digest("jobcentre", "course_provider", leaves) == expected
