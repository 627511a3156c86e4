"""Sealed payloads: what one agency lets one recipient see of one record, unreadable to anyone else.

Contract
--------
* A **recipient** (an office that may see a consolidated view) has an X25519 key pair. Its name is
  a lower-case identifier (``a-z``, ``0-9``, ``_``, starting with a letter, at most 40 characters);
  its **key id** (``recipient_key_id``) is a fingerprint of the public key in the style of the key
  check value (16 hex digits in groups of four): safe to print and compare, it reveals nothing.
  A :class:`Keyring` maps recipient names to public keys; agencies seal with it.
* :func:`seal_payload` encrypts one record's payload for one recipient into an :class:`Envelope`
  whose fields are exactly the columns of ``linkage.encoded.ENVELOPE_TYPE``:

  - plaintext: canonical JSON (sorted keys, no spaces, UTF-8) of ``{"agency", "captured",
    "fields", "format": "linkage-payload", "version": 1}``, padded with spaces to
    :data:`PAD_BYTES` (512) bytes, or the next power of two for a longer payload, so the
    ciphertext length does not follow the length of names or addresses (nearly every envelope
    has the same size);
  - an ephemeral X25519 key: fresh per envelope with :func:`seal_payload`; with a
    :class:`PayloadSealer` (what ``linkage encode`` uses) one per sealer and recipient, i.e. per
    encoding run (or worker part) and recipient, so the key agreement is paid once, not per
    envelope; ``shared = X25519(ephemeral, recipient public)``;
  - ``key = HKDF-SHA256(shared, salt = ephemeral public || recipient public,
    info = "linkage/seal/v1", length 32)``;
  - ``ciphertext = ChaCha20-Poly1305(key).encrypt(nonce, plaintext, associated data)`` with a
    fresh random 12-byte nonce per envelope (with a shared ephemeral key the envelopes of one
    run to one recipient share the AEAD key: random 96-bit nonces are safe for far more than
    2^24 envelopes per key, and a sealer is one run);
  - associated data: each of ``"linkage-envelope"``, ``"1"``, record_ref, agency, recipient,
    purpose, valid_from, valid_until as a 4-byte big-endian length and its UTF-8 bytes (a missing
    date as length ``0xFFFFFFFF`` and no bytes). An envelope therefore cannot be moved to another
    record, agency, recipient, purpose or validity window: opening it there fails.
* :func:`open_envelope` decrypts for the holder of the recipient's private key and raises
  :class:`~linkage.errors.IntegrityError` when the envelope is addressed to someone else, the key is
  wrong, or anything bound to it was changed. Whether the grant is valid *today* is the viewer's
  decision (:func:`is_valid_at`), not the opener's.
* Dates are ISO ``YYYY-MM-DD`` strings; validity is inclusive at both ends and a missing bound is
  open. No error message contains a payload value; record references (keyed pseudonyms), agency,
  recipient and purpose names may appear.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigError, DataError, IntegrityError, KeyFileError

__all__ = [
    "SEAL_VERSION", "KEY_BYTES", "NONCE_BYTES",
    "RecipientKeyPair", "generate_recipient_key", "recipient_key_id", "check_recipient_name", "check_public_key",
    "Keyring", "Envelope", "OpenedPayload", "iso_day", "seal_payload", "PayloadSealer", "open_envelope",
    "EnvelopeOpener", "is_valid_at",
]

SEAL_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
PAD_BYTES = 512  # every payload padded to this size, a longer one to the next power of two
_HKDF_INFO = b"linkage/seal/v1"
_AAD_LABEL = "linkage-envelope"
_PAYLOAD_FORMAT = "linkage-payload"
_KEY_ID_DOMAIN = b"linkage/recipient-key-id/v1\x00"
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_NO_VALUE = b"\xff\xff\xff\xff"
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
#: Any fixed private key: every low-order public point gives it an all-zero shared secret (refused).
_PROBE = X25519PrivateKey.from_private_bytes(hashlib.sha256(b"linkage/x25519-probe").digest())

DateLike = _dt.date | str


# ------------------------------------------------------------------------------------ recipients


def check_recipient_name(name: object) -> str:
    """Return ``name`` if it is a valid recipient name, else raise ConfigError saying why."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        shown = repr(name) if isinstance(name, str) else type(name).__name__
        raise ConfigError(f"recipient name {shown} must be a lower-case identifier "
                          "(a-z, 0-9 and _, starting with a letter, at most 40 characters)")
    return name


