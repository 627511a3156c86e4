"""linkage.consent and linkage.io.consent_files: validation, reading, fail-closed evaluation, and
the vectorised evaluation against the scalar reference (and both against the contract)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import io, seal
from linkage.consent import (
    ANY,
    LINKAGE,
    REGISTER_COLUMNS,
    ConsentRegister,
    Grant,
    Scope,
    Status,
    allows,
    allows_mask,
    counts,
    linkage_basis,
    linkage_basis_mask,
    parse_register,
    register_from_grants,
    scopes,
    scopes_column,
)
from linkage.encoded import SCOPE_TYPE
from linkage.errors import ConfigError, ConsentError

#: Planted in the record id of every invalid row: it must appear in no message.
CANARY = "CANARY-7f3a9c-Rezaei"
D = dt.date
JAN1, MID, DEC31 = D(2024, 1, 1), D(2024, 6, 15), D(2024, 12, 31)


def row(**cells: str) -> dict[str, str]:
    """One register row as the file has it: a valid accepted consent unless overridden."""
    base = {"record_id": "r1", "legal_basis": "consent", "purpose": "integration", "recipients": "jobcentre;ba",
            "data_classes": "identity;language", "valid_from": "2024-01-01", "valid_until": "2024-12-31",
            "status": "accepted", "recorded": ""}
    return base | cells


def table(*rows: dict[str, str], columns: Sequence[str] = REGISTER_COLUMNS) -> pd.DataFrame:
    """A register table as strings; ``columns`` may be misspelled, missing or repeated."""
    cells = [[r.get(c.strip().lower(), "") for c in columns] for r in rows]
    return pd.DataFrame(cells, columns=list(columns), dtype=object)


def register(*rows: dict[str, str]) -> ConsentRegister:
    return parse_register(table(*rows))


def problems(frame: pd.DataFrame, **kwargs) -> tuple[str, ...]:
    with pytest.raises(ConsentError) as info:
        parse_register(frame, **kwargs)
    listed = info.value.problems
    assert listed, "a ConsentError from parse_register must list its problems"
    for problem in listed:
        assert problem in str(info.value)
    assert CANARY not in str(info.value)
    return listed


def may(reg: ConsentRegister, record_id: str = "r1", *, recipient: str = "jobcentre", purpose: str = "integration",
        data_class: str = "identity", at: dt.date = MID) -> bool:
    """allows(), checked against allows_mask() for the same flow."""
    scalar = allows(reg, record_id, recipient=recipient, purpose=purpose, data_class=data_class, at=at)
    mask = allows_mask(reg, [record_id], recipient=recipient, purpose=purpose, data_class=data_class, at=at)
    assert mask.dtype == np.bool_ and mask.tolist() == [scalar]
    return scalar


# ------------------------------------------------------------------------------- validation

#: (column, bad cell, other cells of the row, fragment of the rule). Each yields exactly one problem.
INVALID = [
    ("record_id", "", {}, "is required"),
    ("record_id", "   ", {}, "is required"),
    ("legal_basis", "", {}, "is required"),
    ("legal_basis", "contract-law", {}, "must be 'consent' or 'statute:<name of the statute>'"),
    ("legal_basis", "statute:", {}, "must be 'consent' or 'statute:<name of the statute>'"),
    ("legal_basis", "statute:   ", {}, "must be 'consent' or 'statute:<name of the statute>'"),
    ("legal_basis", "consented", {}, "must be 'consent' or 'statute:<name of the statute>'"),
    ("purpose", "", {}, "is required"),
    ("purpose", "Integration", {}, "must be an identifier"),
    ("purpose", "2nd_purpose", {}, "must be an identifier"),
    ("purpose", "job-search", {}, "must be an identifier"),
    ("recipients", "", {}, "is required"),
    ("recipients", "jobcentre;;ba", {}, "has an empty entry"),
    ("recipients", "jobcentre;", {}, "has an empty entry"),
    ("recipients", "Jobcentre", {}, "must be a recipient name"),
    ("recipients", "job.centre", {}, "must be a recipient name"),
    ("recipients", "jobcentre;job-centre", {}, "must be a recipient name"),
    ("recipients", "1office", {}, "must be a recipient name"),
    ("recipients", "_office", {}, "must be a recipient name"),
    ("recipients", "x" * 41, {}, "must be a recipient name"),
    ("recipients", "*;jobcentre", {}, "'*' must stand alone"),
    ("recipients", "*", {}, "'*' (any recipient) may be accepted only for purpose 'linkage'"),
    ("recipients", "*", {"status": "ACCEPTED"}, "may be accepted only for purpose 'linkage'"),
    ("data_classes", "", {}, "is required"),
    ("data_classes", "Identity", {}, "must be an identifier"),
    ("data_classes", "identity;", {}, "has an empty entry"),
    ("data_classes", "*;identity", {}, "'*' must stand alone"),
    ("valid_from", "", {}, "is required (an ISO date YYYY-MM-DD)"),
    ("valid_from", "01.02.2024", {}, "must be an ISO date YYYY-MM-DD"),
    ("valid_from", "2024-1-1", {}, "must be an ISO date YYYY-MM-DD"),
    ("valid_from", "2024-02-30", {}, "is not a calendar date"),
    ("valid_from", "2023-02-29", {}, "is not a calendar date"),
    ("valid_from", "2024-13-01", {}, "is not a calendar date"),
    ("valid_from", "2024-00-10", {}, "is not a calendar date"),
    ("valid_from", "0000-01-01", {}, "is not a calendar date"),
    ("valid_until", "2023-12-31", {}, "is before valid_from"),
    ("valid_until", "31.12.2024", {}, "must be an ISO date YYYY-MM-DD"),
    ("valid_until", "2024-04-31", {}, "is not a calendar date"),
    ("status", "", {}, "is required"),
    ("status", "granted", {}, "must be one of accepted, declined, withdrawn, expired, unknown"),
    ("recorded", "yesterday", {}, "must be an ISO date YYYY-MM-DD"),
    ("recorded", "2024-02-30", {}, "is not a calendar date"),
]


@pytest.mark.parametrize(("column", "cell", "others", "rule"), INVALID,
                         ids=[f"{c}={v!r}" for c, v, _, _ in INVALID])
def test_each_rule_names_row_and_column_never_the_value(column, cell, others, rule):
    bad = row(record_id=CANARY, **others) | ({column: cell} if column != "record_id" else {"record_id": cell})
    listed = problems(table(row(), row(record_id="r2"), bad, row(record_id="r4")))
    assert len(listed) == 1, listed
    assert listed[0].startswith(f"row 4, column {column}: "), listed
    assert rule in listed[0]
    if len(cell.strip()) > 3 and cell.strip() not in rule:
        assert cell.strip() not in listed[0]


@pytest.mark.parametrize("name", ["ba", "a", "x" * 40, "x" * 41, "a_1", "job_centre_2", "a.b", "a-b", "Ba", "1a",
                                  "_a", "jöbcentre", "job centre", "ba\u200b", "ｂａ"])
def test_the_recipient_rule_is_the_seal_rule(name):
    try:
        seal.check_recipient_name(name)
        expected: tuple[str, ...] = ()
    except ConfigError:
        expected = ("row 2, column recipients",)
    with pytest.raises(ConsentError) as info:  # the record id is missing in any case: always an error
        register(row(record_id="", recipients=name))
    assert tuple(p.split(":")[0] for p in info.value.problems[1:]) == expected


def test_every_problem_is_reported_at_once_in_row_then_column_order():
    frame = table(row(record_id=CANARY, purpose="Bad", status="granted"), row(),
                  row(record_id="", valid_from="2024-02-30", recipients="A"))
    listed = problems(frame, row_numbers=[7, 9, 12], source="register.csv")
    assert [p.split(":")[0] for p in listed] == [
        "row 7, column purpose", "row 7, column status", "row 12, column record_id", "row 12, column recipients",
        "row 12, column valid_from"]


def test_many_problems_are_counted_and_the_listing_is_cut():
    with pytest.raises(ConsentError) as info:
        register(*[row(record_id=f"{CANARY}-{i}", status="granted") for i in range(150)])
    assert len(info.value.problems) == 150
    assert "(150 problem(s))" in str(info.value) and "... and 50 more" in str(info.value)
    assert CANARY not in str(info.value)


def test_source_and_malformed_rows_are_reported_with_the_cells():
    with pytest.raises(ConsentError) as info:
        parse_register(table(row(purpose="X")), [5], source="consent register a.csv", malformed_rows=[3])
    assert str(info.value).startswith("consent register a.csv is invalid (2 problem(s))")
    assert info.value.problems == ("row 3: does not have the header's number of fields",
                                   "row 5, column purpose: must be an identifier ([a-z][a-z0-9_]*)")


@pytest.mark.parametrize(("columns", "expected"), [
    ([c for c in REGISTER_COLUMNS if c != "status"], ["header: the required column status is missing"]),
    ([*REGISTER_COLUMNS, "purpose"], ["header, column purpose: appears twice"]),
    ([*REGISTER_COLUMNS, "comment"], ["header, column 10: is not a register column"]),
    (["id", *REGISTER_COLUMNS[1:]], ["header, column 1: is not a register column",
                                     "header: the required column record_id is missing"]),
])
def test_header_problems(columns, expected):
    listed = problems(table(row(record_id=CANARY), columns=columns))
    assert len(listed) == len(expected)
    for problem, fragment in zip(listed, expected):
        assert problem.startswith(fragment)


def test_accepted_cells_are_normalised():
    reg = parse_register(table(
        row(legal_basis="Statute : SGB X §69", recipients=" jobcentre ; ba ;jobcentre",
            data_classes="language; identity", status=" ACCEPTED "),
        row(record_id=" r2 ", legal_basis="CONSENT", purpose=LINKAGE, recipients="*", data_classes="*",
            valid_until="", recorded="2024-03-01"),
        row(record_id="r3", recipients="*", status="Withdrawn"),  # '*' is fine for a withdrawal of any purpose
        row(record_id="r4", recipients="x" * 40, data_classes="*"),
        columns=["Record_ID ", *REGISTER_COLUMNS[1:]]))
    (g1,), (g2,) = reg.grants("r1"), reg.grants("r2")
    assert g1 == Grant(record_id="r1", legal_basis="statute:SGB X §69", purpose="integration",
                       recipients=("ba", "jobcentre"), data_classes=("identity", "language"), valid_from=JAN1,
                       valid_until=DEC31, status=Status.ACCEPTED, recorded=None, row_number=2)
    assert g1.basis == "statute" and g2.basis == "consent"
    assert (g2.recipients, g2.data_classes, g2.valid_until, g2.recorded) == ((ANY,), (ANY,), None, D(2024, 3, 1))
    assert reg.grants("r3")[0].status is Status.WITHDRAWN
    assert reg.grants("r4")[0].recipients == ("x" * 40,)
    assert reg.grants("nobody") == ()
    assert sorted(reg.record_ids) == ["r1", "r2", "r3", "r4"] and len(reg) == 4


def test_cells_that_are_not_strings_are_read_as_their_text():
    """A register built in memory may hold numbers and missing values: they read as text and as empty."""
    table = pd.DataFrame({"record_id": [1, 2], "legal_basis": ["consent", " statute: X "], "purpose": ["linkage"] * 2,
                          "recipients": ["*"] * 2, "data_classes": ["identity"] * 2, "valid_from": ["2024-01-01"] * 2,
                          "valid_until": [np.nan, None], "status": ["Accepted", "accepted"]})
    reg = parse_register(table)
    assert reg.table["record_id"].tolist() == ["1", "2"]
    assert reg.table["legal_basis"].tolist() == ["consent", "statute:X"]
    assert reg.table["valid_until"].isna().all() and reg.table["status"].tolist() == ["accepted"] * 2
    assert linkage_basis_mask(reg, ["1", "2", "3"], dt.date(2025, 1, 1)).tolist() == [True, True, False]


def test_recorded_column_is_optional():
    reg = parse_register(table(row(), columns=REGISTER_COLUMNS[:-1]))
    assert reg.grants("r1")[0].recorded is None


def test_register_from_grants_validates_like_a_file():
    good = Grant(record_id="r1", legal_basis="consent", purpose=LINKAGE, recipients=(ANY,), data_classes=(ANY,),
                 valid_from=JAN1, valid_until=None, status=Status.ACCEPTED, row_number=99)
    reg = register_from_grants([good, good])
    assert [g.row_number for g in reg.grants("r1")] == [2, 3]
    with pytest.raises(ConsentError) as info:
        register_from_grants([good, Grant(record_id=CANARY, legal_basis="consent", purpose="integration",
                                          recipients=(ANY,), data_classes=("identity",), valid_from=DEC31,
                                          valid_until=JAN1, status=Status.ACCEPTED)])
    assert [p.split(":")[0] for p in info.value.problems] == ["row 3, column recipients", "row 3, column valid_until"]
    assert CANARY not in str(info.value)


def test_no_record_id_in_reprs():
    reg = register(row(record_id=CANARY))
    assert CANARY not in repr(reg) and CANARY not in repr(reg.grants(CANARY))


def test_an_empty_register_refuses_everything():
    reg = register()
    assert len(reg) == 0 and not may(reg) and not linkage_basis(reg, "r1", MID)
    assert linkage_basis_mask(reg, ["r1", "r2"], MID).tolist() == [False, False]
    assert scopes_column(reg, ["r1", "r2"], MID).to_pylist() == [[], []]
    assert counts(reg, at=MID).records_with_linkage_basis == 0


# ----------------------------------------------------------------------------------- reader

HEADER_LINE = ",".join(REGISTER_COLUMNS)
GOOD_LINE = "r1,consent,integration,jobcentre;ba,identity,2024-01-01,,accepted,"


def write(tmp_path: Path, text: str | bytes, name: str = "consent.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def read_problems(path: Path, **kwargs) -> tuple[str, ...]:
    with pytest.raises(ConsentError) as info:
        io.read_consent_register(path, **kwargs)
    assert CANARY not in str(info.value)
    assert str(path) in str(info.value)
    return getattr(info.value, "problems", ())


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("given", [False, True])
def test_reader_delimiters(tmp_path, delimiter, given):
    text = "\r\n".join(delimiter.join(f'"{c}"' if ";" in c and delimiter == ";" else c for c in line.split(","))
                       for line in [HEADER_LINE, GOOD_LINE, "r2,Statute:AufenthG,linkage,*,*,2024-01-01,,accepted,"])
    reg = io.read_consent_register(write(tmp_path, text + "\r\n"), **({"delimiter": delimiter} if given else {}))
    assert reg.grants("r1")[0].recipients == ("ba", "jobcentre")
    assert reg.grants("r2")[0].legal_basis == "statute:AufenthG"
    assert may(reg) and linkage_basis(reg, "r2", MID)


def test_reader_accepts_a_byte_order_mark(tmp_path):
    reg = io.read_consent_register(write(tmp_path, b"\xef\xbb\xbf" + f"{HEADER_LINE}\n{GOOD_LINE}\n".encode()))
    assert len(reg) == 1 and may(reg)


def test_reader_header_only_is_an_empty_register(tmp_path):
    assert len(io.read_consent_register(write(tmp_path, HEADER_LINE + "\n"))) == 0


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "is empty"),
    (b" \r\n\n  \n", "is empty"),
    (f"{HEADER_LINE}\n{CANARY}\xfc,consent".encode("latin-1"), "is not valid UTF-8 (first bad byte at offset"),
    (f"{HEADER_LINE}\n{CANARY},consent\n".encode("utf-16"), "is not valid UTF-8"),
    (f"{HEADER_LINE}\n{CANARY},consent\n".encode("utf-16-le"), "contains NUL bytes (first on line 1)"),
    (f'{HEADER_LINE}\n{CANARY},"consent,x,y,z,a,b,c,d\n'.encode(), "is not readable as CSV"),
    (f'{HEADER_LINE}\n{CANARY},"consent"x,integration,ba,identity,2024-01-01,,accepted,\n'.encode(),
     "is not readable as CSV"),
])
def test_reader_refuses_unreadable_files(tmp_path, content, fragment):
    path = write(tmp_path, content)
    with pytest.raises(ConsentError) as info:
        io.read_consent_register(path)
    assert fragment in str(info.value) and str(path) in str(info.value)
    assert CANARY not in str(info.value)


def test_reader_not_utf8_names_the_line(tmp_path):
    path = write(tmp_path, f"{HEADER_LINE}\n{GOOD_LINE}\n{CANARY}\xfc,x\n".encode("latin-1"))
    with pytest.raises(ConsentError, match=r"line 3\)"):
        io.read_consent_register(path)


def test_reader_missing_file_and_bad_delimiter(tmp_path):
    with pytest.raises(ConsentError, match="does not exist"):
        io.read_consent_register(tmp_path / "nope.csv")
    with pytest.raises(ConsentError, match="delimiter"):
        io.read_consent_register(write(tmp_path, HEADER_LINE), delimiter="|")


def test_reader_reports_wrong_field_counts_with_cell_problems(tmp_path):
    path = write(tmp_path, "\n".join([
        HEADER_LINE, GOOD_LINE,
        f"{CANARY},consent,integration,ba",                          # row 3: too few fields
        f"{CANARY},consent,integration,ba,identity,2024-01-01,,accepted,,extra",  # row 4: too many
        f"{CANARY},consent,Integration,ba,identity,2024-01-01,,accepted,",        # row 5: a bad cell
    ]))
    assert read_problems(path) == ("row 3: does not have the header's number of fields",
                                   "row 4: does not have the header's number of fields",
                                   "row 5, column purpose: must be an identifier ([a-z][a-z0-9_]*)")


def test_reader_row_numbers_count_blank_rows_and_records_not_lines(tmp_path):
    path = write(tmp_path, "\n".join([
        "", HEADER_LINE,                                              # rows 1, 2
        GOOD_LINE, "", ",,,,,,,,", ";;",                              # rows 3-6: blank ones are skipped
        f'"{CANARY}\nsecond line",consent,integration,ba,identity,2024-01-01,,accepted,',  # row 7, two lines
        f"{CANARY},consent,integration,ba,identity,2024-01-01,,granted,",  # row 8
    ]))
    listed = read_problems(path)
    assert listed == ("row 6: does not have the header's number of fields",
                      "row 8, column status: must be one of accepted, declined, withdrawn, expired, unknown")


@pytest.mark.parametrize(("header", "expected"), [
    (HEADER_LINE.replace(",status", ""), ["header: the required column status is missing"]),
    (HEADER_LINE + ",purpose", ["header, column purpose: appears twice"]),
    (HEADER_LINE + ",notes", ["header, column 10: is not a register column"]),
    (HEADER_LINE.upper().replace(",", " , "), []),
])
def test_reader_header_columns(tmp_path, header, expected):
    fields = len(header.split(","))
    line = ",".join([CANARY, "consent", "integration", "ba", "identity", "2024-01-01", "", "accepted", "", ""][:fields])
    path = write(tmp_path, f"{header}\n{line}\n")
    if not expected:
        assert len(io.read_consent_register(path)) == 1
        return
    listed = read_problems(path)
    assert [p[: len(e)] for p, e in zip(listed, expected)] == expected and len(listed) == len(expected)


# ------------------------------------------------------------------------- fail-closed allows


@pytest.fixture(scope="module")
def base() -> ConsentRegister:
    return register(row(), row(record_id="r2", purpose=LINKAGE, recipients="*", data_classes="*", valid_until=""))


@pytest.mark.parametrize(("flow", "expected"), [
    ({}, True),
    ({"recipient": "ba", "data_class": "language"}, True),
    ({"at": JAN1}, True),                                   # validity is inclusive at both ends
    ({"at": DEC31}, True),
    ({"at": dt.datetime(2024, 12, 31, 23, 59)}, True),      # a datetime counts by its day
    ({"record_id": "r9"}, False),                           # no row
    ({"record_id": "R1"}, False),
    ({"purpose": "research"}, False),                       # another purpose
    ({"purpose": LINKAGE}, False),
    ({"recipient": "lra"}, False),                          # another recipient
    ({"recipient": ANY}, False),                            # asking for "anyone" is not "someone named"
    ({"data_class": "residence"}, False),                   # another class
    ({"data_class": ANY}, False),
    ({"at": D(2023, 12, 31)}, False),                       # before / after the validity
    ({"at": D(2025, 1, 1)}, False),
    ({"record_id": "r2", "purpose": LINKAGE, "recipient": "lra", "data_class": "residence"}, True),  # '*' rules
    ({"record_id": "r2", "purpose": LINKAGE, "recipient": ANY, "data_class": ANY}, True),
    ({"record_id": "r2", "purpose": LINKAGE, "at": D(2099, 1, 1)}, True),  # open-ended
    ({"record_id": "r2", "purpose": LINKAGE, "at": D(2023, 12, 31)}, False),
    ({"record_id": "r2"}, False),                           # '*' for linkage gives nothing for other purposes
])
def test_allows_only_what_is_granted(base, flow, expected):
    assert may(base, **flow) is expected


@pytest.mark.parametrize("status", [s for s in Status if s != Status.ACCEPTED])
@pytest.mark.parametrize("spelling", [str.capitalize, str.upper])
def test_every_other_status_refuses(status, spelling):
    cell = spelling(status.value)
    reg = register(row(status=cell), row(record_id="r2", purpose=LINKAGE, recipients="*", data_classes="*",
                                         status=cell, legal_basis="statute:SGB X §69"))
    assert not may(reg) and not may(reg, "r2", purpose=LINKAGE)
    assert not linkage_basis(reg, "r2", MID) and not linkage_basis_mask(reg, ["r2"], MID).any()
    assert scopes(reg, "r1", MID) == [] and scopes_column(reg, ["r1", "r2"], MID).to_pylist() == [[], []]


def test_class_star_grants_every_class_to_the_named_recipients():
    reg = register(row(data_classes="*"))
    assert may(reg, data_class="residence") and may(reg, data_class=ANY) and not may(reg, recipient="lra")


def test_masks_are_aligned_with_the_ids(base):
    ids = np.array(["r2", "r9", "r1", "r1", "r2"], dtype=object)
    for given_ids in (ids, list(ids), pd.Series(ids, index=[5, 4, 3, 2, 1])):
        assert allows_mask(base, given_ids, recipient="ba", purpose=LINKAGE, data_class="identity",
                           at=MID).tolist() == [True, False, False, False, True]
        assert allows_mask(base, given_ids, recipient="ba", purpose="integration", data_class="identity",
                           at=MID).tolist() == [False, False, True, True, False]
        mask = linkage_basis_mask(base, given_ids, MID)
        assert mask.dtype == np.bool_ and mask.tolist() == [True, False, False, False, True]
    assert allows_mask(base, [], recipient="ba", purpose=LINKAGE, data_class="identity", at=MID).shape == (0,)


# ---------------------------------------------------------------------------- override rule

W = {"status": "withdrawn"}

#: (rows of record r1 in file order, flows asked as (recipient, purpose, class), expected answers).
OVERRIDES = [
    ("withdrawal cancels the earlier acceptance", [row(), row(**W)],
     [("jobcentre", "integration", "identity")], [False]),
    ("withdrawal for one recipient keeps the other", [row(), row(recipients="ba", **W)],
     [("jobcentre", "integration", "identity"), ("ba", "integration", "identity")], [True, False]),
    ("withdrawal cancels every class, whatever its own", [row(), row(data_classes="residence", **W)],
     [("jobcentre", "integration", "identity"), ("jobcentre", "integration", "language")], [False, False]),
    ("withdrawal cancels whatever its validity", [row(), row(valid_from="2030-01-01", valid_until="2030-01-02", **W)],
     [("jobcentre", "integration", "identity")], [False]),
    ("withdrawal for another purpose does not cancel", [row(), row(purpose="research", **W)],
     [("jobcentre", "integration", "identity")], [True]),
    ("earlier withdrawal does not cancel", [row(**W), row()],
     [("jobcentre", "integration", "identity")], [True]),
    ("later acceptance grants again", [row(), row(**W), row(recipients="jobcentre", data_classes="identity")],
     [("jobcentre", "integration", "identity"), ("jobcentre", "integration", "language"),
      ("ba", "integration", "identity")], [True, False, False]),
    ("declined cancels", [row(), row(status="declined")], [("ba", "integration", "identity")], [False]),
    ("expired cancels", [row(), row(status="expired")], [("ba", "integration", "identity")], [False]),
    ("unknown cancels", [row(), row(status="unknown")], [("ba", "integration", "identity")], [False]),
    ("withdrawal of * cancels every recipient", [row(), row(recipients="*", **W)],
     [("jobcentre", "integration", "identity"), ("ba", "integration", "language")], [False, False]),
    ("any later refusal cancels an accepted *",
     [row(purpose=LINKAGE, recipients="*", data_classes="*"), row(purpose=LINKAGE, recipients="lra", **W)],
     [("jobcentre", LINKAGE, "identity"), ("lra", LINKAGE, "identity")], [False, False]),
    ("a named linkage grant survives the cancelled *",
     [row(purpose=LINKAGE, recipients="*", data_classes="*"), row(purpose=LINKAGE, recipients="lra", **W),
      row(purpose=LINKAGE, recipients="jobcentre", data_classes="identity")],
     [("jobcentre", LINKAGE, "identity"), ("lra", LINKAGE, "identity")], [True, False]),
    ("statute acceptance is cancelled too", [row(legal_basis="statute:SGB X §69"), row(**W)],
     [("ba", "integration", "identity")], [False]),
    ("recorded date: the withdrawal is later although higher up",
     [row(recorded="2024-05-01", **W), row(recorded="2024-03-01")], [("ba", "integration", "identity")], [False]),
    ("recorded date: the acceptance is later although higher up",
     [row(recorded="2024-05-01"), row(recorded="2024-03-01", **W)], [("ba", "integration", "identity")], [True]),
    ("same recorded date: row order decides",
     [row(recorded="2024-05-01", **W), row(recorded="2024-05-01")], [("ba", "integration", "identity")], [True]),
    ("same recorded date: row order decides (other way)",
     [row(recorded="2024-05-01"), row(recorded="2024-05-01", **W)], [("ba", "integration", "identity")], [False]),
    ("one recorded date missing: row order decides",
     [row(recorded="2024-05-01", **W), row()], [("ba", "integration", "identity")], [True]),
    ("one recorded date missing: row order decides (other way)",
     [row(), row(recorded="2020-01-01", **W)], [("ba", "integration", "identity")], [False]),
]


@pytest.mark.parametrize(("rows", "flows", "expected"), [c[1:] for c in OVERRIDES], ids=[c[0] for c in OVERRIDES])
def test_override_rule(rows, flows, expected):
    other = row(record_id="r0", **W), row(record_id="r2", recipients="*", **W)  # other records' rows do not count
    reg = register(other[0], *rows, other[1])
    assert [may(reg, recipient=r, purpose=p, data_class=c) for r, p, c in flows] == expected
    linkage = any(e for (_, p, _), e in zip(flows, expected) if p == LINKAGE)
    assert linkage_basis(reg, "r1", MID) is linkage
    assert linkage_basis_mask(reg, ["r1"], MID).tolist() == [linkage]


def test_row_order_is_the_file_order_not_the_order_given():
    rows = table(row(), row(**W))
    assert not may(parse_register(rows, [2, 3]))
    assert may(parse_register(rows, [3, 2]))


# ----------------------------------------------------------------------------- linkage basis


@pytest.mark.parametrize(("rows", "expected"), [
    ([row(purpose=LINKAGE, recipients="*", data_classes="*")], True),
    ([row(purpose=LINKAGE, legal_basis="statute:SGB X §68")], True),
    ([row(purpose=LINKAGE, legal_basis="statute:SGB X §68", status="unknown")], False),  # not determined
    ([row(purpose=LINKAGE, legal_basis="statute:SGB X §68", status="declined")], False),
    ([row(purpose=LINKAGE), row(purpose=LINKAGE, recipients="*", **W)], False),
    ([row(purpose=LINKAGE), row(purpose=LINKAGE, recipients="ba", **W)], True),  # jobcentre stands
    ([row()], False),                                                           # no linkage purpose
    ([row(purpose=LINKAGE, valid_from="2025-01-01", valid_until="")], False),     # not yet valid
    ([row(purpose=LINKAGE, valid_until="2024-06-14")], False),                  # no longer valid
])
def test_linkage_basis(rows, expected):
    reg = register(*rows)
    assert linkage_basis(reg, "r1", MID) is expected
    assert linkage_basis_mask(reg, ["r1", "r9"], MID).tolist() == [expected, False]
    assert counts(reg, at=MID).records_with_linkage_basis == int(expected)


# ------------------------------------------------------------------------------------ scopes


def scope(recipient: str, classes: Sequence[str], *, purpose: str = "integration", basis: str = "consent",
          valid_from: dt.date = JAN1, valid_until: dt.date | None = DEC31) -> Scope:
    return Scope(recipient=recipient, purpose=purpose, data_classes=tuple(classes), legal_basis=basis,
                 valid_from=valid_from, valid_until=valid_until)


@pytest.mark.parametrize(("rows", "expected"), [
    ([row(recipients="ba", data_classes="identity"), row(recipients="ba;jobcentre", data_classes="language")],
     [scope("ba", ["identity", "language"]), scope("jobcentre", ["language"])]),           # same validity merges
    ([row(recipients="ba"), row(recipients="ba", data_classes="residence", valid_until="2025-06-30")],
     [scope("ba", ["identity", "language"]), scope("ba", ["residence"], valid_until=D(2025, 6, 30))]),
    ([row(recipients="ba"), row(recipients="ba", legal_basis="statute:AufenthG §87", data_classes="residence")],
     [scope("ba", ["identity", "language"]), scope("ba", ["residence"], basis="statute:AufenthG §87")]),
    ([row(recipients="ba"), row(recipients="ba", data_classes="*")], [scope("ba", ["*"])]),  # '*' absorbs
    ([row(recipients="ba", valid_until="2024-06-14")], []),                                # no longer valid
    ([row(recipients="ba", valid_until="2024-06-15")], [scope("ba", ["identity", "language"],
                                                              valid_until=MID)]),
    ([row(recipients="ba", valid_from="2025-01-01", valid_until="")],                      # valid later: listed
     [scope("ba", ["identity", "language"], valid_from=D(2025, 1, 1), valid_until=None)]),
    ([row(), row(recipients="jobcentre", **W)], [scope("ba", ["identity", "language"])]),  # in force only
    ([row(status="declined")], []),
    ([row(purpose=LINKAGE, recipients="*", data_classes="*", valid_until="")],
     [scope(ANY, [ANY], purpose=LINKAGE, valid_until=None)]),
])
def test_scopes_merge(rows, expected):
    reg = register(*rows)
    assert scopes(reg, "r1", MID) == expected
    column = scopes_column(reg, ["r1", "r9", "r1"], MID)
    assert column.type == pa.list_(SCOPE_TYPE)
    mine = [s.to_arrow() for s in expected]
    assert column.to_pylist() == [mine, [], mine]


def test_scopes_are_sorted_and_arrow_shaped():
    reg = register(row(recipients="jobcentre", purpose="research", valid_from="2024-02-01"),
                   row(recipients="ba;jobcentre", valid_from="2024-03-01", valid_until=""),
                   row(recipients="jobcentre", valid_from="2024-02-01"))
    got = scopes(reg, "r1", dt.datetime(2024, 6, 15, 12))
    assert [(s.recipient, s.purpose, s.valid_from) for s in got] == [
        ("ba", "integration", D(2024, 3, 1)), ("jobcentre", "integration", D(2024, 2, 1)),
        ("jobcentre", "integration", D(2024, 3, 1)), ("jobcentre", "research", D(2024, 2, 1))]
    assert got[0].to_arrow() == {"recipient": "ba", "purpose": "integration", "data_classes": ["identity", "language"],
                                 "legal_basis": "consent", "valid_from": "2024-03-01", "valid_until": None}
    assert scopes_column(reg, ["r1"], MID).to_pylist() == [[s.to_arrow() for s in got]]


# ------------------------------------------------------------------------------------ counts


def test_counts():
    reg = register(row(), row(**W), row(record_id="r2", purpose=LINKAGE, recipients="*", data_classes="*"),
                   row(record_id="r3", purpose=LINKAGE, legal_basis="statute:SGB X §68", status="Unknown"),
                   row(record_id="r3", legal_basis="statute:SGB X §68"))
    got = counts(reg)
    assert (got.grants, got.records, got.records_with_linkage_basis) == (5, 3, None)
    assert got.by_status == {"accepted": 3, "declined": 0, "withdrawn": 1, "expired": 0, "unknown": 1}
    zero = dict.fromkeys(Status, 0)
    assert got.by_purpose == {"integration": zero | {"accepted": 2, "withdrawn": 1},
                              LINKAGE: zero | {"accepted": 1, "unknown": 1}}
    assert got.by_basis == {"consent": 3, "statute": 2}
    assert counts(reg, at=MID).records_with_linkage_basis == 1
    assert counts(reg, at=D(2025, 1, 1)).records_with_linkage_basis == 0


# ------------------------------------------------------------- properties: vectorised = reference

IDS = ["r1", "r2", "r3"]
RECIPIENTS = ["ba", "jobcentre", "lra"]
PURPOSES = [LINKAGE, "integration"]
CLASSES = ["identity", "language"]
DAY0 = D(2024, 1, 1)
#: Few validity windows (days after DAY0; None = open), so that rows often share one and merge.
WINDOWS = [(0, None), (0, 4), (3, 7), (5, 5), (6, None), (2, 9)]
ONE_DAY = dt.timedelta(days=1)


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def _names(values: Sequence[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.one_of(st.just((ANY,)), st.lists(st.sampled_from(values), min_size=1, max_size=len(values),
                                                unique=True).map(tuple))


@st.composite
def grants(draw) -> Grant:
    status = draw(st.one_of(st.just(Status.ACCEPTED), st.sampled_from(list(Status))))  # accepted ~60 %
    purpose = draw(st.sampled_from(PURPOSES))
    recipients = draw(_names(RECIPIENTS))
    if recipients == (ANY,) and status == Status.ACCEPTED and purpose != LINKAGE:
        recipients = tuple(draw(st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=2, unique=True)))
    start, until = draw(st.sampled_from(WINDOWS))
    return Grant(record_id=draw(st.sampled_from(IDS)), legal_basis=draw(st.sampled_from(["consent", "statute:SGB X"])),
                 purpose=purpose, recipients=recipients, data_classes=draw(_names(CLASSES)), valid_from=day(start),
                 valid_until=None if until is None else day(until), status=status,
                 recorded=draw(st.one_of(st.none(), st.integers(0, 3).map(day))))


@st.composite
def registers(draw) -> list[Grant]:
    """Random rows, then near-copies of some of them inserted anywhere (one cell changed), so that
    rows often meet in the override rule and in the merge of scopes."""
    rows = draw(st.lists(grants(), max_size=7))
    for _ in range(draw(st.integers(0, 3)) if rows else 0):
        g = draw(st.sampled_from(rows))
        cell = draw(st.sampled_from(["data_classes", "legal_basis", "valid_until", "status", "recorded"]))
        if cell == "data_classes":
            value: object = draw(_names(CLASSES))
        elif cell == "legal_basis":
            value = "consent" if g.legal_basis != "consent" else "statute:SGB X"
        elif cell == "valid_until":
            value = draw(st.one_of(st.none(), st.integers(0, 3).map(lambda n: g.valid_from + n * ONE_DAY)))
        elif cell == "status":
            blanket = g.recipients == (ANY,) and g.purpose != LINKAGE
            value = draw(st.sampled_from([s for s in Status if not (blanket and s == Status.ACCEPTED)]))
        else:
            value = draw(st.one_of(st.none(), st.integers(0, 3).map(day)))
        rows.insert(draw(st.integers(0, len(rows))), dataclasses.replace(g, **{cell: value}))
    return rows


def edges(rows: Sequence[Grant]) -> st.SearchStrategy[dt.date]:
    """Days at and next to the validity bounds of the accepted rows (where off-by-one errors show;
    the validity of other rows does not matter)."""
    accepted = [g for g in rows if g.status == Status.ACCEPTED]
    bounds = {day(-1)} | {d for g in accepted for d in (g.valid_from - ONE_DAY, g.valid_from)}
    bounds |= {d for g in accepted if g.valid_until is not None for d in (g.valid_until, g.valid_until + ONE_DAY)}
    return st.sampled_from(sorted(bounds))


def contract_allows(rows: Sequence[Grant], record_id: str, recipient: str, purpose: str, data_class: str,
                    at: dt.date) -> bool:
    """The module docstring's rule in its own words, over grants in file order (row i + 2)."""
    def later(i: int, j: int) -> bool:  # is row i later than row j?
        ri, rj = rows[i].recorded, rows[j].recorded
        return ri > rj if ri is not None and rj is not None and ri != rj else i > j

    for j, g in enumerate(rows):
        if not (g.record_id == record_id and g.status == Status.ACCEPTED and g.purpose == purpose
                and g.valid_at(at) and (data_class in g.data_classes or ANY in g.data_classes)
                and (recipient in g.recipients or ANY in g.recipients)):
            continue
        cancelled = any(n.record_id == record_id and n.status != Status.ACCEPTED and n.purpose == purpose
                        and later(i, j) and (ANY in n.recipients or ANY in g.recipients or recipient in n.recipients)
                        for i, n in enumerate(rows))
        if not cancelled:
            return True
    return False


