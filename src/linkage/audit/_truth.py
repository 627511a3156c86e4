"""The truth behind encoded items (benchmarks and tests only: needs the agencies' plaintext).

Contract
--------
``item_truth(encoded, plain)`` returns, per item of an encoding column, the plaintext key it
encodes, where ``plain`` holds the same records' plaintext in the same order. One-item-per-record
columns are matched by record. For list columns (name parts, blocking digests) the encoder sorts
a record's items by their bytes, so the item of each key is found by *peeling*: an encoding's
key must be in every record that holds the encoding, minus the keys already given to the
record's other encodings; this repeats until nothing changes. An encoding held only by records
whose keys all stay ambiguous (rare unless hardening makes every encoding unique) keeps the
set's smallest key; ``alternatives`` lists the keys it may hold, and :meth:`ItemTruth.right`
accepts any of them (the attacker then named a value the record truly has).

``score(guesses, truth)`` is the share of items guessed right; ``record_shares`` the share of
records with at least one and with every item right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._plain import PlainColumn
from ._view import EncodedColumn

__all__ = ["ItemTruth", "item_truth", "score", "record_shares"]


@dataclass(frozen=True, slots=True)
class ItemTruth:
    keys: np.ndarray  # object, per encoded item (None: no plaintext for it)
    ambiguous: int  # encoded classes resolved by choice, not by evidence
    alternatives: dict[int, frozenset[str]] = field(default_factory=dict)  # class -> keys it may hold

    def right(self, encoded: EncodedColumn, guesses: np.ndarray) -> np.ndarray:
        """Per item: the guess is its key, or one of the keys an ambiguous item may hold."""
        out = np.fromiter((g is not None and g == t for g, t in zip(guesses.tolist(), self.keys.tolist())), bool,
                          count=len(guesses))
        if self.alternatives:
            for i in np.flatnonzero(~out & np.isin(encoded.classes, list(self.alternatives))).tolist():
                out[i] = guesses[i] in self.alternatives[int(encoded.classes[i])]
        return out


def item_truth(encoded: EncodedColumn, plain: PlainColumn) -> ItemTruth:
    per_record: list[list[str]] = [[] for _ in range(encoded.n_records)]
    for row, key in zip(plain.owners.tolist(), plain.keys.tolist()):
        if row < encoded.n_records:
            per_record[row].append(key)
    if encoded.kind == "filter":
        keys = np.asarray([per_record[r][0] if per_record[r] else None for r in encoded.owners.tolist()],
                          dtype=object)
        return ItemTruth(keys, 0)
    return _peel(encoded, [set(k) for k in per_record])


def _peel(encoded: EncodedColumn, truth_sets: list[set[str]]) -> ItemTruth:
    owners, classes = encoded.owners.tolist(), encoded.classes.tolist()
    records_of: dict[int, list[int]] = {}
    classes_of: dict[int, list[int]] = {}
    for r, c in zip(owners, classes):
        records_of.setdefault(c, []).append(r)
        classes_of.setdefault(r, []).append(c)
    resolved: dict[int, str] = {}
    candidates: dict[int, set[str]] = {}
    pending = set(records_of)
    for _ in range(20):
        changed = False
        for c in list(pending):
            cand: set[str] | None = None
            for r in records_of[c]:
                taken = {resolved[o] for o in classes_of[r] if o != c and o in resolved}
                here = truth_sets[r] - taken
                cand = here if cand is None else cand & here
                if not cand:
                    break
            candidates[c] = cand or set()
            if len(candidates[c]) <= 1:
                if candidates[c]:
                    resolved[c] = next(iter(candidates[c]))
                pending.discard(c)
                changed = True
        if not changed:
            break
    alternatives = {c: frozenset(candidates[c]) for c in pending if candidates.get(c)}
    for c, keys in alternatives.items():
        resolved[c] = min(keys)
    per_class = np.asarray([resolved.get(c) for c in range(len(encoded.distinct))], dtype=object)
    return ItemTruth(per_class[encoded.classes] if len(per_class) else np.zeros(0, object), len(alternatives),
                     alternatives)


def score(guesses: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Share of items (where ``mask``) whose guess equals the truth (a None guess is wrong)."""
    right = np.asarray([g is not None and g == t for g, t in zip(guesses.tolist(), truth.tolist())], bool)
    if mask is not None:
        right = right[mask]
    return float(right.mean()) if len(right) else 0.0


def record_shares(encoded: EncodedColumn, right: np.ndarray) -> tuple[float, float]:
    """Shares of records with an item (any right, all right), from per-item correctness."""
    present = encoded.present()
    n = int(present.sum())
    if n == 0:
        return 0.0, 0.0
    hits = np.bincount(encoded.owners, weights=right.astype(float), minlength=encoded.n_records)
    items = np.bincount(encoded.owners, minlength=encoded.n_records)
    return float((hits[present] > 0).sum() / n), float((hits[present] == items[present]).sum() / n)
