"""Every attack against encoded exports, measured against the truth (benchmarks and tests).

Contract
--------
``run_attacks(exports, public, truth)`` plays the linkage unit: it sees only ``exports`` (through
:func:`~linkage.audit._view.lu_view`) and the attacker's ``public`` sample, runs

* ``frequency``: frequency alignment on every encoding column (fields, parts, ``clk``, ``bk_*``);
* ``dates``: the structural birth-year attack on every date column, and the birth-year purity of
  the groups that each blocking-key column's shared digests tie together;
* ``patterns``: pattern mining on every q-gram column (names, places), seeded by the confident
  ranks of frequency alignment (keeping the frequency guess where nothing is decoded), and
  again with the ``known_seeds`` most frequent encodings known (the worst case: an attacker who
  knows a few hundred common values' encodings; 0 skips it), both by pattern mining and by
  linear pattern learning (:mod:`linkage.audit.linear`, for hardened filters whose bits only
  lean to q-grams); the notes give the known classes' share of the items and the share of the
  other items named right;
* ``graph``: graph matching on every q-gram column, anchored by the confident frequency ranks;
* ``bound``: the attacks on roles bound to anchors (:mod:`linkage.audit.bound`: subgroup sizes,
  colouring, frequency of the bound slices, date shape), scored on the role's value;

and only then scores the guesses against ``truth`` (the same records' plaintext, in export
order; :mod:`linkage.audit._truth`). ``real`` marks the records that are people (dummy records
are attacked like any other but not scored). Each figure is the share of items (values; name
parts for name columns) re-identified, with the shares of records with any and with all items
right, and for every column the accuracy of the prior guess (the public sample's most common
value) and the attack's advantage over it in percentage points. ``estimated`` is what the attack
itself believes without the truth (frequency alignment only).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..encoded import EncodedExport
from ._plain import PlainSide
from ._truth import ItemTruth, item_truth, record_shares
from ._view import EncodedColumn, EncodedView, lu_view
from .bound import bound_attacks
from .dates import recover_years
from .years import YEAR_SLICES, recover_years_split
from .frequency import align_frequencies, denoise
from ..diffusion import diffusion_of
from .graph import match_graphs
from .linear import learn_linear
from .patterns import mine_patterns
from .selftest import blocking_components, dice_bits_of, field_of, flip_probability, qgram_columns, token_bits_of

__all__ = ["AttackFigure", "AttackReport", "run_attacks", "ATTACKS"]

ATTACKS = ("frequency", "dates", "bound", "patterns", "graph")
LOW_ENTROPY_VALUES = 64  # at most this many distinct public values: report accuracy and advantage
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class AttackFigure:
    attack: str
    column: str
    items: int
    reidentified: float  # share of (real) items whose value the attack names
    records_any: float | None = None
    records_all: float | None = None
    prior: float | None = None  # accuracy of always guessing the public sample's most common value
    advantage_pp: float | None = None
    estimated: float | None = None  # the attack's own estimate without the truth
    top10: float | None = None  # share of the 10 most frequent encodings named right
    low_entropy: bool = False
    note: str = ""
    # known-plaintext attacks: share of the items outside the known classes named right, and of
    # the records with such an item, the share named entirely
    beyond_known: float | None = None
    beyond_known_records: float | None = None


@dataclass(frozen=True, slots=True)
class AttackReport:
    records: int
    real_records: int
    figures: tuple[AttackFigure, ...]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "real_records": self.real_records, "seconds": dict(self.seconds),
                "figures": [asdict(f) for f in self.figures]}

    def figure(self, attack: str, column: str) -> AttackFigure:
        for f in self.figures:
            if f.attack == attack and f.column == column:
                return f
        raise KeyError((attack, column))


class _Scorer:
    """Scores per-item guesses of one column against its truth, on real records only."""

    def __init__(self, col: EncodedColumn, truth: ItemTruth, real: np.ndarray, prior_key: Any,
                 attacked: EncodedColumn) -> None:
        self.col = col
        self.attacked = attacked  # what the attacks see: the column, or its BLIP-denoised form
        self.item_truth = truth
        self.truth = truth.keys
        self.mask = real[col.owners]
        self.real_col = EncodedColumn(col.name, col.kind, col.n_records, col.owners[self.mask],
                                      col.classes[self.mask], col.distinct)
        self.prior = float(np.mean(self.truth[self.mask] == prior_key)) if self.mask.any() else 0.0

    def figure(self, attack: str, guesses: np.ndarray, **extra: Any) -> AttackFigure:
        right = self.item_truth.right(self.col, guesses)[self.mask]
        share = float(right.mean()) if len(right) else 0.0
        any_, all_ = record_shares(self.real_col, right) if self.col.kind != "filter" else (None, None)
        return AttackFigure(attack, self.col.name, int(self.mask.sum()), round(share, 4),
                            None if any_ is None else round(any_, 4), None if all_ is None else round(all_, 4),
                            round(self.prior, 4), round(100 * (share - self.prior), 2), **extra)


def _denoised_note(sc: _Scorer) -> str:
    if sc.attacked is sc.col:
        return ""
    return f"BLIP undone by clustering {len(sc.col.distinct)} encodings into {len(sc.attacked.distinct)}"


def _top10(col: EncodedColumn, class_guesses: np.ndarray, truth_keys: np.ndarray) -> float:
    per_class = np.full(len(col.distinct), None, dtype=object)
    per_class[col.classes] = truth_keys
    order = np.argsort(-col.counts, kind="stable")[:10]
    return round(float(np.mean([class_guesses[c] == per_class[c] for c in order])), 4) if len(order) else 0.0


def run_attacks(exports: Sequence[EncodedExport], public: PlainSide, truth: PlainSide, *,
                real: np.ndarray | None = None, attacks: Sequence[str] = ATTACKS, known_seeds: int = 300,
                progress: Progress | None = None) -> AttackReport:
    """Run ``attacks`` as the linkage unit and score them against ``truth`` (module docstring)."""
    unknown = set(attacks) - set(ATTACKS)
    if unknown:
        raise ValueError(f"unknown attack(s) {sorted(unknown)}; choose from {', '.join(ATTACKS)}")
    view = lu_view(exports)
    if truth.n_records != view.n_records:
        raise ValueError(f"the truth has {truth.n_records} records, the exports {view.n_records}")
    real = np.ones(view.n_records, bool) if real is None else np.asarray(real, bool)
    figures: list[AttackFigure] = []
    seconds: dict[str, float] = {}
    scorers: dict[str, _Scorer] = {}
    flips = flip_probability(view.schema)
    for name, col in view.columns.items():
        if name in public.columns and name in truth.columns:
            counts = public.columns[name].counts()
            scorers[name] = _Scorer(col, item_truth(col, truth.columns[name]), real,
                                    counts.index[0] if len(counts) else None, denoise(col, flips))
    for attack in attacks:
        start = time.perf_counter()
        if progress is not None:
            progress(attack)
        if attack == "frequency":
            figures += _frequency(view, public, scorers)
        elif attack == "dates":
            figures += _dates(view, public, truth, real, scorers)
        elif attack == "bound":
            figures += _bound(view, public, truth, real)
        elif attack == "patterns":
            figures += _patterns(view, public, scorers, known_seeds)
        else:
            figures += _graph(view, public, scorers)
        seconds[attack] = round(time.perf_counter() - start, 2)
    return AttackReport(view.n_records, int(real.sum()), tuple(figures), seconds)


def _salt_of_records(view: EncodedView, public: PlainSide, scorers: dict[str, _Scorer]) -> np.ndarray | None:
    """Per record, the salt the attacker recovers (a salted schema only): the birth year from the
    date structure, or a code field's value from frequency alignment ("" where none)."""
    salt_field = view.schema.hardening.salt_field if view.schema is not None else None
    spec = field_of(view.schema, salt_field) if salt_field else None
    sc = scorers.get(f"f_{salt_field}") if salt_field else None
    if spec is None or sc is None:
        return None
    out = np.full(view.n_records, "", dtype=object)
    col = sc.attacked
    if spec.kind == "date" and f"f_{salt_field}" in public.years:
        years = recover_years(col, public.years[f"f_{salt_field}"]).item_years(col)
        out[col.owners] = np.asarray([f"{y:04d}" if y else "" for y in years.tolist()], dtype=object)
    else:
        guesses = align_frequencies(col, public.columns[sc.col.name]).item_guesses(col)
        out[col.owners] = np.asarray([g.split(":", 1)[-1] if isinstance(g, str) else "" for g in guesses.tolist()],
                                     dtype=object)
    return out


