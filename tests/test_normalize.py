"""linkage.normalize: name parts, birth dates (placeholders, calendars), sex codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.config import DateSpec
from linkage.normalize import (
    DateValue,
    Invalid,
    name_parts,
    normalize_code,
    normalize_sex,
    normalize_text,
    parse_date,
)

#: Reason codes a date may be quarantined with (older and newer spellings of "impossible date").
DATE_REASONS = {"unparseable", "out_of_range", "invalid_date", "invalid_calendar_date"}

# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("Mohammad AL-HASSAN",), ("mohammad", "hassan")),
        (("ANNA", "anna"), ("anna",)),
        (("Anna-Lena",), ("anna", "lena")),
        (("O'Brien",), ("obrien",)),
        (("O’Brien", "D`Souza"), ("obrien", "dsouza")),
        (("Abd al-Rahman", "ʿAbd ar-Raḥmān"), ("abdulrahman",)),
        (("Jürgen Müller", "Größe", "Ärger Öz"), ("juergen", "mueller", "groesse", "aerger", "oez")),
        (("Ju\u0308rgen",), ("juergen",)),  # decomposed umlaut is folded like the composed one
        (("José Ñúñez Ševčík",), ("jose", "nunez", "sevcik")),
        (("Zoë",), ("zoe",)),
        (("محمد الحسن",), ("mohammad", "hassan")),
        (("أحمد",), ("ahmad",)),
        (("ፀጋይ ተስፋይ",), ("tsegay", "tesfay")),
        (("Anna2", "ab1cd", "٣٤"), ("anna", "ab", "cd")),  # digits, also Arabic-Indic ones, are dropped
        (("  ", "", None, "---", "12"), ()),
        (("Ｍｏｈａｍｍａｄ",), ("mohammad",)),  # full-width letters (NFKC)
        (("Hassan Hassan", "HASSAN"), ("hassan",)),
        (("Maria", None, "Anna Maria"), ("maria", "anna")),
    ],
)
def test_name_parts(values, expected):
    assert name_parts(*values) == expected


def test_name_parts_are_a_set_regardless_of_column():
    assert set(name_parts("Mohammad", "Al Hassan")) == set(name_parts("AL-HASSAN Mohammad"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), max_size=4))
def test_name_parts_never_raise_and_give_clean_parts(values):
    parts = name_parts(*values)
    assert isinstance(parts, tuple)
    assert len(set(parts)) == len(parts)
    for part in parts:
        assert part and part == part.strip()
        assert not any(ch.isspace() or ch.isdigit() or ch in "-'_.,’" for ch in part)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_name_parts_are_idempotent(text):
    parts = name_parts(text)
    assert name_parts(" ".join(parts)) == parts


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Mn", "Zs", "Pd", "Nd"]), max_size=30))
def test_name_parts_are_idempotent_on_letters_and_marks(text):
    parts = name_parts(text)
    assert name_parts(" ".join(parts)) == parts


# ------------------------------------------------------------------------------------------ dates

GERMAN = DateSpec()
MULTI = DateSpec(formats=("%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%d.%m.%y"))


@pytest.mark.parametrize(
    ("raw", "spec", "expected"),
    [
        ("14.07.1990", GERMAN, DateValue(1990, 7, 14)),
        (" 14.07.1990 ", GERMAN, DateValue(1990, 7, 14)),
        ("4.7.1990", GERMAN, DateValue(1990, 7, 4)),
        ("１４.０７.１９９０", GERMAN, DateValue(1990, 7, 14)),  # full-width digits (NFKC)
        ("1990-07-14", GERMAN, DateValue(1990, 7, 14)),  # ISO is always tried last
        ("14/07/1990", MULTI, DateValue(1990, 7, 14)),
        ("19900714", MULTI, DateValue(1990, 7, 14)),
        ("14.07.90", MULTI, DateValue(1990, 7, 14)),
        ("29.02.2000", GERMAN, DateValue(2000, 2, 29)),
        # placeholders: day and month unknown
        ("01.01.1990", GERMAN, DateValue(1990)),
        ("1990-01-01", GERMAN, DateValue(1990)),
        ("01.01.1990", DateSpec(unknown_day_month=()), DateValue(1990, 1, 1)),
        ("15.06.1980", DateSpec(unknown_day_month=("01-01", "06-15")), DateValue(1980)),
        ("00.00.1990", GERMAN, DateValue(1990)),
        ("00.08.1990", GERMAN, DateValue(1990)),
        ("15.00.1990", GERMAN, DateValue(1990)),
        # two-digit years around the pivot
        ("01.02.29", MULTI, DateValue(2029, 2, 1)),
        ("01.02.30", MULTI, DateValue(1930, 2, 1)),
        ("01.02.05", DateSpec(formats=("%d.%m.%y",), two_digit_year_pivot=10), DateValue(2005, 2, 1)),
        ("01.02.15", DateSpec(formats=("%d.%m.%y",), two_digit_year_pivot=10), DateValue(1915, 2, 1)),
        ("00.00.85", DateSpec(formats=("%d.%m.%y",)), DateValue(1985)),
        # missing
        ("", GERMAN, None),
        ("   ", GERMAN, None),
        (None, GERMAN, None),
    ],
)
def test_parse_date(raw, spec, expected):
    assert parse_date(raw, spec) == expected


@pytest.mark.parametrize(
    ("raw", "reasons"),
    [
        ("14.07.1850", {"out_of_range"}),
        ("14.07.2150", {"out_of_range"}),
        ("00.00.1066", {"out_of_range"}),
        ("unbekannt", {"unparseable"}),
        ("14.07.", {"unparseable"}),
        ("01.01.", {"unparseable"}),
        ("1990", {"unparseable"}),
        ("14-07-1990x", {"unparseable"}),
        ("July 14, 1990", {"unparseable"}),
        ("00.13.1990", {"unparseable", "invalid_date"}),
        ("32.01.1990", {"unparseable", "invalid_date"}),
        ("29.02.1991", {"unparseable", "invalid_date"}),
        ("31.04.1990", {"unparseable", "invalid_date"}),
    ],
)
def test_unusable_dates_are_invalid_with_a_reason(raw, reasons):
    result = parse_date(raw, GERMAN)
    assert isinstance(result, Invalid)
    assert result.reason in reasons
    assert raw not in result.reason


@pytest.mark.parametrize(
    ("raw", "calendar", "expected"),
    [
        ("1369-04-23", "solar_hijri", DateValue(1990, 7, 14)),
        ("23.04.1369", "solar_hijri", DateValue(1990, 7, 14)),
        ("1403-01-01", "solar_hijri", DateValue(2024, 3, 20)),  # Nowruz 1403
        ("1402-12-29", "solar_hijri", DateValue(2024, 3, 19)),
        ("1399-12-30", "solar_hijri", DateValue(2021, 3, 20)),  # 1399 is a leap year
        ("31.06.1369", "solar_hijri", DateValue(1990, 9, 22)),  # 31 Shahrivar: not a Gregorian day-month
        ("01.01.1369", "solar_hijri", DateValue(1990, 3, 21)),  # placeholders are Gregorian only
        ("2016-01-01", "ethiopian", DateValue(2023, 9, 12)),
        pytest.param("06.13.2015", "ethiopian", DateValue(2023, 9, 11), id="pagume"),  # 6 Pagume, leap year
        ("1983-01-01", "ethiopian", DateValue(1990, 9, 11)),
    ],
)
def test_calendar_conversion(raw, calendar, expected):
    assert parse_date(raw, DateSpec(calendar=calendar)) == expected


@pytest.mark.parametrize(
    ("raw", "calendar"),
    [("30.12.1402", "solar_hijri"), ("32.01.1369", "solar_hijri"), ("06.13.2016", "ethiopian"),
     ("31.01.2016", "ethiopian"), ("01.14.2016", "ethiopian")],
)
def test_impossible_calendar_dates_are_invalid(raw, calendar):
    result = parse_date(raw, DateSpec(calendar=calendar))
    assert isinstance(result, Invalid) and result.reason in DATE_REASONS


@pytest.mark.parametrize(("raw", "calendar", "year"), [("00.00.1369", "solar_hijri", 1990),
                                                       ("00.05.2016", "ethiopian", 2023)])
def test_zero_day_or_month_means_unknown_in_every_calendar(raw, calendar, year):
    assert parse_date(raw, DateSpec(calendar=calendar)) == DateValue(year)


_DATE_LIKE = st.one_of(
    st.text(max_size=15),
    st.text(alphabet="0123456789./- ", max_size=12),
    st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", st.integers(0, 40), st.integers(0, 15),
              st.integers(0, 9999), st.sampled_from([".", "-", "/"])),
)


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.none(), _DATE_LIKE),
       spec=st.sampled_from([GERMAN, MULTI, DateSpec(calendar="solar_hijri"), DateSpec(calendar="ethiopian"),
                             DateSpec(formats=("%Y-%m-%d",), calendar="ethiopian")]))
def test_parse_date_never_raises(raw, spec):
    result = parse_date(raw, spec)
    if isinstance(result, Invalid):
        assert result.reason in DATE_REASONS
    elif result is not None:
        assert isinstance(result, DateValue)
        assert 1880 <= result.year <= 2100
        assert (result.month is None) == (result.day is None)
        if result.month is not None:
            assert 1 <= result.month <= 12 and 1 <= result.day <= 31


# ------------------------------------------------------------------------------------ sex, codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("m", "m"), ("M", "m"), (" männlich ", "m"), ("Mann", "m"), ("male", "m"), ("1", "m"), ("Herr", "m"),
        ("w", "f"), ("W", "f"), ("weiblich", "f"), ("F", "f"), ("Frau", "f"), ("2", "f"),
        ("d", "x"), ("divers", "x"), ("X", "x"), ("3", "x"),
        ("", None), ("  ", None), (None, None), ("u", None), ("unbekannt", None), ("ka", None), ("?", None),
        ("0", None), ("-", None),
    ],
)
def test_sex_codes(raw, expected):
    assert normalize_sex(raw) == expected


@pytest.mark.parametrize("raw", ["k.A.", "K.A", "k.a."])
def test_keine_angabe_means_missing(raw):
    assert normalize_sex(raw) is None


@pytest.mark.parametrize("raw", ["mf", "yes", "Zqxwvyt", "4", "männlich/weiblich"])
def test_unrecognised_sex_codes_are_invalid_without_the_value(raw):
    result = normalize_sex(raw)
    assert result == Invalid("unrecognised")


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=12)))
def test_sex_never_raises(raw):
    assert normalize_sex(raw) in ("m", "f", "x", None, Invalid("unrecognised"))


def test_codes_and_text():
    assert normalize_code(" SYR ") == "syr"
    assert normalize_code("Côte  d’Ivoire") == "cote d’ivoire"
    assert normalize_code("  ") is None and normalize_code(None) is None
    assert normalize_text("Frankfurt (Oder)") == "frankfurt oder"
    assert normalize_text("Köln-Mülheim") == "koeln muelheim"
    assert normalize_text("--") is None


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_codes_and_text_are_idempotent(raw):
    code = normalize_code(raw)
    assert code is None or normalize_code(code) == code
    text = normalize_text(raw)
    assert text is None or normalize_text(text) == text
