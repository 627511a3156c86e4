"""Write synthetic agency exports to files, each in its agency's own format, plus the truth.

``write_synth(data, out_dir)`` writes every :class:`~linkage.synth.AgencyExport` as
``out_dir/<file_name>``: CSV with the export's delimiter and encoding (Windows line ends for
non-UTF-8 exports, as a Windows system writes them), Excel ``.xlsx`` (one sheet, every cell a
text cell) or Parquet (all columns strings), ``out_dir/truth.csv`` (agency, record_id,
person_id) and each agency's consent register as ``out_dir/consent/<agency>.csv`` (UTF-8, comma,
header; read it with :func:`linkage.io.read_consent_register`) and ``out_dir/synth.json`` (what
made the folder: persons and records per agency). Every file is written atomically. ``out_dir`` must be new,
empty or a previous synthetic export folder (``force``: any folder; its other files are kept;
see :mod:`linkage.io.outputs`). Returns the paths by agency name, ``"truth"`` and
``"consent/<agency>"``.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from ..synth import AgencyExport, SynthData
from .atomic import atomic_path, write_csv
from .outputs import SYNTH_FORMAT, OutputKind, Target, check_target

__all__ = ["write_synth"]

_XLSX_SHEET = "Teilnehmende"
_XLSX_MAX_ROWS = 1_048_576  # including the header row


def synth_target(data: SynthData, out_dir: str | os.PathLike[str]) -> Target:
    """The output target of ``data`` written to ``out_dir``."""
    names = ("synth.json", "truth.csv", "consent", *(e.file_name for e in data.exports))
    return Target(Path(out_dir), OutputKind.SYNTH, files=names)


def write_synth(data: SynthData, out_dir: str | os.PathLike[str], *, force: bool = False) -> dict[str, Path]:
    out = Path(out_dir)
    check_target(synth_target(data, out), force=force)
    marker = {"format": SYNTH_FORMAT, "version": 1, "persons": int(data.truth["person_id"].nunique()),
              "records": {e.agency: len(e.frame) for e in data.exports}}
    with atomic_path(out / "synth.json") as tmp:  # first: a folder cut off half-way is still recognised
        tmp.write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    paths: dict[str, Path] = {}
    for export in data.exports:
        target = out / export.file_name
        suffix = target.suffix.lower()
        writer = {".csv": _write_csv, ".tsv": _write_csv, ".txt": _write_csv,
                  ".xlsx": _write_xlsx, ".parquet": _write_parquet}.get(suffix)
        if writer is None:
            raise DataError(f"cannot write synthetic export {export.file_name}: unknown file type {suffix!r}")
        with atomic_path(target) as tmp:
            writer(export, tmp)
        paths[export.agency] = target
    paths["truth"] = write_csv(data.truth, out / "truth.csv", force=force)
    for agency, register in data.consent.items():
        paths[f"consent/{agency}"] = write_csv(register, out / "consent" / f"{agency}.csv", force=force)
    return paths


def _write_csv(export: AgencyExport, path: Path) -> None:
    utf8 = export.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    with open(path, "w", encoding=export.encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=export.delimiter or ",", lineterminator="\n" if utf8 else "\r\n")
        writer.writerow(export.frame.columns.tolist())
        writer.writerows(export.frame.itertuples(index=False, name=None))


def _write_xlsx(export: AgencyExport, path: Path) -> None:
    from openpyxl import Workbook

    if len(export.frame) >= _XLSX_MAX_ROWS:
        raise DataError(f"synthetic export {export.file_name} has {len(export.frame)} records, more than an Excel "
                        f"sheet holds ({_XLSX_MAX_ROWS - 1}); generate fewer persons")

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_XLSX_SHEET)
    sheet.append(export.frame.columns.tolist())
    for row in export.frame.itertuples(index=False, name=None):
        sheet.append([cell if cell != "" else None for cell in row])
    book.save(path)


def _write_parquet(export: AgencyExport, path: Path) -> None:
    frame: pd.DataFrame = export.frame
    table = pa.table({col: pa.array(frame[col].tolist(), pa.string()) for col in frame.columns})
    pq.write_table(table, path)
