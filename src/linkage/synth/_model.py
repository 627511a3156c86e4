"""The generator's result types."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["AgencyExport", "SynthData"]


@dataclass(frozen=True, slots=True)
class AgencyExport:
    """One agency's export: cells are strings ("" = missing), columns named as its system names them."""

    agency: str
    frame: pd.DataFrame
    file_name: str  # e.g. "jobcentre.csv", "course_provider.xlsx", "employment_agency.parquet"
    config_name: str  # the export config in configs/, e.g. "jobcentre.toml"
    delimiter: str | None  # CSV only
    encoding: str  # CSV only, e.g. "utf-8" or "cp1252"
    captured_column: str  # when the record was last updated, e.g. "Stand"
    captured_format: str  # its strftime format, e.g. "%d.%m.%Y"


@dataclass(frozen=True, slots=True)
class SynthData:
    """All exports, the truth (which person each record, by agency and local id, belongs to) and
    each agency's consent register, as of :data:`linkage.synth.REGISTER_DATE`."""

    exports: tuple[AgencyExport, ...]
    truth: pd.DataFrame  # columns agency, record_id, person_id
    consent: dict[str, pd.DataFrame]  # agency -> its consent register (strings, linkage.consent's columns)

    def export(self, agency: str) -> AgencyExport:
        for e in self.exports:
            if e.agency == agency:
                return e
        raise KeyError(agency)
