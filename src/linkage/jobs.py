"""File-level jobs the CLI runs: each reads through :mod:`linkage.io`, calls one stage, writes.

Contract: functions here return small summary objects (counts, paths, fingerprints; never a
record value) and raise :class:`~linkage.errors.LinkageError` subclasses. They never print.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import io
from .authenticity import Trust, check_inputs, stale_warnings, verify_result
from .bloom import popcount
from .deliver import Package, deliver
from .encode import QUARANTINE_COLUMNS, REFERENCE_MAP_COLUMNS, encode
from .encoded import EncodedExport, binary_matrix, field_column
from .errors import DataError
from .keys import ProjectSecret
from .io.outputs import OutputKind, Target, check_targets
from .io.results import RESULT_FILES, result_target
from .io.views import append_audit, audit_target, view_targets, write_view
from .link import link
from .view import build_view

__all__ = ["EncodeSummary", "encode_file", "default_side_paths", "inspect_export", "LinkSummary", "link_files",
           "DeliverSummary", "deliver_file", "ViewSummary", "view_file"]

Progress = Callable[[int, int], None]
_FIRST_ROWS = 5  # row numbers listed per quarantine reason in summaries
#: A view warns when its package, or an export whose envelopes it holds, is older than this.
STALE_AFTER_DAYS = 7


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
    envelopes: int = 0
    envelopes_by_recipient: dict[str, int] | None = None
    recipient_key_ids: dict[str, str] | None = None  # key id of each recipient sealed for


def default_side_paths(input_path: str | os.PathLike[str], output_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Quarantine and reference-map paths beside the agency's input (they never travel).

    The quarantine is named after the input (it lists the input's rows), the reference map after
    the encoded export it belongs to: references are per export, so encoding the same input
    again into another export keeps the earlier export's map.
    """
    path = Path(input_path)
    stem = path.with_suffix("")
    return Path(f"{stem}.quarantine.csv"), path.parent / f"{Path(output_path).stem or 'export'}.refmap.csv"


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
    consent_path: str | os.PathLike[str] | None = None,
    keyring_path: str | os.PathLike[str] | None = None,
    key_paths: Sequence[str | os.PathLike[str]] = (),
    force: bool = False,
) -> EncodeSummary:
    """Read, encode and write one agency export plus its quarantine and reference map.

    ``consent_path`` / ``keyring_path`` override the config's ``consent.register`` /
    ``payload.keyring`` (which are relative to the config's folder). A register given without a
    ``[consent]`` section in the config is used too. Before anything is read beyond the config,
    the outputs are checked against the output policy (:mod:`linkage.io.outputs`): none may be
    an input, one of ``key_paths`` (the key files the caller read) or another output, and an
    existing one must be a previous output of its kind unless ``force``.
    """
    config = io.load_export_config(config_path)
    here = Path(config_path).parent
    if consent_path is None and config.consent is not None and config.consent.register is not None:
        consent_path = here / config.consent.register
    if keyring_path is None and config.payload is not None and config.payload.keyring is not None:
        keyring_path = here / config.payload.keyring
    default_q, default_ref = default_side_paths(input_path, output_path)
    quarantine_path = Path(quarantine_path or default_q)
    reference_map_path = Path(reference_map_path or default_ref)
    warnings_path = default_warnings_path(input_path)
    check_targets([Target(Path(output_path), OutputKind.ENCODED_EXPORT),
                   Target(quarantine_path, OutputKind.TABLE, columns=QUARANTINE_COLUMNS, label="quarantine file"),
                   Target(reference_map_path, OutputKind.TABLE, columns=REFERENCE_MAP_COLUMNS, label="reference map"),
                   Target(warnings_path, OutputKind.TABLE, columns=QUARANTINE_COLUMNS, label="warnings file")],
                  inputs=[input_path, config_path, consent_path, keyring_path], keys=key_paths, force=force)
    delimiter = config.consent.delimiter if config.consent is not None else None
    consent = io.read_consent_register(consent_path, delimiter=delimiter) if consent_path is not None else None
    keyring = io.read_keyring(keyring_path) if keyring_path is not None and config.payload is not None else None
    table = io.read_table(input_path, config.input)
    if not len(table.frame):  # every row was malformed: nothing to encode, everything quarantined
        io.write_csv(table.malformed[list(QUARANTINE_COLUMNS)], quarantine_path, force=force)
        raise DataError(f"no row of {input_path} could be read ({len(table.malformed)} malformed rows, "
                        f"listed in {quarantine_path})")
    result = encode(table.frame, config, secret=secret, row_numbers=table.row_numbers,
                    created=created, progress=progress, workers=workers, consent=consent, keyring=keyring)
    quarantine = pd.concat([table.malformed, result.quarantine], ignore_index=True)
    quarantine = quarantine.sort_values(["row_number", "field"], kind="stable").reset_index(drop=True)
    io.write_csv(quarantine[list(QUARANTINE_COLUMNS)], quarantine_path, force=force)
    io.write_csv(result.warnings[list(QUARANTINE_COLUMNS)], warnings_path, force=force)
    io.write_csv(result.reference_map[list(REFERENCE_MAP_COLUMNS)], reference_map_path, force=force)
    io.write_encoded(result.export, output_path, force=force)
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
        envelopes=meta["stats"]["consent"]["envelopes"],
        envelopes_by_recipient=meta["stats"]["consent"]["envelopes_by_recipient"],
        recipient_key_ids={name: keyring.key_id(name) for name in meta["stats"]["consent"]["envelopes_by_recipient"]}
        if keyring is not None else None,
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
    reviews: int  # pairs in the review queue
    undecided: int  # pairs between the review and the match threshold (the queue's pool)
    entities: int
    thresholds: tuple[float, float]
    threshold_source: str
    seconds: float


