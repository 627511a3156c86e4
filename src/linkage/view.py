"""Consent-scoped view: what one recipient may see of each person, opened from a delivery package.

Contract
--------
:func:`build_view` runs at the recipient, the only party holding its private key. It takes a
:class:`~linkage.deliver.Package`, the recipient's :class:`~linkage.seal.RecipientKeyPair` and
what the recipient trusts (:class:`~linkage.authenticity.Trust`: the linkage unit's public key
and the project's key check value) and returns a :class:`View`:

* **Whence.** The package is verified first (:func:`~linkage.deliver.verify_delivery`): signed by
  the trusted linkage unit key, carrying exports signed under the trusted key check value, and
  holding exactly the envelopes the agencies signed for the recipient; IntegrityError otherwise.
  ``trust=None`` skips this (for a package verified already; the CLI always verifies) and
  checks only that the package is undamaged.
* **Who.** The key must be the package recipient's (IntegrityError otherwise). Of the package's
  envelopes only those of the chosen ``purpose`` are considered (``purpose=None``: the package's
  only purpose; ConfigError listing them when it holds several); the others are skipped and
  counted. Of those, an envelope not valid on the day ``at`` (:func:`~linkage.seal.is_valid_at`:
  expired or not yet valid) is skipped and counted without being opened. Every remaining envelope
  is opened; if any one fails (wrong private key, an envelope altered, re-addressed or moved to
  another record, agency, purpose or validity window) the whole view is refused with an
  IntegrityError naming the record reference and what to do. Nothing is shown from an envelope
  that was not opened, so a withdrawn grant (no envelope in the next package) or an expired one
  removes the data from the next view.
* **persons**: one row per entity with at least one opened envelope, sorted by ``entity_id``:
  ``entity_id``; ``own_record_ids`` (the recipient's own records of the entity, ';'-joined and
  sorted: local ids through ``reference_map``, else record references; empty when none);
  ``records`` (how many records' payloads were opened for the entity); then for every payload
  field name (union over the opened payloads, sorted) four columns: ``<field>`` the value
  captured most recently (ties: agency name, then record reference, ascending),
  ``<field>.source`` its agency, ``<field>.captured`` its capture date (ISO), and
  ``<field>.conflicts`` every *other* distinct value as ``value (agency, captured)``, newest
  first, joined by ``"; "`` (empty string when none). Values that differ only in letter case or
  spacing count as one (the newest spelling is shown). A missing value (None, empty or blank
  text) never wins and is no conflict; a field with no value for the entity is None in the first
  three.
* **duplicates**: the recipient's own within-agency duplicate worklist, one row per entity
  holding two or more own records (purpose and validity play no part: these are its own
  records): ``entity_id``, ``own_record_ids``, ``count``.
* **audit**: JSON-ready facts of what was materialised for whom and when: recipient, key id,
  purpose, day, package digest and creation time, whether the package was authenticated and
  its :class:`~linkage.authenticity.Provenance` (signed times, key id, key check value), counts (persons, envelopes opened and skipped,
  values shown per agency and field, own records, duplicate entities) and the record references
  opened per agency (keyed pseudonyms). It never holds a payload value or a local record id.

Error messages name record references, agencies, recipients, purposes and field names, never a
payload value or a local id.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .authenticity import Provenance, Trust
from .deliver import Package, verify_delivery, verify_package
from .errors import ConfigError, DataError, IntegrityError
from .seal import Envelope, EnvelopeOpener, RecipientKeyPair, is_valid_at, iso_day

__all__ = ["VIEW_AUDIT_FORMAT", "VIEW_AUDIT_VERSION", "FIELD_SUFFIXES", "View", "build_view"]

VIEW_AUDIT_FORMAT = "linkage-view-audit"
VIEW_AUDIT_VERSION = 1
#: The three columns that follow each field's value column, in this order.
FIELD_SUFFIXES = (".source", ".captured", ".conflicts")
_FIXED = ("entity_id", "own_record_ids", "records")
_REFRESH = "ask the linkage unit for a fresh package (and the agency to seal the record again if that fails)"


@dataclass(frozen=True, slots=True)
class View:
    """A recipient's view: ``persons`` and ``duplicates`` tables and the ``audit`` facts (no values);
    ``provenance`` when the package was authenticated."""

    persons: pd.DataFrame
    duplicates: pd.DataFrame
    audit: dict[str, Any]
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class _Opened:
    """The long table of opened values plus the counts of the opening pass."""

    values: pd.DataFrame  # entity_id, agency, record_ref, captured, field, value (one row per field)
    records: pd.DataFrame  # entity_id, agency, record_ref (one row per opened envelope)
    field_names: list[str]
    counts: dict[str, int]


def build_view(package: Package, key: RecipientKeyPair, *, at: _dt.date | str, trust: Trust | None,
               purpose: str | None = None, reference_map: pd.DataFrame | None = None) -> View:
    """The view of ``package`` for the holder of ``key`` on day ``at`` (see the module docstring).

    ``trust``: the linkage unit's public key and the project's key check value the package must
    verify against (None: not authenticated here). ``reference_map``: the recipient agency's own
    map (columns ``local_id``, ``record_ref``) written when it encoded its export; DataError when
    it lacks one of the own records.
    """
    if trust is not None and not isinstance(trust, Trust):
        raise ConfigError("'trust' must be a linkage.authenticity.Trust (or None)")
    provenance = verify_delivery(package, trust) if trust is not None else None
    if provenance is None:
        verify_package(package)
    if not isinstance(key, RecipientKeyPair):
        raise ConfigError("'key' must be a RecipientKeyPair (read it with linkage.io.read_recipient_key)")
    if key.name != package.recipient:
        raise IntegrityError(f"this package is for recipient '{package.recipient}'; the private key given belongs "
                             f"to '{key.name}' (key id {key.key_id}); use '{package.recipient}'s private key, or ask "
                             f"the linkage unit for a package made for '{key.name}'")
    day = iso_day(at, "at")
    frame = _package_frame(package)
    purpose, available = _choose_purpose(frame, purpose)
    opened = _open_all(package, frame, key, purpose=purpose, day=day)
    own = _own_records(frame, reference_map)
    own_ids = own.groupby("entity_id", sort=True)["local_id"].agg(";".join)
    persons, shown = _merge(opened, own_ids)
    own_counts = own.groupby("entity_id", sort=True).size()
    dup_ids = own_counts.index[own_counts >= 2]
    duplicates = pd.DataFrame({"entity_id": pd.Series(dup_ids.to_numpy(object), dtype=object),
                               "own_record_ids": own_ids.reindex(dup_ids).to_numpy(object),
                               "count": own_counts.reindex(dup_ids).to_numpy(np.int64)})
    audit = _audit(package, key, purpose=purpose, available=available, day=day, opened=opened, shown=shown,
                   persons=len(persons), own_records=len(own), duplicate_entities=len(duplicates))
    audit["package"]["authenticated"] = provenance is not None
    if provenance is not None:
        audit["package"]["provenance"] = provenance.to_dict()
    return View(persons=persons, duplicates=duplicates, audit=audit, provenance=provenance)


# -------------------------------------------------------------------------------------- opening


def _package_frame(package: Package) -> pd.DataFrame:
    table = package.table
    column = table.column("envelope")
    has = pc.is_valid(column).to_numpy(zero_copy_only=False).astype(bool)
    purposes = pc.struct_field(column, "purpose").to_numpy(zero_copy_only=False).astype(object)
    return pd.DataFrame({
        "entity_id": table.column("entity_id").to_numpy(zero_copy_only=False).astype(object),
        "agency": table.column("agency").to_numpy(zero_copy_only=False).astype(object),
        "record_ref": table.column("record_ref").to_numpy(zero_copy_only=False).astype(object),
        "own": table.column("own").to_numpy(zero_copy_only=False).astype(bool),
        "has_envelope": has,
        "purpose": np.where(has, purposes, None),
    })


def _choose_purpose(frame: pd.DataFrame, purpose: str | None) -> tuple[str | None, list[str]]:
    available = sorted({str(p) for p in frame.loc[frame["has_envelope"], "purpose"].tolist()})
    if purpose is not None:
        if not isinstance(purpose, str) or not purpose:
            raise ConfigError("'purpose' must be a non-empty string")
        return purpose, available
    if len(available) > 1:
        raise ConfigError(f"the package holds envelopes for {len(available)} purposes ({', '.join(available)}); "
                          "choose one with --purpose")
    return (available[0] if available else None), available


def _open_all(package: Package, frame: pd.DataFrame, key: RecipientKeyPair, *, purpose: str | None,
              day: str) -> _Opened:
    chosen = frame["has_envelope"].to_numpy() & (frame["purpose"] == purpose).to_numpy()
    rows = np.flatnonzero(chosen)
    data = package.table.column("envelope").take(rows).to_pylist() if len(rows) else []
    entity = frame["entity_id"].to_numpy(object)
    agency = frame["agency"].to_numpy(object)
    ref = frame["record_ref"].to_numpy(object)
    values: dict[str, list[str | None]] = {n: [] for n in ("entity_id", "agency", "record_ref", "captured",
                                                          "field", "value")}
    records: list[int] = []
    field_names: set[str] = set()
    expired = not_yet = 0
    opener = EnvelopeOpener(key)
    for row, item in zip(rows.tolist(), data):
        try:
            envelope = Envelope.from_arrow_dict(item)
        except IntegrityError as exc:
            raise IntegrityError(f"the envelope of record {ref[row]} from agency '{agency[row]}' is damaged ({exc}); "
                                 f"the view was not made; {_REFRESH}") from None
        if not is_valid_at(envelope, day):
            if envelope.valid_until is not None and day > envelope.valid_until:
                expired += 1
            else:
                not_yet += 1
            continue
        try:
            payload = opener.open(envelope, record_ref=ref[row], agency=agency[row])
        except IntegrityError as exc:
            raise IntegrityError(_open_failure(str(exc), key, first=not records)) from None
        records.append(row)
        for name, value in payload.fields.items():
            field_names.add(name)
            values["entity_id"].append(entity[row])
            values["agency"].append(agency[row])
            values["record_ref"].append(ref[row])
            values["captured"].append(payload.captured)
            values["field"].append(name)
            values["value"].append(value)
    _check_field_names(field_names)
    opened_records = frame.iloc[records][["entity_id", "agency", "record_ref"]].reset_index(drop=True)
    counts = {"envelopes_in_package": int(frame["has_envelope"].sum()), "envelopes_opened": len(records),
              "skipped_other_purpose": int(frame["has_envelope"].sum() - chosen.sum()),
              "skipped_expired": expired, "skipped_not_yet_valid": not_yet}
    return _Opened(pd.DataFrame(values, dtype=object), opened_records, sorted(field_names), counts)


def _open_failure(reason: str, key: RecipientKeyPair, *, first: bool) -> str:
    if first:
        return (f"{reason}. No envelope of this package could be opened with the private key given (key id "
                f"{key.key_id}): most likely it is not the key the agencies sealed for recipient '{key.name}' "
                "(wrong key file, or a key made again since); check --private-key against the key id in the "
                f"agencies' keyring. If the key is right, the package was altered: {_REFRESH}. "
                "The view was not made")
    return (f"{reason}. Other envelopes opened with this key, so this one was altered, re-addressed or moved to "
            f"another record in transit; the view was not made; {_REFRESH}")


def _check_field_names(names: set[str]) -> None:
    """A payload field whose view columns would clash with another column cannot be shown."""
    derived = {n + s for n in names for s in FIELD_SUFFIXES}
    clashes = sorted(n for n in names if n in _FIXED or n in derived)
    if clashes:
        raise DataError(f"payload field name(s) {', '.join(repr(c) for c in clashes)} clash with view columns "
                        f"({', '.join(_FIXED)} or another field's {'/'.join(FIELD_SUFFIXES)}); "
                        "the agency must rename them in its export config")


# ------------------------------------------------------------------------------------ own records


def _own_records(frame: pd.DataFrame, reference_map: pd.DataFrame | None) -> pd.DataFrame:
    own = frame.loc[frame["own"], ["entity_id", "record_ref"]].drop_duplicates().reset_index(drop=True)
    if reference_map is None:
        own["local_id"] = own["record_ref"]
    else:
        missing = {"local_id", "record_ref"} - set(reference_map.columns)
        if missing:
            raise DataError(f"the reference map lacks column(s) {', '.join(sorted(missing))} "
                            "(expected local_id, record_ref)")
        table = reference_map[["record_ref", "local_id"]].astype(str).drop_duplicates()
        if table["record_ref"].duplicated().any():
            raise DataError("the reference map gives two local ids for the same record reference; "
                            "pass the map written with the export that went into this link run")
        own = own.merge(table, on="record_ref", how="left")
        unknown = int(own["local_id"].isna().sum())
        if unknown:
            raise DataError(f"{unknown} of {len(own)} own record reference(s) are not in the reference map; pass "
                            "the map written with the export that went into this link run")
    return own.sort_values(["entity_id", "local_id"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------ merge


def _merge(opened: _Opened, own_ids: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``persons`` and the values shown (entity_id, field, value, agency; winners and conflicts)."""
    entities = pd.Index(sorted(set(opened.records["entity_id"].tolist())), dtype=object, name="entity_id")
    counts = opened.records.drop_duplicates().groupby("entity_id").size().reindex(entities)
    out: dict[str, Any] = {
        "entity_id": entities.to_numpy(object),
        "own_record_ids": own_ids.reindex(entities).fillna("").to_numpy(object),
        "records": counts.to_numpy(np.int64) if len(entities) else np.zeros(0, np.int64),
    }
    long = opened.values
    text = long["value"].astype(object)
    present = long[text.notna() & (text.fillna("").str.strip() != "")].copy()
    present["key"] = _compare_key(present["value"])
    present = present.sort_values(["entity_id", "field", "captured", "agency", "record_ref"],
                                  ascending=[True, True, False, True, True], kind="stable")
    winners = present.drop_duplicates(["entity_id", "field"], keep="first")
    distinct = present.drop_duplicates(["entity_id", "field", "key"], keep="first")
    others = distinct.merge(winners[["entity_id", "field", "key"]].rename(columns={"key": "winner"}),
                            on=["entity_id", "field"], how="left", sort=False)
    others = others[others["key"] != others["winner"]]
    labelled = others["value"] + " (" + others["agency"] + ", " + others["captured"] + ")"
    conflicts = labelled.groupby([others["entity_id"], others["field"]], sort=False).agg("; ".join)
    win = winners.set_index(["entity_id", "field"])
    for name in opened.field_names:
        chosen = win.xs(name, level="field") if name in win.index.get_level_values("field") else win.iloc[:0]
        chosen = chosen.reindex(entities)
        out[name] = _text(chosen["value"])
        out[name + ".source"] = _text(chosen["agency"])
        out[name + ".captured"] = _text(chosen["captured"])
        field_conflicts = (conflicts.xs(name, level="field") if len(conflicts)
                           and name in conflicts.index.get_level_values("field") else pd.Series(dtype=object))
        out[name + ".conflicts"] = field_conflicts.reindex(entities).fillna("").to_numpy(object)
    shown = pd.concat([winners, others], ignore_index=True)[["entity_id", "field", "value", "agency"]]
    return pd.DataFrame(out), shown


