"""Clustering: scored record pairs -> persons (entities), resistant to chaining (linkage unit side).

Contract
--------
Records of all agencies share one index space ``0..n-1``; ``source[i]`` is the agency of record
``i``. A scored pair ``(ia[k], ib[k])`` has a posterior match ``probability[k]`` and a
``decision[k]`` (2 match, 1 review, 0 non-match, as in :mod:`linkage.score`; a clerical review
outcome is simply a changed decision). Pairs never compared are *unscored*: unknown, not
non-matches. The *evidence* that two records are one person is

* the probability of a scored pair, raised to at least ``min_support`` for a match (a match
  decision is never overruled by its own probability);
* ``unscored_probability`` for a pair that was never compared (weak evidence: blocking misses
  some true pairs, so "not compared" is not "different").

Algorithm
---------
1. **Components.** Connected components of the match pairs (numba union-find). Review and
   non-match pairs never join records, so every cluster lies within one component.
2. **Tight components are kept whole**: those in which every two records are a match pair and no
   duplicate-free source has two records (singletons and clean pairs included). Step 3 would
   keep them whole as well; this is only a shortcut, found with array operations.
3. **Splitting** (each other component on its own): constrained average-linkage agglomeration.
   Start from singletons and repeatedly merge the two clusters ``X, Y`` of highest *support*::

       support(X, Y) = (sum of evidence over the |X| * |Y| record pairs across X, Y) / (|X| * |Y|)

   among the pairs that are *mergeable*: at least one match pair across them, no *veto* pair
   across them (a non-match whose probability is ``<= veto_max_probability``), no
   duplicate-free source with a record on both sides, and ``support >= min_support`` (up to a
   rounding tolerance of 1e-9). Ties go to the pair with the smaller smallest record, then the
   smaller other smallest record. It stops when no two clusters are mergeable. One numba kernel
   splits all such components: sparse cluster adjacency with merged pair statistics and a heap
   of candidate merges, so a component with ``E`` scored pairs inside costs about ``E log E``
   when degrees are small (a merge re-queues every neighbour of the merged cluster).

Guarantees
----------
* Every cluster is connected by match pairs; review and non-match pairs never join records.
* No cluster holds a veto pair, nor two records of a duplicate-free source.
* The mean evidence over all record pairs of a cluster of two or more is ``>= min_support`` (a
  merge of two such clusters with cross support ``>= min_support`` keeps it so).
* Maximal: no two final clusters are mergeable. Records that all match pairwise without a
  duplicate-free conflict form one cluster.
* Chains break: across clusters linked by ``c`` perfect matches and otherwise unscored pairs,
  support is ``(c + u * (|X||Y| - c)) / (|X||Y|)``, so with the defaults (``min_support`` 0.5,
  ``u`` = 0.2) at least 3/8 of the cross pairs must be matches. A path of records linked only to
  their neighbours splits into pieces of two or three; A~B~C~D with A, D a non-match never ends
  up with A and D together.
* A record with matches to two records of one duplicate-free source joins the better-supported.
* Deterministic: the labels depend on the set of pairs only, not on their order or orientation.
  Labels are ``0..k-1`` numbered by the smallest record index of each cluster.

Entity ids (:func:`entity_ids`) are ``"E-"`` and the first 16 hex digits of SHA-256 over
``b"linkage.entity.v1" || u32be(len(a)) || a || u32be(len(r)) || r`` (UTF-8) for the
lexicographically smallest ``(agency a, record_ref r)`` of the cluster (Python string order).
An entity keeps its id across re-runs as long as that member stays in its cluster; record refs
are keyed pseudonyms already, so no plaintext is involved. Bad inputs raise
:class:`~linkage.errors.DataError` naming the argument, position and rule, never a value.
"""

from __future__ import annotations

import hashlib
import numbers
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from .errors import ConfigError, DataError
from .score import MATCH, NON_MATCH

__all__ = ["ClusterConfig", "cluster", "entity_ids", "cluster_stats"]

