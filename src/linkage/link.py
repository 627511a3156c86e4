"""Link and deduplicate encoded exports: block, compare, score, decide, cluster (linkage unit).

Contract
--------
``link(exports, config)`` takes verified encoded exports of one project (one export means
deduplication only) and returns a :class:`LinkResult`: entities (one row per record with its
entity id), scored candidate pairs with per-field similarities, the pairs for clerical review,
the sealed envelopes of every record (opaque to it; kept for :mod:`linkage.deliver`), the signed
metadata of every input export (it holds no record value; deliver and the recipients check the
envelopes against it, see :mod:`linkage.authenticity`), and a run manifest. It sees encodings only, never a secret or a plaintext value. For the same
exports and config the tables are identical bit for bit (the manifest's timings aside).

Steps: candidates from :mod:`linkage.block`; per-field similarities and agreement levels from
:mod:`linkage.compare` (names as sets of parts, dates by category, other fields by Dice cut into
levels); the model from :mod:`linkage.estimate` (u from random record pairs, m by anchored EM
sessions, the prior over all record pairs); identical names and birth dates weighted by how
common they are (:func:`linkage.estimate.frequency_adjustment`); match / review / non-match by
thresholds chosen from the posteriors unless the job sets them; a pair-completeness estimate
from sampled records scored against every record; persons by :mod:`linkage.cluster`; the review
queue by :mod:`linkage.review`.
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
from .compare import Comparison, bound_u, compare, name_bound_levels
from .estimate import Estimate, estimate_model, frequency_adjustment
from .review import ReviewQueue, review_queue
from .deliver import envelope_table
from .diffusion import diffused_blocking, diffusion_of
from .encoded import EncodedExport
from .errors import ConfigError
from .job_config import LinkJobConfig
from .records import RecordSet, record_set

__all__ = ["LinkResult", "Scored", "link", "load", "block_records", "estimate", "decide", "pair_completeness",
           "cluster_records", "manifest", "DECISIONS"]

DECISIONS = {score.MATCH: "match", score.REVIEW: "review", score.NON_MATCH: "non_match"}
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LinkResult:
    entities: pd.DataFrame  # entity_id, agency, record_ref
    pairs: pd.DataFrame  # agency_a, record_ref_a, agency_b, record_ref_b, sim_<field>..., weight, probability, decision
    review: pd.DataFrame  # the review queue: review_rank, the pair's columns, priority (linkage.review)
    manifest: dict[str, Any]
    model: score.FSModel
    thresholds: score.Thresholds
    labels: np.ndarray  # cluster label per record, records in input order
    envelopes: pa.Table  # agency, record_ref, envelope: every sealed payload of the inputs
    exports: tuple[dict[str, Any], ...] = ()  # the inputs' signed metadata, in input order


def link(exports: Sequence[EncodedExport], config: LinkJobConfig, *, names: Sequence[str] | None = None,
         progress: Progress | None = None) -> LinkResult:
    """Link verified exports (see the module docstring). ``names`` label the inputs in errors.

    A sequence of named steps, each a function of this module that can be called on its own:
    :func:`load`, :func:`block_records`, :func:`linkage.compare.compare`, :func:`estimate`,
    :func:`decide`, :func:`pair_completeness`, :func:`cluster_records` and :func:`manifest`.
    ``progress`` is called with each step's name when it is done; the manifest holds the timings.
    """
    clock = _Clock(progress)
    records = clock.run("load", load, exports, config, names)
    candidates = clock.run("blocking", block_records, records, config)
    comparison = clock.run("comparison", compare, records, candidates.ia, candidates.ib, config)
    fitted = clock.run("estimate", estimate, records, candidates, comparison, config)
    scored = clock.run("scoring", decide, records, candidates, comparison, fitted.model, config)
    completeness = clock.run("pair_completeness", pair_completeness, records, candidates, scored, config)
    labels = clock.run("clustering", cluster_records, records, candidates, scored, config)
    agencies = np.asarray(records.agencies, dtype=object)[records.source]
    entities = pd.DataFrame({"entity_id": cluster.entity_ids(labels, agencies.tolist(), records.record_refs.tolist()),
                             "agency": agencies, "record_ref": records.record_refs})
    pairs = _pairs_table(records, candidates, comparison, scored)
    queue = review_queue(candidates.ia, candidates.ib, scored.probabilities, scored.decisions, labels, records=records.n,
                         max_share=config.scoring.review_max_share)
    review = pairs.iloc[queue.order].reset_index(drop=True)
    review.insert(0, "review_rank", np.arange(1, len(review) + 1, dtype=np.int64))
    review["priority"] = queue.priority
    envelopes = envelope_table(exports)
    facts = manifest(exports, names, config, records, candidates, comparison, fitted, scored, completeness, labels,
                     queue, envelopes.num_rows, clock.timings)
    return LinkResult(entities, pairs, review, facts, fitted.model, scored.thresholds, labels, envelopes,
                      tuple(dict(e.metadata) for e in exports))


@dataclass(frozen=True, slots=True)
class Scored:
    """What :func:`decide` found: per candidate the match weight (bits, term frequencies
    included), posterior and decision; the thresholds and where they came from; the term-frequency
    statistics; and ``weigh``, which gives the same weights for any other pairs."""

    weights: np.ndarray
    probabilities: np.ndarray
    decisions: np.ndarray
    thresholds: score.Thresholds
    threshold_source: str
    term_frequency: dict[str, Any]
    weigh: Callable[[np.ndarray, np.ndarray], np.ndarray]


class _Clock:
    """Times the steps and reports each to ``progress``."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    def run(self, name: str, step: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        out = step(*args)
        self.timings[name] = round(time.perf_counter() - start, 3)
        if self.progress is not None:
            self.progress(name)
        return out


