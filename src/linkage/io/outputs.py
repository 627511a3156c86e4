"""The output policy: no command writes over its inputs, a key, or a file linkage did not write.

Contract
--------
Every command names what it writes as :class:`Target` values (a path and an :class:`OutputKind`)
and calls :func:`check_targets` with its inputs and key files *before any work starts*. It raises
:class:`~linkage.errors.OutputError` (CLI exit 2) with the fix in the message when:

* a target is one of the inputs or key files (same path after resolving links, or the same file
  by device and inode): never allowed, ``force`` or not;
* two targets of the command are the same path;
* a file target is a directory, not a regular file (a device, a FIFO), or its folder is a file;
* a file target exists and is not a previous output of the same kind (``force`` replaces it);
* a directory target exists, is not empty and is not a previous output of the same kind
  (``force`` adds the output's files to it and keeps every other file); a directory that holds
  one of the inputs or keys counts as foreign, and with ``force`` none of the names the output
  writes may be an input or a key.

Writers call :func:`check_target` for their own target as well, so library callers get the same
protection. Recognising a previous output reads a few bytes, never the whole file:

==================  ==========================================================================
kind                recognised by
==================  ==========================================================================
encoded export      Parquet footer metadata ``linkage`` with ``format`` linkage-encoded-export
delivery package    Parquet footer metadata ``linkage`` with ``format`` linkage-delivery-package
table (CSV)         its first line is the header the writer would write (quarantine, warnings,
                    reference map, truth, consent register: each has fixed columns)
view                .xlsx: a workbook with exactly the sheets ``persons`` and ``duplicates``;
                    .csv: a header starting ``entity_id,own_record_ids``; .parquet: footer
                    metadata ``linkage`` with ``format`` linkage-view
audit log           its first line is a JSON object with ``format`` linkage-view-audit
keyring             JSON with ``kind`` linkage-keyring
link result         ``manifest.json`` with ``format`` linkage-link-result, and no other files
                    than a result's own
synthetic exports   ``synth.json`` with ``format`` linkage-synth (or a ``truth.csv`` of synth)
demo                ``demo.json`` with ``format`` linkage-demo
==================  ==========================================================================

A directory target that is a previous output is replaced as a whole (link result) or has its
files replaced one by one (synthetic exports, demo); in no case is a file that the output does
not name deleted, except a previous link result's own files.
"""

from __future__ import annotations

import enum
import json
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError

__all__ = ["OutputKind", "Target", "check_targets", "check_target", "LINK_RESULT_FORMAT", "SYNTH_FORMAT",
           "DEMO_FORMAT", "VIEW_FORMAT", "is_previous_output"]

LINK_RESULT_FORMAT = "linkage-link-result"
SYNTH_FORMAT = "linkage-synth"
DEMO_FORMAT = "linkage-demo"
VIEW_FORMAT = "linkage-view"
_ENCODED_FORMAT = "linkage-encoded-export"  # linkage.encoded.FORMAT (io must not import stages here)
_PACKAGE_FORMAT = "linkage-delivery-package"
_AUDIT_FORMAT = "linkage-view-audit"
_KEYRING_KIND = "linkage-keyring"
_METADATA_KEY = b"linkage"
_VIEW_CSV_HEADER = re.compile(r"^\ufeff?\"?entity_id\"?[,;]\"?own_record_ids\"?([,;]|$)")
_SNIFF_BYTES = 1 << 16
_MAX_AUDIT_LINE = 1 << 26


class OutputKind(enum.Enum):
    """What a command writes; the value is the label used in messages."""

    ENCODED_EXPORT = "encoded export"
    PACKAGE = "delivery package"
    TABLE = "table"
    VIEW = "view"
    AUDIT_LOG = "view audit log"
    KEYRING = "keyring"
    LINK_RESULT = "link result"
    SYNTH = "synthetic export folder"
    DEMO = "demo folder"

    @property
    def is_directory(self) -> bool:
        return self in (OutputKind.LINK_RESULT, OutputKind.SYNTH, OutputKind.DEMO)


