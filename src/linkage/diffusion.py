"""Diffusion layer: every stored bit is the XOR of ``t`` keyed-chosen filter bits.

After Armknecht, Heng and Schnell (2023), "Strengthening privacy-preserving record linkage using
diffusion" (PoPETs 2023(2)). A Bloom filter bit says "some token of this value hashed here"; a
diffused bit mixes ``t`` such bits, so that no stored bit follows a token any more: pattern
mining finds no positions that every filter with a q-gram sets. The layer is linear over GF(2)
and deterministic, so equal values still give equal encodings and similar values similar ones.

Contract
--------
* **Taps** (:func:`diffusion_taps`): a ``(num_bits, t)`` int32 matrix; output bit ``j`` is the XOR
  of the input bits ``taps[j]``. Column ``c`` is the keyed Fisher-Yates permutation
  :func:`linkage.bloom.keyed_permutation` of ``range(num_bits)`` under the unit's diffusion key
  with label ``b"diffusion/" + str(c)``, so every input bit feeds exactly ``t`` outputs. Where an
  entry of column ``c`` repeats an earlier entry of its row, it is swapped with the entry of the
  nearest following row (cyclically) for which the swap leaves both rows without repeats; rows
  and columns are repaired in order. Output length = input length. Part of the export format.
* **Kernels**: :func:`diffuse` (compiled) and :func:`diffuse_reference`
  (plain Python on integers) map packed big-endian filters to packed filters of the same width
  and are tested equal.
* **Similarity**: when two inputs differ in a share ``h`` of their bits, the outputs differ in
  ``h' = (1 - (1 - 2h)^t) / 2`` of theirs in expectation (an output bit differs when an odd
  number of its taps do). Chance-corrected similarity ``c = 1 - h / h_random`` (the overlap
  beyond what two unrelated filters of the same fill share, :mod:`linkage.similarity`) becomes
  ``c' = c^t`` for half-full inputs; :func:`input_corrected` inverts that, :func:`estimated_dice`
  turns output Dice into the Dice of the half-full inputs, :func:`output_min_dice` maps a Dice
  threshold the other way (with a floor that keeps unrelated pairs rare). Unions of part filters
  (compound names) have no diffused counterpart: ``D(x | y)`` is not a function of ``D(x)`` and
  ``D(y)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numba
import numpy as np

from .bloom import keyed_permutation
from .config import MAX_DIFFUSION as MAX_TAPS

__all__ = ["diffusion_taps", "diffuse", "diffuse_reference", "diffusion_of", "output_hamming",
           "input_hamming", "noise_floor", "input_corrected", "estimated_dice", "output_min_dice",
           "diffused_blocking"]

#: Standard deviations of the noise of unrelated diffused filters that an estimated similarity
#: must exceed to count at all (:func:`input_corrected`).
NOISE_FLOOR_SD = 2.5
#: Standard deviations above the chance Dice of unrelated diffused filters that a mapped blocking
#: threshold never goes below (about 1 in 740 unrelated pairs passes at 3).
CHANCE_MARGIN_SD = 3.0


@lru_cache(maxsize=256)
def _cached_taps(key: bytes, num_bits: int, t: int) -> np.ndarray:
    columns = [keyed_permutation(key, num_bits, b"diffusion/" + str(c).encode()) for c in range(t)]
    taps = np.stack(columns, axis=1).astype(np.int32)
    for c in range(1, t):
        for j in range(num_bits):
            if taps[j, c] not in taps[j, :c]:
                continue
            for d in range(1, num_bits):
                k = (j + d) % num_bits
                if taps[k, c] not in taps[j, :c] and taps[j, c] not in taps[k, :c]:
                    taps[j, c], taps[k, c] = taps[k, c], taps[j, c]
                    break
    if any(len(set(row)) < t for row in taps.tolist()):
        raise ValueError(f"no taps of {t} distinct bits found for {num_bits}-bit filters; use t <= num_bits / 4")
    taps.setflags(write=False)
    return taps


def diffusion_taps(key: bytes, num_bits: int, t: int) -> np.ndarray:
    """The ``(num_bits, t)`` taps of one filter unit under its diffusion key (module contract)."""
    if not 1 <= t <= min(MAX_TAPS, num_bits):
        raise ValueError(f"t must be in [1, {min(MAX_TAPS, num_bits)}], got {t}")
    if num_bits < 2:
        raise ValueError(f"num_bits must be >= 2, got {num_bits}")
    return _cached_taps(bytes(key), int(num_bits), int(t))


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _diffuse_kernel(rows: np.ndarray, byte_of: np.ndarray, shift_of: np.ndarray, out: np.ndarray) -> None:
    """Serial on purpose: the encoder forks worker processes, which a threaded kernel forbids."""
    width = out.shape[1]
    t = byte_of.shape[1]
    for r in range(rows.shape[0]):
        row = rows[r]
        for ob in range(width):
            acc = 0
            for bit in range(8):
                j = ob * 8 + bit
                v = 0
                for c in range(t):
                    v ^= row[byte_of[j, c]] >> shift_of[j, c]
                acc |= (v & 1) << (7 - bit)
            out[r, ob] = acc


def diffuse(filters: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Diffused copy of packed uint8 ``filters`` (rows of ``taps.shape[0] / 8`` bytes)."""
    filters = np.ascontiguousarray(filters, dtype=np.uint8)
    if filters.ndim != 2 or filters.shape[1] * 8 != taps.shape[0]:
        raise ValueError(f"filters of {taps.shape[0]} bits expected, got shape {filters.shape}")
    out = np.empty_like(filters)
    if len(filters):
        taps = np.asarray(taps, np.int64)
        _diffuse_kernel(filters, taps >> 3, (7 - (taps & 7)).astype(np.uint8), out)
    return out


