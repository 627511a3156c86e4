"""linkage.estimate: anchored EM sessions recover known m, u from random pairs, the all-pairs prior."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.estimate import choose_anchors, estimate_model, solve_prior

FIELDS = ("name", "birth_date", "sex", "nationality")
NUM_LEVELS = (5, 5, 2, 2)
# birth_date levels: different, same year only, same day/month 1-2 years apart, swapped, exact
TRUE_M = (np.array([0.002, 0.01, 0.05, 0.27, 0.668]), np.array([0.03, 0.14, 0.01, 0.01, 0.81]),
          np.array([0.02, 0.98]), np.array([0.05, 0.95]))
TRUE_U = (np.array([0.39, 0.57, 0.035, 0.004, 0.001]), np.array([0.95, 0.045, 0.003, 0.0005, 0.0015]),
          np.array([0.5, 0.5]), np.array([0.8, 0.2]))
# Blocking on names makes the non-matches among candidates agree on names far more than random pairs.
BLOCKED_NAME_U = np.array([0.05, 0.25, 0.5, 0.15, 0.05])


def _draw(rng: np.random.Generator, dists, count: int, missing: float = 0.1) -> np.ndarray:
    levels = np.stack([rng.choice(len(d), size=count, p=d) for d in dists], axis=1).astype(np.int8)
    levels[rng.random(levels.shape) < missing] = -1  # a field one side lacks
    return levels


def _generated(seed: int = 1, matches: int = 3000, non_matches: int = 40000, total_pairs: int = 10**8):
    rng = np.random.default_rng(seed)
    candidates = np.concatenate([_draw(rng, TRUE_M, matches),
                                 _draw(rng, (BLOCKED_NAME_U, *TRUE_U[1:]), non_matches)])
    random_pairs = _draw(rng, TRUE_U, 200_000)
    return candidates, random_pairs, matches / total_pairs, total_pairs


def test_em_sessions_recover_known_m_u_and_prior_with_date_categories():
    candidates, random_pairs, true_prior, total = _generated()
    fit = estimate_model(candidates, random_pairs, NUM_LEVELS, fields=FIELDS, total_pairs=total)
    model = fit.model
    assert fit.report["anchors"] == ["name", "birth_date"]  # rarest top levels among random pairs
    for f, name in enumerate(FIELDS):
        assert np.allclose(model.m[f], TRUE_M[f], atol=0.03), (name, model.m[f])
        assert np.allclose(model.u[f], TRUE_U[f], atol=0.01), (name, model.u[f])
    assert model.prior == pytest.approx(true_prior, rel=0.25)
    for session in fit.report["sessions"]:
        assert session["converged"] and session["iterations"] >= 1 and session["final_change"] < 1e-6


def test_the_estimated_share_of_matches_among_candidates_is_close_to_the_truth():
    candidates, random_pairs, _, total = _generated(seed=2)
    fit = estimate_model(candidates, random_pairs, NUM_LEVELS, fields=FIELDS, total_pairs=total)
    share = fit.model.prior * total / len(candidates)
    assert share == pytest.approx(3000 / 43000, rel=0.2)
    assert fit.report["prior"]["source"] == "anchored sessions"
    assert set(fit.report["prior"]["expected_matches_by_anchor"]) == {"name", "birth_date"}


def test_small_inputs_fall_back_to_one_em_and_say_so():
    candidates, random_pairs, _, total = _generated(seed=3, matches=20, non_matches=60)
    fit = estimate_model(candidates, random_pairs, NUM_LEVELS, fields=FIELDS, total_pairs=total)
    assert any("one EM on all candidates" in note for note in fit.model.notes)
    assert any(s["anchor"] is None for s in fit.report["sessions"])


def test_no_candidates_fits_nothing():
    _, random_pairs, _, total = _generated()
    fit = estimate_model(np.zeros((0, 4), np.int8), random_pairs, NUM_LEVELS, fields=FIELDS, total_pairs=total)
    assert "no candidate pairs" in " ".join(fit.model.notes)


def test_anchors_are_the_rarest_top_levels_among_observed_fields():
    u = [np.array([0.9, 0.1]), np.array([0.99, 0.01]), np.array([0.5, 0.5]), np.array([0.999, 0.001])]
    assert choose_anchors(u, [1.0, 1.0, 1.0, 0.05]) == [1, 0]  # the last is too rarely observed


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-40, 40), min_size=1, max_size=50), st.integers(10**3, 10**9))
def test_prior_solves_expected_matches_equal_prior_times_pairs(weights, total):
    lam, solved = solve_prior(np.array(weights), total)
    if solved and 1e-300 < lam < 0.5:
        logit = math.log(lam) - math.log1p(-lam)
        expected = sum(1.0 / (1.0 + math.exp(-(logit + w * math.log(2)))) for w in weights)
        assert expected == pytest.approx(lam * total, rel=1e-6)


def test_a_level_reached_only_where_the_name_agrees_takes_u_from_the_name_session():
    # "same year only" (level 1) through the year with the name skeletons: among random pairs it
    # needs the names to agree as well, so it is as rare as both together; among namesakes it is
    # the chance of a shared birth year (0.03 here). Its u must be the latter, or the name's
    # agreement counts twice.
    rng = np.random.default_rng(5)
    m = (TRUE_M[0], np.array([0.04, 0.14, 0.01, 0.0, 0.81]), TRUE_M[2], TRUE_M[3])
    namesake_date = np.array([0.965, 0.03, 0.003, 0.0005, 0.0015])
    candidates = np.concatenate([_draw(rng, m, 3000, missing=0.0),
                                 _draw(rng, (np.array([0, 0, 0, 0, 1.0]), namesake_date, *TRUE_U[2:]), 20000, 0.0),
                                 _draw(rng, (BLOCKED_NAME_U, np.array([0.9955, 0, 0.003, 0.0, 0.0015]),
                                             *TRUE_U[2:]), 20000, 0.0)])
    random_pairs = _draw(rng, (TRUE_U[0], np.array([0.9955, 0, 0.003, 0.0, 0.0015]), *TRUE_U[2:]), 200_000, 0.0)
    plain = estimate_model(candidates, random_pairs, NUM_LEVELS, fields=FIELDS, total_pairs=10**8)
    fit = estimate_model(candidates, random_pairs, NUM_LEVELS, fields=FIELDS, total_pairs=10**8,
                         u_given={1: (0, (1,))})
    assert plain.model.u[1][1] < 1e-4  # the random pairs' u: the name's agreement counted again
    assert fit.model.u[1][1] == pytest.approx(0.03, abs=0.006)
    assert fit.model.u[1].sum() == pytest.approx(1.0)
    assert fit.model.m[1][1] == pytest.approx(plain.model.m[1][1])  # m is unchanged
    assert fit.report["u_given_by_sessions"]["birth_date"]["session"] == "name"
