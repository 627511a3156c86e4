"""Graph matching: align the similarity graph of encodings with that of plaintext values.

Contract
--------
``match_graphs(encoded, public, token_bits=...)`` attacks one filter column in the manner of
Vidanage et al. (2020): the linkage unit computes Dice similarities between filters anyway, and
Bloom-filter Dice tracks q-gram Dice, so the two similarity graphs are near copies of each other.

1. **Graphs.** Nodes are the encodings seen at least ``min_count`` times (at most ``max_nodes``)
   and as many of the most frequent public values (rare values rarely have a counterpart); the
   attack runs for several ``min_counts`` and keeps the run that anchors most items. Edges carry
   Dice similarity; for values it is the Dice their filters would have, predicted from the
   tokens they share, the schema's bits per token and the filter length (what collides at random
   is expected, not known); without a schema, q-gram Dice mapped onto the filters' scale by
   matching quantiles.
2. **Node features.** Frequency (log count), degree at several similarity thresholds and the
   sorted similarities of the ``neighbours`` nearest nodes: features that survive the encoding.
   Nodes are first matched by feature distance (mutual nearest neighbours).
3. **Anchors.** Matches that are mutual and clearly better than the runner-up become anchors,
   together with any ``anchors`` given (e.g. the confident ranks of frequency alignment). Every
   node is then described by its similarities to the anchors, matched again, and the confident
   matches join the anchors (``rounds`` times): each anchor pins down its graph neighbourhood.

The result names a value per class (None: unmatched or outside the top nodes) and needs no
truth. Dummy records (owner-side, :mod:`linkage.audit.dummies`) add nodes and edges that have no
counterpart in the public graph; the benchmark measures with and without.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..diffusion import output_hamming
from ._plain import PlainColumn, key_tokens
from ._view import EncodedColumn

__all__ = ["GraphAttack", "match_graphs"]

_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True, slots=True)
class GraphAttack:
    column: str
    guesses: np.ndarray  # object, per class: matched public key or None
    nodes: int  # nodes per graph
    anchored: np.ndarray  # classes matched with confidence (the anchors at the end)

    @property
    def anchors(self) -> int:
        return len(self.anchored)

    def item_guesses(self, encoded: EncodedColumn) -> np.ndarray:
        return self.guesses[encoded.classes]

    def anchored_share(self, encoded: EncodedColumn) -> float:
        """Share of items in confidently matched classes (the no-truth figure)."""
        return float(encoded.counts[self.anchored].sum() / encoded.n_items) if encoded.n_items else 0.0


def _dice_bits(bits: np.ndarray) -> np.ndarray:
    f = bits.astype(np.float32)
    inter = f @ f.T
    sizes = f.sum(axis=1)
    return 2 * inter / np.maximum(sizes[:, None] + sizes[None, :], 1)


def _token_masses(keys: np.ndarray, token_bits: Mapping[str, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Shared token bits of every pair of values and each value's own (bits per token as weights).
    Only tokens of two or more values get a column: the others add to a value's own mass only."""
    entries = [(i, token, float((token_bits or {}).get(kind, 1)) or 1.0)
               for i, key in enumerate(keys.tolist()) for kind, token in key_tokens(key)]
    mass = np.zeros(len(keys))
    np.add.at(mass, [i for i, _, _ in entries], [w for _, _, w in entries])
    holders: dict[str, int] = {}
    for _, token, _ in entries:
        holders[token] = holders.get(token, 0) + 1
    index: dict[str, int] = {}
    rows, cols, weights = [], [], []
    for i, token, w in entries:
        if holders[token] > 1:
            rows.append(i)
            cols.append(index.setdefault(token, len(index)))
            weights.append(w)
    inc = np.zeros((len(keys), max(len(index), 1)), np.float32)
    inc[rows, cols] = np.sqrt(weights)
    return inc @ inc.T, mass


