"""Exceptions raised by linkage.

Every error the library raises on purpose derives from :class:`LinkageError`::

    LinkageError
    ├── ConfigError      (also ValueError)  a config file or object is invalid
    ├── DataError        (also ValueError)  an input table is unusable (missing columns, bad bytes, empty)
    ├── KeyFileError                         a secret or key file is missing, exposed or malformed
    ├── IntegrityError                       key, schema or signature mismatch; a tampered or foreign file
    ├── ConsentError                         a consent register or grant is invalid
    └── OutputError                          an output path would replace an input, a key or a file
                                             linkage did not write (or cannot be written at all)

Contract: messages name files, fields, row numbers and rules, never a record value. Each class
carries ``exit_code``, the process exit status the CLI uses for it.
"""

from __future__ import annotations

__all__ = [
    "LinkageError",
    "ConfigError",
    "DataError",
    "KeyFileError",
    "IntegrityError",
    "ConsentError",
    "OutputError",
]


class LinkageError(Exception):
    """Base class of all errors raised by linkage."""

    exit_code = 1


class ConfigError(LinkageError, ValueError):
    """A configuration is invalid. ``problems`` lists every ``path: message`` found."""

    exit_code = 3

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        self.problems = tuple(problems)
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class DataError(LinkageError, ValueError):
    """An input table cannot be used as a whole (not one bad row: those are quarantined)."""

    exit_code = 4


class KeyFileError(LinkageError):
    """A secret or key file cannot be created or used safely."""

    exit_code = 5


class IntegrityError(LinkageError):
    """A file was made with another key or schema, was changed after writing, or is not ours."""

    exit_code = 6


class ConsentError(LinkageError):
    """A consent register or grant is invalid."""

    exit_code = 7


class OutputError(LinkageError):
    """An output path is refused: it is an input, a key, another output, a foreign file or
    directory, or cannot be written. Raised before any work starts (see linkage.io.outputs)."""

    exit_code = 2
