"""Pattern mining: learn which bit positions each q-gram sets, then read name parts off filters.

Contract
--------
``mine_patterns(encoded, public, seed_guesses, token_bits)`` attacks one filter column whose
values are q-gram sets (names, places), in the manner of Christen et al. (2017, 2018):

1. **Seeds.** ``seed_guesses`` names some encoding classes: the confident ranks of frequency
   alignment (:mod:`linkage.audit.frequency`), or values the attacker knows.
2. **Patterns.** For every token ``t`` (a q-gram of the schema's token kinds) held by at least
   ``min_support`` seeds, the positions set in (nearly) every such seed are candidates; the
   token's ``k`` positions (bits per token, from the schema) are what remains after dropping,
   one at a time, the candidate whose removal admits the most filters of the whole column
   (positions set by chance in the seeds go first). A pattern is kept when seeds without the
   token do not hold it and the share of items whose filters contain it is within a factor
   ``support_ratio`` of the share of public values with the token (the q-gram frequency check).
3. **Decoding.** A filter's *signature* is the set of known tokens whose patterns it contains; a
   public value's, the set of known tokens it has. A value whose tokens are all known and whose
   patterns rebuild the filter bit for bit is certain; otherwise the filters and values of one
   signature are aligned by frequency, a far smaller ranking than the whole column's, and a
   guess is kept when its rank is trusted at ``min_confidence``.
4. **Bootstrap.** Decoded filters become seeds (overriding their frequency guess) and steps 2-3
   repeat (``rounds``) until nothing changes: every decoded value teaches its rarer q-grams.

The result names a value per class (None: not decoded). Nothing is printed; no truth is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._plain import PlainColumn, key_tokens
from ._view import EncodedColumn
from .frequency import rank_confidence

__all__ = ["PatternAttack", "mine_patterns"]


@dataclass(frozen=True, slots=True)
class PatternAttack:
    column: str
    guesses: np.ndarray  # object, per class: decoded key or None
    patterns: int  # tokens whose pattern was learned
    seeds: int  # classes named by the seed guesses
    rounds: int

    def item_guesses(self, encoded: EncodedColumn) -> np.ndarray:
        return self.guesses[encoded.classes]

    def decoded_share(self, encoded: EncodedColumn) -> float:
        """Share of items decoded (a guess, right or wrong: the no-truth figure)."""
        g = self.item_guesses(encoded)
        return float(np.mean([x is not None for x in g.tolist()])) if len(g) else 0.0


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """Public values and their tokens, sparse: value ``i`` holds ``indices[indptr[i]:indptr[i + 1]]``."""

    keys: np.ndarray  # object, distinct public keys, most frequent first
    counts: np.ndarray
    tokens: list[str]  # distinct tokens
    token_kind: list[str]
    indptr: np.ndarray
    indices: np.ndarray
    support: np.ndarray  # per token: share of public items containing it

    @property
    def owners(self) -> np.ndarray:
        """The value of each entry of ``indices``."""
        return np.repeat(np.arange(len(self.keys)), np.diff(self.indptr))

    def dense(self, columns: np.ndarray) -> np.ndarray:
        """(values x len(columns)) bool: which of the tokens ``columns`` each value has."""
        position = np.full(len(self.tokens), -1, np.int64)
        position[columns] = np.arange(len(columns))
        out = np.zeros((len(self.keys), len(columns)), bool)
        hit = position[self.indices]
        out[self.owners[hit >= 0], hit[hit >= 0]] = True
        return out


def _vocabulary(public: PlainColumn, max_values: int) -> _Vocabulary:
    counts = public.counts().iloc[:max_values]
    keys = counts.index.to_numpy(dtype=object)
    index: dict[str, int] = {}
    kinds: list[str] = []
    indptr, indices = [0], []
    for key in keys.tolist():
        for kind, token in key_tokens(key):
            j = index.setdefault(token, len(index))
            if j == len(kinds):
                kinds.append(kind)
            indices.append(j)
        indptr.append(len(indices))
    c = counts.to_numpy(float)
    ptr, idx = np.asarray(indptr, np.int64), np.asarray(indices, np.int64)
    owners = np.repeat(np.arange(len(keys)), np.diff(ptr))
    support = np.bincount(idx, weights=c[owners], minlength=len(index)) / max(float(public.counts().sum()), 1.0)
    return _Vocabulary(keys, c, list(index), kinds, ptr, idx, support)


def mine_patterns(encoded: EncodedColumn, public: PlainColumn, seed_guesses: Mapping[int, str], *,
                  token_bits: Mapping[str, int] | None = None, min_support: int = 2, rounds: int = 8,
                  min_confidence: float = 0.5, support_ratio: float = 2.0,
                  max_values: int = 50_000) -> PatternAttack:
    """Decode the filters of ``encoded`` from ``seed_guesses`` (class -> public key); see the module.

    Only the ``max_values`` most frequent public values are candidates (memory stays bounded)."""
    vocab = _vocabulary(public, max_values)
    n_classes = len(encoded.distinct)
    guesses = np.full(n_classes, None, dtype=object)
    if not encoded.has_bits or not vocab.tokens or n_classes == 0:
        return PatternAttack(encoded.name, guesses, 0, 0, 0)
    bits = np.unpackbits(encoded.distinct, axis=1).astype(bool)
    fbits = bits.astype(np.float32)
    counts = encoded.counts.astype(float)
    num_bits = bits.shape[1]
    key_index = {k: i for i, k in enumerate(vocab.keys.tolist())}
    token_k = np.asarray([(token_bits or {}).get(kind, 0) for kind in vocab.token_kind], float)
    seeds = {c: key_index[k] for c, k in seed_guesses.items() if k in key_index}
    n_seeds = len(seeds)
    patterns = np.zeros((len(vocab.tokens), num_bits), bool)
    known = np.zeros(len(vocab.tokens), bool)
    tried: set[tuple[int, bytes]] = set()
    done = 0
    for done in range(1, rounds + 1):
        learned = _learn(bits, counts, seeds, vocab, token_k, min_support, support_ratio, patterns, known, tried)
        decoded = _decode(fbits, counts, vocab, patterns, learned, min_confidence)
        before = dict(seeds)
        seeds.update(decoded)  # evidence from the patterns overrides a seed's frequency guess
        known = learned
        if seeds == before:
            break
    for c, v in seeds.items():
        guesses[c] = vocab.keys[v]
    return PatternAttack(encoded.name, guesses, int(known.sum()), n_seeds, done)


def _learn(bits: np.ndarray, counts: np.ndarray, seeds: Mapping[int, int], vocab: _Vocabulary,
           token_k: np.ndarray, min_support: int, support_ratio: float, patterns: np.ndarray,
           known: np.ndarray, cache: set[tuple[int, bytes]]) -> np.ndarray:
    """Patterns of every token held by >= ``min_support`` seeds (in place); which are known.
    Tokens whose seeds are as in an earlier round (``cache``) keep what they had."""
    known = known.copy()
    if not seeds:
        return known
    classes = np.fromiter(seeds.keys(), np.int64)
    values = np.fromiter(seeds.values(), np.int64)
    lengths = np.diff(vocab.indptr)[values]
    seed_of = np.repeat(np.arange(len(values)), lengths)  # entries of the seeds' token lists
    tokens_of = np.concatenate([vocab.indices[vocab.indptr[v] : vocab.indptr[v + 1]] for v in values.tolist()]
                               or [np.zeros(0, np.int64)])
    order = np.argsort(tokens_of, kind="stable")
    tokens_sorted, seeds_sorted = tokens_of[order], seed_of[order]
    starts = np.flatnonzero(np.r_[True, tokens_sorted[1:] != tokens_sorted[:-1]]) if len(order) else order
    ends = np.r_[starts[1:], len(order)]
    total = counts.sum()
    for begin, stop in zip(starts.tolist(), ends.tolist()):
        if stop - begin < min_support:
            continue
        t = int(tokens_sorted[begin])
        members = np.zeros(len(values), bool)
        members[seeds_sorted[begin:stop]] = True
        key = (t, np.sort(classes[members]).tobytes())
        if key in cache:  # the same seeds teach the same pattern
            continue
        cache.add(key)
        share = bits[classes[members]].mean(axis=0)
        k = int(token_k[t]) or int(np.clip((share >= 0.9).sum(), 4, 64))
        # the token's k positions are set in every correctly named member: the k-th highest share
        # is the members' agreement; positions as common as that are candidates
        level = np.sort(share)[::-1][k - 1]
        if level < 0.7:
            continue
        common = np.flatnonzero(share >= level - 0.05)
        pattern = _narrow(bits, counts, common, k)
        inside = bits[:, pattern].all(axis=1)
        strays = int(inside[classes[~members]].sum())  # seeds without the token hold its pattern
        if strays > max(1, 0.05 * (~members).sum()):
            continue
        support = counts[inside].sum() / total
        ratio = support / max(vocab.support[t], 1e-12)
        if not 1.0 / support_ratio <= ratio <= support_ratio:
            continue
        patterns[t] = False
        patterns[t, pattern] = True
        known[t] = True
    return known


def _narrow(bits: np.ndarray, counts: np.ndarray, positions: np.ndarray, k: int) -> np.ndarray:
    """Drop positions one by one, each time the one whose removal admits the most filters, until
    ``k`` are left: positions set in the seeds by chance go first, as every filter holding the
    token lacks some of them, while a true position admits only filters that lack the token."""
    drops = len(positions) - k
    if drops <= 0:
        return positions
    missing = ~bits[:, positions]
    n_missing = missing.sum(axis=1)
    rows = np.flatnonzero(n_missing <= drops + 1)  # filters that could still be admitted
    missing, n_missing, weights = missing[rows], n_missing[rows], counts[rows]
    alive = np.ones(len(positions), bool)
    for _ in range(drops):
        near = np.flatnonzero(n_missing == 1)
        gain = np.zeros(len(positions))
        if len(near):
            lacking = np.argmax(missing[near] & alive[None, :], axis=1)
            gain = np.bincount(lacking, weights=weights[near], minlength=len(positions))
        gain[~alive] = -1.0
        drop = int(np.argmax(gain))
        alive[drop] = False
        n_missing -= missing[:, drop]
    return positions[alive]


def _decode(fbits: np.ndarray, counts: np.ndarray, vocab: _Vocabulary, patterns: np.ndarray,
            known: np.ndarray, min_confidence: float) -> dict[int, int]:
    """Class -> public value, by known-token signatures.

    A filter's signature is the set of known tokens it contains; a value's, the set of known
    tokens it has. A value whose tokens are all known and whose patterns rebuild the filter bit
    for bit is certain. Otherwise classes and values of one signature are aligned by frequency
    within the signature (a much smaller ranking than the whole column), and a guess is kept when
    its rank stands apart (:func:`linkage.audit.frequency.rank_confidence` >= ``min_confidence``).
    """
    idx = np.flatnonzero(known)
    if len(idx) == 0:
        return {}
    pat = patterns[idx].astype(np.float32)
    contains = (fbits @ pat.T) >= pat.sum(axis=1)[None, :] - 0.5  # classes x known tokens
    signature = vocab.dense(idx)
    unknown = np.bincount(vocab.owners[~known[vocab.indices]], minlength=len(vocab.keys))
    known_all = unknown == 0
    rebuilt = (signature.astype(np.float32) @ pat) > 0
    values_of: dict[bytes, list[int]] = {}
    for v, row in enumerate(np.packbits(signature, axis=1)):
        values_of.setdefault(row.tobytes(), []).append(v)  # most frequent first
    classes_of: dict[bytes, list[int]] = {}
    for c, row in enumerate(np.packbits(contains, axis=1)):
        classes_of.setdefault(row.tobytes(), []).append(c)
    out: dict[int, int] = {}
    filled = fbits > 0
    for sig, classes in classes_of.items():
        values = values_of.get(sig)
        if not values or not contains[classes[0]].any():
            continue
        certain = [v for v in values if known_all[v]]
        rest = []
        for c in classes:
            hit = next((v for v in certain if (rebuilt[v] == filled[c]).all()), None)
            if hit is None:
                rest.append(c)
            else:
                out[c] = hit
        taken = set(out.values())
        values = [v for v in values if v not in taken]
        if not rest or not values:
            continue
        order = np.asarray(rest)[np.argsort(-counts[rest], kind="stable")]
        conf = rank_confidence(counts[order], vocab.counts[values])
        for c, v, p in zip(order.tolist(), values, conf.tolist()):
            if p >= min_confidence:
                out[c] = v
    return out
