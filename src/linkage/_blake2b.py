"""Keyed BLAKE2b (RFC 7693) for many short messages at once, compiled with numba.

Contract: ``keyed_digests(messages, key, digest_size)`` returns, for each message of at most 128
bytes, exactly ``hashlib.blake2b(message, key=key, digest_size=digest_size).digest()`` (tested
against hashlib). It exists because the encoder computes hundreds of thousands of keyed digests
of short strings (blocking keys, record references), where a Python call per digest costs more
than the hashing itself. Longer messages are hashed with hashlib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numba
import numpy as np

__all__ = ["keyed_digests", "keyed_digests_of_joined", "BLOCK_BYTES"]

BLOCK_BYTES = 128

_IV = np.array([
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
], dtype=np.uint64)

_SIGMA = np.array([
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
], dtype=np.int64)


@numba.njit(inline="always")
def _rotr(x: np.uint64, n: int) -> np.uint64:
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@numba.njit(inline="always")
def _g(v: np.ndarray, a: int, b: int, c: int, d: int, x: np.uint64, y: np.uint64) -> None:
    v[a] = v[a] + v[b] + x
    v[d] = _rotr(v[d] ^ v[a], 32)
    v[c] = v[c] + v[d]
    v[b] = _rotr(v[b] ^ v[c], 24)
    v[a] = v[a] + v[b] + y
    v[d] = _rotr(v[d] ^ v[a], 16)
    v[c] = v[c] + v[d]
    v[b] = _rotr(v[b] ^ v[c], 63)


@numba.njit(cache=True, nogil=True)
def _compress(h: np.ndarray, m: np.ndarray, t: int, final: bool, iv: np.ndarray, sigma: np.ndarray,
              v: np.ndarray) -> None:
    for i in range(8):
        v[i] = h[i]
        v[i + 8] = iv[i]
    v[12] ^= np.uint64(t)
    if final:
        v[14] = ~v[14]
    for r in range(12):
        s = sigma[r]
        _g(v, 0, 4, 8, 12, m[s[0]], m[s[1]])
        _g(v, 1, 5, 9, 13, m[s[2]], m[s[3]])
        _g(v, 2, 6, 10, 14, m[s[4]], m[s[5]])
        _g(v, 3, 7, 11, 15, m[s[6]], m[s[7]])
        _g(v, 0, 5, 10, 15, m[s[8]], m[s[9]])
        _g(v, 1, 6, 11, 12, m[s[10]], m[s[11]])
        _g(v, 2, 7, 8, 13, m[s[12]], m[s[13]])
        _g(v, 3, 4, 9, 14, m[s[14]], m[s[15]])
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]


@numba.njit(cache=True, nogil=True)
def _keyed_kernel(blocks: np.ndarray, lengths: np.ndarray, key_block: np.ndarray, key_length: int,
                  digest_size: int, iv: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``blocks``: (n, 16) little-endian words of messages zero-padded to 128 bytes."""
    n = blocks.shape[0]
    out = np.zeros((n, 8), np.uint64)
    h0 = iv.copy()
    h0[0] ^= np.uint64(0x01010000) ^ np.uint64(key_length << 8) ^ np.uint64(digest_size)
    v = np.zeros(16, np.uint64)
    # the key block is the same for every message: compress it once
    _compress(h0, key_block, 128, False, iv, sigma, v)
    h = np.zeros(8, np.uint64)
    for i in range(n):
        for j in range(8):
            h[j] = h0[j]
        _compress(h, blocks[i], 128 + lengths[i], True, iv, sigma, v)
        for j in range(8):
            out[i, j] = h[j]
    return out


