"""Estimate the Fellegi-Sunter model of a link job: u from random pairs, m by anchored EM sessions,
the prior over all record pairs (linkage unit).

Contract
--------
:func:`estimate_model` takes the levels of the candidate pairs, the levels of seeded random record
pairs (almost all non-matches) and the number of record pairs in all, and returns an
:class:`Estimate`: the model (:class:`linkage.score.FSModel`) and a report of how it was found.

* **u** from the random pairs (:func:`linkage.score.estimate_u`), never re-estimated: blocking
  makes the non-matches among candidates far more alike than non-matches in general (namesakes,
  siblings sharing family and father's names, nationality and place), and an EM that may move u
  explains those look-alikes as a second kind of match.
* **u of a level that needs another field to agree** (``u_given``; a date's "same year only"
  where only the year with the name skeletons shows it, :func:`linkage.compare.name_bound_levels`):
  among random pairs such a level is as rare as the other field's agreement and the date's
  together, so its random-pair u would count the name a second time (measured on the synthetic
  data at 40,000 persons: namesakes born in the same year at +12 bits, 11,300 of 12,200 false
  matches). Its m comes from the session anchored on that field (pairs that agree there), so its
  u does too: the u fitted for that session's non-matches (see :func:`_conditional_u`).
* **m** by EM *sessions*, as Splink trains: each session keeps only the candidates at the top
  level of one *anchor* field (by default the two fields whose top level is rarest among random
  pairs, e.g. identical names and identical birth dates) and fits the other fields on them; the
  anchor is left out of its own session (its level is constant there). Within a session both m
  and u are fitted, and only m is kept: the session's non-matches are a kind of their own (in the
  identical-name session, namesakes, who share nationality and sex far more often than random
  pairs), and a u fixed at the random pairs' would make them look like matches (measured on the
  synthetic data: F1 0.910 with u fixed in the sessions, 0.948 fitted). Among pairs with
  identical birth dates the non-matches are few, so the other fields' m come out clean; the
  anchor's own m comes from the other session. A field estimated in several sessions gets the
  mean of their m. Each session's pairs, iterations, convergence, final parameter change and
  prior are reported. A session needs at least 50 pairs; a field no session estimated (small
  inputs) takes its m from one EM on all candidates (m and u fitted, as for a session).
* **prior**: the probability that two random records match, ``lambda = matches / total_pairs``.
  The matches are counted through the sessions: a session's expected matches (its prior times
  its pairs) are the matches at the anchor's top level, so dividing by ``P(anchor at its top
  level and observed | match)`` (the anchor's top-level m, and the share of the other session's
  matches that have the anchor) counts all matches the candidates hold; the anchors' counts are
  combined by their geometric mean. Without usable sessions, ``lambda`` solves
  ``lambda * total_pairs = sum_i p_i(lambda)`` over the candidates instead (bisection in log
  space; both are reported). Posteriors of candidates then refer to all pairs, and
  ``lambda * total_pairs / candidates`` is the model's estimate of the share of matches among
  the candidates.

Everything is deterministic; cost grows with distinct level patterns, not pairs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import score
from .records import FieldData, RecordSet

__all__ = ["Estimate", "estimate_model", "solve_prior", "choose_anchors", "frequency_adjustment"]

_ANCHORS = 2
_MIN_SESSION_PAIRS = 50


@dataclass(frozen=True, slots=True)
class Estimate:
    """The fitted model and the report of its sessions and prior (for the run manifest)."""

    model: score.FSModel
    report: dict[str, Any]


def choose_anchors(u: Sequence[np.ndarray], observed: Sequence[float], count: int = _ANCHORS) -> list[int]:
    """Fields whose top level is rarest among random pairs (ties: field order), among fields with
    at least two levels that are observed in at least a tenth of the random pairs."""
    usable = [f for f, dist in enumerate(u) if len(dist) > 1 and observed[f] >= 0.1]
    return sorted(usable, key=lambda f: (float(u[f][-1]), f))[:count]


def estimate_model(levels: np.ndarray, random_levels: np.ndarray, num_levels: Sequence[int], *,
                   fields: Sequence[str], total_pairs: int, max_iter: int = 200, tol: float = 1e-6,
                   anchors: Sequence[int] | None = None, u_fixed: Mapping[int, np.ndarray] | None = None,
                   u_given: Mapping[int, tuple[int, Sequence[int]]] | None = None) -> Estimate:
    """The model of a link job (see the module docstring). ``u_fixed`` gives u for some fields
    instead of the random pairs (bound roles: :func:`linkage.compare.bound_u`). ``u_given`` maps
    a field to ``(g, levels)``: those levels of the field can only be reached where field ``g``
    agrees (e.g. a date's "same year only" shown by the year with the name skeletons), so their
    u is the session's of anchor ``g`` (see :func:`_conditional_u`)."""
    num_levels = tuple(num_levels)
    fields = tuple(fields)
    u = score.estimate_u(random_levels, num_levels, fields=fields)
    if u_fixed:
        u = tuple(np.asarray(u_fixed[f], np.float64) if f in u_fixed else dist for f, dist in enumerate(u))
    if len(levels) == 0:  # nothing to fit: every record is a person of its own
        model = score.FSModel(fields=fields, m=u, u=u, prior=0.5, notes=("no candidate pairs: nothing was fitted",))
        return Estimate(model, {"u": "random pairs", "random_pairs": int(len(random_levels)), "sessions": []})
    observed = [float((random_levels[:, f] >= 0).mean()) if len(random_levels) else 0.0 for f in range(len(fields))]
    anchors = list(anchors) if anchors is not None else choose_anchors(u, observed)
    sessions, m_sums, m_counts = [], [np.zeros(n) for n in num_levels], np.zeros(len(fields))
    session_u: dict[int, tuple[np.ndarray, ...]] = {}  # anchor -> u fitted in its session (non-matches there)
    matches_in_session: dict[int, float] = {}  # anchor -> expected matches among its session's pairs
    observed_share: dict[int, list[float]] = {a: [] for a in anchors}  # anchor -> P(observed | match), per session
    for anchor in anchors:
        keep = levels[:, anchor] == num_levels[anchor] - 1
        entry: dict[str, Any] = {"anchor": fields[anchor], "pairs": int(keep.sum())}
        sessions.append(entry)
        if keep.sum() < _MIN_SESSION_PAIRS:
            entry["skipped"] = f"fewer than {_MIN_SESSION_PAIRS} candidate pairs at the anchor's top level"
            continue
        subset = levels[keep].copy()
        subset[:, anchor] = score.MISSING
        fit = score.fit_em(subset, num_levels, u=u, fields=fields, max_iter=max_iter, tol=tol, fix_u=False,
                           prior_init=0.5)
        entry.update({"iterations": fit.iterations, "converged": fit.converged, "final_change": fit.final_change,
                      "session_prior": round(fit.prior, 6), "notes": list(fit.notes)})
        session_u[anchor] = fit.u
        posterior = fit.probabilities(subset)
        matches_in_session[anchor] = float(posterior.sum())
        for other in anchors:
            if other != anchor and posterior.sum() > 0:
                observed_share[other].append(float(posterior[subset[:, other] >= 0].sum() / posterior.sum()))
        for f in range(len(fields)):
            if f != anchor and np.any(subset[:, f] >= 0):
                m_sums[f] += fit.m[f]
                m_counts[f] += 1
    notes = []
    m = []
    pooled = None
    for f, name in enumerate(fields):
        if m_counts[f]:
            m.append(m_sums[f] / m_counts[f])
            continue
        if pooled is None:  # too few pairs for sessions (small inputs): one EM on all candidates
            pooled = score.fit_em(levels, num_levels, u=u, fields=fields, max_iter=max_iter, tol=tol, fix_u=False,
                                  prior_init=0.1)
            sessions.append({"anchor": None, "pairs": int(len(levels)), "iterations": pooled.iterations,
                             "converged": pooled.converged, "final_change": pooled.final_change,
                             "session_prior": round(pooled.prior, 6), "notes": list(pooled.notes)})
        m.append(pooled.m[f])
        notes.append(f"field '{name}': m from one EM on all candidates (no anchored session had enough pairs)")
    u, conditioned = _conditional_u(u, u_given or {}, session_u, fields)
    model = score.FSModel(fields=fields, m=tuple(m), u=u, prior=0.5, notes=tuple(notes))
    fixed_point, solved = solve_prior(model.match_weights(levels), total_pairs)  # prior 0.5: field weights alone
    counts = {fields[a]: matches_in_session[a] / (float(m[a][-1]) * float(np.mean(observed_share[a])))
              for a in matches_in_session if observed_share[a] and m[a][-1] > 0 and np.mean(observed_share[a]) > 0}
    if counts:  # matches = matches at the anchor's top level / P(anchor at its top level and observed | match)
        expected = float(np.exp(np.mean(np.log(list(counts.values())))))
        prior, source = min(max(expected / total_pairs, 1e-12), 0.5), "anchored sessions"
    else:
        prior, source = fixed_point, "fixed point over the candidates"
    model = replace(model, prior=prior, iterations=sum(s.get("iterations", 0) for s in sessions),
                    converged=all(s.get("converged", True) for s in sessions),
                    final_change=max((s.get("final_change", 0.0) for s in sessions), default=0.0))
    report = {"u": "random pairs", "random_pairs": int(len(random_levels)),
              **({"u_stated_by_exports": sorted(fields[f] for f in u_fixed)} if u_fixed else {}),
              **({"u_given_by_sessions": conditioned} if conditioned else {}),
              "anchors": [fields[a] for a in anchors], "sessions": sessions,
              "prior": {"all_pairs": prior, "source": source, "total_pairs": int(total_pairs),
                        "expected_matches": round(prior * total_pairs, 3),
                        "expected_matches_by_anchor": {k: round(v, 3) for k, v in counts.items()},
                        "fixed_point": fixed_point, "fixed_point_solved": solved}}
    return Estimate(model, report)


def _conditional_u(u: tuple[np.ndarray, ...], given: Mapping[int, tuple[int, Sequence[int]]],
                   session_u: Mapping[int, tuple[np.ndarray, ...]], fields: tuple[str, ...]
                   ) -> tuple[tuple[np.ndarray, ...], dict[str, Any]]:
    """u of the levels that are reached only where another field ``g`` agrees, from the session
    anchored on ``g``.

    Fellegi-Sunter adds the fields' weights as if they were independent given the match status.
    A level that needs field ``g`` to agree (the year together with the set of name skeletons)
    is, among random pairs, as rare as ``g``'s agreement and the rest together: its u from the
    random pairs counts ``g``'s agreement a second time, on top of ``g``'s own weight. Its m is
    fitted in the session anchored on ``g`` (every pair there agrees in ``g``): P(level | match,
    ``g`` agrees); the matching u is the one fitted for the session's non-matches, P(level |
    non-match, ``g`` agrees) (e.g. namesakes born in the same year). Those levels take it (never
    below the random pairs' value); the field's other levels keep the random pairs' proportions
    and share the rest. Without that session (too few pairs) u stays as it is.
    """
    out = list(u)
    report: dict[str, Any] = {}
    for f, (g, levels) in given.items():
        if g not in session_u or not levels:
            continue
        dist = np.asarray(u[f], np.float64).copy()
        chosen = np.zeros(len(dist), bool)
        chosen[list(levels)] = True
        new = np.maximum(np.asarray(session_u[g][f], np.float64)[chosen], dist[chosen])
        rest = max(1.0 - float(new.sum()), 1e-6)
        dist[~chosen] *= rest / float(dist[~chosen].sum())
        dist[chosen] = new
        out[f] = dist / dist.sum()
        report[fields[f]] = {"session": fields[g], "levels": [int(l) for l in levels],
                             "u": [round(float(x), 6) for x in out[f][chosen]]}
    return tuple(out), report


def solve_prior(weights: np.ndarray, total_pairs: int) -> tuple[float, bool]:
    """``lambda`` with ``lambda * total_pairs = sum expit(logit(lambda) + ln2 * weights)``.

    ``weights`` are the candidates' summed field weights in bits (without the prior). Returns the
    root and whether one was bracketed (False: no candidate looks like a match; the lowest prior
    tried is returned).
    """
    w = np.asarray(weights, np.float64) * math.log(2)
    if total_pairs <= 0 or len(w) == 0:
        return 1.0 / max(total_pairs, 2), False

    def excess(log_lambda: float) -> float:  # log(expected matches) - log(lambda * total): decreasing
        lam = math.exp(log_lambda)
        logit = log_lambda - math.log1p(-lam)
        expected = float(np.sum(1.0 / (1.0 + np.exp(-(logit + w)))))
        return math.log(max(expected, 1e-300)) - log_lambda - math.log(total_pairs)

    lo, hi = math.log(1e-3 / total_pairs), math.log(0.5)
    if excess(lo) <= 0:
        return math.exp(lo), False
    if excess(hi) >= 0:
        return 0.5, True
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
        if hi - lo < 1e-10:
            break
    return math.exp((lo + hi) / 2), True


def frequency_adjustment(records: RecordSet, ia: np.ndarray, ib: np.ndarray, levels: np.ndarray,
                         num_levels: Sequence[int], *, kinds: set[str], cap: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Per pair, a match-weight adjustment (bits) for identical values by how common they are.

    Fellegi-Sunter gives every pair whose names agree at the top level one weight, but two
    records of "Mohammed Ahmad" agree by chance far more often than two of a rare name, and two
    records born on a day many share more often than on a rare one. For each field of ``kinds``
    (``name``: a record's value is its set of part filters; ``date``: the ``ymd`` slice of a split
    date, i.e. the exact date), ``c`` is the number of records holding exactly that encoding and
    ``N`` the records with one (byte-identical encodings: the linkage unit counts only equal
    filters, which it can see anyway). As in Winkler's frequency-based matching, the chance that
    a random pair agrees on that value is ``c / N`` against ``sum(c**2) / N**2`` for agreement on
    any value, so a pair at the top level with identical encodings gets
    ``log2(sum(c**2) / (N * c))``, clipped to ``[-cap, cap]``; other pairs get 0. Returns the
    adjustments and, per field, how many pairs were adjusted and by how much.
    """
    out = np.zeros(len(ia), np.float64)
    stats: dict[str, Any] = {}
    n = records.n
    for f, data in enumerate(records.fields):
        if data.kind not in kinds or n == 0 or len(ia) == 0:
            continue
        values = _exact_values(data)
        if values is None:
            continue
        rows, has = values
        _, code = np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel(), return_inverse=True)
        code = code.ravel()
        counts = np.bincount(code[has], minlength=int(code.max()) + 1).astype(np.float64)
        same = (levels[:, f] == num_levels[f] - 1) & (code[ia] == code[ib]) & has[ia] & has[ib]
        if not same.any():
            continue
        total = int(has.sum())
        delta = np.clip(np.log2(float((counts ** 2).sum()) / (total * counts[code[ia[same]]])), -cap, cap)
        out[same] += delta
        stats[data.name] = {"pairs_adjusted": int(same.sum()), "mean_bits": round(float(delta.mean()), 4),
                            "min_bits": round(float(delta.min()), 4), "max_bits": round(float(delta.max()), 4)}
    return out, stats


def _exact_values(data: FieldData) -> tuple[np.ndarray, np.ndarray] | None:
    """Per record, the bytes that are equal exactly when the field's values agree at its top
    level, and whether the record has such a value; None for fields without one."""
    n = len(data.present)
    if data.kind == "name":
        return np.ascontiguousarray(data.filters.reshape(n, -1)), data.present.any(axis=1)
    if data.slices and any(kind == "ymd" for kind, _, _ in data.slices):
        piece = data.slice("ymd")
        return piece, data.present & piece.any(axis=1)
    return None
