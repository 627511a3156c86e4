"""Link and deduplicate encoded exports: block, compare, score, decide, cluster (linkage unit).

Contract
--------
``link(exports, config)`` takes verified encoded exports of one project (one export means
deduplication only) and returns a :class:`LinkResult`: entities (one row per record with its
entity id), scored candidate pairs with per-field similarities, the pairs for clerical review,
the sealed envelopes of every record (opaque to it; kept for :mod:`linkage.deliver`), and a run
manifest. It sees encodings only, never a secret or a plaintext value. For the same
exports and config the tables are identical bit for bit (the manifest's timings aside).

Steps: candidates from :mod:`linkage.block`; per-field similarities and agreement levels from
:mod:`linkage.compare` (names as sets of parts, dates by category, other fields by Dice cut into
levels); the model from :mod:`linkage.estimate` (u from random record pairs, m by anchored EM
sessions, the prior over all record pairs); identical names weighted by how common
they are (:func:`linkage.estimate.frequency_adjustment`, names and exact dates); match / review / non-match by thresholds chosen
from the posteriors unless the job sets them; persons by :mod:`linkage.cluster`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import block, cluster, score
from .compare import compare
from .estimate import estimate_model, frequency_adjustment
from .review import review_queue
from .deliver import envelope_table
from .encoded import EncodedExport
from .errors import ConfigError
from .job_config import LinkJobConfig
from .records import RecordSet, record_set

__all__ = ["LinkResult", "link", "DECISIONS"]

DECISIONS = {score.MATCH: "match", score.REVIEW: "review", score.NON_MATCH: "non_match"}
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LinkResult:
    entities: pd.DataFrame  # entity_id, agency, record_ref
    pairs: pd.DataFrame  # agency_a, record_ref_a, agency_b, record_ref_b, sim_<field>..., weight, probability, decision
    review: pd.DataFrame  # the pairs with decision "review"
    manifest: dict[str, Any]
    model: score.FSModel
    thresholds: score.Thresholds
    labels: np.ndarray  # cluster label per record, records in input order
    envelopes: pa.Table  # agency, record_ref, envelope: every sealed payload of the inputs


def link(exports: Sequence[EncodedExport], config: LinkJobConfig, *, names: Sequence[str] | None = None,
         progress: Progress | None = None) -> LinkResult:
    """Link verified exports (see the module docstring). ``names`` label the inputs in errors."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now
        if progress is not None:
            progress(name)

    records = record_set(exports, names)
    unknown = sorted(set(config.levels) - {f.name for f in records.fields})
    if unknown:
        raise ConfigError("link job config is invalid:", tuple(
            f"comparison.levels.{name}: is not a field of the exports' schema" for name in unknown))
    n = records.n
    step("load")
    bc = config.blocking
    candidates = block.candidate_pairs(n, records.block_keys, records.clk, records.clk_present, bc)
    completeness: dict[str, Any] = {}
    probable = owner = np.zeros(0, np.int64)
    sampled = 0
    if records.clk is not None and bc.pc_sample:
        probable, owner, sampled = block.probable_pairs(records.clk, records.clk_present, sample=bc.pc_sample,
                                                        min_dice=bc.pc_min_dice, seed=bc.seed)
        completeness = {"method": "sampled records compared with every record (record-filter Dice >= min_dice), "
                                  "each pair scored by the model; the share of those it would call matches "
                                  "(p >= the match threshold) that blocking proposed",
                        "sampled_records": sampled, "min_dice": bc.pc_min_dice, "pairs_scored": int(len(probable))}
    step("blocking")
    ia, ib = candidates.ia, candidates.ib
    comparison = compare(records, ia, ib, config)
    sims, levels, num_levels = comparison.similarities, comparison.levels, comparison.num_levels
    step("comparison")
    field_names = tuple(f.name for f in records.fields)
    ra, rb = _random_pairs(n, config.scoring.random_pairs, config.scoring.seed)
    estimate = estimate_model(levels, compare(records, ra, rb, config).levels, num_levels, fields=field_names,
                              total_pairs=candidates.total_pairs, max_iter=config.scoring.max_iterations)
    model = estimate.model
    sc = config.scoring

    def scored(pa: np.ndarray, pb: np.ndarray, pair_levels: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """Match weights of pairs: the model's, plus the name-frequency adjustment when enabled."""
        w = model.match_weights(pair_levels)
        kinds = {"name"} if sc.name_frequency else set()
        kinds |= {"date"} if sc.date_frequency else set()
        if not kinds:
            return w, {}
        adjustment, stats = frequency_adjustment(records, pa, pb, pair_levels, num_levels, kinds=kinds,
                                                 cap=sc.name_frequency_cap)
        return w + adjustment, stats

    weights, frequency_stats = scored(ia, ib, levels)
    probabilities = score.weight_to_probability(weights)
    if sc.match_threshold is not None and sc.review_threshold is not None:
        thresholds = score.Thresholds(match=sc.match_threshold, review=sc.review_threshold)
        threshold_source = "job config"
    else:
        chosen = score.thresholds_from_probabilities(probabilities, max_false_match_rate=sc.max_false_match_rate,
                                                     max_missed_match_rate=sc.max_missed_match_rate)
        thresholds = score.Thresholds(match=chosen.match,
                                      review=min(chosen.match, max(chosen.review, sc.min_review_probability)))
        threshold_source = "model"
    decisions = score.decide(probabilities, thresholds)
    if len(probable):
        lo, hi = probable // n, probable % n
        sample_weights, _ = scored(lo, hi, compare(records, lo, hi, config).levels)
        likely = score.weight_to_probability(sample_weights) >= thresholds.match
        completeness.update(block.weighted_completeness(probable[likely], owner[likely],
                                                        np.ones(int(likely.sum())), sampled, candidates, n,
                                                        seed=bc.seed))
    step("scoring")
    duplicate_free = frozenset(i for i, a in enumerate(records.agencies) if a in config.clustering.duplicate_free)
    cc = config.clustering
    labels = cluster.cluster(n, records.source, ia, ib, probabilities, decisions, cluster.ClusterConfig(
        duplicate_free_sources=duplicate_free, min_support=cc.min_support,
        unscored_probability=cc.unscored_probability, veto_max_probability=cc.veto_max_probability))
    agencies = np.asarray(records.agencies, dtype=object)[records.source]
    entity_ids = cluster.entity_ids(labels, agencies.tolist(), records.record_refs.tolist())
    step("clustering")

    entities = pd.DataFrame({"entity_id": entity_ids, "agency": agencies, "record_ref": records.record_refs})
    pairs = pd.DataFrame({"agency_a": agencies[ia], "record_ref_a": records.record_refs[ia],
                          "agency_b": agencies[ib], "record_ref_b": records.record_refs[ib]})
    for f, name in enumerate(field_names):
        pairs[f"sim_{name}"] = sims[:, f]
    for f, name in enumerate(field_names):
        pairs[f"level_{name}"] = levels[:, f]
    pairs["weight"] = weights
    pairs["probability"] = probabilities
    pairs["decision"] = pd.Categorical.from_codes(decisions.astype(np.int8), categories=[
        DECISIONS[score.NON_MATCH], DECISIONS[score.REVIEW], DECISIONS[score.MATCH]])
    queue = review_queue(ia, ib, probabilities, decisions, labels, records=n, max_share=sc.review_max_share)
    review = pairs.iloc[queue.order].reset_index(drop=True)
    review.insert(0, "review_rank", np.arange(1, len(review) + 1, dtype=np.int64))
    review["priority"] = queue.priority
    stats = cluster.cluster_stats(labels, records.source)
    envelopes = envelope_table(exports)
    manifest = {
        "format": "linkage-link-result",
        "format_version": 1,
        "versions": _versions(),
        "inputs": [{"name": name, "agency": e.agency, "records": e.record_count,
                    "content_digest": e.metadata.get("content_digest"), "created": e.metadata.get("created")}
                   for name, e in zip(names or [e.agency for e in exports], exports)],
        "key_check_value": records.key_check_value,
        "schema_fingerprint": records.schema_fingerprint,
        "config": config.to_dict(),
        "counts": {"records": n, "candidate_pairs": candidates.count, "all_pairs": candidates.total_pairs,
                   "matches": int((decisions == score.MATCH).sum()), "reviews": int(len(queue.order)),
                   "undecided": int((decisions == score.REVIEW).sum()),
                   "entities": int(labels.max() + 1) if n else 0, "envelopes": envelopes.num_rows},
        "blocking": {"reduction_ratio": round(candidates.reduction_ratio, 6),
                     "passes": [p.to_dict() for p in candidates.passes],
                     "pair_completeness_estimate": completeness},
        "model": model.to_dict(),
        "estimation": {**estimate.report,
                       "expected_share_of_matches_among_candidates":
                           round(min(1.0, model.prior * candidates.total_pairs / candidates.count), 6)
                           if candidates.count else None,
                       "mean_posterior_of_candidates": round(float(probabilities.mean()), 6) if len(probabilities)
                       else None},
        "term_frequency": frequency_stats,
        "levels": {f.name: {"cuts": [] if f.slices else list(config.cuts(f.name, f.kind)), "names": list(names)}
                   for f, names in zip(records.fields, comparison.level_names)},
        "thresholds": {"match": thresholds.match, "review": thresholds.review, "source": threshold_source},
        "review_queue": queue.report,
        "clusters": stats,
        "timings_s": timings,
    }
    return LinkResult(entities, pairs, review, manifest, model, thresholds, labels, envelopes)


def _random_pairs(n: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random record pairs ``i != j`` (for u: almost all are non-matches)."""
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, count, dtype=np.int64)
    b = rng.integers(0, n - 1, count, dtype=np.int64)
    b = b + (b >= a)  # uniform over j != i
    return a, b


def _versions() -> dict[str, str]:
    out = {}
    for package in ("linkage", "numpy", "pandas", "pyarrow", "numba"):
        try:
            out[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            out[package] = "unknown"
    return out
