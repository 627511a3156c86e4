"""Similarity kernels against their plain references (one parametrised check), Dice properties, edges.

The fast kernels must agree exactly with the plain Python definitions: same pairs, same float32
values, whatever the filter width (whole 64-bit words or not) and the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from linkage import similarity as sim

WIDTHS = [2, 6, 8, 16, 128]  # bytes per filter; 2 and 6 are not whole 64-bit words
THRESHOLDS = [0.0, 0.3, 0.5, 0.7, 0.8, 1.0]


def make_filters(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    """Rows of varied fill with an empty row, a duplicate and near-duplicates."""
    fill = rng.uniform(0.05, 0.7, size=(rows, 1))
    out = np.packbits(rng.random((rows, width * 8)) < fill, axis=1)
    if rows >= 6:
        out[0] = 0
        out[1] = out[2]
        out[3] = out[2] & rng.integers(0, 256, width, dtype=np.uint8)  # a subset of row 2
        out[4] = out[2] ^ (rng.random(width) < 0.1).astype(np.uint8)  # a few bits flipped
    return out


def make_parts(rng: np.random.Generator, records: int, slots: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Name parts (records, slots, width) with random presence; absent slots hold garbage."""
    parts = np.stack([make_filters(rng, records, width) for _ in range(slots)], axis=1)
    present = rng.random((records, slots)) < 0.7
    present[0] = False  # a record without any part
    return parts, present


def brute_force(a: np.ndarray, b: np.ndarray | None, threshold: float) -> tuple[np.ndarray, ...]:
    """All pairs (i < j within ``a`` when ``b`` is None) scored by dice_pairs, filtered."""
    rows_b = len(a) if b is None else len(b)
    ia, ib = (x.ravel() for x in np.meshgrid(np.arange(len(a)), np.arange(rows_b), indexing="ij"))
    if b is None:
        ia, ib = ia[ia < ib], ib[ia < ib]
    dice = sim.dice_pairs(a, a if b is None else b, ia, ib)
    keep = dice >= np.float32(threshold)
    return ia[keep], ib[keep], dice[keep]


def assert_same_result(got: tuple[np.ndarray, ...], expected: tuple[np.ndarray, ...]) -> None:
    assert [x.dtype for x in got] == [np.dtype(np.int64), np.dtype(np.int64), np.dtype(np.float32)]
    for x, y in zip(got, expected):
        assert_array_equal(x, y)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kernel", ["dice_pairs", "dice_all_pairs", "dice_all_pairs_within", "part_set_dice"])
def test_fast_kernel_equals_reference(kernel: str, width: int) -> None:
    rng = np.random.default_rng(width)
    a, b = make_filters(rng, 40, width), make_filters(rng, 37, width)
    b[5:8] = a[5:8]  # rows shared by both sides
    if kernel == "dice_pairs":
        ia, ib = rng.integers(0, len(a), 400), rng.integers(0, len(b), 400)
        assert_array_equal(sim.dice_pairs(a, b, ia, ib), sim.dice_pairs_reference(a, b, ia, ib))
        assert_array_equal(sim.dice_pairs(a, a, ia, ia[::-1]), sim.dice_pairs_reference(a, a, ia, ia[::-1]))
    elif kernel == "dice_all_pairs":
        for threshold in THRESHOLDS:
            assert_same_result(sim.dice_all_pairs(a, b, threshold=threshold),
                               sim.dice_all_pairs_reference(a, b, threshold=threshold))
    elif kernel == "dice_all_pairs_within":
        for threshold in THRESHOLDS:
            assert_same_result(sim.dice_all_pairs(a, threshold=threshold),
                               sim.dice_all_pairs_reference(a, threshold=threshold))
    else:
        parts_a, present_a = make_parts(rng, 30, 4, width)
        parts_b, present_b = make_parts(rng, 25, 3, width)
        parts_b[5:8, :3], present_b[5:8] = parts_a[5:8, :3], present_a[5:8, :3]
        ia, ib = rng.integers(0, 30, 300), rng.integers(0, 25, 300)
        got = sim.part_set_dice(parts_a, present_a, parts_b, present_b, ia, ib)
        assert_array_equal(got, sim.part_set_dice_reference(parts_a, present_a, parts_b, present_b, ia, ib))
        assert np.isnan(got[ia == 0]).all() and np.isnan(got[ib == 0]).all()


