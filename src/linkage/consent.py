"""The consent register: which record may flow to which recipient, for which purpose, and when.

Contract
--------
An agency keeps one register (CSV, UTF-8, header; read by :func:`linkage.io.read_consent_register`)
with one row per *grant*. Columns (``recorded`` optional, every other one required, no others):

================  ==============================================================================
``record_id``     the agency's local id, as in its export's id column (surrounding blanks ignored)
``legal_basis``   ``consent`` or ``statute:<name>`` (e.g. ``statute:SGB X §69``)
``purpose``       identifier (``[a-z][a-z0-9_]*``), e.g. ``linkage``, ``integration_support``
``recipients``    ``;``-separated recipient names, or ``*`` (any recipient). A name follows
                  :func:`linkage.seal.check_recipient_name`: a lower-case identifier
                  (``[a-z][a-z0-9_]{0,39}``). ``*`` stands alone and, on an ``accepted`` row, only
                  for purpose ``linkage`` (SGB X § 67b forbids blanket consent); a withdrawal or
                  refusal may always name ``*``
``data_classes``  ``;``-separated identifiers (``identity``, ``language``, ``residence``, ...) or ``*``
                  (alone); in both lists blanks around entries are ignored and repeats merge
``valid_from``    ISO date ``YYYY-MM-DD``
``valid_until``   ISO date, inclusive; empty = open-ended; not before ``valid_from``
``status``        ``accepted``, ``declined``, ``withdrawn``, ``expired`` or ``unknown`` (any case)
``recorded``      ISO date the row was captured, or empty
================  ==============================================================================

For a statute the status says whether the agency has determined that it applies (``accepted``)
or not. :func:`parse_register` checks every cell and raises one :class:`ConsentError` whose
``problems`` list every ``row N, column C: rule`` (header = row 1); no message repeats a cell.

Evaluation (fail closed; gICS states, domain brief section 6)
-------------------------------------------------------------
A *flow* is (record, recipient, purpose, data class) at a date ``at``. It is allowed only if an
``accepted`` row of that record has the same purpose, lists the recipient (or ``*``), covers the
data class (or ``*``), has ``valid_from <= at <= valid_until`` and is *in force* for that
recipient. Anything else is refused: no row, another purpose, recipient or class, outside the
validity, and every status but ``accepted``.

*Override rule.* Every non-accepted row (``withdrawn``, ``declined``, and also ``expired`` and
``unknown``: fail closed) cancels, for its record, purpose and recipients, each ``accepted`` row
it is *later* than, whatever the dates of validity and for every data class. A later ``accepted``
row grants again. Row N is later than row A when both carry ``recorded`` dates that differ and
N's is later, otherwise (same or missing date) when N comes further down the file. A withdrawal
naming ``*`` cancels every recipient; an ``accepted`` row for ``*`` (linkage only) is cancelled by
any later non-accepted row of its record and purpose, since "everyone but X" cannot be listed.

:func:`linkage_basis` asks whether some flow of purpose ``linkage`` is allowed at ``at``;
:func:`scopes` lists, per recipient and purpose, the data classes and validity of the accepted
rows in force that are valid at ``at`` or later (rows with the same basis and validity merge), in
the shape of :data:`linkage.encoded.SCOPE_TYPE`. The ``*_mask`` and :func:`scopes_column`
variants answer for many records at once with numpy/pandas (no per-record Python); the scalar
functions are the plain reference they are tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa

from . import _consent_eval
from ._consent_parse import Cells, grant_tables, identifiers, parse_dates, parse_list, recipient_names
from .errors import ConsentError

__all__ = [
    "Status", "Grant", "Scope", "ConsentRegister", "RegisterCounts", "REGISTER_COLUMNS",
    "REQUIRED_COLUMNS", "ANY", "LINKAGE", "parse_register", "register_from_grants", "allows",
    "allows_mask", "linkage_basis", "linkage_basis_mask", "scopes", "scopes_column", "evaluate", "counts",
]

ANY = "*"
LINKAGE = "linkage"
REGISTER_COLUMNS = ("record_id", "legal_basis", "purpose", "recipients", "data_classes", "valid_from",
                    "valid_until", "status", "recorded")
REQUIRED_COLUMNS = REGISTER_COLUMNS[:-1]
_IDENTIFIER = r"[a-z][a-z0-9_]*"
_MAX_LISTED = 100


class Status(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """One register row. ``recipients``/``data_classes`` are ``("*",)`` for any; ``valid_until``
    None is open-ended. The record id is left out of the repr (it identifies a person)."""

    record_id: str = field(repr=False)
    legal_basis: str
    purpose: str
    recipients: tuple[str, ...]
    data_classes: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    status: Status
    recorded: date | None = None
    row_number: int = 0

    @property
    def basis(self) -> Literal["consent", "statute"]:
        return "statute" if self.legal_basis.startswith("statute:") else "consent"

    def valid_at(self, at: date) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at <= self.valid_until)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """What one recipient may receive for one purpose, and from when until when."""

    recipient: str
    purpose: str
    data_classes: tuple[str, ...]
    legal_basis: str
    valid_from: date
    valid_until: date | None

    def to_arrow(self) -> dict[str, object]:
        """The scope as a value of :data:`linkage.encoded.SCOPE_TYPE` (ISO dates, None = open)."""
        return {"recipient": self.recipient, "purpose": self.purpose, "data_classes": list(self.data_classes),
                "legal_basis": self.legal_basis, "valid_from": self.valid_from.isoformat(),
                "valid_until": None if self.valid_until is None else self.valid_until.isoformat()}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ConsentRegister:
    """A validated register; build it with :func:`parse_register` or :func:`register_from_grants`.

    ``table``: one row per grant, sorted by (record_id, row_number); string columns as in the file
    (lists canonical: sorted, ``;``-joined), ``status`` lower case, dates ``datetime64`` (NaT =
    empty), ``row_number``. ``in_force``: (grant, recipient) per accepted row and recipient not
    cancelled by the override rule (``grant`` = position in ``table``). ``classes``: (grant,
    data_class) per accepted row. ``index``: all of it as integer codes
    (:class:`linkage._consent_eval.GrantIndex`), what the vectorised evaluation reads.
    """

    source: str
    table: pd.DataFrame = field(repr=False)  # holds record ids: never in a repr
    in_force: pd.DataFrame = field(repr=False)
    classes: pd.DataFrame = field(repr=False)
    index: _consent_eval.GrantIndex = field(repr=False)  # the same as integer codes, for evaluation

    def __len__(self) -> int:
        return len(self.table)

    @property
    def record_ids(self) -> np.ndarray:
        return pd.unique(self.table["record_id"].to_numpy())

    def grants(self, record_id: str) -> tuple[Grant, ...]:
        """The rows of one record in file order (empty when the record has none)."""
        t, record_id = self.table, str(record_id)
        keys = t["record_id"].to_numpy()
        lo, hi = (int(np.searchsorted(keys, record_id, side)) for side in ("left", "right"))

        def cells(name: str) -> np.ndarray:  # the table is sorted by (record_id, row_number)
            values = t[name].to_numpy()[lo:hi]
            return values.astype("datetime64[D]").astype(object) if values.dtype.kind == "M" else values  # NaT: None

        return tuple(Grant(record_id=record_id, legal_basis=basis, purpose=purpose, recipients=tuple(rec.split(";")),
                           data_classes=tuple(cls.split(";")), valid_from=start, valid_until=until,
                           status=Status(status), recorded=recorded, row_number=int(number))
                     for basis, purpose, rec, cls, start, until, status, recorded, number
                     in zip(*map(cells, REGISTER_COLUMNS[1:]), cells("row_number")))


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterCounts:
    """Numbers only: grants by status, by purpose and status, by kind of legal basis."""

    grants: int
    records: int
    by_status: dict[str, int]
    by_purpose: dict[str, dict[str, int]]
    by_basis: dict[str, int]
    records_with_linkage_basis: int | None  # at the date given to counts(), else None


# ------------------------------------------------------------------------------------ parsing


def parse_register(table: pd.DataFrame, row_numbers: Sequence[int] | np.ndarray | None = None, *,
                   source: str = "consent register", malformed_rows: Sequence[int] = ()) -> ConsentRegister:
    """Validate a register given as strings (one row per grant) and build the register.

    ``row_numbers`` are the rows the agency sees (default 2, 3, ...); ``malformed_rows`` are rows
    the reader could not split into the header's fields, reported with the other problems.
    """
    numbers = np.arange(2, len(table) + 2) if row_numbers is None else np.asarray(row_numbers, dtype=np.int64)
    header = [str(c).strip().lower() for c in table.columns]
    problems: list[tuple[int, int, str]] = [(int(r), -1, f"row {int(r)}: does not have the header's number of fields")
                                            for r in malformed_rows]
    for i, name in enumerate(header):
        if name not in REGISTER_COLUMNS:
            problems.append((1, i, f"header, column {i + 1}: is not a register column (columns: "
                                   f"{', '.join(REGISTER_COLUMNS)})"))
        elif header.index(name) != i:
            problems.append((1, i, f"header, column {name}: appears twice"))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.append((1, len(header), f"header: the required column {name} is missing"))
    if any(row == 1 for row, _, _ in problems):
        _raise(source, problems)
    cells = {name: Cells.of(table.iloc[:, header.index(name)]) for name in header}
    cells.setdefault("recorded", Cells.empty(len(table)))

    def bad(mask: np.ndarray, column: str, message: str) -> None:
        col = REGISTER_COLUMNS.index(column)
        problems.extend((int(r), col, f"row {int(r)}, column {column}: {message}")
                        for r in numbers[np.asarray(mask, dtype=bool)])

    record_id = cells["record_id"]
    bad(record_id.spread(record_id.texts == ""), "record_id", "is required (the agency's local record id)")
    basis = cells["legal_basis"]
    text = pd.Series(basis.texts, dtype=object)
    statute = text.str.extract(r"^(?i:statute)\s*:\s*(\S.*)$")[0]
    is_consent = (text.str.lower() == "consent").to_numpy()
    bad(basis.spread(text.to_numpy() == ""), "legal_basis", "is required: 'consent' or 'statute:<name of the statute>'")
    bad(basis.spread((text != "").to_numpy() & ~is_consent & statute.isna().to_numpy()), "legal_basis",
        "must be 'consent' or 'statute:<name of the statute>'")
    basis = basis.with_texts(np.where(is_consent, "consent", "statute:" + statute.fillna("")).tolist())
    purpose = cells["purpose"]
    text = pd.Series(purpose.texts, dtype=object)
    bad(purpose.spread(text.to_numpy() == ""), "purpose", "is required")
    bad(purpose.spread((text != "").to_numpy() & ~text.str.fullmatch(_IDENTIFIER).to_numpy(dtype=bool)), "purpose",
        "must be an identifier ([a-z][a-z0-9_]*)")
    status = cells["status"].with_texts(pd.Series(cells["status"].texts, dtype=object).str.lower().tolist())
    bad(status.spread(status.texts == ""), "status", "is required")
    bad(status.spread((status.texts != "") & ~np.isin(status.texts, [s.value for s in Status])), "status",
        f"must be one of {', '.join(Status)}")
    recipients = parse_list(cells["recipients"], recipient_names, "recipients",
                            "a recipient name (a lower-case identifier: a-z, 0-9 and _, starting with a letter, "
                            "at most 40 characters)", bad)
    classes = parse_list(cells["data_classes"], identifiers, "data_classes", "an identifier ([a-z][a-z0-9_]*)", bad)
    accepted = status.spread(status.texts == Status.ACCEPTED)
    bad(recipients.spread(recipients.texts == ANY) & accepted & purpose.spread(purpose.texts != LINKAGE), "recipients",
        "'*' (any recipient) may be accepted only for purpose 'linkage'; name the recipients")
    valid_from = parse_dates(cells["valid_from"], "valid_from", bad, required=True)
    valid_until = parse_dates(cells["valid_until"], "valid_until", bad, required=False)
    recorded = parse_dates(cells["recorded"], "recorded", bad, required=False)
    bad(valid_until < valid_from, "valid_until", "is before valid_from")
    if problems:
        _raise(source, problems)
    ranks = pd.factorize(record_id.texts, sort=True)[0]  # the ids' sort order, as codes
    order = np.lexsort((numbers, ranks[record_id.codes])) if len(numbers) else np.zeros(0, dtype=np.int64)

    def sort(cells: Cells) -> Cells:
        return Cells(cells.codes[order], cells.texts)

    record_id, basis, purpose, recipients, classes, status = map(sort, (record_id, basis, purpose, recipients,
                                                                        classes, status))
    numbers, accepted = numbers[order], accepted[order]
    valid_from, valid_until, recorded = valid_from[order], valid_until[order], recorded[order]
    frame = pd.DataFrame({
        "record_id": record_id.rows(), "legal_basis": basis.rows(), "purpose": purpose.rows(),
        "recipients": recipients.rows(), "data_classes": classes.rows(), "valid_from": valid_from,
        "valid_until": valid_until, "status": status.rows(), "recorded": recorded, "row_number": numbers})
    purpose_code, purposes = purpose.ranked()
    in_force, granted = grant_tables(ranks[record_id.codes], purpose_code, accepted, recipients, classes, recorded,
                                     numbers)
    index = _consent_eval.GrantIndex.of(frame, purpose=(purpose_code, purposes), basis=basis.ranked(),
                                        in_force=in_force, classes=granted)
    return ConsentRegister(source=source, table=frame, index=index,
                           in_force=pd.DataFrame({"grant": in_force[0], "recipient": in_force[2][in_force[1]]}),
                           classes=pd.DataFrame({"grant": granted[0], "data_class": granted[2][granted[1]]}))


def register_from_grants(grants: Sequence[Grant], *, source: str = "consent register") -> ConsentRegister:
    """A register of ``grants`` in list order (row numbers 2, 3, ...; ``row_number`` ignored),
    validated exactly like a file."""
    def iso(d: date | None) -> str:
        return "" if d is None else d.isoformat()
    rows = [[g.record_id, g.legal_basis, g.purpose, ";".join(g.recipients), ";".join(g.data_classes),
             iso(g.valid_from), iso(g.valid_until), str(g.status), iso(g.recorded)] for g in grants]
    return parse_register(pd.DataFrame(rows, columns=list(REGISTER_COLUMNS), dtype=object), source=source)


def _raise(source: str, problems: list[tuple[int, int, str]]) -> NoReturn:
    listed = [p[2] for p in sorted(problems, key=lambda p: (p[0], p[1]))]
    more = f"\n  ... and {len(listed) - _MAX_LISTED} more" if len(listed) > _MAX_LISTED else ""
    error = ConsentError(f"{source} is invalid ({len(listed)} problem(s)):\n"
                         + "\n".join(f"  - {p}" for p in listed[:_MAX_LISTED]) + more)
    error.problems = tuple(listed)  # like ConfigError.problems
    raise error


def _day(at: date) -> np.datetime64:
    return np.datetime64((at.date() if isinstance(at, datetime) else at).isoformat(), "D")


# --------------------------------------------------------------------- reference evaluation


def _later(n: Grant, a: Grant) -> bool:
    if n.recorded is not None and a.recorded is not None and n.recorded != a.recorded:
        return n.recorded > a.recorded
    return n.row_number > a.row_number


def _standing(grant: Grant, rows: Sequence[Grant]) -> tuple[str, ...]:
    """Recipients of an accepted ``grant`` not cancelled by a later non-accepted row of ``rows``."""
    later = [n for n in rows if n.status != Status.ACCEPTED and n.purpose == grant.purpose and _later(n, grant)]
    if any(ANY in n.recipients for n in later) or (grant.recipients == (ANY,) and later):
        return ()
    removed = {r for n in later for r in n.recipients}
    return tuple(r for r in grant.recipients if r not in removed)


def allows(register: ConsentRegister, record_id: str, *, recipient: str, purpose: str, data_class: str,
           at: date) -> bool:
    """True only if an accepted row in force grants this flow at ``at`` (see the module docstring)."""
    at = at.date() if isinstance(at, datetime) else at
    rows = register.grants(record_id)
    for g in rows:
        if (g.status == Status.ACCEPTED and g.purpose == purpose and g.valid_at(at)
                and (ANY in g.data_classes or data_class in g.data_classes)):
            standing = _standing(g, rows)
            if ANY in standing or recipient in standing:
                return True
    return False


def linkage_basis(register: ConsentRegister, record_id: str, at: date) -> bool:
    """True if some flow of purpose ``linkage`` (consent or statute) is allowed at ``at``."""
    at = at.date() if isinstance(at, datetime) else at
    rows = register.grants(record_id)
    return any(g.status == Status.ACCEPTED and g.purpose == LINKAGE and g.valid_at(at) and _standing(g, rows)
               for g in rows)


def scopes(register: ConsentRegister, record_id: str, at: date) -> list[Scope]:
    """Per recipient, purpose, basis and validity: the data classes of the accepted rows in force
    that are valid at ``at`` or later, sorted by recipient, purpose, validity, basis."""
    at = at.date() if isinstance(at, datetime) else at
    rows = register.grants(record_id)
    merged: dict[tuple[str, str, date, date, str], set[str]] = {}
    for g in rows:
        if g.status != Status.ACCEPTED or (g.valid_until is not None and g.valid_until < at):
            continue
        for r in _standing(g, rows):
            key = (r, g.purpose, g.valid_from, g.valid_until or date.max, g.legal_basis)
            merged.setdefault(key, set()).update(g.data_classes)
    return [Scope(recipient=r, purpose=p, data_classes=(ANY,) if ANY in cls else tuple(sorted(cls)),
                  legal_basis=b, valid_from=vf, valid_until=None if vu == date.max else vu)
            for (r, p, vf, vu, b), cls in sorted(merged.items())]


# --------------------------------------------------------------------- vectorised evaluation


def _flag(n: int, positions: np.ndarray) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    flags[positions] = True
    return flags


def _ids_in(record_ids: Sequence[str] | np.ndarray | pd.Series, allowed: np.ndarray) -> np.ndarray:
    return pd.Series(np.asarray(record_ids, dtype=object)).isin(pd.unique(allowed)).to_numpy(dtype=bool)


def _valid(register: ConsentRegister, at: date) -> np.ndarray:
    t, day = register.table, _day(at)
    return ((t["status"] == Status.ACCEPTED) & (t["valid_from"] <= day)
            & (t["valid_until"].isna() | (t["valid_until"] >= day))).to_numpy()


def allows_mask(register: ConsentRegister, record_ids: Sequence[str] | np.ndarray | pd.Series, *,
                recipient: str, purpose: str, data_class: str, at: date) -> np.ndarray:
    """:func:`allows` for many records at once: a boolean array aligned with ``record_ids``."""
    t = register.table
    ok = _valid(register, at) & (t["purpose"] == purpose).to_numpy()
    cls = register.classes
    ok &= _flag(len(t), cls.loc[cls["data_class"].isin([data_class, ANY]), "grant"].to_numpy())
    rec = register.in_force
    ok &= _flag(len(t), rec.loc[rec["recipient"].isin([recipient, ANY]), "grant"].to_numpy())
    return _ids_in(record_ids, t["record_id"].to_numpy()[ok])


def linkage_basis_mask(register: ConsentRegister, record_ids: Sequence[str] | np.ndarray | pd.Series,
                       at: date) -> np.ndarray:
    """:func:`linkage_basis` for many records at once: a boolean array aligned with ``record_ids``."""
    return _consent_eval.evaluate(register, record_ids, at, with_scopes=False)[0]


def scopes_column(register: ConsentRegister, record_ids: Sequence[str] | np.ndarray | pd.Series,
                  at: date) -> pa.ListArray:
    """:func:`scopes` for many records at once, as the encoded export's ``scopes`` column
    (``list<SCOPE_TYPE>``, one list per entry of ``record_ids``, empty for unknown records)."""
    return _consent_eval.evaluate(register, record_ids, at)[1]


def evaluate(register: ConsentRegister, record_ids: Sequence[str] | np.ndarray | pd.Series,
             at: date) -> tuple[np.ndarray, pa.ListArray]:
    """:func:`linkage_basis_mask` and :func:`scopes_column` at once (the ids are looked up once)."""
    return _consent_eval.evaluate(register, record_ids, at)


def counts(register: ConsentRegister, *, at: date | None = None) -> RegisterCounts:
    """Grants by status, by purpose and status, by basis; with ``at``, records with a linkage basis."""
    t = register.table
    by_status = {str(s): int((t["status"] == s).sum()) for s in Status}
    by_purpose = {str(p): {str(s): int((g == s).sum()) for s in Status}
                  for p, g in t.groupby("purpose", sort=True)["status"]}
    statute = int(t["legal_basis"].str.startswith("statute:").sum())
    ids = register.record_ids
    with_basis = None if at is None else int(linkage_basis_mask(register, ids, at).sum())
    return RegisterCounts(grants=len(t), records=len(ids), by_status=by_status, by_purpose=by_purpose,
                          by_basis={"consent": len(t) - statute, "statute": statute},
                          records_with_linkage_basis=with_basis)
