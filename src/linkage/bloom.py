"""Keyed Bloom filters: bit positions from a keyed PRF, filter matrices and hardening.

Contract
--------
* Positions of a token: the output stream of keyed BLAKE2b
  ``BLAKE2b-512(key=field_key, data=uint32_be(counter) || utf8(token))`` for counter 0, 1, ... is read as
  big-endian 16-bit words; a word ``w`` is rejected when ``w >= 65536 - 65536 % num_bits`` (so
  ``w % num_bits`` is exactly uniform) and accepted positions are kept until ``k`` *distinct*
  ones are found. Positions are independent for every token: no double hashing, no shared
  arithmetic structure. This definition is part of the export format: it must never change.
* Filters are ``numpy.uint8`` matrices, one row per value, packed big-endian
  (bit ``i`` is ``row[i // 8] >> (7 - i % 8) & 1``), exactly as stored in exports.
* Hardening functions are pure: the same key and input give the same output on any machine.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable, Sequence

import numba
import numpy as np

from ._blake2b import keyed_digests

__all__ = [
    "PositionHasher",
    "set_bits",
    "set_bits_reference",
    "or_into_rows",
    "segment_order",
    "build_filters",
    "balance",
    "xor_fold",
    "keyed_permutation",
    "permute",
    "blip",
    "popcount",
    "dice",
]

_WORD_SPACE = 1 << 16
_WORDS = struct.Struct(">32H")  # a 64-byte digest as big-endian 16-bit words


class PositionHasher:
    """Maps tokens to ``k`` distinct positions in ``[0, num_bits)`` under one field key (cached)."""

    def __init__(self, key: bytes, num_bits: int) -> None:
        if not 1 <= num_bits <= _WORD_SPACE:
            raise ValueError(f"num_bits must be in [1, {_WORD_SPACE}], got {num_bits}")
        if len(key) < 16:
            raise ValueError("a field key must be at least 16 bytes")
        self._key = key
        self.num_bits = num_bits
        self._limit = _WORD_SPACE - _WORD_SPACE % num_bits
        # per k: token -> row of the cached (tokens, k) position matrix
        self._index: dict[int, dict[str, int]] = {}
        self._matrix: dict[int, np.ndarray] = {}

    def positions(self, token: str, k: int) -> list[int]:
        """The first ``k`` distinct positions of ``token`` (``k <= num_bits``), in draw order.

        This is the reference definition; :meth:`positions_matrix` computes the same in batch.
        """
        if not 1 <= k <= self.num_bits:
            raise ValueError(f"k must be in [1, num_bits], got {k}")
        data = token.encode("utf-8")
        found: dict[int, None] = {}
        counter = 0
        while len(found) < k:
            digest = hashlib.blake2b(counter.to_bytes(4, "big") + data, key=self._key, digest_size=64).digest()
            for word in _WORDS.unpack(digest):
                if word < self._limit:
                    found[word % self.num_bits] = None
                    if len(found) == k:
                        break
            counter += 1
        return list(found)

    def positions_matrix(self, tokens: Sequence[str], k: int) -> np.ndarray:
        """(len(tokens), k) int64 matrix whose row ``i`` is ``positions(tokens[i], k)``."""
        if not 1 <= k <= self.num_bits:
            raise ValueError(f"k must be in [1, num_bits], got {k}")
        index = self._index.setdefault(k, {})
        new = [t for t in dict.fromkeys(tokens) if t not in index]
        if new:
            rows = self._batch(new, k)
            start = len(index)
            index.update(zip(new, range(start, start + len(new))))
            old = self._matrix.get(k)
            self._matrix[k] = rows if old is None else np.concatenate([old, rows])
        if not tokens:
            return np.zeros((0, k), np.int64)
        return self._matrix[k][[index[t] for t in tokens]]

    def _batch(self, tokens: Sequence[str], k: int) -> np.ndarray:
        """Positions of new tokens: a few digests each, first-k-distinct selection in numpy."""
        expected_draws = sum(self.num_bits / (self.num_bits - i) for i in range(k))
        digests_per_token = max(1, math.ceil(1.3 * expected_draws * _WORD_SPACE / self._limit / 32))
        encoded = [t.encode("utf-8") for t in tokens]
        blocks = []
        for counter in range(digests_per_token):
            prefix = counter.to_bytes(4, "big")
            digests = keyed_digests([prefix + data for data in encoded], self._key, 64)
            blocks.append(digests.view(">u2").reshape(len(tokens), 32))
        words = np.concatenate(blocks, axis=1).astype(np.int64)
        out, complete = _first_distinct_kernel(words, self._limit, self.num_bits, k)
        for i in np.flatnonzero(~complete).tolist():  # rare: the first digests held too few
            out[i] = self.positions(tokens[i], k)
        return out


@numba.njit(cache=True, nogil=True)
def _first_distinct_kernel(words: np.ndarray, limit: int, num_bits: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the first ``k`` distinct ``w % num_bits`` over accepted words ``w < limit``."""
    rows = words.shape[0]
    out = np.zeros((rows, k), np.int64)
    complete = np.zeros(rows, np.bool_)
    stamp = np.zeros(num_bits, np.int64)
    for r in range(rows):
        found = 0
        for j in range(words.shape[1]):
            w = words[r, j]
            if w < limit:
                p = w % num_bits
                if stamp[p] != r + 1:
                    stamp[p] = r + 1
                    out[r, found] = p
                    found += 1
                    if found == k:
                        complete[r] = True
                        break
    return out, complete


