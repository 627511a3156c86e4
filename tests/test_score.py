"""linkage.score: EM recovers known parameters; weights, probabilities, thresholds and decisions."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import score
from linkage.errors import ConfigError, DataError, LinkageError

# Known truth: 5 fields with 2-5 levels, m and u both monotone in the likelihood ratio m/u.
TRUE_M = (
    (0.05, 0.95),
    (0.03, 0.12, 0.85),
    (0.02, 0.05, 0.13, 0.80),
    (0.01, 0.03, 0.06, 0.15, 0.75),
    (0.10, 0.20, 0.70),
)
TRUE_U = (
    (0.90, 0.10),
    (0.85, 0.10, 0.05),
    (0.70, 0.20, 0.08, 0.02),
    (0.60, 0.20, 0.10, 0.07, 0.03),
    (0.50, 0.30, 0.20),
)
MISSING_RATE = (0.0, 0.05, 0.10, 0.15, 0.30)
NUM_LEVELS = tuple(len(m) for m in TRUE_M)
FIELDS = ("sex", "given", "family", "birth_date", "place")


def simulate(rng: np.random.Generator, num_pairs: int, prior: float) -> tuple[np.ndarray, np.ndarray]:
    """Levels of ``num_pairs`` pairs drawn from the true model (matches with probability ``prior``)."""
    is_match = rng.random(num_pairs) < prior
    levels = np.empty((num_pairs, len(FIELDS)), dtype=np.int8)
    for f, (m, u) in enumerate(zip(TRUE_M, TRUE_U)):
        column = np.where(is_match, rng.choice(len(m), num_pairs, p=m), rng.choice(len(u), num_pairs, p=u))
        column[rng.random(num_pairs) < MISSING_RATE[f]] = score.MISSING
        levels[:, f] = column
    return levels, is_match


@pytest.fixture(scope="module")
def random_pair_u() -> tuple[np.ndarray, ...]:
    """u estimated from 100k simulated random pairs (non-matches only)."""
    levels, _ = simulate(np.random.default_rng(11), 100_000, 0.0)
    return score.estimate_u(levels, NUM_LEVELS)


@pytest.fixture(scope="module")
def candidates() -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """200k simulated candidate pairs per true prior."""
    return {prior: simulate(np.random.default_rng(int(prior * 1000)), 200_000, prior) for prior in (0.02, 0.2)}


@pytest.fixture(scope="module")
def fitted(candidates, random_pair_u) -> tuple[score.FSModel, np.ndarray]:
    levels, _ = candidates[0.2]
    return score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS), levels


# ---------------------------------------------------------------------------------------------
# EM


@pytest.mark.parametrize("fix_u", [True, False])
@pytest.mark.parametrize("prior", [0.02, 0.2])
def test_em_recovers_known_parameters(candidates, random_pair_u, prior, fix_u):
    levels, is_match = candidates[prior]
    model = score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS, fix_u=fix_u)
    assert model.converged and model.notes == ()
    assert model.fields == FIELDS
    assert abs(model.prior - prior) / prior < 0.10
    for f in range(len(FIELDS)):
        np.testing.assert_allclose(model.m[f], TRUE_M[f], atol=0.02, err_msg=FIELDS[f])
        np.testing.assert_allclose(model.u[f], TRUE_U[f], atol=0.02, err_msg=FIELDS[f])
    if fix_u:
        for a, b in zip(model.u, random_pair_u):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    # and it separates: at the Mainzelliste thresholds almost every automatic match is a true one
    codes = score.decide(model.probabilities(levels), score.MAINZELLISTE_THRESHOLDS)
    assert is_match[codes == score.MATCH].mean() > 0.99


def test_estimate_u_counts_observed_levels_with_smoothing():
    levels = np.array([[0, -1], [1, -1], [1, -1], [2, -1]], dtype=np.int8)
    u = score.estimate_u(levels, (3, 2), smoothing=1.0)
    np.testing.assert_allclose(u[0], [2 / 7, 3 / 7, 2 / 7])
    np.testing.assert_allclose(u[1], [0.5, 0.5])  # missing in every pair: uniform
    u = score.estimate_u(levels, (4, 2), smoothing=0.5)
    assert u[0][3] > 0 and math.isclose(u[0].sum(), 1.0)
    with pytest.raises(ConfigError, match="'smoothing'"):
        score.estimate_u(levels, (3, 2), smoothing=0)


def reference_em(levels: np.ndarray, m, u, prior: float, iterations: int, fix_u: bool):
    """EM written from the contract, one pair at a time (no unique rows, no floors)."""
    m = [list(map(float, p)) for p in m]
    u = [list(map(float, p)) for p in u]
    for _ in range(iterations):
        posteriors = []
        for row in levels:
            a, b = prior, 1.0 - prior
            for f, level in enumerate(row):
                if level >= 0:
                    a *= m[f][level]
                    b *= u[f][level]
            posteriors.append(a / (a + b))
        prior = sum(posteriors) / len(posteriors)
        for f in range(levels.shape[1]):
            for params, weight in [(m, lambda g: g)] + ([] if fix_u else [(u, lambda g: 1.0 - g)]):
                sums = [0.0] * len(params[f])
                for row, g in zip(levels, posteriors):
                    if row[f] >= 0:
                        sums[row[f]] += weight(g)
                params[f] = [s / sum(sums) for s in sums]
    return m, u, prior


@pytest.mark.parametrize("fix_u", [True, False])
def test_fit_em_matches_per_pair_reference(candidates, random_pair_u, fix_u):
    levels = candidates[0.2][0][:400]
    m_init = tuple(np.full(n, 1.0 / n) + np.linspace(-0.1, 0.1, n) / n for n in NUM_LEVELS)
    model = score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS, m_init=m_init, prior_init=0.3,
                         max_iter=3, tol=1e-15, fix_u=fix_u, monotone=False)
    m, u, prior = reference_em(levels, m_init, random_pair_u, 0.3, 3, fix_u)
    assert model.iterations == 3 and not model.converged
    assert math.isclose(model.prior, prior, rel_tol=1e-9)
    for f in range(len(FIELDS)):
        np.testing.assert_allclose(model.m[f], m[f], rtol=1e-9, atol=1e-6)  # 1e-6: the floor
        np.testing.assert_allclose(model.u[f], u[f], rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("radix", [True, False])
def test_unique_rows_against_counter(candidates, radix):
    levels = candidates[0.02][0][:5000]
    patterns, counts = score._unique_rows(levels, NUM_LEVELS, radix=radix)
    expected = Counter(map(tuple, levels.tolist()))
    assert [tuple(p) for p in patterns.tolist()] == sorted(expected)
    assert counts.tolist() == [expected[k] for k in sorted(expected)]


def test_fit_em_is_deterministic_and_order_free(candidates, random_pair_u):
    levels = candidates[0.2][0][:20_000]
    model = score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    assert score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS) == model
    shuffled = levels[np.random.default_rng(0).permutation(len(levels))]
    other = score.fit_em(shuffled, NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    assert other.iterations == model.iterations
    for a, b in zip(other.m + (other.prior,), model.m + (model.prior,)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_monotone_m_step_pools_adjacent_violators():
    u = np.array([0.5, 0.3, 0.2])
    # ratios m/u = 0.4, 0.33, 3.5: the first two are pooled at (0.2 + 0.1) / (0.5 + 0.3) = 0.375
    np.testing.assert_allclose(score._m_step(np.array([20.0, 10.0, 70.0]), u, u), [0.1875, 0.1125, 0.7])
    np.testing.assert_allclose(score._m_step(np.array([20.0, 10.0, 70.0]), None, u), [0.2, 0.1, 0.7])
    np.testing.assert_allclose(score._m_step(np.array([10.0, 20.0, 70.0]), u, u), [0.1, 0.2, 0.7])
    np.testing.assert_allclose(score._m_step(np.array([9.0, 1.0, 0.0]), u, u), u)  # all pooled
    np.testing.assert_array_equal(score._m_step(np.zeros(3), u, u[::-1]), u[::-1])  # no mass: old values


def test_fitted_weights_are_monotone_for_a_monotone_truth(fitted):
    model, _ = fitted
    for name, weights in zip(model.fields, model.level_weights()):
        assert np.all(np.diff(weights) > 0), name
        assert weights[0] < 0 < weights[-1], name


def test_degenerate_inputs(random_pair_u):
    with pytest.raises(DataError, match="no candidate pairs"):
        score.fit_em(np.empty((0, 5), np.int8), NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    # a field missing in every pair: weight 0, reported
    levels = simulate(np.random.default_rng(5), 5000, 0.2)[0]
    levels[:, 2] = score.MISSING
    model = score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    assert np.array_equal(model.m[2], model.u[2]) and np.all(model.level_weights()[2] == 0)
    assert any("'family'" in note and "missing in every pair" in note for note in model.notes)
    # only clear disagreements: the monotone fit finds no signal (m = u) and says so
    disagree = np.zeros((1000, 5), np.int8)
    model = score.fit_em(disagree, NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    assert all(np.allclose(w, 0, atol=1e-9) for w in model.level_weights())
    assert any("no usable signal" in note for note in model.notes)
    # unconstrained, EM makes disagreement the mark of a match: prior clipped, flagged, still finite
    model = score.fit_em(disagree, NUM_LEVELS, u=random_pair_u, fields=FIELDS, monotone=False)
    assert model.prior >= 1 - 1e-6 and any("prior clipped" in note for note in model.notes)
    assert any("no usable signal" in note for note in model.notes)
    assert all(np.all(np.isfinite(w)) for w in model.level_weights())
    # only exact agreements: everything is a match
    top = np.array([[n - 1 for n in NUM_LEVELS]] * 1000, np.int8)
    model = score.fit_em(top, NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    assert model.prior >= 1 - 1e-6 and any("prior clipped" in note for note in model.notes)
    model = score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS, max_iter=1)
    assert not model.converged and any("did not converge" in note for note in model.notes)


# ---------------------------------------------------------------------------------------------
# weights and probabilities


def test_missing_contributes_zero(fitted):
    model, _ = fitted
    prior_odds = math.log2(model.prior / (1 - model.prior))
    weights = model.level_weights()
    rows = np.array([[-1, -1, -1, -1, -1], [1, 2, 3, 4, 2], [1, -1, 3, -1, 2], [0, 0, -1, 0, 0]], np.int8)
    expected = [prior_odds, prior_odds + sum(weights[f][r] for f, r in enumerate([1, 2, 3, 4, 2])),
                prior_odds + weights[0][1] + weights[2][3] + weights[4][2],
                prior_odds + weights[0][0] + weights[1][0] + weights[3][0] + weights[4][0]]
    np.testing.assert_allclose(model.match_weights(rows), expected, rtol=1e-12)
    assert math.isclose(model.probabilities(rows[:1])[0], model.prior, rel_tol=1e-12)


def test_probabilities_are_consistent_with_weights(fitted):
    model, levels = fitted
    w = model.match_weights(levels)
    p = model.probabilities(levels)
    assert p.dtype == np.float64 and w.dtype == np.float64 and p.shape == (len(levels),)
    assert np.all((p >= 0) & (p <= 1))
    moderate = np.abs(w) < 50
    np.testing.assert_allclose(p[moderate], 2.0 ** w[moderate] / (1 + 2.0 ** w[moderate]), rtol=1e-12)
    extreme = score.FSModel(fields=("a",), m=(np.array([1e-9, 1 - 1e-9]),), u=(np.array([1 - 1e-9, 1e-9]),),
                            prior=0.5)
    with np.errstate(all="raise"):
        p = extreme.probabilities(np.array([[0], [1]] * 600, np.int8).reshape(-1, 1))
    assert np.all((p >= 0) & (p <= 1))


def test_model_dict_round_trip_is_exact(fitted):
    model, _ = fitted
    restored = score.FSModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model
    assert restored.to_dict() == model.to_dict()
    for a, b in zip(restored.m + restored.u, model.m + model.u):
        assert a.tobytes() == b.tobytes()
    assert (restored.prior, restored.iterations, restored.converged) == (model.prior, model.iterations,
                                                                          model.converged)
    assert hash(restored) == hash(model)


def test_model_is_immutable_and_validated(fitted):
    model, _ = fitted
    with pytest.raises(ValueError):
        model.m[0][0] = 0.5
    with pytest.raises(ConfigError) as info:
        score.FSModel.from_dict({"version": 2, "fields": ["a"], "m": [[0.5, 0.5]], "colour": 1})
    message = str(info.value)
    assert "u: is required" in message and "prior: is required" in message and "colour" in message
    assert "version: must be 1" in message
    with pytest.raises(ConfigError, match="'prior'"):
        score.FSModel(fields=("a",), m=(np.array([0.5, 0.5]),), u=(np.array([0.5, 0.5]),), prior=1.0)
    with pytest.raises(ConfigError, match="m of field 'a'"):
        score.FSModel(fields=("a",), m=(np.array([0.0, 1.0]),), u=(np.array([0.5, 0.5]),), prior=0.5)
    with pytest.raises(ConfigError, match="u of field 'a' must have 2"):
        score.FSModel(fields=("a",), m=(np.array([0.5, 0.5]),), u=(np.array([0.2, 0.3, 0.5]),), prior=0.5)


@st.composite
def monotone_models(draw):
    """A model whose weight ``log2(m/u)`` never falls as a field's level rises."""
    num_fields = draw(st.integers(1, 4))
    sizes = [draw(st.integers(2, 5)) for _ in range(num_fields)]
    m, u = [], []
    for size in sizes:
        base = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=size, max_size=size)))
        steps = draw(st.lists(st.floats(0.0, 4.0), min_size=size, max_size=size))
        ratio = np.exp2(np.cumsum(steps) - sum(steps) / 2)
        u.append(base / base.sum())
        m.append(u[-1] * ratio / (u[-1] * ratio).sum())
    prior = draw(st.floats(1e-4, 1 - 1e-4))
    return score.FSModel(fields=tuple(f"f{i}" for i in range(num_fields)), m=tuple(m), u=tuple(u), prior=prior)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), model=monotone_models())