def recipient_key_id(public_key: bytes) -> str:
    """Fingerprint of a recipient public key: 16 hex digits in groups of four."""
    digest = hashlib.sha256(_KEY_ID_DOMAIN + public_key).hexdigest()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def check_public_key(public_key: object, recipient: str) -> bytes:
    """Return ``public_key`` if it is a usable X25519 public key, else raise KeyFileError.

    Low-order points (whose shared secret is all zeros for every private key) are refused.
    """
    if not isinstance(public_key, bytes) or len(public_key) != KEY_BYTES:
        raise KeyFileError(f"the public key of recipient '{recipient}' must be {KEY_BYTES} raw bytes")
    try:
        _PROBE.exchange(X25519PublicKey.from_public_bytes(public_key))
    except ValueError:
        raise KeyFileError(f"the public key of recipient '{recipient}' is not a valid X25519 key") from None
    return public_key


@dataclass(frozen=True, slots=True)
class RecipientKeyPair:
    """A recipient's X25519 key pair. Its repr never shows the private key."""

    name: str
    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        check_recipient_name(self.name)
        if not isinstance(self.private_key, bytes) or len(self.private_key) != KEY_BYTES:
            raise KeyFileError(f"the private key of recipient '{self.name}' must be {KEY_BYTES} raw bytes")

    def _private(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(self.private_key)

    @property
    def public_key(self) -> bytes:
        """Raw 32-byte X25519 public key (goes into the keyring)."""
        return self._private().public_key().public_bytes(*_RAW)

    @property
    def key_id(self) -> str:
        """Fingerprint of the public key (safe to print and share)."""
        return recipient_key_id(self.public_key)


def generate_recipient_key(name: str) -> RecipientKeyPair:
    """A fresh X25519 key pair for recipient ``name`` from the operating system's CSPRNG."""
    check_recipient_name(name)
    raw = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return RecipientKeyPair(name, raw)


class Keyring(Mapping[str, bytes]):
    """Recipient name -> raw X25519 public key; immutable. ``source`` names it in errors."""

    __slots__ = ("_keys", "_source")

    def __init__(self, keys: Mapping[str, bytes] | None = None, *, source: str | None = None) -> None:
        checked = {check_recipient_name(n): check_public_key(k, n) for n, k in (keys or {}).items()}
        self._keys: Mapping[str, bytes] = MappingProxyType(dict(sorted(checked.items())))
        self._source = source

    @property
    def source(self) -> str | None:
        """Where the keyring was read from (named in errors), if anywhere."""
        return self._source

    def __getitem__(self, name: str) -> bytes:
        return self._keys[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Keyring({', '.join(f'{n}={self.key_id(n)}' for n in self._keys)})"

    def lookup(self, name: str) -> bytes:
        """The public key of recipient ``name``; KeyFileError naming it when it is not here."""
        try:
            return self._keys[name]
        except KeyError:
            where = f"keyring {self.source}" if self.source else "the keyring"
            known = ", ".join(self._keys) or "none"
            raise KeyFileError(f"recipient '{name}' is not in {where} (recipients: {known}); "
                               "create its key with 'linkage keys recipient'") from None

    def key_id(self, name: str) -> str:
        """Key id of recipient ``name``'s public key."""
        return recipient_key_id(self.lookup(name))

    def with_key(self, name: str, public_key: bytes) -> "Keyring":
        """A new keyring with ``name`` set to ``public_key`` (added or replaced)."""
        return Keyring({**self._keys, name: public_key}, source=self.source)


# ------------------------------------------------------------------------------------- envelopes


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """One sealed payload; the fields are the columns of ``ENVELOPE_TYPE`` in the same order."""

    recipient: str
    purpose: str
    valid_from: str | None
    valid_until: str | None
    ephemeral_key: bytes
    nonce: bytes
    ciphertext: bytes

    def __post_init__(self) -> None:
        problems = []
        for name in ("recipient", "purpose"):
            if not isinstance(getattr(self, name), str):
                problems.append(f"'{name}' must be a string")
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or _parse_iso(value) is None):
                problems.append(f"'{name}' must be an ISO date (YYYY-MM-DD) or missing")
        for name, size in (("ephemeral_key", KEY_BYTES), ("nonce", NONCE_BYTES)):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != size:
                problems.append(f"'{name}' must be {size} bytes")
        if not isinstance(self.ciphertext, bytes) or len(self.ciphertext) < TAG_BYTES:
            problems.append(f"'ciphertext' must be at least {TAG_BYTES} bytes")
        if problems:
            raise IntegrityError("malformed envelope: " + "; ".join(problems))

    def to_arrow_dict(self) -> dict[str, Any]:
        """A dict in ``ENVELOPE_TYPE`` field order (for ``pa.array(..., type=ENVELOPE_TYPE)``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_arrow_dict(cls, data: Mapping[str, Any]) -> "Envelope":
        """The envelope of one ``ENVELOPE_TYPE`` struct value; IntegrityError if it is malformed."""
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data]
        if missing:
            raise IntegrityError(f"malformed envelope: missing {', '.join(repr(n) for n in missing)}")
        return cls(**{n: data[n] for n in names})


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedPayload:
    """What an opened envelope holds: the field values, the agency and the date they were captured."""

    fields: Mapping[str, str | None]
    agency: str
    captured: str


def _parse_iso(value: str) -> _dt.date | None:
    if len(value) != 10:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return None


def iso_day(value: DateLike | None, what: str) -> str:
    """``value`` (a date, datetime or ISO ``YYYY-MM-DD`` text) as ISO text; ConfigError naming ``what``."""
    if value is None:
        raise ConfigError(f"'{what}' is required (an ISO date)")
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str) and _parse_iso(value) is not None:
        return value
    raise ConfigError(f"'{what}' must be an ISO date (YYYY-MM-DD)")


def _nonempty(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{what}' must be a non-empty string")
    return value


def _length_prefixed(part: str | None) -> bytes:
    if part is None:
        return _NO_VALUE
    raw = part.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw


_AAD_HEAD = _length_prefixed(_AAD_LABEL) + _length_prefixed(str(SEAL_VERSION))


def _associated_data(record_ref: str, agency: str, recipient: str, purpose: str,
                     valid_from: str | None, valid_until: str | None) -> bytes:
    return _AAD_HEAD + _length_prefixed(record_ref) + _aad_tail(agency, recipient, purpose, valid_from, valid_until)


def _aad_tail(agency: str, recipient: str, purpose: str, valid_from: str | None, valid_until: str | None) -> bytes:
    """The associated data after the record reference (the same for every record of one scope)."""
    return b"".join(_length_prefixed(p) for p in (agency, recipient, purpose, valid_from, valid_until))


def _derive_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral_public + recipient_public,
                info=_HKDF_INFO)
    return hkdf.derive(shared)


def _canonical_payload(payload: Mapping[str, str | None], agency: str, captured: str, record_ref: str) -> bytes:
    if not isinstance(payload, Mapping):
        raise DataError(f"the payload of record {record_ref} must be a mapping of field name to text")
    values: dict[str, str | None] = {}
    for name, value in payload.items():
        if not isinstance(name, str) or not name:
            raise DataError(f"the payload of record {record_ref} has a field name that is not a non-empty string")
        if value is not None and not isinstance(value, str):
            raise DataError(f"payload field '{name}' of record {record_ref} must be text or missing, "
                            f"got {type(value).__name__}")
        values[name] = value
    doc = {"agency": agency, "captured": captured, "fields": values, "format": _PAYLOAD_FORMAT,
           "version": SEAL_VERSION}
    try:
        raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(f"the payload of record {record_ref} holds text that is not valid Unicode") from None
    size = max(PAD_BYTES, 1 << (len(raw) - 1).bit_length())
    return raw + b" " * (size - len(raw))


def _checked_window(recipient: str, valid_from: DateLike | None,
                    valid_until: DateLike | None) -> tuple[str | None, str | None]:
    start = None if valid_from is None else iso_day(valid_from, "valid_from")
    end = None if valid_until is None else iso_day(valid_until, "valid_until")
    if start is not None and end is not None and end < start:
        raise ConfigError(f"'valid_until' ({end}) is before 'valid_from' ({start}) for recipient '{recipient}'")
    return start, end


def seal_payload(payload: Mapping[str, str | None], *, record_ref: str, agency: str, recipient: str,
                 recipient_public_key: bytes, purpose: str, valid_from: DateLike | None,
                 valid_until: DateLike | None, captured: DateLike) -> Envelope:
    """Encrypt ``payload`` (field name -> value) of record ``record_ref`` for ``recipient``.

    Each call uses a fresh ephemeral key and nonce, so sealing the same payload twice gives
    different envelopes. Invalid names or dates raise ConfigError, a payload that is not text
    raises DataError, an unusable public key KeyFileError.
    """
    sealer = PayloadSealer({recipient: recipient_public_key}, agency=agency)
    return sealer.seal(payload, record_ref=record_ref, recipient=recipient, purpose=purpose,
                       valid_from=valid_from, valid_until=valid_until, captured=captured)


class PayloadSealer:
    """Seals many payloads of one agency; one ephemeral key (and AEAD key) per recipient.

    ``public_keys`` maps recipient names to raw X25519 public keys (a :class:`Keyring` or a
    dict). The ephemeral private keys live only in this object: drop it when the run is done.
    Envelopes open with :func:`open_envelope` exactly like those of :func:`seal_payload`.
    """

    def __init__(self, public_keys: Mapping[str, bytes], *, agency: str) -> None:
        self._agency = _nonempty(agency, "agency")
        self._public_keys = dict(public_keys)
        self._keys: dict[str, tuple[bytes, ChaCha20Poly1305]] = {}
        self._scopes: dict[tuple[Any, ...], tuple[str | None, str | None, bytes]] = {}

    def _key(self, recipient: str) -> tuple[bytes, ChaCha20Poly1305]:
        cached = self._keys.get(recipient)
        if cached is not None:
            return cached
        check_recipient_name(recipient)
        public = self._public_keys.get(recipient)
        if public is None:
            raise KeyFileError(f"recipient '{recipient}' has no public key here; add it to the keyring "
                               "('linkage keys recipient')")
        if not isinstance(public, bytes) or len(public) != KEY_BYTES:
            raise KeyFileError(f"the public key of recipient '{recipient}' must be {KEY_BYTES} raw bytes")
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes(*_RAW)
        try:
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
        except ValueError:  # a low-order point: the shared secret would be all zeros
            raise KeyFileError(f"the public key of recipient '{recipient}' is not a valid X25519 key") from None
        cached = (ephemeral_public, ChaCha20Poly1305(_derive_key(shared, ephemeral_public, public)))
        self._keys[recipient] = cached
        return cached

    @property
    def agency(self) -> str:
        return self._agency

    def recipient_key(self, recipient: str) -> tuple[bytes, ChaCha20Poly1305]:
        """The ephemeral public key and the AEAD of ``recipient`` for this sealer (made on first use)."""
        return self._key(recipient)

    def scope(self, recipient: str, purpose: str, valid_from: DateLike | None,
              valid_until: DateLike | None) -> tuple[str | None, str | None, bytes]:
        """The checked validity window (ISO text) and the associated data after the record
        reference for envelopes of this scope; checked once per scope (ConfigError, KeyFileError)."""
        scope = (recipient, purpose, valid_from, valid_until)
        cached = self._scopes.get(scope)
        if cached is None:  # checked once per scope; the AAD after the record ref is the same for all
            self._key(recipient)
            purpose = _nonempty(purpose, "purpose")
            start, end = _checked_window(recipient, valid_from, valid_until)
            cached = self._scopes[scope] = (start, end, _aad_tail(self._agency, recipient, purpose, start, end))
        return cached

    def seal(self, payload: Mapping[str, str | None], *, record_ref: str, recipient: str, purpose: str,
             valid_from: DateLike | None, valid_until: DateLike | None, captured: DateLike) -> Envelope:
        """Encrypt ``payload`` of record ``record_ref`` for ``recipient`` (see :func:`seal_payload`)."""
        record_ref = _nonempty(record_ref, "record_ref")
        ephemeral_public, aead = self._key(recipient)
        start, end, tail = self.scope(recipient, purpose, valid_from, valid_until)
        plaintext = _canonical_payload(payload, self._agency, iso_day(captured, "captured"), record_ref)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = aead.encrypt(nonce, plaintext, _AAD_HEAD + _length_prefixed(record_ref) + tail)
        return Envelope(recipient=recipient, purpose=purpose, valid_from=start, valid_until=end,
                        ephemeral_key=ephemeral_public, nonce=nonce, ciphertext=ciphertext)


def open_envelope(envelope: Envelope, *, record_ref: str, agency: str,
                  private_key: RecipientKeyPair | X25519PrivateKey, recipient: str) -> OpenedPayload:
    """Decrypt ``envelope`` of record ``record_ref`` from ``agency`` as ``recipient``.

    IntegrityError when the envelope is addressed to another recipient, the private key is not
    ``recipient``'s, the private key is wrong, or the envelope was altered or moved to another
    record, agency, purpose or validity window. Validity in time is not checked here.
    """
    return EnvelopeOpener(private_key, recipient).open(envelope, record_ref=record_ref, agency=agency)


class EnvelopeOpener:
    """Opens many envelopes for one recipient; the key agreement is done once per ephemeral key.

    Envelopes sealed by one :class:`PayloadSealer` share an ephemeral key, so a package of
    thousands of envelopes costs a handful of X25519 operations. Same checks and errors as
    :func:`open_envelope`.
    """

    def __init__(self, private_key: RecipientKeyPair | X25519PrivateKey, recipient: str | None = None) -> None:
        if isinstance(private_key, RecipientKeyPair):
            if recipient is not None and private_key.name != recipient:
                raise IntegrityError(f"the private key given belongs to recipient '{private_key.name}', "
                                     f"not '{recipient}'")
            recipient, private_key = private_key.name, private_key._private()
        if recipient is None:
            raise ConfigError("the recipient's name is required with a bare X25519 private key")
        self._private = private_key
        self._recipient = recipient
        self._public = private_key.public_key().public_bytes(*_RAW)
        self._aeads: dict[bytes, ChaCha20Poly1305 | None] = {}

    def _aead(self, ephemeral_key: bytes) -> ChaCha20Poly1305 | None:
        if ephemeral_key not in self._aeads:
            try:
                shared = self._private.exchange(X25519PublicKey.from_public_bytes(ephemeral_key))
                self._aeads[ephemeral_key] = ChaCha20Poly1305(_derive_key(shared, ephemeral_key, self._public))
            except ValueError:  # a low-order ephemeral point: no envelope of ours
                self._aeads[ephemeral_key] = None
        return self._aeads[ephemeral_key]

    def open(self, envelope: Envelope, *, record_ref: str, agency: str) -> OpenedPayload:
        if envelope.recipient != self._recipient:
            raise IntegrityError(f"the envelope of record {record_ref} is addressed to '{envelope.recipient}', "
                                 f"not '{self._recipient}'")
        aead = self._aead(envelope.ephemeral_key)
        aad = _associated_data(record_ref, agency, envelope.recipient, envelope.purpose, envelope.valid_from,
                               envelope.valid_until)
        try:
            if aead is None:
                raise ValueError("low-order point")
            plaintext = aead.decrypt(envelope.nonce, envelope.ciphertext, aad)
        except (InvalidTag, ValueError):
            raise IntegrityError(f"cannot open the envelope of record {record_ref}: wrong private key, "
                                 "or it was altered or moved to another record") from None
        return _parse_payload(plaintext, record_ref, agency)


def _parse_payload(plaintext: bytes, record_ref: str, agency: str) -> OpenedPayload:
    unreadable = IntegrityError(f"the envelope of record {record_ref} holds a payload this version cannot read "
                                f"(expected {_PAYLOAD_FORMAT} version {SEAL_VERSION})")
    try:
        doc = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise unreadable from None
    if (not isinstance(doc, dict) or doc.get("format") != _PAYLOAD_FORMAT or doc.get("version") != SEAL_VERSION
            or set(doc) != {"agency", "captured", "fields", "format", "version"}):
        raise unreadable
    values, captured = doc["fields"], doc["captured"]
    if (not isinstance(values, dict) or not all(v is None or isinstance(v, str) for v in values.values())
            or not isinstance(captured, str) or _parse_iso(captured) is None):
        raise unreadable
    if doc["agency"] != agency:
        raise IntegrityError(f"the envelope of record {record_ref} was sealed by another agency than '{agency}'")
    return OpenedPayload(fields=MappingProxyType(values), agency=agency, captured=captured)


def is_valid_at(envelope: Envelope, when: DateLike) -> bool:
    """Whether ``when`` lies in the envelope's validity window (inclusive; a missing bound is open)."""
    day = iso_day(when, "when")
    if envelope.valid_from is not None and day < envelope.valid_from:
        return False
    return envelope.valid_until is None or day <= envelope.valid_until
