"""The synthetic population: persons in households, with their true and documented facts.

Every field is a numpy array with one entry per person; nothing is a Python object per person.
Names are stored as group ids into the variant tables plus the person's *document spelling*
(a variant index): agencies copy it from papers most of the time and re-transcribe otherwise.

Households: a head, an optional spouse (opposite sex) and children. Children share their
father's family name and have his first given name as father's name (siblings therefore share
family and father's names); in patronymic cultures (Somali, Tigrinya) a child's grandfather is
the father's father. Turkish, Kurdish-from-Turkey and Ukrainian wives take the husband's family
name; Arab, Persian and Kurdish wives keep their own. Many Afghan households have no family name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._tables import COUNTRIES, CULTURE_INDEX, CULTURES, tables

__all__ = ["Population", "make_population", "REFERENCE_DATE", "RESIDENCE", "QUALIFICATION", "LEVELS"]

#: "Today" for the synthetic data; ages are computed against it.
REFERENCE_DATE = np.datetime64("2024-06-30")
_EARLIEST_BIRTH = np.datetime64("1935-01-01")
_GERMANY_FROM = np.datetime64("2016-01-01")
_LEVEL_FROM, _LEVEL_UNTIL = np.datetime64("2023-07-01"), np.datetime64("2026-06-30")

_HOUSEHOLD_SIZES = np.arange(1, 8)
_HOUSEHOLD_P = np.array([0.74, 0.08, 0.06, 0.05, 0.04, 0.02, 0.01])

RESIDENCE = ("AE §25 Abs. 2 AufenthG", "Aufenthaltsgestattung", "Duldung", "AE §25 Abs. 3 AufenthG",
             "AE §25 Abs. 1 AufenthG", "NE §26 Abs. 3 AufenthG", "AE §25b AufenthG", "AE §24 AufenthG")
_RESIDENCE_P = np.array([0.42, 0.20, 0.08, 0.10, 0.07, 0.06, 0.07, 0.0])
QUALIFICATION = ("keiner", "Schulabschluss", "Berufsausbildung", "Hochschulabschluss")
_QUALIFICATION_P = np.array([0.35, 0.33, 0.20, 0.12])
LEVELS = ("A1", "A2", "B1", "B2", "C1")
_LEVEL_P = np.array([0.25, 0.28, 0.30, 0.13, 0.04])
_WIFE_TAKES_NAME = np.array([c.name in ("turk", "kurd_tr", "ukr") for c in CULTURES])
_PATRONYMIC = np.array([not c.family for c in CULTURES])


@dataclass(frozen=True, slots=True)
class Population:
    country: np.ndarray  # index into COUNTRIES
    culture: np.ndarray  # index into CULTURES
    female: np.ndarray  # bool
    household: np.ndarray
    age: np.ndarray  # years at REFERENCE_DATE (float)
    birth: np.ndarray  # datetime64[D], the true date
    uncertain: np.ndarray  # bool: documented as 1 January of doc_year
    doc_year: np.ndarray
    # name groups (-1 = none) and document spellings (variant index, -1 = none)
    given1: np.ndarray
    given1_v: np.ndarray
    given2: np.ndarray
    given2_v: np.ndarray
    family: np.ndarray
    family_v: np.ndarray
    father: np.ndarray
    father_v: np.ndarray
    grandfather: np.ndarray
    grandfather_v: np.ndarray
    patronymic_mode: np.ndarray  # 0 father, 1 father + grandfather, 2 grandfather as family name
    place: np.ndarray  # place group
    place_v: np.ndarray
    stateless: np.ndarray  # bool
    residence: np.ndarray  # index into RESIDENCE
    qualification: np.ndarray  # index into QUALIFICATION
    level: np.ndarray  # index into LEVELS
    literacy: np.ndarray  # bool: needs a literacy course
    level_date: np.ndarray  # datetime64[D]: when the current level was attested (2023-07-01 .. 2026-06-30)

    def __len__(self) -> int:
        return len(self.country)

    @property
    def patronymic(self) -> np.ndarray:
        return _PATRONYMIC[self.culture]


def _households(n: int, rng: np.random.Generator) -> np.ndarray:
    """Household sizes summing to exactly ``n``."""
    sizes = rng.choice(_HOUSEHOLD_SIZES, size=n // 2 + 16, p=_HOUSEHOLD_P)
    while sizes.sum() < n:
        sizes = np.concatenate([sizes, rng.choice(_HOUSEHOLD_SIZES, size=n // 2 + 16, p=_HOUSEHOLD_P)])
    total = np.cumsum(sizes)
    last = int(np.searchsorted(total, n))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(total[last] - n)
    return sizes


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of the (rows x categories) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def make_population(n: int, rng: np.random.Generator) -> Population:
    t = tables()
    sizes = _households(n, rng)
    h = len(sizes)
    hh = np.repeat(np.arange(h), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(n) - start[hh]

    weights = np.array([c.weight for c in COUNTRIES])
    hh_country = rng.choice(len(COUNTRIES), size=h, p=weights / weights.sum())
    culture_p = np.zeros((len(COUNTRIES), len(CULTURES)))
    for i, c in enumerate(COUNTRIES):
        for name, share in c.cultures:
            culture_p[i, CULTURE_INDEX[name]] = share
    hh_culture = _choice_rows(rng, culture_p[hh_country])
    has_spouse = (sizes >= 2) & (rng.random(h) < 0.75)
    head_female = rng.random(h) < np.where(sizes == 1, 0.28, 0.15)

    role = np.where(pos == 0, 0, np.where((pos == 1) & has_spouse[hh], 1, 2))
    female = np.where(role == 0, head_female[hh], np.where(role == 1, ~head_female[hh], rng.random(n) < 0.48))
    country, culture = hh_country[hh], hh_culture[hh]

    # Ages: singles young, heads older, spouses near the head, children after the mother's 17th year.
    head_age = np.where(sizes == 1, 16 + rng.gamma(2.2, 5.0, h), 22 + rng.gamma(3.0, 4.5, h)).clip(16, 82)
    spouse_age = (head_age + np.where(head_female, 3.0, -3.0) + rng.normal(0, 3, h)).clip(18, 85)
    mother_age = np.where(head_female | ~has_spouse, head_age, spouse_age)
    child_age = mother_age[hh] - rng.uniform(17, np.minimum(mother_age[hh], 45).clip(17.5))
    age = np.where(role == 0, head_age[hh], np.where(role == 1, spouse_age[hh], child_age)).clip(0.05, None)
    days = np.floor(age * 365.2425).astype(np.int64)
    birth = np.maximum(REFERENCE_DATE - days.astype("timedelta64[D]"), _EARLIEST_BIRTH)
    age = (REFERENCE_DATE - birth).astype(np.int64) / 365.2425

    # Names, drawn independently first; children then inherit from their father.
    u = rng.random((7, n))
    pool = culture * 2 + female
    given1 = t.given_pool.draw(pool, u[0])
    given2 = np.where(u[1] < np.array([c.p_second_given for c in CULTURES])[culture],
                      t.given_pool.draw(pool, u[2]), -1)
    given2[given2 == given1] = -1
    father = t.given_pool.draw(culture * 2, u[3])
    grandfather = t.given_pool.draw(culture * 2, u[4])
    family = np.where(_PATRONYMIC[culture], -1, t.family_pool.draw(culture, u[5]))
    place_pool = np.array([t.place_codes.index(c.code) for c in COUNTRIES])[country]
    place = t.place_pool.draw(place_pool, u[6])

    v = rng.random((6, n))
    draw = t.given.draw
    given1_v, father_v, grandfather_v = draw(given1, v[0]), draw(father, v[2]), draw(grandfather, v[3])
    given2_v = np.where(given2 >= 0, draw(np.maximum(given2, 0), v[1]), -1)
    family_v = np.where(family >= 0, t.family.draw(np.maximum(family, 0), v[4]), -1)
    place_v = t.place.draw(place, v[5])

    head = start
    spouse = np.where(has_spouse, start + 1, -1)
    dad = np.where(~head_female, head, np.where(has_spouse, spouse, -1))
    child = role == 2
    from_dad = child & (dad[hh] >= 0)
    anchor = np.where(from_dad, dad[hh], start[hh] + np.where(has_spouse[hh], 2, 1))
    i_dad, i_anc = np.flatnonzero(from_dad), np.flatnonzero(child & ~from_dad)
    d, a = anchor[i_dad], anchor[i_anc]
    # order matters: the dad's own father becomes the grandfather before father is overwritten
    grandfather[i_dad], grandfather_v[i_dad] = father[d], father_v[d]
    father[i_dad], father_v[i_dad] = given1[d], given1_v[d]
    family[i_dad], family_v[i_dad] = family[d], family_v[d]
    grandfather[i_anc], grandfather_v[i_anc] = grandfather[a], grandfather_v[a]
    father[i_anc], father_v[i_anc] = father[a], father_v[a]
    family[i_anc], family_v[i_anc] = family[a], family_v[a]
    place[i_anc], place_v[i_anc] = place[a], place_v[a]
    place[i_dad], place_v[i_dad] = place[d], place_v[d]
    wives = np.flatnonzero((role == 1) & female & _WIFE_TAKES_NAME[culture])
    family[wives], family_v[wives] = family[head[hh[wives]]], family_v[head[hh[wives]]]

    no_family = rng.random(h) < np.array([c.p_no_family_name for c in COUNTRIES])[hh_country]
    family[no_family[hh]], family_v[no_family[hh]] = -1, -1

    german_born = child & (birth >= _GERMANY_FROM) & (rng.random(n) < 0.8)
    deu = t.place_codes.index("DEU")
    place[german_born] = t.place_pool.draw(np.full(german_born.sum(), deu), rng.random(german_born.sum()))
    place_v[german_born] = t.place.draw(place[german_born], rng.random(german_born.sum()))

    uncertain = (rng.random(n) < np.array([c.p_uncertain_date for c in COUNTRIES])[country]) & ~german_born
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    offset = rng.choice(np.arange(-2, 3), size=n, p=[0.05, 0.15, 0.6, 0.15, 0.05])
    doc_year = np.where(uncertain, np.minimum(year + offset, 2024), year)

    stateless = (rng.random(h) < np.where(np.array([c.code for c in COUNTRIES])[hh_country] == "SYR", 0.03, 0.0))[hh]
    residence = rng.choice(len(RESIDENCE), size=n, p=_RESIDENCE_P)
    residence[np.array([c.code for c in COUNTRIES])[country] == "UKR"] = RESIDENCE.index("AE §24 AufenthG")
    return Population(
        country=country, culture=culture, female=female, household=hh, age=age, birth=birth,
        uncertain=uncertain, doc_year=doc_year,
        given1=given1, given1_v=given1_v, given2=given2, given2_v=given2_v, family=family, family_v=family_v,
        father=father, father_v=father_v, grandfather=grandfather, grandfather_v=grandfather_v,
        patronymic_mode=rng.choice(3, size=h, p=[0.55, 0.25, 0.20])[hh],
        place=place, place_v=place_v, stateless=stateless, residence=residence,
        qualification=rng.choice(len(QUALIFICATION), size=n, p=_QUALIFICATION_P),
        level=rng.choice(len(LEVELS), size=n, p=_LEVEL_P),
        literacy=rng.random(n) < 0.25,
        level_date=_LEVEL_FROM + rng.integers(0, (_LEVEL_UNTIL - _LEVEL_FROM).astype(np.int64) + 1, n),
    )
