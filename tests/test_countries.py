"""linkage.countries: nationality cells to ISO 3166-1 alpha-3 codes, and their use in encoding."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import encode, io
from linkage._country_data import COUNTRIES, UN_MEMBERS
from linkage.config import Role
from linkage.countries import CODES, STATELESS, normalize_nationality
from linkage.normalize import Invalid
from linkage.synth import SynthData, generate

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
UNRECOGNISED = Invalid("unrecognised")

CASES = [
    # alpha-3 and alpha-2 codes, any case and padding
    ("SYR", "SYR"), ("syr", "SYR"), (" Syr ", "SYR"), ("SY", "SYR"), ("af", "AFG"), ("IRQ", "IRQ"),
    ("DEU", "DEU"), ("deu", "DEU"), ("DE", "DEU"), ("D", "DEU"), ("TR", "TUR"), ("UA", "UKR"), ("ＳＹＲ", "SYR"),
    # NA: Namibia or "not available"? neither is guessed
    ("XKX", "XKX"), ("XK", "XKX"), ("PSE", "PSE"), ("PS", "PSE"), ("NA", UNRECOGNISED), ("na", UNRECOGNISED), ("NAM", "NAM"), ("Namibia", "NAM"),
    # German short names and long forms
    ("Syrien", "SYR"), ("SYRIEN", "SYR"), ("  syrien  ", "SYR"), ("Afghanistan", "AFG"), ("Irak", "IRQ"),
    ("Eritrea", "ERI"), ("Somalia", "SOM"), ("Iran", "IRN"), ("Türkei", "TUR"), ("Tuerkei", "TUR"),
    ("TÜRKEI", "TUR"), ("Turkei", "TUR"), ("Ukraine", "UKR"), ("Russische Föderation", "RUS"),
    ("Russische Foederation", "RUS"), ("Russland", "RUS"), ("Äthiopien", "ETH"), ("Aethiopien", "ETH"),
    ("Sudan", "SDN"), ("Südsudan", "SSD"), ("Süd-Sudan", "SSD"), ("Nigeria", "NGA"), ("Georgien", "GEO"),
    ("Albanien", "ALB"), ("Kosovo", "XKX"), ("Serbien", "SRB"), ("Nordmazedonien", "MKD"), ("Mazedonien", "MKD"),
    ("Pakistan", "PAK"), ("Jemen", "YEM"), ("Libyen", "LBY"), ("Palästina", "PSE"),
    ("Palästinensische Gebiete", "PSE"), ("Libanon", "LBN"), ("Gambia", "GMB"), ("Guinea", "GIN"), ("Mali", "MLI"),
    ("Algerien", "DZA"), ("Marokko", "MAR"), ("Tunesien", "TUN"), ("Ägypten", "EGY"), ("Venezuela", "VEN"),
    ("Kolumbien", "COL"), ("Syrien, Arabische Republik", "SYR"), ("Arabische Republik Syrien", "SYR"),
    ("Iran, Islamische Republik", "IRN"), ("Islamische Republik Iran", "IRN"), ("Deutschland", "DEU"),
    ("Großbritannien", "GBR"), ("Grossbritannien", "GBR"), ("Weißrussland", "BLR"), ("Elfenbeinküste", "CIV"),
    ("Königreich Marokko", "MAR"), ("Republik Irak", "IRQ"), ("Demokratische Republik Kongo", "COD"),
    ("Kongo", "COG"), ("Republik Kongo", "COG"), ("Bosnien und Herzegowina", "BIH"),
    # German adjectives, inflected or not
    ("syrisch", "SYR"), ("Syrisch", "SYR"), ("SYRISCH", "SYR"), ("syrische", "SYR"), ("syrischer", "SYR"),
    ("afghanisch", "AFG"), ("irakisch", "IRQ"), ("eritreisch", "ERI"), ("somalisch", "SOM"), ("iranisch", "IRN"),
    ("türkisch", "TUR"), ("tuerkisch", "TUR"), ("ukrainisch", "UKR"), ("äthiopisch", "ETH"),
    ("aethiopisch", "ETH"), ("Äthiopische", "ETH"), ("sudanesisch", "SDN"), ("südsudanesisch", "SSD"),
    ("nigerianisch", "NGA"), ("nigrisch", "NER"), ("russisch", "RUS"), ("georgisch", "GEO"), ("albanisch", "ALB"),
    ("kosovarisch", "XKX"), ("serbisch", "SRB"), ("nordmazedonisch", "MKD"), ("pakistanisch", "PAK"),
    ("jemenitisch", "YEM"), ("libysch", "LBY"), ("palästinensisch", "PSE"), ("libanesisch", "LBN"),
    ("gambisch", "GMB"), ("guineisch", "GIN"), ("malisch", "MLI"), ("algerisch", "DZA"), ("marokkanisch", "MAR"),
    ("tunesisch", "TUN"), ("ägyptisch", "EGY"), ("venezolanisch", "VEN"), ("kolumbianisch", "COL"),
    ("deutsch", "DEU"), ("Deutsche", "DEU"), ("österreichisch", "AUT"), ("bosnisch-herzegowinisch", "BIH"),
    # English names, ISO list forms and demonyms
    ("Syria", "SYR"), ("Syrian Arab Republic", "SYR"), ("Iraq", "IRQ"), ("Turkey", "TUR"), ("Türkiye", "TUR"),
    ("Turkiye", "TUR"), ("Ethiopia", "ETH"), ("Russian Federation", "RUS"), ("Russia", "RUS"),
    ("Iran (Islamic Republic of)", "IRN"), ("Iran, Islamic Republic of", "IRN"), ("State of Palestine", "PSE"),
    ("Palestine, State of", "PSE"), ("Occupied Palestinian Territory", "PSE"), ("The Gambia", "GMB"),
    ("Gambia, The", "GMB"), ("Venezuela (Bolivarian Republic of)", "VEN"), ("North Macedonia", "MKD"),
    ("Republic of North Macedonia", "MKD"), ("Egypt", "EGY"), ("Morocco", "MAR"), ("Yemen", "YEM"),
    ("Côte d'Ivoire", "CIV"), ("Cote d’Ivoire", "CIV"), ("Ivory Coast", "CIV"), ("Viet Nam", "VNM"),
    ("Vietnam", "VNM"), ("United Kingdom", "GBR"), ("United States of America", "USA"), ("U.S.A.", "USA"),
    ("Bosnia & Herzegovina", "BIH"), ("Trinidad & Tobago", "TTO"), ("Guinea-Bissau", "GNB"),
    ("Congo, the Democratic Republic of the", "COD"), ("Democratic Republic of the Congo", "COD"),
    ("Republic of the Congo", "COG"), ("Korea, Republic of", "KOR"), ("Republic of Korea", "KOR"),
    ("North Korea", "PRK"), ("Republic of Chad", "TCD"), ("Slovak Republic", "SVK"),
    ("Federal Republic of Germany", "DEU"), ("People's Republic of China", "CHN"), ("Republic of China", "TWN"),
    ("Syrian", "SYR"), ("Afghan", "AFG"), ("Iraqi", "IRQ"), ("Iranian", "IRN"), ("Eritrean", "ERI"),
    ("Somali", "SOM"), ("Ethiopian", "ETH"), ("Sudanese", "SDN"), ("South Sudanese", "SSD"), ("Nigerian", "NGA"),
    ("Turkish", "TUR"), ("Ukrainian", "UKR"), ("Russian", "RUS"), ("Georgian", "GEO"), ("Albanian", "ALB"),
    ("Kosovar", "XKX"), ("Serbian", "SRB"), ("Macedonian", "MKD"), ("Pakistani", "PAK"), ("Yemeni", "YEM"),
    ("Libyan", "LBY"), ("Palestinian", "PSE"), ("Lebanese", "LBN"), ("Gambian", "GMB"), ("Guinean", "GIN"),
    ("Malian", "MLI"), ("Algerian", "DZA"), ("Moroccan", "MAR"), ("Tunisian", "TUN"), ("Egyptian", "EGY"),
    ("Venezuelan", "VEN"), ("Colombian", "COL"), ("Nigerien", "NER"),
    # several parts naming one country
    ("Syrien (SYR)", "SYR"), ("SYR - Syrien", "SYR"), ("SYR / Syria", "SYR"), ("Kosovo (UNSCR 1244/99)", "XKX"),
    # stateless
    ("staatenlos", STATELESS), ("Staatenlos", STATELESS), ("STAATENLOS", STATELESS), ("staatenlose", STATELESS),
    ("stateless", STATELESS), ("XXA", STATELESS), ("xxa", STATELESS), ("ohne Staatsangehörigkeit", STATELESS),
    # missing, unknown, unresolved, no nationality on the document
    ("", None), ("   ", None), ("-", None), ("?", None), ("--", None), ("ungeklärt", None), ("ungeklaert", None),
    ("Ungeklärt", None), ("unbekannt", None), ("unknown", None), ("Unknown", None), ("k.A.", None),
    ("k. A.", None), ("KA", None), ("keine Angabe", None), ("ohne Angabe", None), ("n/a", None), ("N/A", None),
    ("n.a.", None), ("XXX", None), ("XXB", None), ("XXC", None), ("ungeklärte Staatsangehörigkeit", None),
    # unrecognised: garbage, dual nationalities, forms two countries share
    ("xyz", UNRECOGNISED), ("Syrienn", UNRECOGNISED), ("12345", UNRECOGNISED), ("SYRX", UNRECOGNISED),
    ("the", UNRECOGNISED), ("Republic", UNRECOGNISED), ("syrisch/türkisch", UNRECOGNISED),
    ("Syrien, Irak", UNRECOGNISED), ("Korea", UNRECOGNISED), ("kongolesisch", UNRECOGNISED),
    ("Kongolesische", UNRECOGNISED), ("Congolese", UNRECOGNISED), ("Dominican", UNRECOGNISED),
    ("سوريا", UNRECOGNISED), ("Guinea, Äquatorial", UNRECOGNISED), ("ZZZ", UNRECOGNISED),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_cases(raw: str, expected: object) -> None:
    assert normalize_nationality(raw) == expected


def test_none_is_missing() -> None:
    assert normalize_nationality(None) is None


def test_table_covers_every_un_member_state() -> None:
    assert len(UN_MEMBERS) == 193
    assert {"SYR", "AFG", "IRQ", "IRN", "ERI", "SOM", "ETH", "SDN", "SSD", "NGA", "TUR", "UKR", "RUS", "GEO",
            "ALB", "SRB", "MKD", "PAK", "YEM", "LBY", "LBN", "GMB", "GIN", "MLI", "DZA", "MAR", "TUN", "EGY",
            "VEN", "COL", "DEU"} <= UN_MEMBERS
    alpha3 = [row[0] for row in COUNTRIES]
    alpha2 = [row[1] for row in COUNTRIES]
    assert len(set(alpha3)) == len(alpha3) and len(set(alpha2)) == len(alpha2)
    assert all(re.fullmatch(r"[A-Z]{3}", a) for a in alpha3) and all(re.fullmatch(r"[A-Z]{2}", a) for a in alpha2)
    assert CODES == set(alpha3) | {STATELESS}


@pytest.mark.parametrize("row", COUNTRIES, ids=lambda row: row[0])
def test_every_row_maps_from_all_its_forms(row: tuple[str, ...]) -> None:
    alpha3, alpha2, english, german, adjective, demonym = row
    forms = [alpha3, alpha3.lower(), english, english.upper(), german, german.lower()]
    forms += [alpha2] if alpha2 != "NA" else []  # NA: "not available" as often as Namibia (CASES)
    forms += [demonym] if demonym else []
    forms += [adjective + ending for ending in ("", "e", "er", "es", "en")] if adjective else []
    for form in forms:
        assert normalize_nationality(form) == alpha3, form


def test_reasons_never_carry_the_value() -> None:
    for raw in ("Atlantis", "Syrien, Irak", "kongolesisch", "geheim 123"):
        result = normalize_nationality(raw)
        assert isinstance(result, Invalid) and result.reason == "unrecognised"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_any_unicode_gives_a_code_missing_or_invalid(raw: str) -> None:
    result = normalize_nationality(raw)
    assert result is None or isinstance(result, Invalid) or result in CODES
    if isinstance(result, str):
        assert re.fullmatch(r"[A-Z]{3}", result)
        assert normalize_nationality(result) == result  # idempotent on its output
    if isinstance(result, Invalid):
        assert result.reason == "unrecognised"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([row for row in COUNTRIES if row[3]]), st.sampled_from(["", " ", "  ", "\t"]),
       st.sampled_from([str.lower, str.upper, str.title, str]))
def test_case_and_padding_do_not_matter(row: tuple[str, ...], pad: str, case) -> None:
    assert normalize_nationality(pad + case(row[3]) + pad) == row[0]
    assert normalize_nationality(pad + case(row[2]) + pad) == row[0]


# ----------------------------------------------------------------------------- synthetic exports


@pytest.fixture(scope="module")
def synth() -> SynthData:
    return generate(3000, seed=1)


def _coded(data: SynthData) -> pd.DataFrame:
    """(agency, record_id, code) of every record, with the nationality normalised."""
    frames = []
    for export in data.exports:
        config = io.load_export_config(CONFIGS / export.config_name)
        (column,) = config.columns_for(Role.NATIONALITY)
        frames.append(pd.DataFrame({
            "agency": export.agency,
            "record_id": export.frame[config.id_column].astype(object),
            "raw": export.frame[column].astype(object),
            "code": [normalize_nationality(v) for v in export.frame[column].tolist()],
        }))
    return pd.concat(frames, ignore_index=True)


def test_every_synthetic_nationality_is_recognised(synth: SynthData) -> None:
    coded = _coded(synth)
    invalid = coded[[isinstance(c, Invalid) for c in coded["code"]]]
    assert invalid.empty, sorted(set(invalid["raw"]))
    codes = set(coded["code"].dropna())
    assert codes <= CODES and {"SYR", "AFG", "IRQ", "UKR", "TUR", "IRN", "ERI", "SOM", "SDN", "ETH", "XXA"} <= codes
    assert coded["code"].isna().sum() == (coded["raw"].str.strip() == "").sum()  # only blanks are missing


def test_synthetic_persons_get_one_code_across_agencies(synth: SynthData) -> None:
    coded = _coded(synth).dropna(subset=["code"]).merge(synth.truth, on=["agency", "record_id"], validate="1:1")
    pairs = agree = 0
    for codes in coded.groupby("person_id")["code"]:
        for a, b in itertools.combinations(codes[1].tolist(), 2):
            pairs += 1
            agree += a == b
    assert pairs > 5_000
    assert agree / pairs >= 0.99  # 1.0 with generate(3000, seed=1): 9,280 of 9,280 pairs agree


# ------------------------------------------------------------------------------------- encoding


def _encode_nat(make_export_config, secret, agency: str, nationalities: list[str]):
    config = io.load_export_config(make_export_config(f"{agency}.toml", agency=agency))
    records = pd.DataFrame({
        "pid": [f"{agency}-{i}" for i in range(len(nationalities))],
        "given": "Mohammad", "family": "Al-Hassan", "father": "Ahmad", "dob": "01.01.1985", "sex": "m",
        "nat": nationalities, "birthplace": "Aleppo",
    }, dtype=object)
    return encode(records, config, secret=secret)


def _nationality_slices(result) -> list[bytes]:
    """Per record, the bytes of the date's slices bound to the nationality (linkage.bind)."""
    spec = result.export.metadata["schema"]["fields"][2]
    assert spec["name"] == "birth_date" and "nationality" in spec["bind"]
    kinds = [k for k, _ in spec["tokens"]]
    from linkage.config import slice_kinds

    layout = slice_kinds(kinds, spec["bind"])
    width = len(result.export.table.column("f_birth_date")[0].as_py()) // len(layout)
    picks = [i for i, k in enumerate(layout) if k.endswith("+nationality")]
    return [b"".join(row[i * width:(i + 1) * width] for i in picks)
            for row in result.table_in_input_order().column("f_birth_date").to_pylist()]


