"""Frequency alignment: equal values give equal encodings, so rank encodings and values by count.

Contract
--------
``align_frequencies(encoded, public)`` takes one encoding column as the linkage unit sees it
(:class:`~linkage.audit._view.EncodedColumn`) and the same column of the attacker's public sample
(:class:`~linkage.audit._plain.PlainColumn`), ranks the distinct encodings and the distinct
plaintext keys by how many items hold them, and guesses that the i-th most frequent encoding is
the i-th most frequent value (ties in an arbitrary but fixed order). It works on any column whose
encoding is a deterministic function of the value: filters, lists of filters, record filters,
keyed blocking digests.

Without the truth it also *estimates* how many guesses are right: a rank is trusted as much as
its count stands apart from its neighbours' in both samples (two-sample Poisson noise), and a
run of equal counts gives each member one chance in the run's length. The estimate is what the
self-test reports; the benchmark measures with the truth (:mod:`linkage.audit.measure`).

``denoise(encoded, p)`` is the attacker's answer to BLIP (random bit flips per record): the noisy
copies of a repeated value form a cluster; each cluster's majority filter is the value's filter,
and the column is attacked as if unhardened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._plain import PlainColumn
from ._view import EncodedColumn

__all__ = ["FrequencyAlignment", "align_frequencies", "rank_confidence", "denoise"]


@dataclass(frozen=True, slots=True)
class FrequencyAlignment:
    """Per encoding class: the guessed plaintext key (None: the sample ran out of values), the
    estimated probability that it is right, and the sample's most common key (the prior guess)."""

    column: str
    guesses: np.ndarray  # object, per class
    confidence: np.ndarray  # float, per class
    prior_key: str | None
    class_counts: np.ndarray

    def item_guesses(self, encoded: EncodedColumn) -> np.ndarray:
        return self.guesses[encoded.classes]

    @property
    def expected_share(self) -> float:
        """Estimated share of items whose value the alignment names correctly (no truth used)."""
        total = self.class_counts.sum()
        return float((self.confidence * self.class_counts).sum() / total) if total else 0.0

    def expected_top_share(self, top: int = 10) -> float:
        """Estimated share of the ``top`` most frequent encodings named correctly."""
        order = np.argsort(-self.class_counts, kind="stable")[:top]
        return float(self.confidence[order].mean()) if len(order) else 0.0


