"""linkage.io.tables: CSV (sniffing, encodings, malformed rows), Excel and Parquet, all as strings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage import io
from linkage.config import InputSpec
from linkage.errors import DataError

AUTO = InputSpec()
HEADER = ["id", "name", "dob", "note"]
ROWS = [["0012", "Müller; Hans", "14.07.1990", "NA"],
        ["13", "Na", "01.01.1985", "null"],
        ["14", "O'Brien, Lena", "", "N/A"]]


def records(table) -> list[list[str]]:
    return table.frame.values.tolist()


# ---------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_csv_delimiter_is_sniffed(write_csv, delimiter):
    path = write_csv(ROWS, HEADER, delimiter=delimiter)
    table = io.read_table(path, AUTO)
    assert list(table.frame.columns) == HEADER
    assert records(table) == ROWS
    assert table.row_numbers.tolist() == [2, 3, 4]
    assert table.malformed.empty


def test_declared_delimiter_wins_over_sniffing(write_csv):
    path = write_csv([["1", "a,b,c"], ["2", "d,e,f"]], ["id", "name"], delimiter=";")
    table = io.read_table(path, InputSpec(delimiter=";"))
    assert records(table) == [["1", "a,b,c"], ["2", "d,e,f"]]


def test_a_single_column_needs_a_declared_delimiter(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("id\n1\n2\n")
    with pytest.raises(DataError, match="input.delimiter"):
        io.read_table(path, AUTO)
    assert records(io.read_table(path, InputSpec(delimiter=","))) == [["1"], ["2"]]


def test_cells_stay_strings(write_csv):
    table = io.read_table(write_csv(ROWS, HEADER), AUTO)
    frame = table.frame
    assert frame.loc[0, "id"] == "0012"
    assert frame.loc[1, "name"] == "Na"
    assert frame["note"].tolist() == ["NA", "null", "N/A"]
    assert frame.loc[2, "dob"] == ""
    assert all(isinstance(v, str) for v in frame.values.ravel())


def test_utf8_bom_is_not_part_of_the_header(write_csv):
    path = write_csv(ROWS, HEADER, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = io.read_table(path, AUTO)
    assert list(table.frame.columns) == HEADER


def test_declared_cp1252(write_csv):
    path = write_csv([["1", "Jürgen Weiß", "€"]], ["id", "name", "note"], encoding="cp1252", delimiter=";")
    assert b"\xfc" in path.read_bytes()
    table = io.read_table(path, InputSpec(encoding="cp1252"))
    assert records(table) == [["1", "Jürgen Weiß", "€"]]


def test_undecodable_bytes_name_offset_and_line_not_the_text(tmp_path):
    path = tmp_path / "latin1.csv"
    content = "id;name\n1;Anna\n2;Zqxwvyt J".encode() + b"\xfcrgen\n"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        io.read_table(path, AUTO)
    message = str(info.value)
    bad_offset = content.index(b"\xfc")
    assert f"offset {bad_offset}" in message
    assert "line 3" in message
    assert "utf-8" in message and "cp1252" in message
    assert "Zqxwvyt" not in message and "rgen" not in message and "\\xfc" not in message
    assert info.value.exit_code == 4


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        io.read_table(empty, AUTO)
    blank = tmp_path / "blank.csv"
    blank.write_text("\n  \n")
    with pytest.raises(DataError):
        io.read_table(blank, AUTO)
    header_only = tmp_path / "header.csv"
    header_only.write_text("id;name;dob\n")
    with pytest.raises(DataError, match="no data rows"):
        io.read_table(header_only, AUTO)


def test_duplicate_header_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id;name;name\n1;a;b\n")
    with pytest.raises(DataError, match="'name' twice"):
        io.read_table(path, AUTO)


def test_header_names_are_stripped(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text(" id ; name \n1;a\n")
    assert list(io.read_table(path, AUTO).frame.columns) == ["id", "name"]


def test_rows_with_wrong_field_counts_are_reported(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id;name;dob\n1;Anna;01.01.1990\n2;Zqxwvyt\n3;Carl;02.02.1990;extra\n\n5;Emil;03.03.1990\n")
    table = io.read_table(path, AUTO)
    assert records(table) == [["1", "Anna", "01.01.1990"], ["5", "Emil", "03.03.1990"]]
    assert table.row_numbers.tolist() == [2, 6]
    assert table.malformed.values.tolist() == [[3, "row", "field_count"], [4, "row", "field_count"]]
    assert "Zqxwvyt" not in table.malformed.to_csv()


def test_all_rows_malformed_is_not_an_error_of_the_reader(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id;name;dob\n1;Anna\n2;Bob\n")
    table = io.read_table(path, InputSpec(delimiter=";"))
    assert table.frame.empty and table.malformed["row_number"].tolist() == [2, 3]


def test_quoted_fields_with_delimiters_and_newlines(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('id,name,note\n1,"Müller, Hans","two\nlines"\n2,"Say ""hi""",x\n', encoding="utf-8")
    table = io.read_table(path, AUTO)
    assert records(table) == [["1", "Müller, Hans", "two\nlines"], ["2", 'Say "hi"', "x"]]


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        io.read_table(tmp_path / "nope.csv", AUTO)
    odd = tmp_path / "export.dat"
    odd.write_text("id;name\n1;a\n")
    with pytest.raises(DataError, match="input.format"):
        io.read_table(odd, AUTO)
    assert records(io.read_table(odd, InputSpec(format="csv"))) == [["1", "a"]]


