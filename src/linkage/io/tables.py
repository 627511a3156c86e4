"""Read an agency's export (CSV, Excel .xlsx or Parquet) as a table of strings.

Contract: every cell comes back as a string (``""`` for empty), nothing is converted to numbers
or NaN (a person called "Na" stays "Na"). Each data row carries the row number the agency sees:
for CSV and Excel the spreadsheet row (header = row 1, first record = row 2); for Parquet the
1-based record index. CSV rows with the wrong number of fields are not read but reported as
malformed (row number and reason), so the caller can quarantine them. Errors name the file,
line or column, never a cell's content.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import InputSpec
from ..errors import DataError

__all__ = ["InputTable", "read_table"]

_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
_SNIFF_DELIMITERS = ",;\t|"


@dataclass(frozen=True, slots=True)
class InputTable:
    """Cells as strings, the agency's row number per record, and rows that could not be read."""

    frame: pd.DataFrame
    row_numbers: np.ndarray
    malformed: pd.DataFrame  # row_number, field, reason


def read_table(path: str | os.PathLike[str], spec: InputSpec) -> InputTable:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"input file {path} does not exist")
    fmt = spec.format if spec.format != "auto" else _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"cannot tell the format of {path} from its extension; set input.format "
                        f"to 'csv', 'xlsx' or 'parquet' in the export config")
    if fmt == "csv":
        table = _read_csv(path, spec)
    elif fmt == "xlsx":
        table = _read_xlsx(path, spec)
    else:
        table = _read_parquet(path)
    if len(table.frame) == 0 and len(table.malformed) == 0:
        raise DataError(f"{path} has no data rows")
    return table


def _no_malformed() -> pd.DataFrame:
    return pd.DataFrame({"row_number": pd.Series([], dtype=np.int64), "field": pd.Series([], dtype=object),
                         "reason": pd.Series([], dtype=object)})


def _check_header(header: list[str], path: Path) -> list[str]:
    header = [h.strip() for h in header]
    if not header or all(h == "" for h in header):
        raise DataError(f"{path} has no header row")
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise DataError(f"{path} has the column name {h!r} twice in its header; column names must be unique")
        seen.add(h)
    return header


def _read_csv(path: Path, spec: InputSpec) -> InputTable:
    raw = path.read_bytes()
    encoding = "utf-8-sig" if spec.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else spec.encoding
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path} is not valid {spec.encoding} (first bad byte at offset {exc.start}, line {line}); "
            f"set input.encoding in the export config to the file's encoding, e.g. 'cp1252'"
        ) from None
    if not text.strip():
        raise DataError(f"{path} is empty")
    delimiter = spec.delimiter or _sniff(text, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = _check_header(next(reader), path)
        rows: list[list[str]] = []
        numbers: list[int] = []
        bad: list[int] = []
        for number, row in enumerate(reader, start=2):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                bad.append(number)
                continue
            rows.append(row)
            numbers.append(number)
    except csv.Error as exc:
        raise DataError(f"{path} is not readable as CSV near record {reader.line_num}: {_csv_reason(exc)}") from None
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    malformed = pd.DataFrame({"row_number": np.asarray(bad, dtype=np.int64), "field": "row", "reason": "field_count"})
    return InputTable(frame, np.asarray(numbers, dtype=np.int64), malformed if bad else _no_malformed())


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    return "unterminated quote or NUL byte" if "NUL" in text or "EOF" in text or "quote" in text else "malformed CSV"


def _sniff(text: str, path: Path) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SNIFF_DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in _SNIFF_DELIMITERS}
        best = max(counts, key=counts.__getitem__)
        if counts[best] == 0:
            raise DataError(f"cannot detect the delimiter of {path}; set input.delimiter in the export config") from None
        return best


def _cell_to_str(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _stringify(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({col: [_cell_to_str(v) for v in frame[col].tolist()] for col in frame.columns}, dtype=object)


def _read_xlsx(path: Path, spec: InputSpec) -> InputTable:
    try:
        frame = pd.read_excel(path, sheet_name=spec.sheet or 0, dtype=object, header=None, engine="calamine",
                              keep_default_na=False, na_values=[])
    except ImportError:  # pandas reports a missing reader this way: not a damaged file
        raise DataError("reading .xlsx needs python-calamine, a dependency of linkage that is not installed here; "
                        "run pip install python-calamine") from None
    except ValueError as exc:
        if spec.sheet and "not found" in str(exc).lower():
            raise DataError(f"{path} has no worksheet named {spec.sheet!r}; fix input.sheet in the export config") from None
        raise DataError(f"{path} is not a readable Excel workbook") from None
    except Exception:  # the reader raises many types for damaged files
        raise DataError(f"{path} is not a readable Excel (.xlsx) workbook") from None
    if len(frame) == 0:
        raise DataError(f"{path} has no header row")
    header = _check_header([_cell_to_str(c) for c in frame.iloc[0].tolist()], path)
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = header
    frame = _stringify(frame)
    blank = (frame == "").all(axis=1).to_numpy()
    numbers = np.arange(2, len(frame) + 2, dtype=np.int64)[~blank]
    return InputTable(frame[~blank].reset_index(drop=True), numbers, _no_malformed())


def _read_parquet(path: Path) -> InputTable:
    try:
        frame = pd.read_parquet(path)
    except Exception:
        raise DataError(f"{path} is not a readable Parquet file") from None
    frame.columns = _check_header([str(c) for c in frame.columns], path)
    frame = _stringify(frame)
    return InputTable(frame, np.arange(1, len(frame) + 1, dtype=np.int64), _no_malformed())
