"""Test helpers (not a test module): fixed linkage unit keys, the trust that goes with them, and
signed export metadata for hand-made envelope tables, as the agencies would sign it at encode."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from linkage.authenticity import Trust, envelope_digests
from linkage.encoded import ENVELOPE_TYPE, FORMAT, FORMAT_VERSION, schema_fingerprint_of, seal_metadata
from linkage.keys import LinkageUnitKey, ProjectSecret

SECRET = ProjectSecret(bytes(range(32)))  # tests/conftest.py's FIXED_SECRET_BYTES
UNIT = LinkageUnitKey(bytes(range(64, 96)))
OTHER_UNIT = LinkageUnitKey(bytes(range(96, 128)))
TRUST = Trust(linkage_unit_key=UNIT.public_key, key_check_value=SECRET.key_check_value)
EXPORT_CREATED = "2024-05-30T08:00:00Z"


def signed_exports(entities: pd.DataFrame, envelopes: pa.Table, *, secret: ProjectSecret = SECRET,
                   created: str = EXPORT_CREATED) -> list[dict[str, Any]]:
    """One signed export metadata per agency of ``entities`` or ``envelopes`` (sorted): its records
    are the entities' records of the agency (plus any record only an envelope names), its
    envelopes those of ``envelopes`` (agency, record_ref, envelope)."""
    agencies = envelopes.column("agency").to_pylist()
    refs = envelopes.column("record_ref").to_pylist()
    items = envelopes.column("envelope").to_pylist()
    out = []
    for agency in sorted(set(entities["agency"]) | set(agencies)):
        lists: dict[str, list[dict[str, Any]]] = {r: [] for r in entities.loc[entities["agency"] == agency,
                                                                              "record_ref"]}
        for a, ref, item in zip(agencies, refs, items):
            if a == agency:
                lists.setdefault(ref, []).append(item)
        table = pa.table({"record_ref": pa.array(list(lists), pa.string()),
                          "envelopes": pa.array(list(lists.values()), pa.list_(ENVELOPE_TYPE))})
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "agency": agency, "created": created,
                "record_count": table.num_rows, "schema": {}, "schema_fingerprint": schema_fingerprint_of({}),
                "envelope_digests": envelope_digests(agency, table)}
        out.append(seal_metadata(table, meta, secret=secret))
    return out
