"""linkage.deliver and linkage.io.packages: which entities and envelopes a recipient's package holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from linkage import io
from linkage.deliver import (
    ENVELOPES_SCHEMA,
    PACKAGE_SCHEMA,
    Package,
    deliver,
    envelope_table,
    verify_package,
)
from linkage.encoded import ENVELOPE_TYPE, EncodedExport
from linkage.encoded import content_digest as package_digest  # a package is digested like an export
from linkage.errors import DataError, IntegrityError
from linkage.seal import generate_recipient_key, seal_payload
from signing import SECRET, UNIT, signed_exports

JOBCENTRE = generate_recipient_key("jobcentre")
ABH = generate_recipient_key("abh")
KEYS = {"jobcentre": JOBCENTRE, "abh": ABH}
CREATED = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc)

#: entity_id, agency, record_ref of a small link result.
ENTITIES = pd.DataFrame(
    [("E1", "course", "c1"), ("E1", "jobcentre", "j1"), ("E1", "abh", "a1"),
     ("E2", "course", "c2"), ("E2", "abh", "a2"),
     ("E3", "jobcentre", "j2"), ("E3", "jobcentre", "j3"),
     ("E4", "jobcentre", "j4"),
     ("E5", "abh", "a3")],
    columns=["entity_id", "agency", "record_ref"])


def seal(agency: str, ref: str, recipient: str, purpose: str = "integration", **window: str) -> dict:
    """An envelope of record ``ref`` as an ENVELOPE_TYPE dict."""
    key = KEYS[recipient]
    return seal_payload({"language_level": "B1"}, record_ref=ref, agency=agency, recipient=recipient,
                        recipient_public_key=key.public_key, purpose=purpose,
                        valid_from=window.get("valid_from"), valid_until=window.get("valid_until"),
                        captured="2024-01-01").to_arrow_dict()


def table_of(rows: list[tuple[str, str, dict]]) -> pa.Table:
    return pa.table([pa.array([r[0] for r in rows], pa.string()), pa.array([r[1] for r in rows], pa.string()),
                     pa.array([r[2] for r in rows], ENVELOPE_TYPE)], schema=ENVELOPES_SCHEMA)


@pytest.fixture(scope="module")
def envelopes() -> pa.Table:
    return table_of([
        ("course", "c1", seal("course", "c1", "jobcentre")),
        ("course", "c1", seal("course", "c1", "abh")),
        ("abh", "a1", seal("abh", "a1", "jobcentre", "benefits", valid_until="2025-12-31")),
        ("abh", "a1", seal("abh", "a1", "jobcentre", "integration")),
        ("course", "c2", seal("course", "c2", "abh")),  # E2: nothing for the job centre
        ("abh", "a3", seal("abh", "a3", "jobcentre", valid_from="2024-02-01")),
    ])


def signed(entities: pd.DataFrame, envelopes: pa.Table, **kwargs: object) -> Package:
    """deliver() with the exports the agencies would have signed for exactly these inputs."""
    return deliver(entities, envelopes, exports=signed_exports(entities, envelopes), signing_key=UNIT, **kwargs)


@pytest.fixture(scope="module")
def package(envelopes: pa.Table) -> Package:
    return signed(ENTITIES, envelopes, recipient="jobcentre", created=CREATED)


def rows(package: Package) -> list[tuple[str, str, str, bool, str | None]]:
    env = package.table.column("envelope").to_pylist()
    return [(e, a, r, o, None if x is None else x["recipient"])
            for e, a, r, o, x in zip(*(package.table.column(c).to_pylist() for c in ("entity_id", "agency",
                                                                                       "record_ref", "own")), env)]


# ------------------------------------------------------------------------------- envelope_table


def test_envelope_table_flattens_exports_in_order() -> None:
    first = [seal("course", "c1", "jobcentre"), seal("course", "c1", "abh")]
    second = seal("course", "c3", "jobcentre")
    course = EncodedExport(pa.table({"record_ref": pa.array(["c1", "c2", "c3", "c4"]),
                                     "envelopes": pa.array([first, [], [second], None], pa.list_(ENVELOPE_TYPE))}),
                           {"agency": "course"})
    own = seal("abh", "a1", "abh")
    abh = EncodedExport(pa.table({"record_ref": pa.array(["a1"]),
                                  "envelopes": pa.array([[own]], pa.list_(ENVELOPE_TYPE))}),
                        {"agency": "abh"})
    table = envelope_table([course, abh])
    assert table.schema.equals(ENVELOPES_SCHEMA)
    assert table.column("agency").to_pylist() == ["course", "course", "course", "abh"]
    assert table.column("record_ref").to_pylist() == ["c1", "c1", "c3", "a1"]
    assert table.column("envelope").to_pylist() == [*first, second, own]
    assert envelope_table([]).num_rows == 0


# ------------------------------------------------------------------------------------- deliver


def test_package_lists_envelopes_for_the_recipient_and_its_own_records(package: Package) -> None:
    assert rows(package) == [
        ("E1", "abh", "a1", False, "jobcentre"),
        ("E1", "abh", "a1", False, "jobcentre"),
        ("E1", "course", "c1", False, "jobcentre"),
        ("E1", "jobcentre", "j1", True, None),
        ("E3", "jobcentre", "j2", True, None),
        ("E3", "jobcentre", "j3", True, None),
        ("E5", "abh", "a3", False, "jobcentre"),
    ]
    purposes = [None if e is None else e["purpose"] for e in package.table.column("envelope").to_pylist()]
    assert purposes[:2] == ["benefits", "integration"]  # sorted by purpose within a record
    assert package.table.schema.equals(PACKAGE_SCHEMA)
    assert package.recipient == "jobcentre" and package.own_agency == "jobcentre"
    meta = package.metadata
    assert meta["created"] == "2024-06-01T12:00:00Z"
    assert meta["result"]["key_check_value"] == SECRET.key_check_value
    assert [i["agency"] for i in meta["result"]["inputs"]] == ["abh", "course", "jobcentre"]
    assert [e["agency"] for e in meta["exports"]] == ["abh", "course", "jobcentre"]
    assert meta["linkage_unit"]["key_id"] == UNIT.key_id and meta["signature"]
    assert meta["counts"] == {"entities": 3, "envelopes": 4, "own_records": 3,
                              "envelopes_by_agency": {"abh": 3, "course": 1},
                              "purposes": ["benefits", "integration"]}
    verify_package(package)


def test_no_envelope_or_record_of_another_recipient_is_included(package: Package) -> None:
    recipients = {e["recipient"] for e in package.table.column("envelope").to_pylist() if e is not None}
    assert recipients == {"jobcentre"}
    refs = set(package.table.column("record_ref").to_pylist())
    assert "c2" not in refs and "a2" not in refs  # E2 has envelopes for abh only
    assert "E2" not in set(package.table.column("entity_id").to_pylist())
    assert "j4" not in refs  # a single own record of an entity without envelopes: nothing new


def test_package_for_a_recipient_without_own_records(envelopes: pa.Table) -> None:
    package = signed(ENTITIES, envelopes, recipient="abh", own_agency=None, created=CREATED)
    # "abh" is an agency of the result, so its records are its own by default
    assert package.own_agency == "abh"
    assert {r[2] for r in rows(package) if r[3]} == {"a1", "a2"}
    other = signed(ENTITIES[ENTITIES["agency"] != "abh"], envelopes.filter(pc.equal(
        envelopes.column("agency"), "course")), recipient="abh", created=CREATED)
    assert other.own_agency is None
    assert rows(other) == [("E1", "course", "c1", False, "abh"), ("E2", "course", "c2", False, "abh")]


def test_explicit_own_agency(envelopes: pa.Table) -> None:
    package = signed(ENTITIES, envelopes, recipient="abh", own_agency="course", created=CREATED)
    assert package.own_agency == "course"
    assert {r[2] for r in rows(package) if r[3]} == {"c1", "c2"}
    with pytest.raises(DataError, match="agency 'nobody' has no records"):
        signed(ENTITIES, envelopes, recipient="abh", own_agency="nobody")


def test_an_envelope_of_a_record_not_in_the_result_is_refused(envelopes: pa.Table) -> None:
    exports = signed_exports(ENTITIES, envelopes)
    # a3 replaced by another record: the counts agree with the signed exports, the envelope's record is gone
    entities = ENTITIES.replace({"record_ref": {"a3": "a9"}})
    with pytest.raises(DataError, match=r"1 envelope\(s\) belong to records that are not in the link result"):
        deliver(entities, envelopes, recipient="jobcentre", exports=exports, signing_key=UNIT)
    with pytest.raises(IntegrityError, match=r"lists 2 record\(s\) of agency 'abh'; its signed export holds 3; run "
                                             "linkage link again"):
        deliver(ENTITIES[ENTITIES["record_ref"] != "a3"], envelopes, recipient="jobcentre", exports=exports,
                signing_key=UNIT)


def test_package_without_envelopes(envelopes: pa.Table, tmp_path: Path) -> None:
    package = signed(ENTITIES, envelopes.slice(0, 0), recipient="jobcentre", created=CREATED)
    assert rows(package) == [("E3", "jobcentre", "j2", True, None), ("E3", "jobcentre", "j3", True, None)]
    assert io.read_package(io.write_package(package, tmp_path / "p.parquet")).table.equals(package.table)
    empty = signed(ENTITIES[ENTITIES["agency"] != "jobcentre"], envelopes.slice(0, 0), recipient="jobcentre")
    assert empty.table.num_rows == 0 and empty.own_agency is None
    verify_package(empty)


def test_package_is_deterministic_whatever_the_input_order(envelopes: pa.Table) -> None:
    unique = envelopes.slice(0, 2)  # one envelope per (record, purpose, window): order fully determined
    exports = signed_exports(ENTITIES, unique)
    first = deliver(ENTITIES, unique, recipient="jobcentre", exports=exports, signing_key=UNIT, created=CREATED)
    shuffled = deliver(ENTITIES.iloc[::-1].reset_index(drop=True), unique.take([1, 0]), recipient="jobcentre",
                       exports=exports, signing_key=UNIT, created=CREATED)
    assert first.table.equals(shuffled.table)
    assert first.metadata == shuffled.metadata  # signature included: Ed25519 is deterministic
    keys = list(zip(*(first.table.column(c).to_pylist() for c in ("entity_id", "agency", "record_ref"))))
    assert keys == sorted(keys)


# -------------------------------------------------------------------------------------- files


def test_round_trip_through_write_and_read(package: Package, tmp_path: Path) -> None:
    path = io.write_package(package, tmp_path / "out" / "jobcentre.parquet")
    back = io.read_package(path)
    assert back.table.equals(package.table)
    assert back.table.schema.equals(PACKAGE_SCHEMA)
    assert dict(back.metadata) == dict(package.metadata)
    assert package_digest(back.table) == package.metadata["content_digest"]


def test_an_edited_package_is_refused(package: Package, tmp_path: Path) -> None:
    table = package.table
    index = table.schema.get_field_index("record_ref")
    refs = table.column("record_ref").to_pylist()
    edited = table.set_column(index, PACKAGE_SCHEMA.field("record_ref"), pa.array(["x" + refs[0], *refs[1:]]))
    with pytest.raises(IntegrityError, match="damaged or changed"):
        verify_package(Package(edited, package.metadata))
    flipped = table.set_column(table.schema.get_field_index("own"), PACKAGE_SCHEMA.field("own"),
                               pa.array([not o for o in table.column("own").to_pylist()]))
    with pytest.raises(IntegrityError, match="damaged or changed"):
        verify_package(Package(flipped, package.metadata))
    # on disk: the table rewritten under the old metadata
    path = io.write_package(package, tmp_path / "p.parquet")
    footer = pq.read_metadata(path).metadata
    pq.write_table(edited.replace_schema_metadata(footer), path)
    with pytest.raises(IntegrityError, match=r"p\.parquet: the package was damaged"):
        io.read_package(path)


def test_unusable_package_files_are_refused(package: Package, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="does not exist"):
        io.read_package(tmp_path / "missing.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 not really")
    with pytest.raises(IntegrityError, match="not a readable delivery package"):
        io.read_package(junk)
    plain = tmp_path / "plain.parquet"
    pq.write_table(package.table, plain)
    with pytest.raises(IntegrityError, match="not a linkage delivery package"):
        io.read_package(plain)
    newer = Package(package.table, {**package.metadata, "format_version": 3})
    with pytest.raises(IntegrityError, match="version 3 is not supported"):
        verify_package(newer)
    older = Package(package.table, {**package.metadata, "format_version": 1})
    with pytest.raises(IntegrityError, match=r"version 1 is not supported \(version 1 packages are not signed\)"):
        verify_package(older)
    unsigned = Package(package.table, {k: v for k, v in package.metadata.items() if k != "signature"})
    with pytest.raises(IntegrityError, match="not signed by the linkage unit"):
        verify_package(unsigned)
    wrong_columns = Package(package.table.drop_columns(["own"]), package.metadata)
    with pytest.raises(IntegrityError, match="columns are not those"):
        verify_package(wrong_columns)
