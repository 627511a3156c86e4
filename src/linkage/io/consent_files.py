"""Read an agency's consent register (CSV) into a validated :class:`~linkage.consent.ConsentRegister`.

The file is UTF-8 (a byte-order mark is allowed) with a header row; the delimiter is ``,``,
``;`` or tab, told from the header line unless given. Quoting is strict: an unterminated quote or
text after a closing quote makes the file unreadable rather than shifting fields. Row numbers are
the spreadsheet rows the agency sees (header = row 1 unless blank rows precede it), counted in CSV
records, so a quoted line break does not shift them. Blank rows, and rows whose every cell is
blank (as spreadsheets save them), hold no grant and are skipped. Rows with the wrong number of
fields and every invalid cell are reported together in one :class:`~linkage.errors.ConsentError`;
messages name the file, row, column and rule, never a cell's content. The format is described in :mod:`linkage.consent`.
"""

from __future__ import annotations

import csv
import gc
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..consent import ConsentRegister, parse_register
from ..errors import ConsentError

__all__ = ["read_consent_register"]

_DELIMITERS = ",;\t"


def read_consent_register(path: str | os.PathLike[str], *, delimiter: str | None = None) -> ConsentRegister:
    """Read and validate the register at ``path``; raise :class:`ConsentError` listing every problem."""
    path = Path(path)
    what = f"consent register {path}"
    if delimiter is not None and (len(delimiter) != 1 or delimiter not in _DELIMITERS):
        raise ConsentError(f"the delimiter for {what} must be ',', ';' or a tab")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConsentError(f"{what} does not exist") from None
    except OSError as exc:
        raise ConsentError(f"cannot read {what}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConsentError(f"{what} is not valid UTF-8 (first bad byte at offset {exc.start}, line {line}); "
                           f"save it as UTF-8 CSV") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ConsentError(f"{what} contains NUL bytes (first on line {line}); is it saved as UTF-16? "
                           f"save it as UTF-8 CSV")
    if not text.strip():
        raise ConsentError(f"{what} is empty; it needs at least the header row")
    if delimiter is None:
        first = next(line for line in io.StringIO(text, newline=None) if line.strip())  # lazily: files are large
        delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    with _no_gc():  # millions of new cells: the cyclic collector would walk them again and again
        try:
            records = list(reader)  # one C loop over the file; parse_register checks the cells by column
        except csv.Error:
            raise ConsentError(f"{what} is not readable as CSV near line {reader.line_num} "
                               f"(unterminated quote, or text after a closing quote)") from None
        frame, numbers, malformed = _grants(records)
        del records
    return parse_register(frame, np.asarray(numbers, dtype=np.int64), source=what, malformed_rows=malformed)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (strings and row lists form no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _grants(records: list[list[str]]) -> tuple[pd.DataFrame, list[int], list[int]]:
    """The grant rows under the header (the first row that is not blank) as a frame of strings,
    their row numbers (CSV records counted from 1), and the numbers of rows of the wrong width."""
    start = next((i for i, row in enumerate(records) if any(cell.strip() for cell in row)), len(records))
    header = records[start] if start < len(records) else []
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[int] = []
    for number, row in enumerate(records[start + 1 :], start=start + 2):
        if not (row and row[0].strip()) and not any(cell.strip() for cell in row):
            continue  # blank rows hold no grant
        if len(row) != width:
            malformed.append(number)
            continue
        rows.append(row)
        numbers.append(number)
    cells = np.empty((len(rows), width), dtype=object)
    if rows:
        cells[:] = rows
    frame = pd.DataFrame({i: cells[:, i] for i in range(width)}, index=range(len(rows)))
    frame.columns = header
    return frame, numbers, malformed
