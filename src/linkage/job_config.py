"""The link job config: how the linkage unit blocks, compares, scores and clusters.

A job config is the linkage unit's own business (agencies never see it); every setting has a
documented default, so an empty file (``version = 1``) is a valid job. Loading collects every
problem with its path (``blocking.lsh_bands: must be in [0, 256], got 300``); unknown keys are
errors. Example: ``configs/link_job.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._validate import Reader, raise_if_problems

__all__ = ["BlockingConfig", "ScoringConfig", "ClusteringConfig", "LinkJobConfig", "parse_link_job",
           "DEFAULT_LEVELS", "DEFAULT_LEVEL_NAMES"]

#: Similarity cut points per field kind: level ``i`` means ``cuts[i-1] <= similarity < cuts[i]``
#: (level 0 below the first cut, the top level at or above the last: exact agreement). Date
#: cuts follow the date tokens (Dice of the token sets): a day/month swap 0.57, an unknown day
#: and month 0.6, an ambiguous day/month 0.73, a year off by one (or only the year agreeing)
#: 0.43, two years off 0.29. Name cuts follow the chance-corrected part-set score of
#: :func:`linkage.similarity.part_set_dice` (random names about 0.1; 1 % of them reach 0.33;
#: spelling variants 0.8-1; a missing or extra part about 0.85), measured with benchmarks/names.py.
DEFAULT_LEVELS: Mapping[str, tuple[float, ...]] = {
    "name": (0.15, 0.35, 0.65, 0.97),
    "date": (0.3, 0.5, 0.65, 0.97),
    "code": (0.9,),
    "text": (0.5, 0.8, 0.95),
}

#: What the default levels of each kind stand for, lowest first (reported in the run manifest).
DEFAULT_LEVEL_NAMES: Mapping[str, tuple[str, ...]] = {
    "name": ("different", "weak", "similar", "close", "same"),
    "date": ("different", "year off by one, or only the year agrees", "day/month swapped or unknown",
             "day/month ambiguous", "exact"),
    "code": ("different", "same"),
    "text": ("different", "similar", "close", "same"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockingConfig:
    """Candidate generation (see :mod:`linkage.block`)."""

    max_block_size: int = 1000
    lsh_bands: int = 24
    lsh_bits_per_band: int = 0  # 0: chosen from the input size, see linkage.block.lsh_bits
    lsh_random_candidates: float = 2.0  # auto bits: expected random candidates per record
    all_pairs_max: int = 200_000_000
    all_pairs_min_dice: float = 0.65
    pc_sample: int = 2000
    pc_min_dice: float = 0.7
    seed: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoringConfig:
    """Fellegi-Sunter: u from ``random_pairs`` random record pairs, m and prior by EM on the
    candidates; thresholds chosen from the model unless set here (posterior probabilities)."""

    random_pairs: int = 200_000
    max_iterations: int = 200
    seed: int = 1
    match_threshold: float | None = None
    review_threshold: float | None = None
    max_false_match_rate: float = 0.01
    max_missed_match_rate: float = 0.01
    min_review_probability: float = 0.2  # automatic review threshold never below this
    review_max_share: float = 0.05  # the review queue holds at most this share of the records (linkage.review)
    name_frequency: bool = True  # identical names weigh less the more records share them (Winkler)
    date_frequency: bool = True  # identical birth dates likewise
    name_frequency_cap: float = 8.0  # largest adjustment, in bits of match weight


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusteringConfig:
    """Clustering (see :mod:`linkage.cluster`): agencies whose export holds at most one record
    per person, and the anti-chaining parameters."""

    duplicate_free: tuple[str, ...] = ()
    min_support: float = 0.5
    unscored_probability: float = 0.2
    veto_max_probability: float = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkJobConfig:
    version: int = 1
    blocking: BlockingConfig = field(default_factory=BlockingConfig)
    levels: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # field name -> cuts
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    clustering: ClusteringConfig = field(default_factory=ClusteringConfig)

    def cuts(self, field_name: str, kind: str) -> tuple[float, ...]:
        """Cut points of a field: the job's own, else the default of its kind."""
        return self.levels.get(field_name, DEFAULT_LEVELS[kind])

    def level_names(self, field_name: str, kind: str) -> tuple[str, ...]:
        """Names of a field's levels: the kind's names for default cuts, else the cut ranges."""
        cuts = self.cuts(field_name, kind)
        if field_name not in self.levels or cuts == DEFAULT_LEVELS[kind]:
            return DEFAULT_LEVEL_NAMES[kind]
        edges = (0.0, *cuts)
        return tuple(f">= {lo:g}" for lo in edges)

    def to_dict(self) -> dict[str, Any]:
        b, s, c = self.blocking, self.scoring, self.clustering
        return {
            "version": self.version,
            "blocking": {k: getattr(b, k) for k in BlockingConfig.__dataclass_fields__},
            "comparison": {"levels": {k: list(v) for k, v in sorted(self.levels.items())}},
            "scoring": {k: getattr(s, k) for k in ScoringConfig.__dataclass_fields__ if getattr(s, k) is not None},
            "clustering": {"duplicate_free": list(c.duplicate_free), "min_support": c.min_support,
                           "unscored_probability": c.unscored_probability,
                           "veto_max_probability": c.veto_max_probability},
        }