def test_probability_never_falls_when_a_level_rises(data, model):
    row = [data.draw(st.integers(-1, n - 1)) for n in model.num_levels]
    f = data.draw(st.integers(0, len(row) - 1))
    level = data.draw(st.integers(0, model.num_levels[f] - 2))
    low, high = list(row), list(row)
    low[f], high[f] = level, level + 1
    p_low, p_high = model.probabilities(np.array([low, high], np.int8))
    assert p_high >= p_low * (1 - 1e-12)


# ---------------------------------------------------------------------------------------------
# thresholds and decisions


def test_choose_thresholds_obeys_its_rule(fitted):
    model, levels = fitted
    p = model.probabilities(levels)
    th = score.choose_thresholds(model, levels, max_false_match_rate=0.001, max_missed_match_rate=0.001)
    assert 0.5 < th.match <= 1 and 0 <= th.review <= th.match  # the floor of 0.5 is not what set it
    chosen = p >= th.match
    assert np.mean(1 - p[chosen]) <= 0.001
    next_lower = p[p < th.match].max()  # one more tie group would break the rule
    assert np.mean(1 - p[p >= next_lower]) > 0.001
    assert p[p < th.review].sum() <= 0.001 * p.sum()
    next_higher = p[p > th.review].min()
    assert p[p < next_higher].sum() > 0.001 * p.sum()


