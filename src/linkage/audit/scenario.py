"""A synthetic attack scenario: encoded exports, their truth and an attacker's public sample.

Contract
--------
``synthetic_scenario(persons, seed=..., public_seed=...)`` generates the five agencies' exports
(:func:`linkage.synth.generate`), encodes each with its shipped export config (the package's
``configs/``; without consent register and payload: they do not change the encodings) and a fixed
project secret, and returns a :class:`Scenario` with

* ``exports``: what the linkage unit receives (signed, in agency order);
* ``truth``: the same records' plaintext keys, in export order (the agencies' side);
* ``public``: the attacker's sample: the plaintext of a population generated with
  ``public_seed`` (other people from the same population), read with the same configs and the
  library's own normalisers;
* ``real``: per record, False for the owner-side dummies mixed in with ``dummies`` > 0
  (:func:`linkage.audit.add_dummies`; a fraction of each agency's records).

For benchmarks and tests; deterministic for its arguments (the secret is fixed unless given).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .. import io, synth
from ..config import ExportConfig, HardeningSpec, Schema
from ..encode import encode
from ..encoded import EncodedExport
from ..keys import ProjectSecret
from ._plain import PlainSide, concat_sides, plain_side_of_frame
from .dummies import add_dummies

__all__ = ["Scenario", "synthetic_scenario", "agency_configs"]

BENCHMARK_SECRET = ProjectSecret(bytes(range(32)))
_CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Scenario:
    exports: tuple[EncodedExport, ...]
    truth: PlainSide
    public: PlainSide
    real: np.ndarray
    seconds: dict[str, float]


def agency_configs(data: synth.SynthData) -> dict[str, ExportConfig]:
    """Each agency's shipped export config, without consent register and payload."""
    from ..demo import example_configs_dir

    configs = example_configs_dir()
    return {e.agency: dataclasses.replace(io.load_export_config(configs / e.config_name), consent=None, payload=None)
            for e in data.exports}


def _export_rows(frame: pd.DataFrame, config: ExportConfig, reference_map: pd.DataFrame,
                 export: EncodedExport) -> np.ndarray:
    """The row of ``frame`` behind each row of the export, in the export's (shuffled) order."""
    ids = frame[config.id_column].astype(str).str.strip().to_numpy()
    first = pd.Series(np.arange(len(ids))).groupby(ids).min()
    local_of = dict(zip(reference_map["record_ref"], reference_map["local_id"]))
    return first.loc[[local_of[r] for r in export.table.column("record_ref").to_pylist()]].to_numpy()


def synthetic_scenario(persons: int, *, seed: int = 1, public_seed: int = 2, dummies: float = 0.0,
                       hardening: HardeningSpec | None = None, secret: ProjectSecret | None = None,
                       schema: Schema | None = None) -> Scenario:
    """Encoded synthetic exports with truth and a public sample (see the module docstring).

    ``schema`` replaces the shipped schema and ``hardening`` its hardening (what-if runs)."""
    if public_seed == seed:
        raise ValueError("'public_seed' must differ from 'seed': the attacker's sample is other people")
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    data = synth.generate(persons, seed=seed)
    configs = agency_configs(data)
    if schema is not None:
        configs = {a: dataclasses.replace(c, schema=schema) for a, c in configs.items()}
    if hardening is not None:
        configs = {a: dataclasses.replace(c, schema=dataclasses.replace(c.schema, hardening=hardening))
                   for a, c in configs.items()}
    seconds["generate"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    exports, truths, reals = [], [], []
    for i, agency_export in enumerate(data.exports):
        config = configs[agency_export.agency]
        frame, is_dummy = agency_export.frame, np.zeros(len(agency_export.frame), bool)
        if dummies > 0:
            frame, is_dummy = add_dummies(frame, config, fraction=dummies, seed=seed * 100 + i)
        result = encode(frame, config, secret=secret or BENCHMARK_SECRET, created=_CREATED)
        rows = _export_rows(frame, config, result.reference_map, result.export)
        exports.append(result.export)
        truths.append(plain_side_of_frame(frame.iloc[rows].reset_index(drop=True), config))
        reals.append(~is_dummy[rows])
    seconds["encode"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    other = synth.generate(persons, seed=public_seed)
    public = concat_sides([plain_side_of_frame(e.frame, configs[e.agency]) for e in other.exports])
    seconds["public_sample"] = round(time.perf_counter() - start, 2)
    return Scenario(tuple(exports), concat_sides(truths), public, np.concatenate(reals), seconds)