def parse_link_job(data: Mapping[str, Any], *, source: str = "link job config") -> LinkJobConfig:
    """Validate a parsed job config (TOML) and build it; raises ConfigError listing every problem."""
    problems: list[str] = []
    top = Reader(data, "", problems)
    version = top.int("version", 1)
    if version is not None and version != 1:
        top.problem("version", f"must be 1 (the only job config version), got {version}")
    blocking = _blocking(top.table("blocking", None))
    levels = _levels(top.table("comparison", None))
    scoring = _scoring(top.table("scoring", None))
    clustering = _clustering(top.table("clustering", None))
    top.finish()
    raise_if_problems(source, problems)
    return LinkJobConfig(version=1, blocking=blocking, levels=levels, scoring=scoring, clustering=clustering)


def _blocking(r: Reader | None) -> BlockingConfig:
    if r is None:
        return BlockingConfig()
    d = BlockingConfig()
    out = BlockingConfig(
        max_block_size=r.int("max_block_size", d.max_block_size, low=2, high=1_000_000),
        lsh_bands=r.int("lsh_bands", d.lsh_bands, low=0, high=256),
        lsh_bits_per_band=r.int("lsh_bits_per_band", d.lsh_bits_per_band, low=0, high=62),
        lsh_random_candidates=r.float("lsh_random_candidates", d.lsh_random_candidates, low=0.01, high=1e6),
        all_pairs_max=r.int("all_pairs_max", d.all_pairs_max, low=0, high=10**10),
        all_pairs_min_dice=r.float("all_pairs_min_dice", d.all_pairs_min_dice, low=0.0, high=1.0),
        pc_sample=r.int("pc_sample", d.pc_sample, low=0, high=1_000_000),
        pc_min_dice=r.float("pc_min_dice", d.pc_min_dice, low=0.0, high=1.0),
        seed=r.int("seed", d.seed, low=0, high=2**63 - 1),
    )
    r.finish()
    return out if None not in (getattr(out, k) for k in BlockingConfig.__dataclass_fields__) else d


def _levels(r: Reader | None) -> dict[str, tuple[float, ...]]:
    if r is None:
        return {}
    levels_reader = r.table("levels", None)
    r.finish()
    if levels_reader is None:
        return {}
    out: dict[str, tuple[float, ...]] = {}
    for name, cuts in levels_reader.data.items():
        levels_reader.raw(name)
        ok = (isinstance(cuts, list) and 1 <= len(cuts) <= 8
              and all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0.0 < c <= 1.0 for c in cuts)
              and all(a < b for a, b in zip(cuts, cuts[1:])))
        if not ok:
            levels_reader.problem(name, "must be 1 to 8 increasing similarity cut points in (0, 1]")
        else:
            out[name] = tuple(float(c) for c in cuts)
    return out


def _scoring(r: Reader | None) -> ScoringConfig:
    if r is None:
        return ScoringConfig()
    d = ScoringConfig()
    match = r.float("match_threshold", None, low=0.0, high=1.0)
    review = r.float("review_threshold", None, low=0.0, high=1.0)
    if match is not None and review is not None and review > match:
        r.problem("review_threshold", f"must not exceed match_threshold ({match}), got {review}")
    if (match is None) != (review is None) and not r.problems:
        r.problem("match_threshold" if match is None else "review_threshold",
                  "set both thresholds, or neither (then both are chosen from the model)")
    out = ScoringConfig(
        random_pairs=r.int("random_pairs", d.random_pairs, low=1000, high=100_000_000),
        max_iterations=r.int("max_iterations", d.max_iterations, low=1, high=10_000),
        seed=r.int("seed", d.seed, low=0, high=2**63 - 1),
        match_threshold=match, review_threshold=review,
        max_false_match_rate=r.float("max_false_match_rate", d.max_false_match_rate, low=0.0, high=0.5),
        max_missed_match_rate=r.float("max_missed_match_rate", d.max_missed_match_rate, low=0.0, high=0.5),
        min_review_probability=r.float("min_review_probability", d.min_review_probability, low=0.0, high=1.0),
        review_max_share=r.float("review_max_share", d.review_max_share, low=0.0, high=1.0),
        name_frequency=r.bool("name_frequency", d.name_frequency),
        date_frequency=r.bool("date_frequency", d.date_frequency),
        name_frequency_cap=r.float("name_frequency_cap", d.name_frequency_cap, low=0.0, high=30.0),
    )
    r.finish()
    return out


def _clustering(r: Reader | None) -> ClusteringConfig:
    if r is None:
        return ClusteringConfig()
    d = ClusteringConfig()
    agencies = r.str_list("duplicate_free", [])
    out = ClusteringConfig(
        duplicate_free=tuple(agencies or ()),
        min_support=r.float("min_support", d.min_support, low=0.0, high=1.0),
        unscored_probability=r.float("unscored_probability", d.unscored_probability, low=0.0, high=1.0),
        veto_max_probability=r.float("veto_max_probability", d.veto_max_probability, low=0.0, high=1.0),
    )
    r.finish()
    return out
