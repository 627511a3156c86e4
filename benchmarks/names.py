"""Name encodings: how well the name similarity separates spelling variants of a name from other names.

Usage: python benchmarks/names.py [--json] [--search] [--negatives N] [--records N] [--dev-misses N]
                                  [--schema configs/schema.toml]

Data:

* **Curated set** (license-clean, hand-curated for this project): the variant groups of
  ``linkage.synth`` (given and family names with their Arabic or Cyrillic script, article forms
  of family names) and ``benchmarks/name_variants.py`` (Arabic-script names *outside* the
  vocalisation table, Ethiopic and Russian script, particle and compound spellings, Somali and
  Turkish orthography). Groups that share a spelling are merged. Positive pairs: every two
  spellings of one group, Latin-Latin and original script-Latin; negative pairs: random pairs of
  names from different groups plus the hard negatives of ``name_variants.HARD_NEGATIVES``
  (Mohammed/Mahmoud, Hassan/Hussein, Ali/Alia, ...). The name rules were developed on it.
* **Real set** (``benchmarks/data/real_name_variants.tsv``, see ``benchmarks/data/README.md``):
  real romanisation variants of Arabic, Persian and Urdu names from Wikidata (via rigour 1.8.2),
  split by name group into a ``dev`` half (may be read: ``--dev-misses``) and a ``heldout`` half
  (only its figures are printed; no rule is tuned to it), with 5,000 random negatives per half
  and 80 real-spelling hard negatives (threshold: 1 % of the held-out random negatives).
* **Multi-part records** (:func:`record_pairs`): persons of 2-4 parts in separate columns, with
  a missing or extra part, one typo in a short part, a compound split across two columns, or two
  parts fused, against random persons and persons sharing one part.

Encodings, all keyed with one fixed key:

* ``ours``: the library pipeline: ``name_parts`` (of the columns of a record) then the schema's
  name-field token kinds and bits per token into one filter per part (at most ``max_parts``), two
  names scored by :func:`linkage.similarity.part_set_dice` (chance-corrected part Dice, unions of
  two parts, ``0.85 * max + 0.15 * min`` of the two directions).
* ``baseline``: clkhash style: padded bigrams of the raw lower-cased string, one filter, same
  length, bits per token for a half-full filter, plain Dice.
* ``v1``: the library before issue #3: the old part splitting (fold, split on non-letters) and
  bigram 45 + whole 45 per part, plain Dice of parts, mean of the best match in each direction.

Printed: ROC AUC and recall at 1 % false-positive rate (threshold: the 99th percentile of all
negative scores) overall and per kind of positive pair, hard-negative scores, named pairs, the
real set's dev and held-out figures and the multi-part records. ``--search`` also ranks
combinations of candidate token kinds and weights (including rigour name symbols when ``rigour``
is installed) scaled to the same total number of bits, on the curated set; the schema's name
tokens were chosen on the curated set and the real set's dev half: the best recall among
combinations that keep every Mohammed/Mahmoud and Hassan/Hussein pair below the 1 % FPR
threshold with a margin, preferring fewer token kinds at equal recall. The last stdout line
with ``--json`` is one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd

from linkage import bloom, names, similarity, tokens
from linkage._transliterate import script_of

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import name_variants  # noqa: E402
from make_real_variants import components  # noqa: E402

KEY = bytes(range(32))
#: The hard negatives the issue names: Mohammed vs Mahmoud and Hassan vs Hussein, in any script.
KEY_HARD = {"Mohammed", "Muhammad", "Mohamed", "Mahmoud", "Mahmud", "محمد", "محمود", "Hassan", "Hasan", "Hussein",
            "Husein", "Hossein", "حسن", "حسين"}
BASELINE_BITS_PER_TOKEN = 30
NAMED_PAIRS = [
    ("Mohammed", "Muhammad"), ("محمد", "Mohammed"), ("Mohammed", "Mahmoud"), ("محمد", "Mahmoud"),
    ("Hassan", "Hasan"), ("Hassan", "Hussein"), ("حسين", "Hussein"), ("حسين", "Hassan"), ("حسن", "Hassan"),
    ("Ali", "Alia"), ("Abd al-Rahman", "Abdurrahman"), ("عبد الرحمن", "Abdel Rahman"), ("Al-Hassan", "Hassan"),
    ("Qaddafi", "Gaddafi"), ("Xasan", "Hassan"), ("Maxamed", "Mohamed"), ("ተስፋይ", "Tesfay"),
    ("Олександр", "Oleksandr"), ("تامر", "Tamer"), ("Khadija", "Chadidscha"), ("Zeinab", "Sainab"),
]


# ----------------------------------------------------------------------------------- data

def load_groups() -> tuple[list[list[str]], list[list[str]]]:
    """Latin spellings and original-script spellings per (merged) group."""
    from linkage.synth._tables import tables

    raw: list[tuple[list[str], list[str]]] = []
    t = tables()
    for table in (t.given, t.family):
        for g in range(table.num_groups):
            members = table.strings[table.group == g].tolist()
            raw.append((members, [table.script[g]] if table.script[g] else []))
    for line in name_variants.GROUPS.strip().splitlines():
        latin, _, script = line.partition("|")
        raw.append(([v.strip() for v in latin.split("/") if v.strip()],
                    [v.strip() for v in script.split("/") if v.strip()]))
    roots = components([[_plain(v) for v in latin + script] for latin, script in raw])
    merged: dict[int, tuple[dict[str, None], dict[str, None]]] = {}
    for root, (latin, script) in zip(roots, raw):
        lat, scr = merged.setdefault(root, ({}, {}))
        lat.update(dict.fromkeys(latin))
        scr.update(dict.fromkeys(script))
    return [list(l) for l, _ in merged.values()], [list(s) for _, s in merged.values()]


def _plain(value: str) -> str:
    return " ".join(re.sub(r"[\W\d_]+", " ", unicodedata.normalize("NFKC", value).casefold()).split())


def _script_kind(value: str) -> str:
    kinds = {script_of(ch) for ch in value if ch.isalpha()} - {"other"}
    return next(iter(kinds)) if kinds else "latin"


def make_pairs(latin: list[list[str]], script: list[list[str]], negatives: int, seed: int) -> pd.DataFrame:
    rows = []
    for lat, scr in zip(latin, script):
        for a, b in itertools.combinations(lat, 2):
            if _plain(a) != _plain(b):
                rows.append((a, b, 1, "latin"))
        for s in scr:
            for a in lat:
                rows.append((s, a, 1, f"{_script_kind(s)}-latin"))
    everyone = [(g, v) for g, (lat, scr) in enumerate(zip(latin, script)) for v in lat + scr]
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(everyone), (2, negatives * 2))
    taken = 0
    for a, b in zip(i.tolist(), j.tolist()):
        (ga, va), (gb, vb) = everyone[a], everyone[b]
        if ga != gb and _plain(va) != _plain(vb):
            rows.append((va, vb, 0, "random"))
            taken += 1
            if taken == negatives:
                break
    for line in name_variants.HARD_NEGATIVES.strip().splitlines():
        a, b = line.split("/")
        rows.append((a, b, 0, "hard"))
    return pd.DataFrame(rows, columns=["a", "b", "match", "kind"])


REAL = HERE / "data" / "real_name_variants.tsv"


def load_real(path: Path = REAL) -> pd.DataFrame:
    """The real variant pairs (benchmarks/data/README.md): split, kind, match, group, a, b."""
    return pd.read_csv(path, sep="\t", comment="#", dtype={"group": str}, keep_default_na=False)


#: Column separator of the multi-part records of :func:`record_pairs` (``split_columns``).
COLUMNS = " | "


def split_columns(value: str) -> tuple[str, ...]:
    """``name_parts`` of a record written as columns joined by :data:`COLUMNS`."""
    return names.name_parts(*value.split(COLUMNS))


def _typo(word: str, rng: np.random.Generator) -> str:
    """One random edit (substitution, deletion, insertion or transposition) inside a word."""
    i = int(rng.integers(1, len(word) - 1))
    letter = "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(26))]
    return [word[:i] + letter + word[i + 1:], word[:i] + word[i + 1:], word[:i] + letter + word[i:],
            word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]][int(rng.integers(4))]


def record_pairs(latin: list[list[str]], count: int, seed: int) -> pd.DataFrame:
    """Person records of 2-4 parts (given, father, grandfather, family name) from the curated groups.

    Positives (each from one person, both sides respelled with other variants of each part's group):
    ``respelled``; ``missing_part`` (one part absent); ``extra_part`` (one more part on one side);
    ``typo_short`` (one edit in a part of 4-6 letters, same spellings otherwise); ``split_compound``
    (``ABU`` + ``HASAN`` in two columns vs ``Ali Abu Hasan`` in one; ``Mohamed BEN`` + ``ALI``);
    ``fused_parts`` (two parts written as one word). Negatives: ``random`` (two people) and
    ``share_one`` (two people with one part in common, same spelling: e.g. the same given name).
    """
    rng = np.random.default_rng(seed)
    single = [[v for v in g if " " not in v and "-" not in v and v.isascii()] for g in latin]
    single = [g for g in single if len(g) >= 2]

    def person(n: int) -> list[int]:
        return [int(g) for g in rng.choice(len(single), n, replace=False)]

    def spell(groups: list[int]) -> list[str]:
        return [single[g][int(rng.integers(len(single[g])))] for g in groups]

    rows = []
    for _ in range(count):
        groups = person(int(rng.integers(2, 5)))
        a = spell(groups)
        b = spell(groups)
        rows.append((COLUMNS.join(a), COLUMNS.join(b), 1, "respelled"))
        drop = int(rng.integers(len(groups)))
        rows.append((COLUMNS.join(a), COLUMNS.join(b[:drop] + b[drop + 1:]), 1, "missing_part"))
        rows.append((COLUMNS.join(a), COLUMNS.join(b + spell(person(1))), 1, "extra_part"))
        short = [i for i, w in enumerate(a) if 4 <= len(w) <= 6]
        if short:
            i = short[int(rng.integers(len(short)))]
            rows.append((COLUMNS.join(a), COLUMNS.join(a[:i] + [_typo(a[i], rng)] + a[i + 1:]), 1, "typo_short"))
        prefix = ["Abu", "Abd", "Abdul", "Abou"][int(rng.integers(4))]
        head, tail = b[0], b[-1]
        rows.append((f"{a[0]} {prefix} {a[-1]}", COLUMNS.join([f"{head} {prefix}".upper(), tail.upper()]), 1,
                     "split_compound"))
        rows.append((COLUMNS.join([f"{a[0]} Ben", a[-1]]), f"{b[0]} Ben {b[-1]}", 1, "split_compound"))
        if len(groups) >= 3:
            rows.append((COLUMNS.join(a), COLUMNS.join([b[0], b[1] + b[2].lower(), *b[3:]]), 1, "fused_parts"))
        other = person(len(groups))
        rows.append((COLUMNS.join(a), COLUMNS.join(spell(other)), 0, "random"))
        keep = int(rng.integers(len(groups)))
        mixed = spell([g for g in other if g not in groups][: len(groups) - 1])
        mixed.insert(keep, a[keep])
        rows.append((COLUMNS.join(a), COLUMNS.join(mixed), 0, "share_one"))
    return pd.DataFrame(rows, columns=["a", "b", "match", "kind"])


def record_summary(scores: np.ndarray, records: pd.DataFrame) -> dict[str, object]:
    """Recall at 1 % FPR of each kind of positive against the random negatives, and how the
    share-one negatives score."""
    neg = scores[(records["kind"] == "random").to_numpy()]
    t = threshold_at_fpr(neg)
    pos = (records["match"] == 1).to_numpy()
    out: dict[str, object] = {"threshold_at_1pct_fpr": round(t, 4), "auc": round(auc(scores[pos], neg), 4),
                              "recall_at_1pct_fpr": round(float((scores[pos] > t).mean()), 4), "by_kind": {}}
    for kind, group in records.groupby("kind"):
        s = scores[group.index.to_numpy()]
        out["by_kind"][kind] = {"mean": round(float(s.mean()), 3), "above_threshold": round(float((s > t).mean()), 4)}  # type: ignore[index]
    return out


# ------------------------------------------------------------------------------- encoding

Tokenizer = Callable[[str, str], list[str]]  # (raw name, part) -> tokens


def _library_tokenizer(token_kind: str) -> Tokenizer:
    return lambda raw, part: tokens.value_tokens("name", token_kind, part)


def _extra_tokenizers() -> dict[str, Tokenizer]:
    out: dict[str, Tokenizer] = {
        "nysiis": lambda raw, part: ["ny:" + jellyfish.nysiis(part)] if part.isascii() and part else [],
        "soundex": lambda raw, part: ["sx:" + jellyfish.soundex(part)] if part.isascii() and part else [],
        "skeleton_trigram": lambda raw, part: ["st:" + g for g in tokens.qgrams(names.skeleton(part), 3)],
        "folded_whole": lambda raw, part: ["fw:" + names.folded(part)],
    }
    symbols = _rigour_symbols()
    if symbols is not None:
        out["symbol"] = lambda raw, part: ["sym:" + s for s in symbols(raw)]
    return out


def _rigour_symbols() -> Callable[[str], list[str]] | None:
    try:
        from rigour.names import NameTypeTag, SymbolCategory, analyze_names
    except ImportError:
        return None
    cache: dict[str, list[str]] = {}

    def symbols(raw: str) -> list[str]:
        if raw not in cache:
            found = analyze_names(NameTypeTag.PER, [raw], consolidate=False, phonetics=False)
            cache[raw] = sorted({s.id for n in found for s in n.symbols if s.category == SymbolCategory.NAME})
        return cache[raw]

    return symbols


class Encoded:
    """Per-part token positions of a list of names, for any weights of the token kinds."""

    def __init__(self, values: Sequence[str], split: Callable[[str], Sequence[str]],
                 tokenizers: dict[str, Tokenizer], num_bits: int, max_k: int = 64, max_parts: int = 5) -> None:
        self.num_bits = num_bits
        self.max_parts = max_parts
        part_lists = [list(split(v)) for v in values]
        self.first = np.concatenate([[0], np.cumsum([len(p) for p in part_lists])]).astype(np.int64)
        flat = [(v, p) for v, parts in zip(values, part_lists) for p in parts]
        self.n_parts = len(flat)
        hasher = bloom.PositionHasher(KEY, num_bits)
        self.positions: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.counts: dict[str, float] = {}
        for kind, tokenize in tokenizers.items():
            owners, strings = [], []
            for i, (raw, part) in enumerate(flat):
                toks = list(dict.fromkeys(tokenize(raw, part)))
                owners += [i] * len(toks)
                strings += toks
            matrix = hasher.positions_matrix(strings, max_k) if strings else np.zeros((0, max_k), np.int64)
            self.positions[kind] = (np.asarray(owners, np.int64), matrix)
            self.counts[kind] = len(strings) / max(self.n_parts, 1)

    def filters(self, weights: dict[str, int]) -> np.ndarray:
        """(parts, num_bits) bool matrix; ``positions(t, k)`` is the first k of ``positions(t, 64)``."""
        out = np.zeros((self.n_parts, self.num_bits), bool)
        for kind, k in weights.items():
            if k:
                owners, matrix = self.positions[kind]
                out[np.repeat(owners, k), matrix[:, :k].ravel()] = True
        return out


class PairParts:
    """Name pairs as rows of the value list: ``ia[k]``, ``ib[k]`` are the names of pair ``k``."""

    def __init__(self, enc: Encoded, index: dict[str, int], pairs: pd.DataFrame) -> None:
        self.n = len(pairs)
        self.ia = np.array([index[a] for a in pairs["a"]], np.int64)
        self.ib = np.array([index[b] for b in pairs["b"]], np.int64)


def name_scores(enc: Encoded, pp: PairParts, weights: dict[str, int], *, plain: bool = False) -> np.ndarray:
    """The library's part-set similarity (:func:`linkage.similarity.part_set_dice`) of every pair,
    on filters of the first ``enc.max_parts`` parts of each name, as the encoder keeps them (0
    where a name has no parts). With ``plain``, the earlier scoring of the library instead:
    plain Dice of parts, the mean of the best match in each direction (the ``baseline`` and ``v1``
    systems keep it, so that their figures stay those of the systems they stand for)."""
    filters = np.packbits(enc.filters(weights), axis=1)
    if plain:
        return _plain_scores(filters, enc, pp)
    n_values = len(enc.first) - 1
    slots = np.arange(len(filters)) - np.repeat(enc.first[:-1], np.diff(enc.first))
    owner = np.repeat(np.arange(n_values), np.diff(enc.first))
    keep = slots < enc.max_parts
    parts = np.zeros((n_values, enc.max_parts, filters.shape[1]), np.uint8)
    present = np.zeros((n_values, enc.max_parts), bool)
    parts[owner[keep], slots[keep]] = filters[keep]
    present[owner[keep], slots[keep]] = True
    scores = similarity.part_set_dice(parts, present, parts, present, pp.ia, pp.ib).astype(np.float64)
    return np.nan_to_num(scores, nan=0.0)


def _plain_scores(filters: np.ndarray, enc: Encoded, pp: PairParts) -> np.ndarray:
    counts = bloom.popcount(filters)
    sizes = np.diff(enc.first)
    rows = np.repeat(np.arange(pp.n), sizes[pp.ia] * sizes[pp.ib])
    ia = np.concatenate([np.repeat(np.arange(enc.first[x], enc.first[x + 1]), sizes[y]) for x, y in zip(pp.ia, pp.ib)]
                        or [np.zeros(0, np.int64)])
    ib = np.concatenate([np.tile(np.arange(enc.first[y], enc.first[y + 1]), sizes[x]) for x, y in zip(pp.ia, pp.ib)]
                        or [np.zeros(0, np.int64)])
    inter = bloom.popcount(filters[ia] & filters[ib])
    total = counts[ia] + counts[ib]
    dice = np.divide(2.0 * inter, total, out=np.zeros(len(ia)), where=total > 0)
    frame = pd.DataFrame({"row": rows, "a": ia, "b": ib, "d": dice})
    best_a = frame.groupby(["row", "a"])["d"].max().groupby("row").mean()
    best_b = frame.groupby(["row", "b"])["d"].max().groupby("row").mean()
    out = np.zeros(pp.n)
    out[best_a.index.to_numpy()] = (best_a.to_numpy() + best_b.to_numpy()) / 2
    return out


# -------------------------------------------------------------------------------- metrics

def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney; ties count one half)."""
    both = np.concatenate([pos, neg])
    _, inverse, counts = np.unique(both, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def threshold_at_fpr(neg: np.ndarray, fpr: float = 0.01) -> float:
    """Lowest score t with at most ``fpr`` of negatives scoring above t."""
    ordered = np.sort(neg)[::-1]
    return float(ordered[int(np.floor(fpr * len(neg)))])


def summary(scores: np.ndarray, pairs: pd.DataFrame) -> dict[str, object]:
    pos_mask = pairs["match"].to_numpy() == 1
    neg = scores[~pos_mask]
    t = threshold_at_fpr(neg)
    out: dict[str, object] = {"auc": round(auc(scores[pos_mask], neg), 4),
                              "recall_at_1pct_fpr": round(float((scores[pos_mask] > t).mean()), 4),
                              "threshold_at_1pct_fpr": round(t, 4), "by_kind": {}}
    for kind, group in pairs[pos_mask].groupby("kind"):
        s = scores[group.index.to_numpy()]
        out["by_kind"][kind] = {"pairs": len(group), "auc": round(auc(s, neg), 4),  # type: ignore[index]
                                "recall_at_1pct_fpr": round(float((s > t).mean()), 4), "mean": round(float(s.mean()), 3)}
    hard_mask = (pairs["kind"] == "hard").to_numpy()
    hard = scores[hard_mask]
    key = scores[hard_mask & pairs["a"].isin(KEY_HARD).to_numpy() & pairs["b"].isin(KEY_HARD).to_numpy()]
    out["hard_negatives"] = {"mean": round(float(hard.mean()), 3), "max": round(float(hard.max()), 3),
                             "above_threshold": int((hard > t).sum()), "of": len(hard),
                             "auc_vs_positives": round(auc(scores[pos_mask], hard), 4),
                             "key_max": round(float(key.max()), 3), "key_above_threshold": int((key > t).sum()),
                             "key_of": len(key)}
    return out


def real_summary(scores: np.ndarray, real: pd.DataFrame) -> dict[str, object]:
    """Figures per split of the real set (threshold: 1 % of that split's random negatives) and of
    its hard negatives against the held-out threshold."""
    out: dict[str, object] = {}
    for split in ("dev", "heldout"):
        mask = (real["split"] == split).to_numpy()
        pos = mask & (real["match"] == 1).to_numpy()
        neg = scores[mask & (real["match"] == 0).to_numpy()]
        t = threshold_at_fpr(neg)
        kinds = {k: round(float((scores[pos & (real["kind"] == k).to_numpy()] > t).mean()), 4)
                 for k in ("latin", "arabic-latin")}
        out[split] = {"auc": round(auc(scores[pos], neg), 4), "recall_at_1pct_fpr": round(float((scores[pos] > t).mean()), 4),
                      "threshold_at_1pct_fpr": round(t, 4), "positives": int(pos.sum()), "negatives": len(neg),
                      "by_kind": kinds}
    hard = scores[(real["split"] == "hard").to_numpy()]
    held = out["heldout"]
    held_pos = scores[((real["split"] == "heldout") & (real["match"] == 1)).to_numpy()]
    out["hard"] = {"of": len(hard), "mean": round(float(hard.mean()), 3), "max": round(float(hard.max()), 3),
                   "above_heldout_threshold": int((hard > held["threshold_at_1pct_fpr"]).sum()),  # type: ignore[index]
                   "auc_vs_heldout_positives": round(auc(held_pos, hard), 4)}
    return out


def _print_real(label: str, r: dict[str, object]) -> None:
    for split in ("dev", "heldout"):
        s = r[split]
        kinds = "  ".join(f"{k} {v:.3f}" for k, v in s["by_kind"].items())  # type: ignore[index]
        print(f"real {split:<8} {label:<9} AUC {s['auc']:.4f}  recall@1%FPR {s['recall_at_1pct_fpr']:.4f}  "  # type: ignore[index]
              f"threshold {s['threshold_at_1pct_fpr']:.3f}   {kinds}")  # type: ignore[index]
    h = r["hard"]
    print(f"real hard      {label:<9} {h['of']} pairs: mean {h['mean']:.3f}, max {h['max']:.3f}, "  # type: ignore[index]
          f"above the held-out threshold {h['above_heldout_threshold']}, AUC vs held-out positives "  # type: ignore[index]
          f"{h['auc_vs_heldout_positives']:.4f}")  # type: ignore[index]


# ---------------------------------------------------------------------------------- setup

def _old_parts(value: str) -> tuple[str, ...]:
    """Name parts as the library split them before issue #3 (fold, split on non-letters)."""
    text = unicodedata.normalize("NFKC", value).casefold().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue",
                                                                                    "ß": "ss"}))
    text = re.sub(r"['’‘`´ʿʾʼʻ\u0654\u0655]", "", text)
    text = unicodedata.normalize("NFC", "".join(ch for ch in unicodedata.normalize("NFKD", text)
                                                if not unicodedata.category(ch).startswith("M")))
    return tuple(dict.fromkeys("".join(ch if ch.isalpha() else " " for ch in text).split()))


