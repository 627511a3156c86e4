"""The plaintext side of the attacks: what an encoding is a function of, per column and record.

Contract
--------
A :class:`PlainSide` holds, for ``n_records`` plaintext records, one :class:`PlainColumn` per
encoding column of the export format (named like the export's columns: ``f_<field>``, ``clk``,
``bk_<key>``): items with their record (``owners``) and a *key* per item, a string that is equal
for two values exactly when the encoder gives them equal encodings (the sorted tokens of the
value under the schema's token kinds, with the salt when the schema salts; the joined components
for blocking keys; the keys of all record-filter fields for ``clk``). ``years`` holds the birth
year per record (0 = missing) for every date field.

Two uses: the attacker's *public sample* (plaintext of people like the encoded population, e.g.
a leaked register; :func:`public_sample` reads a table whose columns are named by role:
``given_name``, ``family_name``, ``full_name``, ``father_name``, ``original_name``,
``birth_date`` (``YYYY-MM-DD`` or ``DD.MM.YYYY``; ``00`` for an unknown day or month), ``sex``,
``nationality``, ``place``), and the *truth* of an encoded export (benchmarks and tests only:
:func:`plain_side_of_frame` with the agency's own config). Both are normalised with the library's
own normalisers (:mod:`linkage.names`, :mod:`linkage.normalize`), as the encoder does.

A split field also has one column per slice (``f_<field>/<slice kind>``, as
:func:`linkage.audit._view.lu_view` cuts the filters), bound slices included
(:mod:`linkage.bind`: the anchor's token with the role's value); the field's own key is then
the union of its slices' tokens. ``attributes`` holds every bound role's normalised value per
record (``""`` = missing), the truth the bound-role attacks are scored against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._columns import Column, normalise_field
from ..bind import anchor_tokens, attribute_specs, bound_token, column_name
from ..config import DateSpec, ExportConfig, FieldSpec, InputSpec, ROLE_KINDS, Schema
from ..encoded import block_column, field_column
from ..errors import DataError
from ..normalize import DateValue
from ..tokens import blocking_values, date_array, part_pairs, value_tokens

__all__ = ["PlainColumn", "PlainSide", "plain_side", "plain_side_of_frame", "public_sample", "concat_sides",
           "key_tokens", "PUBLIC_DATE_FORMATS"]

PUBLIC_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
_TOKEN_SEP = "\x1e"
_KIND_SEP = "="


@dataclass(frozen=True, slots=True)
class PlainColumn:
    """Plaintext items of one encoding column: record of each item and its encoding-equivalence key."""

    name: str
    owners: np.ndarray
    keys: np.ndarray  # object array of str

    def counts(self) -> pd.Series:
        """Items per key, most frequent first."""
        return pd.Series(self.keys, dtype=object).value_counts(sort=True)


@dataclass(frozen=True, slots=True)
class PlainSide:
    n_records: int
    columns: Mapping[str, PlainColumn]
    years: Mapping[str, np.ndarray]  # export column of a date field -> birth year per record (0 = missing)
    attributes: Mapping[str, np.ndarray] = field(default_factory=dict)  # bound role -> value per record ("")


def key_tokens(key: str) -> list[tuple[str, str]]:
    """(token kind, token) pairs of a field value's key (inverse of how keys are built)."""
    if not key:
        return []
    return [tuple(t.split(_KIND_SEP, 1)) for t in key.split(_TOKEN_SEP)]  # type: ignore[misc]


def _value_key(kind: str, tokens: Sequence[tuple[str, int]], value: Any, salt: str) -> str:
    """Sorted ``kind=token`` strings; a salt prefixes every token (as the encoder salts them)."""
    prefix = f"{salt}\x1f" if salt else ""
    out = sorted(f"{tk}{_KIND_SEP}{prefix}{t}" for tk, _ in tokens for t in value_tokens(kind, tk, value))
    return _TOKEN_SEP.join(out)


def _salt_per_record(columns: Mapping[str, Column], schema: Schema, n: int) -> np.ndarray:
    salts = np.full(n, "", dtype=object)
    name = schema.hardening.salt_field
    if name and name in columns:
        col = columns[name]
        text = [f"{v.year:04d}" if isinstance(v, DateValue) else str(v) for v in col.values]
        salts[col.rows] = np.asarray(text + [""], dtype=object)[col.codes]
    return salts


