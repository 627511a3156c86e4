"""Write a link result directory and load link job configs.

A result directory holds ``entities.parquet`` (+ ``.csv``), ``pairs.parquet``, ``review.parquet``
(+ ``.csv``), ``envelopes.parquet`` (the sealed payloads, for delivery packages),
``exports.json`` (the inputs' signed metadata: ``{"format": "linkage-link-exports", "version":
1, "exports": [...]}``) and ``manifest.json`` (always the last file written; it lists the SHA-256
of every other file and, with the linkage unit's key, is signed: see
:func:`linkage.authenticity.seal_manifest`). A new directory is written as a whole: into a
temporary sibling first, then renamed into place, so readers never see a half-written result; a
previous result directory at the target is replaced only once the new one is complete. Nothing
else is ever deleted (see :func:`write_link_result` and :mod:`linkage.io.outputs`).
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..authenticity import seal_manifest
from ..deliver import ENVELOPES_SCHEMA
from ..errors import ConfigError, DataError, IntegrityError, OutputError
from ..keys import LinkageUnitKey
from ..job_config import LinkJobConfig, parse_link_job
from .atomic import atomic_path, make_folder
from .outputs import OutputKind, Target, check_target, is_previous_output

if TYPE_CHECKING:
    from ..link import LinkResult

__all__ = ["write_link_result", "result_target", "load_link_job", "read_entities", "read_envelopes", "read_manifest",
           "read_string_csv", "read_link_result", "LinkResultFiles", "RESULT_FILES"]

RESULT_FILES = ("entities.parquet", "entities.csv", "pairs.parquet", "review.parquet", "review.csv",
                "envelopes.parquet", "exports.json", "manifest.json")
_EXPORTS_FORMAT = "linkage-link-exports"


def load_link_job(path: str | os.PathLike[str] | None) -> LinkJobConfig:
    """The job config at ``path`` (all defaults when ``path`` is None)."""
    if path is None:
        return parse_link_job({"version": 1})
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"link job config {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"link job config {path} is not valid TOML: {exc}") from None
    return parse_link_job(data, source=f"link job config {path}")


def _write_parquet(frame: Any, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def result_target(out_dir: str | os.PathLike[str]) -> Target:
    """The output target of a link result written to ``out_dir``."""
    return Target(Path(out_dir), OutputKind.LINK_RESULT, files=RESULT_FILES)


def write_link_result(result: "LinkResult", out_dir: str | os.PathLike[str], *,
                      signing_key: LinkageUnitKey | None = None, force: bool = False) -> Path:
    """Write ``result`` into ``out_dir`` as a whole; ``manifest.json`` lists the digest of every
    other file and, with ``signing_key`` (the linkage unit's key: ``deliver`` requires it), is signed.

    ``out_dir`` absent: the result is written into a temporary sibling and renamed into place.
    ``out_dir`` a previous link result (only a result's files): replaced as a whole once the new
    one is complete. ``out_dir`` empty, foreign with ``force``, or the working directory: the
    result's files are written into it one by one (each atomically, ``manifest.json`` removed
    first and written last); other files stay. Anything else is refused with OutputError (see
    :mod:`linkage.io.outputs`).
    """
    target = Path(out_dir)
    check_target(result_target(target), force=force)
    in_place = target.is_dir() and (not is_previous_output(result_target(target))
                                    or os.path.realpath(target) == os.path.realpath(os.getcwd()))
    if in_place:  # an empty or (force) foreign folder, or the working directory, which cannot be renamed
        (target / "manifest.json").unlink(missing_ok=True)  # a reader never pairs new files with an old manifest
        digests: dict[str, str] = {}
        for name, write in _result_writers(result, digests, signing_key).items():
            with atomic_path(target / name) as tmp:
                write(tmp)
                digests[name] = _file_digest(tmp)
        return target
    make_folder(target.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}; choose a writable location") from None
    try:
        digests = {}
        for name, write in _result_writers(result, digests, signing_key).items():
            write(tmp / name)
            with open(tmp / name, "rb+") as fh:
                os.fsync(fh.fileno())
            digests[name] = _file_digest(tmp / name)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            old.rmdir()
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _result_writers(result: "LinkResult", digests: dict[str, str],
                    signing_key: LinkageUnitKey | None) -> dict[str, Callable[[Path], None]]:
    """A writer per file of RESULT_FILES, in that order; the manifest (last) lists ``digests``,
    which the caller fills in as the other files are written."""
    writers: dict[str, Callable[[Path], None]] = {
        "entities.parquet": lambda p: _write_parquet(result.entities, p),
        "entities.csv": lambda p: result.entities.to_csv(p, index=False),
        "pairs.parquet": lambda p: _write_parquet(result.pairs, p),
        "review.parquet": lambda p: _write_parquet(result.review, p),
        "review.csv": lambda p: result.review.to_csv(p, index=False, float_format="%.6g"),
        "envelopes.parquet": lambda p: pq.write_table(result.envelopes, p, compression="zstd"),
        "exports.json": lambda p: p.write_text(_json_text({"format": _EXPORTS_FORMAT, "version": 1,
                                                           "exports": list(result.exports)}), encoding="utf-8"),
        "manifest.json": lambda p: p.write_text(_json_text(seal_manifest(result.manifest, digests, signing_key)),
                                                encoding="utf-8"),
    }
    assert tuple(writers) == RESULT_FILES
    return writers


def read_entities(result_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The entities table of a result directory."""
    path = Path(result_dir) / "entities.parquet"
    if not path.is_file():
        raise _missing(Path(result_dir), "entities.parquet")
    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, OSError) as exc:
        raise IntegrityError(f"{path} is damaged ({type(exc).__name__}); run linkage link again") from None