def _predicted_dice(keys: np.ndarray, token_bits: Mapping[str, int], num_bits: int, diffusion: int = 0) -> np.ndarray:
    """The Dice similarity the filters of two values would have, predicted from their tokens:
    shared tokens set common bits, the others collide at random (the attacker knows the schema).
    With ``diffusion`` (the public ``t``), the Dice of the diffused filters: shares of set and of
    differing bits both map as ``x -> (1 - (1 - 2x)^t) / 2`` (:mod:`linkage.diffusion`)."""
    shared, mass = _token_masses(keys, token_bits)
    own_a = np.maximum(mass[:, None] - shared, 0.0)
    own_b = np.maximum(mass[None, :] - shared, 0.0)
    keep = np.exp(-shared / num_bits)
    both = 1 - keep + keep * (1 - np.exp(-own_a / num_bits)) * (1 - np.exp(-own_b / num_bits))
    fill = 1 - np.exp(-mass / num_bits)
    total = fill[:, None] + fill[None, :]
    if diffusion:
        fill_out = output_hamming(fill, diffusion)
        total_out = fill_out[:, None] + fill_out[None, :]
        return (total_out - output_hamming(total - 2 * both, diffusion)) / np.maximum(total_out, 1e-9)
    return 2 * both / np.maximum(total, 1e-9)


def _token_dice(keys: np.ndarray) -> np.ndarray:
    shared, mass = _token_masses(keys, None)
    return 2 * shared / np.maximum(mass[:, None] + mass[None, :], 1e-9)


def _calibrate(enc_sim: np.ndarray, pub_sim: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Encoded similarities mapped to the plaintext scale by quantile matching."""
    n = len(enc_sim)
    iu = np.triu_indices(n, 1)
    take = rng.choice(len(iu[0]), size=min(len(iu[0]), 200_000), replace=False)
    e = np.sort(enc_sim[iu][take])
    ju = np.triu_indices(len(pub_sim), 1)
    take = rng.choice(len(ju[0]), size=min(len(ju[0]), 200_000), replace=False)
    p = np.sort(pub_sim[ju][take])
    q = np.linspace(0, 1, 1001)
    out = np.interp(enc_sim, np.quantile(e, q), np.quantile(p, q))
    np.fill_diagonal(out, 1.0)
    return out


def _features(sim: np.ndarray, counts: np.ndarray, neighbours: int) -> np.ndarray:
    s = sim.copy()
    np.fill_diagonal(s, 0.0)
    top = -np.sort(-s, axis=1)[:, :neighbours]
    degrees = np.stack([(s >= t).sum(axis=1) for t in _THRESHOLDS], axis=1)
    return np.column_stack([np.log1p(counts), np.log1p(degrees), top])


def _mutual(dist: np.ndarray, margin: float) -> list[tuple[int, int]]:
    """Pairs (row, column) that are each other's nearest and beat the runner-up by ``margin``."""
    if dist.size == 0:
        return []
    best_col = dist.argmin(axis=1)
    best_row = dist.argmin(axis=0)
    part = np.partition(dist, 1, axis=1)[:, :2] if dist.shape[1] > 1 else np.column_stack([dist[:, 0], dist[:, 0] + 1])
    out = []
    for r, c in enumerate(best_col.tolist()):
        if best_row[c] == r and part[r, 0] <= margin * part[r, 1]:
            out.append((r, c))
    return out


def _standardise(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    both = np.concatenate([a, b])
    mu, sd = both.mean(axis=0), both.std(axis=0)
    sd[sd == 0] = 1.0
    return (a - mu) / sd, (b - mu) / sd


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0))


