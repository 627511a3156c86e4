"""linkage.evaluate: pairwise precision, recall and F1 from two labelings."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.evaluate import pair_quality


def _pairs(labels):
    return {(i, j) for i, j in itertools.combinations(range(len(labels)), 2) if labels[i] == labels[j]}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from("abcde")), max_size=25))
def test_pair_quality_equals_pair_sets(items):
    predicted = [p for p, _ in items]
    truth = [t for _, t in items]
    q = pair_quality(predicted, truth)
    p, t = _pairs(predicted), _pairs(truth)
    assert (q.predicted_pairs, q.true_pairs, q.shared_pairs) == (len(p), len(t), len(p & t))
    assert 0.0 <= q.f1 <= 1.0


def test_perfect_and_edge_cases():
    assert pair_quality(["x", "x", "y"], [1, 1, 2]).f1 == 1.0
    assert pair_quality([], []).f1 == 1.0  # nothing to find, nothing found
    q = pair_quality([1, 1, 1], [1, 2, 3])  # everything merged: precision 0
    assert q.precision == 0.0 and q.recall == 1.0 and q.f1 == 0.0
    with pytest.raises(ValueError):
        pair_quality([1], [1, 2])