def _compare_key(values: pd.Series) -> pd.Series:
    """Values equal but for letter case and spacing are one value (``OSMAN`` is no conflict of ``Osman``)."""
    return values.astype(str).str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()


def _text(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(object)
    return np.where(pd.isna(values), None, values)


# ------------------------------------------------------------------------------------------ audit


def _audit(package: Package, key: RecipientKeyPair, *, purpose: str | None, available: list[str], day: str,
           opened: _Opened, shown: pd.DataFrame, persons: int, own_records: int,
           duplicate_entities: int) -> dict[str, Any]:
    per_field = shown.groupby(["agency", "field"]).size()
    values_by_agency: dict[str, dict[str, int]] = {}
    for (agency, name), count in per_field.items():
        values_by_agency.setdefault(str(agency), {})[str(name)] = int(count)
    refs = opened.records.drop_duplicates(["agency", "record_ref"]).sort_values(["agency", "record_ref"])
    refs_by_agency = {str(a): group["record_ref"].astype(str).tolist() for a, group in refs.groupby("agency")}
    meta: Mapping[str, Any] = package.metadata
    return {
        "format": VIEW_AUDIT_FORMAT,
        "format_version": VIEW_AUDIT_VERSION,
        "recipient": key.name,
        "key_id": key.key_id,
        "purpose": purpose,
        "purposes_in_package": available,
        "at": day,
        "package": {"content_digest": meta.get("content_digest"), "created": meta.get("created"),
                    "own_agency": meta.get("own_agency")},
        "counts": {**opened.counts, "persons": persons, "values_shown": int(len(shown)),
                   "own_records": own_records, "duplicate_entities": duplicate_entities},
        "values_shown_by_agency": values_by_agency,
        "record_refs": refs_by_agency,
    }
