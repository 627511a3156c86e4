"""Link and deduplicate encoded exports: block, compare, score, decide, cluster (linkage unit).

Contract
--------
``link(exports, config)`` takes verified encoded exports of one project (one export means
deduplication only) and returns a :class:`LinkResult`: entities (one row per record with its
entity id), scored candidate pairs with per-field similarities, the pairs for clerical review,
the sealed envelopes of every record (opaque to it; kept for :mod:`linkage.deliver`), and a run
manifest. It sees encodings only, never a secret or a plaintext value. For the same
exports and config the tables are identical bit for bit (the manifest's timings aside).

Steps: candidates from :mod:`linkage.block`; per-field similarities (Dice; names as sets of
parts, best assignment in each direction); similarities cut into agreement levels per field
(``job_config.DEFAULT_LEVELS`` or the job's own); u from random record pairs and m and the
prior by EM on the candidates (:mod:`linkage.score`); identical names weighted by how common
they are (:func:`name_frequency_adjustment`); match / review / non-match by thresholds chosen
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

from . import block, cluster, score, similarity
from .deliver import envelope_table
from .encoded import EncodedExport
from .errors import ConfigError
from .job_config import LinkJobConfig
from .records import RecordSet, record_set

__all__ = ["LinkResult", "link", "field_similarities", "to_levels", "name_frequency_adjustment", "DECISIONS"]

DECISIONS = {score.MATCH: "match", score.REVIEW: "review", score.NON_MATCH: "non_match"}
_CHUNK = 1 << 21
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


def field_similarities(records: RecordSet, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """(pairs, fields) float32 similarities; NaN where either record lacks the field."""
    out = np.empty((len(ia), len(records.fields)), np.float32)
    for start in range(0, len(ia), _CHUNK):
        a, b = ia[start : start + _CHUNK], ib[start : start + _CHUNK]
        for f, data in enumerate(records.fields):
            if data.kind == "name":
                sims = similarity.part_set_dice(data.filters, data.present, data.filters, data.present, a, b)
            else:
                sims = similarity.dice_pairs(data.filters, data.filters, a, b)
                sims = np.where(data.present[a] & data.present[b], sims, np.float32(np.nan))
            out[start : start + len(a), f] = sims
    return out


def to_levels(similarities: np.ndarray, cuts: Sequence[Sequence[float]]) -> np.ndarray:
    """Agreement level per pair and field: the number of cut points at or below the similarity;
    -1 for a missing similarity."""
    levels = np.full(similarities.shape, -1, np.int8)
    for f, field_cuts in enumerate(cuts):
        column = similarities[:, f]
        known = ~np.isnan(column)
        levels[known, f] = np.searchsorted(np.asarray(field_cuts, np.float32), column[known], side="right")
    return levels


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
    probable = np.zeros(0, np.int64)
    if records.clk is not None and bc.pc_sample:
        probable, sampled = block.probable_pairs(records.clk, records.clk_present, sample=bc.pc_sample,
                                                 min_dice=bc.pc_min_dice, seed=bc.seed)
        completeness = {"sampled_records": sampled, "min_dice": bc.pc_min_dice, "probable_pairs": int(len(probable)),
                        "by_filter": block.completeness(probable, candidates, n)}
    step("blocking")
    ia, ib = candidates.ia, candidates.ib
    sims = field_similarities(records, ia, ib)
    cuts = [config.cuts(f.name, f.kind) for f in records.fields]
    levels = to_levels(sims, cuts)
    step("comparison")
    num_levels = tuple(len(c) + 1 for c in cuts)
    field_names = tuple(f.name for f in records.fields)
    ra, rb = _random_pairs(n, config.scoring.random_pairs, config.scoring.seed)
    random_levels = to_levels(field_similarities(records, ra, rb), cuts)
    u = score.estimate_u(random_levels, num_levels)
    model = _fit(levels, num_levels, u, field_names, config)
    sc = config.scoring

    def scored(pa: np.ndarray, pb: np.ndarray, pair_levels: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """Match weights of pairs: the model's, plus the name-frequency adjustment when enabled."""
        w = model.match_weights(pair_levels)
        if not sc.name_frequency:
            return w, {}
        adjustment, stats = name_frequency_adjustment(records, pa, pb, pair_levels, num_levels,
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
        sample_weights, _ = scored(lo, hi, to_levels(field_similarities(records, lo, hi), cuts))
        completeness.update(_model_completeness(probable, score.weight_to_probability(sample_weights), candidates,
                                                n, thresholds.match))
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
    pairs["weight"] = weights
    pairs["probability"] = probabilities
    pairs["decision"] = pd.Categorical.from_codes(decisions.astype(np.int8), categories=[
        DECISIONS[score.NON_MATCH], DECISIONS[score.REVIEW], DECISIONS[score.MATCH]])
    review = pairs[decisions == score.REVIEW].reset_index(drop=True)
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
                   "matches": int((decisions == score.MATCH).sum()), "reviews": int((decisions == score.REVIEW).sum()),
                   "entities": int(labels.max() + 1) if n else 0, "envelopes": envelopes.num_rows},
        "blocking": {"reduction_ratio": round(candidates.reduction_ratio, 6),
                     "passes": [p.to_dict() for p in candidates.passes],
                     "pair_completeness_estimate": completeness},
        "model": model.to_dict(),
        "name_frequency": frequency_stats,
        "levels": {f.name: {"cuts": list(c), "names": list(config.level_names(f.name, f.kind))}
                   for f, c in zip(records.fields, cuts)},
        "thresholds": {"match": thresholds.match, "review": thresholds.review, "source": threshold_source},
        "clusters": stats,
        "timings_s": timings,
    }
    return LinkResult(entities, pairs, review, manifest, model, thresholds, labels, envelopes)


