"""Payloads at encode time (agency side): check the consent inputs, then seal per record.

Contract
--------
:func:`check_consent_inputs` refuses an encoding whose config asks for a consent register or a
keyring that was not given, and a register that grants data to a recipient the keyring lacks
(ConsentError naming the recipients, never a record). :class:`PayloadSealing` is what a worker
process needs to seal one part of an export: for each record and each of its scopes that names
a recipient (not the ``linkage`` scope), the payload fields of the data classes the scope covers
(``*``: all), non-empty values only, normalised as configured (``birth_date``: ISO ``YYYY-MM-DD``
or ``YYYY`` when day and month are unknown; ``sex``/``nationality``: the codes of
:mod:`linkage.normalize` and :mod:`linkage.countries`; a value those cannot read stays as the
agency wrote it), are sealed with :class:`linkage.seal.PayloadSealer`; a scope covering none of
them gets no envelope. The capture date comes from the configured column, or is the encoding day
(listed as unreadable when the column's cell cannot be read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .config import DateSpec, ExportConfig, PayloadSpec
from .consent import ANY, LINKAGE, ConsentRegister
from .countries import normalize_nationality
from .encoded import ENVELOPE_TYPE
from .errors import ConfigError, ConsentError
from .normalize import DateValue, normalize_sex, parse_date
from .seal import Keyring, PayloadSealer

__all__ = ["check_consent_inputs", "PayloadSealing"]


def _texts(column: pd.Series) -> list[str]:
    """Cells as stripped text ("" for missing)."""
    return column.fillna("").astype(str).str.strip().tolist()


def check_consent_inputs(config: ExportConfig, consent: ConsentRegister | None, keyring: Keyring | None) -> None:
    if config.consent is not None and consent is None:
        raise ConfigError(f"the export config of agency '{config.agency}' requires a consent register "
                          "([consent]); give it (linkage encode --consent FILE, or consent.register in the config)")
    if config.payload is not None and keyring is None:
        raise ConfigError(f"the export config of agency '{config.agency}' seals payloads ([payload]); give the "
                          "recipients' keyring (linkage encode --keyring FILE, or payload.keyring in the config)")
    if config.payload is not None and consent is not None and keyring is not None:
        t = consent.table
        sharing = (t["status"] == "accepted").to_numpy() & (t["purpose"] != LINKAGE).to_numpy()
        named = consent.in_force[sharing[consent.in_force["grant"].to_numpy()]]["recipient"]
        unknown = sorted(set(named.tolist()) - {ANY} - set(keyring))
        if unknown:
            raise ConsentError(f"{consent.source} grants data to recipient(s) {', '.join(unknown)} that the keyring "
                               f"{keyring.source or ''} lacks; add their public keys (linkage keys recipient NAME "
                               "--keyring FILE) or correct the register")


def _iso_dates(values: Sequence[str], spec: DateSpec) -> list[str | None]:
    """ISO date per value (None where a value is not a complete date), parsed once per distinct value."""
    out: dict[str, str | None] = {}
    for v in set(values):
        parsed = parse_date(v, spec)
        out[v] = parsed.iso if isinstance(parsed, DateValue) and parsed.day_month_known else None
    return [out[v] for v in values]


@dataclass(frozen=True, slots=True)
class PayloadSealing:
    """Everything needed to seal payloads in a worker (picklable; the grants are evaluated before)."""

    agency: str
    payload: PayloadSpec | None
    public_keys: dict[str, bytes] | None  # recipient -> X25519 public key (a plain dict: picklable)
    at: date  # grants are evaluated on this day; missing capture dates are filled with it

    def _values(self, records: pd.DataFrame, config_dates: DateSpec) -> dict[str, list[str | None]]:
        assert self.payload is not None
        out: dict[str, list[str | None]] = {}
        for f in self.payload.fields:
            raw = _texts(records[f.column])
            distinct = set(raw)
            if f.normalise == "birth_date":
                mapping = {v: d.iso if isinstance(d := parse_date(v, config_dates), DateValue) else v for v in distinct}
            elif f.normalise == "sex":
                mapping = {v: s if isinstance(s := normalize_sex(v), str) else v for v in distinct}
            elif f.normalise == "nationality":
                mapping = {v: c if isinstance(c := normalize_nationality(v), str) else v for v in distinct}
            else:
                mapping = {v: v for v in distinct}
            out[f.name] = [mapping[v] or None for v in raw]
        return out

    def seal(self, records: pd.DataFrame, refs: Sequence[str], scopes: pa.Array,
             birth_dates: DateSpec | None = None) -> tuple[pa.Array, np.ndarray]:
        """Envelopes per record (``list<ENVELOPE_TYPE>``) and the rows whose capture date was unreadable."""
        assert self.payload is not None and self.public_keys is not None
        payload = self.payload
        values = self._values(records, birth_dates or DateSpec())
        n = len(refs)
        today = self.at.isoformat()
        late = np.zeros(n, dtype=bool)
        if payload.captured:
            captured_spec = DateSpec(formats=payload.captured_formats, unknown_day_month=())
            captured = _iso_dates(_texts(records[payload.captured]), captured_spec)
            late = np.array([c is None for c in captured], dtype=bool)
            captured = [c or today for c in captured]
        else:
            captured = [today] * n
        names = [f.name for f in payload.fields]
        classes = [f.data_class for f in payload.fields]
        columns = [values[name] for name in names]
        sealer = PayloadSealer(self.public_keys, agency=self.agency)
        out: list[list[dict[str, Any]]] = []
        for i, record_scopes in enumerate(scopes.to_pylist()):
            envelopes = []
            for s in record_scopes or ():
                if s["recipient"] == ANY or s["purpose"] == LINKAGE:
                    continue
                allowed = s["data_classes"]
                fields = {name: col[i] for name, cls, col in zip(names, classes, columns)
                          if col[i] is not None and (ANY in allowed or cls in allowed)}
                if not fields:
                    continue
                envelopes.append(sealer.seal(
                    fields, record_ref=refs[i], recipient=s["recipient"], purpose=s["purpose"],
                    valid_from=s["valid_from"], valid_until=s["valid_until"], captured=captured[i]).to_arrow_dict())
            out.append(envelopes)
        return pa.array(out, type=pa.list_(ENVELOPE_TYPE)), late
