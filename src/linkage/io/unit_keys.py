"""The linkage unit's key files: a private signing key and the public key recipients verify with.

Private (created 0600 without overwriting, refused when others can access it)::

    {"kind": "linkage-unit-key", "version": 1, "private_key": "<base64 Ed25519 seed>",
     "public_key": "<base64>", "key_id": "xxxx-xxxx-xxxx-xxxx"}

Public (created 0644 without overwriting; handed to the recipients, who compare the key id)::

    {"kind": "linkage-unit-public-key", "version": 1, "public_key": "<base64 raw Ed25519>",
     "key_id": "xxxx-xxxx-xxxx-xxxx"}

``key_id`` is stored redundantly so a damaged or hand-edited file is caught on reading.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import KeyFileError, OutputError
from ..keys import LinkageUnitKey, linkage_unit_key_id
from .keyfiles import create_private_file, read_private_json

__all__ = ["create_linkage_unit_key", "read_linkage_unit_key", "read_linkage_unit_public_key", "public_key_path"]

_KIND = "linkage-unit-key"
_PUBLIC_KIND = "linkage-unit-public-key"
_VERSION = 1


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def public_key_path(key_path: str | os.PathLike[str]) -> Path:
    """Where the public key goes by default: the private key's path with the suffix ``.pub``."""
    return Path(key_path).with_suffix(".pub")


def create_linkage_unit_key(key: LinkageUnitKey, key_path: str | os.PathLike[str],
                            public_path: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """Write ``key``'s private file (0600) and public file (0644, default :func:`public_key_path`),
    both or neither: neither path may exist (key files are never overwritten). A missing folder
    for the private file is created 0700."""
    key_path = Path(key_path)
    public = Path(public_path) if public_path is not None else public_key_path(key_path)
    if os.path.realpath(public) == os.path.realpath(key_path):
        raise OutputError(f"the public key file {public} would be the private key file; give another path "
                          "(--public-key)")
    for path in (key_path, public):
        if os.path.lexists(path):
            raise KeyFileError(f"{path} already exists; refusing to overwrite a key file (choose another path)")
    try:
        key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        public.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyFileError(f"cannot create the folder for {key_path} or {public}: {exc.strerror}") from None
    doc = {"kind": _KIND, "version": _VERSION, "private_key": _b64(key.private_key),
           "public_key": _b64(key.public_key), "key_id": key.key_id}
    create_private_file(key_path, (json.dumps(doc, indent=2) + "\n").encode("ascii"))
    try:
        doc = {"kind": _PUBLIC_KIND, "version": _VERSION, "public_key": _b64(key.public_key), "key_id": key.key_id}
        create_private_file(public, (json.dumps(doc, indent=2) + "\n").encode("ascii"), mode=0o644)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    return key_path, public


def read_linkage_unit_key(path: str | os.PathLike[str]) -> LinkageUnitKey:
    """Read the linkage unit's private key file (refused when others can access it)."""
    path = Path(path)
    data = read_private_json(path, _KIND, f"{path} is not a linkage unit key file (made by 'linkage keys "
                                          "linkage-unit')")
    _check_version(path, data)
    try:
        key = LinkageUnitKey(base64.b64decode(data["private_key"], validate=True))
    except (KeyError, TypeError, ValueError, binascii.Error, KeyFileError):
        raise KeyFileError(f"{path} is damaged: its private key cannot be read") from None
    if data.get("public_key") != _b64(key.public_key) or data.get("key_id") != key.key_id:
        raise KeyFileError(f"{path} is damaged: its public key or key id does not match its private key")
    return key


def read_linkage_unit_public_key(path: str | os.PathLike[str]) -> bytes:
    """The raw Ed25519 public key of a linkage unit public key file."""
    path = Path(path)
    foreign = f"{path} is not a linkage unit public key file (made by 'linkage keys linkage-unit', ending .pub)"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    except IsADirectoryError:
        raise KeyFileError(f"{path} is a directory, not a key file") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    except ValueError:
        raise KeyFileError(foreign) from None
    if isinstance(data, dict) and data.get("kind") == _KIND:
        raise KeyFileError(f"{path} is the linkage unit's private key: a recipient needs only its public key file "
                           "(written beside it, ending .pub); the private key must stay with the linkage unit")
    if not isinstance(data, dict) or data.get("kind") != _PUBLIC_KIND:
        raise KeyFileError(foreign)
    _check_version(path, data)
    try:
        raw = base64.b64decode(data["public_key"], validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise KeyFileError(f"{path} is damaged: its public key cannot be read") from None
    if data.get("key_id") != linkage_unit_key_id(raw):
        raise KeyFileError(f"{path} is damaged: its key id does not match its public key")
    return raw


def _check_version(path: Path, data: dict[str, Any]) -> None:
    if data.get("version") != _VERSION:
        raise KeyFileError(f"{path}: version {data.get('version')!r} is not supported (this library reads "
                           f"version {_VERSION})")
