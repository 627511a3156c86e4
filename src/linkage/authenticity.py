"""Authenticated delivery: who signs what between the agencies, the linkage unit and a recipient.

Contract
--------
Three signatures bind what a recipient sees to where it came from:

1. **Agency** (the export key derived from the project secret, :mod:`linkage.encoded`): the
   signed metadata of each export holds ``envelope_digests``: per recipient the number of
   envelopes addressed to it and their digest (:func:`envelope_digests`). Only holders of the
   secret can sign; the verify key is pinned by the key check value (KCV).
2. **Linkage unit at link** (:class:`~linkage.keys.LinkageUnitKey`): ``manifest.json`` lists the
   SHA-256 of every other file of the result (``exports.json`` holds the inputs' signed metadata)
   and is signed (:func:`sign_document`, kind ``link-result``; :func:`seal_manifest`).
3. **Linkage unit at deliver**: the package metadata (recipient, created time, the content digest
   of the table, so every entity id, record reference and envelope, and the signed metadata of
   every export of the run) is signed (kind ``delivery-package``).

Checks. ``deliver`` verifies before it writes anything: the manifest's signature against its own
key and the file digests (:func:`verify_result`), the exports against the manifest's inputs
(:func:`check_inputs`), each export's signature and one KCV for all
(:func:`verify_exports`), each agency's record count, and the envelopes addressed to the
recipient per agency against the signed count and digest (:func:`check_envelopes`): an envelope
altered, dropped, added, copied from another recipient or moved to another record is refused.
``view`` repeats the package-level checks with public information only (the linkage unit's
public key and the project's KCV: :class:`Trust`, see :func:`linkage.deliver.verify_delivery`)
and reports authenticated times only (:class:`Provenance`, :func:`stale_warnings`).

Envelope digest of one export for one recipient: per envelope ``leaf = SHA-256(f(record_ref)
f(recipient) f(purpose) f(valid_from) f(valid_until) f(ephemeral_key) f(nonce) f(ciphertext))``,
``f`` being a 4-byte big-endian length and the bytes (UTF-8 for text; a missing date is
``0xFFFFFFFF`` and no bytes); then ``"sha256:" + hex(SHA-256(f("linkage-envelope-set") f("1")
f(agency) f(recipient) count as 8-byte big-endian, the leaves sorted))``. Sorting makes it
independent of row order; a duplicated envelope changes it.

Signed document: ``linkage_unit`` (base64 public key and key id) is added, then ``signature``:
base64 Ed25519 over ``"linkage/linkage-unit-signature/v1\\0" + kind + "\\0"`` and the canonical
JSON (sorted keys, no spaces, ASCII) of the document without ``signature``.

Messages name agencies, recipients, files and counts, never a record value.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .encoded import verify_metadata
from .errors import ConfigError, IntegrityError
from .keys import LinkageUnitKey, linkage_unit_key_id, verify_signature

__all__ = ["envelope_digests", "leaf_digests", "envelope_leaf", "check_envelopes", "verify_exports", "sign_document",
           "verify_document", "seal_manifest", "verify_result", "check_inputs", "Trust", "Provenance",
           "stale_warnings", "RESULT_KIND", "PACKAGE_KIND"]

RESULT_KIND = "link-result"
PACKAGE_KIND = "delivery-package"
_SIGNATURE_DOMAIN = b"linkage/linkage-unit-signature/v1\x00"
_NONE = b"\xff\xff\xff\xff"
_ENVELOPE_FIELDS = ("recipient", "purpose", "valid_from", "valid_until", "ephemeral_key", "nonce", "ciphertext")
_KEY_ID_LENGTH = 19


def _f(part: str | bytes | None) -> bytes:
    if part is None:
        return _NONE
    raw = part.encode("utf-8") if isinstance(part, str) else part
    return len(raw).to_bytes(4, "big") + raw


_SET_HEAD = _f("linkage-envelope-set") + _f("1")

# --------------------------------------------------------------------------------- envelope digests


def envelope_leaf(record_ref: str, envelope: Mapping[str, Any]) -> bytes:
    """The leaf hash of one envelope (the reference definition; :func:`_leaves` is the fast one)."""
    return hashlib.sha256(b"".join(_f(p) for p in (record_ref, *(envelope[n] for n in _ENVELOPE_FIELDS)))).digest()


def _length_prefixed(column: pa.Array) -> list[pa.Array]:
    """``f`` of every value of a string or binary column, as two binary columns (prefix, bytes)."""
    if pa.types.is_string(column.type):
        column = column.cast(pa.binary())
    n = len(column)
    prefix = np.asarray(pc.binary_length(column).fill_null(-1), dtype=np.int64).astype(">u4")  # null: 0xFFFFFFFF
    offsets = np.arange(0, 4 * n + 1, 4, dtype=np.int32)
    return [pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(prefix.tobytes())]),
            column.fill_null(b"")]


_BATCH = 1 << 16  # envelopes joined at a time (bounds the memory of the joined framing)


def _leaf_matrix(refs: pa.Array, envelope: pa.Array) -> np.ndarray:
    """Leaf hash of each envelope (``refs[i]`` is the record of ``envelope[i]``) as an (m, 32)
    uint8 matrix: the framing is joined column-wise, then hashed slice by slice of one buffer."""
    m = len(refs)
    out = np.zeros((m, 32), dtype=np.uint8)
    sha256 = hashlib.sha256
    for lo in range(0, m, _BATCH):
        columns = [refs.slice(lo, _BATCH)] + [pc.struct_field(envelope.slice(lo, _BATCH), n) for n in _ENVELOPE_FIELDS]
        joined = pc.binary_join_element_wise(*(part for c in columns for part in _length_prefixed(c)), b"")
        k = len(joined)
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)[joined.offset : joined.offset + k + 1].tolist()
        data = memoryview(joined.buffers()[2])
        digests = b"".join([sha256(data[a:b]).digest() for a, b in zip(offsets, offsets[1:])])
        out[lo : lo + k] = np.frombuffer(digests, dtype=np.uint8).reshape(k, 32)
    return out


def _leaves(table: pa.Table) -> tuple[list[str], list[str], list[bytes]]:
    """Agency, recipient and leaf hash per row of a table with agency, record_ref, envelope."""
    if table.num_rows == 0:
        return [], [], []
    envelope = table.column("envelope").combine_chunks()
    leaves = _leaf_matrix(table.column("record_ref").combine_chunks(), envelope)
    recipients = pc.struct_field(envelope, "recipient").to_pylist()
    return table.column("agency").to_pylist(), recipients, [row.tobytes() for row in leaves]


def _sorted_digest(agency: str, recipient: str, leaves: np.ndarray) -> str:
    """:func:`_set_digest` of an (m, 32) leaf matrix: rows sorted as byte strings, then hashed."""
    words = leaves.view(">u8")  # four big-endian words per leaf: their order is the bytes' order
    order = np.argsort(words[:, 0], kind="stable")
    first = words[order, 0]
    if len(first) > 1 and (first[1:] == first[:-1]).any():  # a shared first word: all four decide
        order = np.lexsort(words.T[::-1])
    hasher = hashlib.sha256(_SET_HEAD + _f(agency) + _f(recipient) + len(leaves).to_bytes(8, "big"))
    hasher.update(np.ascontiguousarray(leaves[order]).tobytes())
    return "sha256:" + hasher.hexdigest()


def _set_digest(agency: str, recipient: str, leaves: list[bytes]) -> str:
    """The set digest (see the module docstring) of the leaves of one agency and recipient."""
    hasher = hashlib.sha256(_SET_HEAD + _f(agency) + _f(recipient) + len(leaves).to_bytes(8, "big"))
    for leaf in sorted(leaves):
        hasher.update(leaf)
    return "sha256:" + hasher.hexdigest()


def _grouped(table: pa.Table) -> dict[tuple[str, str], list[bytes]]:
    groups: dict[tuple[str, str], list[bytes]] = defaultdict(list)
    for agency, recipient, leaf in zip(*_leaves(table)):
        groups[(agency, recipient)].append(leaf)
    return groups


def envelope_digests(agency: str, table: pa.Table) -> dict[str, dict[str, Any]]:
    """Per recipient (sorted) ``{"envelopes": count, "digest": ...}`` of the envelopes of an
    export table (columns ``record_ref`` and ``envelopes``); what the agency signs at encode."""
    column = table.column("envelopes").combine_chunks()
    lengths = np.asarray(column.value_lengths().fill_null(0), dtype=np.int64)
    refs = table.column("record_ref").combine_chunks().take(pa.array(np.repeat(np.arange(len(lengths)), lengths)))
    flat = column.flatten()
    return leaf_digests(agency, pc.struct_field(flat, "recipient"), _leaf_matrix(refs, flat))


def leaf_digests(agency: str, recipients: pa.Array, leaves: np.ndarray) -> dict[str, dict[str, Any]]:
    """:func:`envelope_digests` from the envelopes' recipients and leaf hashes (an (m, 32) uint8
    matrix, :func:`envelope_leaf` per envelope; any order): what encode signs when the leaves were
    hashed as the envelopes were sealed."""
    encoded = recipients.dictionary_encode()
    codes = np.asarray(encoded.indices, dtype=np.int64)
    names = encoded.dictionary.to_pylist()
    out = {}
    for code in sorted(range(len(names)), key=names.__getitem__):
        mine = leaves[codes == code]
        out[names[code]] = {"envelopes": len(mine), "digest": _sorted_digest(agency, names[code], mine)}
    return out


def check_envelopes(table: pa.Table, exports: Sequence[Mapping[str, Any]], recipient: str, *, where: str,
                    fix: str) -> None:
    """IntegrityError unless the envelopes of ``table`` (agency, record_ref, envelope; every row an
    envelope meant for ``recipient``) are, per agency, exactly those the agency signed for
    ``recipient``: same count, same digest. ``where`` names the table, ``fix`` what to do."""
    groups = _grouped(table)
    signed = {e["agency"]: e["envelope_digests"].get(recipient) for e in exports}
    for (agency, addressed), leaves in sorted(groups.items()):
        if agency not in signed:
            raise IntegrityError(f"{len(leaves)} envelope(s) in the {where} come from agency '{agency}', which has "
                                 f"no export in it; {fix}")
        if addressed != recipient:
            raise IntegrityError(f"the {where} holds {len(leaves)} envelope(s) of agency '{agency}' addressed to "
                                 f"'{addressed}', not '{recipient}'; {fix}")
    for agency, entry in signed.items():
        leaves = groups.get((agency, recipient), [])
        count = 0 if entry is None else entry["envelopes"]
        if count != len(leaves):
            raise IntegrityError(f"agency '{agency}' signed {count} envelope(s) addressed to '{recipient}'; the "
                                 f"{where} holds {len(leaves)}: envelopes were dropped, added or copied from another "
                                 f"recipient; {fix}")
        if leaves and _set_digest(agency, recipient, leaves) != entry["digest"]:
            raise IntegrityError(f"the {len(leaves)} envelope(s) of agency '{agency}' addressed to '{recipient}' in "
                                 f"the {where} differ from those the agency signed: an envelope was altered, swapped "
                                 f"or moved to another record; {fix}")


# ------------------------------------------------------------------------------------------ exports


def _digest_problems(meta: Mapping[str, Any]) -> bool:
    digests = meta.get("envelope_digests")
    return not isinstance(digests, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("envelopes"), int) and v["envelopes"] > 0
        and isinstance(v.get("digest"), str) for v in digests.values())


def verify_exports(exports: Sequence[Mapping[str, Any]], *, expected_key_check: str | None = None,
                   fix: str) -> str:
    """Check the signed metadata of every export of a link run; return their one key check value.

    IntegrityError (ending in ``fix``) when there is none, one fails :func:`linkage.encoded.verify_metadata`,
    two name the same agency or differ in KCV, or one has no ``envelope_digests`` (an older linkage).
    """
    if not isinstance(exports, Sequence) or not exports:
        raise IntegrityError(f"the signed metadata of the agencies' exports is missing; {fix}")
    seen: set[str] = set()
    kcvs: set[str] = set()
    for i, meta in enumerate(exports):
        agency = meta.get("agency") if isinstance(meta, Mapping) else None
        label = f"the export of agency '{agency}'" if isinstance(agency, str) else f"export {i + 1}"
        stated = meta.get("key_check_value") if isinstance(meta, Mapping) else None
        if expected_key_check is not None and stated != expected_key_check:
            raise IntegrityError(f"{label} was signed under key check value {stated}, not {expected_key_check} (the "
                                 "project's, as given): check the value with the agencies; if it is right, this does "
                                 f"not come from the project's agencies; {fix}")
        try:
            verify_metadata(meta, expected_key_check=expected_key_check)
        except IntegrityError as exc:
            raise IntegrityError(f"{label}: {exc}; {fix}") from None
        if not isinstance(agency, str) or agency in seen or not isinstance(meta.get("created"), str):
            raise IntegrityError(f"{label}: its agency is missing or listed twice; {fix}")
        if _digest_problems(meta):
            raise IntegrityError(f"{label} has no signed envelope digests (encoded by an older linkage): ask the "
                                 "agency to encode it again with this version, then run linkage link again")
        seen.add(agency)
        kcvs.add(meta["key_check_value"])
    if len(kcvs) > 1:
        raise IntegrityError(f"the exports were signed under different project secrets ({', '.join(sorted(kcvs))}); "
                             f"{fix}")
    return kcvs.pop()


# ---------------------------------------------------------------------------------------- documents


def _message(kind: str, document: Mapping[str, Any]) -> bytes:
    body = json.dumps({k: v for k, v in document.items() if k != "signature"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return _SIGNATURE_DOMAIN + kind.encode() + b"\x00" + body.encode()


def sign_document(document: Mapping[str, Any], key: LinkageUnitKey, kind: str) -> dict[str, Any]:
    """``document`` (JSON data) with ``linkage_unit`` and the linkage unit's ``signature`` added."""
    signed = json.loads(json.dumps(dict(document)))  # what a reader parses is what was signed
    signed.pop("signature", None)
    signed["linkage_unit"] = {"public_key": base64.b64encode(key.public_key).decode(), "key_id": key.key_id}
    signed["signature"] = base64.b64encode(key.sign(_message(kind, signed))).decode()
    return signed


