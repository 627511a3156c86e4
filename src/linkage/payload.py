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

import numpy as np
import pandas as pd
import pyarrow as pa

from .config import DateSpec, ExportConfig, PayloadSpec
from .consent import ANY, LINKAGE, ConsentRegister
from .countries import normalize_nationality
from .errors import ConfigError, ConsentError
from .normalize import DateValue, normalize_sex, parse_date
from .seal import Keyring, PayloadSealer
from ._seal_batch import PayloadColumn, seal_records, seal_records_reference

__all__ = ["check_consent_inputs", "PayloadSealing"]


def _distinct_texts(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Code per cell into the distinct cells as stripped text ("" for missing); one pass per cell,
    the text work once per distinct cell."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    texts = [str(u).strip() for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes)
        texts.append("")
    return codes.astype(np.int64), texts


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


@dataclass(frozen=True, slots=True)
class PayloadSealing:
    """Everything needed to seal payloads in a worker (picklable; the grants are evaluated before)."""

    agency: str
    payload: PayloadSpec | None
    public_keys: dict[str, bytes] | None  # recipient -> X25519 public key (a plain dict: picklable)
    at: date  # grants are evaluated on this day; missing capture dates are filled with it

    def _columns(self, records: pd.DataFrame, config_dates: DateSpec) -> list[PayloadColumn]:
        """The payload fields, normalised once per distinct cell; empty values are none."""
        assert self.payload is not None
        out = []
        for f in self.payload.fields:
            codes, texts = _distinct_texts(records[f.column])
            if f.normalise == "birth_date":
                values = [d.iso if isinstance(d := parse_date(v, config_dates), DateValue) else v for v in texts]
            elif f.normalise == "sex":
                values = [s if isinstance(s := normalize_sex(v), str) else v for v in texts]
            elif f.normalise == "nationality":
                values = [c if isinstance(c := normalize_nationality(v), str) else v for v in texts]
            else:
                values = texts
            empty = np.asarray([not v for v in values] + [True], dtype=bool)
            out.append(PayloadColumn(f.name, f.data_class, np.where(empty[codes], -1, codes), values))
        return out

    def _captured(self, records: pd.DataFrame, n: int) -> tuple[list[str], np.ndarray]:
        """Capture date per record (ISO) and the rows whose cell could not be read (encoding day)."""
        assert self.payload is not None
        today = self.at.isoformat()
        if not self.payload.captured:
            return [today] * n, np.zeros(n, dtype=bool)
        spec = DateSpec(formats=self.payload.captured_formats, unknown_day_month=())
        codes, texts = _distinct_texts(records[self.payload.captured])
        parsed = [parse_date(v, spec) for v in texts]
        iso = np.asarray([d.iso if isinstance(d, DateValue) and d.day_month_known else None for d in parsed],
                         dtype=object)
        per_row = iso[codes] if n else np.zeros(0, dtype=object)
        late = np.asarray([v is None for v in per_row], dtype=bool)
        return [v or today for v in per_row.tolist()], late

    def seal(self, records: pd.DataFrame, refs: Sequence[str], scopes: pa.Array,
             birth_dates: DateSpec | None = None, *, reference: bool = False) -> tuple[pa.Array, np.ndarray,
                                                                                       np.ndarray]:
        """Envelopes per record (``list<ENVELOPE_TYPE>``), their leaf hashes in order (an (m, 32)
        uint8 matrix, see :func:`linkage.authenticity.envelope_leaf`) and the rows whose capture
        date was unreadable; ``reference`` seals envelope by envelope with the plain definition."""
        assert self.payload is not None and self.public_keys is not None
        columns = self._columns(records, birth_dates or DateSpec())
        captured, late = self._captured(records, len(refs))
        sealer = PayloadSealer(self.public_keys, agency=self.agency)
        kernel = seal_records_reference if reference else seal_records
        envelopes, leaves = kernel(sealer, refs, columns, captured, scopes)
        return envelopes, leaves, late
