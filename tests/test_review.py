"""linkage.review: the review queue is ordered by what a decision changes and capped."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.review import review_queue
from linkage.score import MATCH, NON_MATCH, REVIEW


def test_queue_orders_by_record_pairs_a_decision_changes_and_is_capped():
    # records 0-5; clusters {0, 1, 2}, {3, 4}, {5}
    labels = np.array([0, 0, 0, 1, 1, 2])
    ia = np.array([0, 2, 3, 0, 1, 0])
    ib = np.array([3, 5, 5, 1, 4, 2])
    p = np.array([0.5, 0.6, 0.38, 0.3, 0.9, 0.99])
    decision = np.array([REVIEW, REVIEW, REVIEW, REVIEW, NON_MATCH, MATCH], np.int8)
    queue = review_queue(ia, ib, p, decision, labels, records=60, max_share=0.05)
    # priorities: pair 0 across 3 x 2 records: 0.5 / 6; pair 1 across 3 x 1: 0.6 / 3 = 0.2; pair 2 across
    # 2 x 1: 0.38 / 2 = 0.19; pair 3 inside cluster 0 of 3: (1 - 0.3) / 9
    assert queue.order.tolist() == [1, 2, 0]  # capped at 5 % of 60 records
    assert queue.priority.tolist() == pytest.approx([0.2, 0.19, 0.5 / 6])
    report = queue.report
    assert report["cap"] == 3 and report["queued"] == 3 and report["undecided_not_queued"] == 1
    assert report["expected_true_matches"]["queued"] == pytest.approx(1.48)
    assert report["expected_true_matches"]["undecided_not_queued"] == pytest.approx(0.3)
    single = review_queue(ia[:3], ib[:3], p[:3], decision[:3], np.arange(6), records=60, max_share=0.05)
    assert single.order.tolist() == [1, 0, 2]  # between single records: by probability
    tie = review_queue(ia[:2], ib[:2], np.array([0.5, 0.5]), decision[:2], np.arange(6), records=60, max_share=0.05)
    assert tie.order.tolist() == [0, 1]  # equal priority and probability: pair order
    assert report["expected_false_matches"] == pytest.approx(0.01)
    assert report["expected_true_matches"]["non_matches"] == pytest.approx(0.9)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.data())
def test_queue_holds_only_review_pairs_in_priority_order(n, data):
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda t: t[0] != t[1]),
                               min_size=1, max_size=60))
    ia, ib = np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])
    p = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(pairs), max_size=len(pairs))))
    decision = np.array(data.draw(st.lists(st.sampled_from([NON_MATCH, REVIEW, MATCH]), min_size=len(pairs),
                                           max_size=len(pairs))), np.int8)
    labels = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)))
    labels = np.unique(labels, return_inverse=True)[1]
    share = data.draw(st.floats(0, 1))
    queue = review_queue(ia, ib, p, decision, labels, records=n, max_share=share)
    assert (decision[queue.order] == REVIEW).all()
    assert len(queue.order) == min(int((decision == REVIEW).sum()), int(np.floor(share * n)))
    assert (np.diff(queue.priority) <= 1e-12).all()
