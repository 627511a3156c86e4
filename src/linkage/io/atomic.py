"""Atomic file writes: write to a temporary sibling, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import OutputError
from .outputs import OutputKind, Target, check_target

__all__ = ["atomic_path", "write_csv", "make_folder"]


def make_folder(folder: Path, *, mode: int = 0o777) -> None:
    """Create ``folder`` and its parents; OutputError naming it when that is not possible."""
    try:
        folder.mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder}: {exc.strerror}; choose a writable location") from None


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    On any exception the temporary file is removed and ``target`` is left as it was. A folder
    that cannot be created or written is an OutputError naming it. Whether ``target`` may be
    replaced at all is the caller's question (:func:`linkage.io.outputs.check_target`).
    """
    target = Path(target)
    make_folder(target.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}; choose a writable location") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror}; choose another path") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, target: str | os.PathLike[str], *, force: bool = False, label: str = "") -> Path:
    """Write ``frame`` as UTF-8 CSV (comma, header, no index) atomically; return the path.

    An existing ``target`` is replaced only when it is a table with the same header (a previous
    output of the same kind) or with ``force``; OutputError otherwise.
    """
    check_target(Target(Path(target), OutputKind.TABLE, columns=tuple(str(c) for c in frame.columns), label=label),
                 force=force)
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(target)
