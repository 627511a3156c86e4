"""The linkage unit's view of encoded exports: one record index space over all of them.

Contract: :func:`record_set` checks that the exports can be linked (same project secret, same
schema, distinct agencies, verified before) and lays their columns out as matrices: record
``i`` of the result is record ``i - start`` of export ``source[i]``, exports in the given order.
Only encodings are read; no secret is needed or used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bind import comparison_name
from .block import key_codes
from .config import BIND_ANCHORS, slice_kinds
from .encoded import EncodedExport, binary_matrix, block_column, field_column
from .errors import IntegrityError

__all__ = ["FieldData", "RecordSet", "record_set"]


@dataclass(frozen=True, slots=True)
class FieldData:
    """Filters of one field. Name fields: ``filters`` (n, max_parts, bytes) and ``present``
    (n, max_parts); other fields: (n, bytes) and (n,). ``slices`` (split layout): the token kind
    of each slice and its byte range in a filter, in order; empty for a joint filter. A bound
    role of a date (kind ``"bound"``, :mod:`linkage.bind`) shares the date's filters and lists
    the anchor slices and the role's bound slices."""

    name: str
    kind: str
    filters: np.ndarray
    present: np.ndarray
    slices: tuple[tuple[str, int, int], ...] = ()

    def slice(self, token_kind: str) -> np.ndarray:
        """The (n, bytes) filters of one token kind's slice (a split field); KeyError if none."""
        for kind, start, stop in self.slices:
            if kind == token_kind:
                return np.ascontiguousarray(self.filters[:, start:stop])
        raise KeyError(token_kind)


@dataclass(frozen=True, slots=True)
class RecordSet:
    agencies: tuple[str, ...]
    source: np.ndarray  # (n,) export index of each record
    record_refs: np.ndarray  # (n,) object: keyed record references
    fields: tuple[FieldData, ...]
    clk: np.ndarray | None
    clk_present: np.ndarray | None
    block_keys: Mapping[str, tuple[np.ndarray, np.ndarray]]  # key name -> (rows, codes)
    schema: Mapping[str, object]
    schema_fingerprint: str
    key_check_value: str
    bound_agreement: Mapping[str, float] = field(default_factory=dict)  # bound role -> stated agreement rate

    @property
    def n(self) -> int:
        return len(self.source)


def check_linkable(exports: Sequence[EncodedExport], names: Sequence[str]) -> None:
    """Raise IntegrityError naming the file unless all exports share secret and schema and
    come from distinct agencies."""
    if not exports:
        raise IntegrityError("no encoded exports given: pass one export (deduplication) or several")
    first = exports[0]
    for export, name in zip(exports[1:], names[1:]):
        if export.key_check_value != first.key_check_value:
            raise IntegrityError(
                f"{name} was encoded with a different project secret (key check value {export.key_check_value}, "
                f"{names[0]} has {first.key_check_value}); every agency must encode with the same shared secret")
        if export.schema_fingerprint != first.schema_fingerprint:
            raise IntegrityError(
                f"{name} was encoded with a different schema ({export.schema_fingerprint[:19]}, {names[0]} has "
                f"{first.schema_fingerprint[:19]}); every agency must encode with the project's schema file")
    seen: dict[str, str] = {}
    for export, name in zip(exports, names):
        if export.agency in seen:
            raise IntegrityError(f"{name} and {seen[export.agency]} both come from agency '{export.agency}'; "
                                 "link each agency's export once (encode one combined export per agency)")
        seen[export.agency] = name


