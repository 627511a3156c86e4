"""Fellegi-Sunter scoring of candidate pairs on integer comparison levels, with EM for m and u.

Contract
--------
* Input is a ``levels`` matrix, one row per candidate pair and one column per compared field.
  Field ``f`` has ``num_levels[f] = L`` levels ``0 .. L-1``; a higher level is stronger agreement
  (``L-1`` exact agreement, ``0`` clear disagreement). ``-1`` (:data:`MISSING`) means one side
  lacks the field: it adds weight 0 and is left out of that field's EM counts; no m or u is ever
  read for it. Turning similarities into levels is the caller's job.
* ``m[f][l] = P(level l | match, field observed)``, ``u[f][l]`` the same for non-matches. The weight
  of a pair is ``log2(prior / (1 - prior)) + sum_f log2(m[f][l_f] / u[f][l_f])`` over observed fields
  and its match probability is ``2**w / (1 + 2**w)``. ``prior`` is the share of matches among the
  pairs the model was fitted on; to score pairs from another blocking, replace it
  (``dataclasses.replace(model, prior=...)``).
* :func:`fit_em` works on the distinct rows of ``levels`` with their counts, so its cost grows
  with the number of distinct level patterns, not of pairs. It is deterministic. By default it
  keeps ``m/u`` non-decreasing in the level (levels are ordered), so agreement never counts
  against a match. Fitted probabilities are floored at ``1e-6`` (renormalised) so every weight is
  finite; the prior is kept within ``[1e-6, 1 - 1e-6]``; ``notes`` on the model report such
  events (and other degenerate fits) for the run manifest.
* Decisions: ``p >= match`` is :data:`MATCH`, ``review <= p < match`` :data:`REVIEW`, below
  :data:`NON_MATCH`. :func:`choose_thresholds` derives both thresholds from the model (rule in its
  docstring); :data:`MAINZELLISTE_THRESHOLDS` (0.95 / 0.6, Mainzelliste's fixed convention) is the
  fallback when there is nothing to derive them from.

Bad levels raise :class:`~linkage.errors.DataError`; bad parameters, models and thresholds
:class:`~linkage.errors.ConfigError`. Messages name the field and the rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ConfigError, DataError

__all__ = [
    "MISSING",
    "NON_MATCH",
    "REVIEW",
    "MATCH",
    "FSModel",
    "Thresholds",
    "MAINZELLISTE_THRESHOLDS",
    "estimate_u",
    "fit_em",
    "choose_thresholds",
    "thresholds_from_probabilities",
    "weight_to_probability",
    "decide",
]

MISSING = -1
NON_MATCH, REVIEW, MATCH = 0, 1, 2

_MAX_LEVELS = 127  # levels are int8
_P_FLOOR = 1e-6  # smallest m or u after an M-step
_PRIOR_MIN, _PRIOR_MAX = 1e-6, 1.0 - 1e-6
_MODEL_VERSION = 1


def _is_number(value: object) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


@dataclass(frozen=True, slots=True)
class FSModel:
    """A fitted Fellegi-Sunter model: per field ``m`` and ``u`` over its levels, and the prior."""

    fields: tuple[str, ...]
    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    prior: float
    iterations: int = 0
    converged: bool = True
    notes: tuple[str, ...] = ()
    final_change: float = 0.0  # largest parameter change of the last EM iteration

    def __post_init__(self) -> None:
        fields = _check_fields(self.fields, len(self.m))
        num_levels = tuple(len(np.ravel(p)) for p in self.m)
        m = _check_distributions(self.m, "m", fields, num_levels, renormalise=False)
        u = _check_distributions(self.u, "u", fields, num_levels, renormalise=False)
        prior = self.prior
        if not _is_number(prior) or not 0.0 < prior < 1.0:
            raise ConfigError(f"'prior' of FSModel must be in (0, 1), got {prior!r}")
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "m", m)
        object.__setattr__(self, "u", u)
        object.__setattr__(self, "prior", float(prior))
        object.__setattr__(self, "iterations", int(self.iterations))
        object.__setattr__(self, "converged", bool(self.converged))
        object.__setattr__(self, "final_change", float(self.final_change))
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FSModel):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.fields, tuple(a.tobytes() for a in self.m + self.u), self.prior))

    @property
    def num_levels(self) -> tuple[int, ...]:
        return tuple(len(p) for p in self.m)

    def level_weights(self) -> tuple[np.ndarray, ...]:
        """Per field, ``log2(m / u)`` for each level (finite: m and u are positive)."""
        return tuple(np.log2(m) - np.log2(u) for m, u in zip(self.m, self.u))

    def match_weights(self, levels: npt.ArrayLike) -> np.ndarray:
        """Per pair, the sum of its observed fields' weights plus ``log2(prior / (1 - prior))``."""
        lv = _check_levels(levels, self.num_levels, self.fields)
        total = np.full(len(lv), math.log2(self.prior) - math.log2(1.0 - self.prior))
        for f, w in enumerate(self.level_weights()):
            total += np.append(w, 0.0)[lv[:, f]]  # level -1 reads the appended 0
        return total

    def probabilities(self, levels: npt.ArrayLike) -> np.ndarray:
        """Per pair, the posterior match probability ``2**w / (1 + 2**w)`` of its match weight."""
        return _weight_to_probability(self.match_weights(levels))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the run manifest; :meth:`from_dict` restores it exactly."""
        return {
            "version": _MODEL_VERSION,
            "fields": list(self.fields),
            "m": [p.tolist() for p in self.m],
            "u": [p.tolist() for p in self.u],
            "prior": self.prior,
            "iterations": self.iterations,
            "converged": self.converged,
            "final_change": self.final_change,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FSModel:
        """The model of a :meth:`to_dict` mapping; :class:`ConfigError` lists every problem."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"an FSModel must be read from a mapping, got {type(data).__name__}")
        problems = [f"{key}: is required" for key in ("version", "fields", "m", "u", "prior") if key not in data]
        problems += [f"{key}: is not a key of FSModel" for key in data if key not in _MODEL_KEYS]
        if "version" in data and data["version"] != _MODEL_VERSION:
            problems.append(f"version: must be {_MODEL_VERSION}")
        if problems:
            raise ConfigError("the FSModel mapping is invalid:", tuple(problems))
        try:
            return cls(fields=tuple(data["fields"]), m=tuple(np.asarray(p, dtype=np.float64) for p in data["m"]),
                       u=tuple(np.asarray(p, dtype=np.float64) for p in data["u"]), prior=float(data["prior"]),
                       iterations=int(data.get("iterations", 0)), converged=bool(data.get("converged", True)),
                       notes=tuple(data.get("notes", ())), final_change=float(data.get("final_change", 0.0)))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"the FSModel mapping is invalid: {exc}") from exc


