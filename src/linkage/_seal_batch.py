"""Sealing the payloads of many records at once (the fast kernel behind :class:`linkage.payload.PayloadSealing`).

Contract
--------
:func:`seal_records` takes, for ``n`` records, their record references, their payload fields as
:class:`PayloadColumn` (a code per record into a vocabulary of normalised values, ``-1`` = no
value), their capture dates (ISO text) and their consent scopes (``list<SCOPE_TYPE>``), and
returns their envelopes (``list<ENVELOPE_TYPE>``, one list per record, possibly empty). Each
record gets one envelope per scope, in scope order, that names a recipient (not ``*``), is not
for purpose ``linkage`` and covers at least one of the record's non-empty payload fields (the
fields whose data class the scope lists, or all for ``*``).

Every envelope is exactly what :meth:`linkage.seal.PayloadSealer.seal` makes of the same input
(:func:`seal_records_reference` calls it per envelope and is the definition the kernel is tested
against): the same canonical JSON plaintext padded the same way, the same associated data, the
same recipient, purpose and validity; it opens with :func:`linkage.seal.open_envelope`. Only the
random nonces (one ``os.urandom`` call for all of them) and the sealer's ephemeral keys differ
between runs. The kernel builds plaintexts and associated data column-wise with Arrow (each
distinct field value is JSON-encoded once) and leaves one AEAD call and one SHA-256 (the
envelope's leaf hash for the signed envelope digests) per envelope in Python, a batch of
envelopes at a time, writing the ciphertexts into one buffer that becomes the Arrow column.

Errors are those of the sealer (ConfigError, KeyFileError for a scope; DataError for a payload
value that is not valid Unicode, naming the record reference, never the value).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _encode_string

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .authenticity import envelope_leaf
from .encoded import ENVELOPE_TYPE
from .errors import ConfigError, DataError
from .seal import _AAD_HEAD, _PAYLOAD_FORMAT, NONCE_BYTES, PAD_BYTES, SEAL_VERSION, TAG_BYTES, PayloadSealer, iso_day

__all__ = ["PayloadColumn", "EnvelopeInputs", "envelope_inputs", "seal_records", "seal_records_reference"]

_ANY = "*"
_LINKAGE = "linkage"
_BATCH = 8192  # envelopes encrypted and hashed at a time
_NO_DATE = "\x01"  # stands for a missing validity bound in scope keys (never in an ISO date)


@dataclass(frozen=True, slots=True)
class PayloadColumn:
    """One payload field of ``n`` records: ``vocab[codes[i]]`` is record i's value (-1: none)."""

    name: str
    data_class: str
    codes: np.ndarray
    vocab: Sequence[str]

    def value(self, row: int) -> str | None:
        code = int(self.codes[row])
        return None if code < 0 else self.vocab[code]


@dataclass(frozen=True, slots=True)
class EnvelopeInputs:
    """What is sealed, per envelope: its record (row), scope columns, plaintext (canonical JSON,
    padded with spaces to ``sizes``), associated data, and its recipient's ``aead``."""

    rows: np.ndarray
    record_ref: pa.Array
    recipient: pa.Array
    purpose: pa.Array
    valid_from: pa.Array
    valid_until: pa.Array
    ephemeral_key: pa.Array
    plaintext: pa.Array  # unpadded
    sizes: np.ndarray  # padded plaintext bytes
    associated_data: pa.Array
    aead: list[ChaCha20Poly1305]

    def plaintexts(self, start: int = 0, stop: int | None = None) -> list[bytes]:
        """The padded plaintexts of envelopes ``start:stop``."""
        stop = len(self.rows) if stop is None else stop
        raw = self.plaintext.slice(start, stop - start).to_pylist()
        return [p.ljust(size) for p, size in zip(raw, self.sizes[start:stop].tolist())]


def _json(text: str) -> str:
    """``json.dumps(text, ensure_ascii=False)``: the encoder it calls, without its dispatch."""
    return _encode_string(text)


def _binary(values: Sequence[bytes]) -> pa.Array:
    return pa.array(values, pa.binary())