def load(exports: Sequence[EncodedExport], config: LinkJobConfig, names: Sequence[str] | None = None) -> RecordSet:
    """The record set of the exports (:func:`linkage.records.record_set`), checked against the job:
    ConfigError when ``comparison.levels`` names a field the exports do not have."""
    records = record_set(exports, names)
    unknown = sorted(set(config.levels) - {f.name for f in records.fields})
    if unknown:
        raise ConfigError("link job config is invalid:", tuple(
            f"comparison.levels.{name}: is not a field of the exports' schema" for name in unknown))
    return records


def block_records(records: RecordSet, config: LinkJobConfig) -> block.Candidates:
    """Candidate pairs: keyed blocking keys, LSH and (small inputs) all pairs (:mod:`linkage.block`)."""
    return block.candidate_pairs(records.n, records.block_keys, records.clk, records.clk_present,
                                 _blocking_config(records, config))


def _blocking_config(records: RecordSet, config: LinkJobConfig) -> Any:
    """The job's blocking settings, record-filter Dice thresholds mapped onto diffused filters."""
    width = records.clk.shape[1] * 8 if records.clk is not None else 0
    return diffused_blocking(config.blocking, diffusion_of(records.schema), width)


def estimate(records: RecordSet, candidates: block.Candidates, comparison: Comparison,
             config: LinkJobConfig) -> Estimate:
    """The Fellegi-Sunter model (:mod:`linkage.estimate`): u from seeded random record pairs, m by
    anchored EM sessions on the candidates, the prior over all record pairs."""
    ra, rb = _random_pairs(records.n, config.scoring.random_pairs, config.scoring.seed)
    return estimate_model(comparison.levels, compare(records, ra, rb, config).levels, comparison.num_levels,
                          u_fixed=bound_u(records), u_given=name_bound_levels(records),
                          fields=tuple(f.name for f in records.fields), total_pairs=candidates.total_pairs,
                          max_iter=config.scoring.max_iterations)