def test_thresholds_rule_on_a_hand_example():
    p = np.array([0.999, 0.999, 0.99, 0.9, 0.7, 0.2, 0.05, 0.01, 0.0])
    # false share of the top groups: 0.001, (0.002 + 0.01) / 3 = 0.004, (0.012 + 0.1) / 4 = 0.028
    th = score._thresholds_from_probabilities(p, 0.005, 0.01, 0.5)
    assert th.match == 0.99
    # expected matches 4.838; budget 0.04838: below 0.05 lies 0.01 (ok), below 0.2 lies 0.06 (too much)
    assert th.review == 0.05
    assert score._thresholds_from_probabilities(p, 1.0, 0.01, 0.5).match == 0.5  # the floor
    assert score._thresholds_from_probabilities(p, 0.0, 0.01, 0.5).match == 1.0  # nothing qualifies
    assert score._thresholds_from_probabilities(p, 0.005, 1.0, 0.5).review == 0.99  # capped at match


def test_choose_thresholds_without_pairs_falls_back_to_mainzelliste(fitted):
    model, _ = fitted
    th = score.choose_thresholds(model, np.empty((0, 5), np.int8))
    assert th == score.MAINZELLISTE_THRESHOLDS == score.Thresholds(match=0.95, review=0.6)
    with pytest.raises(ConfigError, match="'max_false_match_rate'"):
        score.choose_thresholds(model, np.empty((0, 5), np.int8), max_false_match_rate=1.5)


