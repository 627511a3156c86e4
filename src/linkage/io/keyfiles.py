"""The project secret file: created 0600 without overwriting, refused when others can read it.

Format: one JSON object ``{"kind": "linkage-project-secret", "version": 1, "secret": <base64>}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from pathlib import Path
from typing import Any

from ..errors import KeyFileError
from ..keys import SECRET_BYTES, ProjectSecret

__all__ = ["write_secret", "read_secret", "check_private_file", "create_private_file", "read_private_json"]

_KIND = "linkage-project-secret"


def write_secret(path: str | os.PathLike[str], secret: ProjectSecret) -> Path:
    """Create ``path`` with mode 0600 holding ``secret``; refuse if it exists."""
    payload = json.dumps({"kind": _KIND, "version": 1, "secret": base64.b64encode(secret.key).decode()})
    return create_private_file(path, (payload + "\n").encode())


def create_private_file(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o600) -> Path:
    """Create ``path`` with ``mode`` (0600 by default; exactly that, whatever the umask) holding
    ``data``, fsynced; KeyFileError if it exists or cannot be created (a key file, private or
    public, is never overwritten)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key file (choose another path)") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def check_private_file(path: Path) -> None:
    """Raise KeyFileError if ``path`` is missing or readable/writable by group or others."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"cannot check key file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} is accessible by other users (mode {stat.S_IMODE(mode):04o}); "
            f"run 'chmod 600 {path}' and consider the key exposed if others could read it"
        )


def read_private_json(path: Path, kind: str, foreign: str) -> dict[str, Any]:
    """The JSON object of a private key file whose ``kind`` is ``kind``, read after
    :func:`check_private_file`; KeyFileError ``foreign`` when it is not such a file."""
    check_private_file(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except IsADirectoryError:
        raise KeyFileError(f"{path} is a directory, not a key file") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    except ValueError:  # not UTF-8 (UnicodeDecodeError) or not JSON
        raise KeyFileError(foreign) from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise KeyFileError(foreign)
    return data


def read_secret(path: str | os.PathLike[str]) -> ProjectSecret:
    """Read a project secret file written by :func:`write_secret`."""
    path = Path(path)
    foreign = f"{path} is not a linkage project secret file (made by 'linkage keys init')"
    data = read_private_json(path, _KIND, foreign)
    try:
        key = base64.b64decode(data["secret"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise KeyFileError(foreign) from None
    if len(key) != SECRET_BYTES:
        raise KeyFileError(f"{path} holds a key of the wrong length; it is damaged")
    return ProjectSecret(key)