@dataclass(frozen=True, slots=True)
class Target:
    """One output of a command.

    ``columns``: for :attr:`OutputKind.TABLE`, the header that identifies a previous output of
    the same table. ``files``: for directory kinds, the names the output writes into it (checked
    against the inputs and keys when ``force`` adds them to a foreign directory). ``label``
    overrides the kind's label in messages ("quarantine file").
    """

    path: Path
    kind: OutputKind
    columns: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.kind.value


def check_targets(targets: Sequence[Target], *, inputs: Iterable[str | os.PathLike[str] | None] = (),
                  keys: Iterable[str | os.PathLike[str] | None] = (), force: bool = False) -> None:
    """Refuse, before any work, targets that would overwrite an input, a key, each other or a
    foreign file (see the module docstring). ``None`` entries of ``inputs`` and ``keys`` are
    skipped, so optional paths can be passed as they are."""
    protected = [(Path(p), "one of this command's inputs") for p in inputs if p is not None]
    protected += [(Path(p), "a key file") for p in keys if p is not None]
    seen: dict[str, Target] = {}
    for target in targets:
        here = _real(target.path)
        for path, what in protected:
            if _same(target.path, path):
                raise OutputError(f"the {target.name} {target.path} is {what} ({path}); choose another path "
                                  "(linkage never writes over its inputs or keys)")
        if here in seen:
            raise OutputError(f"{target.path} is given for two outputs ({seen[here].name} and {target.name}); "
                              "choose a separate path for each")
        seen[here] = target
    for target in targets:
        check_target(target, force=force, protected=[p for p, _ in protected])


def check_target(target: Target, *, force: bool = False, protected: Sequence[Path] = ()) -> None:
    """Refuse ``target`` if writing it would replace something that is not a previous output of
    its kind (``force``: allowed, except for directories, devices and ``protected`` files)."""
    path = target.path
    _check_folder(path, target)
    if target.kind.is_directory:
        _check_directory(target, force, protected)
        return
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot check {path}: {exc.strerror}; choose another path for the {target.name}") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = path.stat()
        except OSError:
            return  # a dangling link: the rename replaces the link, nothing else
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path} is a directory; give a file name for the {target.name} "
                          f"(e.g. {path / _example_name(target)})")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{path} is not a regular file; give a file path for the {target.name}")
    if force or is_previous_output(target):
        return
    raise OutputError(f"{path} exists and is not a {target.name} written by linkage; choose another path, "
                      "or pass --force to replace it")


def is_previous_output(target: Target) -> bool:
    """Whether ``target.path`` holds an output of ``target.kind`` written by linkage before."""
    try:
        return _RECOGNISERS[target.kind](target)
    except (OSError, ValueError, zipfile.BadZipFile, KeyError, pa.ArrowException):  # foreign or damaged bytes
        return False


# ------------------------------------------------------------------------------------ directories


def _check_directory(target: Target, force: bool, protected: Sequence[Path]) -> None:
    path = target.path
    if not os.path.lexists(path):
        return
    if not path.is_dir():
        raise OutputError(f"{path} is a file, not a directory; choose a new or empty directory for the "
                          f"{target.name}")
    try:
        entries = list(os.scandir(path))
    except OSError as exc:
        raise OutputError(f"cannot read the directory {path}: {exc.strerror}; choose another directory") from None
    holds_protected = any(_inside(p, path) for p in protected)
    if not entries or (not holds_protected and is_previous_output(target)):
        return
    if force:
        for name in target.files:
            if any(_same(path / name, p) for p in protected):
                raise OutputError(f"the {target.name} would write {path / name}, one of this command's inputs "
                                  "or keys; choose another directory")
        return
    what = "holds this command's inputs or keys" if holds_protected else f"holds files that are not a {target.name}"
    raise OutputError(f"{path} {what}; choose an empty or new directory, or pass --force to add the "
                      f"{target.name}'s files to it (other files are kept)")


def _inside(path: Path, folder: Path) -> bool:
    try:
        return Path(_real(path)).is_relative_to(_real(folder))
    except OSError:
        return False


