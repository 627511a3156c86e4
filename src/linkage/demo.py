"""The demo: the whole three-party flow on generated data.

Contract: ``run_demo(out_dir, persons=, seed=)`` plays every party in turn and writes
``out_dir/exports`` (agency files, truth.csv, quarantine files and reference maps: the agencies'
side), ``out_dir/keys/project.key`` (reused when present), ``out_dir/encoded/<agency>.parquet``
(what the agencies hand over) and ``out_dir/result/`` (the linkage unit's result, made from the
encoded exports alone). It returns a summary including pairwise precision, recall and F1 of the
persons found against ``truth.csv``, which only the demo can join (through the agencies'
reference maps). Deterministic for a seed except for the secret, which is generated fresh
unless the key file exists (results do not depend on which secret).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from . import io, jobs, synth
from .evaluate import PairQuality, pair_quality
from .keys import generate_secret

__all__ = ["DemoSummary", "run_demo", "example_configs_dir"]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    exports_dir: Path
    encoded_dir: Path
    key_check_value: str
    encodes: tuple[jobs.EncodeSummary, ...]
    link: jobs.LinkSummary
    quality: PairQuality


def example_configs_dir() -> Path:
    """The example configs shipped with the package (the repository's ``configs/``)."""
    return Path(str(resources.files("linkage") / "data" / "configs"))


def run_demo(out_dir: str | os.PathLike[str], *, persons: int = 2000, seed: int = 1) -> DemoSummary:
    out = Path(out_dir)
    exports_dir, encoded_dir, key_path = out / "exports", out / "encoded", out / "keys" / "project.key"
    data = synth.generate(persons, seed=seed)
    io.write_synth(data, exports_dir)
    if key_path.exists():
        secret = io.read_secret(key_path)
    else:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        secret = generate_secret()
        io.write_secret(key_path, secret)
    configs = example_configs_dir()
    summaries = []
    for export in data.exports:
        summaries.append(jobs.encode_file(
            exports_dir / export.file_name, configs / export.config_name,
            encoded_dir / f"{export.agency}.parquet", secret=secret,
        ))
    result_dir = out / "result"
    linked = jobs.link_files([s.output for s in summaries], result_dir, job_config_path=configs / "link_job.toml",
                             expected_key_check=secret.key_check_value)
    return DemoSummary(exports_dir, encoded_dir, secret.key_check_value, tuple(summaries), linked,
                       _quality(result_dir, exports_dir, summaries))


def _quality(result_dir: Path, exports_dir: Path, summaries: list[jobs.EncodeSummary]) -> PairQuality:
    """Persons found vs truth.csv, joined through the agencies' reference maps (demo only)."""
    entities = io.read_entities(result_dir)
    maps = [io.read_string_csv(s.reference_map).assign(agency=s.agency) for s in summaries]
    truth = io.read_string_csv(exports_dir / "truth.csv")
    joined = (entities.merge(pd.concat(maps), on=["agency", "record_ref"], how="left")
              .merge(truth, left_on=["agency", "local_id"], right_on=["agency", "record_id"], how="left"))
    persons = joined["person_id"].fillna(joined["record_ref"])  # a record without truth is its own person
    return pair_quality(joined["entity_id"].to_numpy(), persons.to_numpy())