@settings(max_examples=60, deadline=None)
@given(rows=registers(), data=st.data())
def test_property_masks_agree_with_the_reference_and_the_contract(rows, data):
    reg = register_from_grants(rows)
    days = data.draw(st.lists(edges(rows), min_size=1, max_size=3, unique=True), label="days")
    ids = np.array([*IDS, "r9", "r1"], dtype=object)
    for at in days:
        for recipient in [*RECIPIENTS, ANY]:
            for purpose in PURPOSES:
                for data_class in [*CLASSES, ANY]:
                    flow = {"recipient": recipient, "purpose": purpose, "data_class": data_class, "at": at}
                    expected = [allows(reg, r, **flow) for r in ids]
                    assert allows_mask(reg, ids, **flow).tolist() == expected, flow
                    assert expected == [contract_allows(rows, r, recipient, purpose, data_class, at) for r in ids]
        basis = [linkage_basis(reg, r, at) for r in ids]
        assert linkage_basis_mask(reg, ids, at).tolist() == basis
        assert basis == [any(contract_allows(rows, r, p, LINKAGE, c, at) for p in [*RECIPIENTS, ANY]
                             for c in [*CLASSES, ANY]) for r in ids]
        assert counts(reg, at=at).records_with_linkage_basis == sum(basis[:3])


