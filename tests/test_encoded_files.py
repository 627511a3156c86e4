"""linkage.io.encoded_files and linkage.encoded: round trip, verification, tampering, atomic writes."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage import encode, io
from linkage.encoded import FORMAT, FORMAT_VERSION, EncodedExport, seal_metadata, verify_export
from linkage.errors import IntegrityError
from linkage.io import encoded_files

CREATED = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture
def result(export_config, secret):
    records = pd.DataFrame({
        "pid": ["1", "2", "3", "4"],
        "given": ["Anna Maria", "Bob", "Zed", "Jürgen"],
        "family": ["Schmidt", "", "Ali", "Müller"],
        "father": ["", "", "Omar", ""],
        "dob": ["01.02.1990", "", "03.04.1985", "00.00.1970"],
        "sex": ["w", "m", "", "m"],
        "nat": ["DEU", "", "SYR", "DEU"],
        "birthplace": ["Köln", "", "", "Bonn"],
    }, dtype=object)
    return encode(records, export_config, secret=secret, created=CREATED)


@pytest.fixture
def written(result, tmp_path) -> Path:
    return io.write_encoded(result.export, tmp_path / "out" / "agency.parquet")


def rewrite(path: Path, table: pa.Table, metadata: dict | bytes | None) -> None:
    """Write ``table`` to ``path`` with the given linkage metadata (as our writer would)."""
    if isinstance(metadata, dict):
        metadata = json.dumps(metadata, sort_keys=True).encode()
    table = table.replace_schema_metadata(None if metadata is None else {b"linkage": metadata})
    pq.write_table(table, path, compression="zstd")


def raw_parts(path: Path) -> tuple[pa.Table, dict]:
    table = pq.read_table(path)
    metadata = json.loads(table.schema.metadata[b"linkage"])
    return table.replace_schema_metadata(None), metadata


# ---------------------------------------------------------------------------------- round trip


def test_round_trip_verifies(result, written, secret):
    back = io.read_encoded(written, expected_key_check=secret.key_check_value)
    assert back.table.equals(result.export.table)
    assert dict(back.metadata) == dict(result.export.metadata)
    assert back.table.schema.equals(result.export.table.schema)
    assert back.agency == "test-agency" and back.record_count == 4
    assert back.key_check_value == secret.key_check_value
    assert back.schema_fingerprint == export_fingerprint(result)
    assert np.array_equal(back.filters("birth_date"), result.export.filters("birth_date"))


def export_fingerprint(result) -> str:
    return result.export.metadata["schema_fingerprint"]


def test_metadata_holds_what_the_format_promises(result, secret):
    meta = result.export.metadata
    assert meta["format"] == FORMAT and meta["format_version"] == FORMAT_VERSION
    assert meta["created"] == "2024-05-01T00:00:00Z"
    assert meta["record_count"] == 4
    assert meta["key_check_value"] == secret.key_check_value
    assert base64.b64decode(meta["verify_key"]) == secret.verify_key
    assert meta["content_digest"].startswith("sha256:")
    assert set(meta) >= {"library_version", "agency", "schema", "schema_fingerprint", "stats", "signature"}
    text = json.dumps(meta)
    assert secret.key.hex() not in text and base64.b64encode(secret.key).decode() not in text


def test_write_leaves_no_temporary_files(written):
    assert sorted(p.name for p in written.parent.iterdir()) == ["agency.parquet"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary_files(result, written, monkeypatch):
    before = written.read_bytes()

    class Boom(RuntimeError):
        pass

    def half_write(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise Boom("disk full")

    monkeypatch.setattr(encoded_files.pq, "write_table", half_write)
    with pytest.raises(Boom):
        io.write_encoded(result.export, written)
    assert written.read_bytes() == before
    assert sorted(p.name for p in written.parent.iterdir()) == ["agency.parquet"]
    with pytest.raises(Boom):
        io.write_encoded(result.export, written.parent / "new.parquet")
    assert sorted(p.name for p in written.parent.iterdir()) == ["agency.parquet"]


def test_read_without_verification(written):
    table, metadata = raw_parts(written)
    metadata["agency"] = "someone-else"
    rewrite(written, table, metadata)
    assert io.read_encoded(written, verify=False).agency == "someone-else"
    with pytest.raises(IntegrityError):
        io.read_encoded(written)


# ------------------------------------------------------------------------------------ tampering


def test_wrong_key_check_value(written, secret, other_secret):
    with pytest.raises(IntegrityError, match="key check value") as info:
        io.read_encoded(written, expected_key_check=other_secret.key_check_value)
    message = str(info.value)
    assert secret.key_check_value in message and other_secret.key_check_value in message
    assert str(written) in message


def test_export_made_with_another_secret_is_refused(export_config, other_secret, secret, tmp_path):
    records = pd.DataFrame({"pid": ["1"], "given": ["Anna"], "family": [""], "father": [""], "dob": [""],
                            "sex": [""], "nat": [""], "birthplace": [""]}, dtype=object)
    foreign = encode(records, export_config, secret=other_secret)
    path = io.write_encoded(foreign.export, tmp_path / "foreign.parquet")
    assert io.read_encoded(path).key_check_value == other_secret.key_check_value  # valid on its own terms
    with pytest.raises(IntegrityError, match="different project secret"):
        io.read_encoded(path, expected_key_check=secret.key_check_value)


def test_changed_filter_with_the_same_metadata(written):
    table, metadata = raw_parts(written)
    column = table.column("f_birth_date").combine_chunks()
    values = column.to_pylist()
    values[0] = bytes([values[0][0] ^ 0x80]) + values[0][1:]
    table = table.set_column(table.schema.get_field_index("f_birth_date"), table.schema.field("f_birth_date"),
                             pa.array(values, column.type))
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError, match="content was changed"):
        io.read_encoded(written)


def test_changed_name_part_and_record_ref(written):
    table, metadata = raw_parts(written)
    refs = table.column("record_ref").to_pylist()
    refs[1], refs[2] = refs[2], refs[1]
    swapped = table.set_column(0, table.schema.field("record_ref"), pa.array(refs, pa.string()))
    rewrite(written, swapped, metadata)
    with pytest.raises(IntegrityError, match="content was changed"):
        io.read_encoded(written)
    names = table.column("f_name").to_pylist()
    names[0] = names[0][:1]  # drop a name part
    index = table.schema.get_field_index("f_name")
    rewrite(written, table.set_column(index, table.schema.field("f_name"),
                                      pa.array(names, table.schema.field("f_name").type)), metadata)
    with pytest.raises(IntegrityError, match="content was changed"):
        io.read_encoded(written)


def test_dropped_row_with_the_same_metadata(written):
    table, metadata = raw_parts(written)
    rewrite(written, table.slice(0, 3), metadata)
    with pytest.raises(IntegrityError, match="number of records"):
        io.read_encoded(written)


@pytest.mark.parametrize(("key", "value"), [("agency", "other-agency"), ("created", "2030-01-01T00:00:00Z"),
                                            ("record_count", 5), ("schema_fingerprint", "sha256:00"),
                                            ("stats", {}), ("library_version", "9.9.9")])
def test_changed_metadata_fails_the_signature(written, key, value):
    table, metadata = raw_parts(written)
    metadata[key] = value
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError, match="signature check failed"):
        io.read_encoded(written)


def test_changed_embedded_schema_fails(written):
    table, metadata = raw_parts(written)
    metadata["schema"]["fields"][0]["num_bits"] = 1024
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError, match="signature"):
        io.read_encoded(written)


def test_resealed_by_another_secret_keeps_its_own_identity(result, other_secret, secret, tmp_path):
    """Someone with another secret can re-sign a changed file, but not under our key check value."""
    meta = {k: v for k, v in result.export.metadata.items()
            if k not in ("key_check_value", "verify_key", "content_digest", "signature")}
    meta["agency"] = "forger"
    forged = EncodedExport(result.export.table, seal_metadata(result.export.table, meta, secret=other_secret))
    path = io.write_encoded(forged, tmp_path / "forged.parquet")
    with pytest.raises(IntegrityError, match="key check value"):
        io.read_encoded(path, expected_key_check=secret.key_check_value)


def test_verify_key_swapped_under_the_stated_key_check_value(written, other_secret):
    table, metadata = raw_parts(written)
    metadata["verify_key"] = base64.b64encode(other_secret.verify_key).decode()
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError, match="does not match the stated key check value"):
        io.read_encoded(written)


@pytest.mark.parametrize("key", ["signature", "verify_key", "key_check_value"])
def test_missing_or_damaged_signature_block(written, key):
    table, metadata = raw_parts(written)
    del metadata[key]
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError, match="signature block"):
        io.read_encoded(written)
    metadata[key] = "%%% not base64 %%%"
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError):
        io.read_encoded(written)


@pytest.mark.parametrize(("version", "message"), [
    (3, "format version 3 is not supported"),
    (1, "format version 1 is not supported.*older linkage.*encode the export again"),
])
def test_other_format_versions_are_refused_with_what_to_do(written, version, message):
    table, metadata = raw_parts(written)
    metadata["format_version"] = version
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError, match=message):
        io.read_encoded(written)


def test_parquet_without_linkage_metadata(written, tmp_path):
    table, _ = raw_parts(written)
    rewrite(written, table, None)
    with pytest.raises(IntegrityError, match="not a linkage encoded export"):
        io.read_encoded(written)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"name": ["Zqxwvyt"]}), plain)
    with pytest.raises(IntegrityError) as info:
        io.read_encoded(plain)
    assert "Zqxwvyt" not in str(info.value)


def test_metadata_that_is_not_json(written):
    table, _ = raw_parts(written)
    rewrite(written, table, b"\xff{not json")
    with pytest.raises(IntegrityError, match="not a readable encoded export"):
        io.read_encoded(written)


@pytest.mark.parametrize("metadata", [b"[1, 2]", b"null", b'"linkage"'])
def test_metadata_that_is_json_but_not_an_object(written, metadata):
    table, _ = raw_parts(written)
    rewrite(written, table, metadata)
    with pytest.raises(IntegrityError):
        io.read_encoded(written)


@pytest.mark.parametrize("content", [b"", b"PAR1", b"name,dob\nZqxwvyt,01.02.1990\n", b"PAR1" + bytes(100) + b"PAR1"])
def test_not_a_parquet_file(tmp_path, content):
    path = tmp_path / "fake.parquet"
    path.write_bytes(content)
    with pytest.raises(IntegrityError, match="not a readable encoded export") as info:
        io.read_encoded(path)
    assert str(path) in str(info.value)
    assert "Zqxwvyt" not in str(info.value)


def test_missing_and_truncated_files(written, tmp_path):
    with pytest.raises(IntegrityError, match="does not exist"):
        io.read_encoded(tmp_path / "nope.parquet")
    with pytest.raises(IntegrityError):
        io.read_encoded(tmp_path)
    data = written.read_bytes()
    for size in (len(data) // 2, len(data) - 1, 8):
        written.write_bytes(data[:size])
        with pytest.raises(IntegrityError):
            io.read_encoded(written)


def test_flipped_bytes_never_change_the_content_silently(result, written, tmp_path):
    """A flipped bit anywhere is refused, or lands where it changes nothing we read (Parquet statistics)."""
    original = written.read_bytes()
    meta_start = original.find(b'{"agency"')
    assert meta_start > 0
    positions = sorted(set(range(0, len(original), max(1, len(original) // 300)))
                       | set(range(meta_start, meta_start + 400, 7)) | {len(original) - 6})
    target = tmp_path / "flipped.parquet"
    refused = 0
    for position in positions:
        damaged = bytearray(original)
        damaged[position] ^= 0x04
        target.write_bytes(bytes(damaged))
        try:
            back = io.read_encoded(target)
        except IntegrityError:
            refused += 1
            continue
        assert back.table.equals(result.export.table), position
        assert dict(back.metadata) == dict(result.export.metadata), position
    assert refused > len(positions) // 3


def test_edited_parquet_key_value_metadata_is_refused(written):
    original = written.read_bytes()
    assert original.count(b'"agency": "test-agency"') == 1  # the plain copy; the other one is base64
    written.write_bytes(original.replace(b'"agency": "test-agency"', b'"agency": "test-agencz"'))
    assert pq.read_metadata(written).metadata[b"linkage"].startswith(b'{"agency": "test-agencz"')
    with pytest.raises(IntegrityError):
        io.read_encoded(written)


def test_verify_export_in_memory(result, secret, other_secret):
    verify_export(result.export)
    verify_export(result.export, expected_key_check=secret.key_check_value)
    with pytest.raises(IntegrityError):
        verify_export(result.export, expected_key_check=other_secret.key_check_value)
    shorter = EncodedExport(result.export.table.slice(1), result.export.metadata)
    with pytest.raises(IntegrityError, match="number of records"):
        verify_export(shorter)
