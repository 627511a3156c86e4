"""Owner-side dummy records, simulated on the agency's plaintext until the encoder offers them.

Contract
--------
``add_dummies(frame, config, fraction=..., seed=...)`` returns the agency's table with
``round(fraction * len(frame))`` plausible fake records mixed in at random positions, and a mask
telling which rows are dummies (the agency keeps it; the linkage unit must not see it). A dummy
takes a real record as its template and

* changes every name part of its name columns by one or two random edits (substitution,
  insertion, deletion, transposition with letters of the same column), so that it creates new
  nodes near real ones in the similarity graph;
* takes its birth date, sex, nationality and place each from another random record (values stay
  plausible, their frequencies unchanged);
* gets a fresh local id (``dummy-<hex>``).

It is deterministic for a seed, pure (no files) and meant for benchmarks and the self-test's
what-if runs; Vidanage et al. (2020) report 25 % dummies defeating graph matching.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import ExportConfig, Role

__all__ = ["add_dummies"]

_NAME_ROLES = (Role.GIVEN_NAME, Role.FAMILY_NAME, Role.FULL_NAME, Role.FATHER_NAME, Role.ORIGINAL_NAME)
_SWAP_ROLES = (Role.BIRTH_DATE, Role.SEX, Role.NATIONALITY, Role.PLACE)


def _edit(word: str, alphabet: list[str], rng: np.random.Generator) -> str:
    for _ in range(int(rng.integers(1, 3))):
        n = len(word)
        op = int(rng.integers(0, 4)) if n > 2 else 1
        pos = int(rng.integers(0, max(n, 1)))
        letter = alphabet[int(rng.integers(0, len(alphabet)))]
        if op == 0:
            word = word[:pos] + letter + word[pos + 1 :]
        elif op == 1:
            word = word[:pos] + letter + word[pos:]
        elif op == 2:
            word = word[:pos] + word[pos + 1 :]
        elif pos < n - 1:
            word = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    return word


def _mutate_names(values: pd.Series, rng: np.random.Generator) -> list[str]:
    letters = sorted({ch for v in values.tolist() if isinstance(v, str) for ch in v.lower() if ch.isalpha()})
    alphabet = letters or list("aeiou")
    out = []
    for value in values.tolist():
        if not isinstance(value, str) or not value.strip():
            out.append(value if isinstance(value, str) else "")
            continue
        out.append(" ".join(_edit(w, alphabet, rng) if w.isalpha() else w for w in value.split()))
    return out


def add_dummies(frame: pd.DataFrame, config: ExportConfig, *, fraction: float = 0.25,
                seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``frame`` with dummy rows mixed in, and the dummy mask (see the module docstring)."""
    if not 0.0 <= fraction <= 10.0:
        raise ValueError(f"'fraction' of add_dummies must be in [0, 10], got {fraction}")
    rng = np.random.default_rng(seed)
    n = len(frame)
    n_dummy = int(round(fraction * n))
    if n == 0 or n_dummy == 0:
        return frame.reset_index(drop=True), np.zeros(n, bool)
    template = frame.iloc[rng.integers(0, n, n_dummy)].reset_index(drop=True).copy()
    for role in _NAME_ROLES:
        for col in config.columns_for(role):
            template[col] = _mutate_names(template[col], rng)
    for role in _SWAP_ROLES:
        for col in config.columns_for(role):
            template[col] = frame[col].to_numpy()[rng.integers(0, n, n_dummy)]
    template[config.id_column] = [f"dummy-{x:016x}" for x in rng.integers(0, 2**63, n_dummy).tolist()]
    combined = pd.concat([frame.reset_index(drop=True), template], ignore_index=True)
    is_dummy = np.r_[np.zeros(n, bool), np.ones(n_dummy, bool)]
    order = rng.permutation(len(combined))
    return combined.iloc[order].reset_index(drop=True), is_dummy[order]