@numba.njit(cache=True, nogil=True)
def _set_bits_kernel(packed: np.ndarray, owners: np.ndarray, token_index: np.ndarray, positions: np.ndarray) -> None:
    k = positions.shape[1]
    for i in range(owners.shape[0]):
        row = owners[i]
        token = token_index[i]
        for j in range(k):
            p = positions[token, j]
            packed[row, p >> 3] |= np.uint8(0x80 >> (p & 7))


def set_bits(packed: np.ndarray, owners: np.ndarray, token_index: np.ndarray, positions: np.ndarray) -> None:
    """Set, in packed filters, the positions of token ``token_index[i]`` in row ``owners[i]``.

    ``positions`` is a (tokens, k) matrix from :meth:`PositionHasher.positions_matrix`.
    Compiled kernel; :func:`set_bits_reference` is the plain definition it is tested against.
    """
    if len(owners):
        _set_bits_kernel(packed, owners.astype(np.int64, copy=False), token_index.astype(np.int64, copy=False),
                         positions.astype(np.int64, copy=False))


@numba.njit(cache=True, nogil=True)
def _or_into_rows_kernel(out: np.ndarray, rows: np.ndarray, index: np.ndarray, filters: np.ndarray) -> None:
    for i in range(rows.shape[0]):
        target = out[rows[i]]
        source = filters[index[i]]
        for j in range(target.shape[0]):
            target[j] |= source[j]


def or_into_rows(out: np.ndarray, rows: np.ndarray, index: np.ndarray, filters: np.ndarray) -> None:
    """``out[rows[i]] |= filters[index[i]]`` for every i (packed filters, uint8 or uint64 views)."""
    if len(rows):
        if out.shape[1] % 8 == 0 and filters.shape[1] % 8 == 0:
            out, filters = out.view(np.uint64), np.ascontiguousarray(filters).view(np.uint64)
        _or_into_rows_kernel(out, rows.astype(np.int64, copy=False), index.astype(np.int64, copy=False), filters)


