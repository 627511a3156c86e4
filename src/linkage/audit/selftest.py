"""The privacy self-test: what encoded exports give away, judged without any plaintext truth.

Contract
--------
``audit_privacy(exports, public=None)`` is what an agency (before sharing) or the linkage unit
(on receipt) runs. It looks at the exports only as the linkage unit would and reports:

* per encoding column (found by type: :mod:`linkage.audit._view`): items, distinct encodings,
  the largest equal-encoding classes, entropy, and flags: ``deterministic`` (equal encodings
  repeat: equal values give equal encodings), ``few_values`` (a low-entropy column: at most 64
  distinct encodings, decodable by frequency alone), ``nested`` (encodings contained in many
  others: e.g. year-only dates inside the full dates of that year);
* per blocking-key column: the groups of records tied together by shared digests and, when a
  date column shows nested structure, how purely those groups fall into one date group;
* envelope sizes against name lengths (a sealed payload must not tell how long a name is), and
  record references repeated across exports of one agency (re-encodings can be joined);
* with ``public`` (the attacker's plaintext sample, :func:`linkage.audit.public_sample`, or its
  table with role-named columns): the
  share of items each attack expects to re-identify, from its own confidence (frequency
  alignment), the records it places into year groups (date structure), the filters it decodes
  (pattern mining) and the nodes it anchors (graph matching). These are estimates; the
  benchmark (``benchmarks/attacks.py``) measures against the truth.

Returns a :class:`PrivacyAudit` (``to_dict()`` is JSON-able); raises nothing beyond what reading
the columns raises; never prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..config import FieldSpec, Schema
from ..encoded import EncodedExport
from ..errors import DataError
from ._plain import PlainSide, public_sample
from ._view import EncodedColumn, EncodedView, lu_view
from ..diffusion import diffusion_of
from .dates import recover_years, subset_structure
from .years import YEAR_SLICES, recover_years_split
from .frequency import align_frequencies, denoise
from .graph import match_graphs
from .patterns import mine_patterns

__all__ = ["ColumnProfile", "BlockingProfile", "Expectation", "PrivacyAudit", "audit_privacy",
           "blocking_components", "field_of", "token_bits_of", "dice_bits_of", "flip_probability", "qgram_columns"]

FEW_VALUES = 64
_QGRAM_TOKENS = ("bigram", "trigram", "folded_bigram", "folded_trigram", "skeleton_bigram")


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    column: str
    kind: str
    items: int
    records_present: int
    distinct: int
    largest_class_share: float
    top10_share: float
    entropy_bits: float
    nested_share: float  # share of items containing an encoding that many others contain
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BlockingProfile:
    column: str
    distinct: int
    largest_class: int
    groups: int  # groups of records tied together by shared digests
    largest_group_share: float
    date_group_purity: float | None  # share of grouped records in their group's majority date group


@dataclass(frozen=True, slots=True)
class Expectation:
    attack: str
    column: str
    expected_share: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class PrivacyAudit:
    records: int
    exports: tuple[str, ...]
    columns: tuple[ColumnProfile, ...]
    blocking: tuple[BlockingProfile, ...]
    envelope_length_correlation: float | None
    repeated_refs: float | None
    expectations: tuple[Expectation, ...]
    findings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def field_of(schema: Schema | None, column: str) -> FieldSpec | None:
    """The schema field an encoding column holds (``f_<field>`` or the field's own name)."""
    if schema is None:
        return None
    for spec in schema.fields:
        if column in (f"f_{spec.name}", spec.name):
            return spec
    return None


def token_bits_of(schema: Schema | None, column: str) -> dict[str, int] | None:
    spec = field_of(schema, column)
    return dict(spec.tokens) if spec is not None else None


def dice_bits_of(schema: Schema | None, column: str) -> dict[str, int] | None:
    """Bits per token for predicting filter Dice from tokens: only while the hardening keeps
    the filter algebra (balancing, folding and BLIP change it: graph matching then calibrates;
    diffusion maps it predictably, see :func:`linkage.audit.graph.match_graphs`)."""
    hard = schema.hardening if schema is not None else None
    if hard is not None and (hard.balance or hard.xor_fold or hard.blip_probability > 0):
        return None
    return token_bits_of(schema, column)


def flip_probability(schema: Schema | None) -> float:
    return schema.hardening.blip_probability if schema is not None else 0.0


def qgram_columns(view: EncodedView) -> list[str]:
    """Filter columns whose values are q-gram sets (names, places): pattern and graph targets."""
    out = []
    for name, col in view.columns.items():
        spec = field_of(view.schema, name)
        if not col.has_bits:
            continue
        if spec is None and view.schema is None and col.kind == "filter_list":
            out.append(name)
        elif spec is not None and any(kind in _QGRAM_TOKENS for kind, _ in spec.tokens):
            out.append(name)
    return out


def blocking_components(col: EncodedColumn) -> np.ndarray:
    """Per record: the group of records linked by shared encodings in ``col`` (-1: no item)."""
    n = col.n_records
    if col.n_items == 0:
        return np.full(n, -1, np.int64)
    order = np.argsort(col.classes, kind="stable")
    owners, classes = col.owners[order], col.classes[order]
    starts = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]])
    sizes = np.diff(np.r_[starts, len(owners)])
    label = np.arange(n, dtype=np.int64)
    while True:
        mins = np.minimum.reduceat(label[owners], starts)
        new = label.copy()
        np.minimum.at(new, owners, np.repeat(mins, sizes))
        while True:  # pointer jumping
            jumped = new[new]
            if (jumped == new).all():
                break
            new = jumped
        if (new == label).all():
            break
        label = new
    present = col.present()
    _, compact = np.unique(label[present], return_inverse=True)
    out = np.full(n, -1, np.int64)
    out[present] = compact.ravel()
    return out