def schema_name_field(path: Path) -> tuple[int, dict[str, int]]:
    data = tomllib.loads(path.read_text())
    field = next(f for f in data["fields"] if f["name"] == "name")
    return int(field["num_bits"]), {k: int(v) for k, v in field["tokens"].items()}


def search(pp: PairParts, pairs: pd.DataFrame, enc: Encoded, budget: float) -> list[dict[str, object]]:
    """Score weight combinations, each scaled so a part gets ``budget`` bit draws on average."""
    extras = [k for k in ("folded_whole", "symbol") if k in enc.positions]
    grid = itertools.product((0, 1), (0, 1, 2, 3), (0, 1, 2), (0, 1, 2), (0, 1), (0, 1), (0, 1), [None, *extras])
    results = []
    for bigram, fold_bigram, fold_trigram, fold_final, skel_bigram, skel, koel, extra in grid:
        relative = {"bigram": bigram, "folded_bigram": fold_bigram, "folded_trigram": fold_trigram,
                    "folded_final": fold_final, "skeleton_bigram": skel_bigram, "skeleton": skel, "koelner": koel,
                    **({extra: 1} if extra else {})}
        relative = {k: w for k, w in relative.items() if w}
        if not bigram + fold_bigram + fold_trigram + skel_bigram:
            continue
        draws = sum(w * enc.counts[k] for k, w in relative.items())
        weights = {k: max(1, min(64, round(w * budget / draws))) for k, w in relative.items()}
        s = summary(name_scores(enc, pp, weights), pairs)
        hard = s["hard_negatives"]
        results.append({"weights": weights, "auc": s["auc"], "recall_at_1pct_fpr": s["recall_at_1pct_fpr"],
                        "hard_above": hard["above_threshold"],  # type: ignore[index]
                        "key_hard_above": hard["key_above_threshold"],  # type: ignore[index]
                        "key_margin": round(s["threshold_at_1pct_fpr"] - hard["key_max"], 4),  # type: ignore[index,operator]
                        "hard_auc": hard["auc_vs_positives"],  # type: ignore[index]
                        "by_kind": {k: v["recall_at_1pct_fpr"] for k, v in s["by_kind"].items()}})  # type: ignore[union-attr]
    results.sort(key=lambda r: (-r["recall_at_1pct_fpr"], -r["auc"]))  # type: ignore[operator]
    return results


