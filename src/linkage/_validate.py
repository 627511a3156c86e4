"""A small reader for nested config mappings that collects every problem with its path.

Used by the config loaders: each loader walks the parsed TOML with a :class:`Reader`, asks for
typed values, and at the end raises one :class:`~linkage.errors.ConfigError` listing every
problem as ``path: message``. Unknown keys are problems too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ConfigError

_MISSING = object()


class Reader:
    """Typed access to one mapping at ``path``; records problems in a shared list."""

    def __init__(self, data: Any, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        self._seen: set[str] = set()
        if isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            self.problem("", f"must be a table, got {_type_name(data)}")

    def at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str | int, message: str) -> None:
        where = self.at(key) if key != "" else (self.path or "<top level>")
        self.problems.append(f"{where}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._seen.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.problem(key, "is required")
            return None
        return default

    def str(self, key: str, default: Any = _MISSING, *, choices: Sequence[str] | None = None) -> Any:
        value = self.raw(key, default)
        if key not in self.data:
            return value
        if not isinstance(value, str) or not value:
            self.problem(key, f"must be a non-empty string, got {_type_name(value)}")
            return None
        if choices is not None and value not in choices:
            self.problem(key, f"must be one of {', '.join(repr(c) for c in choices)}")
            return None
        return value

    def int(self, key: str, default: Any = _MISSING, *, low: int | None = None, high: int | None = None) -> Any:
        value = self.raw(key, default)
        if key not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be an integer, got {_type_name(value)}")
            return None
        return self._check_range(key, value, low, high)

    def float(self, key: str, default: Any = _MISSING, *, low: float | None = None, high: float | None = None) -> Any:
        value = self.raw(key, default)
        if key not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(key, f"must be a number, got {_type_name(value)}")
            return None
        return self._check_range(key, float(value), low, high)

    def bool(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if key in self.data and not isinstance(value, bool):
            self.problem(key, f"must be true or false, got {_type_name(value)}")
            return None
        return value

    def str_list(self, key: str, default: Any = _MISSING, *, allow_single: bool = False) -> Any:
        value = self.raw(key, default)
        if key not in self.data:
            return value
        if allow_single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(key, f"must be a list of non-empty strings, got {_type_name(value)}")
            return None
        return tuple(value)

    def table(self, key: str, default: Any = _MISSING) -> "Reader | None":
        value = self.raw(key, default)
        if key not in self.data:
            return None if value is None else Reader(value, self.at(key), self.problems)
        return Reader(value, self.at(key), self.problems)

    def tables(self, key: str) -> list["Reader"]:
        value = self.raw(key, [])
        if not isinstance(value, list):
            self.problem(key, f"must be an array of tables, got {_type_name(value)}")
            return []
        return [Reader(v, f"{self.at(key)}[{i}]", self.problems) for i, v in enumerate(value)]

    def finish(self) -> None:
        """Record a problem for each key nobody asked for."""
        for key in self.data:
            if key not in self._seen:
                self.problem(key, "is not a known setting (check the spelling)")

    def _check_range(self, key: str, value: Any, low: Any, high: Any) -> Any:
        if low is not None and value < low or high is not None and value > high:
            lo = "-inf" if low is None else low
            hi = "inf" if high is None else high
            self.problem(key, f"must be in [{lo}, {hi}], got {value}")
            return None
        return value


def raise_if_problems(what: str, problems: list[str]) -> None:
    if problems:
        raise ConfigError(f"{what} is invalid ({len(problems)} problem(s)):", tuple(problems))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
