"""Write a link result directory and load link job configs.

A result directory holds ``entities.parquet`` (+ ``.csv``), ``pairs.parquet``, ``review.parquet``
(+ ``.csv``) and ``manifest.json``. The directory is written as a whole: into a temporary sibling
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

from ..errors import ConfigError
from ..job_config import LinkJobConfig, parse_link_job

if TYPE_CHECKING:
    from ..link import LinkResult

__all__ = ["write_link_result", "load_link_job", "read_entities", "read_string_csv", "RESULT_FILES"]

RESULT_FILES = ("entities.parquet", "entities.csv", "pairs.parquet", "review.parquet", "review.csv", "manifest.json")


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
    return pd.read_parquet(Path(result_dir) / "entities.parquet")


def read_string_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A small side table (reference map, truth) with every cell a string."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
