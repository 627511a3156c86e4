"""Quality of a linkage against ground truth: pairwise precision, recall and F1.

Contract: records are grouped once by the linkage (entity labels) and once by the truth (person
labels); a *pair* is two records in one group. Precision = shared pairs / predicted pairs,
recall = shared pairs / true pairs, F1 their harmonic mean (1.0 where both sides have no pairs).
Counts come from the contingency table of the two labelings, so no pair is ever materialised.
Used by the demo and the benchmarks, where the truth is known (never by the linkage unit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PairQuality", "pair_quality"]


@dataclass(frozen=True, slots=True)
class PairQuality:
    true_pairs: int
    predicted_pairs: int
    shared_pairs: int

    @property
    def precision(self) -> float:
        return self.shared_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.shared_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 6), "recall": round(self.recall, 6), "f1": round(self.f1, 6),
                "true_pairs": self.true_pairs, "predicted_pairs": self.predicted_pairs,
                "shared_pairs": self.shared_pairs}


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pair_quality(predicted: Sequence[Any] | np.ndarray, truth: Sequence[Any] | np.ndarray) -> PairQuality:
    """Pairwise quality of the ``predicted`` grouping against ``truth`` (one label per record)."""
    if len(predicted) != len(truth):
        raise ValueError(f"predicted has {len(predicted)} labels, truth {len(truth)}")
    p = pd.factorize(pd.Series(predicted, dtype=object))[0]
    t = pd.factorize(pd.Series(truth, dtype=object))[0]
    both = pd.DataFrame({"p": p, "t": t})
    return PairQuality(true_pairs=_pairs(np.bincount(t)) if len(t) else 0,
                       predicted_pairs=_pairs(np.bincount(p)) if len(p) else 0,
                       shared_pairs=_pairs(both.groupby(["p", "t"]).size().to_numpy()))