def filter_matrices(max_rows: int = 12) -> st.SearchStrategy[np.ndarray]:
    """Small uint8 filter matrices of one of the widths, sparse or dense."""
    def build(width: int) -> st.SearchStrategy[np.ndarray]:
        rows = st.lists(st.binary(min_size=width, max_size=width), max_size=max_rows)
        return rows.map(lambda r: np.frombuffer(b"".join(r), np.uint8).reshape(len(r), width))
    return st.sampled_from([2, 6, 8, 16]).flatmap(build)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=8, max_size=8), st.binary(min_size=8, max_size=8), st.sampled_from([2, 6, 8]))
def test_dice_is_symmetric_bounded_and_one_on_identity(x: bytes, y: bytes, width: int) -> None:
    rows = np.frombuffer(x[:width] + y[:width], np.uint8).reshape(2, width)
    forward, backward, same = sim.dice_pairs(rows, rows, [0, 1, 0], [1, 0, 0])
    assert forward == backward and 0.0 <= forward <= 1.0
    assert same == (1.0 if rows[0].any() else 0.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.sampled_from([2, 6, 16]))
def test_part_set_dice_ignores_slot_order_and_padding(seed: int, slots: int, width: int) -> None:
    rng = np.random.default_rng(seed)
    parts, present = make_parts(rng, 8, slots, width)
    order = np.stack([rng.permutation(slots) for _ in range(8)])  # per record: new slot of each part
    moved = np.take_along_axis(parts, order[:, :, None], axis=1)
    moved_present = np.take_along_axis(present, order, axis=1)
    moved[~moved_present] = rng.integers(0, 256, (int((~moved_present).sum()), width), dtype=np.uint8)
    ia, ib = np.repeat(np.arange(8), 8), np.tile(np.arange(8), 8)
    before = sim.part_set_dice(parts, present, parts, present, ia, ib)
    after = sim.part_set_dice(moved, moved_present, parts, present, ia, ib)
    assert_allclose(after, before, rtol=0, atol=1e-6, equal_nan=True)
    assert_allclose(sim.part_set_dice(parts, present, moved, moved_present, ib, ia), before, atol=1e-6, equal_nan=True)