def match_graphs(encoded: EncodedColumn, public: PlainColumn, *, token_bits: Mapping[str, int] | None = None,
                 anchors: Mapping[int, str] | None = None, min_counts: Sequence[int] = (3, 5, 10, 20, 40),
                 max_nodes: int = 2000, neighbours: int = 10, rounds: int = 12, margin: float = 0.8,
                 seed: int = 0, diffusion: int = 0) -> GraphAttack:
    """Match encoding classes to public values by graph structure (see the module docstring).

    Runs once per node budget (the encodings seen at least ``min_count`` times, for each of
    ``min_counts``) and keeps the run that anchors the largest share of items: the attacker's
    own, truth-free choice. ``diffusion`` is the schema's public ``t``: with ``token_bits`` the
    predicted similarities are those of diffused filters.
    """
    best: GraphAttack | None = None
    for min_count in sorted(set(min_counts)):
        n = min(max_nodes, int((encoded.counts >= min_count).sum()), len(public.counts()))
        if best is not None and n == best.nodes:
            continue
        run = _match(encoded, public, n, token_bits, anchors, neighbours, rounds, margin, seed, diffusion)
        if best is None or run.anchored_share(encoded) > best.anchored_share(encoded):
            best = run
    return best if best is not None else GraphAttack(encoded.name, np.full(len(encoded.distinct), None, object),
                                                     0, np.zeros(0, np.int64))


def _match(encoded: EncodedColumn, public: PlainColumn, n: int, token_bits: Mapping[str, int] | None,
           anchors: Mapping[int, str] | None, neighbours: int, rounds: int, margin: float,
           seed: int, diffusion: int = 0) -> GraphAttack:
    """One run of the matching with the ``n`` most frequent nodes on each side."""
    guesses = np.full(len(encoded.distinct), None, dtype=object)
    pub_counts = public.counts()
    if not encoded.has_bits or n < 3:
        return GraphAttack(encoded.name, guesses, n, np.zeros(0, np.int64))
    rng = np.random.default_rng(seed)
    counts = encoded.counts
    enc_nodes = np.argsort(-counts, kind="stable")[:n]
    keys = pub_counts.index.to_numpy(dtype=object)[:n]
    pub_w = pub_counts.to_numpy(float)[:n]
    enc_sim = _dice_bits(np.unpackbits(encoded.distinct[enc_nodes], axis=1))
    if token_bits:
        pub_sim = _predicted_dice(keys, token_bits, encoded.num_bits, diffusion)
    else:  # without the schema: q-gram Dice, put on the filters' scale by quantiles
        pub_sim = _token_dice(keys)
        enc_sim = _calibrate(enc_sim, pub_sim, rng)
    # frequencies on one scale: shares of the items in the top nodes
    enc_w = counts[enc_nodes].astype(float)
    fa, fb = _standardise(_features(enc_sim, enc_w / enc_w.sum() * pub_w.sum(), neighbours),
                          _features(pub_sim, pub_w, neighbours))
    matched = dict(_mutual(_distances(fa, fb), margin))
    key_pos = {k: i for i, k in enumerate(keys.tolist())}
    node_pos = {c: i for i, c in enumerate(enc_nodes.tolist())}
    for c, k in (anchors or {}).items():
        if c in node_pos and k in key_pos:
            matched[node_pos[c]] = key_pos[k]
    for _ in range(rounds):
        if not matched:
            break
        a_enc = np.fromiter(matched.keys(), np.int64)
        a_pub = np.fromiter(matched.values(), np.int64)
        ea, pb = _standardise(np.column_stack([enc_sim[:, a_enc], fa[:, :1]]),
                              np.column_stack([pub_sim[:, a_pub], fb[:, :1]]))
        found = dict(_mutual(_distances(ea, pb), margin))
        before = len(matched)
        taken = set(matched.values())
        for r, c in found.items():
            if r not in matched and c not in taken:
                matched[r] = c
                taken.add(c)
        if len(matched) == before:
            break
    # final assignment: every node takes its nearest public value in the anchor space
    a_enc = np.fromiter(matched.keys(), np.int64)
    a_pub = np.fromiter(matched.values(), np.int64)
    if len(a_enc):
        ea, pb = _standardise(np.column_stack([enc_sim[:, a_enc], fa[:, :1]]),
                              np.column_stack([pub_sim[:, a_pub], fb[:, :1]]))
        nearest = _distances(ea, pb).argmin(axis=1)
        for r in range(n):
            guesses[enc_nodes[r]] = keys[matched.get(r, int(nearest[r]))]
    return GraphAttack(encoded.name, guesses, n, enc_nodes[np.fromiter(matched.keys(), np.int64, len(matched))])