_ERF = np.frompyfunc(math.erf, 1, 1)


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF."""
    return 0.5 * (1.0 + _ERF(x / math.sqrt(2.0)).astype(float)) if x.size else x


def rank_confidence(enc_sorted: np.ndarray, pub_sorted: np.ndarray, window: int = 30) -> np.ndarray:
    """Probability per aligned rank that neither sample swapped it with a rank nearby."""
    m = min(len(enc_sorted), len(pub_sorted))
    if m == 0:
        return np.zeros(0)
    n_enc, n_pub = enc_sorted.sum(), pub_sorted.sum()
    p = (enc_sorted[:m] / n_enc + pub_sorted[:m] / n_pub) / 2  # pooled share per rank
    var = p * (1 / n_enc + 1 / n_pub)
    conf = np.ones(m)
    for d in range(1, min(window, m - 1) + 1):
        gaps = p[:-d] - p[d:]  # >= 0 up to noise
        sigma = np.sqrt(var[:-d] + var[d:])
        keep = _phi(np.divide(gaps, sigma, out=np.zeros_like(gaps), where=sigma > 0))
        conf[:-d] *= keep
        conf[d:] *= keep
    # a run of equal counts (the tail: values seen once) leaves one chance in the run's length
    _, run_index, run_sizes = np.unique(enc_sorted[:m], return_inverse=True, return_counts=True)
    return np.minimum(conf, 1.0 / run_sizes[run_index.ravel()])


def align_frequencies(encoded: EncodedColumn, public: PlainColumn, *,
                      strata: tuple[np.ndarray, np.ndarray] | None = None) -> FrequencyAlignment:
    """Guess each encoding class's value by aligning the two frequency rankings.

    ``strata`` (a label per encoding class, a label per public key, as in ``public.counts()``)
    aligns within each label only: for salted encodings, the salt (e.g. the birth year) is
    learnt elsewhere, and each salt's encodings are ranked against that salt's values.
    """
    counts = encoded.counts
    pub_counts = public.counts()
    keys = pub_counts.index.to_numpy(dtype=object)
    pub_values = pub_counts.to_numpy(float)
    enc_label, pub_label = strata if strata is not None else (np.zeros(len(counts), object),
                                                              np.zeros(len(keys), object))
    guesses = np.full(len(counts), None, dtype=object)
    confidence = np.zeros(len(counts))
    for label in set(pub_label.tolist()):
        mine = np.flatnonzero(enc_label == label)
        theirs = np.flatnonzero(pub_label == label)
        order = mine[np.argsort(-counts[mine], kind="stable")]
        m = min(len(order), len(theirs))
        guesses[order[:m]] = keys[theirs[:m]]
        confidence[order[:m]] = rank_confidence(counts[order].astype(float), pub_values[theirs])
    prior = keys[0] if len(keys) else None
    return FrequencyAlignment(encoded.name, guesses, confidence, prior, counts)


_CHUNK_ROWS = 20_000


def _popcount_rows(words: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    return np.unpackbits(words.view(np.uint8), axis=1).sum(axis=1, dtype=np.int64)


def denoise(encoded: EncodedColumn, flip_probability: float, *, max_values: int = 20_000,
            refine_up_to: int = 256) -> EncodedColumn:
    """Undo random bit flips (BLIP) by clustering the noisy copies of each value.

    Two noisy copies of one filter differ in about ``2 p (1 - p) l`` bits, two values mostly in
    more; so encodings are grouped around leaders (most frequent first) within that distance
    plus four standard deviations, and each group's majority bits become its filter. For up to
    ``refine_up_to`` groups every encoding then joins the nearest group filter. The result has
    one class per group and is attacked like an unhardened column. When more than
    ``max_values`` groups appear (not a column of repeated values) it is returned unchanged.
    """
    if flip_probability <= 0 or not encoded.has_bits or len(encoded.distinct) <= 1:
        return encoded
    pad = (-encoded.distinct.shape[1]) % 8
    packed = np.concatenate([encoded.distinct, np.zeros((len(encoded.distinct), pad), np.uint8)], axis=1)
    words = np.ascontiguousarray(packed).view(np.uint64)
    counts = encoded.counts.astype(float)
    p = flip_probability
    expected = 2 * p * (1 - p) * encoded.num_bits
    radius = expected + 4 * math.sqrt(expected) + 1
    cluster = np.full(len(words), -1, np.int64)
    open_ = np.argsort(-counts, kind="stable")
    n_groups = 0
    while len(open_):
        if n_groups >= max_values:
            return encoded
        near = _popcount_rows(words[open_] ^ words[open_[0]][None, :]) <= radius
        cluster[open_[near]] = n_groups
        open_ = open_[~near]
        n_groups += 1
    order = np.argsort(cluster, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cluster[order]) != 0])
    ends = np.r_[starts[1:], len(order)]
    centres = np.zeros((n_groups, encoded.num_bits), bool)
    step = max(1, _CHUNK_ROWS // max(1, len(order) // n_groups))
    for g0 in range(0, n_groups, step):  # in slices of groups: the unpacked bits stay small
        rows = order[starts[g0] : ends[min(g0 + step, n_groups) - 1]]
        bits = np.unpackbits(encoded.distinct[rows], axis=1).astype(np.float32) * counts[rows][:, None]
        local = starts[g0 : g0 + step] - starts[g0]
        votes = np.add.reduceat(bits, local, axis=0)
        centres[g0 : g0 + step] = votes >= 0.5 * np.add.reduceat(counts[rows], local)[:, None]
    if n_groups <= refine_up_to:
        plain = np.unpackbits(encoded.distinct, axis=1).astype(np.int16)
        distance = np.stack([np.abs(plain - c.astype(np.int16)).sum(axis=1) for c in centres], axis=1)
        cluster = distance.argmin(axis=1)
    return EncodedColumn(encoded.name, encoded.kind, encoded.n_records, encoded.owners, cluster[encoded.classes],
                         np.packbits(centres.astype(np.uint8), axis=1))