def _profile(col: EncodedColumn) -> ColumnProfile:
    counts = col.counts
    total = max(int(counts.sum()), 1)
    share = np.sort(counts)[::-1] / total
    p = share[share > 0]
    bases, contained = subset_structure(col, max_candidates=500)
    nested = 0.0
    if len(bases):
        holders = contained.any(axis=0)
        holders[bases] = True
        nested = float(counts[holders].sum() / total)
    flags = []
    if col.n_items and len(counts) < 0.9 * col.n_items:
        flags.append("deterministic")
    if col.n_items and len(counts) <= FEW_VALUES:
        flags.append("few_values")
    if nested >= 0.05:
        flags.append("nested")
    return ColumnProfile(col.name, col.kind, col.n_items, int(col.present().sum()), len(counts),
                         round(float(share[0]) if len(share) else 0.0, 4), round(float(share[:10].sum()), 4),
                         round(float(-(p * np.log2(p)).sum()) + 0.0, 3), round(nested, 4), tuple(flags))


def _date_groups(view: EncodedView) -> np.ndarray | None:
    """Per record: its year group from the nested structure of a date column (-1: none)."""
    candidates = [n for n, c in view.columns.items() if c.kind == "filter" and "/" not in n
                  and (field_of(view.schema, n) is None or field_of(view.schema, n).kind == "date")]
    best = None
    for name in candidates:
        if any(f"{name}/{kind}" in view.columns for kind in YEAR_SLICES):  # split slices: the year groups
            split = recover_years_split(view, name, np.zeros(0, np.int64))
            if split.groups and (best is None or split.assigned > best[0]):
                best = (split.assigned, split.group)
            continue
        col = view.columns[name]
        attack = recover_years(col, np.zeros(0, np.int64))
        if attack.n_bases and (best is None or attack.assigned > best[0]):
            per_record = np.full(view.n_records, -1, np.int64)
            per_record[col.owners] = attack.class_group[col.classes]
            best = (attack.assigned, per_record)
    return None if best is None else best[1]