# --------------------------------------------------------------------------------------- Excel


def write_xlsx(path: Path, rows: list[list[object]], sheet: str | None = None) -> Path:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    if sheet:
        workbook.create_sheet("Deckblatt", 0)
        worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_cells_become_strings(tmp_path):
    path = write_xlsx(tmp_path / "export.xlsx", [
        ["id", "name", "dob", "count", "ratio"],
        ["0012", "Müller", dt.datetime(1990, 7, 14), 12, 2.5],
        [13, "Na", dt.date(1985, 1, 1), 7.0, None],
        [None, None, None, None, None],
        [14, "محمد", "00.00.1975", None, 0],
    ])
    table = io.read_table(path, AUTO)
    assert list(table.frame.columns) == ["id", "name", "dob", "count", "ratio"]
    assert records(table) == [["0012", "Müller", "1990-07-14", "12", "2.5"],
                              ["13", "Na", "1985-01-01", "7", ""],
                              ["14", "محمد", "00.00.1975", "", "0"]]
    assert table.row_numbers.tolist() == [2, 3, 5]  # the blank spreadsheet row 4 is skipped


def test_xlsx_na_like_text_stays_text(tmp_path):
    path = write_xlsx(tmp_path / "na.xlsx", [["id", "name"], ["1", "NA"], ["2", "None"], ["3", "null"]])
    assert io.read_table(path, AUTO).frame["name"].tolist() == ["NA", "None", "null"]


def test_xlsx_duplicate_header_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "dup.xlsx", [["id", "name", "name"], ["1", "a", "b"]])
    with pytest.raises(DataError, match="twice"):
        io.read_table(path, AUTO)


def test_xlsx_named_sheet(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [["id", "name"], ["1", "Anna"]], sheet="Klienten")
    assert records(io.read_table(path, InputSpec(sheet="Klienten"))) == [["1", "Anna"]]
    with pytest.raises(DataError, match="no worksheet named 'Nope'"):
        io.read_table(path, InputSpec(sheet="Nope"))


def test_damaged_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 Zqxwvyt not really a zip")
    with pytest.raises(DataError, match="not a readable Excel") as info:
        io.read_table(path, AUTO)
    assert "Zqxwvyt" not in str(info.value)


# ------------------------------------------------------------------------------------- Parquet


def test_parquet_cells_become_strings(tmp_path):
    path = tmp_path / "export.parquet"
    pq.write_table(pa.table({
        "id": pa.array([12, 13, 14], pa.int64()),
        "name": ["Müller", "NA", None],
        "dob": pa.array([dt.date(1990, 7, 14), None, dt.date(2001, 1, 2)], pa.date32()),
        "score": [1.0, 2.5, None],
    }), path)
    table = io.read_table(path, AUTO)
    assert records(table) == [["12", "Müller", "1990-07-14", "1"], ["13", "NA", "", "2.5"], ["14", "", "2001-01-02", ""]]
    assert table.row_numbers.tolist() == [1, 2, 3]
    assert table.malformed.empty


def test_empty_parquet_and_damaged_parquet(tmp_path):
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string())}), empty)
    with pytest.raises(DataError, match="no data rows"):
        io.read_table(empty, AUTO)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(DataError, match="not a readable Parquet"):
        io.read_table(broken, AUTO)


def test_formats_agree(tmp_path):
    """The same records read from CSV, Excel and Parquet give the same strings."""
    header, rows = ["id", "given", "dob"], [["1", "Anna", "14.07.1990"], ["2", "Jürgen", ""]]
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("\n".join(";".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    xlsx_path = write_xlsx(tmp_path / "a.xlsx", [header, *rows])
    parquet_path = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pandas(pd.DataFrame(rows, columns=header)), parquet_path)
    frames = [io.read_table(p, AUTO).frame for p in (csv_path, xlsx_path, parquet_path)]
    for frame in frames[1:]:
        assert frame.values.tolist() == frames[0].values.tolist()
        assert list(frame.columns) == header
    assert np.all(frames[0].values == frames[1].values)


def test_xlsx_without_its_reader_says_what_to_install(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "export.xlsx", [["id", "name"], ["1", "Anna"]])

    def missing(*args, **kwargs):
        raise ImportError("Missing optional dependency 'python-calamine'")

    monkeypatch.setattr(pd, "read_excel", missing)
    with pytest.raises(DataError, match="python-calamine"):
        io.read_table(path, AUTO)
