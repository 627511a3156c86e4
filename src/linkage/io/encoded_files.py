"""Write and read encoded exports (Parquet + signed metadata), verifying on read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..encoded import METADATA_KEY, EncodedExport, verify_export
from ..errors import IntegrityError
from .atomic import atomic_path
from .outputs import OutputKind, Target, check_target

__all__ = ["write_encoded", "read_encoded"]


def write_encoded(export: EncodedExport, target: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write ``export`` atomically as one Parquet file with its metadata.

    An existing ``target`` is replaced only when it is an encoded export (or with ``force``).
    """
    check_target(Target(Path(target), OutputKind.ENCODED_EXPORT), force=force)
    meta = json.dumps(export.metadata, sort_keys=True).encode()
    table = export.table.replace_schema_metadata({METADATA_KEY: meta})
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(target)


def read_encoded(path: str | os.PathLike[str], *, expected_key_check: str | None = None,
                 verify: bool = True) -> EncodedExport:
    """Read an encoded export and (by default) verify its signature and content.

    Raises IntegrityError naming the file for anything unreadable, unsigned or tampered with.
    """
    path = Path(path)
    if not path.is_file():
        raise IntegrityError(f"{path} does not exist")
    try:
        table = pq.read_table(path)
        footer = (pq.read_metadata(path).metadata or {}).get(METADATA_KEY)
        embedded = (table.schema.metadata or {}).get(METADATA_KEY)
        metadata = json.loads(footer) if footer is not None else {}
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IntegrityError(f"{path} is not a readable encoded export (damaged or not Parquet): "
                             f"{type(exc).__name__}") from None
    if not isinstance(metadata, dict) or (embedded is not None and embedded != footer):
        raise IntegrityError(f"{path}: the linkage metadata is damaged or was edited; ask the agency for a fresh export")
    table = table.replace_schema_metadata(None)
    export = EncodedExport(table, metadata)
    if verify:
        try:
            verify_export(export, expected_key_check=expected_key_check)
        except IntegrityError as exc:
            raise IntegrityError(f"{path}: {exc}; ask the agency for a fresh export") from None
    return export
