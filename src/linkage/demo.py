"""The demo: the whole flow on generated data (for now the agency side: generate, key, encode).

Contract: ``run_demo(out_dir, persons=, seed=)`` writes ``out_dir/exports`` (agency files,
truth.csv, quarantine files and reference maps), ``out_dir/keys/project.key`` (reused when
present) and ``out_dir/encoded/<agency>.parquet``, and returns a summary. Deterministic for a
seed except for the secret, which is generated fresh unless the key file exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import io, jobs, synth
from .keys import generate_secret

__all__ = ["DemoSummary", "run_demo", "example_configs_dir"]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    exports_dir: Path
    encoded_dir: Path
    key_check_value: str
    encodes: tuple[jobs.EncodeSummary, ...]


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
    return DemoSummary(exports_dir, encoded_dir, secret.key_check_value, tuple(summaries))