def verify_document(document: Mapping[str, Any], kind: str, public_key: bytes, *, what: str, fix: str) -> None:
    """IntegrityError unless ``document`` was signed as ``kind`` by the holder of ``public_key``."""
    unit = document.get("linkage_unit")
    try:
        stated = base64.b64decode(unit["public_key"], validate=True)  # type: ignore[index]
        signature = base64.b64decode(document["signature"], validate=True)
    except (KeyError, TypeError, ValueError):
        raise IntegrityError(f"the {what} is not signed by the linkage unit; {fix}") from None
    if stated != public_key:
        raise IntegrityError(f"the {what} was signed by another linkage unit key (key id "
                             f"{linkage_unit_key_id(stated)}, expected {linkage_unit_key_id(public_key)}); {fix}")
    try:
        verify_signature(public_key, _message(kind, document), signature)
    except IntegrityError:
        raise IntegrityError(f"the {what} was changed after the linkage unit signed it; {fix}") from None


def seal_manifest(manifest: Mapping[str, Any], file_digests: Mapping[str, str],
                  key: LinkageUnitKey | None) -> dict[str, Any]:
    """The manifest to write: ``files`` (name -> SHA-256 of every other result file) added and,
    with ``key``, signed by the linkage unit."""
    out = {**manifest, "files": dict(sorted(file_digests.items()))}
    return sign_document(out, key, RESULT_KIND) if key is not None else json.loads(json.dumps(out))


