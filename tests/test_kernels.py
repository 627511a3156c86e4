"""Fast paths against their plain reference definitions (one parametrised check each).

Every vectorised or compiled path of the encoder has a plain Python definition next to it; the
encoded bytes are a protocol, so the two must agree exactly on any input.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import bloom, names
from linkage._blake2b import keyed_digests, keyed_digests_of_joined
from linkage.normalize import DateValue, normalize_text, normalize_texts
from linkage.tokens import TOKENIZERS, blocking_values, component_ids, date_array, incidence, value_tokens

KEYS = [b"k", bytes(range(32)), bytes(range(64))]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=20), st.sampled_from(KEYS), st.sampled_from([8, 16, 32, 64]))
def test_keyed_digests_equal_hashlib(messages, key, digest_size):
    got = keyed_digests(messages, key, digest_size)
    assert got.shape == (len(messages), digest_size)
    for message, row in zip(messages, got):
        assert row.tobytes() == hashlib.blake2b(message, key=key, digest_size=digest_size).digest()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=90), min_size=1, max_size=8),
       st.lists(st.binary(min_size=0, max_size=90), min_size=1, max_size=8),
       st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=30))
def test_keyed_digests_of_joined_equal_hashlib(first, second, pairs):
    ids = np.array([(a % len(first), b % len(second)) for a, b in pairs], np.int64)
    got = keyed_digests_of_joined([first, second], ids, b"\x1f", KEYS[1], 16)
    for (a, b), row in zip(ids.tolist(), got):
        assert row.tobytes() == hashlib.blake2b(first[a] + b"\x1f" + second[b], key=KEYS[1], digest_size=16).digest()


def _incidence_sets(inc, count):
    sets = [set() for _ in range(count)]
    for owner, token in zip(inc.owners.tolist(), inc.token_ids.tolist()):
        sets[owner].add(inc.tokens[token])
    return sets


TEXT_KINDS = [(kind, token_kind) for kind, token_kind in TOKENIZERS if kind in ("name", "text")]
DATE_KINDS = [token_kind for kind, token_kind in TOKENIZERS if kind == "date"]


@pytest.mark.parametrize(("kind", "token_kind"), TEXT_KINDS)
@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                               max_size=12), max_size=15))
def test_text_incidence_equals_reference_tokens(kind, token_kind, values):
    sets = _incidence_sets(incidence(kind, token_kind, values), len(values))
    assert sets == [set(value_tokens(kind, token_kind, v)) for v in values]


dates = st.builds(lambda y, m, d, known: DateValue(y, m, d) if known else DateValue(y),
                  st.integers(1880, 2100), st.integers(1, 12), st.integers(1, 28), st.booleans())


@pytest.mark.parametrize("token_kind", DATE_KINDS)
@settings(max_examples=60, deadline=None)
@given(values=st.lists(dates, max_size=15))
def test_date_incidence_equals_reference_tokens(token_kind, values):
    for given_values in (values, date_array(values)):
        sets = _incidence_sets(incidence("date", token_kind, given_values), len(values))
        assert sets == [set(value_tokens("date", token_kind, v)) for v in values]


@pytest.mark.parametrize(("kind", "derivation", "strategy"), [
    ("name", "part", st.text(alphabet="abcäö", min_size=1, max_size=8)),
    ("name", "prefix3", st.text(alphabet="abcäö", min_size=1, max_size=8)),
    ("code", "value", st.sampled_from(["m", "f", "syr", "afg"])),
    ("text", "value", st.text(alphabet="ab ", min_size=1, max_size=6)),
    ("date", "ymd", dates), ("date", "year", dates), ("date", "month_day", dates),
])
def test_component_ids_equal_blocking_values(kind, derivation, strategy):
    @settings(max_examples=40, deadline=None)
    @given(st.lists(strategy, max_size=12))
    def check(values):
        ids, vocab = component_ids(kind, derivation, values)
        assert [[vocab[i]] if i >= 0 else [] for i in ids.tolist()] == [
            blocking_values(kind, derivation, v) for v in values]

    check()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=15)), max_size=20))
def test_normalize_texts_equals_normalize_text(values):
    assert normalize_texts(values) == [normalize_text(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=20))
def test_ascii_name_fast_path_equals_general_rule(value):
    fast = value.encode().translate(names._ASCII_NAME, b"'`").decode().split()
    assert fast == names._general_tokens(value)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.sampled_from([8, 16, 128]), st.integers(0, 2**32 - 1))
def test_or_into_rows_equals_reference(rows, items, width, seed):
    rng = np.random.default_rng(seed)
    filters = rng.integers(0, 256, size=(items, width), dtype=np.uint8)
    item_rows = np.sort(rng.integers(0, rows, size=3 * items))
    index = rng.integers(0, items, size=3 * items)
    expected = np.zeros((rows, width), np.uint8)
    for r, i in zip(item_rows, index):
        expected[r] |= filters[i]
    got = np.zeros((rows, width), np.uint8)
    bloom.or_into_rows(got, item_rows, index, filters)
    assert np.array_equal(got, expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 5)), max_size=40))
def test_segment_order_equals_lexsort(pairs):
    pairs.sort(key=lambda p: p[0])
    rows = np.array([p[0] for p in pairs], np.int64)
    keys = np.array([p[1] for p in pairs], np.uint64)
    assert bloom.segment_order(rows, keys).tolist() == np.lexsort((keys, rows)).tolist()
