"""Write and read delivery packages (Parquet + metadata), verifying on read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..deliver import Package, verify_package
from ..encoded import METADATA_KEY
from ..errors import IntegrityError
from .atomic import atomic_path
from .outputs import OutputKind, Target, check_target

__all__ = ["write_package", "read_package"]


def write_package(package: Package, target: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write ``package`` atomically as one Parquet file with its metadata.

    An existing ``target`` is replaced only when it is a delivery package (or with ``force``).
    """
    check_target(Target(Path(target), OutputKind.PACKAGE), force=force)
    meta = json.dumps(package.metadata, sort_keys=True).encode()
    with atomic_path(target) as tmp:
        pq.write_table(package.table.replace_schema_metadata({METADATA_KEY: meta}), tmp, compression="zstd")
    return Path(target)


def read_package(path: str | os.PathLike[str]) -> Package:
    """Read and verify a delivery package; IntegrityError naming the file when it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise IntegrityError(f"delivery package {path} does not exist")
    try:
        table = pq.read_table(path)
        footer = (pq.read_metadata(path).metadata or {}).get(METADATA_KEY)
        metadata = json.loads(footer) if footer is not None else {}
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IntegrityError(f"{path} is not a readable delivery package (damaged or not Parquet): "
                             f"{type(exc).__name__}") from None
    if not isinstance(metadata, dict):
        raise IntegrityError(f"{path}: the package metadata is damaged; ask the linkage unit for a new package")
    package = Package(table.replace_schema_metadata(None), metadata)
    try:
        verify_package(package)
    except IntegrityError as exc:
        raise IntegrityError(f"{path}: {exc}") from None
    return package
