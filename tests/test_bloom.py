"""linkage.bloom: keyed positions (against a reference written from the contract), hardening, Dice."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import bloom

KEY = hashlib.sha256(b"test field key").digest()
OTHER_KEY = hashlib.sha256(b"another field key").digest()


def reference_positions(key: bytes, token: str, num_bits: int, k: int) -> list[int]:
    """The position contract of bloom.py, written independently of it.

    Keyed BLAKE2b-512 over uint32_be(counter) || utf8(token) for counter = 0, 1, ...; the digest is
    read as big-endian 16-bit words; a word w >= 65536 - 65536 % num_bits is rejected; w % num_bits
    is taken until k distinct positions are found (in order of first appearance).
    """
    limit = 65536 - 65536 % num_bits
    found: list[int] = []
    counter = 0
    while len(found) < k:
        digest = hashlib.blake2b(counter.to_bytes(4, "big") + token.encode("utf-8"), key=key).digest()
        assert len(digest) == 64
        for i in range(0, 64, 2):
            word = digest[i] << 8 | digest[i + 1]
            if word >= limit:
                continue
            position = word % num_bits
            if position not in found:
                found.append(position)
                if len(found) == k:
                    break
        counter += 1
    return found


def as_list(positions) -> list[int]:
    """Positions as plain ints (the hasher may return a list or an array)."""
    return [int(p) for p in positions]


def reference_filter(positions: list[list[int]], num_bits: int) -> np.ndarray:
    out = np.zeros((len(positions), num_bits // 8), dtype=np.uint8)
    for row, pos in enumerate(positions):
        for p in pos:
            out[row, p // 8] |= 1 << (7 - p % 8)
    return out


def bits_of(filters: np.ndarray) -> list[set[int]]:
    return [{i for i in range(row.size * 8) if row[i // 8] >> (7 - i % 8) & 1} for row in filters]


_TOKENS = ["b:_a", "b:al", "w:mohammad", "y:1990", "ymd:1990-07-14", "v:m", "", "b:ß_", "w:محمد", "t:😀x",
           "1990\x1fb:an", "x" * 300]
_CASES = [(t, n, k) for t in _TOKENS for n, k in [(64, 1), (64, 44), (64, 64), (96, 20), (100, 30), (256, 36),
                                                  (512, 30), (1000, 10), (1024, 64), (3000, 20), (16384, 30),
                                                  (65536, 5), (7, 7), (1, 1)]]


@pytest.mark.parametrize(("token", "num_bits", "k"), _CASES)
def test_positions_match_the_reference(token, num_bits, k):
    got = bloom.PositionHasher(KEY, num_bits).positions(token, k)
    assert as_list(got) == reference_positions(KEY, token, num_bits, k)


@pytest.mark.parametrize(("num_bits", "k"), [(64, 44), (64, 64), (100, 30), (100, 100), (256, 36), (512, 30),
                                             (1024, 10), (16384, 64), (7, 7), (1, 1)])
def test_batch_positions_match_the_reference(num_bits, k):
    hasher = bloom.PositionHasher(KEY, num_bits)
    tokens = _TOKENS + [f"b:{i}" for i in range(200)]
    first = hasher.positions_matrix(tokens[:50], k)  # a second call mixes cached and new tokens
    matrix = hasher.positions_matrix(tokens[::-1], k)[::-1]
    assert matrix.shape == (len(tokens), k)
    assert matrix.tolist() == [reference_positions(KEY, t, num_bits, k) for t in tokens]
    assert first.tolist() == matrix[:50].tolist()
    assert hasher.positions_matrix([], k).shape == (0, k)


@pytest.mark.parametrize("num_bits", [64, 96, 1024])
def test_set_bits_matches_its_reference(num_bits):
    rng = np.random.default_rng(num_bits)
    positions = bloom.PositionHasher(KEY, num_bits).positions_matrix([f"t{i}" for i in range(30)], 12)
    owners = rng.integers(0, 20, 200)
    token_index = rng.integers(0, 30, 200)
    fast = np.zeros((20, num_bits // 8), np.uint8)
    slow = np.zeros((20, num_bits // 8), np.uint8)
    bloom.set_bits(fast, owners, token_index, positions)
    bloom.set_bits_reference(slow, owners, token_index, positions)
    assert np.array_equal(fast, slow)
    expected = [sorted({int(p) for o, t in zip(owners, token_index) if o == row for p in positions[t]})
                for row in range(20)]
    assert [sorted(s) for s in bits_of(fast)] == expected


@settings(max_examples=100, deadline=None)
@given(token=st.text(max_size=20), num_bits=st.integers(1, 4096), data=st.data())
def test_positions_match_the_reference_for_any_token(token, num_bits, data):
    k = data.draw(st.integers(1, min(num_bits, 64)))
    hasher = bloom.PositionHasher(KEY, num_bits)
    got = as_list(hasher.positions(token, k))
    assert got == reference_positions(KEY, token, num_bits, k)
    assert as_list(hasher.positions(token, k)) == got  # the cache gives the same answer


def test_positions_are_distinct_and_in_range():
    for num_bits, k in [(64, 64), (100, 40), (16384, 64)]:
        pos = as_list(bloom.PositionHasher(KEY, num_bits).positions("w:anna", k))
        assert len(set(pos)) == k and all(0 <= p < num_bits for p in pos)


def test_positions_are_roughly_uniform():
    num_bits, k, n_tokens = 100, 10, 3000  # 100 is not a power of two: exercises the rejection
    hasher = bloom.PositionHasher(KEY, num_bits)
    counts = np.zeros(num_bits)
    for i in range(n_tokens):
        np.add.at(counts, hasher.positions(f"b:{i}", k), 1)
    expected = n_tokens * k / num_bits
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 200  # 99 degrees of freedom: mean 99, sd 14


def test_positions_depend_on_the_key():
    a = bloom.PositionHasher(KEY, 1024)
    b = bloom.PositionHasher(OTHER_KEY, 1024)
    tokens = [f"b:{c}{d}" for c in "abcde" for d in "xyz"]
    same = sum(as_list(a.positions(t, 20)) == as_list(b.positions(t, 20)) for t in tokens)
    overlap = np.mean([len(set(as_list(a.positions(t, 20))) & set(as_list(b.positions(t, 20)))) for t in tokens])
    assert same == 0
    assert overlap < 3  # independent: 20 * 20 / 1024 ~ 0.4 expected


@pytest.mark.parametrize(("key", "num_bits", "k"), [(KEY[:15], 64, 1), (KEY, 0, 1), (KEY, 65537, 1),
                                                     (KEY, 64, 0), (KEY, 64, 65)])
def test_position_hasher_rejects_bad_arguments(key, num_bits, k):
    with pytest.raises(ValueError):
        bloom.PositionHasher(key, num_bits).positions("t", k)


def test_build_filters_sets_exactly_the_positions():
    hasher = bloom.PositionHasher(KEY, 128)
    token_lists = [[("a", 5), ("b", 7)], [], [("a", 5)], [("c", 128)]]
    filters = bloom.build_filters(token_lists, hasher)
    assert filters.dtype == np.uint8 and filters.shape == (4, 16)
    expected = [reference_positions(KEY, "a", 128, 5) + reference_positions(KEY, "b", 128, 7), [],
                reference_positions(KEY, "a", 128, 5), list(range(128))]
    assert np.array_equal(filters, reference_filter(expected, 128))
    assert bloom.build_filters([], hasher).shape == (0, 16)


# ------------------------------------------------------------------------------------ hardening


def random_filters(rows: int, num_bits: int, fill: float = 0.3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.packbits(rng.random((rows, num_bits)) < fill, axis=1)


def test_balance_gives_exactly_half_the_bits():
    filters = random_filters(50, 256)
    balanced = bloom.balance(filters)
    assert balanced.shape == (50, 64)
    assert (bloom.popcount(balanced) == 256).all()
    assert np.array_equal(balanced[:, :32], filters)


def test_xor_fold_halves():
    filters = random_filters(20, 512)
    folded = bloom.xor_fold(filters)
    assert folded.shape == (20, 32)
    bits = np.unpackbits(filters, axis=1)
    assert np.array_equal(np.unpackbits(folded, axis=1), bits[:, :256] ^ bits[:, 256:])


def test_keyed_permutation_is_a_deterministic_permutation():
    perm = bloom.keyed_permutation(KEY, 1024)
    assert sorted(perm.tolist()) == list(range(1024))
    assert np.array_equal(perm, bloom.keyed_permutation(KEY, 1024))
    assert not np.array_equal(perm, bloom.keyed_permutation(OTHER_KEY, 1024))
    assert (perm == np.arange(1024)).sum() < 10  # not (close to) the identity
    assert sorted(bloom.keyed_permutation(KEY, 2).tolist()) == [0, 1]


def test_keyed_permutations_are_unbiased():
    """Over many keys, every value lands in every slot about equally often (4 slots, 4000 draws)."""
    counts = np.zeros((4, 4))
    for i in range(4000):
        perm = bloom.keyed_permutation(i.to_bytes(16, "big"), 4)
        counts[np.arange(4), perm] += 1
    assert np.abs(counts - 1000).max() < 120


def test_permute_moves_bit_permutation_i_to_i():
    perm = bloom.keyed_permutation(KEY, 64)
    for source in (0, 13, 63):
        one = np.zeros((1, 8), np.uint8)
        one[0, source // 8] = 1 << (7 - source % 8)
        moved = bloom.permute(one, perm)
        assert bits_of(moved) == [{int(np.flatnonzero(perm == source)[0])}]
    filters = random_filters(10, 64)
    assert (bloom.popcount(bloom.permute(filters, perm)) == bloom.popcount(filters)).all()


def test_blip_flips_about_p_and_is_reproducible_per_seed():
    filters = random_filters(300, 1024, fill=0.5)
    seeds = [f"ref{i}" for i in range(300)]
    blipped = bloom.blip(filters, seeds, KEY, 0.1)
    flipped = bloom.popcount(np.bitwise_xor(filters, blipped)) / 1024
    assert 0.09 < flipped.mean() < 0.11
    assert flipped.min() > 0.04 and flipped.max() < 0.16
    assert np.array_equal(bloom.blip(filters, seeds, KEY, 0.1), blipped)
    # the flips of a row depend on its seed only, not on its position or neighbours
    reordered = bloom.blip(filters[::-1], seeds[::-1], KEY, 0.1)
    assert np.array_equal(reordered[::-1], blipped)
    same_seed = bloom.blip(filters[:2], ["ref0", "ref0"], KEY, 0.1)
    assert np.array_equal(np.bitwise_xor(same_seed[0], filters[0]), np.bitwise_xor(same_seed[1], filters[1]))
    other = bloom.blip(filters, seeds, OTHER_KEY, 0.1)
    assert not np.array_equal(other, blipped)
    assert filters.sum() == random_filters(300, 1024, fill=0.5).sum()  # input untouched


def test_blip_with_zero_probability_changes_nothing():
    filters = random_filters(5, 64)
    assert np.array_equal(bloom.blip(filters, ["a"] * 5, KEY, 0.0), filters)


# ----------------------------------------------------------------------------------------- dice


def reference_dice(a: set[int], b: set[int]) -> float:
    return 0.0 if not a and not b else 2 * len(a & b) / (len(a) + len(b))


def test_popcount_and_dice_match_a_reference():
    a = random_filters(40, 256, fill=0.3, seed=1)
    b = random_filters(40, 256, fill=0.5, seed=2)
    b[:5] = a[:5]
    a[5], b[5] = 0, 0
    a[6] = 0
    got = bloom.dice(a, b)
    sets_a, sets_b = bits_of(a), bits_of(b)
    assert bloom.popcount(a).tolist() == [len(s) for s in sets_a]
    assert got == pytest.approx([reference_dice(x, y) for x, y in zip(sets_a, sets_b)])
    assert (got[:5] == 1.0).all() and got[5] == 0.0 and got[6] == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sets(st.integers(0, 63)), st.sets(st.integers(0, 63))), min_size=1, max_size=10))
def test_dice_property(pairs):
    a = reference_filter([sorted(x) for x, _ in pairs], 64)
    b = reference_filter([sorted(y) for _, y in pairs], 64)
    assert bloom.dice(a, b) == pytest.approx([reference_dice(x, y) for x, y in pairs])
    assert np.array_equal(bloom.dice(a, b), bloom.dice(b, a))


def test_dice_of_token_sets_tracks_their_overlap():
    """Filters of token sets with more common tokens have higher Dice (random sets, fixed seed)."""
    rng = random.Random(5)
    hasher = bloom.PositionHasher(KEY, 1024)
    overlaps, dices = [], []
    for _ in range(100):
        common = rng.randint(0, 10)
        shared = [f"s{rng.random()}" for _ in range(common)]
        a = shared + [f"a{rng.random()}" for _ in range(10 - common)]
        b = shared + [f"b{rng.random()}" for _ in range(10 - common)]
        fa = bloom.build_filters([[(t, 15) for t in a]], hasher)
        fb = bloom.build_filters([[(t, 15) for t in b]], hasher)
        overlaps.append(common / 10)
        dices.append(float(bloom.dice(fa, fb)[0]))
    assert np.corrcoef(overlaps, dices)[0, 1] > 0.97