def plain_side(columns: Mapping[str, Column], n_records: int, schema: Schema) -> PlainSide:
    """Keys of every field, record-filter and blocking column for normalised fields ``columns``."""
    salts = _salt_per_record(columns, schema, n_records)
    salted = bool(schema.hardening.salt_field)
    out: dict[str, PlainColumn] = {}
    field_keys: dict[str, np.ndarray] = {}
    years: dict[str, np.ndarray] = {}
    for spec in schema.fields:
        col = columns.get(spec.name)
        if col is None:
            continue
        salt_items = salts[col.rows] if salted and spec.name != schema.hardening.salt_field else None
        if salt_items is None:
            per_value = [_value_key(spec.kind, spec.tokens, v, "") for v in col.values]
            keys = np.asarray(per_value + [""], dtype=object)[col.codes] if len(col.codes) else np.zeros(0, object)
        else:
            cache: dict[tuple[int, str], str] = {}
            keys = np.asarray([cache.setdefault((c, s), _value_key(spec.kind, spec.tokens, col.values[c], s))
                               for c, s in zip(col.codes.tolist(), salt_items.tolist())], dtype=object)
        field_keys[spec.name] = keys
        if spec.layout == "split":
            slices = _slice_keys(spec, col, columns, salts if salt_items is not None else None)
            out.update({f"{field_column(spec.name)}/{kind}": PlainColumn(f"{field_column(spec.name)}/{kind}",
                                                                          col.rows.astype(np.int64), k)
                        for kind, k in slices.items()})
            keys = _joined(list(slices.values()), len(col.rows))
        out[field_column(spec.name)] = PlainColumn(field_column(spec.name), col.rows.astype(np.int64), keys)
        if spec.kind == "date":
            per_row = np.zeros(n_records, np.int64)
            per_row[col.rows] = np.asarray([v.year for v in col.values] + [0], np.int64)[col.codes]
            years[field_column(spec.name)] = per_row
    if schema.record_filter is not None:
        out["clk"] = _record_keys(columns, field_keys, n_records, [n for n, _ in schema.record_filter.bits_per_token])
    for key in schema.blocking:
        out[block_column(key.name)] = _blocking_keys(columns, schema, key.components, key.name, n_records)
    attributes = {}
    for key, attribute in attribute_specs(schema):
        role = attribute.sources[0]
        if key in columns and role not in attributes:
            col = columns[key]
            per_record = np.full(n_records, "", dtype=object)
            per_record[col.rows] = np.asarray([str(v) for v in col.values] + [""], dtype=object)[col.codes]
            attributes[role] = per_record
    return PlainSide(n_records, out, years, attributes)


