"""File-level jobs the CLI runs: each reads through :mod:`linkage.io`, calls one stage, writes.

Contract: functions here return small summary objects (counts, paths, fingerprints; never a
record value) and raise :class:`~linkage.errors.LinkageError` subclasses. They never print.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import io
from .bloom import popcount
from .encode import QUARANTINE_COLUMNS, encode
from .encoded import EncodedExport, binary_matrix, field_column
from .errors import DataError
from .keys import ProjectSecret
from .link import link

__all__ = ["EncodeSummary", "encode_file", "default_side_paths", "inspect_export", "LinkSummary", "link_files"]

Progress = Callable[[int, int], None]
_FIRST_ROWS = 5  # row numbers listed per quarantine reason in summaries


@dataclass(frozen=True, slots=True)
class EncodeSummary:
    agency: str
    input_rows: int
    encoded: int
    quarantined: int
    output: Path
    quarantine: Path
    reference_map: Path
    key_check_value: str
    schema_fingerprint: str
    reasons: dict[str, int]
    first_rows: dict[str, tuple[int, ...]]
    warnings_path: Path
    warnings: dict[str, int]
    first_warned_rows: dict[str, tuple[int, ...]]


def default_side_paths(input_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Quarantine and reference-map paths beside the agency's input (they never travel)."""
    path = Path(input_path)
    stem = path.with_suffix("")
    return Path(f"{stem}.quarantine.csv"), Path(f"{stem}.refmap.csv")


def default_warnings_path(input_path: str | os.PathLike[str]) -> Path:
    """Warnings (rows encoded with reduced evidence) beside the agency's input."""
    return Path(f"{Path(input_path).with_suffix('')}.warnings.csv")


def _counts(issues: pd.DataFrame) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    """Per ``field.reason``: how many rows, and the first row numbers."""
    labels = issues["field"] + "." + issues["reason"]
    counts = {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}
    first = {str(label): tuple(int(r) for r in rows.head(_FIRST_ROWS))
             for label, rows in issues["row_number"].groupby(labels, sort=True)}
    return counts, first


