"""Build benchmarks/data/real_name_variants.tsv from the person-name data of rigour 1.8.2.

Usage: pip download --no-deps -d DIR rigour==1.8.2
       python benchmarks/make_real_variants.py DIR/rigour-1.8.2-py3-none-any.whl

Source: ``rigour/data/names/persons.txt`` of the rigour wheel 1.8.2 (PyPI; MIT licence, (c)
OpenSanctions Datenbanken GmbH; the name data is taken from Wikidata, CC0). Each line lists the
spellings of one name (a Wikidata given-name or family-name item) in many scripts. This project
did not use it to write its name rules; it is a held-out check of them (see
benchmarks/data/README.md).

Selection, written down before any measurement:

* a group is kept when it has an Arabic-script spelling, at least two distinct Latin spellings,
  no spelling in Greek, Hebrew, Armenian, Georgian, Devanagari, kana, CJK or Hangul, and its
  Arabic spelling writes fewer long vowels than its shortest Latin spelling has vowel runs
  (ratio < 0.75). Together these keep names of Arabic, Persian, Pashto and Urdu origin and drop
  European, East Asian and Indian names that merely have an Arabic-script form on Wikidata.
  (Many famous Arabic names, Hussein, Omar, Malik, have East Asian forms too and are dropped:
  the price of a simple rule.)
* Latin spellings: letters (after removing diacritics), space, hyphen, apostrophe; at least
  three letters; at most three words; not ending in the Uzbek/Tajik suffixes -jon, -boy,
  -xon (a new name, not a romanisation).
* Groups that share a Latin spelling (lower case, no diacritics) are merged.
* Merged groups are shuffled with a fixed seed and split in two halves: ``dev`` (may be read
  while developing rules) and ``heldout`` (only measured, never looked at pair by pair).

Pairs per merged group: every two Latin spellings (of at most 8, drawn with the seed), kind
``latin``; each of at most 2 Arabic-script spellings with at most 3 Latin ones, kind
``arabic-latin``. Negatives: 5,000 random pairs per split of spellings of two different merged
groups of that split, kind ``random``. Hard negatives (kind ``hard``, split ``hard``): real
spellings (each present in the source) of names that must stay apart, hand-listed below; they
are reported on their own, not used for the threshold.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "real_name_variants.tsv"
SEED = 20240611
NEGATIVES = 5000
MEMBER = "rigour/data/names/persons.txt"

_ARABIC = re.compile("[\u0600-\u06ff]")
_FOREIGN = re.compile("[\u0370-\u03ff\u0590-\u05ff\u0530-\u058f\u10a0-\u10ff\u3040-\u30ff\u4e00-\u9fff"
                      "\uac00-\ud7af\u0900-\u097f]")
_SUFFIXES = ("jon", "boy", "xon", "xo'ja", "xoʻja")

#: Names that must stay apart, with spellings that occur in the source (checked when building).
HARD = [
    ("mohammed muhammad mohamed muhamed mohammad", "mahmoud mahmud mahmood machmud"),
    ("hassan hasan", "hussein husein hossein husain hussain husayn hocine"),
    ("ahmad ahmed achmed", "mahmoud mahmud mahmood"),
    ("ahmad ahmed", "hamad"),
    ("omar umar", "amr amro amrou"),
    ("samir", "samira sameera"),
    ("jamal jamaal", "jamil"),
    ("nabil", "nabila"),
    ("khalid khaled halid", "khalil khaleel"),
    ("yusuf yousef yussef", "yunus"),
    ("ali aly", "alia aliya aliyah"),
    ("fatima fatema", "fatin faten"),
    ("amin amine", "amina"),
    ("said", "saad"),
    ("karim", "rahim raheem"),
]


def plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def is_arabic(value: str) -> bool:
    return bool(_ARABIC.search(value)) and all("\u0600" <= ch <= "\u06ff" or ch in " -\u200c" for ch in value)


def is_latin(value: str) -> bool:
    p = plain(value)
    letters = [ch for ch in p if ch.isalpha()]
    return (all(ch.isascii() and (ch.isalpha() or ch in " -'") for ch in p) and len(letters) >= 3
            and len(re.split(r"[ -]+", p.strip(" -"))) <= 3 and not p.endswith(_SUFFIXES))


def long_vowel_ratio(arabic: list[str], latin: list[str]) -> float:
    written = min(sum(ch in "اأإآوىيیئؤ" for ch in re.sub("^ال", "", a.replace(" ", ""))[1:]) for a in arabic)
    runs = min(len(re.findall("[aeiouy]+", plain(x))) for x in latin)
    return written / max(1, runs)


def read_groups(wheel: Path) -> list[tuple[list[str], list[str]]]:
    with zipfile.ZipFile(wheel) as z:
        text = z.read(MEMBER).decode("utf-8")
    groups = []
    for line in text.splitlines():
        names, _, _qid = line.strip().rpartition(" => ")
        forms = names.split(", ")
        arabic = [f for f in forms if is_arabic(f)]
        latin = list({plain(f): f for f in forms if is_latin(f)}.values())
        if (arabic and len(latin) >= 2 and not any(_FOREIGN.search(f) for f in forms)
                and long_vowel_ratio(arabic, latin) < 0.75):
            groups.append((latin, arabic))
    return groups


def components(keys: list[list[str]]) -> list[int]:
    """Per group, a representative group: groups sharing a key (transitively) share one."""
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, group_keys in enumerate(keys):
        for key in group_keys:
            if key in seen:
                parent[find(i)] = find(seen[key])
            else:
                seen[key] = i
    return [find(i) for i in range(len(keys))]


def merge(groups: list[tuple[list[str], list[str]]]) -> list[tuple[list[str], list[str]]]:
    """Groups sharing a Latin spelling (compared as :func:`plain`) merged into one."""
    roots = components([[plain(form) for form in latin] for latin, _ in groups])
    merged: dict[int, tuple[dict[str, str], dict[str, None]]] = {}
    for root, (latin, arabic) in zip(roots, groups):
        lat, ar = merged.setdefault(root, ({}, {}))
        for form in latin:
            lat.setdefault(plain(form), form)
        ar.update(dict.fromkeys(arabic))
    out = [(sorted(lat.values()), sorted(ar)) for lat, ar in merged.values()]
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="rigour-1.8.2 wheel (pip download --no-deps rigour==1.8.2)")
    args = parser.parse_args()
    groups = merge(read_groups(args.wheel))
    rng = random.Random(SEED)
    order = list(range(len(groups)))
    rng.shuffle(order)
    split_of = {g: ("dev" if rank < len(order) // 2 else "heldout") for rank, g in enumerate(order)}
    rows: list[tuple[str, str, int, str, str, str]] = []
    for g, (latin, arabic) in enumerate(groups):
        split = split_of[g]
        members = rng.sample(latin, 8) if len(latin) > 8 else latin
        for a, b in itertools.combinations(members, 2):
            rows.append((split, "latin", 1, str(g), a, b))
        for s in arabic[:2]:
            for a in rng.sample(members, min(3, len(members))):
                rows.append((split, "arabic-latin", 1, str(g), s, a))
    for split in ("dev", "heldout"):
        pool = [(g, v) for g, (latin, arabic) in enumerate(groups) if split_of[g] == split for v in latin + arabic]
        taken = 0
        while taken < NEGATIVES:
            (ga, a), (gb, b) = rng.choice(pool), rng.choice(pool)
            if ga != gb and plain(a) != plain(b):
                rows.append((split, "random", 0, f"{ga}-{gb}", a, b))
                taken += 1
    with zipfile.ZipFile(args.wheel) as z:
        known = {plain(f) for line in z.read(MEMBER).decode("utf-8").splitlines()
                 for f in line.rpartition(" => ")[0].split(", ")}
    for n, (left, right) in enumerate(HARD):
        for a, b in itertools.product(left.split(), right.split()):
            if a not in known or b not in known:
                raise SystemExit(f"hard-negative spelling not in the source: {a} / {b}")
            rows.append(("hard", "hard", 0, f"h{n}", a.capitalize(), b.capitalize()))
    OUT.parent.mkdir(exist_ok=True)
    header = (
        "# Real name-variant pairs for benchmarks/names.py, built by benchmarks/make_real_variants.py.\n"
        "# Source: rigour 1.8.2 (PyPI), rigour/data/names/persons.txt: MIT licence, (c) OpenSanctions\n"
        "# Datenbanken GmbH; name data from Wikidata (CC0). Split by merged name group, seed "
        f"{SEED}: dev / heldout.\n"
        "# Columns: split, kind, match (1 = same name), group, a, b.\n")
    with OUT.open("w", encoding="utf-8") as fh:
        fh.write(header)
        fh.write("split\tkind\tmatch\tgroup\ta\tb\n")
        for row in rows:
            fh.write("\t".join(map(str, row)) + "\n")
    counts: dict[tuple[str, str], int] = {}
    for split, kind, *_ in rows:
        counts[(split, kind)] = counts.get((split, kind), 0) + 1
    print(f"{len(groups)} merged groups; rows: " + ", ".join(f"{s}/{k} {c}" for (s, k), c in sorted(counts.items())))


if __name__ == "__main__":
    main()