_TOLERANCE = 1e-9  # rounding slack of the support test
_ID_DOMAIN = b"linkage.entity.v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterConfig:
    """Options of :func:`cluster` (see the module docstring for how each one acts).

    * ``duplicate_free_sources``: sources holding at most one record per person; two records of
      such a source never share a cluster.
    * ``min_support`` in [0, 1]: the least average evidence across two clusters to merge them.
    * ``unscored_probability`` in [0, 1]: the evidence of a pair that was never compared.
    * ``veto_max_probability`` in [0, 1]: a non-match with probability at or below this forbids
      any cluster holding both records (1.0: every non-match does; lower it to let strong
      transitive evidence outweigh borderline non-matches, which then only lower the support).
    """

    duplicate_free_sources: frozenset[int] = field(default_factory=frozenset)
    min_support: float = 0.5
    unscored_probability: float = 0.2
    veto_max_probability: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        sources = self.duplicate_free_sources
        if isinstance(sources, (str, bytes)) or not hasattr(sources, "__iter__"):
            problems.append(f"'duplicate_free_sources' of ClusterConfig must be a set of integers, "
                            f"got {type(sources).__name__}")
        elif not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sources):
            problems.append("'duplicate_free_sources' of ClusterConfig must hold integers only")
        else:
            object.__setattr__(self, "duplicate_free_sources", frozenset(int(s) for s in sources))
        for name in ("min_support", "unscored_probability", "veto_max_probability"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
                problems.append(f"'{name}' of ClusterConfig must be in [0, 1], got {value!r}")
            else:
                object.__setattr__(self, name, float(value))
        if problems:
            raise ConfigError("invalid ClusterConfig", tuple(problems))


def cluster(n: int, source: npt.ArrayLike, ia: npt.ArrayLike, ib: npt.ArrayLike, probability: npt.ArrayLike,
            decision: npt.ArrayLike, config: ClusterConfig | None = None) -> np.ndarray:
    """Cluster labels ``(n,)`` int64, ``0..k-1`` numbered by each cluster's smallest record.

    ``ia, ib`` index the records of each scored pair (``ia != ib``, each unordered pair at most
    once); ``probability`` and ``decision`` are per pair. See the module docstring.
    """
    config = ClusterConfig() if config is None else config
    if not isinstance(config, ClusterConfig):
        raise ConfigError(f"config must be a ClusterConfig, got {type(config).__name__}")
    src, lo, hi, p, d = _check_inputs(n, source, ia, ib, probability, decision)
    if len(lo):
        code = lo * n + hi
        if not bool(np.all(code[1:] > code[:-1])):  # candidates usually come sorted already
            order = np.argsort(code)
            code, lo, hi, p, d = code[order], lo[order], hi[order], p[order], d[order]
            same = np.flatnonzero(code[1:] == code[:-1])
            if len(same):
                first, second = sorted((int(order[same[0]]), int(order[same[0] + 1])))
                raise DataError(f"each unordered pair may appear once: pairs {first} and {second} are the same "
                                f"records ({len(same)} repeat(s) in all)")
    match = d == MATCH
    root = _component_roots(n, lo[match], hi[match])
    comp = _rank(root)
    size = np.bincount(comp)
    links = np.bincount(comp[lo[match]], minlength=len(size))
    split = links != size * (size - 1) // 2
    free = _free_codes(src, config.duplicate_free_sources)
    has_free = free >= 0
    if has_free.any():
        key = np.sort(comp[has_free] * (int(free.max()) + 1) + free[has_free])
        clash = key[1:][key[1:] == key[:-1]] // (int(free.max()) + 1)
        split[clash] = True
    if split.any():
        _split(root, comp, split, free, lo, hi, p, d, config)
    return _rank(root)


def entity_ids(labels: npt.ArrayLike, agencies: Sequence[str], record_refs: Sequence[str]) -> list[str]:
    """Per record, the id of its cluster: ``"E-"`` + 16 hex digits (rule in the module docstring).

    ``agencies[i]`` and ``record_refs[i]`` are record ``i``'s agency name and keyed reference;
    each ``(agency, record_ref)`` must be unique.
    """
    lab = _check_labels(labels, "labels")
    n = len(lab)
    for name, seq in (("agencies", agencies), ("record_refs", record_refs)):
        if len(seq) != n:
            raise DataError(f"{name} must have one entry per record: {len(seq)} entries for {n} labels")
        if not all(issubclass(t, str) for t in set(map(type, seq))):
            bad = next(i for i, v in enumerate(seq) if not isinstance(v, str))
            raise DataError(f"{name}[{bad}] must be a string")
    if n == 0:
        return []
    if len(set(record_refs)) != n and len(set(zip(agencies, record_refs))) != n:
        seen: dict[tuple[str, str], int] = {}
        for i, key in enumerate(zip(agencies, record_refs)):
            if key in seen:
                raise DataError(f"each (agency, record_ref) must be unique: records {seen[key]} and {i} share one")
            seen[key] = i
    names = sorted(set(agencies))
    rank = {name: i for i, name in enumerate(names)}
    agency_code = np.fromiter(map(rank.__getitem__, agencies), np.int64, n)
    order = np.lexsort((agency_code, lab))  # by label, then agency, then record index
    ol, oc = lab[order], agency_code[order]
    head = np.flatnonzero(np.r_[True, ol[1:] != ol[:-1]])  # first record of each label
    run = np.flatnonzero(np.r_[True, (ol[1:] != ol[:-1]) | (oc[1:] != oc[:-1]), True])  # (label, agency) runs
    run_len = np.diff(run)[np.searchsorted(run, head)]
    first = order[head].tolist()
    hashers = [hashlib.sha256(_ID_DOMAIN + _length_prefixed(name)) for name in names]
    for j in np.flatnonzero(run_len > 1).tolist():  # several records of the first agency: smallest ref
        h = head[j]
        first[j] = min(order[h:h + run_len[j]].tolist(), key=lambda r: record_refs[r])
    codes = agency_code.tolist()
    digests = []
    for record in first:
        hasher = hashers[codes[record]].copy()
        ref = record_refs[record].encode("utf-8", "surrogatepass")
        hasher.update(len(ref).to_bytes(4, "big") + ref)
        digests.append("E-" + hasher.hexdigest()[:16])
    ids = np.empty(int(lab.max()) + 1, dtype=object)
    ids[ol[head]] = digests
    return ids[lab].tolist()


def cluster_stats(labels: npt.ArrayLike, source: npt.ArrayLike) -> dict[str, Any]:
    """Aggregates of a clustering (JSON-able; histogram keys are decimal strings).

    ``records``, ``clusters``, ``records_per_cluster`` (mean), ``largest_cluster``,
    ``size_histogram`` (size -> clusters), ``sources_histogram`` (distinct sources -> clusters),
    ``multi_source_clusters`` (spanning two or more sources), ``duplicate_clusters`` (holding two
    or more records of one source) and ``duplicate_records`` (records beyond the first of their
    source in their cluster).
    """
    lab = _check_labels(labels, "labels")
    src = _int_vector(source, "source")
    if len(src) != len(lab):
        raise DataError(f"source must have one entry per record: {len(src)} entries for {len(lab)} labels")
    n = len(lab)
    if n == 0:
        return {"records": 0, "clusters": 0, "records_per_cluster": 0.0, "largest_cluster": 0, "size_histogram": {},
                "sources_histogram": {}, "multi_source_clusters": 0, "duplicate_clusters": 0, "duplicate_records": 0}
    sizes = np.bincount(lab)
    sizes = sizes[sizes > 0]
    _, src_code = np.unique(src, return_inverse=True)
    width = int(src_code.max()) + 1
    keys, per_source = np.unique(lab * width + src_code.ravel(), return_counts=True)  # (cluster, source) cells
    spans = np.bincount(keys // width)
    spans = spans[spans > 0]
    return {
        "records": n,
        "clusters": len(sizes),
        "records_per_cluster": n / len(sizes),
        "largest_cluster": int(sizes.max()),
        "size_histogram": _histogram(sizes),
        "sources_histogram": _histogram(spans),
        "multi_source_clusters": int((spans > 1).sum()),
        "duplicate_clusters": len(np.unique(keys[per_source > 1] // width)),
        "duplicate_records": int((per_source - 1).sum()),
    }


# ----------------------------------------------------------------------------------------------
# splitting


def _split(root: np.ndarray, comp: np.ndarray, split: np.ndarray, free: np.ndarray, lo: np.ndarray,
           hi: np.ndarray, p: np.ndarray, d: np.ndarray, config: ClusterConfig) -> None:
    """Replace ``root`` (smallest member) of every record in a component marked ``split``."""
    recs = np.flatnonzero(split[comp])
    recs = recs[np.argsort(comp[recs], kind="stable")]  # grouped by component, ascending within
    rcomp = comp[recs]
    rstart = np.flatnonzero(np.r_[True, rcomp[1:] != rcomp[:-1]])
    position = np.empty(len(comp), np.int64)
    position[recs] = np.arange(len(recs))
    inner = (comp[lo] == comp[hi]) & split[comp[lo]]
    pc = comp[lo[inner]]
    order = np.argsort(pc, kind="stable")  # canonical pair order within each component
    sel = np.flatnonzero(inner)[order]
    pbounds = np.r_[np.searchsorted(pc[order], rcomp[rstart]), len(sel)]
    pp, pd_ = p[sel], d[sel]
    evidence = np.where(pd_ == MATCH, np.maximum(pp, config.min_support), pp)
    veto = (pd_ == NON_MATCH) & (pp <= config.veto_max_probability)
    lowest = _agglomerate(np.r_[rstart, len(recs)], pbounds, position[lo[sel]], position[hi[sel]], evidence,
                          pd_ == MATCH, veto, free[recs], config.min_support, config.unscored_probability)
    root[recs] = recs[lowest]


@numba.njit(cache=True, nogil=True)
def _agglomerate(rbounds: np.ndarray, pbounds: np.ndarray, a: np.ndarray, b: np.ndarray, evidence: np.ndarray,
                 is_match: np.ndarray, veto: np.ndarray, free: np.ndarray, min_support: float,
                 unscored: float) -> np.ndarray:
    """Constrained average linkage (step 3) of each component ``g``: records ``rbounds[g]`` to
    ``rbounds[g+1]``, scored pairs ``(a[k], b[k])`` for ``k`` in ``pbounds[g]`` to ``pbounds[g+1]``;
    returns per record the smallest record of its cluster.

    A cluster is known by one live record. Every two clusters with a scored pair across share one
    *stat* ``[evidence sum, scored pairs, matches, vetoed]``, listed in both clusters' adjacency
    lists (linked lists in a pool); merging ``y`` into ``x`` adds ``y``'s stats into ``x``'s or
    moves them over. Candidate merges wait in a heap keyed ``(-support, smaller smallest record,
    other smallest record)``; entries of clusters changed since are skipped. ``free`` holds the
    duplicate-free source code of each record (-1: none), kept per cluster as a bit set.
    """
    n, m, words = len(free), len(a), 1
    for r in range(n):
        words = max(words, free[r] // 64 + 1)
    fbits = np.zeros((n, words), np.uint64)
    for r in range(n):
        if free[r] >= 0:
            fbits[r, free[r] // 64] = np.uint64(1) << np.uint64(free[r] % 64)
    total, known, matches = np.empty(m), np.ones(m, np.int64), np.empty(m, np.int64)
    vetoed, live = np.empty(m, np.bool_), np.ones(m, np.bool_)
    for k in range(m):
        total[k], matches[k], vetoed[k] = evidence[k], 1 if is_match[k] else 0, veto[k]
    cap = 2 * m + 16
    nbr, sid, nxt = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64)
    used = 0
    head, degree = np.full(n, -1, np.int64), np.zeros(n, np.int64)
    parent, low, count = np.arange(n), np.arange(n), np.ones(n, np.int64)
    version, mark = np.zeros(n, np.int64), np.full(n, -1, np.int64)
    qcap = 16
    qkey, qint, heap = np.empty(qcap), np.empty(6 * qcap, np.int64), np.empty(qcap, np.int64)
    for g in range(len(rbounds) - 1):
        queued = size = 0  # entries written, entries in the heap
        if qcap < queued + pbounds[g + 1] - pbounds[g]:
            qcap = 2 * (queued + pbounds[g + 1] - pbounds[g])
            qkey, qint, heap = _grow(qkey, qcap), _grow(qint, 6 * qcap), _grow(heap, qcap)
        for k in range(pbounds[g], pbounds[g + 1]):
            for x, y in ((a[k], b[k]), (b[k], a[k])):
                if used == cap:
                    cap *= 2
                    nbr, sid, nxt = _grow(nbr, cap), _grow(sid, cap), _grow(nxt, cap)
                nbr[used], sid[used], nxt[used] = y, k, head[x]
                head[x] = used
                used += 1
                degree[x] += 1
        for x in range(rbounds[g], rbounds[g + 1]):
            e = head[x]
            while e >= 0:
                if x < nbr[e]:
                    queued, size = _push(qkey, qint, heap, queued, size, x, nbr[e], sid[e], total, known, matches,
                                         vetoed, fbits, count, low, version, min_support, unscored)
                e = nxt[e]
        while size:
            top = heap[0]
            size -= 1
            heap[0] = heap[size]
            _sift_down(heap, size, qkey, qint)
            x, y, vx, vy = qint[6 * top + 2], qint[6 * top + 3], qint[6 * top + 4], qint[6 * top + 5]
            if version[x] != vx or version[y] != vy:
                continue  # stale: one side merged since
            if degree[x] < degree[y]:
                x, y = y, x  # x survives: walk the shorter list
            prev, e, degree[x] = -1, head[x], 0  # drop dead entries of x's list, mark its neighbours
            while e >= 0:
                w, s = nbr[e], sid[e]
                if w == y or parent[w] != w or not live[s]:
                    if w == y:
                        live[s] = False
                    if prev < 0:
                        head[x] = nxt[e]
                    else:
                        nxt[prev] = nxt[e]
                else:
                    mark[w], prev = s, e
                    degree[x] += 1
                e = nxt[e]
            e = head[y]
            while e >= 0:
                w, s = nbr[e], sid[e]
                if w != x and parent[w] == w and live[s]:
                    t = mark[w]
                    if t >= 0:
                        total[t] += total[s]
                        known[t] += known[s]
                        matches[t] += matches[s]
                        vetoed[t] |= vetoed[s]
                        live[s] = False
                    else:
                        if used + 2 > cap:
                            cap *= 2
                            nbr, sid, nxt = _grow(nbr, cap), _grow(sid, cap), _grow(nxt, cap)
                        nbr[used], sid[used], nxt[used] = w, s, head[x]
                        nbr[used + 1], sid[used + 1], nxt[used + 1] = x, s, head[w]
                        head[x], head[w] = used, used + 1
                        used += 2
                        mark[w] = s
                        degree[x] += 1
                        degree[w] += 1
                e = nxt[e]
            head[y], parent[y], version[y] = -1, x, -1
            version[x] += 1
            count[x] += count[y]
            low[x] = min(low[x], low[y])
            for word in range(words):
                fbits[x, word] |= fbits[y, word]
            if qcap < queued + degree[x]:
                qcap = 2 * (queued + degree[x])
                qkey, qint, heap = _grow(qkey, qcap), _grow(qint, 6 * qcap), _grow(heap, qcap)
            e = head[x]
            while e >= 0:
                mark[nbr[e]] = -1
                queued, size = _push(qkey, qint, heap, queued, size, x, nbr[e], sid[e], total, known, matches,
                                     vetoed, fbits, count, low, version, min_support, unscored)
                e = nxt[e]
    for r in range(n):  # resolve roots (path halving), then each root's smallest record
        x = r
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        low[r] = low[x]
    return low


@numba.njit(cache=True, nogil=True)
def _push(qkey: np.ndarray, qint: np.ndarray, heap: np.ndarray, queued: int, size: int, x: int, y: int, s: int,
          total: np.ndarray, known: np.ndarray, matches: np.ndarray, vetoed: np.ndarray, fbits: np.ndarray,
          count: np.ndarray, low: np.ndarray, version: np.ndarray, min_support: float,
          unscored: float) -> tuple[int, int]:
    """Queue the merge of clusters ``x, y`` (stat ``s``) if it is allowed and supported; returns
    the new entry and heap counts (the caller guarantees room)."""
    if matches[s] == 0 or vetoed[s]:
        return queued, size
    for word in range(fbits.shape[1]):
        if fbits[x, word] & fbits[y, word]:
            return queued, size
    cross = count[x] * count[y]
    support = (total[s] + unscored * (cross - known[s])) / cross
    if support < min_support - _TOLERANCE:
        return queued, size
    qkey[queued] = -support
    q = 6 * queued  # smaller smallest record, other smallest record, x, y, their versions
    qint[q], qint[q + 1], qint[q + 2] = min(low[x], low[y]), max(low[x], low[y]), x
    qint[q + 3], qint[q + 4], qint[q + 5] = y, version[x], version[y]
    pos = size
    while pos > 0:  # sift up
        up = (pos - 1) >> 1
        if not _before(queued, heap[up], qkey, qint):
            break
        heap[pos] = heap[up]
        pos = up
    heap[pos] = queued
    return queued + 1, size + 1


@numba.njit(cache=True, nogil=True)
def _sift_down(heap: np.ndarray, size: int, qkey: np.ndarray, qint: np.ndarray) -> None:
    if size == 0:
        return
    item, pos = heap[0], 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _before(heap[child + 1], heap[child], qkey, qint):
            child += 1
        if not _before(heap[child], item, qkey, qint):
            break
        heap[pos] = heap[child]
        pos = child
    heap[pos] = item


@numba.njit(cache=True, nogil=True)
def _before(i: int, j: int, qkey: np.ndarray, qint: np.ndarray) -> bool:
    """Heap order of queued merges: higher support, then smaller smallest records."""
    if qkey[i] != qkey[j]:
        return qkey[i] < qkey[j]
    if qint[6 * i] != qint[6 * j]:
        return qint[6 * i] < qint[6 * j]
    return qint[6 * i + 1] < qint[6 * j + 1]


@numba.njit(cache=True, nogil=True)
def _grow(values: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, values.dtype)
    for i in range(len(values)):
        out[i] = values[i]
    return out


# ----------------------------------------------------------------------------------------------
# components


@numba.njit(cache=True, nogil=True)
def _component_roots(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per record, the smallest record of its connected component under edges ``(a, b)``."""
    parent = np.arange(n)
    for k in range(len(a)):
        x = a[k]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        y = b[k]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x < y:
            parent[y] = x
        elif y < x:
            parent[x] = y
    for i in range(n):  # parent[i] <= i always, so one ascending pass resolves every root
        parent[i] = parent[parent[i]]
    return parent


def _rank(root: np.ndarray) -> np.ndarray:
    """Labels ``0..k-1`` from per-record smallest members (numbered by that member)."""
    is_root = root == np.arange(len(root))
    return (np.cumsum(is_root) - 1)[root].astype(np.int64)


# ----------------------------------------------------------------------------------------------
# helpers


def _check_inputs(n: int, source: npt.ArrayLike, ia: npt.ArrayLike, ib: npt.ArrayLike, probability: npt.ArrayLike,
                  decision: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    """Validated ``source, lo, hi, probability, decision`` with ``lo < hi`` per pair."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise DataError("n (the number of records) must be a non-negative integer")
    n = int(n)
    src = _int_vector(source, "source")
    if len(src) != n:
        raise DataError(f"source must have one entry per record: {len(src)} entries for n={n}")
    a, b, d = _int_vector(ia, "ia"), _int_vector(ib, "ib"), _int_vector(decision, "decision")
    try:
        p = np.asarray(probability, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("probability must be numbers") from None
    if p.ndim != 1:
        raise DataError(f"probability must be a vector, got {p.ndim} dimension(s)")
    for name, arr in (("ib", b), ("probability", p), ("decision", d)):
        if len(arr) != len(a):
            raise DataError(f"{name} must have one entry per pair: {len(arr)} entries for {len(a)} in ia")
    for name, bad, rule in (
        ("ia", (a < 0) | (a >= n), f"must be a record index in [0, {n})"),
        ("ib", (b < 0) | (b >= n), f"must be a record index in [0, {n})"),
        ("ib", a == b, "must differ from ia (a record paired with itself)"),
        ("probability", ~((p >= 0.0) & (p <= 1.0)), "must be in [0, 1]"),
        ("decision", (d < 0) | (d > 2), "must be 0 (non-match), 1 (review) or 2 (match)"),
    ):
        where = np.flatnonzero(bad)
        if len(where):
            raise DataError(f"{name}[{int(where[0])}] {rule} ({len(where)} pair(s) in all)")
    return src, np.minimum(a, b), np.maximum(a, b), p, d.astype(np.int8)


def _int_vector(values: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"{name} must be a vector, got {arr.ndim} dimension(s)")
    if len(arr) == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind not in "iu":
        raise DataError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_labels(labels: npt.ArrayLike, name: str) -> np.ndarray:
    lab = _int_vector(labels, name)
    if len(lab) and lab.min() < 0:
        raise DataError(f"{name}[{int(np.argmax(lab < 0))}] must be a non-negative cluster label")
    return lab


def _free_codes(src: np.ndarray, sources: frozenset[int]) -> np.ndarray:
    """Per record, the rank of its source among ``sources`` (duplicate-free), else -1."""
    free = np.full(len(src), -1, np.int64)
    if sources and len(src):
        listed = np.array(sorted(sources), np.int64)
        pos = np.minimum(np.searchsorted(listed, src), len(listed) - 1)
        hit = listed[pos] == src
        free[hit] = pos[hit]
    return free


def _length_prefixed(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return struct.pack(">I", len(data)) + data


def _histogram(values: np.ndarray) -> dict[str, int]:
    keys, counts = np.unique(values, return_counts=True)
    return {str(int(k)): int(c) for k, c in zip(keys, counts)}
