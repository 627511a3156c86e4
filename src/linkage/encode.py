"""Encode an agency's records into a signed encoded export (agency side).

Contract
--------
``encode(records, config, secret=...)`` takes the agency's table as strings (``""`` = missing),
normalises each mapped column by role, turns values into tokens, hashes tokens into keyed Bloom
filters (one per field; one per part for names), applies the schema's hardening, derives keyed
blocking keys and record references, and returns an :class:`EncodeResult`: the encoded export,
the agency-only reference map (local id -> record reference) and the quarantine (row number,
field, reason code) of rows that could not be encoded. Every input row ends up in exactly one of
the export or the quarantine. No record value enters a message, a reason or the metadata.

Work is done per distinct value, not per row (names and dates repeat a lot), and gathered back
to rows with numpy; the output is a pure function of (records, config, secret, created).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import bloom
from .config import ExportConfig, FieldSpec, Role, Schema
from .encoded import BLOCK_KEY_BYTES, FORMAT, FORMAT_VERSION, EncodedExport, arrow_schema, seal_metadata
from .errors import DataError
from .keys import ProjectSecret
from .normalize import DateValue, Invalid, name_parts, normalize_code, normalize_sex, normalize_text, parse_date
from .tokens import blocking_values, value_tokens

__all__ = ["EncodeResult", "encode", "QUARANTINE_COLUMNS"]

QUARANTINE_COLUMNS = ("row_number", "field", "reason")
Progress = Callable[[int, int], None]
_CHUNK_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class EncodeResult:
    """What encoding produced. ``reference_map`` and ``quarantine`` stay with the agency."""

    export: EncodedExport
    reference_map: pd.DataFrame
    quarantine: pd.DataFrame


def encode(
    records: pd.DataFrame,
    config: ExportConfig,
    *,
    secret: ProjectSecret,
    row_numbers: Sequence[int] | None = None,
    created: datetime | None = None,
    progress: Progress | None = None,
) -> EncodeResult:
    """Encode ``records`` (all cells strings) with ``config`` under the project ``secret``.

    ``row_numbers`` are the row numbers the agency sees for each record (default 1..n), used in
    the quarantine. Raises DataError for a missing column or an
    empty table; single bad rows are quarantined, never raised.
    """
    _check_columns(records, config)
    if len(records) == 0:
        raise DataError("the input has no data rows")
    schema = config.schema
    row_numbers = (np.arange(1, len(records) + 1, dtype=np.int64) if row_numbers is None
                   else np.asarray(row_numbers, dtype=np.int64))
    local_ids = records[config.id_column].astype(str).str.strip()
    problems: list[pd.DataFrame] = [_id_problems(local_ids, row_numbers)]
    values: dict[str, list[Any]] = {}
    for spec in schema.fields:
        values[spec.name], bad = _normalise_field(records, config, spec)
        problems.append(pd.DataFrame({"row_number": row_numbers[bad[0]], "field": spec.name, "reason": bad[1]}))
    quarantine = (pd.concat(problems, ignore_index=True).sort_values(["row_number", "field"], kind="stable")
                  .reset_index(drop=True))
    keep = ~np.isin(row_numbers, quarantine["row_number"].to_numpy())
    kept_ids = local_ids[keep].tolist()
    refs = _record_refs(kept_ids, config, secret)
    kept_values = {name: [v for v, k in zip(vals, keep) if k] for name, vals in values.items()}

    encoder = _FieldEncoder(schema, secret)
    n = len(refs)
    tables = []
    for start in range(0, max(n, 1), _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        chunk = {name: vals[start:stop] for name, vals in kept_values.items()}
        tables.append(encoder.encode_chunk(chunk, refs[start:stop]))
        if progress is not None:
            progress(stop, n)
    table = pa.concat_tables(tables) if n else arrow_schema(schema).empty_table()
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": _library_version(),
        "agency": config.agency,
        "created": (created or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "record_count": table.num_rows,
        "schema": schema.to_dict(),
        "schema_fingerprint": schema.fingerprint(),
        "stats": {
            "input_rows": int(len(records)),
            "quarantined_rows": int((~keep).sum()),
            "present": {name: int(sum(v is not None and v != () for v in vals))
                        for name, vals in kept_values.items()},
        },
    }
    export = EncodedExport(table, seal_metadata(table, metadata, secret=secret))
    reference_map = pd.DataFrame({"local_id": kept_ids, "record_ref": refs})
    return EncodeResult(export, reference_map, quarantine)


def _library_version() -> str:
    from . import __version__

    return __version__


def _check_columns(records: pd.DataFrame, config: ExportConfig) -> None:
    wanted = [col for _, cols in config.columns for col in cols]
    missing = [col for col in dict.fromkeys(wanted) if col not in records.columns]
    if missing:
        raise DataError(
            f"the input lacks column(s) {', '.join(repr(c) for c in missing)} named in the export config "
            f"for agency '{config.agency}'; fix [columns] in the config or the export's header"
        )


def _id_problems(local_ids: pd.Series, row_numbers: np.ndarray) -> pd.DataFrame:
    missing = (local_ids == "").to_numpy()
    duplicate = local_ids.duplicated(keep="first").to_numpy() & ~missing
    frames = [
        pd.DataFrame({"row_number": row_numbers[missing], "field": "id", "reason": "missing"}),
        pd.DataFrame({"row_number": row_numbers[duplicate], "field": "id", "reason": "duplicate"}),
    ]
    return pd.concat(frames, ignore_index=True)


def _per_unique(series: pd.Series, fn: Callable[[str | None], Any]) -> list[Any]:
    """Apply ``fn`` once per distinct value and spread the results back to rows."""
    codes, uniques = pd.factorize(series.astype(str).str.strip(), sort=False)
    results = [fn(u if u else None) for u in uniques]
    return [results[c] for c in codes]


def _normaliser(role: str, config: ExportConfig) -> Callable[[str | None], Any]:
    if role == Role.BIRTH_DATE:
        spec = config.birth_date
        return lambda raw: parse_date(raw, spec)
    if role == Role.SEX:
        return normalize_sex
    if role == Role.PLACE:
        return normalize_text
    return normalize_code


def _normalise_field(
    records: pd.DataFrame, config: ExportConfig, spec: FieldSpec
) -> tuple[list[Any], tuple[np.ndarray, list[str]]]:
    """Normalised value per row (None if missing; a tuple of parts for names) and bad rows."""
    n = len(records)
    columns = [(role, col) for role in spec.sources for col in config.columns_for(role)]
    if spec.kind == "name":
        per_col = [_per_unique(records[col], name_parts) for _, col in columns]
        values: list[Any] = []
        for row in zip(*per_col) if per_col else ((),) * n:
            merged = tuple(dict.fromkeys(p for parts in row for p in parts))
            values.append(merged[: spec.max_parts] if merged else None)
    else:
        values = [None] * n
        for role, col in columns:
            normalised = _per_unique(records[col], _normaliser(role, config))
            values = [v if v is not None else w for v, w in zip(values, normalised)]
    bad_rows: list[int] = []
    reasons: list[str] = []
    for i, v in enumerate(values):
        if isinstance(v, Invalid):
            bad_rows.append(i)
            reasons.append(v.reason)
        elif v is None and spec.required:
            bad_rows.append(i)
            reasons.append("missing")
    return values, (np.asarray(bad_rows, dtype=np.int64), reasons)


def _record_refs(local_ids: Sequence[str], config: ExportConfig, secret: ProjectSecret) -> list[str]:
    if config.reference == "local_id":
        return list(local_ids)
    key = secret.subkey(f"ref/{config.agency}")
    return [hmac.new(key, lid.encode(), hashlib.sha256).hexdigest()[:32] for lid in local_ids]


def _salt_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, DateValue):
        return f"{value.year:04d}"
    return str(value)


class _FieldEncoder:
    """Holds the per-field keys, hashers (with their token caches) and permutations of one run."""

    def __init__(self, schema: Schema, secret: ProjectSecret) -> None:
        self.schema = schema
        self.secret = secret
        self.hashers = {f.name: bloom.PositionHasher(secret.subkey(f"bloom/{f.name}"), f.num_bits)
                        for f in schema.fields}
        hard = schema.hardening
        self.permutations: dict[str, np.ndarray] = {}
        widths = {f.name: f.num_bits for f in schema.fields}
        if schema.record_filter is not None:
            rf = schema.record_filter
            self.clk_hashers = {name: bloom.PositionHasher(secret.subkey(f"clk/{name}"), rf.num_bits)
                                for name, _ in rf.bits_per_token}
            widths["clk"] = rf.num_bits
        for name, bits in widths.items():
            if hard.balance:
                self.permutations[f"balance/{name}"] = bloom.keyed_permutation(
                    secret.subkey(f"balance/{name}"), 2 * bits)
                bits *= 2
            if hard.xor_fold:
                bits //= 2
            if hard.permute:
                self.permutations[f"permute/{name}"] = bloom.keyed_permutation(secret.subkey(f"permute/{name}"), bits)

    def harden(self, name: str, filters: np.ndarray) -> np.ndarray:
        """Value-level hardening (deterministic per filter): balance+shuffle, fold, permute."""
        hard = self.schema.hardening
        if hard.balance:
            filters = bloom.permute(bloom.balance(filters), self.permutations[f"balance/{name}"])
        if hard.xor_fold:
            filters = bloom.xor_fold(filters)
        if hard.permute:
            filters = bloom.permute(filters, self.permutations[f"permute/{name}"])
        return filters

    def blip(self, name: str, filters: np.ndarray, seeds: Sequence[str]) -> np.ndarray:
        p = self.schema.hardening.blip_probability
        return bloom.blip(filters, seeds, self.secret.subkey(f"blip/{name}"), p) if p > 0 else filters

    def encode_chunk(self, values: dict[str, list[Any]], refs: Sequence[str]) -> pa.Table:
        schema = self.schema
        n = len(refs)
        salt_field = schema.hardening.salt_field
        salts = [_salt_of(v) for v in values[salt_field]] if salt_field else [""] * n
        columns: dict[str, pa.Array] = {"record_ref": pa.array(list(refs), pa.string())}
        clk_parts: list[np.ndarray] = []
        clk_bits = dict(schema.record_filter.bits_per_token) if schema.record_filter else {}
        for spec in schema.fields:
            field_salts = salts if salt_field and spec.name != salt_field else [""] * n
            rows, items = _explode(values[spec.name], field_salts)
            codes, uniques = pd.factorize(pd.Series(items, dtype=object), sort=False) if items else (
                np.zeros(0, np.int64), [])
            token_lists = [self._tokens(spec, value, salt) for salt, value in uniques]
            filters = bloom.build_filters(token_lists, self.hashers[spec.name])
            stored = self.harden(spec.name, filters)[codes]
            columns[f"f_{spec.name}"] = self._field_column(spec, rows, stored, n, refs)
            if spec.name in clk_bits:
                k = clk_bits[spec.name]
                clk_lists = [[(tok, k) for tok, _ in toks] for toks in token_lists]
                clk_unique = bloom.build_filters(clk_lists, self.clk_hashers[spec.name])
                merged = np.zeros((n, clk_unique.shape[1]), dtype=np.uint8)
                np.bitwise_or.at(merged, rows, clk_unique[codes])
                clk_parts.append(merged)
        if schema.record_filter is not None:
            clk = np.bitwise_or.reduce(np.stack(clk_parts), axis=0) if clk_parts else np.zeros(
                (n, schema.record_filter.num_bits // 8), np.uint8)
            clk = self.blip("clk", self.harden("clk", clk), refs)
            columns["clk"] = _binary_array(clk)
        for key in schema.blocking:
            columns[f"bk_{key.name}"] = self._blocking_column(key.name, key.components, values, n)
        empty = pa.array([[] for _ in range(n)], pa.list_(pa.null()))
        columns["scopes"] = empty
        columns["envelopes"] = empty
        target = arrow_schema(schema)
        arrays = [columns[f.name].cast(f.type) if columns[f.name].type != f.type else columns[f.name]
                  for f in target]
        return pa.Table.from_arrays(arrays, schema=target)

    def _tokens(self, spec: FieldSpec, value: Any, salt: str) -> list[tuple[str, int]]:
        prefix = f"{salt}\x1f" if salt else ""
        return [(prefix + tok, k) for token_kind, k in spec.tokens
                for tok in value_tokens(spec.kind, token_kind, value)]

    def _field_column(self, spec: FieldSpec, rows: np.ndarray, stored: np.ndarray, n: int,
                      refs: Sequence[str]) -> pa.Array:
        if spec.kind != "name":
            full = np.zeros((n, stored.shape[1]), dtype=np.uint8)
            full[rows] = self.blip(spec.name, stored, [refs[r] for r in rows]) if len(rows) else stored
            present = np.zeros(n, dtype=bool)
            present[rows] = True
            return _binary_array(full, present)
        seeds = [f"{refs[r]}/{i}" for i, r in enumerate(rows)]
        stored = self.blip(spec.name, stored, seeds) if len(rows) else stored
        # Parts of a record are sorted by their (keyed) filter bytes: order reveals nothing.
        sort_key = np.lexsort([stored[:, j] for j in range(min(8, stored.shape[1]) - 1, -1, -1)] + [rows])
        rows, stored = rows[sort_key], stored[sort_key]
        counts = np.bincount(rows, minlength=n)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        values = _binary_array(stored)
        mask = pa.array(counts == 0)
        return pa.ListArray.from_arrays(pa.array(offsets), values, mask=mask)

    def _blocking_column(self, key_name: str, components: Sequence[str], values: dict[str, list[Any]],
                         n: int) -> pa.Array:
        digest_key = self.secret.subkey(f"block/{key_name}")
        per_component: list[list[list[str]]] = []
        for comp in components:
            field_name, _, derivation = comp.partition(".")
            spec = self.schema.field(field_name)
            col = []
            for v in values[field_name]:
                if v is None:
                    col.append([])
                elif spec.kind == "name":
                    col.append(list(dict.fromkeys(c for part in v for c in blocking_values("name", derivation, part))))
                else:
                    col.append(blocking_values(spec.kind, derivation, v))
            per_component.append(col)
        cache: dict[str, bytes] = {}
        out: list[list[bytes]] = []
        for r in range(n):
            combos = [""]
            for col in per_component:
                combos = [f"{c}\x1f{x}" if c else x for c in combos for x in col[r]]
            keys = []
            for material in combos:
                digest = cache.get(material)
                if digest is None:
                    digest = hashlib.blake2b(material.encode(), key=digest_key, digest_size=BLOCK_KEY_BYTES).digest()
                    cache[material] = digest
                keys.append(digest)
            out.append(sorted(set(keys)))
        return pa.array(out, pa.list_(pa.binary(BLOCK_KEY_BYTES)))


def _explode(values: Sequence[Any], salts: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, Any]]]:
    """Rows and (salt, value) items; a name contributes one item per part, missing values none."""
    rows: list[int] = []
    items: list[tuple[str, Any]] = []
    for r, (v, salt) in enumerate(zip(values, salts)):
        if v is None:
            continue
        if isinstance(v, tuple):
            for part in v:
                rows.append(r)
                items.append((salt, part))
        else:
            rows.append(r)
            items.append((salt, v))
    return np.asarray(rows, dtype=np.int64), items


def _binary_array(matrix: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    width = matrix.shape[1]
    buffer = pa.py_buffer(np.ascontiguousarray(matrix).tobytes())
    validity = None
    null_count = 0
    if present is not None and not present.all():
        validity = pa.py_buffer(np.packbits(present, bitorder="little").tobytes())
        null_count = int((~present).sum())
    return pa.Array.from_buffers(pa.binary(width), len(matrix), [validity, buffer], null_count=null_count)