def encode_file(
    input_path: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    secret: ProjectSecret,
    quarantine_path: str | os.PathLike[str] | None = None,
    reference_map_path: str | os.PathLike[str] | None = None,
    created: datetime | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> EncodeSummary:
    """Read, encode and write one agency export plus its quarantine and reference map."""
    config = io.load_export_config(config_path)
    table = io.read_table(input_path, config.input)
    default_q, default_ref = default_side_paths(input_path)
    quarantine_path = Path(quarantine_path or default_q)
    reference_map_path = Path(reference_map_path or default_ref)
    if not len(table.frame):  # every row was malformed: nothing to encode, everything quarantined
        io.write_csv(table.malformed[list(QUARANTINE_COLUMNS)], quarantine_path)
        raise DataError(f"no row of {input_path} could be read ({len(table.malformed)} malformed rows, "
                        f"listed in {quarantine_path})")
    result = encode(table.frame, config, secret=secret, row_numbers=table.row_numbers,
                    created=created, progress=progress, workers=workers)
    quarantine = pd.concat([table.malformed, result.quarantine], ignore_index=True)
    quarantine = quarantine.sort_values(["row_number", "field"], kind="stable").reset_index(drop=True)
    io.write_csv(quarantine[list(QUARANTINE_COLUMNS)], quarantine_path)
    warnings_path = default_warnings_path(input_path)
    io.write_csv(result.warnings[list(QUARANTINE_COLUMNS)], warnings_path)
    io.write_csv(result.reference_map, reference_map_path)
    io.write_encoded(result.export, output_path)
    reasons, first_rows = _counts(quarantine)
    warnings, first_warned = _counts(result.warnings)
    meta = result.export.metadata
    return EncodeSummary(
        agency=config.agency,
        input_rows=len(table.frame) + len(table.malformed),
        encoded=result.export.record_count,
        quarantined=int(quarantine["row_number"].nunique()),
        output=Path(output_path),
        quarantine=quarantine_path,
        reference_map=reference_map_path,
        key_check_value=meta["key_check_value"],
        schema_fingerprint=meta["schema_fingerprint"],
        reasons=reasons,
        first_rows=first_rows,
        warnings_path=warnings_path,
        warnings=warnings,
        first_warned_rows=first_warned,
    )


def inspect_export(export: EncodedExport) -> dict[str, Any]:
    """Metadata, counts and fill rates per field of a verified export (no values)."""
    meta = export.metadata
    table = export.table
    fields: dict[str, Any] = {}
    for spec in meta["schema"]["fields"]:
        column = table.column(field_column(spec["name"])).combine_chunks()
        info: dict[str, Any] = {"kind": spec["kind"], "present": len(column) - column.null_count}
        if pa.types.is_list(column.type):
            lengths = np.asarray(column.value_lengths().fill_null(0))
            info["mean_parts"] = round(float(lengths[lengths > 0].mean()), 3) if (lengths > 0).any() else 0.0
            flat = column.flatten()
        else:
            flat = column.drop_null()
        info["fill_rate"] = _fill(flat)
        fields[spec["name"]] = info
    blocking = {}
    for key in meta["schema"]["blocking"]:
        column = table.column(f"bk_{key['name']}").combine_chunks()
        lengths = np.asarray(column.value_lengths().fill_null(0))
        keys = column.flatten()
        sizes = pd.Series(np.asarray(keys.cast(pa.binary()).to_pylist(), dtype=object)).value_counts() if len(keys) else pd.Series([], dtype=int)
        blocking[key["name"]] = {
            "records_with_key": int((lengths > 0).sum()),
            "distinct_keys": int(len(sizes)),
            "largest_block": int(sizes.max()) if len(sizes) else 0,
        }
    clk = None
    if "clk" in table.column_names:
        clk = {"fill_rate": _fill(table.column("clk").combine_chunks().drop_null())}
    return {
        "agency": meta["agency"],
        "format_version": meta["format_version"],
        "library_version": meta["library_version"],
        "created": meta["created"],
        "record_count": meta["record_count"],
        "key_check_value": meta["key_check_value"],
        "schema_fingerprint": meta["schema_fingerprint"],
        "schema_name": meta["schema"]["name"],
        "hardening": meta["schema"]["hardening"],
        "stats": meta.get("stats", {}),
        "fields": fields,
        "record_filter": clk,
        "blocking": blocking,
        "signature": "valid",
    }


def _fill(array: pa.Array) -> float:
    if len(array) == 0:
        return 0.0
    return round(float(popcount(binary_matrix(array)).mean() / (array.type.byte_width * 8)), 4)


# ------------------------------------------------------------------------------------------- link

@dataclass(frozen=True, slots=True)
class LinkSummary:
    output: Path
    records: int
    agencies: tuple[str, ...]
    candidate_pairs: int
    reduction_ratio: float
    pair_completeness: float | None
    matches: int
    reviews: int
    entities: int
    thresholds: tuple[float, float]
    threshold_source: str
    seconds: float


def link_files(
    encoded_paths: Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    job_config_path: str | os.PathLike[str] | None = None,
    expected_key_check: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> LinkSummary:
    """Read and verify encoded exports, link them and write the result directory."""
    config = io.load_link_job(job_config_path)
    exports = [io.read_encoded(p, expected_key_check=expected_key_check) for p in encoded_paths]
    start = time.perf_counter()
    result = link(exports, config, names=[str(p) for p in encoded_paths], progress=progress)
    io.write_link_result(result, output_dir)
    m = result.manifest
    union = m["blocking"]["pair_completeness_estimate"].get("union")
    return LinkSummary(
        output=Path(output_dir), records=m["counts"]["records"], agencies=tuple(e.agency for e in exports),
        candidate_pairs=m["counts"]["candidate_pairs"], reduction_ratio=m["blocking"]["reduction_ratio"],
        pair_completeness=union, matches=m["counts"]["matches"], reviews=m["counts"]["reviews"],
        entities=m["counts"]["entities"], thresholds=(result.thresholds.match, result.thresholds.review),
        threshold_source=m["thresholds"]["source"], seconds=round(time.perf_counter() - start, 2),
    )