@settings(max_examples=150, deadline=None)
@given(filter_matrices(), st.integers(0, 12), st.data(),
       st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
def test_dice_all_pairs_equals_filtered_brute_force(a: np.ndarray, rows_b: int, data: st.DataObject,
                                                    threshold: float) -> None:
    b = data.draw(st.lists(st.binary(min_size=a.shape[1], max_size=a.shape[1]), min_size=rows_b, max_size=rows_b))
    b = np.frombuffer(b"".join(b), np.uint8).reshape(rows_b, a.shape[1])
    assert_same_result(sim.dice_all_pairs(a, b, threshold=threshold), brute_force(a, b, threshold))
    assert_same_result(sim.dice_all_pairs(a, threshold=threshold), brute_force(a, None, threshold))


def test_edges_and_errors() -> None:
    rng = np.random.default_rng(1)
    a, b = make_filters(rng, 9, 6), make_filters(rng, 7, 6)
    for left, right in [(a[:0], b), (a, b[:0]), (a[:0], None), (a[:1], None)]:
        assert [len(x) for x in sim.dice_all_pairs(left, right, threshold=0.0)] == [0, 0, 0]
    assert_same_result(sim.dice_all_pairs(a[:1], b[:1], threshold=0.0), brute_force(a[:1], b[:1], 0.0))
    assert len(sim.dice_all_pairs(a, b, threshold=0.0)[0]) == 9 * 7
    assert len(sim.dice_all_pairs(a, threshold=0.0)[0]) == 9 * 8 // 2
    assert sim.dice_pairs(a, b, [], []).shape == (0,)
    assert_array_equal(sim.popcounts(a), np.unpackbits(a, axis=1).sum(1))
    assert sim.popcounts(a).dtype == np.int32
    with pytest.raises(ValueError, match="threshold"):
        sim.dice_all_pairs(a, b, threshold=1.5)
    with pytest.raises(ValueError, match="one width"):
        sim.dice_all_pairs(a, make_filters(rng, 3, 8), threshold=0.5)
    with pytest.raises(IndexError, match="ib"):
        sim.dice_pairs(a, b, [0], [7])
    with pytest.raises(TypeError):
        sim.dice_pairs(a.astype(np.int64), b, [0], [0])


def test_many_tiles_and_thread_count_give_one_result() -> None:
    rng = np.random.default_rng(2)
    a, b = make_filters(rng, 70, 128), make_filters(rng, 2100, 128)  # b spans several column tiles
    b[::97] = a[: len(b[::97])]
    threads = numba.get_num_threads()
    try:
        for threshold in (0.3, 0.6, 0.8):
            expected = brute_force(a, b, threshold)
            numba.set_num_threads(1)
            assert_same_result(sim.dice_all_pairs(a, b, threshold=threshold), expected)
            numba.set_num_threads(threads)
            assert_same_result(sim.dice_all_pairs(a, b, threshold=threshold), expected)
        assert_same_result(sim.dice_all_pairs(b[:600], threshold=0.6), brute_force(b[:600], None, 0.6))
    finally:
        numba.set_num_threads(threads)


# ------------------------------------------------------------------------------ part sets


def part_sets(max_records: int = 6, max_slots: int = 4) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """(parts, present) of a few records; every present part has at least one bit set."""
    def build(shape: tuple[int, int, int]) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
        records, slots, width = shape
        data = st.binary(min_size=records * slots * width, max_size=records * slots * width)
        mask = st.lists(st.booleans(), min_size=records * slots, max_size=records * slots)

        def make(raw: bytes, here: list[bool]) -> tuple[np.ndarray, np.ndarray]:
            parts = np.frombuffer(raw, np.uint8).reshape(records, slots, width).copy()
            present = np.array(here, bool).reshape(records, slots)
            present[:, 0] = True  # every record has a part
            parts[..., 0] |= 1  # and no present part is empty
            return parts, present

        return st.builds(make, data, mask)

    return st.tuples(st.integers(1, max_records), st.integers(1, max_slots), st.sampled_from([2, 6, 8])).flatmap(build)


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(np.arange(n), n), np.tile(np.arange(n), n)


@settings(max_examples=80, deadline=None)
@given(part_sets())
def test_part_set_dice_symmetric_bounded_and_one_on_identity(sets: tuple[np.ndarray, np.ndarray]) -> None:
    parts, present = sets
    ia, ib = _all_pairs(len(parts))
    scores = sim.part_set_dice(parts, present, parts, present, ia, ib)
    assert_array_equal(scores, sim.part_set_dice(parts, present, parts, present, ib, ia))
    assert ((scores >= 0) & (scores <= 1)).all()
    assert_allclose(scores[ia == ib], 1.0, rtol=0, atol=1e-6)
    assert_array_equal(scores, sim.part_set_dice_reference(parts, present, parts, present, ia, ib))


@settings(max_examples=80, deadline=None)
@given(part_sets(max_records=4, max_slots=5), st.data())
def test_part_set_dice_subset_scores_close_to_a_match(sets: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    parts, present = sets
    # record i against itself with some of its parts dropped (at least one kept): a missing part
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=present.size, max_size=present.size))).reshape(present.shape)
    subset = present & keep
    subset[:, 0] = present[:, 0]
    idx = np.arange(len(parts))
    scores = sim.part_set_dice(parts, subset, parts, present, idx, idx)
    assert (scores >= sim.SUBSET_WEIGHT - 1e-6).all()
    assert_array_equal(scores, sim.part_set_dice(parts, present, parts, subset, idx, idx))


def test_part_set_dice_union_of_two_parts_matches_a_compound() -> None:
    rng = np.random.default_rng(3)
    head, tail, other = (np.packbits(rng.random(512) < 0.3) for _ in range(3))
    fused = head | tail
    a = np.stack([fused, other])[None]  # one record: "headtail other"
    b = np.stack([head, tail, other])[None]  # "head tail other"
    score = sim.part_set_dice(a, np.ones((1, 2), bool), b, np.ones((1, 3), bool), [0], [0])
    assert score[0] > 0.95


def test_part_set_dice_is_chance_corrected() -> None:
    rng = np.random.default_rng(4)
    dense = np.packbits(rng.random((200, 512)) < 0.8, axis=1)[:, None, :]  # unrelated, nearly full parts
    present = np.ones((200, 1), bool)
    ia, ib = np.arange(0, 200, 2), np.arange(1, 200, 2)
    plain = sim.dice_pairs(dense[:, 0], dense[:, 0], ia, ib)
    corrected = sim.part_set_dice(dense, present, dense, present, ia, ib)
    assert plain.mean() > 0.75 and corrected.mean() < 0.1
