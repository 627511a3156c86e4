"""Consent registers as the agencies keep them, one row per grant (format: :mod:`linkage.consent`).

Every record (each local id, within-agency duplicates included) gets, in record order:

* a **linkage** row (purpose ``linkage``, recipients ``*``, data class ``identity``, open-ended):
  under the agency's statute (foreigners authority, job centre, employment agency), accepted for
  every record; or on ``consent`` (course provider, coordination office): accepted for 94 %,
  declined for 4 %, unknown for 2 % of the records, which then have no linkage basis (and no
  other rows);
* **sharing** rows (purpose ``integration_support``, basis ``consent``, recipients 1-4 of the
  other agencies, data classes ``identity`` plus a choice of the agency's own) for the records
  with a linkage basis: 82 % one (70 %) or two accepted rows, open-ended or ending 2031-2035;
  4 % none; 5 % one declined row; 4 % an accepted row and a later ``withdrawn`` row (recorded
  later) naming the same recipients or ``*``; 4 % expired (ended in 2024 or 2025, status
  ``accepted`` or ``expired``); 1 % one ``unknown`` row.

Shares are exact (rounded counts, randomly placed), and each kind occurs at least once in a
register of 50 or more records. The registers are as of :data:`REGISTER_DAY` (2026-06-30): no
validity starts and nothing is recorded after it, what is valid then stays valid past 2030, and
what has expired ended in 2024 or 2025, so a view gives the same answer whenever it runs.
Generation is vectorised numpy; the cells are strings ("" = empty).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._agencies import Agency

__all__ = ["REGISTER_DAY", "REGISTER_COLUMNS", "SHARING_PURPOSE", "consent_register"]

REGISTER_DAY = np.datetime64("2026-06-30", "D")
REGISTER_COLUMNS = ("record_id", "legal_basis", "purpose", "recipients", "data_classes", "valid_from",
                    "valid_until", "status", "recorded")
SHARING_PURPOSE = "integration_support"
_LINKAGE = ("accepted", "declined", "unknown")
_LINKAGE_SHARES = (0.94, 0.04, 0.02)
_GRANTED, _NONE, _DECLINED, _WITHDRAWN, _EXPIRED, _UNKNOWN = range(6)
_SHARING_SHARES = (0.82, 0.04, 0.05, 0.04, 0.04, 0.01)
_NAT = np.datetime64("NaT", "D")


def _day(first: str, last: str, u: np.ndarray) -> np.ndarray:
    lo, hi = np.datetime64(first, "D"), np.datetime64(last, "D")
    return lo + np.floor(u * ((hi - lo).astype(np.int64) + 1)).astype(np.int64)


def _kinds(n: int, shares: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Kind per record with exact rounded shares (kind 0 takes the rest), randomly placed."""
    counts = np.round(np.asarray(shares) * n).astype(np.int64)
    if n >= 50:
        counts[1:] = np.maximum(counts[1:], 1)
    counts[0] = n - counts[1:].sum()
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _subsets(names: Sequence[str], chosen: np.ndarray, prefix: str = "") -> np.ndarray:
    """``;``-joined names per row of the boolean matrix ``chosen`` (columns = ``names``)."""
    table = np.asarray([";".join([prefix] * bool(prefix) + [s for b, s in enumerate(names) if m >> b & 1])
                        for m in range(1 << len(names))], dtype=object)
    return table[chosen.astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))]