_RELINK = "run linkage link again from the agencies' exports (with the --signing-key you deliver with)"


def verify_result(manifest: Mapping[str, Any], file_digests: Mapping[str, str], *, public_key: bytes) -> None:
    """Check a link result before delivering from it: the manifest must be signed by
    ``public_key`` (the key deliver signs with) and list every file of ``file_digests`` with that
    digest. IntegrityError saying what to do otherwise."""
    if manifest.get("format_version") != 2:
        raise IntegrityError(f"the link result was written by an older linkage (no signed manifest); {_RELINK}")
    verify_document(manifest, RESULT_KIND, public_key, what="link result manifest", fix=_RELINK)
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    for name, digest in sorted(file_digests.items()):
        if listed.get(name) != digest:
            raise IntegrityError(f"{name} of the link result differs from the file the linkage unit signed "
                                 f"(damaged or altered); {_RELINK}")


def check_inputs(manifest: Mapping[str, Any], exports: Sequence[Mapping[str, Any]]) -> str:
    """The exports' key check value, once their signed metadata (:func:`verify_exports`) matches
    the inputs the (verified) manifest names: the same content digests in the same order."""
    kcv = verify_exports(exports, fix=_RELINK)
    inputs = [i.get("content_digest") for i in manifest.get("inputs", [])]
    if kcv != manifest.get("key_check_value") or inputs != [e.get("content_digest") for e in exports]:
        raise IntegrityError(f"the exports' signed metadata does not match the manifest's inputs; {_RELINK}")
    return kcv


