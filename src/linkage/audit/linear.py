"""Linear pattern learning: the known-plaintext attack for filters whose bits only lean to q-grams.

Contract
--------
``learn_linear(encoded, public, known)`` attacks one filter column whose values are q-gram sets
with the plaintext of some classes known (``known``: class -> public key), as pattern mining
(:mod:`linkage.audit.patterns`) does, but without assuming that a q-gram sets fixed bits: after
hardening (XOR folding, diffusion) a q-gram only *shifts the odds* of many bits, and a linear
model can still add those small shifts up.

1. **Training.** Every known filter as a ±1 vector; for every token (q-gram) held by at least
   ``min_support`` known values and missing from as many, a ridge regression of "holds the token"
   on the bits (dual form: one ``known x known`` solve for all tokens at once). The ridge
   ``penalty`` is the attacker's own choice: each of ``penalties`` (multiples of the filter
   length) is fitted on four fifths of the known values and the one that names most of the
   other fifth right is kept; then it is refitted on all of them.
2. **Decoding.** Every filter gets a predicted presence ``p`` per learned token; a public value
   ``v`` (of the ``max_values`` most frequent) scores ``sum over its learned tokens of p - 1/2``,
   which rewards the tokens it shares with the prediction and penalises the tokens it claims that
   the filter seems to lack. Every class is named by its best-scoring value (known classes keep
   their known value); nothing abstains, which is what re-identifies the most.

On unhardened filters this decodes about as much as pattern mining; its figure on hardened
filters is the honest one for an attacker who knows the hardening but not the secret. Nothing
is printed; no truth is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._plain import PlainColumn
from ._view import EncodedColumn
from .patterns import _vocabulary

__all__ = ["LinearAttack", "learn_linear"]

_CHUNK = 2048  # classes scored against all values at a time


@dataclass(frozen=True, slots=True)
class LinearAttack:
    column: str
    guesses: np.ndarray  # object, per class: named public key (None: nothing learned)
    tokens: int  # tokens with a learned linear score
    penalty: float  # the chosen ridge penalty, in multiples of the filter length
    holdout_accuracy: float  # share of held-out known values named right with that penalty

    def item_guesses(self, encoded: EncodedColumn) -> np.ndarray:
        return self.guesses[encoded.classes]


def _signs(bits: np.ndarray) -> np.ndarray:
    return np.unpackbits(bits, axis=1).astype(np.float32) * 2.0 - 1.0


def _fit(x: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge weights (bits x tokens) and intercepts, dual form."""
    mean = y.mean(axis=0)
    gram = x @ x.T
    gram[np.diag_indices_from(gram)] += penalty
    alpha = np.linalg.solve(gram.astype(np.float64), (y - mean).astype(np.float64)).astype(np.float32)
    return x.T @ alpha, mean


def _decode(x: np.ndarray, weights: np.ndarray, intercept: np.ndarray, holds: np.ndarray) -> np.ndarray:
    """Best public value (row of ``holds``, values x tokens) per filter (row of ``x``)."""
    out = np.empty(len(x), np.int64)
    claim = holds.T.astype(np.float32)
    for start in range(0, len(x), _CHUNK):
        p = x[start : start + _CHUNK] @ weights + intercept - 0.5
        out[start : start + _CHUNK] = np.argmax(p @ claim, axis=1)
    return out


def learn_linear(encoded: EncodedColumn, public: PlainColumn, known: Mapping[int, str], *,
                 max_values: int = 5000, min_support: int = 3,
                 penalties: Sequence[float] = (0.015625, 0.0625, 0.25, 1.0, 4.0, 16.0), seed: int = 0) -> LinearAttack:
    """Name every class of ``encoded`` from the ``known`` ones (see the module docstring)."""
    guesses = np.full(len(encoded.distinct), None, dtype=object)
    vocab = _vocabulary(public, max_values)
    index = {k: i for i, k in enumerate(vocab.keys.tolist())}
    pairs = [(c, index[k]) for c, k in known.items() if k in index]
    if not encoded.has_bits or len(pairs) < 2 * min_support + 5 or not vocab.tokens:
        for c, k in known.items():
            guesses[c] = k
        return LinearAttack(encoded.name, guesses, 0, 0.0, 0.0)
    classes = np.asarray([c for c, _ in pairs], np.int64)
    values = np.asarray([v for _, v in pairs], np.int64)
    dense = np.zeros((len(vocab.keys), len(vocab.tokens)), bool)
    dense[vocab.owners, vocab.indices] = True
    support = dense[values].sum(axis=0)
    learned = np.flatnonzero((support >= min_support) & (support <= len(values) - min_support))
    holds = dense[:, learned]
    x_known = _signs(encoded.distinct[classes])
    num_bits = x_known.shape[1]
    rng = np.random.default_rng(seed)
    held = rng.random(len(values)) < 0.2
    best = (-1.0, float(penalties[0]))
    for penalty in penalties:
        w, b = _fit(x_known[~held], holds[values[~held]].astype(np.float32), penalty * num_bits)
        accuracy = float(np.mean(_decode(x_known[held], w, b, holds) == values[held])) if held.any() else 0.0
        if accuracy > best[0]:
            best = (accuracy, float(penalty))
    w, b = _fit(x_known, holds[values].astype(np.float32), best[1] * num_bits)
    named = _decode(_signs(encoded.distinct), w, b, holds)
    guesses[:] = vocab.keys[named]
    for c, k in known.items():
        guesses[c] = k
    return LinearAttack(encoded.name, guesses, int(len(learned)), best[1], round(best[0], 4))