def _strata(col: EncodedColumn, public_keys: np.ndarray, salts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Salt label per class (its records' most common recovered salt) and per public key."""
    frame = pd.DataFrame({"c": col.classes, "s": salts[col.owners]})
    majority = frame.groupby("c")["s"].agg(lambda x: x.value_counts().index[0])
    enc = np.full(len(col.distinct), "", dtype=object)
    enc[majority.index.to_numpy()] = majority.to_numpy()
    pub = np.asarray([k.split("=", 1)[1].split("\x1f", 1)[0] if isinstance(k, str) and "\x1f" in k else ""
                      for k in public_keys.tolist()], dtype=object)
    return enc, pub


def _frequency(view: EncodedView, public: PlainSide, scorers: dict[str, _Scorer]) -> list[AttackFigure]:
    out = []
    salts = _salt_of_records(view, public, scorers)
    salt_column = f"f_{view.schema.hardening.salt_field}" if salts is not None and view.schema else None
    for name, sc in scorers.items():
        col = sc.attacked
        strata = None
        if salts is not None and name != salt_column and name.startswith("f_"):
            strata = _strata(col, public.columns[name].counts().index.to_numpy(dtype=object), salts)
        al = align_frequencies(col, public.columns[name], strata=strata)
        low = len(public.columns[name].counts()) <= LOW_ENTROPY_VALUES
        out.append(sc.figure("frequency", al.item_guesses(col), estimated=round(al.expected_share, 4),
                             top10=_top10(col, al.guesses, sc.truth), low_entropy=low,
                             note=_denoised_note(sc) + ("; within the salt recovered per record"
                                                        if strata is not None else "")))
    return out


def _year_of_key(key: Any) -> int:
    """The birth year in a public key of the ``year`` slice or the ``year_name_keyed`` anchor (0: none)."""
    if not isinstance(key, str):
        return 0
    for part in key.split("\x1e"):
        for tag in ("year=y:", "year_name_keyed=ynk:"):
            if part.startswith(tag):
                return int(part[len(tag):len(tag) + 4])
    return 0


def _purity(groups: np.ndarray, labels: np.ndarray) -> float:
    """Share of items whose label is their group's most common one."""
    if len(groups) == 0:
        return 0.0
    pairs, counts = np.unique(np.stack([groups, labels], axis=1), axis=0, return_counts=True)
    best = np.zeros(int(groups.max()) + 1, np.int64)
    np.maximum.at(best, pairs[:, 0], counts)
    return float(best.sum() / len(groups))


def _dates(view: EncodedView, public: PlainSide, truth: PlainSide, real: np.ndarray,
           scorers: dict[str, _Scorer]) -> list[AttackFigure]:
    out = []
    for name, years in public.years.items():
        col = scorers[name].attacked if name in scorers else view.columns.get(name)
        if col is None or name not in truth.years:
            continue
        true_years = truth.years[name][col.owners]
        mask = real[col.owners] & (true_years > 0)
        known = years[years > 0]
        prior_year = int(np.bincount(known).argmax()) if len(known) else 0
        prior = float(np.mean(true_years[mask] == prior_year)) if mask.any() else 0.0
        split_layout = any(f"{name}/{kind}" in view.columns for kind in YEAR_SLICES)
        if split_layout:  # split slices: format v2
            split = recover_years_split(view, name, years)
            guessed, groups = split.year[col.owners][mask], split.group[col.owners][mask]
            assigned = split.assigned
            note = (f"{split.groups} year groups (largest {split.largest_group:.4f} of records), {split.chains} "
                    f"chains through window slices (longest {split.largest_chain} groups), {split.oriented:.4f} "
                    f"of records in chains of known direction and year mod 3")
        else:
            attack = recover_years(col, years)
            guessed, groups = attack.item_years(col)[mask], attack.class_group[col.classes][mask]
            assigned = attack.assigned
            note = (f"{attack.n_bases} base filters, {len(attack.group_year)} year groups, "
                    f"{attack.via_containment:.4f} of items placed by containment")
        share = float(np.mean(guessed == true_years[mask])) if mask.any() else 0.0
        near = float(np.mean(np.abs(guessed - true_years[mask]) <= 1)) if mask.any() else 0.0
        out.append(AttackFigure("dates: birth year (structure)", name, int(mask.sum()), round(share, 4),
                                prior=round(prior, 4), advantage_pp=round(100 * (share - prior), 2),
                                estimated=round(assigned, 4), low_entropy=True,
                                note=f"{note}; within one year: {near:.4f}"))
        if split_layout:
            out.append(_with_digests(view, name, years, col.owners, mask, true_years, prior))
        placed = groups >= 0
        out.append(AttackFigure("dates: year groups (purity)", name, int(mask.sum()),
                                round(_purity(groups[placed], true_years[mask][placed]), 4),
                                note="share of records in their group's majority birth year"))
        # v2: the year slice itself, and the keyed year anchor (its groups aligned with the public
        # sample's (year, skeleton) classes under a stand-in order: the attacker lacks the key)
        aligned_slices = [f"{name}/{k}" for k in ("year", "year_name_keyed") if f"{name}/{k}" in view.columns]
        for aligned in aligned_slices or [name]:
            if aligned not in public.columns:
                continue
            acol = view.columns[aligned] if aligned != name else col
            al = align_frequencies(acol, public.columns[aligned])
            per_record = np.zeros(view.n_records, np.int64)
            per_record[acol.owners] = [_year_of_key(k) for k in al.item_guesses(acol).tolist()]
            guessed = per_record[col.owners]
            share = float(np.mean(guessed[mask] == true_years[mask])) if mask.any() else 0.0
            out.append(AttackFigure("frequency: birth year", aligned, int(mask.sum()), round(share, 4),
                                    prior=round(prior, 4), advantage_pp=round(100 * (share - prior), 2),
                                    low_entropy=True,
                                    note="groups aligned with the sample's (year, skeleton) classes, stand-in order"
                                    if aligned.endswith("/year_name_keyed") else "group sizes ranked against the sample's years"))
        for bk_name, bk in view.columns.items():
            if bk.kind != "digest_list":
                continue
            groups = blocking_components(bk)
            have = (groups >= 0) & real & (truth.years[name] > 0)
            if have.any():
                sizes = np.bincount(groups[have])
                out.append(AttackFigure("blocking groups: birth-year purity", bk_name, int(have.sum()),
                                        round(_purity(groups[have], truth.years[name][have]), 4),
                                        note=f"{int((sizes > 0).sum())} groups of records sharing digests, "
                                             f"largest {int(sizes.max())} records"))
    return out


def _with_digests(view: EncodedView, name: str, years: np.ndarray, owners: np.ndarray, mask: np.ndarray,
                  true_years: np.ndarray, prior: float) -> AttackFigure:
    """The v2 year attack with the groups ordered through blocking-key digests and cross-year
    slices instead of windows."""
    attack = recover_years_split(view, name, years, digests=True)
    share = float(np.mean(attack.year[owners][mask] == true_years[mask])) if mask.any() else 0.0
    near = float(np.mean(np.abs(attack.year[owners][mask] - true_years[mask]) <= 1)) if mask.any() else 0.0
    return AttackFigure("dates: birth year (no windows)", name, int(mask.sum()), round(share, 4),
                        prior=round(prior, 4), advantage_pp=round(100 * (share - prior), 2), low_entropy=True,
                        note=f"groups ordered through blocking-key digests and day-and-month slices, not windows "
                             f"(their excess over chance); {attack.chains} chains, longest {attack.largest_chain} "
                             f"groups; within one year: {near:.4f}")


def _bound(view: EncodedView, public: PlainSide, truth: PlainSide, real: np.ndarray) -> list[AttackFigure]:
    """Bound roles' value guesses per attack against the truth (real records with a value)."""
    out = []
    for bg in bound_attacks(view, public):
        values = truth.attributes.get(bg.role)
        if values is None:
            continue
        mask = real & (values != "")
        prior = float(np.mean(values[mask] == bg.prior_value)) if mask.any() else 0.0
        for attack, guesses in bg.guesses.items():
            share = float(np.mean(guesses[mask] == values[mask])) if mask.any() else 0.0
            note = bg.notes.get(attack, "")
            if attack == "colouring":
                note = (f"{bg.structures} structures; the largest holds {bg.largest_structure:.4f} of the records "
                        f"with a bound class")
            out.append(AttackFigure(f"bound: {attack}", bg.field, int(mask.sum()), round(share, 4),
                                    prior=round(prior, 4), advantage_pp=round(100 * (share - prior), 2),
                                    low_entropy=True, note=note))
    return out


def _patterns(view: EncodedView, public: PlainSide, scorers: dict[str, _Scorer],
              known_seeds: int) -> list[AttackFigure]:
    out = []
    for name in qgram_columns(view):
        sc = scorers.get(name)
        if sc is None:
            continue
        bits = token_bits_of(view.schema, name)
        col = sc.attacked
        al = align_frequencies(col, public.columns[name])
        seeds = {int(c): al.guesses[c] for c in np.flatnonzero(al.confidence >= 0.5)}
        pa = mine_patterns(col, public.columns[name], seeds, token_bits=bits)
        combined = np.where(pa.guesses == None, al.guesses, pa.guesses)  # noqa: E711 - elementwise
        out.append(sc.figure("patterns (seeded by frequency)", combined[col.classes],
                             estimated=round(pa.decoded_share(col), 4),
                             note=f"{pa.seeds} seeds, {pa.patterns} q-gram patterns; frequency guess "
                                  f"where nothing is decoded"))
        if known_seeds <= 0:
            continue
        per_class = np.full(len(col.distinct), None, dtype=object)
        per_class[col.classes] = sc.truth
        order = np.argsort(-col.counts, kind="stable")[:known_seeds]
        known = {int(c): per_class[c] for c in order if per_class[c] is not None}
        pa = mine_patterns(col, public.columns[name], known, token_bits=bits)
        mined = pa.guesses.copy()
        mined[list(known)] = list(known.values())  # what the attacker knows stays known
        in_known = np.isin(col.classes, np.fromiter(known, np.int64, len(known)))
        out.append(sc.figure(f"patterns ({known_seeds} most frequent known)", mined[col.classes],
                             **_beyond(sc, col, mined[col.classes], in_known, f"{pa.patterns} q-gram patterns")))
        la = learn_linear(col, public.columns[name], known)
        out.append(sc.figure(f"patterns, linear ({known_seeds} most frequent known)", la.item_guesses(col),
                             **_beyond(sc, col, la.item_guesses(col), in_known,
                                       f"{la.tokens} tokens, ridge {la.penalty} x bits (held-out known named "
                                       f"right: {la.holdout_accuracy:.2f})")))
        bits = token_bits_of(view.schema, name) if col is not sc.col else dice_bits_of(view.schema, name)
        ga = match_graphs(col, public.columns[name], token_bits=bits, anchors=known,
                          diffusion=diffusion_of(view.schema) if col is sc.col else 0)
        anchored = ga.guesses.copy()
        anchored[list(known)] = list(known.values())
        out.append(sc.figure(f"graph matching ({known_seeds} most frequent known)", anchored[col.classes],
                             **_beyond(sc, col, anchored[col.classes], in_known, f"{ga.nodes} nodes per graph")))
    return out


def _beyond(sc: _Scorer, col: EncodedColumn, guesses: np.ndarray, in_known: np.ndarray, note: str) -> dict[str, Any]:
    """What a known-plaintext attack adds (figure fields): the share of the items outside the
    known classes it names right, the share of records with such an item that it names entirely,
    and a note with the known classes' share of the items and what always naming the commonest
    other value gets."""
    right = sc.item_truth.right(col, guesses)
    mask = sc.mask & ~in_known
    beyond = float(right[mask].mean()) if mask.any() else 0.0
    truth = pd.Series(sc.truth[mask], dtype=object)
    prior = float(truth.value_counts(normalize=True).iloc[0]) if len(truth) else 0.0
    owners = col.owners[sc.mask]
    n = col.n_records
    wrong = np.bincount(owners, weights=~right[sc.mask], minlength=n) > 0
    unknown = np.bincount(owners, weights=~in_known[sc.mask], minlength=n) > 0
    records = float((unknown & ~wrong).sum() / max(unknown.sum(), 1))
    return {"beyond_known": round(beyond, 4), "beyond_known_records": round(records, 4),
            "note": f"{note}; the known classes hold {float(in_known[sc.mask].mean()):.2%} of the items; "
                    f"{beyond:.2%} of the others named right (their commonest value: {prior:.2%}); "
                    f"records with an unknown item named entirely: {records:.2%}"}


def _graph(view: EncodedView, public: PlainSide, scorers: dict[str, _Scorer]) -> list[AttackFigure]:
    out = []
    for name in qgram_columns(view):
        sc = scorers.get(name)
        if sc is None:
            continue
        col = sc.attacked
        al = align_frequencies(col, public.columns[name])
        anchors = {int(c): al.guesses[c] for c in np.flatnonzero(al.confidence >= 0.5)}
        # denoised filters are majority votes: the Dice model of unhardened filters holds again
        bits = token_bits_of(view.schema, name) if col is not sc.col else dice_bits_of(view.schema, name)
        ga = match_graphs(col, public.columns[name], token_bits=bits, anchors=anchors,
                          diffusion=diffusion_of(view.schema) if col is sc.col else 0)
        out.append(sc.figure("graph matching", ga.item_guesses(col),
                             note=f"{ga.nodes} nodes per graph, {ga.anchors} anchors"))
    return out