def test_thresholds_are_validated():
    with pytest.raises(ConfigError, match=r"'match' of Thresholds must be in \[0, 1\], got 1.3"):
        score.Thresholds(match=1.3, review=0.5)
    with pytest.raises(ValueError, match="'review' of Thresholds must be <= 'match'"):
        score.Thresholds(match=0.6, review=0.9)
    with pytest.raises(ConfigError, match="'review'"):
        score.Thresholds(match=0.6, review=float("nan"))
    with pytest.raises(TypeError):
        score.Thresholds(0.9, 0.5)  # keyword-only


def test_decide_codes():
    p = np.array([0.0, 0.59, 0.6, 0.94, 0.95, 1.0])
    codes = score.decide(p, score.MAINZELLISTE_THRESHOLDS)
    assert codes.dtype == np.int8
    assert codes.tolist() == [score.NON_MATCH, 0, score.REVIEW, 1, score.MATCH, 2]
    assert score.decide(p, score.Thresholds(match=0.6, review=0.6)).tolist() == [0, 0, 2, 2, 2, 2]
    with pytest.raises(DataError, match="row 1"):
        score.decide(np.array([0.5, np.nan]), score.MAINZELLISTE_THRESHOLDS)


# ---------------------------------------------------------------------------------------------
# bad inputs


