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

Bound roles (:mod:`linkage.bind`): a role a date field binds (sex, nationality) is normalised
like a code field (its quarantine and warnings name ``<field>.<role>``) and encoded only as extra
slices of that date field; the metadata states each bound role's agreement rate
(``stats.bound_agreement``), an aggregate the linkage unit needs for u.

Consent and payloads (issue #5): with a consent register (required when the config has a
``[consent]`` section), rows whose record has no valid ``linkage`` grant at the encoding date are
not encoded: they go to the quarantine as ``consent, no_linkage_basis``. The scopes of each
record (:func:`linkage.consent.scopes_column`) decide its envelopes and stay with the agency: the
export does not list them (legal bases, data classes and consent dates per record would tell the
linkage unit more than it needs to route envelopes). With a ``[payload]`` section and a
keyring, each record's payload fields are sealed once per scope that names a recipient, with
exactly the fields of the data classes the scope covers (:mod:`linkage.payload`); unreadable
capture dates fall back to the encoding date and are listed in the warnings.

Speed: Python work is done once per *distinct* value (names and dates repeat a lot), everything
per row is numpy; sealing builds payloads column-wise and leaves one AEAD call and one leaf hash
per envelope (:mod:`linkage._seal_batch`). Rows are encoded in parts cut in record-reference
order, the export's row order, so the parts' tables are concatenated as they are. Output is a
pure function of (records, config, secret, created, register), except the envelopes' ephemeral
keys and nonces, which are fresh random values by design.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import bind, bloom
from .authenticity import leaf_digests
from ._columns import Column, normalise_field
from .config import ExportConfig, FieldSpec, Schema
from .consent import ConsentRegister, evaluate
from .diffusion import diffuse, diffusion_taps
from .encoded import BLOCK_KEY_BYTES, FORMAT, FORMAT_VERSION, EncodedExport, arrow_schema, seal_metadata
from .errors import DataError
from .keys import ProjectSecret
from ._blake2b import keyed_digests, keyed_digests_of_joined
from .normalize import DateValue
from .payload import PayloadSealing, check_consent_inputs
from .seal import Keyring
from .tokens import Incidence, component_ids, date_array, incidence

__all__ = ["EncodeResult", "encode", "QUARANTINE_COLUMNS", "REFERENCE_MAP_COLUMNS"]

QUARANTINE_COLUMNS = ("row_number", "field", "reason")
#: Columns of the reference map an agency keeps (its own id -> the record reference it exported).
REFERENCE_MAP_COLUMNS = ("local_id", "record_ref")
_UNIT_SEPARATOR = b"\x1f"  # joins blocking-key components before the keyed digest
Progress = Callable[[int, int], None]
_CHUNK_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class EncodeResult:
    """What encoding produced. ``reference_map``, ``quarantine`` and ``warnings`` stay with the agency.

    ``warnings`` lists rows that were encoded with less evidence than they seem to hold (e.g. a
    birth date whose day and month could be read either way: only year and the unordered pair
    are encoded), as row number, field and reason code.
    """

    export: EncodedExport
    reference_map: pd.DataFrame
    quarantine: pd.DataFrame
    warnings: pd.DataFrame

    def input_order(self) -> np.ndarray:
        """Export row of each encoded record, in input order (the export's rows are in keyed,
        pseudo-random order so that the linkage unit cannot read the agency's row order)."""
        refs = self.export.table.column("record_ref").to_numpy(zero_copy_only=False)
        order = np.argsort(refs, kind="stable")
        return order[np.searchsorted(refs[order], self.reference_map[REFERENCE_MAP_COLUMNS[1]].to_numpy(object))]

    def table_in_input_order(self) -> pa.Table:
        """The export's table with its rows in input order (for the agency's own checks)."""
        return self.export.table.take(pa.array(self.input_order(), pa.int64()))