def _missing(result_dir: Path, name: str) -> IntegrityError:
    return IntegrityError(f"{result_dir} is not a complete link result ({name} is missing); run linkage link "
                          "again or give the result directory it wrote")


def read_manifest(result_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The run manifest of a result directory."""
    path = Path(result_dir) / "manifest.json"
    if not path.is_file():
        raise _missing(Path(result_dir), "manifest.json")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise IntegrityError(f"{path} is damaged; run linkage link again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "linkage-link-result":
        raise IntegrityError(f"{path} is not a linkage link-result manifest")
    return manifest


def read_envelopes(result_dir: str | os.PathLike[str]) -> pa.Table:
    """The envelopes of a result directory (agency, record_ref, envelope)."""
    path = Path(result_dir) / "envelopes.parquet"
    if not path.is_file():
        raise _missing(Path(result_dir), "envelopes.parquet")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise IntegrityError(f"{path} is damaged ({type(exc).__name__}); run linkage link again") from None
    table = table.replace_schema_metadata(None)
    if not table.schema.equals(ENVELOPES_SCHEMA):
        raise IntegrityError(f"{path} does not have the columns of a link result's envelopes")
    return table


@dataclass(frozen=True, slots=True)
class LinkResultFiles:
    """A result directory as deliver reads it: the manifest, the SHA-256 of every other file, and
    the bytes those digests were taken of, parsed only on demand (so a damaged or altered file
    is reported by the digest check, :func:`linkage.authenticity.verify_result`, first)."""

    root: Path
    manifest: dict[str, Any]
    file_digests: dict[str, str]
    raw: dict[str, bytes]

    def exports(self) -> list[dict[str, Any]]:
        """The inputs' signed metadata (``exports.json``)."""
        try:
            doc = json.loads(self.raw["exports.json"].decode("utf-8"))
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or doc.get("format") != _EXPORTS_FORMAT or not isinstance(doc.get("exports"),
                                                                                               list):
            raise IntegrityError(f"{self.root / 'exports.json'} is not the exports list of a link result; run "
                                 "linkage link again")
        return doc["exports"]

    def entities(self) -> pd.DataFrame:
        try:
            return pd.read_parquet(_io.BytesIO(self.raw["entities.parquet"]))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise IntegrityError(f"{self.root / 'entities.parquet'} is damaged ({type(exc).__name__}); run linkage "
                                 "link again") from None

    def envelopes(self) -> pa.Table:
        path = self.root / "envelopes.parquet"
        try:
            table = pq.read_table(pa.BufferReader(self.raw["envelopes.parquet"])).replace_schema_metadata(None)
        except (pa.ArrowException, OSError) as exc:
            raise IntegrityError(f"{path} is damaged ({type(exc).__name__}); run linkage link again") from None
        if not table.schema.equals(ENVELOPES_SCHEMA):
            raise IntegrityError(f"{path} does not have the columns of a link result's envelopes")
        return table


def read_link_result(result_dir: str | os.PathLike[str]) -> LinkResultFiles:
    """Read a result directory for delivery (IntegrityError naming a missing file or a manifest
    that cannot be read). Nothing is verified here: see :func:`linkage.authenticity.verify_result`."""
    root = Path(result_dir)
    manifest = read_manifest(root)
    if manifest.get("format_version") != 2:  # before exports.json: say why, not that a file is missing
        raise IntegrityError(f"{root} was written by an older linkage (no signed manifest); run linkage link again "
                             "from the agencies' exports with --signing-key")
    raw: dict[str, bytes] = {}
    digests: dict[str, str] = {}
    for name in RESULT_FILES[:-1]:
        if not (root / name).is_file():
            raise _missing(root, name)
        if name in ("entities.parquet", "envelopes.parquet", "exports.json"):
            raw[name] = (root / name).read_bytes()
            digests[name] = "sha256:" + hashlib.sha256(raw[name]).hexdigest()
        else:
            digests[name] = _file_digest(root / name)
    return LinkResultFiles(root, manifest, digests, raw)


def read_string_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A small side table (reference map, truth) with every cell a string; DataError naming the
    file when it is missing or not a readable CSV."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist (or is not a file)")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError):
        raise DataError(f"{path} is not a readable CSV table") from None
