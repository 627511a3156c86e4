"""Lookup tables built once from the curated data: variant tables, sampling pools, countries.

A :class:`VariantTable` holds every spelling of every group in one flat array; drawing a
spelling for many records at once is one ``searchsorted`` over ``group + cumulative weight``.
A :class:`Pool` samples groups (names, places) per pool id the same way. Everything here is
pure and deterministic (dicts keep insertion order; nothing depends on ``hash()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ._data_family import FAMILY, PLACES
from ._data_given import GIVEN

__all__ = ["VariantTable", "Pool", "Country", "COUNTRIES", "CULTURES", "Culture", "tables", "Tables"]


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166 alpha-3
    german: str
    english: str
    adjective: str  # German, as "Staatsangehoerigkeit: syrisch"
    weight: float
    cultures: tuple[tuple[str, float], ...]
    p_uncertain_date: float  # share documented with a 1 January placeholder
    p_no_family_name: float
    calendar: str  # the calendar self-reported dates slip from: gregorian, solar_hijri, ethiopian


COUNTRIES: tuple[Country, ...] = (
    Country("SYR", "Syrien", "Syria", "syrisch", 30, (("arab", .82), ("kurd", .18)), .10, .0, "gregorian"),
    Country("AFG", "Afghanistan", "Afghanistan", "afghanisch", 18, (("pers", 1.0),), .40, .45, "solar_hijri"),
    Country("IRQ", "Irak", "Iraq", "irakisch", 9, (("arab", .6), ("kurd", .4)), .15, .02, "gregorian"),
    Country("UKR", "Ukraine", "Ukraine", "ukrainisch", 10, (("ukr", 1.0),), .0, .0, "gregorian"),
    Country("TUR", "Türkei", "Turkey", "türkisch", 8, (("turk", .55), ("kurd_tr", .45)), .03, .0, "gregorian"),
    Country("IRN", "Iran", "Iran", "iranisch", 5, (("pers", .9), ("kurd", .1)), .08, .0, "solar_hijri"),
    Country("ERI", "Eritrea", "Eritrea", "eritreisch", 5, (("tigr", 1.0),), .30, .0, "ethiopian"),
    Country("SOM", "Somalia", "Somalia", "somalisch", 4, (("soma", 1.0),), .40, .0, "gregorian"),
    Country("SDN", "Sudan", "Sudan", "sudanesisch", 2, (("arab", 1.0),), .20, .0, "gregorian"),
    Country("ETH", "Äthiopien", "Ethiopia", "äthiopisch", 2, (("tigr", 1.0),), .25, .0, "ethiopian"),
)

#: Nationality written when a person is stateless / of unresolved nationality, per style.
STATELESS = {"iso": "XXA", "german": "staatenlos", "english": "stateless", "adjective": "staatenlos"}


@dataclass(frozen=True, slots=True)
class Culture:
    name: str
    given: tuple[tuple[str, float], ...]  # given-name sections and their shares
    family: tuple[tuple[str, float], ...]  # empty: patronymic (father + grandfather names)
    p_second_given: float
    script: str  # "arab", "cyrl" or "" (original script recorded by the foreigners authority)


CULTURES: tuple[Culture, ...] = (
    Culture("arab", (("arab", 1.0),), (("arab", 1.0),), .12, "arab"),
    Culture("pers", (("pers", 1.0),), (("pers", 1.0),), .30, "arab"),
    Culture("kurd", (("kurd", .55), ("arab", .45)), (("kurd", .6), ("arab", .4)), .10, "arab"),
    Culture("kurd_tr", (("kurd", .5), ("turk", .5)), (("turk", 1.0),), .20, ""),
    Culture("turk", (("turk", 1.0),), (("turk", 1.0),), .30, ""),
    Culture("soma", (("soma", 1.0),), (), .0, ""),
    Culture("tigr", (("tigr", 1.0),), (), .03, ""),
    Culture("ukr", (("ukr", 1.0),), (("ukr", 1.0),), .0, "cyrl"),
)
CULTURE_INDEX = {c.name: i for i, c in enumerate(CULTURES)}

# Article forms for "al" family names: (prefix, weight); "{L}" is a sun-letter assimilation.
_ARTICLE_FORMS = (("Al-", .26), ("Al ", .10), ("Al", .08), ("El-", .08), ("al-", .06), ("{L}", .07), ("", .35))
_SUN = ("sh", "th", "dh", "t", "d", "r", "z", "s", "n")


@dataclass(frozen=True, slots=True)
class VariantTable:
    """All spellings of all groups. ``cum[i] = group[i] + cumulative weight within the group``."""

    strings: np.ndarray  # object: spelling per variant
    group: np.ndarray  # int64: group per variant
    cum: np.ndarray  # float64
    first: np.ndarray  # int64: index of each group's first variant
    script: np.ndarray  # object: original-script form per group ("" if none)

    def draw(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A variant index per entry of ``groups`` (>= 0) drawn with the groups' weights."""
        return np.searchsorted(self.cum, groups + u, side="right")

    @property
    def num_groups(self) -> int:
        return len(self.first)