# ------------------------------------------------------------------------------------ the recipient


@dataclass(frozen=True, slots=True, kw_only=True)
class Trust:
    """What a recipient trusts, both from a trusted channel: the linkage unit's public key (from
    the linkage unit, checked by key id) and the project's key check value (from the agencies)."""

    linkage_unit_key: bytes
    key_check_value: str

    def __post_init__(self) -> None:
        if not isinstance(self.linkage_unit_key, bytes) or len(self.linkage_unit_key) != 32:
            raise ConfigError("'linkage_unit_key' of Trust must be a 32-byte Ed25519 public key")
        kcv = self.key_check_value
        if not isinstance(kcv, str) or len(kcv) != _KEY_ID_LENGTH or kcv.count("-") != 3:
            raise ConfigError("'key_check_value' of Trust must look like 'a808-39e2-1a25-6a66' (from 'linkage keys "
                              "check' at an agency)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """What a verified package says about its origin (every time signed by whoever it names)."""

    linkage_unit_key_id: str
    key_check_value: str
    package_created: str  # signed by the linkage unit
    exports_created: Mapping[str, str]  # agency -> created, signed by each agency
    contributing: tuple[str, ...]  # agencies with envelopes for the recipient

    def to_dict(self) -> dict[str, Any]:
        return {"linkage_unit_key_id": self.linkage_unit_key_id, "key_check_value": self.key_check_value,
                "package_created": self.package_created, "exports_created": dict(self.exports_created),
                "contributing_agencies": list(self.contributing)}


def _day(stamp: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(stamp[:10])
    except (TypeError, ValueError):
        return None


def stale_warnings(provenance: Provenance, at: _dt.date, *, max_age_days: int) -> list[str]:
    """Warnings (no values) when the package, or the export of an agency whose envelopes it holds,
    was made more than ``max_age_days`` before ``at``; from signed times only."""
    out = []
    made = _day(provenance.package_created)
    if made is not None and (at - made).days > max_age_days:
        out.append(f"the package was made {(at - made).days} days before {at} (signed by the linkage unit); grants "
                   "withdrawn since then still show in it: ask the linkage unit for a fresh package")
    ages = {a: (at - d).days for a in provenance.contributing if (d := _day(provenance.exports_created[a]))}
    old = sorted(a for a, age in ages.items() if age > max_age_days)
    if old:
        oldest = max(ages[a] for a in old)
        out.append(f"the export(s) of {', '.join(old)} were encoded up to {oldest} days before {at} (signed by the "
                   "agencies); grants withdrawn since then still show: ask the linkage unit for a fresh package from "
                   "fresh exports")
    return out