def _framed(column: pa.Array | str, m: int) -> list[pa.Array | bytes]:
    """Each value as a 4-byte big-endian length and its UTF-8 bytes, a null as ``0xFFFFFFFF``
    (the framing of the associated data), as two parts to join: prefixes and values."""
    if isinstance(column, str):
        raw = column.encode("utf-8")
        return [len(raw).to_bytes(4, "big"), raw]
    column = column.cast(pa.binary())
    lengths = np.asarray(pc.binary_length(column).fill_null(-1), dtype=np.int64).astype(">u4")
    offsets = np.arange(0, 4 * m + 1, 4, dtype=np.int32)
    prefix = pa.Array.from_buffers(pa.binary(), m, [None, pa.py_buffer(offsets), pa.py_buffer(lengths.tobytes())])
    return [prefix, column.fill_null(b"")]


def _checked_scopes(sealer: PayloadSealer, recipient: pa.Array, purpose: pa.Array, valid_from: pa.Array,
                    valid_until: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The checks of :meth:`PayloadSealer.scope`, column-wise: each distinct date once with
    :func:`linkage.seal.iso_day` (its ISO form), then purposes and windows as array operations."""
    if len(purpose) and int(pc.min(pc.binary_length(purpose)).as_py()) == 0:
        raise ConfigError("'purpose' must be a non-empty string")
    checked = []
    for column, what in ((valid_from, "valid_from"), (valid_until, "valid_until")):
        encoded = column.dictionary_encode()
        days = [None if d is None else iso_day(d, what) for d in encoded.dictionary.to_pylist()]
        checked.append(pa.array(days, pa.string()).take(encoded.indices))
    start, end = checked
    before = np.asarray(pc.less(end, start).fill_null(False))
    if before.any():
        i = int(np.argmax(before))
        raise ConfigError(f"'valid_until' ({end[i].as_py()}) is before 'valid_from' ({start[i].as_py()}) for "
                          f"recipient '{recipient[i].as_py()}'")
    return start, end


def _fragments(column: PayloadColumn) -> tuple[pa.Array, np.ndarray]:
    """``"name":"value"`` (canonical JSON, UTF-8) per record, null without a value; and which
    vocabulary entries cannot be encoded (lone surrogates)."""
    key = _json(column.name) + ":"
    encoded, bad = [], np.zeros(len(column.vocab), dtype=bool)
    for i, value in enumerate(column.vocab):
        try:
            encoded.append((key + _json(value)).encode("utf-8"))
        except UnicodeEncodeError:
            encoded.append(b"")
            bad[i] = True
    codes = np.asarray(column.codes, dtype=np.int64)
    return _binary(encoded).take(pa.array(np.maximum(codes, 0), mask=codes < 0)), bad


def _class_masks(classes: pa.Array, columns: Sequence[PayloadColumn]) -> np.ndarray:
    """Per scope, which payload columns its data classes cover: (scopes, columns) booleans."""
    keys = pc.binary_join(classes, "\x1f").dictionary_encode()
    covered = []
    for key in keys.dictionary.to_pylist():
        listed = set(key.split("\x1f")) if key else set()
        covered.append([_ANY in listed or c.data_class in listed for c in columns])
    table = np.asarray(covered, dtype=bool).reshape(len(covered), len(columns))
    return table[np.asarray(keys.indices, dtype=np.int64)]


def envelope_inputs(sealer: PayloadSealer, refs: Sequence[str], columns: Sequence[PayloadColumn],
                    captured: Sequence[str], scopes: pa.Array) -> EnvelopeInputs:
    """Select the envelopes of ``n`` records and build their plaintexts and associated data."""
    n = len(refs)
    order = sorted(range(len(columns)), key=lambda j: columns[j].name)  # JSON keys sorted
    columns = [columns[j] for j in order]
    lengths = np.asarray(scopes.value_lengths().fill_null(0), dtype=np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    recipient, purpose, classes, _, valid_from, valid_until = scopes.flatten().flatten()
    frags = [_fragments(c) for c in columns]
    covered = _class_masks(classes, columns)
    present = np.stack([np.asarray(c.codes, dtype=np.int64)[rows] >= 0 for c in columns], axis=1)
    included = covered & present
    keep = (np.asarray(pc.not_equal(recipient, _ANY)) & np.asarray(pc.not_equal(purpose, _LINKAGE))
            & included.any(axis=1))
    where = np.flatnonzero(keep)
    rows, included = rows[where], included[where]
    take = pa.array(where)
    recipient, purpose = recipient.take(take), purpose.take(take)
    valid_from, valid_until = valid_from.take(take), valid_until.take(take)
    m = len(rows)
    valid_from, valid_until = _checked_scopes(sealer, recipient, purpose, valid_from, valid_until)
    by_recipient = recipient.dictionary_encode()
    recipient_of = np.asarray(by_recipient.indices, dtype=np.int64)
    keys, aeads = [], []
    for name in by_recipient.dictionary.to_pylist():  # checks the name and the key; one X25519 each
        ephemeral, aead = sealer.recipient_key(name)
        keys.append(ephemeral)
        aeads.append(aead)
    ref_array = pa.array(list(refs), pa.string()).cast(pa.binary())
    if n and int(pc.min(pc.binary_length(ref_array)).as_py()) == 0:
        raise ConfigError("'record_ref' must be a non-empty string")
    bad_rows = np.zeros(m, dtype=bool)
    for j, (_, bad) in enumerate(frags):
        if bad.any():
            bad_rows |= included[:, j] & bad[np.maximum(np.asarray(columns[j].codes, dtype=np.int64)[rows], 0)]
    if bad_rows.any():
        raise DataError(f"the payload of record {refs[int(rows[np.argmax(bad_rows)])]} holds text that is not "
                        "valid Unicode")
    take_rows = pa.array(rows)
    parts = [pc.if_else(pa.array(included[:, j]), frag.take(take_rows), pa.scalar(None, pa.binary()))
             for j, (frag, _) in enumerate(frags)]
    body = pc.binary_join_element_wise(*parts, b",", null_handling="skip")
    captured_codes, captured_vocab = pd.factorize(np.asarray(captured, dtype=object))
    captured_json = _binary([_json(c).encode("utf-8") for c in captured_vocab]).take(pa.array(captured_codes))
    head = b'{"agency":' + _json(sealer.agency).encode("utf-8") + b',"captured":'
    tail = b'},"format":' + _json(_PAYLOAD_FORMAT).encode() + b',"version":' + str(SEAL_VERSION).encode() + b"}"
    raw = pc.binary_join_element_wise(head, captured_json.take(take_rows), b',"fields":{', body, tail, b"")
    sizes = np.asarray(pc.binary_length(raw), dtype=np.int64)
    pad = np.full(m, PAD_BYTES, dtype=np.int64)
    for i in np.flatnonzero(sizes > PAD_BYTES).tolist():  # rare: the next power of two
        pad[i] = 1 << (int(sizes[i]) - 1).bit_length()
    refs_taken = ref_array.take(take_rows)
    framed = [part for column in (refs_taken, sealer.agency, recipient, purpose, valid_from, valid_until)
              for part in _framed(column, m)]
    aad = pc.binary_join_element_wise(_AAD_HEAD, *framed, b"")
    return EnvelopeInputs(
        rows=rows, record_ref=refs_taken, recipient=recipient, purpose=purpose, valid_from=valid_from,
        valid_until=valid_until, ephemeral_key=_binary(keys).take(by_recipient.indices), plaintext=raw, sizes=pad,
        associated_data=aad, aead=[aeads[i] for i in recipient_of.tolist()])


def seal_records(sealer: PayloadSealer, refs: Sequence[str], columns: Sequence[PayloadColumn],
                 captured: Sequence[str], scopes: pa.Array) -> tuple[pa.ListArray, np.ndarray]:
    """The envelopes of ``n`` records (see the module docstring) and the leaf hash of each
    envelope in order (:func:`linkage.authenticity.envelope_leaf`, as an (m, 32) uint8 matrix)."""
    batch = envelope_inputs(sealer, refs, columns, captured, scopes)
    m = len(batch.rows)
    nonces = os.urandom(NONCE_BYTES * m)
    nonce = _fixed_width(nonces, NONCE_BYTES, m)
    fields = [batch.recipient, batch.purpose, batch.valid_from, batch.valid_until, batch.ephemeral_key, nonce]
    # leaf = SHA-256 of the framed record ref, envelope fields and ciphertext: all but the
    # ciphertext framed column-wise (its length is the padded size plus the tag)
    sizes = batch.sizes + TAG_BYTES
    framed = [part for column in (batch.record_ref, *fields) for part in _framed(column, m)]
    heads = pc.binary_join_element_wise(*framed, _fixed_width(sizes.astype(">u4").tobytes(), 4, m), b"")
    offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    leaves = np.empty((m, 32), dtype=np.uint8)
    sha256 = hashlib.sha256
    for lo in range(0, m, _BATCH):  # a batch at a time: its Python objects reuse the last batch's memory
        hi = min(m, lo + _BATCH)
        ciphertexts = [aead.encrypt(nonces[i : i + NONCE_BYTES], plaintext, aad) for aead, i, plaintext, aad
                       in zip(batch.aead[lo:hi], range(NONCE_BYTES * lo, NONCE_BYTES * hi, NONCE_BYTES),
                              batch.plaintexts(lo, hi), batch.associated_data.slice(lo, hi - lo).to_pylist())]
        data[offsets[lo] : offsets[hi]] = np.frombuffer(b"".join(ciphertexts), dtype=np.uint8)
        digests = [sha256(head + ciphertext).digest()
                   for head, ciphertext in zip(heads.slice(lo, hi - lo).to_pylist(), ciphertexts)]
        leaves[lo:hi] = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(hi - lo, 32)
    ciphertext = pa.Array.from_buffers(pa.binary(), m, [None, pa.py_buffer(offsets.astype(np.int32)),
                                                        pa.py_buffer(data)])
    envelopes = pa.StructArray.from_arrays(fields + [ciphertext], fields=list(ENVELOPE_TYPE))
    counts = np.bincount(batch.rows, minlength=len(refs)) if m else np.zeros(len(refs), dtype=np.int64)
    list_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return (pa.ListArray.from_arrays(pa.array(list_offsets), envelopes, type=pa.list_(ENVELOPE_TYPE)),
            leaves)


def _fixed_width(data: bytes, width: int, m: int) -> pa.Array:
    """``m`` binary values of ``width`` bytes each, cut from ``data`` without copying."""
    offsets = np.arange(0, width * m + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), m, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def seal_records_reference(sealer: PayloadSealer, refs: Sequence[str], columns: Sequence[PayloadColumn],
                           captured: Sequence[str], scopes: pa.Array) -> tuple[pa.ListArray, np.ndarray]:
    """The plain definition: one :meth:`PayloadSealer.seal` call per record and scope (and one
    :func:`linkage.authenticity.envelope_leaf` per envelope)."""
    out = []
    for i, record_scopes in enumerate(scopes.to_pylist()):
        envelopes = []
        for s in record_scopes or ():
            if s["recipient"] == _ANY or s["purpose"] == _LINKAGE:
                continue
            allowed = s["data_classes"]
            fields = {c.name: c.value(i) for c in columns
                      if c.value(i) is not None and (_ANY in allowed or c.data_class in allowed)}
            if fields:
                envelopes.append(sealer.seal(fields, record_ref=refs[i], recipient=s["recipient"],
                                             purpose=s["purpose"], valid_from=s["valid_from"],
                                             valid_until=s["valid_until"], captured=captured[i]).to_arrow_dict())
        out.append(envelopes)
    leaves = [envelope_leaf(refs[i], e) for i, envelopes in enumerate(out) for e in envelopes]
    return (pa.array(out, type=pa.list_(ENVELOPE_TYPE)),
            np.frombuffer(b"".join(leaves), dtype=np.uint8).reshape(len(leaves), 32))