def decide(records: RecordSet, candidates: block.Candidates, comparison: Comparison, model: score.FSModel,
           config: LinkJobConfig) -> Scored:
    """Weights (with term-frequency adjustments when on), posteriors, thresholds (the job's, or
    chosen from the posteriors) and match / review / non-match per candidate."""
    sc = config.scoring
    kinds = ({"name"} if sc.name_frequency else set()) | ({"date"} if sc.date_frequency else set())

    def weigh_levels(ia: np.ndarray, ib: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        w = model.match_weights(levels)
        if not kinds:
            return w, {}
        adjustment, stats = frequency_adjustment(records, ia, ib, levels, comparison.num_levels, kinds=kinds,
                                                 cap=sc.name_frequency_cap)
        return w + adjustment, stats

    def weigh(ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        return weigh_levels(ia, ib, compare(records, ia, ib, config).levels)[0]

    weights, stats = weigh_levels(candidates.ia, candidates.ib, comparison.levels)
    probabilities = score.weight_to_probability(weights)
    if sc.match_threshold is not None and sc.review_threshold is not None:
        thresholds, source = score.Thresholds(match=sc.match_threshold, review=sc.review_threshold), "job config"
    else:
        chosen = score.thresholds_from_probabilities(probabilities, max_false_match_rate=sc.max_false_match_rate,
                                                     max_missed_match_rate=sc.max_missed_match_rate)
        thresholds = score.Thresholds(match=chosen.match,
                                      review=min(chosen.match, max(chosen.review, sc.min_review_probability)))
        source = "model"
    return Scored(weights, probabilities, score.decide(probabilities, thresholds), thresholds, source, stats, weigh)


def pair_completeness(records: RecordSet, candidates: block.Candidates, scored: Scored,
                      config: LinkJobConfig) -> dict[str, Any]:
    """The pair-completeness estimate of the manifest: ``pc_sample`` seeded records compared with
    every record whose record-filter Dice reaches ``pc_min_dice``, each such pair scored like the
    candidates; the share of those the model would call matches that blocking proposed, per pass
    and for the union, with a bootstrap interval over the sampled records (empty without record
    filters or with ``pc_sample = 0``)."""
    bc, n = _blocking_config(records, config), records.n
    if records.clk is None or not bc.pc_sample:
        return {}
    probable, owner, sampled = block.probable_pairs(records.clk, records.clk_present, sample=bc.pc_sample,
                                                    min_dice=bc.pc_min_dice, seed=bc.seed)
    out: dict[str, Any] = {"method": "sampled records compared with every record (record-filter Dice >= min_dice), "
                                     "each pair scored by the model; the share of those it would call matches "
                                     "(p >= the match threshold) that blocking proposed",
                           "sampled_records": sampled, "min_dice": bc.pc_min_dice, "pairs_scored": int(len(probable))}
    if len(probable):
        likely = score.weight_to_probability(scored.weigh(probable // n, probable % n)) >= scored.thresholds.match
        out.update(block.weighted_completeness(probable[likely], owner[likely], np.ones(int(likely.sum())), sampled,
                                               candidates, n, seed=bc.seed))
    return out


def cluster_records(records: RecordSet, candidates: block.Candidates, scored: Scored,
                    config: LinkJobConfig) -> np.ndarray:
    """Cluster label per record (:func:`linkage.cluster.cluster` with the job's clustering options)."""
    cc = config.clustering
    duplicate_free = frozenset(i for i, a in enumerate(records.agencies) if a in cc.duplicate_free)
    return cluster.cluster(records.n, records.source, candidates.ia, candidates.ib, scored.probabilities,
                           scored.decisions, cluster.ClusterConfig(
                               duplicate_free_sources=duplicate_free, min_support=cc.min_support,
                               unscored_probability=cc.unscored_probability,
                               veto_max_probability=cc.veto_max_probability))


def _pairs_table(records: RecordSet, candidates: block.Candidates, comparison: Comparison,
                 scored: Scored) -> pd.DataFrame:
    agencies = np.asarray(records.agencies, dtype=object)[records.source]
    ia, ib = candidates.ia, candidates.ib
    pairs = pd.DataFrame({"agency_a": agencies[ia], "record_ref_a": records.record_refs[ia],
                          "agency_b": agencies[ib], "record_ref_b": records.record_refs[ib]})
    names = [f.name for f in records.fields]
    for f, name in enumerate(names):
        pairs[f"sim_{name}"] = comparison.similarities[:, f]
    for f, name in enumerate(names):
        pairs[f"level_{name}"] = comparison.levels[:, f]
    pairs["weight"] = scored.weights
    pairs["probability"] = scored.probabilities
    pairs["decision"] = pd.Categorical.from_codes(scored.decisions.astype(np.int8), categories=[
        DECISIONS[score.NON_MATCH], DECISIONS[score.REVIEW], DECISIONS[score.MATCH]])
    return pairs


def manifest(exports: Sequence[EncodedExport], names: Sequence[str] | None, config: LinkJobConfig,
             records: RecordSet, candidates: block.Candidates, comparison: Comparison, fitted: Estimate,
             scored: Scored, completeness: dict[str, Any], labels: np.ndarray, queue: ReviewQueue, envelopes: int,
             timings: dict[str, float]) -> dict[str, Any]:
    """The run manifest: inputs, config, counts, blocking, model and its estimation, levels,
    thresholds, review queue, clusters and timings (aggregates and keyed references only)."""
    model, decisions, probabilities = fitted.model, scored.decisions, scored.probabilities
    n = records.n
    return {
        "format": "linkage-link-result",
        "format_version": 2,
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
                   "entities": int(labels.max() + 1) if n else 0, "envelopes": envelopes},
        "blocking": {"reduction_ratio": round(candidates.reduction_ratio, 6),
                     "passes": [p.to_dict() for p in candidates.passes],
                     "pair_completeness_estimate": completeness},
        "model": model.to_dict(),
        "estimation": {**fitted.report,
                       "expected_share_of_matches_among_candidates":
                           round(min(1.0, model.prior * candidates.total_pairs / candidates.count), 6)
                           if candidates.count else None,
                       "mean_posterior_of_candidates": round(float(probabilities.mean()), 6) if len(probabilities)
                       else None},
        "term_frequency": scored.term_frequency,
        "levels": {f.name: {"cuts": [] if f.slices else list(config.cuts(f.name, f.kind)), "names": list(level_names)}
                   for f, level_names in zip(records.fields, comparison.level_names)},
        "thresholds": {"match": scored.thresholds.match, "review": scored.thresholds.review,
                       "source": scored.threshold_source},
        "review_queue": queue.report,
        "clusters": cluster.cluster_stats(labels, records.source),
        "timings_s": timings,
    }


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