@settings(max_examples=80, deadline=None)
@given(rows=registers(), data=st.data())
def test_property_scopes_column_agrees_and_every_scope_traces_to_a_valid_grant(rows, data):
    reg = register_from_grants(rows)
    for at in data.draw(st.lists(edges(rows), min_size=1, max_size=2, unique=True), label="days"):
        check_scopes(reg, rows, at)


def check_scopes(reg: ConsentRegister, rows: Sequence[Grant], at: dt.date) -> None:
    ids = [*IDS, "r9", "r2"]
    listed = {r: scopes(reg, r, at) for r in ids}
    assert scopes_column(reg, ids, at).to_pylist() == [[s.to_arrow() for s in listed[r]] for r in ids]
    for record_id, found in listed.items():
        assert found == sorted(found, key=lambda s: (s.recipient, s.purpose, s.valid_from,
                                                     s.valid_until or dt.date.max, s.legal_basis))
        for s in found:
            assert s.valid_until is None or s.valid_until >= at
            when = max(at, s.valid_from)
            for data_class in s.data_classes:  # trace: each listed class is allowed within the validity
                assert allows(reg, record_id, recipient=s.recipient, purpose=s.purpose, data_class=data_class, at=when)
                assert contract_allows(rows, record_id, s.recipient, s.purpose, data_class, when)
        for recipient in RECIPIENTS:  # and nothing allowed at `at` is missing from the scopes
            for purpose in PURPOSES:
                for data_class in CLASSES:
                    if allows(reg, record_id, recipient=recipient, purpose=purpose, data_class=data_class, at=at):
                        assert any(s.recipient in (recipient, ANY) and s.purpose == purpose
                                   and (data_class in s.data_classes or ANY in s.data_classes)
                                   and s.valid_from <= at for s in found)


