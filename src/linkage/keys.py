"""Project secret, subkeys, key check value and the export signing key.

Contract
--------
* The project secret is 32 random bytes shared by the agencies only; the linkage unit never
  holds it. Nothing derived from it that leaves an agency allows recovering it.
* Every use gets its own subkey: ``HKDF-SHA256(secret, salt="linkage/v1", info=purpose)``.
  Purposes are namespaced strings such as ``"bloom/name"`` or ``"block/name_year"``; a new
  purpose never changes existing subkeys, so adding a field keeps old encodings valid.
* The key check value (KCV) is a fingerprint of the public verification key derived from the
  secret. It identifies the secret (two agencies can compare it) and reveals nothing about it.
* Encoded exports are signed with an Ed25519 key derived from the secret. Anyone holding the
  verification key (published in each export and pinned by its KCV) can check a file, only
  holders of the secret can produce one.
* The linkage unit has an Ed25519 key pair of its own (:class:`LinkageUnitKey`, not derived from
  the secret): it signs link results and delivery packages. Its **key id** (16 hex digits in
  groups of four, like the KCV) identifies the public key, which recipients get from the linkage
  unit over a trusted channel (see :mod:`linkage.authenticity`).
"""

from __future__ import annotations

import hashlib
import secrets as _secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import IntegrityError, KeyFileError

__all__ = ["SECRET_BYTES", "ProjectSecret", "generate_secret", "key_check_value", "verify_signature",
           "LinkageUnitKey", "generate_linkage_unit_key", "linkage_unit_key_id"]

SECRET_BYTES = 32
_HKDF_SALT = b"linkage/v1"
_KCV_DOMAIN = b"linkage/kcv/v1\x00"
_UNIT_KEY_ID_DOMAIN = b"linkage/linkage-unit-key-id/v1\x00"
_RAW_PUBLIC = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_secret() -> "ProjectSecret":
    """Return a fresh 256-bit project secret from the operating system's CSPRNG."""
    return ProjectSecret(_secrets.token_bytes(SECRET_BYTES))


def _fingerprint(domain: bytes, public_key: bytes) -> str:
    digest = hashlib.sha256(domain + public_key).hexdigest()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def key_check_value(verify_key: bytes) -> str:
    """Fingerprint of a public verification key: 16 hex digits in groups of four."""
    return _fingerprint(_KCV_DOMAIN, verify_key)


def linkage_unit_key_id(public_key: bytes) -> str:
    """Fingerprint of a linkage unit's public key: 16 hex digits in groups of four."""
    return _fingerprint(_UNIT_KEY_ID_DOMAIN, public_key)


def verify_signature(verify_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise IntegrityError unless ``signature`` is a valid Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(verify_key).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise IntegrityError("signature check failed") from exc


@dataclass(frozen=True, slots=True)
class ProjectSecret:
    """The shared project linkage secret. Its repr never shows the key."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) != SECRET_BYTES:
            raise KeyFileError(f"a project secret must be exactly {SECRET_BYTES} bytes")

    def subkey(self, purpose: str, length: int = 32) -> bytes:
        """Derive the subkey for ``purpose`` (HKDF-SHA256, independent per purpose)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=_HKDF_SALT, info=purpose.encode())
        return hkdf.derive(self.key)

    def _signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.subkey("sign/export"))

    @property
    def verify_key(self) -> bytes:
        """Raw 32-byte Ed25519 public key that checks export signatures."""
        return self._signing_key().public_key().public_bytes(*_RAW_PUBLIC)

    @property
    def key_check_value(self) -> str:
        """Fingerprint of this secret's verification key (safe to print and share)."""
        return key_check_value(self.verify_key)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature (deterministic, RFC 8032) of ``message``."""
        return self._signing_key().sign(message)


@dataclass(frozen=True, slots=True)
class LinkageUnitKey:
    """The linkage unit's Ed25519 signing key (a 32-byte seed). Its repr never shows the key."""

    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, bytes) or len(self.private_key) != SECRET_BYTES:
            raise KeyFileError(f"a linkage unit key must be exactly {SECRET_BYTES} bytes")

    @property
    def public_key(self) -> bytes:
        """Raw 32-byte Ed25519 public key (what recipients verify packages with)."""
        return Ed25519PrivateKey.from_private_bytes(self.private_key).public_key().public_bytes(*_RAW_PUBLIC)

    @property
    def key_id(self) -> str:
        """Fingerprint of the public key (safe to print and share)."""
        return linkage_unit_key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature (deterministic, RFC 8032) of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.private_key).sign(message)


def generate_linkage_unit_key() -> LinkageUnitKey:
    """A fresh linkage unit signing key from the operating system's CSPRNG."""
    return LinkageUnitKey(_secrets.token_bytes(SECRET_BYTES))
