"""Write a recipient's view (CSV, XLSX or Parquet) and append to its audit log.

Contract
--------
:func:`write_view` picks the format from the suffix of ``out``:

* ``.xlsx``: one workbook with the sheets ``persons`` and ``duplicates``, each with a frozen
  header row (``freeze_panes = "A2"``), an autofilter over the used range and column widths fitted
  to the content (at most 60 characters). Every value is stored as text, never as a formula,
  even when it starts with ``=``; characters a worksheet cannot hold (control characters) become
  U+FFFD.
* ``.csv``: ``out`` (persons) and ``<stem>.duplicates.csv`` beside it; UTF-8, comma, header.
  A text value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
  ``'`` so that a spreadsheet opening the file shows it instead of running it as a formula (the
  values come from other offices' systems: CSV injection). Parquet keeps every value as it is.
* ``.parquet``: ``out`` and ``<stem>.duplicates.parquet``; text columns are strings, counts int64;
  the footer metadata ``linkage`` says ``{"format": "linkage-view"}``.

In every format, characters that change the text direction are made visible and zero-width
characters removed (:func:`shown_text`): a value from another office cannot reorder or hide what
the clerk reads. Any other suffix raises ConfigError. An existing file is replaced only when it is a view written
by linkage (or with ``force``; see :mod:`linkage.io.outputs`). Each file is written atomically; the paths written are
returned, persons first. :func:`append_audit` appends one JSON line per view to the audit log:
the view's audit facts (counts and record references, never a value) plus when it was written
and where.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError, OutputError
from ..view import View
from .atomic import atomic_path, make_folder
from .outputs import VIEW_FORMAT, OutputKind, Target, check_target

__all__ = ["VIEW_SUFFIXES", "view_paths", "view_targets", "audit_target", "write_view", "append_audit", "shown_text"]

VIEW_SUFFIXES = (".csv", ".xlsx", ".parquet")
_MAX_WIDTH = 60
_FORMULA_START = re.compile(r"[=+\-@\t\r]")
#: Characters a worksheet cannot hold (as openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_DIRECTION = re.compile("[\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\u061c\ufeff]")
_HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060\u061c\ufeff]")


def view_paths(out: str | os.PathLike[str]) -> list[Path]:
    """The files :func:`write_view` writes for ``out`` (persons first); ConfigError for an unknown suffix."""
    out = Path(out)
    suffix = out.suffix.lower()
    if out.is_dir():
        raise OutputError(f"{out} is a directory; give a file name for the view (e.g. {out / 'view.xlsx'})")
    if suffix not in VIEW_SUFFIXES:
        raise ConfigError(f"cannot write a view as '{out.name}': the output must end in "
                          f"{', '.join(VIEW_SUFFIXES)}")
    if suffix == ".xlsx":
        return [out]
    return [out, out.with_name(f"{out.stem}.duplicates{out.suffix}")]


def view_targets(out: str | os.PathLike[str]) -> list[Target]:
    """The output targets of a view written to ``out`` (for :func:`linkage.io.check_targets`)."""
    return [Target(p, OutputKind.VIEW) for p in view_paths(out)]


def audit_target(path: str | os.PathLike[str]) -> Target:
    """The output target of an audit log appended to at ``path``."""
    return Target(Path(path), OutputKind.AUDIT_LOG)


def write_view(view: View, out: str | os.PathLike[str], *, force: bool = False) -> list[Path]:
    """Write ``view`` to ``out`` in the format its suffix names (see the module docstring).

    Existing files are replaced only when they are views written by linkage (or with ``force``).
    """
    paths = view_paths(out)
    for target in view_targets(out):
        check_target(target, force=force)
    suffix = paths[0].suffix.lower()
    persons, duplicates = _shown(view.persons), _shown(view.duplicates)
    if suffix == ".xlsx":
        with atomic_path(paths[0]) as tmp:
            _write_xlsx({"persons": persons, "duplicates": duplicates}, tmp)
    else:
        for frame, path in zip((persons, duplicates), paths):
            with atomic_path(path) as tmp:
                if suffix == ".csv":
                    _formula_safe(frame).to_csv(tmp, index=False, encoding="utf-8")
                else:
                    pq.write_table(_arrow(frame), tmp, compression="zstd")
    return paths


def append_audit(path: str | os.PathLike[str], view: View, outputs: Sequence[str | os.PathLike[str]], *,
                 written: datetime | None = None, force: bool = False) -> Path:
    """Append the audit entry of ``view`` (plus ``written`` and ``outputs``) as one JSON line to ``path``.

    An existing file at ``path`` must be an audit log (or ``force``): OutputError otherwise.
    """
    path = Path(path)
    check_target(audit_target(path), force=force)
    entry = {**view.audit,
             "written": (written or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "outputs": [str(p) for p in outputs]}
    line = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
    make_folder(path.parent)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def shown_text(value: str) -> str:
    """``value`` as a view shows it: every character that changes the text direction (U+202A-202E,
    U+2066-2069) made visible as ``[U+XXXX]``, and invisible zero-width characters (U+200B-200F,
    U+2060, U+061C, U+FEFF) removed, so that no value can hide or reorder what a clerk reads."""
    return _INVISIBLE.sub("", _DIRECTION.sub(lambda m: f"[U+{ord(m.group()):04X}]", value))


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`shown_text` applied to every text cell (a copy only when needed)."""
    out = frame
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        risky = column.str.contains(_HIDDEN, na=False).to_numpy(dtype=bool)
        if risky.any():
            out = out.copy() if out is frame else out
            out.loc[risky, name] = column[risky].map(shown_text)
    return out


def _formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula prefixed by ``'``."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object:
            risky = column.str.match(_FORMULA_START, na=False).to_numpy(dtype=bool)
            if risky.any():
                out.loc[risky, name] = "'" + column[risky].astype(str)
    return out


def _arrow(frame: pd.DataFrame) -> pa.Table:
    fields = [pa.field(name, pa.int64() if pd.api.types.is_integer_dtype(frame[name]) else pa.string())
              for name in frame.columns]
    table = pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)
    return table.replace_schema_metadata({b"linkage": json.dumps({"format": VIEW_FORMAT}).encode()})


def _write_xlsx(sheets: dict[str, pd.DataFrame], target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)  # streams rows: memory stays flat for large views
    for title, frame in sheets.items():
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        last = get_column_letter(max(len(frame.columns), 1))
        sheet.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
        for index, name in enumerate(frame.columns, start=1):
            lengths = frame[name].fillna("").astype(str).str.len() if len(frame) else pd.Series([0])
            width = max(len(str(name)), int(lengths.max()))
            sheet.column_dimensions[get_column_letter(index)].width = min(width, _MAX_WIDTH) + 2
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_cell(sheet, v) for v in row])
    book.save(target)


def _cell(sheet: Any, value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        value = _ILLEGAL.sub("\ufffd", value)
        if value.startswith("="):  # openpyxl would store it as a formula
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value
