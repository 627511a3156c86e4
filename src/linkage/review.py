"""The clerical review queue: which undecided pairs a clerk should look at first (linkage unit).

Contract
--------
:func:`review_queue` takes the candidate pairs' posteriors and decisions and the clusters found,
and returns the queue: indices of pairs with decision *review*, ordered by how much a clerk's
decision would change the result, and at most ``max_share`` of the records long.

* A review pair across two clusters ``A`` and ``B`` would join ``|A| * |B|`` record pairs if the
  clerk says "match", which the model expects with probability ``p``: priority ``p * |A| * |B|``.
  A review pair inside one cluster (joined through other matches) would split it if the clerk
  says "no", expected ``1 - p``: priority ``1 - p``. Ties: the higher ``p``, then the pair order.
* Review pairs beyond the cap stay undecided (they neither join nor keep apart records); the
  queue's report says how many there are and how many true matches the model expects among
  the queued pairs, the pairs left out, the automatic matches (expected false matches) and the
  non-matches (expected missed matches).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .score import MATCH, NON_MATCH, REVIEW

__all__ = ["ReviewQueue", "review_queue"]


@dataclass(frozen=True, slots=True)
class ReviewQueue:
    """Pair indices in queue order, each pair's priority, and the report for the manifest."""

    order: np.ndarray
    priority: np.ndarray
    report: dict[str, Any]


def review_queue(ia: np.ndarray, ib: np.ndarray, probability: np.ndarray, decision: np.ndarray, labels: np.ndarray,
                 *, records: int, max_share: float) -> ReviewQueue:
    """The review queue of the candidates (see the module docstring)."""
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, np.int64)
    band = np.flatnonzero(decision == REVIEW)
    la, lb = labels[ia[band]], labels[ib[band]]
    p = probability[band].astype(np.float64)
    across = la != lb
    priority = np.where(across, p * sizes[la] * sizes[lb], 1.0 - p)
    ranked = band[np.lexsort((band, -p, -priority))]
    cap = int(math.floor(max_share * records))
    queued = ranked[:cap]
    left = ranked[cap:]
    full_priority = np.zeros(len(probability), np.float64)
    full_priority[band] = priority
    matches, non_matches = decision == MATCH, decision == NON_MATCH
    report = {
        "ordered_by": "expected record pairs a clerk's decision changes: p * |A| * |B| across two clusters, "
                      "1 - p within one",
        "max_share_of_records": max_share,
        "cap": cap,
        "queued": int(len(queued)),
        "undecided_not_queued": int(len(left)),
        "expected_true_matches": {
            "queued": round(float(probability[queued].sum()), 2),
            "undecided_not_queued": round(float(probability[left].sum()), 2),
            "matches": round(float(probability[matches].sum()), 2),
            "non_matches": round(float(probability[non_matches].sum()), 2),
        },
        "expected_false_matches": round(float((1.0 - probability[matches]).sum()), 2),
    }
    return ReviewQueue(queued, full_priority[queued], report)