def _blocking(view: EncodedView, date_groups: np.ndarray | None) -> list[BlockingProfile]:
    out = []
    for name, col in view.columns.items():
        if col.kind != "digest_list":
            continue
        groups = blocking_components(col)
        have = groups >= 0
        sizes = np.bincount(groups[have]) if have.any() else np.zeros(1, np.int64)
        purity = None
        if date_groups is not None:
            both = have & (date_groups >= 0)
            if both.any():
                pairs, counts = np.unique(np.stack([groups[both], date_groups[both]], axis=1), axis=0,
                                          return_counts=True)
                best = np.zeros(int(groups.max()) + 1, np.int64)
                np.maximum.at(best, pairs[:, 0], counts)
                purity = round(float(best.sum() / both.sum()), 4)
        out.append(BlockingProfile(name, len(col.distinct), int(col.counts.max()) if col.n_items else 0,
                                   int((sizes > 0).sum()), round(float(sizes.max() / max(have.sum(), 1)), 4),
                                   purity))
    return out


def _envelope_correlation(view: EncodedView) -> float | None:
    """Largest correlation, within one export, of a record's mean sealed payload size with its
    name filters' set bits (within: payloads differ between agencies anyway)."""
    name_cols = [c for c in view.columns.values() if c.kind == "filter_list"]
    if not name_cols:
        return None
    col = name_cols[0]
    name_bits = np.zeros(view.n_records)
    np.add.at(name_bits, col.owners, np.unpackbits(col.distinct, axis=1).sum(axis=1)[col.classes])
    best: float | None = None
    offset = 0
    for table in view.tables:
        rows = slice(offset, offset + table.num_rows)
        offset += table.num_rows
        if "envelopes" not in table.column_names:
            continue
        env = table.column("envelopes").combine_chunks()
        flat = env.flatten()
        if not len(flat) or "ciphertext" not in [f.name for f in flat.type]:
            continue
        per_item = np.asarray(pa.compute.binary_length(flat.field("ciphertext")).fill_null(0), float)
        per_record = np.asarray(env.value_lengths().fill_null(0))
        sizes = np.zeros(len(env))
        np.add.at(sizes, np.repeat(np.arange(len(env)), per_record), per_item)
        keep = per_record > 0
        x, y = sizes[keep] / per_record[keep], name_bits[rows][keep]
        if len(x) >= 10 and x.std() > 0 and y.std() > 0:
            r = float(np.corrcoef(x, y)[0, 1])
            best = r if best is None or abs(r) > abs(best) else best
    return None if best is None else round(best, 4)


def _repeated_refs(exports: Sequence[EncodedExport], view: EncodedView) -> float | None:
    by_agency: dict[str, list[set[str]]] = {}
    for agency, table in zip(view.agencies, view.tables):
        if "record_ref" in table.column_names:
            by_agency.setdefault(agency, []).append(set(table.column("record_ref").to_pylist()))
    shares = [len(later & first) / max(len(later), 1) for sets in by_agency.values() if len(sets) > 1
              for first, later in [(sets[0], set().union(*sets[1:]))]]
    return round(float(max(shares)), 4) if shares else None