def encode(
    records: pd.DataFrame,
    config: ExportConfig,
    *,
    secret: ProjectSecret,
    row_numbers: Sequence[int] | None = None,
    created: datetime | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    consent: ConsentRegister | None = None,
    keyring: Keyring | None = None,
) -> EncodeResult:
    """Encode ``records`` (all cells strings) with ``config`` under the project ``secret``.

    ``row_numbers`` are the row numbers the agency sees for each record (default 1..n), used in
    the quarantine. Raises DataError for a missing column or an empty table; single bad rows are
    quarantined, never raised. ``workers > 1`` encodes parts of the input in that many processes;
    the output is identical for any number of workers (everything but id duplicates is row-local).
    ``consent`` is the agency's register (required when the config has ``[consent]``), ``keyring``
    the recipients' public keys (required with ``[payload]``); grants are evaluated at the date of
    ``created``. ConsentError when the register grants data to a recipient the keyring lacks.
    """
    _check_columns(records, config)
    if len(records) == 0:
        raise DataError("the input has no data rows")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    created = created or datetime.now(timezone.utc)
    check_consent_inputs(config, consent, keyring)
    schema = config.schema
    n = len(records)
    row_numbers = np.arange(1, n + 1, dtype=np.int64) if row_numbers is None else np.asarray(row_numbers, np.int64)
    local_ids = pd.Series([str(v).strip() for v in records[config.id_column].fillna("").tolist()], dtype=object)
    id_problems = _id_problems(local_ids, row_numbers)
    id_bad = np.isin(row_numbers, id_problems["row_number"].to_numpy())
    public_keys = None if keyring is None else {name: keyring.lookup(name) for name in keyring}
    sealing = PayloadSealing(config.agency, config.payload, public_keys, created.date()) if consent is not None else None
    scopes: pa.Array | None = None
    if consent is not None:  # grants evaluated once here, vectorised; the parts take their rows' scopes
        ids = local_ids.to_numpy(dtype=object)
        basis, scopes = evaluate(consent, ids, created.date())
        no_basis = ~id_bad & ~basis
        id_problems = pd.concat([id_problems, pd.DataFrame({"row_number": row_numbers[no_basis], "field": "consent",
                                                            "reason": "no_linkage_basis"})], ignore_index=True)
        id_bad = id_bad | no_basis
    created_text = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    ref_key = export_reference_key(records, config, secret, created_text)
    refs = _record_refs(local_ids.tolist(), config, ref_key)
    # parts in record-reference order (the export's row order): their tables are concatenated as they are
    order = np.asarray(pc.sort_indices(pa.array(refs, pa.string())), dtype=np.int64)
    shared = _Shared(records, local_ids.to_numpy(dtype=object), np.asarray(refs, dtype=object), row_numbers, id_bad,
                     config, secret, sealing, scopes)
    size = max(1, min(_CHUNK_ROWS, -(-n // workers)))
    parts: list[_Part] = []
    for part in _run_parts(shared, [order[a : a + size] for a in range(0, n, size)], workers):
        parts.append(part)
        if progress is not None:
            progress(min(n, len(parts) * size), n)
    table = pa.concat_tables([p.table for p in parts])
    quarantine = (pd.concat([id_problems] + [p.quarantine for p in parts], ignore_index=True)
                  .sort_values(["row_number", "field"], kind="stable").reset_index(drop=True))
    warnings = (pd.concat([p.warnings for p in parts], ignore_index=True)
                .sort_values(["row_number", "field"], kind="stable").reset_index(drop=True))
    present = {spec.name: sum(p.present[spec.name] for p in parts) for spec in schema.fields}
    bound = bind.agreement_rates(schema, [p.bound_counts for p in parts])
    digests = leaf_digests(config.agency, pa.concat_arrays([p.leaf_recipients for p in parts]),
                           np.concatenate([p.leaves for p in parts]))
    consent_stats = {"register": consent is not None, "payload": config.payload is not None,
                     "no_linkage_basis": int((id_problems["field"] == "consent").sum()),
                     "records_with_scopes": sum(p.with_scopes for p in parts),
                     "envelopes": sum(d["envelopes"] for d in digests.values()),
                     "envelopes_by_recipient": {name: d["envelopes"] for name, d in digests.items()}}
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": _library_version(),
        "agency": config.agency,
        "created": created_text,
        "record_count": table.num_rows,
        "schema": schema.to_dict(),
        "schema_fingerprint": schema.fingerprint(),
        "stats": {"input_rows": n, "quarantined_rows": n - table.num_rows, "present": present,
                  "warnings": {f"{f}.{r}": int(c) for (f, r), c in
                               warnings.groupby(["field", "reason"]).size().items()},
                  "consent": consent_stats,
                  **({"bound_agreement": bound} if bound else {})},
        "envelope_digests": digests,
    }
    export = EncodedExport(table, seal_metadata(table, metadata, secret=secret))
    kept = np.sort(np.concatenate([p.kept for p in parts]))  # the reference map is in input order
    local_id, record_ref = REFERENCE_MAP_COLUMNS
    reference_map = pd.DataFrame({local_id: shared.local_ids[kept], record_ref: shared.refs[kept]})
    return EncodeResult(export, reference_map, quarantine, warnings)


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every part reads: the input and, per input row, ids, references, bad ids, scopes."""

    records: pd.DataFrame
    local_ids: np.ndarray
    refs: np.ndarray
    row_numbers: np.ndarray
    id_bad: np.ndarray
    config: ExportConfig
    secret: ProjectSecret
    sealing: PayloadSealing | None
    scopes: pa.Array | None


@dataclass(frozen=True, slots=True)
class _Part:
    table: pa.Table
    quarantine: pd.DataFrame
    warnings: pd.DataFrame
    kept: np.ndarray  # input positions of the encoded rows
    present: dict[str, int]
    with_scopes: int
    leaves: np.ndarray  # (envelopes, 32): the leaf hash of each envelope, hashed as it was sealed
    leaf_recipients: pa.Array  # the recipient of each envelope, in the same order
    bound_counts: dict[str, dict[str, int]]  # bound role column -> records per value (never leaves the agency)


_WORKER_SHARED: list[_Shared] = []  # set in each worker process by _init_worker


def _run_parts(shared: _Shared, parts: list[np.ndarray], workers: int) -> Iterator[_Part]:
    """Encode parts (input positions each) in order. With ``workers > 1`` and several parts, this
    process encodes every ``workers``-th part itself and ``workers - 1`` processes the others;
    forked workers inherit ``shared`` (only the positions and the results are pickled)."""
    if workers == 1 or len(parts) == 1:
        yield from (_encode_part(shared, rows) for rows in parts)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers - 1, len(parts) - 1), mp_context=context,
                             initializer=_init_worker, initargs=(shared,)) as pool:
        futures = {i: pool.submit(_encode_part_job, rows) for i, rows in enumerate(parts) if i % workers}
        for i, rows in enumerate(parts):
            yield _encode_part(shared, rows) if i % workers == 0 else futures[i].result()


def _init_worker(shared: _Shared) -> None:
    _WORKER_SHARED[:] = [shared]


def _encode_part_job(rows: np.ndarray) -> _Part:
    return _encode_part(_WORKER_SHARED[0], rows)


def _encode_part(shared: _Shared, rows: np.ndarray) -> _Part:
    """Normalise, quarantine and encode the input rows at positions ``rows`` (all of it row-local;
    the rows come in record-reference order and stay in it)."""
    config, sealing = shared.config, shared.sealing
    records = shared.records.take(rows)
    row_numbers, id_bad = shared.row_numbers[rows], shared.id_bad[rows]
    columns: dict[str, Column] = {}
    results = {}
    for spec in config.schema.fields:
        results[spec.name] = normalise_field(records, config, spec)
        columns[spec.name] = results[spec.name].column
    for key, attribute in bind.attribute_specs(config.schema):  # bound roles, normalised as codes
        results[key] = normalise_field(records, config, attribute)
        columns[key] = results[key].column
    quarantine = _issues(row_numbers, {name: (r.bad_rows, r.bad_reasons) for name, r in results.items()})
    keep = ~id_bad & ~np.isin(row_numbers, quarantine["row_number"].to_numpy())
    warnings = _issues(row_numbers, {name: (r.warn_rows[keep[r.warn_rows]],
                                            [w for w, k in zip(r.warn_reasons, keep[r.warn_rows]) if k])
                                     for name, r in results.items()})
    kept = rows[keep]
    refs = shared.refs[kept].tolist()
    columns = {name: col.take(keep) for name, col in columns.items()}
    scopes = envelopes = None
    leaves, leaf_recipients = np.zeros((0, 32), np.uint8), pa.array([], pa.string())
    if shared.scopes is not None and sealing is not None:
        scopes = shared.scopes.take(pa.array(kept))
        if sealing.payload is not None:
            envelopes, leaves, late = sealing.seal(records[keep], refs, scopes, config.birth_date)
            leaf_recipients = pc.struct_field(envelopes.flatten(), "recipient")
            late_warn = pd.DataFrame({"row_number": row_numbers[keep][late], "field": "payload.captured",
                                      "reason": "unparseable"})
            warnings = pd.concat([warnings, late_warn], ignore_index=True)
    table = _ChunkEncoder(config.schema, shared.secret).encode_chunk(columns, refs, envelopes)
    present = {name: col.rows_present() for name, col in columns.items()}
    with_scopes = 0 if scopes is None else int(np.count_nonzero(np.asarray(scopes.value_lengths().fill_null(0))))
    return _Part(table, quarantine, warnings, kept, present, with_scopes, leaves, leaf_recipients,
                 bind.value_counts(config.schema, columns))


def _library_version() -> str:
    from . import __version__

    return __version__


def _check_columns(records: pd.DataFrame, config: ExportConfig) -> None:
    wanted = [col for _, cols in config.columns for col in cols]
    wanted += list(config.payload.columns()) if config.payload is not None else []
    missing = [col for col in dict.fromkeys(wanted) if col not in records.columns]
    if missing:
        raise DataError(
            f"the input lacks column(s) {', '.join(repr(c) for c in missing)} named in the export config "
            f"for agency '{config.agency}'; fix [columns] in the config or the export's header"
        )


def _issues(row_numbers: np.ndarray, per_field: dict[str, tuple[np.ndarray, list[str]]]) -> pd.DataFrame:
    """A quarantine or warnings table (row number, field, reason code; never a value)."""
    rows = [row_numbers[r] for r, _ in per_field.values()]
    return pd.DataFrame({
        "row_number": np.concatenate(rows + [np.zeros(0, np.int64)]).astype(np.int64),
        "field": pd.Series([name for name, (r, _) in per_field.items() for _ in range(len(r))], dtype=object),
        "reason": pd.Series([reason for _, reasons in per_field.values() for reason in reasons], dtype=object),
    })


def _id_problems(local_ids: pd.Series, row_numbers: np.ndarray) -> pd.DataFrame:
    missing = (local_ids == "").to_numpy()
    duplicate = local_ids.duplicated(keep="first").to_numpy() & ~missing
    frames = [
        pd.DataFrame({"row_number": row_numbers[missing], "field": "id", "reason": "missing"}),
        pd.DataFrame({"row_number": row_numbers[duplicate], "field": "id", "reason": "duplicate"}),
    ]
    return pd.concat(frames, ignore_index=True)


def export_reference_key(records: pd.DataFrame, config: ExportConfig, secret: ProjectSecret, created: str) -> bytes:
    """The key of this export's record references: HMAC-SHA256 under the agency's ``ref/<agency>`` subkey
    of the input's content digest and the export time.

    References are per export: the same local id gets unrelated references in two exports (a new
    month's file, or the same file encoded at another time), so the linkage unit cannot follow a
    person from delivery to delivery; encoding the same input with the same ``created`` time gives
    the same references (deterministic). The content digest is SHA-256 over each column (in name
    order) as its name and the Arrow large-string buffers of its values, missing as "".
    """
    digest = hashlib.sha256(b"linkage/export-refs/v2\x00")
    for name in sorted(map(str, records.columns)):
        values = pa.array(records[name].fillna("").astype(str).to_numpy(dtype=object), type=pa.large_string())
        _, offsets, data = values.buffers()
        digest.update(len(name.encode()).to_bytes(8, "little") + name.encode())
        digest.update(len(values).to_bytes(8, "little") + offsets.to_pybytes()[: 8 * (len(values) + 1)])
        digest.update(data.to_pybytes()[: int(np.frombuffer(offsets, np.int64, len(values) + 1)[-1])]
                      if data is not None else b"")
    digest.update(created.encode())
    return hmac.new(secret.subkey(f"ref/{config.agency}"), digest.digest(), "sha256").digest()


def _record_refs(local_ids: Sequence[str], config: ExportConfig, key: bytes) -> list[str]:
    if config.reference == "local_id":
        return list(local_ids)
    hex_all = keyed_digests([lid.encode() for lid in local_ids], key, 16).tobytes().hex()
    return [hex_all[i : i + 32] for i in range(0, len(hex_all), 32)]


def _salt_text(value: Any) -> str:
    return f"{value.year:04d}" if isinstance(value, DateValue) else str(value)


class _ChunkEncoder:
    """Per-run state: field keys, position hashers (their caches persist across chunks), permutations
    and diffusion taps."""

    def __init__(self, schema: Schema, secret: ProjectSecret) -> None:
        self.schema = schema
        self.secret = secret
        self.hashers = {name: bloom.PositionHasher(secret.subkey(f"bloom/{name}"), bits)
                        for name, bits in _filter_units(schema)}
        self.clk_bits: dict[str, int] = {}
        widths = dict(_filter_units(schema))
        if schema.record_filter is not None:
            self.clk_bits = dict(schema.record_filter.bits_per_token)
            self.clk_hashers = {name: bloom.PositionHasher(secret.subkey(f"clk/{name}"), schema.record_filter.num_bits)
                                for name in self.clk_bits}
            widths["clk"] = schema.record_filter.num_bits
        hard = schema.hardening
        self.permutations: dict[str, np.ndarray] = {}
        for name, bits in widths.items():
            if hard.balance:
                self.permutations[f"balance/{name}"] = bloom.keyed_permutation(secret.subkey(f"balance/{name}"), 2 * bits)
                bits *= 2
            if hard.diffusion:
                self.permutations[f"diffuse/{name}"] = diffusion_taps(secret.subkey(f"diffuse/{name}"), bits,
                                                                      hard.diffusion)
            if hard.xor_fold:
                bits //= 2
            if hard.permute:
                self.permutations[f"permute/{name}"] = bloom.keyed_permutation(secret.subkey(f"permute/{name}"), bits)

    # ----------------------------------------------------------------------------- hardening
    def _harden(self, name: str, filters: np.ndarray) -> np.ndarray:
        """Value-level hardening, a function of the filter alone: balance+shuffle, diffusion, fold, permute."""
        hard = self.schema.hardening
        if hard.balance:
            filters = bloom.permute(bloom.balance(filters), self.permutations[f"balance/{name}"])
        if hard.diffusion:
            filters = diffuse(filters, self.permutations[f"diffuse/{name}"])
        if hard.xor_fold:
            filters = bloom.xor_fold(filters)
        if hard.permute:
            filters = bloom.permute(filters, self.permutations[f"permute/{name}"])
        return filters

    def _blip(self, name: str, filters: np.ndarray, seeds: Sequence[str]) -> np.ndarray:
        p = self.schema.hardening.blip_probability
        return bloom.blip(filters, seeds, self.secret.subkey(f"blip/{name}"), p) if p > 0 else filters

    # -------------------------------------------------------------------------------- chunk
    def encode_chunk(self, columns: dict[str, Column], refs: Sequence[str],
                     envelopes: pa.Array | None = None) -> pa.Table:
        schema = self.schema
        n = len(refs)
        salt_field = schema.hardening.salt_field
        salt_codes, salt_texts = (np.zeros(n, np.int64), [""])
        if salt_field:
            salt_codes, salt_texts = columns[salt_field].per_row_salt(_salt_text)
        arrays: dict[str, pa.Array] = {"record_ref": pa.array(list(refs), pa.string())}
        clk = np.zeros((n, schema.record_filter.num_bits // 8), np.uint8) if schema.record_filter else None
        for spec in schema.fields:
            col = columns[spec.name]
            salted = bool(salt_field) and spec.name != salt_field
            item_salts = salt_codes[col.rows] if salted else np.zeros(len(col.rows), np.int64)
            n_salts = len(salt_texts)
            item_keys, unique_items = pd.factorize(col.codes * n_salts + item_salts, sort=False)
            unique_items = np.asarray(unique_items, np.int64)
            values = [col.values[k] for k in (unique_items // n_salts).tolist()]
            value_salts = unique_items % n_salts
            token_input = date_array(values) if spec.kind == "date" else values
            token_sets = [(k, incidence(spec.kind, token_kind, token_input)) for token_kind, k in spec.tokens]
            rows, item_keys = col.rows, np.asarray(item_keys)
            if spec.layout == "split":  # a slice per token kind and anchor; a value without any token is missing
                names = _slice_names(spec)
                slices = [_filters(len(values), [token_set], value_salts, salt_texts, self.hashers[unit], None)
                          for unit, token_set in zip(names, token_sets)]
                kept = np.logical_or.reduce([s.any(axis=1) for s in slices])[item_keys]
                units = [(unit, f, item_keys) for unit, f in zip(names, slices)]
                order_key = self.secret.subkey(bind.order_key_purpose(spec.name)) if spec.anchors else None
                extra = bind.bound_slices(spec, col, columns, item_salts, n_salts, order_key)
                for unit, b in zip(names[len(slices):], extra):
                    f = _filters(len(b.pair_salts), [(b.bits_per_token, b.tokens)], b.pair_salts, salt_texts,
                                 self.hashers[unit], None)
                    units.append((unit, f, b.pair_of_item))
                    if "+" not in b.kind:  # an anchor keeps a date without token kinds (a year-only one)
                        kept |= f.any(axis=1)[b.pair_of_item]
                rows, item_keys = rows[kept], item_keys[kept]
                units = [(unit, f, index[kept]) for unit, f, index in units]
            else:
                units = [(spec.name, _filters(len(values), token_sets, value_salts, salt_texts,
                                              self.hashers[spec.name], None), item_keys)]
            seeds: list[str] = []
            if schema.hardening.blip_probability > 0:  # seed: record ref (and part index within it)
                within = np.arange(len(rows)) - np.searchsorted(rows, rows)
                seeds = [f"{refs[r]}/{i}" if spec.kind == "name" else refs[r]
                         for r, i in zip(rows.tolist(), within.tolist())]
            stored = np.concatenate([self._blip(unit, self._harden(unit, f)[index], seeds) for unit, f, index in units],
                                    axis=1)
            arrays[f"f_{spec.name}"] = _field_array(spec.kind, rows, stored, n)
            if spec.name in self.clk_bits:
                contrib = _filters(len(values), token_sets, value_salts, salt_texts, self.clk_hashers[spec.name],
                                   self.clk_bits[spec.name])
                bloom.or_into_rows(clk, rows, item_keys, contrib)
        if schema.record_filter is not None:
            arrays["clk"] = _binary_array(self._blip("clk", self._harden("clk", clk), refs))
        for key in schema.blocking:
            arrays[f"bk_{key.name}"] = self._blocking_array(key.name, key.components, columns, n)
        empty = pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.null()))
        arrays["envelopes"] = empty if envelopes is None else envelopes
        target = arrow_schema(schema)
        return pa.Table.from_arrays([arrays[f.name].cast(f.type) for f in target], schema=target)

    def _blocking_array(self, key_name: str, components: Sequence[str], columns: dict[str, Column],
                        n: int) -> pa.Array:
        """Keyed digests of component combinations; a name component gives one key per part."""
        derived = []
        for comp in components:
            field_name, _, derivation = comp.partition(".")
            kind = self.schema.field(field_name).kind
            values = columns[field_name].values
            if derivation == "skeleton_pair":
                derived.append((True, *_part_pairs(columns[field_name], "skeleton")))
                continue
            ids_per_value, vocab = component_ids(kind, derivation, date_array(values) if kind == "date" else values)
            d_rows, d_ids = columns[field_name].map_values(ids_per_value)
            derived.append((kind == "name", d_rows, d_ids, vocab))
        name_part = next((d for d in derived if d[0]), None)
        rows = name_part[1] if name_part is not None else np.arange(n)
        ids = []
        for is_name, d_rows, d_ids, _ in derived:
            if is_name:
                ids.append(d_ids)
            else:
                per_row = np.full(n, -1, np.int64)
                per_row[d_rows] = d_ids
                ids.append(per_row[rows])
        stacked = np.stack(ids, axis=1)
        complete = (stacked >= 0).all(axis=1)
        rows, stacked = rows[complete], stacked[complete]
        if len(rows) == 0:
            return _list_array(rows, np.zeros((0, BLOCK_KEY_BYTES), np.uint8), n)
        sizes = [max(len(d[3]), 1) for d in derived]
        combined = np.zeros(len(rows), np.int64)
        for j, size in enumerate(sizes):
            combined = combined * size + stacked[:, j]
        inverse, distinct_keys = pd.factorize(combined, sort=False)
        inverse = inverse.astype(np.int64)
        remaining = np.asarray(distinct_keys, np.int64)
        decoded = []
        for size in reversed(sizes):  # decode the combined key back into component ids
            decoded.append(remaining % size)
            remaining = remaining // size
        decoded.reverse()
        digest_key = self.secret.subkey(f"block/{key_name}")
        encoded_vocabs = [[v.encode() for v in d[3]] for d in derived]
        matrix = keyed_digests_of_joined(encoded_vocabs, np.stack(decoded, axis=1), _UNIT_SEPARATOR, digest_key,
                                         BLOCK_KEY_BYTES)
        # one entry per (row, distinct key), sorted by digest within a row
        sort_key = matrix[:, :8].copy().view(">u8").ravel().astype(np.uint64)[inverse]
        order = np.lexsort((sort_key, rows)) if not _is_sorted(rows) else bloom.segment_order(rows, sort_key)
        rows, inverse = rows[order], inverse[order]
        distinct = np.r_[True, (rows[1:] != rows[:-1]) | (inverse[1:] != inverse[:-1])]
        return _list_array(rows[distinct], matrix[inverse[distinct]], n)


def _part_pairs(column: Column, derivation: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every unordered pair of distinct derived parts of a record, as (row, pair id) items and
    the pair vocabulary (``"a b"`` with ``a < b``): two records sharing two name parts, in any
    order and columns, share a key whatever their other fields say."""
    ids_per_value, vocab = component_ids("name", derivation, column.values)
    rows, ids = column.map_values(ids_per_value)
    if len(rows) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    order = np.lexsort((ids, rows))
    rows, ids = rows[order], ids[order]
    keep = np.r_[True, (rows[1:] != rows[:-1]) | (ids[1:] != ids[:-1])]
    rows, ids = rows[keep], ids[keep]
    firsts, seconds, owners = [], [], []
    offset = 0
    while True:  # the part at each distance behind every part of the same record, until none is left
        offset += 1
        same = rows[offset:] == rows[:-offset] if len(rows) > offset else np.zeros(0, bool)
        if not same.any():
            break
        firsts.append(ids[:-offset][same])
        seconds.append(ids[offset:][same])
        owners.append(rows[offset:][same])
    if not owners:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    a, b, owner = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(owners)
    names = np.asarray(vocab, dtype=object)
    lo, hi = np.where(names[a] <= names[b], names[a], names[b]), np.where(names[a] <= names[b], names[b], names[a])
    pair_ids, pair_vocab = pd.factorize(pd.Series(lo + " " + hi), sort=False)
    order = np.argsort(owner, kind="stable")
    return owner[order].astype(np.int64), pair_ids[order].astype(np.int64), [str(v) for v in pair_vocab]


def _slice_names(spec: FieldSpec) -> list[str]:
    """Names of the filter units of a split field, one per slice in stored order (token kinds in
    schema order, then bound slices)."""
    return [f"{spec.name}/{kind}" for kind in spec.slice_kinds]


def _filter_units(schema: Schema) -> list[tuple[str, int]]:
    """Every separately hashed and hardened filter unit (name, bits): a field, or each slice of a
    split field. The unit's name derives its keys (``bloom/<unit>``, ``permute/<unit>``, ...)."""
    units = []
    for spec in schema.fields:
        names = _slice_names(spec) if spec.layout == "split" else [spec.name]
        units += [(name, spec.slice_bits) for name in names]
    return units


def _filters(count: int, token_sets: Sequence[tuple[int, Incidence]], value_salts: np.ndarray,
             salt_texts: Sequence[str], hasher: bloom.PositionHasher, k_override: int | None) -> np.ndarray:
    """Packed filters of ``count`` values from their token incidences.

    Value ``v`` is salted with ``salt_texts[value_salts[v]]`` (prefix ``salt + "\x1f"`` on every
    token; the empty salt means unsalted). ``k_override`` replaces every kind's bits per token.
    """
    packed = np.zeros((count, hasher.num_bits // 8), dtype=np.uint8)
    n_salts = len(salt_texts)
    salted = bool(value_salts.any()) if len(value_salts) else False
    for k, inc in token_sets:
        k = k_override or k
        if len(inc.owners) == 0:
            continue
        if salted:
            pair_index, pairs = pd.factorize(inc.token_ids * n_salts + value_salts[inc.owners], sort=False)
            strings = [(salt_texts[p % n_salts] + "\x1f" if p % n_salts else "") + inc.tokens[p // n_salts]
                       for p in np.asarray(pairs, np.int64).tolist()]
        else:
            pair_index, strings = inc.token_ids, inc.tokens
        bloom.set_bits(packed, inc.owners, np.asarray(pair_index), hasher.positions_matrix(strings, k))
    return packed


def _field_array(kind: str, rows: np.ndarray, stored: np.ndarray, n: int) -> pa.Array:
    if kind != "name":
        full = np.zeros((n, stored.shape[1]), dtype=np.uint8)
        full[rows] = stored
        present = np.zeros(n, dtype=bool)
        present[rows] = True
        return _binary_array(full, present)
    # Parts of a record are sorted by their (keyed) filter bytes: their order reveals nothing.
    prefix = np.zeros((len(stored), 8), np.uint8)
    prefix[:, : min(8, stored.shape[1])] = stored[:, :8]
    order = bloom.segment_order(rows, prefix.view(">u8").ravel().astype(np.uint64))
    return _list_array(rows[order], stored[order], n)


def _is_sorted(values: np.ndarray) -> bool:
    return bool(len(values) < 2 or (values[1:] >= values[:-1]).all())


def _list_array(rows: np.ndarray, matrix: np.ndarray, n: int) -> pa.Array:
    """List column: row ``r`` holds the matrix rows whose ``rows`` entry is ``r`` (rows sorted)."""
    counts = np.bincount(rows, minlength=n) if len(rows) else np.zeros(n, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    mask = pa.array(counts == 0)
    return pa.ListArray.from_arrays(pa.array(offsets), _binary_array(matrix), mask=mask)


def _binary_array(matrix: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    width = matrix.shape[1]
    buffer = pa.py_buffer(np.ascontiguousarray(matrix).tobytes())
    validity, null_count = None, 0
    if present is not None and not present.all():
        validity = pa.py_buffer(np.packbits(present, bitorder="little").tobytes())
        null_count = int((~present).sum())
    return pa.Array.from_buffers(pa.binary(width), len(matrix), [validity, buffer], null_count=null_count)