def test_same_country_written_differently_gives_identical_filters(make_export_config, secret) -> None:
    a = _encode_nat(make_export_config, secret, "jobcentre", ["Syrien", "Irak", "staatenlos", "ungeklärt"])
    b = _encode_nat(make_export_config, secret, "foreigners-authority", ["SYR", "IRQ", "XXA", ""])
    c = _encode_nat(make_export_config, secret, "employment-agency", ["syrisch", "irakisch", "Staatenlos", "k.A."])
    d = _encode_nat(make_export_config, secret, "course-provider", ["Syrian Arab Republic", "Iraq", "stateless",
                                                                    "unknown"])
    nats = [_nationality_slices(r) for r in (a, b, c, d)]  # nationality is bound to the date and the names
    assert nats[0] == nats[1] == nats[2] == nats[3]
    assert not any(nats[0][3]) and len({nats[0][0], nats[0][1], nats[0][2]}) == 3
    clks = [r.table_in_input_order().column("clk").to_pylist() for r in (a, b, c, d)]
    assert clks[0] == clks[1] == clks[2] == clks[3]


def test_unrecognised_nationality_is_encoded_as_missing_with_a_warning(make_export_config, secret) -> None:
    """Nationality is weak evidence: an unmappable value must not cost the record its linkage."""
    result = _encode_nat(make_export_config, secret, "jobcentre", ["Syrien", "Atlantis", "SYR"])
    assert result.quarantine.empty
    assert result.warnings["field"].tolist() == ["birth_date.nationality"]
    assert result.warnings["reason"].tolist() == ["unrecognised"]
    assert "Atlantis" not in result.warnings.to_string()
    assert result.export.table.num_rows == 3
    nats = _nationality_slices(result)
    assert not any(nats[1]) and nats[0] == nats[2] and any(nats[0])
