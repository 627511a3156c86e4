"""Make the golden vectors of the encoded export format: ``tests/golden/encode_v2.json``.

Only rerun when the format version changes on purpose. The vectors pin every byte an agency
sends to the linkage unit: exports made by different machines, Python versions or library
versions with the same input, secret and schema must be byte-identical, or agencies on different
versions can no longer be linked. ``tests/test_encode.py`` recomputes them with
:func:`golden_vectors` and compares. If that test fails, the change is a format change: fix the
code, or bump ``FORMAT_VERSION`` and write ``encode_v3.json`` with this script (never rewrite
the vectors of a released version).

Inputs (all in this folder, never edited): ``input.csv``, ``export.toml`` with ``schema.toml``
(a frozen copy of the example schema) and ``export_hardened.toml`` with ``schema_hardened.toml``
(every hardening option on), ``input_names.csv`` with ``export_names.toml`` and
``schema_names.toml`` (cross-script names, particles, compounds and titles through every name
and date token kind and name blocking derivation), ``export_bound.toml`` with
``schema_bound.toml`` (a frozen copy of the shipped schema with sex and nationality bound to
anchors, :mod:`linkage.bind`), the project secret ``bytes(range(32))`` and a fixed creation time.

History: the v1 vectors were re-pinned before any release when issue #3 settled the name, date
and nationality rules (they are part of the format: the same input must give the same bytes),
and once more in the same unreleased series for Somali ``c`` = ʿayn spellings (``Cali`` ->
``ali``: one father's name of the names case), and for the ``folded_final`` name token kind
(added to ``schema_names.toml``, which covers every name token kind; only the names case
changed). Issue #8 re-pinned v2 (unreleased) for record references fresh per export, rows in
keyed order, no ``scopes`` column and the diffusion default, and added the "bound" case (bound
roles). From now on a failing golden test means a format change.

Usage::

    python tests/golden/make_golden.py            # print the vectors
    python tests/golden/make_golden.py --write    # (re)write encode_v2.json
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from linkage import io
from linkage.encode import encode
from linkage.encoded import FORMAT_VERSION
from linkage.keys import ProjectSecret

HERE = Path(__file__).resolve().parent
GOLDEN_FILE = HERE / f"encode_v{FORMAT_VERSION}.json"
SECRET = ProjectSecret(bytes(range(32)))
CREATED = datetime(2024, 1, 1, tzinfo=timezone.utc)
CASES = {"plain": ("export.toml", "input.csv"), "hardened": ("export_hardened.toml", "input.csv"),
         "names": ("export_names.toml", "input_names.csv"), "bound": ("export_bound.toml", "input.csv")}


def _hex(value: Any) -> Any:
    """JSON form of a column value: bytes as hex, lists and structs recursively."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_hex(v) for v in value]
    if isinstance(value, dict):
        return {k: _hex(v) for k, v in value.items()}
    return value


def golden_case(config_name: str, input_name: str) -> dict[str, Any]:
    """Encode one input with one export config and return everything that must never change."""
    config = io.load_export_config(HERE / config_name)
    table = io.read_table(HERE / input_name, config.input)
    result = encode(table.frame, config, secret=SECRET, row_numbers=table.row_numbers, created=CREATED)
    export = result.export
    meta = export.metadata
    return {
        "key_check_value": meta["key_check_value"],
        "schema_fingerprint": meta["schema_fingerprint"],
        "content_digest": meta["content_digest"],
        "record_count": meta["record_count"],
        "column_order": export.table.column_names,
        "column_types": {f.name: str(f.type) for f in export.table.schema},
        "columns": {name: _hex(export.table.column(name).to_pylist()) for name in export.table.column_names},
        "reference_map": result.reference_map[["local_id", "record_ref"]].values.tolist(),
        "quarantine": [[int(r), str(f), str(q)] for r, f, q in
                       result.quarantine[["row_number", "field", "reason"]].itertuples(index=False)],
    }


def golden_vectors() -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "about": f"Golden vectors of encoded export format v{FORMAT_VERSION}; see make_golden.py. Never edit by hand.",
        "cases": {name: golden_case(*case) for name, case in CASES.items()},
    }


def main(argv: list[str]) -> int:
    text = json.dumps(golden_vectors(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if "--write" in argv:
        GOLDEN_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN_FILE}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
