"""Recipient key files and the keyring file.

Recipient key (private; created 0600 without overwriting, refused when others can access it)::

    {"kind": "linkage-recipient-key", "version": 1, "recipient": "<name>",
     "private_key": "<base64 raw X25519>", "public_key": "<base64>", "key_id": "xxxx-xxxx-xxxx-xxxx"}

Keyring (public; what agencies seal with; mode 0644, rewritten atomically)::

    {"kind": "linkage-keyring", "version": 1,
     "recipients": {"<name>": {"public_key": "<base64 raw X25519>", "key_id": "xxxx-..."}, ...}}

``key_id`` is stored redundantly so a damaged or hand-edited entry is caught on reading; reading
reports every problem of a keyring at once, each with its path (``recipients.<name>.public_key``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from ..errors import KeyFileError, LinkageError
from ..seal import (
    Keyring,
    RecipientKeyPair,
    check_public_key,
    check_recipient_name,
    recipient_key_id,
)
from .atomic import atomic_path
from .outputs import OutputKind, Target, check_target, check_targets
from .keyfiles import create_private_file, read_private_json

__all__ = ["write_recipient_key", "read_recipient_key", "read_keyring", "write_keyring", "add_to_keyring",
           "create_recipient"]

_KEY_KIND = "linkage-recipient-key"
_KEYRING_KIND = "linkage-keyring"
_VERSION = 1
_ENTRY_KEYS = {"public_key", "key_id"}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def write_recipient_key(path: str | os.PathLike[str], pair: RecipientKeyPair) -> Path:
    """Create ``path`` with mode 0600 holding ``pair``; refuse if it exists."""
    path = Path(path)
    text = json.dumps({"kind": _KEY_KIND, "version": _VERSION, "recipient": pair.name,
                       "private_key": _b64(pair.private_key), "public_key": _b64(pair.public_key),
                       "key_id": pair.key_id}, indent=2) + "\n"
    return create_private_file(path, text.encode("ascii"))


def read_recipient_key(path: str | os.PathLike[str]) -> RecipientKeyPair:
    """Read a recipient key file written by :func:`write_recipient_key`."""
    path = Path(path)
    data = read_private_json(path, _KEY_KIND,
                             f"{path} is not a linkage recipient key file (made by 'linkage keys recipient')")
    if data.get("version") != _VERSION:
        raise KeyFileError(f"{path}: version {data.get('version')!r} is not supported (this library reads "
                           f"version {_VERSION})")
    try:
        pair = RecipientKeyPair(data["recipient"], base64.b64decode(data["private_key"], validate=True))
        public_key = base64.b64decode(data["public_key"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error, LinkageError):
        raise KeyFileError(f"{path} is damaged: its recipient name or keys cannot be read") from None
    if public_key != pair.public_key or data.get("key_id") != pair.key_id:
        raise KeyFileError(f"{path} is damaged: its public key or key id does not match its private key")
    return pair


# ---------------------------------------------------------------------------------------- keyring


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


class _Duplicate(ValueError):
    pass


def _entry_problems(name: str, entry: object) -> tuple[bytes | None, list[str]]:
    where = f"recipients.{name}"
    try:
        check_recipient_name(name)
    except LinkageError as exc:
        return None, [f"{where}: {exc}"]
    if not isinstance(entry, dict):
        return None, [f"{where}: must be an object with 'public_key' and 'key_id'"]
    problems = [f"{where}.{k}: unknown key" for k in sorted(set(entry) - _ENTRY_KEYS)]
    problems += [f"{where}.{k}: missing" for k in sorted(_ENTRY_KEYS - set(entry))]
    raw = entry.get("public_key")
    if raw is None:
        return None, problems
    try:
        key = check_public_key(base64.b64decode(raw, validate=True), name)
    except (TypeError, ValueError, binascii.Error):
        return None, [*problems, f"{where}.public_key: not base64"]
    except KeyFileError:
        return None, [*problems, f"{where}.public_key: not a valid X25519 public key (32 bytes, not low-order)"]
    if "key_id" in entry and entry["key_id"] != recipient_key_id(key):
        problems.append(f"{where}.key_id: does not match the public key (expected {recipient_key_id(key)}); "
                        "the entry was altered or damaged")
    return key, problems


def read_keyring(path: str | os.PathLike[str]) -> Keyring:
    """Read and check a keyring file; KeyFileError listing every problem with its path."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"keyring {path} does not exist") from None
    except IsADirectoryError:
        raise KeyFileError(f"keyring {path} is a directory, not a keyring file") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read keyring {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"keyring {path} is not a linkage keyring (not UTF-8 text)") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate as dup:
        raise KeyFileError(f"keyring {path} lists '{dup}' more than once") from None
    except ValueError as exc:
        raise KeyFileError(f"keyring {path} is not valid JSON (line {getattr(exc, 'lineno', '?')})") from None
    if not isinstance(data, dict) or data.get("kind") != _KEYRING_KIND:
        raise KeyFileError(f"{path} is not a linkage keyring (its 'kind' is not '{_KEYRING_KIND}')")
    if data.get("version") != _VERSION:
        raise KeyFileError(f"keyring {path}: version {data.get('version')!r} is not supported "
                           f"(this library reads version {_VERSION})")
    problems = [f"{k}: unknown key" for k in sorted(set(data) - {"kind", "version", "recipients"})]
    recipients = data.get("recipients")
    keys: dict[str, bytes] = {}
    if not isinstance(recipients, dict):
        problems.append("recipients: must be an object of recipient name -> entry")
    else:
        for name, entry in recipients.items():
            key, found = _entry_problems(name, entry)
            problems += found
            if key is not None and not found:
                keys[name] = key
    if problems:
        raise KeyFileError(f"keyring {path} is invalid ({len(problems)} problem(s)):\n"
                           + "\n".join(f"  - {p}" for p in problems))
    return Keyring(keys, source=str(path))