def diffuse_reference(filters: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Plain-Python :func:`diffuse`: bits of a row as one integer, outputs by their definition."""
    num_bits = taps.shape[0]
    rows = []
    for row in filters:
        value = int.from_bytes(row.tobytes(), "big")
        bits = [(value >> (num_bits - 1 - i)) & 1 for i in range(num_bits)]
        out = 0
        for j in range(num_bits):
            bit = 0
            for p in taps[j].tolist():
                bit ^= bits[p]
            out = (out << 1) | bit
        rows.append(out.to_bytes(num_bits // 8, "big"))
    return np.frombuffer(b"".join(rows), np.uint8).reshape(len(filters), num_bits // 8).copy()


def diffusion_of(schema: Any) -> int:
    """The effective ``t`` of a schema's stored filters (a :class:`~linkage.config.Schema` or its
    dict form): the diffusion's ``t``, doubled when XOR folding follows it (a folded bit is the XOR
    of two diffused bits); 0 when diffusion is off."""
    if schema is None:
        return 0
    hardening = schema.get("hardening") if isinstance(schema, Mapping) else getattr(schema, "hardening", None)
    if hardening is None:
        return 0
    if not isinstance(hardening, Mapping):
        hardening = {"diffusion": hardening.diffusion, "xor_fold": hardening.xor_fold}
    t = int(hardening.get("diffusion", 0) or 0)
    return 2 * t if t and hardening.get("xor_fold") else t


def output_hamming(h: Any, t: int) -> Any:
    """Expected share of differing output bits for a share ``h`` of differing input bits."""
    return (1.0 - (1.0 - 2.0 * np.asarray(h, np.float64)) ** t) / 2.0


def input_hamming(h_out: Any, t: int) -> Any:
    """Inverse of :func:`output_hamming` (a share at or above 1/2 maps to 1/2)."""
    return (1.0 - np.clip(1.0 - 2.0 * np.asarray(h_out, np.float64), 0.0, 1.0) ** (1.0 / t)) / 2.0


def noise_floor(num_bits: int) -> float:
    """Chance-corrected similarity that unrelated diffused filters of ``num_bits`` reach by noise
    alone: ``NOISE_FLOOR_SD`` standard deviations, ``NOISE_FLOOR_SD / sqrt(num_bits)``."""
    return NOISE_FLOOR_SD / float(np.sqrt(num_bits))


def input_corrected(c_out: Any, t: int, num_bits: int) -> Any:
    """Chance-corrected similarity of half-full inputs from that of their diffused outputs
    (``c' = c^t``, module contract), estimated above the noise of ``num_bits`` outputs:
    ``(max(c' - f, 0) / (1 - f)) ** (1 / t)`` with ``f = noise_floor(num_bits)``. The ``t``-th
    root lifts the noise of unrelated filters (a few hundredths) to tenths; the floor keeps them
    near 0 as on plain filters, and keeps 1 at 1."""
    floor = noise_floor(num_bits)
    shifted = np.clip((np.asarray(c_out, np.float64) - floor) / (1.0 - floor), 0.0, 1.0)
    return shifted ** (1.0 / t)


def estimated_dice(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray, t: int) -> np.ndarray:
    """Dice of the (half-full) inputs of diffused filters ``a[ia[k]]``, ``b[ib[k]]``, float32:
    ``1 - h = (1 + c) / 2`` with ``c`` the inputs' chance-corrected similarity estimated by
    :func:`input_corrected` from ``c' = 1 - 2 h'`` (1 for equal filters, 1/2 for unrelated ones,
    as plain Dice of half-full filters)."""
    from .similarity import dice_pairs, popcounts

    ia, ib = np.asarray(ia, np.int64), np.asarray(ib, np.int64)
    num_bits = a.shape[1] * 8
    dice = dice_pairs(a, b, ia, ib).astype(np.float64)
    total = popcounts(a)[ia].astype(np.float64) + popcounts(b)[ib]
    h_out = total * (1.0 - dice) / num_bits
    return ((1.0 + input_corrected(1.0 - 2.0 * h_out, t, num_bits)) / 2.0).astype(np.float32)


def output_min_dice(min_dice: float, t: int, num_bits: int) -> float:
    """The Dice threshold on diffused filters that stands for ``min_dice`` on half-full inputs,
    ``(1 + (2 min_dice - 1)^t) / 2``, and never below ``1/2 + CHANCE_MARGIN_SD * sd`` of the
    Dice of unrelated diffused filters (``sd = 1 / (2 sqrt(num_bits))``): the noise of the
    outputs makes a lower threshold admit a share of all pairs, not a few near matches."""
    if t <= 0:
        return float(min_dice)
    mapped = (1.0 + max(2.0 * min_dice - 1.0, 0.0) ** t) / 2.0
    floor = 0.5 + CHANCE_MARGIN_SD * 0.5 / np.sqrt(num_bits)
    return float(min(1.0, max(mapped, floor)))


def diffused_blocking(blocking: Any, t: int, num_bits: int) -> Any:
    """A :class:`~linkage.job_config.BlockingConfig` whose record-filter Dice thresholds
    (``all_pairs_min_dice``, ``pc_min_dice``, meant for plain filters) are mapped onto diffused
    filters of ``num_bits`` by :func:`output_min_dice`; unchanged when ``t`` is 0."""
    if not t:
        return blocking
    return dataclasses.replace(blocking, all_pairs_min_dice=output_min_dice(blocking.all_pairs_min_dice, t, num_bits),
                               pc_min_dice=output_min_dice(blocking.pc_min_dice, t, num_bits))
