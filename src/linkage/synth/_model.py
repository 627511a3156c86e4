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


@dataclass(frozen=True, slots=True)
class SynthData:
    """All exports plus the truth: which person each record (agency, local id) belongs to."""

    exports: tuple[AgencyExport, ...]
    truth: pd.DataFrame  # columns agency, record_id, person_id

    def export(self, agency: str) -> AgencyExport:
        for e in self.exports:
            if e.agency == agency:
                return e
        raise KeyError(agency)