_MODEL_KEYS = frozenset({"version", "fields", "m", "u", "prior", "iterations", "converged", "final_change", "notes"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Cut-offs on the posterior match probability: ``0 <= review <= match <= 1``."""

    match: float
    review: float

    def __post_init__(self) -> None:
        problems = []
        for name in ("match", "review"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                problems.append(f"'{name}' of Thresholds must be in [0, 1], got {value!r}")
        if not problems and self.review > self.match:
            problems.append(f"'review' of Thresholds must be <= 'match' ({self.match}), got {self.review}")
        if problems:
            raise ConfigError("; ".join(problems))
        object.__setattr__(self, "match", float(self.match))
        object.__setattr__(self, "review", float(self.review))


#: Mainzelliste's fixed convention: match at p >= 0.95, review for 0.6 <= p < 0.95.
MAINZELLISTE_THRESHOLDS = Thresholds(match=0.95, review=0.6)


def estimate_u(levels: npt.ArrayLike, num_levels: Sequence[int], *, smoothing: float = 1.0,
               fields: Sequence[str] | None = None) -> tuple[np.ndarray, ...]:
    """u per field from the levels of random record pairs (almost all non-matches).

    ``u[f][l] = (count of level l + smoothing) / (observed pairs of f + smoothing * L_f)``: missing
    levels are not counted, and ``smoothing > 0`` keeps every level above 0 (a field missing in
    every pair gets the uniform distribution). ``fields`` only names columns in error messages.
    """
    num_levels = _check_num_levels(num_levels)
    names = _check_fields(fields, len(num_levels)) if fields is not None else None
    if not (_is_number(smoothing) and math.isfinite(smoothing) and smoothing > 0):
        raise ConfigError(f"'smoothing' of estimate_u must be a number > 0, got {smoothing!r}")
    lv = _check_levels(levels, num_levels, names)
    u = []
    for f, size in enumerate(num_levels):
        col = lv[:, f]
        counts = np.bincount(col[col >= 0], minlength=size).astype(np.float64) + smoothing
        u.append(counts / counts.sum())
    return tuple(u)


def fit_em(levels: npt.ArrayLike, num_levels: Sequence[int], *, u: Sequence[npt.ArrayLike],
           fields: Sequence[str], prior_init: float = 0.1, m_init: Sequence[npt.ArrayLike] | None = None,
           max_iter: int = 100, tol: float = 1e-6, fix_u: bool = True, monotone: bool = True,
           weights: npt.ArrayLike | None = None) -> FSModel:
    """Fit m (and with ``fix_u=False`` also u) and the prior by EM on blocked candidate pairs.

    E-step: the posterior match probability of each distinct level pattern under the current
    parameters. M-step: ``prior`` = expected share of matches; ``m[f][l]`` = expected matches with
    level ``l`` in ``f`` over expected matches with ``f`` observed (likewise ``u`` from
    non-matches when ``fix_u=False``; otherwise ``u``, e.g. from :func:`estimate_u`, stays fixed).
    With ``monotone`` (the default, as levels are ordered) m is the maximum-likelihood estimate
    under the constraint that ``m/u`` never falls as the level rises (adjacent levels that would
    break it are pooled, pool-adjacent-violators), so no field can make agreement count against
    a match. ``m_init`` defaults to a monotone start (``m[l]`` proportional to ``4**l``). Iteration
    stops when no parameter moves by more than ``tol`` (``converged=True``) or after ``max_iter``.
    ``weights`` (one per pair, default 1) let a sample stand for many pairs: the linkage fits on
    all candidates plus a weighted sample of the other record pairs, so that the prior and the
    posteriors refer to all pairs, as ``u`` from random pairs does.

    Degenerate cases: no pairs raises :class:`DataError`; a field missing in every pair gets
    ``m = u`` (weight 0); a prior reaching its bounds is clipped; a fit in which exact agreement
    does not favour a match in most fields is flagged. Each is listed in ``notes``.
    """
    num_levels = _check_num_levels(num_levels)
    names = _check_fields(fields, len(num_levels))
    u_arr = _check_distributions(u, "u", names, num_levels)
    m_arr = (_check_distributions(m_init, "m_init", names, num_levels) if m_init is not None
             else tuple(_monotone_start(size) for size in num_levels))
    problems = []
    if not _is_number(prior_init) or not 0.0 < prior_init < 1.0:
        problems.append(f"'prior_init' of fit_em must be in (0, 1), got {prior_init!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        problems.append(f"'max_iter' of fit_em must be an integer >= 1, got {max_iter!r}")
    if not _is_number(tol) or not tol > 0:
        problems.append(f"'tol' of fit_em must be a number > 0, got {tol!r}")
    if problems:
        raise ConfigError("; ".join(problems))
    lv = _check_levels(levels, num_levels, names)
    if len(lv) == 0:
        raise DataError("fit_em got no candidate pairs: EM needs at least one pair to fit on")

    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(lv),) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise DataError(f"weights must be {len(lv)} finite numbers >= 0, one per pair")
    patterns, counts = _unique_rows(lv, num_levels, weights=w)
    fitted = [f for f in range(len(names)) if np.any(patterns[:, f] >= 0)]
    notes = [f"field '{names[f]}' is missing in every pair: m set to u (weight 0)"
             for f in range(len(names)) if f not in fitted]
    u_list = [p.copy() for p in u_arr]
    m_list = [p.copy() if f in fitted else u_list[f].copy() for f, p in enumerate(m_arr)]
    prior, converged, iteration = float(prior_init), False, 0
    for iteration in range(1, max_iter + 1):
        weight = np.full(len(patterns), math.log(prior) - math.log1p(-prior))
        for f in fitted:
            weight += np.append(np.log(m_list[f]) - np.log(u_list[f]), 0.0)[patterns[:, f]]
        expected_matches = counts * _expit(weight)
        new_prior = min(max(float(expected_matches.sum() / counts.sum()), _PRIOR_MIN), _PRIOR_MAX)
        change, prior = abs(new_prior - prior), new_prior
        for f in fitted:
            col = patterns[:, f]
            obs = col >= 0
            if not fix_u:
                new_u = _m_step(np.bincount(col[obs], weights=(counts - expected_matches)[obs],
                                            minlength=num_levels[f]), None, u_list[f])
                change, u_list[f] = max(change, float(np.max(np.abs(new_u - u_list[f])))), new_u
            new_m = _m_step(np.bincount(col[obs], weights=expected_matches[obs], minlength=num_levels[f]),
                            u_list[f] if monotone else None, m_list[f])
            change, m_list[f] = max(change, float(np.max(np.abs(new_m - m_list[f])))), new_m
        if change < tol:
            converged = True
            break
    if prior <= _PRIOR_MIN or prior >= _PRIOR_MAX:
        notes.append(f"prior clipped to [{_PRIOR_MIN}, {1 - _PRIOR_MIN}]: EM found (almost) no "
                     + ("matches" if prior <= _PRIOR_MIN else "non-matches"))
    top = [math.log(m_list[f][-1] / u_list[f][-1]) for f in fitted]
    if top and sum(t <= 0 for t in top) > len(top) / 2:
        notes.append("exact agreement does not favour a match in most fields: the pairs carry no usable "
                     "signal or m and u are swapped; check the levels, u or m_init")
    if not converged:
        notes.append(f"EM did not converge within {max_iter} iterations (tol {tol})")
    return FSModel(fields=names, m=tuple(m_list), u=tuple(u_list), prior=prior, iterations=iteration,
                   converged=converged, notes=tuple(notes), final_change=change)


def choose_thresholds(model: FSModel, levels: npt.ArrayLike, *, max_false_match_rate: float = 0.001,
                      max_missed_match_rate: float = 0.001, min_match: float = 0.5) -> Thresholds:
    """Thresholds from the model's own posteriors ``p_i`` of the pairs in ``levels``.

    * ``match`` is the lowest observed ``p*`` for which the pairs with ``p >= p*`` have a
      model-expected false-match share ``sum(1 - p_i) / count <= max_false_match_rate``, but never
      below ``min_match``; 1.0 (nothing matches automatically) when even the top pairs exceed it.
    * ``review`` is the highest observed ``p*`` for which the expected matches left below it,
      ``sum(p_i for p_i < p*)``, are ``<= max_missed_match_rate * sum(p_i)``; at most ``match``.

    The expected rates are the model's own and only as good as its calibration (Fellegi-Sunter
    assumes fields independent given the match status, which inflates extreme posteriors when
    they are not). Without pairs there is nothing to derive from and
    :data:`MAINZELLISTE_THRESHOLDS` (Mainzelliste's fixed match 0.95 / review 0.6, the usual
    convention) is returned; callers may also pass that constant to :func:`decide` directly.
    """
    for name, value in (("max_false_match_rate", max_false_match_rate),
                        ("max_missed_match_rate", max_missed_match_rate), ("min_match", min_match)):
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"'{name}' of choose_thresholds must be in [0, 1], got {value!r}")
    p = model.probabilities(levels)
    if len(p) == 0:
        return MAINZELLISTE_THRESHOLDS
    return _thresholds_from_probabilities(p, max_false_match_rate, max_missed_match_rate, min_match)


def thresholds_from_probabilities(probabilities: npt.ArrayLike, *, max_false_match_rate: float = 0.001,
                                  max_missed_match_rate: float = 0.001, min_match: float = 0.5) -> Thresholds:
    """:func:`choose_thresholds` for posteriors given directly (e.g. after a frequency adjustment)."""
    for name, value in (("max_false_match_rate", max_false_match_rate),
                        ("max_missed_match_rate", max_missed_match_rate), ("min_match", min_match)):
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"'{name}' of thresholds_from_probabilities must be in [0, 1], got {value!r}")
    p = np.asarray(probabilities, dtype=np.float64)
    if len(p) == 0:
        return MAINZELLISTE_THRESHOLDS
    return _thresholds_from_probabilities(p, max_false_match_rate, max_missed_match_rate, min_match)


def weight_to_probability(weights: npt.ArrayLike) -> np.ndarray:
    """Posterior match probability ``2**w / (1 + 2**w)`` of match weights (log2 odds), overflow-free."""
    return _weight_to_probability(np.asarray(weights, dtype=np.float64))


def decide(probabilities: npt.ArrayLike, thresholds: Thresholds) -> np.ndarray:
    """Per pair :data:`MATCH` (p >= match), :data:`REVIEW` (p >= review) or :data:`NON_MATCH`, as int8."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1:
        raise DataError(f"probabilities must be a vector, got {p.ndim} dimension(s)")
    bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))
    if len(bad):
        raise DataError(f"probabilities must be in [0, 1]: row {int(bad[0])} is not ({len(bad)} row(s) in all)")
    codes = np.full(len(p), NON_MATCH, dtype=np.int8)
    codes[p >= thresholds.review] = REVIEW
    codes[p >= thresholds.match] = MATCH
    return codes


