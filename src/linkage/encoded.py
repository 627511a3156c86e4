"""The encoded export: the only thing an agency hands to the linkage unit.

Format version 2 (one Parquet file; the table and metadata below, nothing else; rows in keyed,
pseudo-random order, record references fresh per export):

=================  ==========================================  =======================================
column             Arrow type                                  content
=================  ==========================================  =======================================
``record_ref``     string, not null                            keyed pseudonym of the local id
``f_<field>``      fixed_size_binary(width/8)                  Bloom filter of a date/code/text field
``f_<field>``      list<fixed_size_binary(width/8)>            one filter per part of a name field
``clk``            fixed_size_binary(width/8)                  record-level filter (when configured)
``bk_<key>``       list<fixed_size_binary(16)>                 keyed blocking-key digests
``envelopes``      list<struct<…ENVELOPE_TYPE…>>               sealed payloads per record (issue #5)
=================  ==========================================  =======================================

A null filter means the field is missing for that record. The Parquet key-value metadata holds
``linkage`` -> JSON with: ``format``, ``format_version``, ``library_version``, ``agency``,
``created``, ``record_count``, ``schema`` (the encoding parameters), ``schema_fingerprint``,
``key_check_value``, ``verify_key`` (base64 Ed25519 public key), ``stats``, ``envelope_digests``
(per recipient the number of envelopes addressed to it and their digest, see
:func:`linkage.authenticity.envelope_digests`), ``content_digest`` (SHA-256 over the canonical
content, see :func:`content_digest`) and ``signature`` (Ed25519 over the canonical JSON of all
other metadata). No plaintext and no secret is ever stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .config import Schema
from .errors import IntegrityError
from .keys import ProjectSecret, key_check_value, verify_signature

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BLOCK_KEY_BYTES",
    "SCOPE_TYPE",
    "ENVELOPE_TYPE",
    "EncodedExport",
    "field_column",
    "block_column",
    "arrow_schema",
    "content_digest",
    "seal_metadata",
    "verify_export",
    "verify_metadata",
    "binary_matrix",
]

FORMAT = "linkage-encoded-export"
FORMAT_VERSION = 2
BLOCK_KEY_BYTES = 16
METADATA_KEY = b"linkage"

SCOPE_TYPE = pa.struct([
    ("recipient", pa.string()),
    ("purpose", pa.string()),
    ("data_classes", pa.list_(pa.string())),
    ("legal_basis", pa.string()),
    ("valid_from", pa.string()),
    ("valid_until", pa.string()),
])

ENVELOPE_TYPE = pa.struct([
    ("recipient", pa.string()),
    ("purpose", pa.string()),
    ("valid_from", pa.string()),
    ("valid_until", pa.string()),
    ("ephemeral_key", pa.binary()),
    ("nonce", pa.binary()),
    ("ciphertext", pa.binary()),
])


def field_column(field_name: str) -> str:
    return f"f_{field_name}"


def block_column(key_name: str) -> str:
    return f"bk_{key_name}"


def arrow_schema(schema: Schema) -> pa.Schema:
    """The Arrow schema of an encoded export for ``schema`` (column order is part of the format)."""
    cols: list[pa.Field] = [pa.field("record_ref", pa.string(), nullable=False)]
    for spec in schema.fields:
        width = pa.binary(schema.encoded_width(spec) // 8)
        typ = pa.list_(width) if spec.kind == "name" else width
        cols.append(pa.field(field_column(spec.name), typ))
    if schema.record_filter is not None:
        width_bits = schema.record_filter.num_bits * (2 if schema.hardening.balance else 1)
        width_bits //= 2 if schema.hardening.xor_fold else 1
        cols.append(pa.field("clk", pa.binary(width_bits // 8)))
    for key in schema.blocking:
        cols.append(pa.field(block_column(key.name), pa.list_(pa.binary(BLOCK_KEY_BYTES))))
    cols.append(pa.field("envelopes", pa.list_(ENVELOPE_TYPE)))
    return pa.schema(cols)


@dataclass(frozen=True, slots=True)
class EncodedExport:
    """An encoded export in memory: the Arrow table and its (signed) metadata."""

    table: pa.Table
    metadata: Mapping[str, Any]

    @property
    def agency(self) -> str:
        return self.metadata["agency"]

    @property
    def record_count(self) -> int:
        return self.table.num_rows

    @property
    def key_check_value(self) -> str:
        return self.metadata["key_check_value"]

    @property
    def schema_fingerprint(self) -> str:
        return self.metadata["schema_fingerprint"]

    def filters(self, field_name: str) -> np.ndarray:
        """Packed filters of a non-name field as an (n, bytes) uint8 matrix; nulls are all-zero."""
        column = self.table.column(field_column(field_name)).combine_chunks()
        return binary_matrix(column)


def binary_matrix(column: pa.Array) -> np.ndarray:
    """A fixed_size_binary array as an (n, byte_width) uint8 matrix; nulls become all-zero rows."""
    width = column.type.byte_width
    if column.null_count:
        column = column.fill_null(b"\x00" * width)
    data = column.buffers()[1]
    start = column.offset * width
    return np.frombuffer(data, dtype=np.uint8)[start : start + len(column) * width].reshape(len(column), width)


def _canonical_column(hasher: Any, column: pa.ChunkedArray) -> None:
    _canonical_arrays(hasher, column.chunks, column.type)


def _canonical_arrays(hasher: Any, arrays: list[pa.Array], typ: pa.DataType) -> None:
    """Feed validity and values of the concatenation of ``arrays`` (of type ``typ``) in a
    layout-independent form (recursively): each part (validity, lengths, values, children) of
    every chunk in turn, so the bytes fed do not depend on the chunking and no chunk is copied."""
    for array in arrays:
        hasher.update(array.is_valid().to_numpy(zero_copy_only=False).astype(np.uint8))
    if pa.types.is_fixed_size_binary(typ):
        for array in arrays:
            hasher.update(np.ascontiguousarray(binary_matrix(array)))
    elif pa.types.is_list(typ):
        for array in arrays:
            hasher.update(np.asarray(array.value_lengths().fill_null(-1), dtype="<i8"))
        _canonical_arrays(hasher, [array.flatten() for array in arrays], typ.value_type)
    elif pa.types.is_struct(typ):
        children = [array.flatten() for array in arrays]  # adjusted for the parent's offset and nulls
        for i in range(typ.num_fields):
            _canonical_arrays(hasher, [c[i] for c in children], typ.field(i).type)
    elif pa.types.is_string(typ) or pa.types.is_binary(typ) or pa.types.is_large_string(typ) \
            or pa.types.is_large_binary(typ):
        width = np.int64 if pa.types.is_large_string(typ) or pa.types.is_large_binary(typ) else np.int32
        spans = []
        for array in arrays:
            if len(array) == 0:
                continue
            offsets = np.frombuffer(array.buffers()[1], dtype=width)[array.offset : array.offset + len(array) + 1]
            hasher.update(np.diff(offsets).astype("<i8"))  # the lengths, whatever the offsets' width
            spans.append((array.buffers()[2], int(offsets[0]), int(offsets[-1])))
        for data, start, stop in spans:
            if data is not None:
                hasher.update(memoryview(data)[start:stop])
    elif pa.types.is_boolean(typ):
        for array in arrays:
            hasher.update(array.fill_null(False).to_numpy(zero_copy_only=False).astype(np.uint8))
    elif pa.types.is_null(typ):
        return
    else:
        raise TypeError(f"no canonical form for Arrow type {typ}")


def _type_name(typ: pa.DataType) -> str:
    """Type description that ignores child field names (Parquet renames list items)."""
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return f"list<{_type_name(typ.value_type)}>"
    if pa.types.is_struct(typ):
        return "struct<" + ",".join(f"{typ.field(i).name}:{_type_name(typ.field(i).type)}"
                                    for i in range(typ.num_fields)) + ">"
    return str(typ)


def content_digest(table: pa.Table) -> str:
    """SHA-256 over column names, types, validity and values, independent of Parquet layout."""
    hasher = hashlib.sha256()
    hasher.update(f"{FORMAT}/{FORMAT_VERSION}/{table.num_rows}\n".encode())
    for name, column in zip(table.column_names, table.columns):
        hasher.update(f"{name}:{_type_name(column.type)}\n".encode())
        _canonical_column(hasher, column)
    return "sha256:" + hasher.hexdigest()


def _canonical_json(metadata: Mapping[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in metadata.items() if k != "signature"},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def seal_metadata(table: pa.Table, metadata: Mapping[str, Any], *, secret: ProjectSecret) -> dict[str, Any]:
    """Return ``metadata`` plus key check value, verify key, content digest and signature."""
    sealed = dict(metadata)
    sealed["key_check_value"] = secret.key_check_value
    sealed["verify_key"] = base64.b64encode(secret.verify_key).decode()
    sealed["content_digest"] = content_digest(table)
    sealed["signature"] = base64.b64encode(secret.sign(_canonical_json(sealed))).decode()
    return sealed


def schema_fingerprint_of(schema_dict: Mapping[str, Any]) -> str:
    canonical = json.dumps(schema_dict, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def verify_export(export: EncodedExport, *, expected_key_check: str | None = None) -> None:
    """Raise IntegrityError unless ``export`` is a complete, unmodified, signed export.

    Checks the metadata (:func:`verify_metadata`), then the row count and the content digest
    against the table.
    """
    meta = export.metadata
    verify_metadata(meta, expected_key_check=expected_key_check)
    if meta.get("record_count") != export.table.num_rows:
        raise IntegrityError("the number of records differs from the signed record count")
    if content_digest(export.table) != meta.get("content_digest"):
        raise IntegrityError("the content was changed after it was signed")


def verify_metadata(meta: Mapping[str, Any], *, expected_key_check: str | None = None) -> None:
    """Raise IntegrityError unless ``meta`` is the signed metadata of an export of this format.

    Checks, in order: format and version, the verify key against the stated key check value (and
    ``expected_key_check`` when given), the signature over the metadata, and the schema
    fingerprint against the embedded schema. Needs no table: a delivery package carries the
    metadata of the exports it came from, and its recipient checks them with this.
    """
    if not isinstance(meta, Mapping) or meta.get("format") != FORMAT:
        raise IntegrityError("not a linkage encoded export (no linkage metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        older = isinstance(meta.get("format_version"), int) and meta["format_version"] < FORMAT_VERSION
        raise IntegrityError(
            f"format version {meta.get('format_version')!r} is not supported (this linkage reads "
            f"version {FORMAT_VERSION}); "
            + ("it was written by an older linkage whose encodings cannot be compared with today's (birth dates "
               "are now compared by category): ask the agency to encode the export again with this linkage version"
               if older else "re-encode with this linkage version")
        )
    try:
        verify_key = base64.b64decode(meta["verify_key"], validate=True)
        signature = base64.b64decode(meta["signature"], validate=True)
        stated_kcv = meta["key_check_value"]
    except (KeyError, ValueError, TypeError) as exc:
        raise IntegrityError("the signature block is missing or damaged") from exc
    if key_check_value(verify_key) != stated_kcv:
        raise IntegrityError("the verification key does not match the stated key check value")
    if expected_key_check is not None and stated_kcv != expected_key_check:
        raise IntegrityError(
            f"made with a different project secret (key check value {stated_kcv}, expected "
            f"{expected_key_check}); re-encode with the project's shared secret"
        )
    verify_signature(verify_key, _canonical_json(meta), signature)
    if schema_fingerprint_of(meta.get("schema", {})) != meta.get("schema_fingerprint"):
        raise IntegrityError("the schema fingerprint does not match the embedded schema")