@settings(max_examples=40, deadline=None)
@given(rows=registers())
def test_property_grants_round_trip(rows):
    reg = register_from_grants(rows)
    for record_id in IDS:
        mine = [(i + 2, g) for i, g in enumerate(rows) if g.record_id == record_id]
        back = reg.grants(record_id)
        assert [g.row_number for g in back] == [n for n, _ in mine]
        for got, (n, g) in zip(back, mine):
            assert got == Grant(record_id=g.record_id, legal_basis=g.legal_basis, purpose=g.purpose,
                                recipients=tuple(sorted(g.recipients)), data_classes=tuple(sorted(g.data_classes)),
                                valid_from=g.valid_from, valid_until=g.valid_until, status=g.status,
                                recorded=g.recorded, row_number=n)


def test_example_register_in_configs_reads_and_means_what_it_says():
    """configs/consent/jobcentre.example.csv: one record of each kind (README, Consent-scoped view)."""
    import datetime as _dt
    from pathlib import Path as _Path

    from linkage.consent import allows, linkage_basis
    from linkage.io import read_consent_register

    reg = read_consent_register(_Path(__file__).resolve().parents[1] / "configs" / "consent" / "jobcentre.example.csv")
    day = _dt.date(2026, 1, 15)
    assert [linkage_basis(reg, f"962D01000{i}", day) for i in range(1, 6)] == [True, True, True, True, False]
    may = {i: allows(reg, f"962D01000{i}", recipient=r, purpose="integration_support", data_class=c, at=day)
           for i, r, c in [(1, "course_provider", "language"), (2, "course_provider", "identity"),
                           (3, "employment_agency", "identity"), (4, "coordination_office", "identity")]}
    assert may == {1: True, 2: False, 3: False, 4: False}  # granted; withdrawn; expired; declined
