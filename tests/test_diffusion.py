"""linkage.diffusion: taps, the fast kernel against its reference, linearity, the similarity maps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from linkage import similarity
from linkage.diffusion import (CHANCE_MARGIN_SD, diffuse, diffuse_reference, diffused_blocking, diffusion_of,
                               diffusion_taps, estimated_dice, input_corrected, input_hamming, noise_floor,
                               output_hamming, output_min_dice)
from linkage.job_config import BlockingConfig
from linkage.keys import ProjectSecret

KEY = ProjectSecret(bytes(range(32))).subkey("diffuse/name")
OTHER_KEY = ProjectSecret(bytes(range(100, 132))).subkey("diffuse/name")


def half_full(rng: np.random.Generator, rows: int, num_bits: int) -> np.ndarray:
    return rng.random((rows, num_bits)) < 0.5


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([16, 64, 128, 512]), st.integers(2, 16), st.integers(0, 2**32 - 1), st.integers(0, 12))
def test_fast_kernel_equals_reference(num_bits, t, seed, rows):
    t = min(t, num_bits // 4)
    taps = diffusion_taps(KEY, num_bits, t)
    filters = np.random.default_rng(seed).integers(0, 256, (rows, num_bits // 8), dtype=np.uint8)
    assert_array_equal(diffuse(filters, taps), diffuse_reference(filters, taps))


@pytest.mark.parametrize(("num_bits", "t"), [(64, 3), (128, 5), (512, 3), (1024, 16), (16, 4)])
def test_taps_read_distinct_bits_and_use_every_bit_t_times(num_bits, t):
    taps = diffusion_taps(KEY, num_bits, t)
    assert taps.shape == (num_bits, t)
    assert all(len(set(row)) == t for row in taps.tolist())
    for column in taps.T:  # every column is a permutation: each input bit feeds exactly t outputs
        assert sorted(column.tolist()) == list(range(num_bits))


def test_taps_are_a_keyed_deterministic_secret():
    first = diffusion_taps(KEY, 512, 3)
    assert_array_equal(first, diffusion_taps(bytes(KEY), 512, 3))
    assert not np.array_equal(first, diffusion_taps(OTHER_KEY, 512, 3))
    assert not first.flags.writeable
    with pytest.raises(ValueError, match="t must be in"):
        diffusion_taps(KEY, 512, 0)
    with pytest.raises(ValueError, match="t must be in"):
        diffusion_taps(KEY, 512, 17)


def test_diffusion_is_linear_and_keeps_equal_values_equal():
    rng = np.random.default_rng(1)
    taps = diffusion_taps(KEY, 256, 3)
    x, y = (np.packbits(half_full(rng, 20, 256), axis=1) for _ in range(2))
    assert_array_equal(diffuse(x ^ y, taps), diffuse(x, taps) ^ diffuse(y, taps))
    assert not diffuse(np.zeros((1, 32), np.uint8), taps).any()
    assert_array_equal(diffuse(x, taps), diffuse(x.copy(), taps))
    # no stored bit is a filter bit: a single input bit shows up in exactly t output bits
    one = np.zeros((1, 32), np.uint8)
    one[0, 0] = 0x80
    assert np.unpackbits(diffuse(one, taps)).sum() == 3
    with pytest.raises(ValueError, match="filters of 256 bits"):
        diffuse(np.zeros((2, 16), np.uint8), taps)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 0.5), st.integers(2, 16))
def test_inverse_hamming_map_undoes_the_forward_map(h, t):
    h_out = output_hamming(h, t)
    assert h <= h_out + 1e-12 and 0.0 <= h_out <= 0.5  # diffusion spreads every difference
    if h_out < 0.5 - 1e-9:  # numerically invertible below the chance level
        assert input_hamming(h_out, t) == pytest.approx(h, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1.0, 1.0), min_size=2, max_size=20), st.integers(2, 16), st.sampled_from([64, 512, 1024]))
def test_input_corrected_is_monotone_from_zero_to_one(values, t, num_bits):
    values = np.sort(np.asarray(values))
    estimated = input_corrected(values, t, num_bits)
    assert (np.diff(estimated) >= 0).all() and (0.0 <= estimated).all() and (estimated <= 1.0).all()
    assert input_corrected(1.0, t, num_bits) == 1.0
    assert input_corrected(noise_floor(num_bits), t, num_bits) == 0.0  # noise of unrelated filters counts nothing
    # far above the noise, the estimate inverts c' = c^t
    c = 0.9
    lifted = c ** t * (1 - noise_floor(num_bits)) + noise_floor(num_bits)
    assert input_corrected(lifted, t, num_bits) == pytest.approx(c, abs=1e-9)


@pytest.mark.parametrize("t", [2, 3, 5])
@pytest.mark.parametrize("h", [0.05, 0.1, 0.25])
def test_measured_output_differences_follow_the_map(t, h):
    rng = np.random.default_rng(t * 100 + int(h * 100))
    x = half_full(rng, 400, 512)
    y = x ^ (rng.random(x.shape) < h)
    taps = diffusion_taps(KEY, 512, t)
    dx, dy = diffuse(np.packbits(x, axis=1), taps), diffuse(np.packbits(y, axis=1), taps)
    measured = np.unpackbits(dx ^ dy, axis=1).mean()
    assert measured == pytest.approx(output_hamming(h, t), abs=0.01)


def test_estimated_dice_of_diffused_filters_tracks_plain_dice():
    rng = np.random.default_rng(7)
    x = half_full(rng, 300, 512)
    y = x ^ (rng.random(x.shape) < 0.1)  # a spelling-variant distance: plain Dice about 0.9
    z = half_full(rng, 300, 512)  # unrelated: plain Dice about 0.5
    taps = diffusion_taps(KEY, 512, 3)
    dx, dy, dz = (diffuse(np.packbits(v, axis=1), taps) for v in (x, y, z))
    index = np.arange(300)
    assert (estimated_dice(dx, dx, index, index, 3) == 1.0).all()
    near = estimated_dice(dx, dy, index, index, 3)
    far = estimated_dice(dx, dz, index, index, 3)
    plain_near = similarity.dice_pairs(np.packbits(x, axis=1), np.packbits(y, axis=1), index, index)
    assert abs(float(near.mean()) - float(plain_near.mean())) < 0.03
    assert float(far.mean()) < 0.6 and float(np.median(far)) == pytest.approx(0.5, abs=0.01)
    assert (near > far).mean() > 0.99


def test_part_set_score_of_diffused_parts_estimates_that_of_the_inputs():
    rng = np.random.default_rng(3)
    x = half_full(rng, 200, 512)
    y = x ^ (rng.random(x.shape) < 0.1)
    z = half_full(rng, 200, 512)
    taps = diffusion_taps(KEY, 512, 3)
    plain = np.stack([np.packbits(v, axis=1) for v in (x, y, z)], axis=1)  # (200, 3 parts, 64)
    diffused = np.stack([diffuse(plain[:, p], taps) for p in range(3)], axis=1)
    present = np.ones((200, 1), bool)
    index = np.arange(200)

    def score(parts: np.ndarray, a: int, b: int, t: int) -> np.ndarray:
        return similarity.part_set_dice(parts[:, a : a + 1], present, parts[:, b : b + 1], present, index, index,
                                        diffusion=t)

    assert (score(diffused, 0, 0, 3) == 1.0).all()
    # the estimate sits a few hundredths low at this distance: the price of the noise floor
    assert -0.05 < float(score(diffused, 0, 1, 3).mean()) - float(score(plain, 0, 1, 0).mean()) < 0.0
    assert float(score(diffused, 0, 2, 3).mean()) < 0.1  # unrelated parts stay near 0, as on plain filters
    parts_a, parts_b = diffused[:30], diffused[30:60]
    present_a = rng.random((30, 3)) < 0.7
    present_b = rng.random((30, 3)) < 0.7
    ia, ib = rng.integers(0, 30, 100), rng.integers(0, 30, 100)
    assert_array_equal(similarity.part_set_dice(parts_a, present_a, parts_b, present_b, ia, ib, diffusion=3),
                       similarity.part_set_dice_reference(parts_a, present_a, parts_b, present_b, ia, ib,
                                                          diffusion=3))


def test_blocking_thresholds_are_mapped_and_kept_above_chance():
    floor = 0.5 + CHANCE_MARGIN_SD * 0.5 / np.sqrt(1024)
    assert output_min_dice(0.65, 0, 1024) == 0.65
    assert output_min_dice(0.65, 3, 1024) == pytest.approx(floor)  # (1 + 0.3^3) / 2 would admit noise
    assert output_min_dice(0.95, 3, 1024) == pytest.approx((1 + 0.9**3) / 2)
    assert output_min_dice(1.0, 5, 1024) == 1.0
    blocking = BlockingConfig()
    assert diffused_blocking(blocking, 0, 1024) is blocking
    mapped = diffused_blocking(blocking, 3, 1024)
    assert mapped.all_pairs_min_dice == output_min_dice(blocking.all_pairs_min_dice, 3, 1024)
    assert mapped.pc_min_dice == output_min_dice(blocking.pc_min_dice, 3, 1024)
    assert mapped.lsh_bands == blocking.lsh_bands


def test_diffusion_of_a_schema_counts_a_fold_after_it():
    assert diffusion_of(None) == 0
    assert diffusion_of({"hardening": {"balance": True}}) == 0
    assert diffusion_of({"hardening": {"diffusion": 3}}) == 3
    assert diffusion_of({"hardening": {"diffusion": 3, "xor_fold": True}}) == 6
    assert diffusion_of({"hardening": {"xor_fold": True}}) == 0