def _expectations(view: EncodedView, public: PlainSide) -> list[Expectation]:
    out = []
    for name, col in view.columns.items():
        if name in public.columns:
            al = align_frequencies(denoise(col, flip_probability(view.schema)), public.columns[name])
            out.append(Expectation("frequency", name, round(al.expected_share, 4),
                                   f"top-10 encodings named right: {al.expected_top_share():.2f} (estimated)"))
    for name, years in public.years.items():
        if any(f"{name}/{kind}" in view.columns for kind in YEAR_SLICES):  # split slices (format v2)
            split = recover_years_split(view, name, years)
            out.append(Expectation("dates: birth year (structure)", name, round(split.assigned, 4),
                                   f"{split.groups} year groups; {split.chains} chains through window slices "
                                   f"(longest {split.largest_chain} groups)"))
        elif name in view.columns:
            attack = recover_years(view.columns[name], years)
            out.append(Expectation("dates: birth year (structure)", name, round(attack.assigned, 4),
                                   f"{len(attack.group_year)} year groups; adjacent years share "
                                   f"{attack.link_strength:.1f} bits above chance"))
    for name in qgram_columns(view):
        if name not in public.columns:
            continue
        raw, bits = view.columns[name], token_bits_of(view.schema, name)
        col = denoise(raw, flip_probability(view.schema))
        al = align_frequencies(col, public.columns[name])
        seeds = {int(c): al.guesses[c] for c in np.flatnonzero(al.confidence >= 0.5)}
        pa_ = mine_patterns(col, public.columns[name], seeds, token_bits=bits)
        out.append(Expectation("patterns (seeded by frequency)", name, round(pa_.decoded_share(col), 4),
                               f"{pa_.patterns} q-gram patterns learned; share of items decoded (an upper "
                               f"bound: not every decode is right)"))
        ga = match_graphs(col, public.columns[name], anchors=seeds,
                          token_bits=bits if col is not raw else dice_bits_of(view.schema, name),
                          diffusion=diffusion_of(view.schema) if col is raw else 0)
        out.append(Expectation("graph matching", name, round(ga.anchored_share(col), 4),
                               f"share of items in confidently matched nodes ({ga.anchors} of {ga.nodes})"))
    return out


def _findings(profiles: Sequence[ColumnProfile], blocking: Sequence[BlockingProfile], corr: float | None,
              refs: float | None) -> list[str]:
    out = []
    for p in profiles:
        if p.kind == "digest_list":  # keyed digests must be equal for equal keys: blocking needs it
            continue
        if "few_values" in p.flags and "deterministic" in p.flags:
            out.append(f"{p.column}: {p.distinct} distinct encodings for {p.items} items: decodable by frequency")
        elif "deterministic" in p.flags:
            out.append(f"{p.column}: equal values give equal encodings ({p.distinct} distinct for {p.items} items)")
        if "nested" in p.flags:
            out.append(f"{p.column}: {p.nested_share:.0%} of items contain encodings shared by many others")
    for b in blocking:
        if b.date_group_purity is not None and b.date_group_purity >= 0.95:
            out.append(f"{b.column}: records sharing digests fall into one date group ({b.date_group_purity:.1%})")
    if corr is not None and abs(corr) >= 0.2:
        out.append(f"envelope sizes follow name lengths (correlation {corr:.2f})")
    if refs:
        out.append(f"record references repeat across exports of one agency ({refs:.0%})")
    return out


def audit_privacy(exports: Sequence[EncodedExport], *,
                  public: PlainSide | pd.DataFrame | None = None) -> PrivacyAudit:
    """Self-test ``exports`` (and with ``public``, estimate the attacks); see the module docstring.

    ``public`` is a :class:`PlainSide` or a plaintext table with role-named columns (read with
    :func:`linkage.audit.public_sample` under the exports' schema).
    """
    view = lu_view(exports)
    if isinstance(public, pd.DataFrame):
        if view.schema is None:
            raise DataError("the exports state no readable schema: the public sample cannot be turned into "
                            "comparable keys")
        public = public_sample(public, view.schema)
    profiles = [_profile(col) for col in view.columns.values()]
    blocking = _blocking(view, _date_groups(view))
    corr = _envelope_correlation(view)
    refs = _repeated_refs(exports, view)
    expectations = _expectations(view, public) if public is not None else []
    return PrivacyAudit(view.n_records, view.agencies, tuple(profiles), tuple(blocking), corr, refs,
                        tuple(expectations), tuple(_findings(profiles, blocking, corr, refs)))