def write_keyring(path: str | os.PathLike[str], keyring: Keyring) -> Path:
    """Write ``keyring`` to ``path`` atomically (mode 0644: public keys only); an existing file at
    ``path`` must be a keyring (OutputError otherwise)."""
    check_target(Target(Path(path), OutputKind.KEYRING))
    doc = {"kind": _KEYRING_KIND, "version": _VERSION,
           "recipients": {n: {"public_key": _b64(k), "key_id": recipient_key_id(k)} for n, k in keyring.items()}}
    with atomic_path(path, mode=0o644) as tmp:
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", "utf-8")
    return Path(path)


def _updated(path: Path, name: str, public_key: bytes, replace: bool) -> Keyring | None:
    """The keyring at ``path`` with ``name`` set; None when it already holds exactly that key."""
    check_recipient_name(name)
    check_public_key(public_key, name)
    keyring = read_keyring(path) if path.exists() else Keyring(source=str(path))
    old = keyring.get(name)
    if old == public_key:
        return None
    if old is not None and not replace:
        raise KeyFileError(f"keyring {path} already holds another public key for recipient '{name}' "
                           f"(key id {recipient_key_id(old)}, new {recipient_key_id(public_key)}); "
                           "refusing to replace it (pass replace=True / --replace once the old key is retired)")
    return keyring.with_key(name, public_key)


def add_to_keyring(path: str | os.PathLike[str], name: str, public_key: bytes, *, replace: bool = False) -> Keyring:
    """Add recipient ``name`` to the keyring at ``path`` (created when missing); return the keyring.

    Adding the same key again changes nothing; a different key for a name already present is
    refused unless ``replace``. The file is rewritten atomically. Two processes updating the same
    keyring at the same moment may lose one update (never corrupt the file): run them one by one.
    """
    path = Path(path)
    updated = _updated(path, name, public_key, replace)
    if updated is None:
        return read_keyring(path)
    write_keyring(path, updated)
    return Keyring(updated, source=str(path))


def create_recipient(pair: RecipientKeyPair, key_path: str | os.PathLike[str],
                     keyring_path: str | os.PathLike[str], *, replace: bool = False) -> Keyring:
    """Write ``pair``'s private key file and add its public key to the keyring, all or nothing.

    The keyring is checked first (a conflicting key refuses before anything is written), then the
    key file is created (never overwritten), then the keyring is updated; if that last step
    fails, the new key file is removed again. A missing folder for the key file is created 0700.
    """
    key_path, keyring_path = Path(key_path), Path(keyring_path)
    check_targets([Target(keyring_path, OutputKind.KEYRING)], keys=[key_path])
    try:
        key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyFileError(f"cannot create the folder {key_path.parent}: {exc.strerror}") from None
    _updated(keyring_path, pair.name, pair.public_key, replace)
    write_recipient_key(key_path, pair)
    try:
        return add_to_keyring(keyring_path, pair.name, pair.public_key, replace=replace)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