def name_frequency_adjustment(records: RecordSet, ia: np.ndarray, ib: np.ndarray, levels: np.ndarray,
                              num_levels: Sequence[int], *, cap: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Per pair, a match-weight adjustment (bits) for identical names by how common they are.

    Fellegi-Sunter gives every pair whose names agree at the top level one weight, but two
    records of "Mohammed Ahmad" agree by chance far more often than two of a rare name. Per name
    field, a record's name is its set of part filters (byte-identical encodings: the linkage unit
    counts only equal filters, which it can see anyway); ``c`` is the number of records holding
    exactly that set and ``N`` the records with the field. As in Winkler's frequency-based
    matching, the chance that a random pair agrees on that value is ``c / N`` against
    ``sum(c**2) / N**2`` for agreement on any value, so a pair at the top level with identical
    sets gets ``log2(sum(c**2) / (N * c))``, clipped to ``[-cap, cap]``; other pairs get 0.
    Returns the adjustments and, per field, how many pairs were adjusted and by how much.
    """
    out = np.zeros(len(ia), np.float64)
    stats: dict[str, Any] = {}
    n = records.n
    for f, data in enumerate(records.fields):
        if data.kind != "name" or n == 0 or len(ia) == 0:
            continue
        has = data.present.any(axis=1)
        total = int(has.sum())
        rows = np.ascontiguousarray(data.filters.reshape(n, -1))
        _, code = np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel(), return_inverse=True)
        code = code.ravel()
        counts = np.bincount(code[has], minlength=int(code.max()) + 1).astype(np.float64)
        same = (levels[:, f] == num_levels[f] - 1) & (code[ia] == code[ib]) & has[ia] & has[ib]
        if not same.any():
            continue
        delta = np.clip(np.log2(float((counts ** 2).sum()) / (total * counts[code[ia[same]]])), -cap, cap)
        out[same] += delta
        stats[data.name] = {"pairs_adjusted": int(same.sum()), "mean_bits": round(float(delta.mean()), 4),
                            "min_bits": round(float(delta.min()), 4), "max_bits": round(float(delta.max()), 4)}
    return out, stats


def _model_completeness(probable: np.ndarray, p: np.ndarray, candidates: block.Candidates, n: int,
                        match: float) -> dict[str, Any]:
    """Pair completeness among the sampled pairs the fitted model calls matches.

    The probable pairs (record-filter Dice above ``pc_min_dice`` with a sampled record, found
    without blocking; ``p`` their posteriors, scored like the candidates) include many look-alike
    non-matches (relatives, common names) that blocking rightly leaves out; keeping those at or
    above the match threshold asks the steward's question: of the matches the model would have
    found had every pair been compared, how many did blocking propose? ``union`` and the
    per-pass shares are of those; ``by_filter`` keeps the share of all probable pairs.
    """
    matches = probable[p >= match]
    return {"model_matches": int(len(matches)), "match_threshold": match,
            **block.completeness(matches, candidates, n)}


def _fit(levels: np.ndarray, num_levels: tuple[int, ...], u: tuple[np.ndarray, ...], fields: tuple[str, ...],
         config: LinkJobConfig) -> score.FSModel:
    """EM on the candidates, u starting from the random-pair estimate and re-estimated with m and
    the prior. (Keeping u fixed at the random-pair estimate pairs a u of all pairs with a prior of
    blocked pairs: blocking makes non-matches among candidates far more alike than random pairs,
    and EM then calls most candidates matches; weighting in the non-candidate pairs does not cure
    it because agreements of non-matches are correlated, e.g. family members.)"""
    if len(levels) == 0:  # nothing to fit: every record is a person of its own
        return score.FSModel(fields=fields, m=u, u=u, prior=0.5, notes=("no candidate pairs: nothing was fitted",))
    return score.fit_em(levels, num_levels, u=u, fields=fields, max_iter=config.scoring.max_iterations,
                        fix_u=False, prior_init=0.1)


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