def _grant_lists(m: int, others: Sequence[str], own: Sequence[str], rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Recipients (1-4 of ``others``) and data classes (identity + some of ``own``) of m rows."""
    k = np.minimum(rng.choice(np.arange(1, 5), size=m, p=[0.4, 0.3, 0.2, 0.1]), len(others))
    rank = np.argsort(np.argsort(rng.random((m, len(others))), axis=1), axis=1)
    classes = rng.random((m, len(own))) < 0.7
    return _subsets(others, rank < k[:, None]), _subsets(own, classes, prefix="identity")


def consent_register(spec: Agency, record_ids: Sequence[str] | np.ndarray, recipients: Sequence[str],
                     rng: np.random.Generator) -> pd.DataFrame:
    """The register of agency ``spec`` for its records ``record_ids``; ``recipients``: all agencies."""
    n = len(record_ids)
    others = [r for r in recipients if r != spec.name]
    start = _day("2020-01-01", "2026-03-31", rng.random(n))
    statute = spec.legal_basis != "consent"
    link_status = np.zeros(n, dtype=np.int64) if statute else _kinds(n, _LINKAGE_SHARES, rng)
    based = np.flatnonzero(link_status == 0)
    kind = _kinds(len(based), _SHARING_SHARES, rng)
    blocks: list[dict[str, np.ndarray]] = []

    def rows(rec: np.ndarray, seq: int, status: np.ndarray | str, valid_from: np.ndarray,
             valid_until: np.ndarray | None = None, recipients_: np.ndarray | str = "",
             classes: np.ndarray | str = "", recorded: np.ndarray | None = None,
             purpose: str = SHARING_PURPOSE, basis: str = "consent") -> None:
        m = len(rec)
        blocks.append({
            "rec": rec, "seq": np.full(m, seq), "legal_basis": np.full(m, basis, dtype=object),
            "purpose": np.full(m, purpose, dtype=object), "recipients": _cells(recipients_, m),
            "data_classes": _cells(classes, m), "valid_from": valid_from,
            "valid_until": np.full(m, _NAT) if valid_until is None else valid_until,
            "status": _cells(status, m),
            "recorded": valid_from if recorded is None else recorded})

    def grant(rec: np.ndarray, seq: int, status: np.ndarray | str, valid_from: np.ndarray,
              valid_until: np.ndarray | None = None) -> np.ndarray:
        to, classes = _grant_lists(len(rec), others, spec.data_classes, rng)
        rows(rec, seq, status, valid_from, valid_until, to, classes)
        return to

    # accepted sharing, one or two rows, open-ended or for a fixed term ending after 2030
    rec = based[kind == _GRANTED]
    first = np.minimum(start[rec] + rng.integers(0, 61, len(rec)), REGISTER_DAY)
    term = np.where(rng.random(len(rec)) < 0.3, _day("2031-01-01", "2035-12-31", rng.random(len(rec))), _NAT)
    grant(rec, 1, "accepted", first, term)
    two = rng.random(len(rec)) < 0.3
    grant(rec[two], 2, "accepted", np.minimum(first[two] + rng.integers(30, 401, int(two.sum())), REGISTER_DAY))
    # refused or unreadable forms
    for k, status in ((_DECLINED, "declined"), (_UNKNOWN, "unknown")):
        rec = based[kind == k]
        grant(rec, 1, status, np.minimum(start[rec] + rng.integers(0, 61, len(rec)), REGISTER_DAY))
    # accepted, then withdrawn by a row recorded later (for the same recipients, or everyone)
    rec = based[kind == _WITHDRAWN]
    given = np.minimum(start[rec] + rng.integers(0, 61, len(rec)), REGISTER_DAY - 30)
    to = grant(rec, 1, "accepted", given)
    later = given + 1 + np.floor(rng.random(len(rec)) * (REGISTER_DAY - given).astype(np.int64)).astype(np.int64)
    rows(rec, 2, "withdrawn", later, recipients_=np.where(rng.random(len(rec)) < 0.3, "*", to), classes="*")
    # expired: a term that ended in 2024 or 2025, still marked accepted or already marked expired
    rec = based[kind == _EXPIRED]
    began = _day("2021-01-01", "2023-12-31", rng.random(len(rec)))
    start[rec] = np.minimum(start[rec], began)
    grant(rec, 1, np.where(rng.random(len(rec)) < 0.5, "accepted", "expired"), began,
          _day("2024-01-01", "2025-12-31", rng.random(len(rec))))
    # the linkage basis, first row of every record
    rows(np.arange(n), 0, np.asarray(_LINKAGE, dtype=object)[link_status], start, recipients_="*",
         classes="identity", purpose="linkage", basis=spec.legal_basis)

    cols = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    order = np.lexsort((cols["seq"], cols["rec"]))
    frame = {"record_id": np.asarray(record_ids, dtype=object)[cols["rec"][order]]}
    for key in REGISTER_COLUMNS[1:]:
        values = cols[key][order]
        frame[key] = _iso(values) if values.dtype.kind == "M" else values.astype(object)
    return pd.DataFrame(frame, columns=list(REGISTER_COLUMNS))


def _cells(values: np.ndarray | str, m: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=object), (m,))


def _iso(days: np.ndarray) -> np.ndarray:
    """ISO strings ("" for NaT), formatting each distinct day once."""
    days = days.astype("datetime64[D]")
    nat = np.isnat(days)
    if nat.all():
        return np.full(len(days), "", dtype=object)
    lo, hi = days[~nat].min(), days[~nat].max()
    table = np.append(np.datetime_as_string(np.arange(lo, hi + 1), unit="D").astype(object), "")
    return table[np.where(nat, len(table) - 1, (days - lo).astype(np.int64))]