def record_set(exports: Sequence[EncodedExport], names: Sequence[str] | None = None) -> RecordSet:
    """Lay out verified exports as one record set (see the module docstring)."""
    names = list(names) if names is not None else [f"export {i + 1} ({e.agency})" for i, e in enumerate(exports)]
    check_linkable(exports, names)
    schema = exports[0].metadata["schema"]
    counts = [e.record_count for e in exports]
    source = np.repeat(np.arange(len(exports), dtype=np.int32), counts)
    refs = np.concatenate([np.asarray(e.table.column("record_ref").to_pylist(), dtype=object) for e in exports]
                          ) if sum(counts) else np.zeros(0, object)
    fields = []
    for spec in schema["fields"]:
        column = _concat(exports, field_column(spec["name"]))
        if spec["kind"] == "name":
            filters, present = _parts_matrix(column, int(spec.get("max_parts", 5)))
        else:
            filters, present = binary_matrix(column).copy(), column.is_valid().to_numpy(zero_copy_only=False)
        data = FieldData(spec["name"], spec["kind"], filters, present, _slices(spec, filters.shape[-1]))
        fields.append(data)
        fields += _bound_fields(data, spec.get("bind") or ())
    clk = clk_present = None
    if "clk" in exports[0].table.column_names:
        column = _concat(exports, "clk")
        clk, clk_present = binary_matrix(column).copy(), column.is_valid().to_numpy(zero_copy_only=False)
    keys = {}
    for key in schema.get("blocking", []):
        rows, digests = _list_rows(_concat(exports, block_column(key["name"])))
        keys[key["name"]] = (rows, key_codes(digests))
    return RecordSet(tuple(e.agency for e in exports), source, refs, tuple(fields), clk, clk_present, keys,
                     schema, exports[0].schema_fingerprint, exports[0].key_check_value, _bound_agreement(exports))


def _bound_agreement(exports: Sequence[EncodedExport]) -> dict[str, float]:
    """Each bound role's agreement rate stated by the exports (``stats.bound_agreement``), their
    mean weighted by records; roles some export does not state are left out."""
    stated = [(e.record_count, (e.metadata.get("stats") or {}).get("bound_agreement") or {}) for e in exports]
    names = set.intersection(*(set(rates) for _, rates in stated)) if stated else set()
    out = {}
    for name in sorted(names):
        pairs = [(n, rates[name]) for n, rates in stated if rates[name] is not None]
        if pairs and sum(n for n, _ in pairs):
            out[name] = sum(n * float(r) for n, r in pairs) / sum(n for n, _ in pairs)
    return out


def _slices(spec: Mapping[str, object], width: int) -> tuple[tuple[str, int, int], ...]:
    """Byte ranges of the token kinds' slices of a split field (stored width ``width`` bytes)."""
    if spec.get("layout") != "split":
        return ()
    kinds = slice_kinds([kind for kind, _ in spec["tokens"]], spec.get("bind") or (),  # type: ignore[union-attr,arg-type]
                        spec.get("anchors") or ())  # type: ignore[arg-type]
    step = width // len(kinds)
    return tuple((kind, i * step, (i + 1) * step) for i, kind in enumerate(kinds))


def _bound_fields(date: FieldData, bind: Sequence[str]) -> list[FieldData]:
    """One comparison column per bound role of a split date (:mod:`linkage.bind`): kind
    ``"bound"``, the date's filters, and the slices of the anchors and of the role bound to them."""
    out = []
    for role in bind:
        slices = tuple(s for s in date.slices if s[0] in BIND_ANCHORS or s[0].endswith(f"+{role}"))
        out.append(FieldData(comparison_name(date.name, role), "bound", date.filters, date.present, slices))
    return out


def _concat(exports: Sequence[EncodedExport], column: str) -> pa.Array:
    chunks = [c for e in exports for c in e.table.column(column).chunks]
    if not chunks:
        return pa.array([], type=exports[0].table.schema.field(column).type)
    return pa.concat_arrays(chunks)


def _list_rows(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Row of each flattened value of a list column and the flattened values as a matrix."""
    rows = pc.list_parent_indices(column).to_numpy().astype(np.int64)
    values = column.flatten()
    width = column.type.value_type.byte_width
    return rows, binary_matrix(values) if len(values) else np.zeros((0, width), np.uint8)


def _parts_matrix(column: pa.Array, max_parts: int) -> tuple[np.ndarray, np.ndarray]:
    """A list<fixed_size_binary> column as padded (n, max_parts, bytes) filters and a presence mask."""
    n = len(column)
    width = column.type.value_type.byte_width
    rows, values = _list_rows(column)
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    max_parts = max(1, min(max_parts, int(slot.max()) + 1 if len(slot) else 1))
    keep = slot < max_parts
    filters = np.zeros((n, max_parts, width), np.uint8)
    present = np.zeros((n, max_parts), bool)
    filters[rows[keep], slot[keep]] = values[keep]
    present[rows[keep], slot[keep]] = True
    return filters, present