def link_files(
    encoded_paths: Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    signing_key_path: str | os.PathLike[str],
    job_config_path: str | os.PathLike[str] | None = None,
    expected_key_check: str | None = None,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> LinkSummary:
    """Read and verify encoded exports, link them and write the result directory, its manifest
    signed with the linkage unit's key at ``signing_key_path``.

    The result directory is checked against the output policy first (:mod:`linkage.io.outputs`):
    new, empty or a previous link result, or (``force``) any directory holding none of the inputs
    under a result file's name.
    """
    check_targets([result_target(output_dir)], inputs=[*encoded_paths, job_config_path], keys=[signing_key_path],
                  force=force)
    signing_key = io.read_linkage_unit_key(signing_key_path)
    config = io.load_link_job(job_config_path)
    exports = [io.read_encoded(p, expected_key_check=expected_key_check) for p in encoded_paths]
    start = time.perf_counter()
    result = link(exports, config, names=[str(p) for p in encoded_paths], progress=progress)
    io.write_link_result(result, output_dir, signing_key=signing_key, force=force)
    m = result.manifest
    union = m["blocking"]["pair_completeness_estimate"].get("union")
    return LinkSummary(
        output=Path(output_dir), records=m["counts"]["records"], agencies=tuple(e.agency for e in exports),
        candidate_pairs=m["counts"]["candidate_pairs"], reduction_ratio=m["blocking"]["reduction_ratio"],
        pair_completeness=union, matches=m["counts"]["matches"], reviews=m["counts"]["reviews"],
        undecided=m["counts"]["undecided"],
        entities=m["counts"]["entities"], thresholds=(result.thresholds.match, result.thresholds.review),
        threshold_source=m["thresholds"]["source"], seconds=round(time.perf_counter() - start, 2),
    )


# ---------------------------------------------------------------------------------------- deliver


@dataclass(frozen=True, slots=True)
class DeliverSummary:
    output: Path
    recipient: str
    own_agency: str | None
    entities: int
    envelopes: int
    own_records: int
    envelopes_by_agency: dict[str, int]
    linkage_unit_key_id: str


def deliver_file(result_dir: str | os.PathLike[str], recipient: str, output_path: str | os.PathLike[str], *,
                 signing_key_path: str | os.PathLike[str], own_agency: str | None = None,
                 created: datetime | None = None, force: bool = False) -> DeliverSummary:
    """Verify a link result, then assemble, sign (with the linkage unit's key at
    ``signing_key_path``) and write the delivery package of ``recipient``.

    The package path is checked against the output policy first (:mod:`linkage.io.outputs`); the
    result must be signed with the same key, every file as the manifest lists it, and the
    envelopes as the agencies signed them (:func:`linkage.authenticity.verify_result`,
    :func:`~linkage.authenticity.check_inputs`, :func:`linkage.deliver.deliver`): IntegrityError
    before anything is written otherwise.
    """
    check_targets([Target(Path(output_path), OutputKind.PACKAGE)],
                  inputs=[Path(result_dir) / name for name in RESULT_FILES], keys=[signing_key_path], force=force)
    key = io.read_linkage_unit_key(signing_key_path)
    files = io.read_link_result(result_dir)
    verify_result(files.manifest, files.file_digests, public_key=key.public_key)
    exports = files.exports()
    check_inputs(files.manifest, exports)
    package: Package = deliver(files.entities(), files.envelopes(), recipient=recipient, exports=exports,
                               signing_key=key, own_agency=own_agency, created=created)
    io.write_package(package, output_path, force=force)
    counts = package.metadata["counts"]
    return DeliverSummary(output=Path(output_path), recipient=recipient, own_agency=package.own_agency,
                          entities=counts["entities"], envelopes=counts["envelopes"], own_records=counts["own_records"],
                          envelopes_by_agency=counts["envelopes_by_agency"], linkage_unit_key_id=key.key_id)


# ------------------------------------------------------------------------------------------- view


@dataclass(frozen=True, slots=True)
class ViewSummary:
    outputs: tuple[Path, ...]
    audit_log: Path
    recipient: str
    purpose: str | None
    purposes_in_package: tuple[str, ...]
    at: str
    package_created: str  # signed by the linkage unit
    exports_created: dict[str, str]  # agency -> created, signed by each agency
    linkage_unit_key_id: str
    key_check_value: str
    warnings: tuple[str, ...]  # stale package or exports (from signed times)
    persons: int
    envelopes_opened: int
    skipped_expired: int
    skipped_other_purpose: int
    duplicate_entities: int


def view_file(package_path: str | os.PathLike[str], private_key_path: str | os.PathLike[str],
              output_path: str | os.PathLike[str], *, linkage_unit_key_path: str | os.PathLike[str],
              expected_key_check: str, purpose: str | None = None, at: Any = None,
              reference_map_path: str | os.PathLike[str] | None = None,
              audit_log_path: str | os.PathLike[str] | None = None, max_age_days: int = STALE_AFTER_DAYS,
              force: bool = False) -> ViewSummary:
    """Verify a delivery package, open it with the recipient's private key, write the view and log it.

    The package must be signed by the linkage unit whose public key file is
    ``linkage_unit_key_path`` and carry exports signed under ``expected_key_check`` (the project's
    key check value, from the agencies): see :func:`linkage.deliver.verify_delivery`. ``at`` (a
    date; default today, UTC) decides which grants are valid; the summary warns when the package
    or a contributing export is more than ``max_age_days`` older (signed times only). The audit
    log (default: ``view-audit.jsonl`` beside the output) gets one JSON line per view: counts and
    references. The view files and the audit log are checked against the output policy first
    (:mod:`linkage.io.outputs`).
    """
    audit_log = Path(audit_log_path) if audit_log_path is not None else Path(output_path).parent / "view-audit.jsonl"
    check_targets([*view_targets(output_path), audit_target(audit_log)],
                  inputs=[package_path, reference_map_path, linkage_unit_key_path], keys=[private_key_path],
                  force=force)
    package = io.read_package(package_path)
    key = io.read_recipient_key(private_key_path)
    trust = Trust(linkage_unit_key=io.read_linkage_unit_public_key(linkage_unit_key_path),
                  key_check_value=expected_key_check)
    reference_map = io.read_string_csv(reference_map_path) if reference_map_path is not None else None
    day: date = at if at is not None else datetime.now(timezone.utc).date()
    view = build_view(package, key, at=day, trust=trust, purpose=purpose, reference_map=reference_map)
    assert view.provenance is not None
    origin = view.provenance
    outputs = write_view(view, output_path, force=force)
    append_audit(audit_log, view, outputs, force=force)
    a, c = view.audit, view.audit["counts"]
    return ViewSummary(outputs=tuple(outputs), audit_log=audit_log, recipient=a["recipient"], purpose=a["purpose"],
                       purposes_in_package=tuple(a["purposes_in_package"]), at=a["at"],
                       package_created=origin.package_created, exports_created=dict(origin.exports_created),
                       linkage_unit_key_id=origin.linkage_unit_key_id, key_check_value=origin.key_check_value,
                       warnings=tuple(stale_warnings(origin, day, max_age_days=max_age_days)), persons=c["persons"],
                       envelopes_opened=c["envelopes_opened"],
                       skipped_expired=c["skipped_expired"] + c.get("skipped_not_yet_valid", 0),
                       skipped_other_purpose=c["skipped_other_purpose"], duplicate_entities=c["duplicate_entities"])