def _print_ranked(title: str, ranked: list[dict[str, object]]) -> None:
    print(title)
    for r in ranked:
        print(f"  recall {r['recall_at_1pct_fpr']:.4f}  AUC {r['auc']:.4f}  key margin {r['key_margin']:+.3f}  "
              f"hard>t {r['hard_above']}  {r['weights']}  {r['by_kind']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--search", action="store_true")
    parser.add_argument("--negatives", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--schema", type=Path, default=HERE.parent / "configs" / "schema.toml")
    parser.add_argument("--records", type=int, default=2000, help="persons of the multi-part record pairs")
    parser.add_argument("--dev-misses", type=int, default=0, metavar="N",
                        help="print the N lowest-scoring positive and N highest-scoring negative pairs of the DEV half "
                             "of the real set (never of the held-out half)")
    args = parser.parse_args()
    latin, script = load_groups()
    pairs = make_pairs(latin, script, args.negatives, args.seed)
    real = load_real()
    values = sorted(set(pairs["a"]) | set(pairs["b"]) | set(real["a"]) | set(real["b"])
                    | {v for p in NAMED_PAIRS for v in p})
    index = {v: i for i, v in enumerate(values)}
    num_bits, weights = schema_name_field(args.schema)

    start = time.perf_counter()
    records = record_pairs(latin, args.records, args.seed)
    values = list(dict.fromkeys(values + sorted(set(records["a"]) | set(records["b"]))))
    index = {v: i for i, v in enumerate(values)}
    ours_enc = Encoded(values, split_columns, {k: _library_tokenizer(k) for k in weights}, num_bits)
    ours_seconds = time.perf_counter() - start
    base_enc = Encoded(values, lambda v: [v.lower()],
                       {"bigram": lambda raw, part: ["b:" + g for g in tokens.qgrams(part, 2)]}, num_bits)
    v1_enc = Encoded(values, _old_parts, {k: _library_tokenizer(k) for k in ("bigram", "whole")}, num_bits)
    systems = {
        "ours": (ours_enc, weights),
        "baseline": (base_enc, {"bigram": BASELINE_BITS_PER_TOKEN}),
        "v1": (v1_enc, {"bigram": 45, "whole": 45}),
    }
    plain = {"ours": False, "baseline": True, "v1": True}
    result: dict[str, object] = {"pairs": {k: int(v) for k, v in pairs["kind"].value_counts().items()},
                                 "schema_name_tokens": weights, "num_bits": num_bits}
    pair_frame = pd.DataFrame(NAMED_PAIRS, columns=["a", "b"])
    named: dict[str, dict[str, float]] = {f"{a} / {b}": {} for a, b in NAMED_PAIRS}
    for label, (enc, w) in systems.items():
        scores = name_scores(enc, PairParts(enc, index, pairs), w, plain=plain[label])
        result[label] = summary(scores, pairs)
        fills = enc.filters(w).mean(axis=1)
        result[label]["mean_fill"] = round(float(fills.mean()), 3)  # type: ignore[index]
        for (a, b), s in zip(NAMED_PAIRS, name_scores(enc, PairParts(enc, index, pair_frame), w, plain=plain[label])):
            named[f"{a} / {b}"][label] = round(float(s), 3)
    result["named_pairs"] = named
    real_scores = {}
    for label in ("ours", "baseline"):
        enc, w = systems[label]
        result[label]["records"] = record_summary(name_scores(enc, PairParts(enc, index, records), w, plain=plain[label]), records)  # type: ignore[index]
    for label in ("ours", "baseline"):
        enc, w = systems[label]
        real_scores[label] = name_scores(enc, PairParts(enc, index, real), w, plain=plain[label])
        result[label]["real"] = real_summary(real_scores[label], real)  # type: ignore[index]
    result["ours_encode_seconds"] = round(ours_seconds, 3)

    print(f"{len(pairs)} pairs: " + ", ".join(f"{k} {v}" for k, v in result["pairs"].items()))  # type: ignore[union-attr]
    print(f"name field: {num_bits} bits per part, tokens {weights}")
    print(f"{'system':<9} {'AUC':>7} {'recall@1%FPR':>13} {'fill':>6}   per kind of positive pair (recall@1%FPR)")
    for label in systems:
        s = result[label]
        kinds = "  ".join(f"{k} {v['recall_at_1pct_fpr']:.3f}" for k, v in s["by_kind"].items())  # type: ignore[index]
        print(f"{label:<9} {s['auc']:7.4f} {s['recall_at_1pct_fpr']:13.4f} {s['mean_fill']:6.3f}   {kinds}")  # type: ignore[index]
    for label in systems:
        h = result[label]["hard_negatives"]  # type: ignore[index]
        print(f"hard negatives, {label}: mean {h['mean']:.3f}, max {h['max']:.3f}, AUC vs positives "
              f"{h['auc_vs_positives']:.3f}, Mohammed/Mahmoud and Hassan/Hussein pairs above threshold: "
              f"{h['key_above_threshold']} of {h['key_of']}; all: {h['above_threshold']} of {h['of']} above the 1 % FPR threshold "
              f"{result[label]['threshold_at_1pct_fpr']:.3f}")  # type: ignore[index]
    print(f"{'pair':<34} {'ours':>6} {'base':>6} {'v1':>6}")
    for pair, s in named.items():
        print(f"{pair:<34} {s['ours']:6.3f} {s['baseline']:6.3f} {s['v1']:6.3f}")

    print(f"real variant set ({REAL.name}): " + ", ".join(
        f"{split} {int((real['split'] == split).sum())} pairs" for split in ("dev", "heldout", "hard")))
    for label in ("ours", "baseline"):
        _print_real(label, result[label]["real"])  # type: ignore[index]
    print(f"multi-part records ({len(records)} pairs): share of each kind above the 1 % FPR threshold of the random "
          "pairs (mean score)")
    for label in ("ours", "baseline"):
        r = result[label]["records"]  # type: ignore[index]
        kinds = "  ".join(f"{k} {v['above_threshold']:.3f} (mean {v['mean']:.2f})" for k, v in r["by_kind"].items())
        print(f"records  {label:<9} AUC {r['auc']:.4f}  recall@1%FPR {r['recall_at_1pct_fpr']:.4f}  threshold "
              f"{r['threshold_at_1pct_fpr']:.3f}   {kinds}")
    if args.dev_misses:
        dev = real.assign(score=real_scores["ours"])[real["split"] == "dev"]
        print("dev positives scoring lowest:")
        for row in dev[dev["match"] == 1].nsmallest(args.dev_misses, "score").itertuples():
            print(f"  {row.score:.3f}  {row.a} / {row.b}   {names.name_parts(row.a)} {names.name_parts(row.b)}")
        print("dev negatives scoring highest:")
        for row in dev[dev["match"] == 0].nlargest(args.dev_misses, "score").itertuples():
            print(f"  {row.score:.3f}  {row.a} / {row.b}")

    if args.search:
        candidates = {k: _library_tokenizer(k) for k in ("bigram", "folded_bigram", "folded_trigram", "folded_final",
                                                         "skeleton_bigram", "skeleton", "koelner")}
        candidates.update({k: v for k, v in _extra_tokenizers().items() if k in ("folded_whole", "symbol")})
        start = time.perf_counter()
        enc = Encoded(values, split_columns, candidates, num_bits)
        seconds = time.perf_counter() - start
        budget = sum(w * ours_enc.counts[k] for k, w in weights.items())
        ranked = search(PairParts(enc, index, pairs), pairs, enc, budget)
        apart = [r for r in ranked if r["key_margin"] > 0.01]  # type: ignore[operator]
        with_symbol = [r for r in ranked if "symbol" in r["weights"]]  # type: ignore[operator]
        print(f"search: {len(ranked)} combinations, {budget:.0f} bit draws per part")
        _print_ranked("best overall (Mohammed/Mahmoud, Hassan/Hussein may score as matches):", ranked[:5])
        _print_ranked("best keeping Mohammed/Mahmoud and Hassan/Hussein below the threshold by > 0.01:", apart[:10])
        if with_symbol:
            _print_ranked("best with rigour name symbols:", with_symbol[:3])
        else:
            print("rigour is not installed: name symbols not measured")
        result["search"] = {"combinations": len(ranked), "best": ranked[:5], "best_apart": apart[:10],
                            "best_with_symbol": with_symbol[:3], "encode_seconds": round(seconds, 2)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
