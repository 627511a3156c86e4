"""Write a link result directory and load link job configs.

A result directory holds ``entities.parquet`` (+ ``.csv``), ``pairs.parquet``, ``review.parquet``
(+ ``.csv``), ``envelopes.parquet`` (the sealed payloads, for delivery packages) and
``manifest.json``. The directory is written as a whole: into a temporary sibling
first, then renamed into place, so readers never see a half-written result; an existing result
directory at the target is replaced only once the new one is complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..deliver import ENVELOPES_SCHEMA
from ..errors import ConfigError, DataError, IntegrityError
from ..job_config import LinkJobConfig, parse_link_job

if TYPE_CHECKING:
    from ..link import LinkResult

__all__ = ["write_link_result", "load_link_job", "read_entities", "read_envelopes", "read_manifest",
           "read_string_csv", "RESULT_FILES"]

RESULT_FILES = ("entities.parquet", "entities.csv", "pairs.parquet", "review.parquet", "review.csv",
                "envelopes.parquet", "manifest.json")


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


def write_link_result(result: "LinkResult", out_dir: str | os.PathLike[str]) -> Path:
    """Write ``result`` into ``out_dir`` (replacing a previous result there) as a whole."""
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        _write_parquet(result.entities, tmp / "entities.parquet")
        result.entities.to_csv(tmp / "entities.csv", index=False)
        _write_parquet(result.pairs, tmp / "pairs.parquet")
        _write_parquet(result.review, tmp / "review.parquet")
        result.review.to_csv(tmp / "review.csv", index=False, float_format="%.6g")
        pq.write_table(result.envelopes, tmp / "envelopes.parquet", compression="zstd")
        (tmp / "manifest.json").write_text(json.dumps(result.manifest, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        for name in RESULT_FILES:
            with open(tmp / name, "rb+") as fh:
                os.fsync(fh.fileno())
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