@dataclass(frozen=True, slots=True)
class Pool:
    """Groups to sample from per pool id, with weights; ``draw`` maps pool ids to group ids."""

    groups: np.ndarray
    cum: np.ndarray

    def draw(self, pools: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.groups[np.searchsorted(self.cum, pools + u, side="right")]


def _cum_with_offsets(weights: list[list[float]]) -> np.ndarray:
    out = []
    for g, ws in enumerate(weights):
        c = np.cumsum(np.asarray(ws, dtype=np.float64))
        c /= c[-1]
        c[-1] = 1.0
        out.append(g + c)
    return np.concatenate(out)


def _variant_weights(n: int) -> list[float]:
    return [1.0 / (i + 1) ** 1.6 for i in range(n)]


def _build_variants(groups: list[tuple[list[str], list[float], str]]) -> VariantTable:
    strings = [s for variants, _, _ in groups for s in variants]
    group = np.repeat(np.arange(len(groups)), [len(v) for v, _, _ in groups])
    first = np.concatenate([[0], np.cumsum([len(v) for v, _, _ in groups])[:-1]]).astype(np.int64)
    return VariantTable(
        strings=np.asarray(strings, dtype=object), group=group.astype(np.int64),
        cum=_cum_with_offsets([w for _, w, _ in groups]), first=first,
        script=np.asarray([s for _, _, s in groups], dtype=object),
    )


def _variants(text: str) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in text.split("/") if v.strip()))


def _parse_given() -> tuple[list[tuple[list[str], list[float], str]], list[tuple[str, str, float]]]:
    """Groups and per group (section, sex, weight)."""
    groups, meta = [], []
    for section, text in GIVEN.items():
        for line in text.strip().splitlines():
            latin, _, script = line.partition("|")
            head, _, rest = latin.strip().partition(" ")
            variants = _variants(rest)
            groups.append((variants, _variant_weights(len(variants)), script.strip()))
            meta.append((section, head[0], float(head[1:])))
    return groups, meta


def _article_variants(cores: list[str]) -> tuple[list[str], list[float]]:
    out: dict[str, float] = {}
    for core, core_w in zip(cores, _variant_weights(len(cores))):
        for prefix, w in _ARTICLE_FORMS:
            if prefix == "{L}":
                sun = next((s for s in _SUN if core.lower().startswith(s)), None)
                if sun is None:
                    continue
                spelled = f"A{sun}-{core}"
            elif prefix == "Al":
                spelled = "Al" + core.lower()
            else:
                spelled = prefix + core
            out[spelled] = out.get(spelled, 0.0) + core_w * w
    return list(out), list(out.values())


def _parse_family() -> tuple[list[tuple[list[str], list[float], str]], list[tuple[str, float]]]:
    groups, meta = [], []
    for section, text in FAMILY.items():
        for line in text.strip().splitlines():
            latin, _, script = line.partition("|")
            tokens = latin.strip().split(" ", 2)
            weight = float(tokens[0])
            script = script.strip()
            if tokens[1] == "al":
                variants, weights = _article_variants(_variants(tokens[2]))
                script = "ال" + script if script else ""
            else:
                variants = _variants(" ".join(tokens[1:]))
                weights = _variant_weights(len(variants))
            groups.append((variants, weights, script))
            meta.append((section, weight))
    return groups, meta


def _parse_places() -> tuple[list[tuple[list[str], list[float], str]], list[tuple[str, float]]]:
    groups, meta = [], []
    for code, text in PLACES.items():
        for line in text.strip().splitlines():
            weight, _, rest = line.strip().partition(" ")
            variants = _variants(rest)
            groups.append((variants, _variant_weights(len(variants)), ""))
            meta.append((code, float(weight)))
    return groups, meta


def _pool(members: list[list[tuple[int, float]]]) -> Pool:
    groups = np.asarray([g for m in members for g, _ in m], dtype=np.int64)
    return Pool(groups, _cum_with_offsets([[w for _, w in m] for m in members]))


@dataclass(frozen=True, slots=True)
class Tables:
    given: VariantTable
    given_sex: np.ndarray  # "m", "f", "u" per group
    family: VariantTable
    place: VariantTable
    given_pool: Pool  # pool id = culture * 2 + (0 male, 1 female)
    family_pool: Pool  # pool id = culture (patronymic cultures get an empty-weight dummy)
    place_pool: Pool  # pool id = index in PLACE_CODES
    place_codes: tuple[str, ...]


@cache
def tables() -> Tables:
    """Build (once) and return the lookup tables."""
    given_groups, given_meta = _parse_given()
    family_groups, family_meta = _parse_family()
    place_groups, place_meta = _parse_places()

    given_members = []
    for culture in CULTURES:
        for sex in ("m", "f"):
            members = []
            for section, share in culture.given:
                sec = [(g, w) for g, (s, gs, w) in enumerate(given_meta) if s == section and gs in (sex, "u")]
                total = sum(w for _, w in sec)
                members += [(g, share * w / total) for g, w in sec]
            given_members.append(members)
    family_members = []
    for culture in CULTURES:
        members = []
        for section, share in culture.family:
            sec = [(g, w) for g, (s, w) in enumerate(family_meta) if s == section]
            total = sum(w for _, w in sec)
            members += [(g, share * w / total) for g, w in sec]
        family_members.append(members or [(0, 1.0)])  # never drawn from: patronymic cultures
    codes = tuple(PLACES)
    place_members = [[(g, w) for g, (c, w) in enumerate(place_meta) if c == code] for code in codes]
    return Tables(
        given=_build_variants(given_groups),
        given_sex=np.asarray([sex for _, sex, _ in given_meta], dtype=object),
        family=_build_variants(family_groups),
        place=_build_variants(place_groups),
        given_pool=_pool(given_members),
        family_pool=_pool(family_members),
        place_pool=_pool(place_members),
        place_codes=codes,
    )