# ------------------------------------------------------------------------------------ recognisers


def _parquet_format(path: Path) -> str | None:
    raw = (pq.read_metadata(path).metadata or {}).get(_METADATA_KEY)
    data = json.loads(raw) if raw is not None else None
    return data.get("format") if isinstance(data, dict) else None


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    lines = head.decode("utf-8", errors="replace").splitlines()
    return lines[0] if lines else ""


def _table(target: Target) -> bool:
    return bool(target.columns) and _first_line(target.path).lstrip("\ufeff") == ",".join(target.columns)


def _view(target: Target) -> bool:
    path = target.path
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            names = re.findall(r'<sheet [^>]*name="([^"]+)"', book.read("xl/workbook.xml").decode("utf-8"))
        return sorted(names) == ["duplicates", "persons"]
    if suffix == ".parquet":
        return _parquet_format(path) == VIEW_FORMAT
    return bool(_VIEW_CSV_HEADER.match(_first_line(path)))


def _audit_log(target: Target) -> bool:
    if not target.path.stat().st_size:
        return True
    with open(target.path, "rb") as fh:  # one entry a line; a line lists record references, so it can be long
        entry = json.loads(fh.readline(_MAX_AUDIT_LINE))
    return isinstance(entry, dict) and entry.get("format") == _AUDIT_FORMAT


def _json_file(path: Path, key: str, value: str) -> bool:
    data = json.loads(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and data.get(key) == value


def _link_result(target: Target) -> bool:
    names = {entry.name for entry in os.scandir(target.path)}
    return _json_file(target.path / "manifest.json", "format", LINK_RESULT_FORMAT) and names <= set(target.files)


def _synth(target: Target) -> bool:
    if (target.path / "synth.json").is_file():
        return _json_file(target.path / "synth.json", "format", SYNTH_FORMAT)
    truth = target.path / "truth.csv"  # written before synth.json existed
    return truth.is_file() and _first_line(truth) == "agency,record_id,person_id"


def _demo(target: Target) -> bool:
    if (target.path / "demo.json").is_file():
        return _json_file(target.path / "demo.json", "format", DEMO_FORMAT)
    result = target.path / "result" / "manifest.json"  # written before demo.json existed
    return result.is_file() and _json_file(result, "format", LINK_RESULT_FORMAT) and _synth(
        Target(target.path / "exports", OutputKind.SYNTH))


_RECOGNISERS: dict[OutputKind, Callable[[Target], bool]] = {
    OutputKind.ENCODED_EXPORT: lambda t: _parquet_format(t.path) == _ENCODED_FORMAT,
    OutputKind.PACKAGE: lambda t: _parquet_format(t.path) == _PACKAGE_FORMAT,
    OutputKind.TABLE: _table,
    OutputKind.VIEW: _view,
    OutputKind.AUDIT_LOG: _audit_log,
    OutputKind.KEYRING: lambda t: _json_file(t.path, "kind", _KEYRING_KIND),
    OutputKind.LINK_RESULT: _link_result,
    OutputKind.SYNTH: _synth,
    OutputKind.DEMO: _demo,
}


# ------------------------------------------------------------------------------------------ paths


def _real(path: Path) -> str:
    return os.path.realpath(os.path.abspath(path))


def _same(a: Path, b: Path) -> bool:
    """The same path after resolving links, or the same existing file (hard links)."""
    if _real(a) == _real(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_folder(path: Path, target: Target) -> None:
    """The nearest existing ancestor of ``path`` must be a directory."""
    parent = Path(os.path.abspath(path)).parent
    while not os.path.lexists(parent) and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write the {target.name} {path}: {parent} is a file, not a directory")


def _example_name(target: Target) -> str:
    return {OutputKind.ENCODED_EXPORT: "agency.parquet", OutputKind.PACKAGE: "package.parquet",
            OutputKind.VIEW: "view.xlsx", OutputKind.AUDIT_LOG: "view-audit.jsonl",
            OutputKind.KEYRING: "keyring.json"}.get(target.kind, "output.csv")