def test_bad_levels_raise_data_errors_naming_field_and_row(fitted, random_pair_u):
    model, _ = fitted
    bad = np.zeros((4, 5), np.int8)
    bad[2, 3] = 5  # birth_date has levels 0..4
    with pytest.raises(DataError, match=r"field 'birth_date' must be in \[-1, 4\].*row 2"):
        model.match_weights(bad)
    bad[2, 3] = -2
    with pytest.raises(DataError, match="'birth_date'"):
        score.fit_em(bad, NUM_LEVELS, u=random_pair_u, fields=FIELDS)
    with pytest.raises(DataError, match="4 column"):
        model.probabilities(np.zeros((3, 4), np.int8))
    with pytest.raises(DataError, match="matrix"):
        model.probabilities(np.zeros(5, np.int8))
    with pytest.raises(DataError, match="integers"):
        model.probabilities(np.zeros((3, 5), np.float64))
    with pytest.raises(LinkageError, match="column"):
        score.estimate_u(np.zeros((3, 2), np.int8), NUM_LEVELS)


def test_bad_parameters_raise_config_errors(random_pair_u):
    levels = np.zeros((10, 5), np.int8)
    with pytest.raises(ConfigError, match="4 field name"):
        score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS[:4])
    with pytest.raises(ConfigError, match="u of field 'given' must have 3"):
        score.fit_em(levels, NUM_LEVELS, u=(random_pair_u[0], random_pair_u[2]) + random_pair_u[2:], fields=FIELDS)
    with pytest.raises(ConfigError, match=r"num_levels\[1\]"):
        score.fit_em(levels, (2, 1, 4, 5, 3), u=random_pair_u, fields=FIELDS)
    with pytest.raises(ConfigError, match="'prior_init'"):
        score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS, prior_init=0.0)
    with pytest.raises(ConfigError, match="'max_iter'"):
        score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS, max_iter=0)
    with pytest.raises(ConfigError, match="m_init of field 'sex'"):
        score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=FIELDS,
                     m_init=(np.array([0.7, 0.7]),) + random_pair_u[1:])
    with pytest.raises(ConfigError, match="distinct"):
        score.fit_em(levels, NUM_LEVELS, u=random_pair_u, fields=("a", "a", "b", "c", "d"))


def test_weights_count_like_repeated_pairs():
    rng = np.random.default_rng(3)
    levels = rng.integers(0, 3, (400, 2)).astype(np.int8)
    repeats = rng.integers(1, 4, 400)
    u = score.estimate_u(levels, (3, 3))
    weighted = score.fit_em(levels, (3, 3), u=u, fields=("a", "b"), weights=repeats.astype(float))
    repeated = score.fit_em(np.repeat(levels, repeats, axis=0), (3, 3), u=u, fields=("a", "b"))
    assert weighted.prior == pytest.approx(repeated.prior, rel=1e-9)
    for w, r in zip(weighted.m, repeated.m):
        assert np.allclose(w, r, rtol=1e-9)
    with pytest.raises(DataError, match="weights"):
        score.fit_em(levels, (3, 3), u=u, fields=("a", "b"), weights=np.ones(3))
