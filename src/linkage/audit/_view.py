"""The linkage unit's view of encoded exports: every encoding column, as equal-encoding classes.

Contract
--------
``lu_view(exports)`` reads nothing but what the linkage unit receives (the Arrow tables and their
public metadata) and returns an :class:`EncodedView`: one :class:`EncodedColumn` per column that
holds encodings, found by *type*, not by name, so the attacks keep working when the format
renames or adds columns:

* ``fixed_size_binary`` columns are value filters (``kind="filter"``), e.g. ``f_birth_date``,
  ``clk``;
* ``list<fixed_size_binary>`` columns are filters per part (``"filter_list"``), e.g. ``f_name``;
* columns named ``bk_*`` (or lists of 16-byte values) are keyed digests (``"digest_list"``): no
  bit structure, but equal values still give equal digests.

A split field (its layout stated in the public schema) is also cut into its slices, each a
``"filter"`` column of its own named ``<column>/<slice kind>`` (e.g. ``f_birth_date/year``,
``f_birth_date/ymd+sex``): the attacker knows the layout, so every slice is attacked by itself.
Slices cut from a stored filter whose width is not a multiple of the slice count are not added.

Each column is a list of *items* (one per present value; several per record for lists) with the
record each belongs to (``owners``) and its *class*: items with byte-identical encodings share a
class id. Records of several exports are numbered one after the other (``export_of``). Nothing
here decrypts, verifies or prints; the schema in the metadata is parsed when it is readable
(``schema`` is None otherwise: the attacks then work from the columns alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from ..config import BlockingKeySpec, FieldSpec, HardeningSpec, RecordFilterSpec, Schema
from ..encoded import EncodedExport, binary_matrix

__all__ = ["ColumnKind", "EncodedColumn", "EncodedView", "lu_view", "schema_from_metadata", "distinct_rows",
           "slice_columns"]

ColumnKind = Literal["filter", "filter_list", "digest_list"]
_DIGEST_BYTES = 16


@dataclass(frozen=True, slots=True)
class EncodedColumn:
    """One encoding column over all records: items, their records and equal-encoding classes."""

    name: str
    kind: ColumnKind
    n_records: int
    owners: np.ndarray  # record of each item (ascending)
    classes: np.ndarray  # class id of each item; distinct[classes[i]] is item i's encoding
    distinct: np.ndarray  # (n_classes, n_bytes) uint8: the distinct encodings

    @property
    def counts(self) -> np.ndarray:
        """Items per class."""
        return np.bincount(self.classes, minlength=len(self.distinct))

    @property
    def n_items(self) -> int:
        return len(self.classes)

    @property
    def num_bits(self) -> int:
        return self.distinct.shape[1] * 8

    @property
    def has_bits(self) -> bool:
        """Whether bit positions mean something (filters), unlike keyed digests."""
        return self.kind != "digest_list"

    def present(self) -> np.ndarray:
        """Per record: whether it has at least one item."""
        out = np.zeros(self.n_records, bool)
        out[self.owners] = True
        return out


@dataclass(frozen=True, slots=True)
class EncodedView:
    """Everything the linkage unit can see, per column; ``export_of`` maps records to exports."""

    n_records: int
    columns: Mapping[str, EncodedColumn]
    export_of: np.ndarray
    agencies: tuple[str, ...]
    schema: Schema | None
    tables: tuple[pa.Table, ...]

    def filter_columns(self) -> list[EncodedColumn]:
        return [c for c in self.columns.values() if c.has_bits]


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a uint8 matrix and, per row, the index of its distinct row."""
    if len(matrix) == 0:
        return np.zeros((0, matrix.shape[1]), np.uint8), np.zeros(0, np.int64)
    rows = np.ascontiguousarray(matrix)
    void = rows.view(np.dtype((np.void, rows.shape[1]))).ravel()
    _, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    return rows[first], inverse.ravel().astype(np.int64)


def _column_kind(name: str, typ: pa.DataType) -> ColumnKind | None:
    if pa.types.is_fixed_size_binary(typ):
        return "digest_list" if name.startswith("bk_") else "filter"
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        inner = typ.value_type
        if pa.types.is_fixed_size_binary(inner):
            digest = name.startswith("bk_") or inner.byte_width == _DIGEST_BYTES
            return "digest_list" if digest else "filter_list"
    return None