@numba.njit(cache=True, nogil=True)
def _segment_order_kernel(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    order = np.arange(rows.shape[0])
    start = 0
    while start < rows.shape[0]:
        stop = start + 1
        while stop < rows.shape[0] and rows[stop] == rows[start]:
            stop += 1
        for i in range(start + 1, stop):  # stable insertion sort: runs are a few items long
            item = order[i]
            j = i - 1
            while j >= start and keys[order[j]] > keys[item]:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = item
        start = stop
    return order


def segment_order(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Stable order sorting ``keys`` within each run of equal ``rows`` (``rows`` ascending).

    Same result as ``np.lexsort((keys, rows))`` for sorted ``rows``; fast for short runs.
    """
    return _segment_order_kernel(rows.astype(np.int64, copy=False), keys)


def set_bits_reference(packed: np.ndarray, owners: np.ndarray, token_index: np.ndarray,
                       positions: np.ndarray) -> None:
    """Plain numpy definition of :func:`set_bits`."""
    num_bits = packed.shape[1] * 8
    bits = np.unpackbits(packed, axis=1).astype(bool)
    flat = bits.reshape(-1)
    flat[(owners[:, None] * num_bits + positions[token_index]).ravel()] = True
    packed[:] = np.packbits(bits, axis=1)


def build_filters(token_lists: Sequence[Iterable[tuple[str, int]]], hasher: PositionHasher) -> np.ndarray:
    """One packed filter per entry of ``token_lists`` (each an iterable of (token, k) pairs)."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for row, tokens in enumerate(token_lists):
        for token, k in tokens:
            cols.append(hasher.positions_matrix([token], k)[0])
            rows.append(np.full(k, row, dtype=np.int32))
    bits = np.zeros((len(token_lists), hasher.num_bits), dtype=np.bool_)
    if cols:
        bits[np.concatenate(rows), np.concatenate(cols)] = True
    return np.packbits(bits, axis=1)


def _unpack(filters: np.ndarray) -> np.ndarray:
    return np.unpackbits(filters, axis=1)


def balance(filters: np.ndarray) -> np.ndarray:
    """Append each filter's complement: every filter then has exactly half its bits set.

    Always combine with :func:`permute` (the schema does), or the complement is in plain sight.
    """
    return np.concatenate([filters, np.bitwise_not(filters)], axis=1)


def xor_fold(filters: np.ndarray) -> np.ndarray:
    """XOR the first half of each filter onto the second: half the length, no bit kept as is."""
    half = filters.shape[1] // 2
    return np.bitwise_xor(filters[:, :half], filters[:, half:])


def keyed_permutation(key: bytes, num_bits: int, label: bytes = b"permutation") -> np.ndarray:
    """A permutation of ``range(num_bits)`` from a keyed Fisher-Yates shuffle (unbiased draws);
    ``label`` separates several permutations drawn under one key."""
    perm = np.arange(num_bits, dtype=np.int32)
    stream = _KeyedStream(key, label)
    for i in range(num_bits - 1, 0, -1):
        j = stream.below(i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def permute(filters: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """Move bit ``permutation[i]`` to position ``i`` in every filter."""
    return np.packbits(_unpack(filters)[:, permutation], axis=1)


def blip(filters: np.ndarray, seeds: Sequence[str], key: bytes, probability: float) -> np.ndarray:
    """Flip each bit of filter ``r`` independently with ``probability``, reproducibly per seed.

    The flips of row ``r`` come from a keyed PRF of ``seeds[r]`` (the record reference): first a
    Binomial(num_bits, p) count by inverse CDF, then that many distinct uniform positions, which
    is the same distribution as independent per-bit flips.
    """
    if probability <= 0.0:
        return filters
    num_bits = filters.shape[1] * 8
    cdf = _binomial_cdf(num_bits, probability)
    hasher = PositionHasher(key, num_bits)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for row, seed in enumerate(seeds):
        u = int.from_bytes(hashlib.blake2b(b"count" + seed.encode(), key=key, digest_size=8).digest(), "big")
        flips = int(np.searchsorted(cdf, u / 2.0**64, side="right"))
        if flips:
            flips = min(flips, num_bits)
            cols.append(np.asarray(hasher.positions("flip:" + seed, flips), np.int64))
            rows.append(np.full(flips, row, dtype=np.int32))
    out = filters.copy()
    if cols:
        all_cols = np.concatenate(cols)
        np.bitwise_xor.at(out, (np.concatenate(rows), all_cols // 8),
                          (1 << (7 - all_cols % 8)).astype(np.uint8))
    return out


def _binomial_cdf(n: int, p: float) -> np.ndarray:
    log_pmf = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
               + i * math.log(p) + (n - i) * math.log1p(-p) for i in range(n + 1)]
    return np.cumsum(np.exp(log_pmf))


class _KeyedStream:
    """Uniform integers from keyed BLAKE2b in counter mode, with rejection for exactness."""

    def __init__(self, key: bytes, label: bytes) -> None:
        self._key, self._label = key, label
        self._counter = 0
        self._words: list[int] = []

    def below(self, n: int) -> int:
        limit = (1 << 32) - (1 << 32) % n
        while True:
            if not self._words:
                digest = hashlib.blake2b(self._label + self._counter.to_bytes(8, "big"),
                                         key=self._key, digest_size=64).digest()
                self._words = np.frombuffer(digest, dtype=">u4").tolist()[::-1]
                self._counter += 1
            word = self._words.pop()
            if word < limit:
                return word % n


_POPCOUNT_TABLE = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def popcount(filters: np.ndarray) -> np.ndarray:
    """Number of set bits per row of a packed filter matrix."""
    return _POPCOUNT_TABLE[filters].sum(axis=1, dtype=np.int64)


def dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Dice coefficient of two packed filter matrices of equal shape (0 for two empties)."""
    both = popcount(np.bitwise_and(a, b))
    total = popcount(a) + popcount(b)
    return np.divide(2.0 * both, total, out=np.zeros(len(total)), where=total > 0)