# ----------------------------------------------------------------------------------------------
# helpers


def _thresholds_from_probabilities(p: np.ndarray, max_false: float, max_missed: float,
                                   min_match: float) -> Thresholds:
    """The rule of :func:`choose_thresholds` on the posteriors ``p`` (non-empty)."""
    desc = np.sort(p)[::-1]
    group_end = np.flatnonzero(np.append(desc[1:] != desc[:-1], True))  # last index of each tie group
    expected_false = np.cumsum(1.0 - desc)[group_end]
    feasible = np.flatnonzero(expected_false <= max_false * (group_end + 1))
    match = float(desc[group_end[feasible[-1]]]) if len(feasible) else 1.0
    match = max(match, min_match)

    asc = desc[::-1]
    group_start = np.flatnonzero(np.insert(asc[1:] != asc[:-1], 0, True))  # first index of each tie group
    below = np.concatenate(([0.0], np.cumsum(asc)))[group_start]  # sum of p strictly below the group
    feasible = np.flatnonzero(below <= max_missed * asc.sum())  # never empty: below[0] == 0
    review = min(float(asc[group_start[feasible[-1]]]), match)
    return Thresholds(match=match, review=review)


def _unique_rows(levels: np.ndarray, num_levels: tuple[int, ...], *, radix: bool | None = None,
                 weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``levels`` (sorted) and how often (or with what total weight) each occurs.

    Rows are packed into one int64 per pair (mixed radix over ``L_f + 1`` symbols) when that fits,
    which is much faster than ``np.unique(axis=0)``; ``radix`` forces either path (for tests).
    """
    bases = [size + 1 for size in num_levels]
    if radix is None:
        radix = math.prod(bases) < 2**62
    if not radix:
        patterns, inverse, counts = np.unique(levels, axis=0, return_inverse=True, return_counts=True)
        if weights is not None:
            counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(patterns))
        return patterns.astype(np.int8), counts.astype(np.float64)
    strides = np.cumprod([1] + bases[:0:-1])[::-1].astype(np.int64)  # big-endian: first field most significant
    keys = (levels.astype(np.int64) + 1) @ strides
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    if weights is not None:
        counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(uniq))
    patterns = (uniq[:, None] // strides[None, :]) % np.asarray(bases, dtype=np.int64) - 1
    return patterns.astype(np.int8), counts.astype(np.float64)


def _check_levels(levels: npt.ArrayLike, num_levels: tuple[int, ...],
                  fields: tuple[str, ...] | None) -> np.ndarray:
    """``levels`` as an int8 (pairs, fields) matrix; :class:`DataError` names the first bad cell."""
    arr = np.asarray(levels)
    if arr.ndim != 2:
        raise DataError(f"levels must be a (pairs, fields) matrix, got {arr.ndim} dimension(s)")
    if arr.shape[1] != len(num_levels):
        raise DataError(f"levels has {arr.shape[1]} column(s) but {len(num_levels)} field(s) are configured")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise DataError(f"levels must be integers, got dtype {arr.dtype}")
    if arr.size:
        low, high = arr.min(axis=0), arr.max(axis=0)
        for f, size in enumerate(num_levels):
            if low[f] < MISSING or high[f] > size - 1:
                col = arr[:, f]
                bad = np.flatnonzero((col < MISSING) | (col > size - 1))
                name = f"'{fields[f]}'" if fields is not None else f"{f}"
                raise DataError(f"levels of field {name} must be in [-1, {size - 1}] (num_levels {size}, "
                                f"-1 = missing): row {int(bad[0])} is not ({len(bad)} row(s) in all)")
    return arr.astype(np.int8, copy=False)


def _check_num_levels(num_levels: Sequence[int]) -> tuple[int, ...]:
    values = tuple(num_levels)
    if not values:
        raise ConfigError("num_levels must name at least one field")
    for f, size in enumerate(values):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 2 <= size <= _MAX_LEVELS:
            raise ConfigError(f"num_levels[{f}] must be an integer in [2, {_MAX_LEVELS}], got {size!r}")
    return tuple(int(v) for v in values)


def _check_fields(fields: Sequence[str], expected: int) -> tuple[str, ...]:
    names = tuple(fields)
    if any(not isinstance(n, str) or not n for n in names):
        raise ConfigError("fields must be non-empty strings")
    if len(set(names)) != len(names):
        raise ConfigError("fields must be distinct")
    if len(names) != expected:
        raise ConfigError(f"{len(names)} field name(s) given for {expected} field(s)")
    return names


def _check_distributions(dists: Sequence[npt.ArrayLike], what: str, fields: tuple[str, ...],
                         num_levels: tuple[int, ...], *, renormalise: bool = True) -> tuple[np.ndarray, ...]:
    """Read-only float64 copies of per-field probability vectors, checked (and renormalised)."""
    dists = tuple(dists)
    if len(dists) != len(fields):
        raise ConfigError(f"{what} has {len(dists)} distribution(s) for {len(fields)} field(s)")
    out = []
    for name, size, dist in zip(fields, num_levels, dists):
        arr = np.array(dist, dtype=np.float64).ravel()
        if arr.shape != (size,):
            raise ConfigError(f"{what} of field '{name}' must have {size} level(s), got {arr.size}")
        if not (np.all(np.isfinite(arr)) and np.all(arr > 0) and abs(arr.sum() - 1.0) <= 1e-6):
            raise ConfigError(f"{what} of field '{name}' must be probabilities > 0 that sum to 1")
        if renormalise and arr.sum() != 1.0:
            arr = arr / arr.sum()
        arr.setflags(write=False)
        out.append(arr)
    return tuple(out)


def _m_step(sums: np.ndarray, u: np.ndarray | None, old: np.ndarray) -> np.ndarray:
    """Level probabilities from expected counts ``sums``; ``old`` when there is no mass at all.

    With ``u`` given, the maximum-likelihood ``m`` subject to ``m/u`` non-decreasing: the ratios
    ``sums / (total * u)`` are fitted isotonically with weights ``u`` (pool adjacent violators).
    """
    total = sums.sum()
    if not total > 0:  # no expected matches (or non-matches) at all: keep the old values
        return old
    p = sums / total
    if u is not None:
        blocks: list[list[float]] = []  # [weighted ratio sum, weight, size]
        for ratio, weight in zip(p / u, u):
            blocks.append([ratio * weight, weight, 1])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                last = blocks.pop()
                blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
        p = u * np.repeat([b[0] / b[1] for b in blocks], [b[2] for b in blocks])
    p = np.maximum(p / p.sum(), _P_FLOOR)  # keeps every weight finite
    return p / p.sum()


def _monotone_start(size: int) -> np.ndarray:
    start = 4.0 ** np.arange(size)
    return start / start.sum()


def _expit(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` without overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _weight_to_probability(w: np.ndarray) -> np.ndarray:
    """``2**w / (1 + 2**w)`` without overflow."""
    e = np.exp2(-np.abs(w))
    return np.where(w >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
