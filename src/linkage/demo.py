"""The demo: the whole three-party flow on generated data.

Contract: ``run_demo(out_dir, persons=, seed=)`` plays every party in turn and writes
``out_dir/exports`` (agency files, truth.csv, consent registers in ``consent/``, quarantine files
and reference maps: the agencies' side), ``out_dir/keys/project.key`` (the agencies' shared
secret), ``out_dir/keys/recipients/<name>.key`` and ``keyring.json`` (one key pair per recipient
office), ``out_dir/keys/linkage-unit.key`` and ``.pub`` (the linkage unit's signing key and the
public key the offices verify packages with; all keys reused when present), ``out_dir/encoded/<agency>.parquet`` (what the agencies hand
over: encodings, scopes and sealed payloads), ``out_dir/result/`` (the linkage unit's result,
made from the encoded exports alone and signed), ``out_dir/packages/<recipient>.parquet`` (what
the linkage unit delivers, signed) and ``out_dir/views/<recipient>.xlsx`` (what each office sees, with its audit log
``views/view-audit.jsonl``; each office verifies its package with the linkage unit's public key and
the project's key check value first). It returns a summary including pairwise precision, recall and F1
of the persons found against ``truth.csv``, which only the demo can join (through the agencies'
reference maps). Deterministic for a seed except for the keys, which are generated fresh unless
the key files exist (a new project secret moves every hash position, so figures differ slightly
from run to run; reuse DIR to keep them), and the envelopes' random nonces. ``out_dir`` must be
new, empty or a previous demo folder (marked by ``demo.json``), or ``force`` (other files are
kept; see :mod:`linkage.io.outputs`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import pandas as pd

from . import io, jobs, synth
from .evaluate import PairQuality, pair_quality
from .io.outputs import DEMO_FORMAT, OutputKind, Target, check_target
from .io.views import append_audit, write_view
from .authenticity import Trust
from .keys import LinkageUnitKey, generate_linkage_unit_key, generate_secret
from .seal import RecipientKeyPair, generate_recipient_key
from .view import build_view

__all__ = ["DemoSummary", "run_demo", "example_configs_dir"]

_DEMO_FILES = ("demo.json", "exports", "keys", "encoded", "result", "packages", "views")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    exports_dir: Path
    encoded_dir: Path
    key_check_value: str
    encodes: tuple[jobs.EncodeSummary, ...]
    link: jobs.LinkSummary
    quality: PairQuality
    views: tuple["ViewSummary", ...] = ()


@dataclass(frozen=True, slots=True)
class ViewSummary:
    recipient: str
    package: Path
    view: Path
    persons: int
    envelopes: int
    duplicate_entities: int


def example_configs_dir() -> Path:
    """The example configs shipped with the package (the repository's ``configs/``)."""
    return Path(str(resources.files("linkage") / "data" / "configs"))


def run_demo(out_dir: str | os.PathLike[str], *, persons: int = 2000, seed: int = 1,
             force: bool = False) -> DemoSummary:
    out = Path(out_dir)
    check_target(Target(out, OutputKind.DEMO, files=_DEMO_FILES), force=force)
    with io.atomic_path(out / "demo.json") as tmp:  # first: a folder cut off half-way is still recognised
        tmp.write_text(json.dumps({"format": DEMO_FORMAT, "version": 1, "persons": persons, "seed": seed}) + "\n",
                       encoding="utf-8")
    exports_dir, encoded_dir, key_path = out / "exports", out / "encoded", out / "keys" / "project.key"
    data = synth.generate(persons, seed=seed)
    io.write_synth(data, exports_dir, force=force)
    if key_path.exists():
        secret = io.read_secret(key_path)
    else:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        secret = generate_secret()
        io.write_secret(key_path, secret)
    recipients = [export.agency for export in data.exports]  # every office is also a recipient
    keys = _recipient_keys(out / "keys", recipients)
    configs = example_configs_dir()
    summaries = []
    for export in data.exports:
        summaries.append(jobs.encode_file(
            exports_dir / export.file_name, configs / export.config_name,
            encoded_dir / f"{export.agency}.parquet", secret=secret,
            consent_path=exports_dir / "consent" / f"{export.agency}.csv", keyring_path=out / "keys" / "keyring.json",
            key_paths=[key_path], force=force,
        ))
    result_dir = out / "result"
    unit_key_path = out / "keys" / "linkage-unit.key"
    _linkage_unit_key(unit_key_path)
    linked = jobs.link_files([s.output for s in summaries], result_dir, signing_key_path=unit_key_path,
                             job_config_path=configs / "link_job.toml", expected_key_check=secret.key_check_value,
                             force=force)
    views = []
    today = datetime.now(timezone.utc).date()
    # each office holds the linkage unit's public key and the project's key check value
    trust = Trust(linkage_unit_key=io.read_linkage_unit_public_key(io.public_key_path(unit_key_path)),
                  key_check_value=secret.key_check_value)
    for recipient in recipients:  # the linkage unit delivers; each office verifies and opens its own package
        package_path = out / "packages" / f"{recipient}.parquet"
        jobs.deliver_file(result_dir, recipient, package_path, signing_key_path=unit_key_path, force=force)
        ref_map = next(s.reference_map for s in summaries if s.agency == recipient)
        view = build_view(io.read_package(package_path), keys[recipient], at=today, trust=trust,
                          reference_map=io.read_string_csv(ref_map))
        view_path = out / "views" / f"{recipient}.xlsx"
        written = write_view(view, view_path, force=force)
        append_audit(out / "views" / "view-audit.jsonl", view, written, force=force)
        counts = view.audit["counts"]
        views.append(ViewSummary(recipient, package_path, view_path, len(view.persons), counts["envelopes_opened"],
                                 len(view.duplicates)))
    return DemoSummary(exports_dir, encoded_dir, secret.key_check_value, tuple(summaries), linked,
                       _quality(result_dir, exports_dir, summaries), tuple(views))


def _linkage_unit_key(path: Path) -> LinkageUnitKey:
    """The linkage unit's key (created with its public key file when missing)."""
    if path.exists():
        return io.read_linkage_unit_key(path)
    key = generate_linkage_unit_key()
    io.create_linkage_unit_key(key, path)
    return key


def _recipient_keys(keys_dir: Path, names: list[str]) -> dict[str, RecipientKeyPair]:
    """Each recipient's key pair (created with its keyring entry when missing)."""
    out = {}
    for name in names:
        path = keys_dir / "recipients" / f"{name}.key"
        if path.exists():
            out[name] = io.read_recipient_key(path)
        else:
            out[name] = generate_recipient_key(name)
            io.create_recipient(out[name], path, keys_dir / "keyring.json", replace=True)
    return out


def _quality(result_dir: Path, exports_dir: Path, summaries: list[jobs.EncodeSummary]) -> PairQuality:
    """Persons found vs truth.csv, joined through the agencies' reference maps (demo only)."""
    entities = io.read_entities(result_dir)
    maps = [io.read_string_csv(s.reference_map).assign(agency=s.agency) for s in summaries]
    truth = io.read_string_csv(exports_dir / "truth.csv")
    joined = (entities.merge(pd.concat(maps), on=["agency", "record_ref"], how="left")
              .merge(truth, left_on=["agency", "local_id"], right_on=["agency", "record_id"], how="left"))
    persons = joined["person_id"].fillna(joined["record_ref"])  # a record without truth is its own person
    return pair_quality(joined["entity_id"].to_numpy(), persons.to_numpy())
