"""Load the schema and export configs from TOML files (validation lives in linkage.config)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from ..config import ExportConfig, Schema, parse_export_config, parse_schema
from ..errors import ConfigError

__all__ = ["load_schema", "load_export_config"]


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None


def load_schema(path: str | os.PathLike[str]) -> Schema:
    path = Path(path)
    return parse_schema(_read_toml(path, "schema"), source=f"schema {path}")


def load_export_config(path: str | os.PathLike[str]) -> ExportConfig:
    """Load an export config and the schema it names (relative to the config's folder)."""
    path = Path(path)
    data = _read_toml(path, "export config")
    schema_ref = data.get("schema")
    if not isinstance(schema_ref, str) or not schema_ref:
        raise ConfigError(f"export config {path} is invalid:", ("schema: is required: the path of the shared schema file",))
    schema = load_schema(path.parent / schema_ref)
    return parse_export_config(data, schema, source=f"export config {path}")