def _items(column: pa.ChunkedArray, kind: ColumnKind) -> tuple[np.ndarray, np.ndarray]:
    """(owner row, packed encoding) per item of one export's column; nulls have no item."""
    array = column.combine_chunks()
    if kind == "filter":
        rows = np.flatnonzero(array.is_valid().to_numpy(zero_copy_only=False))
        return rows.astype(np.int64), binary_matrix(array)[rows]
    lengths = np.asarray(array.value_lengths().fill_null(0), np.int64)
    owners = np.repeat(np.arange(len(array), dtype=np.int64), lengths)
    values = array.flatten()
    return owners, binary_matrix(values)


def lu_view(exports: Sequence[EncodedExport]) -> EncodedView:
    """The encoding columns of ``exports`` (records of all exports numbered in order)."""
    tables = tuple(e.table for e in exports)
    sizes = [t.num_rows for t in tables]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    kinds: dict[str, ColumnKind] = {}
    for table in tables:
        for field in table.schema:
            kind = _column_kind(field.name, field.type)
            if kind is not None:
                kinds.setdefault(field.name, kind)
    columns: dict[str, EncodedColumn] = {}
    for name, kind in kinds.items():
        owners, matrices = [], []
        for table, offset in zip(tables, offsets[:-1]):
            if name not in table.column_names or _column_kind(name, table.schema.field(name).type) != kind:
                continue
            rows, matrix = _items(table.column(name), kind)
            if matrices and matrix.shape[1] != matrices[0].shape[1]:
                continue  # another width: not comparable with the first export's encodings
            owners.append(rows + offset)
            matrices.append(matrix)
        if not matrices:
            continue
        distinct, classes = distinct_rows(np.concatenate(matrices))
        columns[name] = EncodedColumn(name, kind, int(offsets[-1]), np.concatenate(owners), classes, distinct)
    export_of = np.repeat(np.arange(len(tables)), sizes)
    agencies = tuple(str(e.metadata.get("agency", f"export{i}")) for i, e in enumerate(exports))
    schema = schema_from_metadata(exports[0].metadata) if exports else None
    for spec in schema.fields if schema is not None else ():
        col = columns.get(f"f_{spec.name}")
        if spec.layout == "split" and col is not None and col.kind == "filter":
            columns.update({c.name: c for c in slice_columns(col, spec.slice_kinds)})
    return EncodedView(int(offsets[-1]), columns, export_of, agencies, schema, tables)


def slice_columns(col: EncodedColumn, kinds: Sequence[str]) -> list[EncodedColumn]:
    """The slices of a split filter column, one column each (``<name>/<kind>``; empty slices are
    no items). None when the stored width does not divide into ``len(kinds)`` slices."""
    width = col.distinct.shape[1]
    if not kinds or width % len(kinds):
        return []
    step = width // len(kinds)
    out = []
    for i, kind in enumerate(kinds):
        piece = col.distinct[:, i * step : (i + 1) * step]
        nonempty = piece.any(axis=1)
        distinct, inverse = distinct_rows(piece[nonempty])
        class_of = np.full(len(piece), -1, np.int64)
        class_of[nonempty] = inverse
        per_item = class_of[col.classes]
        keep = per_item >= 0
        out.append(EncodedColumn(f"{col.name}/{kind}", "filter", col.n_records, col.owners[keep], per_item[keep],
                                 distinct))
    return out


def schema_from_metadata(metadata: Mapping[str, Any]) -> Schema | None:
    """The encoding schema stated in an export's metadata, or None when it cannot be read."""
    data = metadata.get("schema")
    if not isinstance(data, Mapping):
        return None
    try:
        fields = tuple(FieldSpec(name=f["name"], kind=f["kind"], sources=tuple(f["sources"]),
                                 num_bits=int(f["num_bits"]), tokens=tuple((str(k), int(b)) for k, b in f["tokens"]),
                                 max_parts=int(f.get("max_parts", 1)), required=bool(f.get("required", False)),
                                 layout=f.get("layout", "joint"), bind=tuple(f.get("bind") or ()),
                                 bind_name_field=f.get("bind_name_field"), anchors=tuple(f.get("anchors") or ()))
                       for f in data["fields"])
        rf = data.get("record_filter")
        record_filter = None if rf is None else RecordFilterSpec(
            num_bits=int(rf["num_bits"]), bits_per_token=tuple((str(k), int(b)) for k, b in rf["bits_per_token"]))
        blocking = tuple(BlockingKeySpec(name=b["name"], components=tuple(b["components"]))
                         for b in data.get("blocking", ()))
        hardening = HardeningSpec(**dict(data.get("hardening") or {}))
        return Schema(version=int(data.get("version", 1)), name=str(data.get("name", "")), fields=fields,
                      hardening=hardening, record_filter=record_filter, blocking=blocking)
    except (KeyError, TypeError, ValueError):
        return None