def _slice_keys(spec: FieldSpec, col: Column, columns: Mapping[str, Column],
                salts: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per slice of a split field, the key of each of its items (``kind=token``, salted as the
    encoder salts the field; ``""`` for an empty slice)."""
    item_salts = salts[col.rows] if salts is not None else np.full(len(col.rows), "", dtype=object)
    prefix = np.asarray([f"{s}\x1f" if s else "" for s in item_salts.tolist()], dtype=object)
    anchors: dict[str, list[str]] = {}
    out: dict[str, np.ndarray] = {}
    for kind, _ in spec.tokens:  # date token kinds give at most one token (year_window two: joined)
        tokens = [_TOKEN_SEP.join(sorted(value_tokens(spec.kind, kind, v))) for v in col.values]
        anchors[kind] = [tokens[c] for c in col.codes.tolist()]
    if spec.bind_name_field is not None and spec.bind and spec.bind_name_field in columns:
        dates = date_array(col.values)[col.codes] if len(col.codes) else np.zeros((0, 4), np.int64)
        # the keyed anchors with a public stand-in order: the attacker lacks the key
        anchors.update(anchor_tokens(dates, col.rows, columns[spec.bind_name_field], spec.anchors))
    for kind in spec.slice_kinds:
        anchor, plus, role = kind.partition("+")
        if not plus:
            tokens = anchors.get(kind, [""] * len(col.rows))
        else:
            values = np.full(col.n_rows, "", dtype=object)
            attr = columns.get(column_name(spec.name, role))
            if attr is not None:
                values[attr.rows] = np.asarray([str(v) for v in attr.values] + [""], dtype=object)[attr.codes]
            tokens = [bound_token(t, v) if t and v else "" for t, v in
                      zip(anchors.get(anchor, [""] * len(col.rows)), values[col.rows].tolist())]
        out[kind] = np.asarray([_TOKEN_SEP.join(f"{kind}{_KIND_SEP}{p}{one}" for one in t.split(_TOKEN_SEP))
                                if t else "" for p, t in zip(prefix.tolist(), tokens)], dtype=object)
    return out


def _joined(slice_keys: list[np.ndarray], n: int) -> np.ndarray:
    """The whole filter's key of each item: its slices' tokens, sorted."""
    return np.asarray([_TOKEN_SEP.join(sorted(t for k in ks if k for t in k.split(_TOKEN_SEP)))
                       for ks in zip(*slice_keys)] if slice_keys else [""] * n, dtype=object)


def _record_keys(columns: Mapping[str, Column], field_keys: Mapping[str, np.ndarray], n: int,
                 names: Sequence[str]) -> PlainColumn:
    parts: list[list[str]] = [[] for _ in range(n)]
    for name in sorted(names):
        per_row: list[list[str]] = [[] for _ in range(n)]
        if name in columns:
            for row, key in zip(columns[name].rows.tolist(), field_keys[name].tolist()):
                per_row[row].append(key)
        for row in range(n):
            parts[row].append("\x1d".join(sorted(per_row[row])))
    keys = np.asarray(["\x1c".join(p) for p in parts], dtype=object)
    return PlainColumn("clk", np.arange(n, dtype=np.int64), keys)


def _blocking_keys(columns: Mapping[str, Column], schema: Schema, components: Sequence[str], name: str,
                   n: int) -> PlainColumn:
    per_row: list[list[list[str]]] = [[] for _ in range(n)]
    for comp in components:
        field_name, _, derivation = comp.partition(".")
        col = columns.get(field_name)
        values: list[list[str]] = [[] for _ in range(n)]
        if col is not None:
            kind = schema.field(field_name).kind
            record_level = derivation == "skeleton_pair"  # pairs of the record's part skeletons
            derived = [blocking_values(kind, "skeleton" if record_level else derivation, v) for v in col.values]
            for row, code in zip(col.rows.tolist(), col.codes.tolist()):
                values[row].extend(derived[code])
            if record_level:
                values = [part_pairs(v) for v in values]
        for row in range(n):
            per_row[row].append(values[row])
    owners, keys = [], []
    for row, comps in enumerate(per_row):
        combos = [""]
        for values in comps:
            combos = [f"{c}\x1f{v}" if c else v for c in combos for v in dict.fromkeys(values)]
        for combo in dict.fromkeys(combos):
            if combo:
                owners.append(row)
                keys.append(combo)
    return PlainColumn(block_column(name), np.asarray(owners, np.int64), np.asarray(keys, dtype=object))


def plain_side_of_frame(frame: pd.DataFrame, config: ExportConfig, keep: np.ndarray | None = None) -> PlainSide:
    """Plaintext keys of an agency's table read with its own export config (rows in ``keep`` only)."""
    columns = {spec.name: normalise_field(frame, config, spec).column for spec in config.schema.fields}
    columns.update({key: normalise_field(frame, config, spec).column for key, spec in attribute_specs(config.schema)})
    n = len(frame)
    if keep is not None:
        columns = {name: col.take(keep) for name, col in columns.items()}
        n = int(keep.sum())
    return plain_side(columns, n, config.schema)


def public_sample(frame: pd.DataFrame, schema: Schema, *,
                  date_formats: Sequence[str] = PUBLIC_DATE_FORMATS) -> PlainSide:
    """The attacker's plaintext sample (columns named by role, see the module docstring).

    Values the normalisers reject (an unreadable date, an unknown country) count as missing;
    DataError when the table has none of the role columns.
    """
    roles = tuple((str(role), (str(role),)) for role in ROLE_KINDS if str(role) in frame.columns)
    if not roles:
        raise DataError(f"the public sample has none of the columns {', '.join(map(str, ROLE_KINDS))}")
    config = ExportConfig(version=1, agency="public-sample", schema=schema, input=InputSpec(), columns=roles,
                          birth_date=DateSpec(formats=tuple(date_formats), invalid="missing"))
    strings = frame[[r for r, _ in roles]].astype(object)
    return plain_side_of_frame(strings.where(strings.notna(), None), config)


def concat_sides(sides: Sequence[PlainSide]) -> PlainSide:
    """Records of several sides one after the other (columns present in any side)."""
    offsets = np.concatenate([[0], np.cumsum([s.n_records for s in sides])]).astype(np.int64)
    names = list(dict.fromkeys(n for s in sides for n in s.columns))
    columns = {}
    for name in names:
        parts = [(s.columns[name], off) for s, off in zip(sides, offsets[:-1]) if name in s.columns]
        columns[name] = PlainColumn(name, np.concatenate([c.owners + off for c, off in parts]),
                                    np.concatenate([c.keys for c, _ in parts]))
    years = {}
    for name in dict.fromkeys(n for s in sides for n in s.years):
        years[name] = np.concatenate([s.years.get(name, np.zeros(s.n_records, np.int64)) for s in sides])
    attributes = {}
    for name in dict.fromkeys(n for s in sides for n in s.attributes):
        attributes[name] = np.concatenate([s.attributes.get(name, np.full(s.n_records, "", dtype=object))
                                           for s in sides])
    return PlainSide(int(offsets[-1]), columns, years, attributes)
