"""Shared fixtures: a fixed project secret, the example schema, export-config and CSV writers."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from linkage import io
from linkage.keys import ProjectSecret

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"

#: 32 fixed bytes: the project secret every test uses unless it needs a second one.
FIXED_SECRET_BYTES = bytes(range(32))
OTHER_SECRET_BYTES = bytes(range(100, 132))

#: Column mapping of the default test export config (CSV header -> role is the reverse).
DEFAULT_COLUMNS: dict[str, str] = {
    "id": "pid",
    "given_name": "given",
    "family_name": "family",
    "father_name": "father",
    "birth_date": "dob",
    "sex": "sex",
    "nationality": "nat",
    "place": "birthplace",
}
HEADER = ["pid", "given", "family", "father", "dob", "sex", "nat", "birthplace"]
ROWS = [
    ["A1", "Anna", "Schmidt", "Peter", "14.07.1990", "w", "DEU", "Köln"],
    ["A2", "Mohammad", "AL-HASSAN", "Ahmad", "01.01.1985", "m", "SYR", "Aleppo"],
    ["A3", "Jürgen", "Müller", "", "00.00.1975", "M", "DEU", ""],
    ["A4", "Fatemeh", "Rezaei", "Ali", "", "f", "AFG", "Herat"],
    ["A5", "Lena", "O'Brien", "", "03.11.2001", "", "", "Dublin"],
]


def toml_value(value: Any) -> str:
    """TOML text of a scalar, list or inline table (enough for test configs)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value).__name__)


def toml_dumps(data: Mapping[str, Any]) -> str:
    """TOML text of a mapping: scalars first, then one ``[table]`` per mapping value."""
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    for key, table in data.items():
        if isinstance(table, Mapping):
            lines.append(f"\n[{json.dumps(key)}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def secret() -> ProjectSecret:
    return ProjectSecret(FIXED_SECRET_BYTES)


@pytest.fixture
def other_secret() -> ProjectSecret:
    return ProjectSecret(OTHER_SECRET_BYTES)


@pytest.fixture
def schema_path() -> Path:
    """The example schema shipped in ``configs/``."""
    return CONFIGS / "schema.toml"


@pytest.fixture
def make_export_config(tmp_path: Path, schema_path: Path) -> Callable[..., Path]:
    """Write an export config TOML into ``tmp_path`` and return its path.

    Keyword arguments replace top-level entries of the default config (``columns=...``,
    ``birth_date={...}``, ``input={...}``); ``schema`` defaults to the example schema (absolute).
    """

    def make(name: str = "export.toml", **overrides: Any) -> Path:
        data: dict[str, Any] = {
            "version": 1,
            "agency": "test-agency",
            "schema": str(schema_path),
            "columns": dict(DEFAULT_COLUMNS),
            "birth_date": {"formats": ["%d.%m.%Y"]},
        }
        data.update(overrides)
        path = tmp_path / name
        path.write_text(toml_dumps(data), encoding="utf-8")
        return path

    return make


@pytest.fixture
def export_config(make_export_config: Callable[..., Path]):
    """The default export config, loaded."""
    return io.load_export_config(make_export_config())


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a CSV (header + rows) into ``tmp_path``; returns its path."""

    def write(rows: Sequence[Sequence[str]] = ROWS, header: Sequence[str] = HEADER, *, name: str = "input.csv",
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding=encoding) as fh:
            writer = csv.writer(fh, delimiter=delimiter)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def key_file(tmp_path: Path, secret: ProjectSecret) -> Path:
    """The fixed secret written as a key file (mode 0600)."""
    return io.write_secret(tmp_path / "project.key", secret)