def keyed_digests(messages: Sequence[bytes], key: bytes, digest_size: int) -> np.ndarray:
    """(len(messages), digest_size) uint8 matrix of keyed BLAKE2b digests (see module contract)."""
    if not 1 <= len(key) <= 64 or not 1 <= digest_size <= 64:
        raise ValueError("BLAKE2b takes a 1..64-byte key and a 1..64-byte digest")
    n = len(messages)
    out = np.zeros((n, digest_size), np.uint8)
    if n == 0:
        return out
    lengths = np.fromiter(map(len, messages), dtype=np.int64, count=n)
    short = (lengths >= 1) & (lengths <= BLOCK_BYTES)
    if short.any():
        index = np.flatnonzero(short)
        chosen = messages if len(index) == n else [messages[i] for i in index.tolist()]
        blocks = np.array(chosen, dtype=f"S{BLOCK_BYTES}").view("<u8").reshape(len(index), 16)
        key_block = np.frombuffer(key.ljust(BLOCK_BYTES, b"\0"), dtype="<u8").copy()
        words = _keyed_kernel(blocks, lengths[index], key_block, len(key), digest_size, _IV, _SIGMA)
        out[index] = words.astype("<u8").view(np.uint8).reshape(len(index), 64)[:, :digest_size]
    for i in np.flatnonzero(~short).tolist():
        out[i] = np.frombuffer(hashlib.blake2b(messages[i], key=key, digest_size=digest_size).digest(), np.uint8)
    return out


@numba.njit(cache=True, nogil=True)
def _join_kernel(vocab: np.ndarray, vocab_lengths: np.ndarray, ids: np.ndarray, separator: int,
                 out: np.ndarray, out_lengths: np.ndarray) -> None:
    """Row i of ``out``: vocab rows ids[i, 0], ids[i, 1], ... joined by ``separator``; length -1 if > 128."""
    for i in range(ids.shape[0]):
        pos = 0
        for j in range(ids.shape[1]):
            if j > 0:
                if pos >= BLOCK_BYTES:
                    pos = -1
                    break
                out[i, pos] = separator
                pos += 1
            row = ids[i, j]
            length = vocab_lengths[row]
            if pos + length > BLOCK_BYTES:
                pos = -1
                break
            for b in range(length):
                out[i, pos + b] = vocab[row, b]
            pos += length
        out_lengths[i] = pos


def keyed_digests_of_joined(vocabularies: Sequence[Sequence[bytes]], ids: np.ndarray, separator: bytes,
                            key: bytes, digest_size: int) -> np.ndarray:
    """Digests of ``separator.join(vocabularies[j][ids[i, j]] for j)`` for every row ``i`` of ``ids``.

    Equal to ``keyed_digests`` of the joined messages, without building them in Python.
    """
    n, parts = ids.shape
    flat = [word for vocab in vocabularies for word in vocab]
    offsets = np.cumsum([0] + [len(v) for v in vocabularies[:-1]]).astype(np.int64)
    width = max([len(w) for w in flat] + [1])
    vocab = np.frombuffer(np.array(flat, dtype=f"S{width}").tobytes(), np.uint8).reshape(len(flat), width)
    vocab_lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    global_ids = ids.astype(np.int64) + offsets[None, :]
    messages = np.zeros((n, BLOCK_BYTES), np.uint8)
    lengths = np.zeros(n, np.int64)
    _join_kernel(vocab, vocab_lengths, global_ids, separator[0], messages, lengths)
    out = np.zeros((n, digest_size), np.uint8)
    ok = lengths >= 1
    if ok.any():
        key_block = np.frombuffer(key.ljust(BLOCK_BYTES, b"\0"), dtype="<u8").copy()
        blocks = messages[ok].view("<u8")
        words = _keyed_kernel(blocks, lengths[ok], key_block, len(key), digest_size, _IV, _SIGMA)
        out[ok] = words.astype("<u8").view(np.uint8).reshape(-1, 64)[:, :digest_size]
    for i in np.flatnonzero(~ok).tolist():  # longer than one block (or empty): hashlib
        message = separator.join(flat[g] for g in global_ids[i].tolist())
        out[i] = np.frombuffer(hashlib.blake2b(message, key=key, digest_size=digest_size).digest(), np.uint8)
    return out
