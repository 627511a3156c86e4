"""linkage.block: key passes, LSH, all-pairs pass, union, pair completeness; job config parsing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import block
from linkage.errors import ConfigError
from linkage.job_config import BlockingConfig, parse_link_job


def _reference_pairs(rows, codes, n, max_block_size):
    blocks: dict[int, set[int]] = {}
    for r, c in zip(rows.tolist(), codes.tolist()):
        blocks.setdefault(c, set()).add(r)
    out = set()
    for members in blocks.values():
        if len(members) <= max_block_size:
            out |= {a * n + b for a, b in itertools.combinations(sorted(members), 2)}
    return np.array(sorted(out), np.int64)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 5)), max_size=60), st.integers(2, 8))
def test_pairs_in_blocks_equals_reference(items, cap):
    rows = np.array([r for r, _ in items], np.int64)
    codes = np.array([c for _, c in items], np.int64)
    got, stats = block.pairs_in_blocks(rows, codes, 13, max_block_size=cap)
    assert np.array_equal(got, _reference_pairs(rows, codes, 13, cap))
    assert stats["skipped_blocks"] >= 0


def test_block_stats_count_skipped_blocks():
    rows = np.arange(10, dtype=np.int64)
    codes = np.array([0] * 6 + [1] * 3 + [2], np.int64)
    pairs, stats = block.pairs_in_blocks(rows, codes, 10, max_block_size=5)
    assert len(pairs) == 3  # only the block of three
    assert stats == {"blocks": 2, "largest_block": 6, "skipped_blocks": 1, "skipped_records": 6}


def test_key_codes_equal_for_equal_digests():
    digests = np.array([[1] * 16, [2] * 16, [1] * 16], np.uint8)
    codes = block.key_codes(digests)
    assert codes[0] == codes[2] != codes[1]
    assert len(block.key_codes(np.zeros((0, 16), np.uint8))) == 0


def _noisy_filters(n_persons, copies, flip, seed, width=128):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (n_persons, width), dtype=np.uint8)
    rows, person = [], []
    for c in range(copies):
        noise = (rng.random((n_persons, width * 8)) < flip)
        rows.append(base ^ np.packbits(noise, axis=1))
        person.append(np.arange(n_persons))
    return np.concatenate(rows), np.concatenate(person)


def test_lsh_finds_near_duplicates_and_few_random_pairs():
    clk, person = _noisy_filters(400, 2, 0.04, seed=1)
    n = len(clk)
    cfg = BlockingConfig(lsh_bands=24, lsh_bits_per_band=16, all_pairs_max=0, pc_sample=0)
    cands = block.candidate_pairs(n, {}, clk, None, cfg)
    same = person[cands.ia] == person[cands.ib]
    assert same.sum() / 400 > 0.95  # blocking recall on generated data
    assert cands.count < 0.01 * cands.total_pairs
    assert [p.name for p in cands.passes] == ["lsh"]


def test_all_pairs_pass_for_small_inputs_and_union_of_passes():
    clk, person = _noisy_filters(50, 2, 0.02, seed=2)
    n = len(clk)
    rows = np.arange(n, dtype=np.int64)
    keys = {"k": (rows, person.astype(np.int64))}  # a perfect key
    cfg = BlockingConfig(lsh_bands=0, all_pairs_max=10**6, all_pairs_min_dice=0.9, pc_sample=0)
    cands = block.candidate_pairs(n, keys, clk, None, cfg)
    names = [p.name for p in cands.passes]
    assert names == ["key:k", "all_pairs"]
    codes = cands.ia * n + cands.ib
    assert np.all(np.diff(codes) > 0) and np.all(cands.ia < cands.ib)
    assert set(codes.tolist()) == set(cands.pass_pairs["key:k"].tolist()) | set(cands.pass_pairs["all_pairs"].tolist())
    assert cands.passes[1].new_pairs == 0  # the key already found every true pair
    assert 0.0 < cands.reduction_ratio < 1.0


def test_pair_completeness_estimate_reports_misses():
    clk, person = _noisy_filters(300, 2, 0.03, seed=3)
    n = len(clk)
    rows = np.arange(n, dtype=np.int64)
    half = (person % 2 == 0)  # a key that only blocks even persons together
    codes = np.where(half, person, -1 - rows).astype(np.int64)
    cfg = BlockingConfig(lsh_bands=0, all_pairs_max=0)
    cands = block.candidate_pairs(n, {"k": (rows, codes)}, clk, None, cfg)
    est = block.estimate_pair_completeness(cands, clk, None, sample=600, min_dice=0.8, seed=1)
    assert est["probable_matches"] >= 280
    assert 0.35 < est["union"] < 0.65 and est["key:k"] == est["union"]


def test_empty_and_single_record_inputs():
    cfg = BlockingConfig(pc_sample=0)
    clk = np.zeros((1, 16), np.uint8)
    cands = block.candidate_pairs(1, {}, clk, None, cfg)
    assert cands.count == 0 and cands.total_pairs == 0 and cands.reduction_ratio == 0.0


def test_link_job_defaults_and_errors_name_the_path():
    assert parse_link_job({"version": 1}).blocking == BlockingConfig()
    with pytest.raises(ConfigError) as err:
        parse_link_job({"version": 1, "blocking": {"lsh_bands": 300, "typo": 1},
                        "comparison": {"levels": {"name": [0.9, 0.5]}},
                        "scoring": {"match_threshold": 0.5, "review_threshold": 0.8}})
    text = str(err.value) + " ".join(err.value.problems)
    for path in ("blocking.lsh_bands", "blocking.typo", "comparison.levels.name", "scoring.review_threshold"):
        assert path in text
    with pytest.raises(ConfigError):
        parse_link_job({"version": 2})
    with pytest.raises(ConfigError):
        parse_link_job({"scoring": {"match_threshold": 0.9}})  # both or neither


def test_weighted_completeness_counts_the_pairs_blocking_proposed_with_an_interval():
    n = 100
    found = np.array([1 * n + 2, 3 * n + 4, 5 * n + 6], np.int64)
    candidates = block.Candidates(found // n, found % n, (), n * (n - 1) // 2, {"key:x": found[:2]})
    pairs = np.array([1 * n + 2, 3 * n + 4, 5 * n + 6, 7 * n + 8], np.int64)  # the last one was missed
    owner = np.array([0, 1, 2, 3])
    out = block.weighted_completeness(pairs, owner, np.ones(4), 4, candidates, n, seed=1)
    assert out["union"] == 0.75 and out["key:x"] == 0.5 and out["matches_in_sample"] == 4
    low, high = out["interval"]
    assert 0.0 <= low <= 0.75 <= high <= 1.0
    again = block.weighted_completeness(pairs, owner, np.ones(4), 4, candidates, n, seed=1)
    assert again == out  # seeded
    assert block.weighted_completeness(pairs[:0], owner[:0], np.ones(0), 4, candidates, n, seed=1) == {
        "matches_in_sample": 0.0}
