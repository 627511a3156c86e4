"""Delivery packages: per recipient, the sealed envelopes of each person the linkage found (linkage unit).

Contract
--------
The linkage unit holds, after :func:`linkage.link.link`, the entities (entity id per record) and
the envelopes the agencies sealed (:func:`envelope_table`: one row per envelope with the record's
agency and reference). It cannot open any of them. :func:`deliver` assembles, for one recipient,
a :class:`Package`: one row per envelope addressed to that recipient plus one row per record of
the recipient's own agency (``own``), each with the entity id of its record.

Which entities are in a package: every entity with at least one envelope for the recipient, and
every entity holding two or more of the recipient's own records (its duplicate worklist). Own
records of other entities are left out (the recipient learns nothing new about them). Records of
other agencies without an envelope for the recipient are never listed: a recipient without a
grant learns nothing of that record, not even that it exists.

Before anything is assembled, :func:`deliver` checks the link result against its inputs (see
:mod:`linkage.authenticity`): the exports' signed metadata (signatures, one key check value),
each agency's record count, and the envelopes addressed to the recipient per agency against the
count and digest the agency signed. Any mismatch is an IntegrityError: run ``link`` again from
the agencies' exports.

Package format version 2 (one Parquet file, written by :func:`linkage.io.write_package`):

==============  ==============================  ============================================
column          Arrow type                      content
==============  ==============================  ============================================
``entity_id``   string, not null                the person (entity) the record belongs to
``agency``      string, not null                the record's agency
``record_ref``  string, not null                the record's keyed reference
``own``         bool, not null                  the record is one of the recipient's own
``envelope``    ``ENVELOPE_TYPE``, nullable     an envelope addressed to the recipient (null
                                                on a row that only lists an own record)
==============  ==============================  ============================================

Rows are sorted by entity id, agency, record ref, ``own`` first, then the envelope's purpose and
validity. The Parquet key-value metadata ``linkage`` holds JSON: ``format``
(``linkage-delivery-package``), ``format_version``, ``recipient``, ``own_agency``, ``created``,
``result`` (key check value, schema fingerprint and input digests, from the exports),
``counts``, ``content_digest`` (:func:`linkage.encoded.content_digest` of the table),
``exports`` (the signed metadata of every export of the link run, as the agencies signed it),
``linkage_unit`` (its public key and key id) and ``signature`` (the linkage unit's Ed25519
signature over all the rest: :func:`linkage.authenticity.sign_document`, kind
``delivery-package``). :func:`verify_delivery` checks a package with public information only.
Version 1 packages (unsigned) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .authenticity import (PACKAGE_KIND, Provenance, Trust, check_envelopes, sign_document, verify_document,
                           verify_exports)
from .encoded import ENVELOPE_TYPE, EncodedExport, content_digest
from .errors import DataError, IntegrityError
from .keys import LinkageUnitKey, linkage_unit_key_id
from .seal import check_recipient_name

__all__ = [
    "PACKAGE_FORMAT",
    "PACKAGE_VERSION",
    "PACKAGE_SCHEMA",
    "ENVELOPES_SCHEMA",
    "Package",
    "envelope_table",
    "deliver",
    "verify_package",
    "verify_delivery",
]

PACKAGE_FORMAT = "linkage-delivery-package"
PACKAGE_VERSION = 2
_REDO = "run linkage link again from the agencies' exports, then deliver from the new result"
_REFRESH = "ask the linkage unit for a fresh package"
ENVELOPES_SCHEMA = pa.schema([
    pa.field("agency", pa.string(), nullable=False),
    pa.field("record_ref", pa.string(), nullable=False),
    pa.field("envelope", ENVELOPE_TYPE, nullable=False),
])
PACKAGE_SCHEMA = pa.schema([
    pa.field("entity_id", pa.string(), nullable=False),
    pa.field("agency", pa.string(), nullable=False),
    pa.field("record_ref", pa.string(), nullable=False),
    pa.field("own", pa.bool_(), nullable=False),
    pa.field("envelope", ENVELOPE_TYPE),
])


@dataclass(frozen=True, slots=True)
class Package:
    """A delivery package in memory: the table (``PACKAGE_SCHEMA``) and its metadata."""

    table: pa.Table
    metadata: Mapping[str, Any]

    @property
    def recipient(self) -> str:
        return self.metadata["recipient"]

    @property
    def own_agency(self) -> str | None:
        return self.metadata.get("own_agency")


def envelope_table(exports: Sequence[EncodedExport]) -> pa.Table:
    """Every envelope of ``exports`` as one row (agency, record_ref, envelope), in input order."""
    tables = []
    for export in exports:
        column = export.table.column("envelopes").combine_chunks()
        lengths = np.asarray(column.value_lengths().fill_null(0), dtype=np.int64)
        refs = export.table.column("record_ref").combine_chunks().take(pa.array(np.repeat(np.arange(len(lengths)), lengths)))
        flat = column.flatten()
        tables.append(pa.table([pa.array([export.agency] * len(flat), pa.string()), refs, flat.cast(ENVELOPE_TYPE)],
                               schema=ENVELOPES_SCHEMA))
    if not tables:
        return ENVELOPES_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def deliver(entities: pd.DataFrame, envelopes: pa.Table, *, recipient: str, exports: Sequence[Mapping[str, Any]],
            signing_key: LinkageUnitKey, own_agency: str | None = None, created: datetime | None = None) -> Package:
    """The signed package for ``recipient`` (see the module docstring).

    ``entities``: entity_id, agency, record_ref per record (the link result). ``envelopes``: as
    :func:`envelope_table`. ``exports``: the signed metadata of every export of the link run.
    ``signing_key``: the linkage unit's key. ``own_agency``: the recipient's own agency in the
    result; by default the agency of the same name when there is one. IntegrityError when the exports, the record counts or
    the envelopes do not match what the agencies signed; DataError when an envelope's record is
    not in ``entities``.
    """
    check_recipient_name(recipient)
    kcv = verify_exports(exports, fix=_REDO)
    _check_record_counts(entities, exports)
    agencies = set(entities["agency"].unique().tolist())
    if own_agency is None:
        own_agency = recipient if recipient in agencies else None
    elif own_agency not in agencies:
        raise DataError(f"agency '{own_agency}' has no records in the link result "
                        f"(agencies: {', '.join(sorted(agencies))})")
    env = envelopes.filter(pc.equal(pc.struct_field(envelopes.column("envelope"), "recipient"), recipient))
    check_envelopes(env, exports, recipient, where="link result", fix=_REDO)
    keyed = pd.DataFrame({"agency": env.column("agency").to_numpy(zero_copy_only=False),
                          "record_ref": env.column("record_ref").to_numpy(zero_copy_only=False),
                          "row": np.arange(env.num_rows)})
    ent = entities[["entity_id", "agency", "record_ref"]]
    keyed = keyed.merge(ent, on=["agency", "record_ref"], how="left")
    if keyed["entity_id"].isna().any():
        raise DataError(f"{int(keyed['entity_id'].isna().sum())} envelope(s) belong to records that are not in "
                        "the link result; deliver from the result the envelopes came with")
    own = ent[ent["agency"] == own_agency] if own_agency is not None else ent.iloc[:0]
    own_per_entity = own.groupby("entity_id").size()
    wanted = set(keyed["entity_id"].tolist()) | set(own_per_entity.index[own_per_entity >= 2].tolist())
    own = own[own["entity_id"].isin(wanted)]
    env_rows = env.take(pa.array(keyed["row"].to_numpy(np.int64)))
    purposes = pc.struct_field(env_rows.column("envelope"), "purpose").to_numpy(zero_copy_only=False)
    starts = pc.struct_field(env_rows.column("envelope"), "valid_from").fill_null("").to_numpy(zero_copy_only=False)
    frame = pd.concat([
        pd.DataFrame({"entity_id": keyed["entity_id"].to_numpy(object), "agency": keyed["agency"].to_numpy(object),
                      "record_ref": keyed["record_ref"].to_numpy(object), "own": False,
                      "purpose": purposes.astype(object), "start": starts.astype(object),
                      "env": np.arange(len(keyed))}),
        pd.DataFrame({"entity_id": own["entity_id"].to_numpy(object), "agency": own["agency"].to_numpy(object),
                      "record_ref": own["record_ref"].to_numpy(object), "own": True, "purpose": "", "start": "",
                      "env": -1}),
    ], ignore_index=True)
    frame["own"] = frame["own"].astype(bool)
    frame["not_own"] = ~frame["own"]
    frame = frame.sort_values(["entity_id", "agency", "record_ref", "not_own", "purpose", "start", "env"],
                              kind="stable").reset_index(drop=True)
    take = frame["env"].to_numpy(np.int64)
    envelope_column = env_rows.column("envelope").combine_chunks().take(
        pa.array(np.where(take >= 0, take, 0), mask=take < 0)) if len(frame) else pa.array([], ENVELOPE_TYPE)
    table = pa.table([pa.array(frame["entity_id"].to_numpy(object), pa.string()),
                      pa.array(frame["agency"].to_numpy(object), pa.string()),
                      pa.array(frame["record_ref"].to_numpy(object), pa.string()),
                      pa.array(frame["own"].to_numpy(bool), pa.bool_()), envelope_column], schema=PACKAGE_SCHEMA)
    by_agency = keyed.groupby("agency").size()
    metadata = {
        "format": PACKAGE_FORMAT,
        "format_version": PACKAGE_VERSION,
        "recipient": recipient,
        "own_agency": own_agency,
        "created": (created or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "result": {"key_check_value": kcv, "schema_fingerprint": exports[0].get("schema_fingerprint"),
                   "inputs": [{"agency": e["agency"], "content_digest": e.get("content_digest")} for e in exports]},
        "counts": {"entities": int(frame["entity_id"].nunique()), "envelopes": int(len(keyed)),
                   "own_records": int(len(own)),
                   "envelopes_by_agency": {str(k): int(v) for k, v in by_agency.sort_index().items()},
                   "purposes": sorted(set(purposes.tolist()))},
        "content_digest": content_digest(table),
        "exports": [dict(e) for e in exports],
    }
    return Package(table, sign_document(metadata, signing_key, PACKAGE_KIND))


def _check_record_counts(entities: pd.DataFrame, exports: Sequence[Mapping[str, Any]]) -> None:
    counts = entities.groupby("agency").size()
    signed = {e["agency"]: e.get("record_count") for e in exports}
    for agency in sorted(set(counts.index) | set(signed)):
        found = int(counts.get(agency, 0))
        if signed.get(agency) != found:
            raise IntegrityError(f"the link result lists {found} record(s) of agency '{agency}'; its signed export "
                                 f"holds {signed.get(agency, 0)}; {_REDO}")


def verify_package(package: Package) -> None:
    """Raise IntegrityError unless ``package`` is a complete, undamaged, signed version-2 package
    (the signature itself is checked by :func:`verify_delivery`)."""
    meta = package.metadata
    if meta.get("format") != PACKAGE_FORMAT:
        raise IntegrityError("not a linkage delivery package (no package metadata)")
    if meta.get("format_version") != PACKAGE_VERSION:
        unsigned = " (version 1 packages are not signed)" if meta.get("format_version") == 1 else ""
        raise IntegrityError(f"package format version {meta.get('format_version')!r} is not supported{unsigned} "
                             f"(this linkage reads version {PACKAGE_VERSION}); ask the linkage unit for a new package")
    if not package.table.schema.equals(PACKAGE_SCHEMA):
        raise IntegrityError("the package's columns are not those of a version-2 package")
    if "signature" not in meta or not isinstance(meta.get("exports"), list):
        raise IntegrityError(f"the package is not signed by the linkage unit; {_REFRESH} (made with --signing-key)")
    if not isinstance(meta.get("recipient"), str):
        raise IntegrityError("the package does not name its recipient")
    if content_digest(package.table) != meta.get("content_digest"):
        raise IntegrityError("the package was damaged or changed after it was made; ask the linkage unit for a "
                             "new package")


def verify_delivery(package: Package, trust: Trust) -> Provenance:
    """Check ``package`` with public information only and return its authenticated origin.

    Raises IntegrityError unless: the package is undamaged (:func:`verify_package`); it was
    signed by the linkage unit key in ``trust``; the exports' metadata it carries was signed
    under the project secret whose key check value ``trust`` names; and the envelopes in it are,
    per agency, exactly those the agency signed for this recipient.
    """
    verify_package(package)
    meta = package.metadata
    verify_document(meta, PACKAGE_KIND, trust.linkage_unit_key, what="package", fix=_REFRESH + " (and check "
                    "--linkage-unit-key against the key id the linkage unit gave you)")
    exports = meta["exports"]
    kcv = verify_exports(exports, expected_key_check=trust.key_check_value, fix=_REFRESH)
    result = meta.get("result") if isinstance(meta.get("result"), dict) else {}
    if result.get("key_check_value") != kcv or not isinstance(meta.get("created"), str):
        raise IntegrityError(f"the package's result facts do not match the exports it carries; {_REFRESH}")
    table = package.table
    rows = table.filter(pc.is_valid(table.column("envelope")))
    check_envelopes(rows.select(["agency", "record_ref", "envelope"]), exports, package.recipient, where="package",
                    fix=_REFRESH)
    contributing = tuple(e["agency"] for e in exports if package.recipient in e["envelope_digests"])
    return Provenance(linkage_unit_key_id=linkage_unit_key_id(trust.linkage_unit_key), key_check_value=kcv,
                      package_created=meta["created"], exports_created={e["agency"]: e["created"] for e in exports},
                      contributing=contributing)
