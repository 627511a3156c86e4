"""linkage.cluster: scenarios, a brute-force reference written from the contract, invariances, ids."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage import cluster as C
from linkage.cluster import ClusterConfig, cluster, cluster_stats, entity_ids
from linkage.errors import ConfigError, DataError, LinkageError

M, R, N = 2, 1, 0  # decisions: match, review, non-match
Pair = tuple[int, int, float, int]


def run(n: int, pairs: Sequence[Pair], source: Sequence[int] | None = None, **options) -> np.ndarray:
    src = np.zeros(n, np.int64) if source is None else np.asarray(source, np.int64)
    ia = np.array([p[0] for p in pairs], np.int64)
    ib = np.array([p[1] for p in pairs], np.int64)
    prob = np.array([p[2] for p in pairs], np.float64)
    dec = np.array([p[3] for p in pairs], np.int8)
    return cluster(n, src, ia, ib, prob, dec, ClusterConfig(**options))


def groups(labels: Sequence[int]) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        out.setdefault(int(label), set()).add(i)
    return {frozenset(g) for g in out.values()}


def path(k: int, p: float = 0.99) -> list[Pair]:
    return [(i, i + 1, p, M) for i in range(k - 1)]


# ----------------------------------------------------------------------------------------------
# a reference written from the contract in the module docstring (brute force, no shortcuts)


def reference_cluster(n: int, source: Sequence[int], pairs: Sequence[Pair], config: ClusterConfig) -> list[int]:
    """Average linkage from singletons, every support recomputed from the record pairs."""
    evidence, match, veto = {}, set(), set()
    for a, b, p, d in pairs:
        key = (min(a, b), max(a, b))
        evidence[key] = max(p, config.min_support) if d == M else p
        if d == M:
            match.add(key)
        if d == N and p <= config.veto_max_probability:
            veto.add(key)
    clusters = [[i] for i in range(n)]
    while True:
        best = None
        for i, x in enumerate(clusters):
            for y in clusters[i + 1:]:
                cross = [(min(a, b), max(a, b)) for a in x for b in y]
                if not any(c in match for c in cross) or any(c in veto for c in cross):
                    continue
                if {source[a] for a in x} & {source[b] for b in y} & config.duplicate_free_sources:
                    continue
                known = [evidence[c] for c in cross if c in evidence]
                support = (sum(known) + config.unscored_probability * (len(cross) - len(known))) / len(cross)
                if support >= config.min_support - 1e-9:
                    key = (-support, min(x), min(y))
                    if best is None or key < best[0]:
                        best = (key, x, y)
        if best is None:
            break
        _, x, y = best
        clusters = sorted([c for c in clusters if c is not x and c is not y] + [sorted(x + y)])
    labels = [0] * n
    for label, members in enumerate(sorted(clusters)):
        for r in members:
            labels[r] = label
    return labels


def reference_roots(n: int, a: Sequence[int], b: Sequence[int]) -> list[int]:
    """Smallest member of each record's connected component (graph search)."""
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for x, y in zip(a, b):
        neighbours[x].append(y)
        neighbours[y].append(x)
    root = [-1] * n
    for start in range(n):
        if root[start] < 0:
            root[start], stack = start, [start]
            while stack:
                for y in neighbours[stack.pop()]:
                    if root[y] < 0:
                        root[y] = start
                        stack.append(y)
    return root


@st.composite
def graphs(draw, max_n: int = 9, dyadic: bool = True):
    """(n, source, pairs, config). Dyadic probabilities keep every sum exact, so ties are exact."""
    n = draw(st.integers(1, max_n))
    candidates = [(a, b) for a in range(n) for b in range(a + 1, n)]
    chosen = draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    pairs, continuous = [], random.Random(draw(st.integers(0, 2**32)))
    for a, b in chosen:
        if dyadic:
            p, d = draw(st.integers(0, 64)) / 64, draw(st.sampled_from([M, M, M, R, N]))
        else:  # continuous (no ties); decisions follow probabilities, as from linkage.score
            p = continuous.random()
            d = M if p >= 0.9 else R if p >= 0.6 else N
        pairs.append((a, b, p, d) if draw(st.booleans()) else (b, a, p, d))
    source = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    config = ClusterConfig(duplicate_free_sources=draw(st.frozensets(st.integers(0, 2))),
                           min_support=draw(st.sampled_from([0.5, 0.625, 0.75])),
                           unscored_probability=draw(st.sampled_from([0.0, 0.2, 0.25])),
                           veto_max_probability=draw(st.sampled_from([1.0, 0.5, 0.0])))
    return n, source, pairs, config


def check_guarantees(n: int, source: Sequence[int], pairs: Sequence[Pair], config: ClusterConfig,
                     labels: np.ndarray) -> None:
    """The guarantees of the module docstring, checked one by one."""
    byp = {(min(a, b), max(a, b)): (p, d) for a, b, p, d in pairs}

    def evidence(a: int, b: int) -> float:
        if (min(a, b), max(a, b)) not in byp:
            return config.unscored_probability
        p, d = byp[min(a, b), max(a, b)]
        return max(p, config.min_support) if d == M else p

    def blocked(x: frozenset[int], y: frozenset[int]) -> bool:
        vetoed = any(byp.get((min(a, b), max(a, b)), (1.0, M))[1] == N
                     and byp[min(a, b), max(a, b)][0] <= config.veto_max_probability for a in x for b in y)
        return vetoed or bool({source[a] for a in x} & {source[b] for b in y} & config.duplicate_free_sources)

    first = [int(np.flatnonzero(labels == k)[0]) for k in range(int(labels.max()) + 1)] if n else []
    assert first == sorted(first) and set(labels.tolist()) == set(range(len(first)))  # numbered by smallest
    found = groups(labels)
    for g in found:
        reached, todo = {min(g)}, [min(g)]  # connected by match pairs inside the cluster
        while todo:
            a = todo.pop()
            for b in g - reached:
                if byp.get((min(a, b), max(a, b)), (0, N))[1] == M:
                    reached.add(b)
                    todo.append(b)
        assert reached == g
        inner = [evidence(a, b) for a in g for b in g if a < b]
        assert not inner or sum(inner) / len(inner) >= config.min_support - 1e-9
        for a in g:  # no veto, no two records of a duplicate-free source
            assert not blocked(frozenset({a}), g - {a})
    for x in found:  # maximal
        for y in found:
            if min(x) < min(y) and any(byp.get((min(a, b), max(a, b)), (0, N))[1] == M for a in x for b in y):
                support = sum(evidence(a, b) for a in x for b in y) / (len(x) * len(y))
                assert blocked(x, y) or support < config.min_support + 1e-9


# ----------------------------------------------------------------------------------------------
# scenarios

SCENARIOS = [
    # name, n, pairs, source, options, expected groups
    ("singletons", 3, [], None, {}, [{0}, {1}, {2}]),
    ("clean pair", 2, [(0, 1, 0.99, M)], None, {}, [{0, 1}]),
    ("triangle", 3, [(0, 1, 0.99, M), (1, 2, 0.97, M), (2, 0, 0.96, M)], None, {}, [{0, 1, 2}]),
    ("chain, A-D non-match", 4, [(0, 1, 0.99, M), (1, 2, 0.96, M), (2, 3, 0.98, M), (0, 3, 0.02, N)], None, {},
     [{0, 1}, {2, 3}]),
    ("all linked but A-D non-match", 4,
     [(0, 1, 0.99, M), (0, 2, 0.98, M), (1, 2, 0.97, M), (1, 3, 0.96, M), (2, 3, 0.95, M), (0, 3, 0.02, N)],
     None, {}, [{0, 1, 2}, {3}]),
    ("path of 6, neighbours only", 6, path(6), None, {}, [{0, 1}, {2, 3}, {4, 5}]),
    ("path of 3: one unscored pair is tolerated", 3, path(3), None, {}, [{0, 1, 2}]),
    ("path of 3 with the ends a non-match", 3, path(3) + [(0, 2, 0.1, N)], None, {}, [{0, 1}, {2}]),
    ("star: a hub does not collect everybody", 6, [(0, k, 0.99, M) for k in range(1, 6)], None, {},
     [{0, 1, 2}, {3}, {4}, {5}]),
    ("four records, all linked", 4, [(a, b, 0.97, M) for a in range(4) for b in range(a + 1, 4)], None, {},
     [{0, 1, 2, 3}]),
    ("four records, one pair never compared", 4,
     [(a, b, 0.97, M) for a in range(4) for b in range(a + 1, 4) if (a, b) != (0, 3)], None, {}, [{0, 1, 2, 3}]),
    ("review never joins", 2, [(0, 1, 0.94, R)], None, {}, [{0}, {1}]),
    ("review inside a component never joins", 3, [(0, 1, 0.99, M), (1, 2, 0.9, R), (0, 2, 0.9, R)], None, {},
     [{0, 1}, {2}]),
    ("reviews count as evidence", 4, [(0, 1, 0.99, M), (2, 3, 0.99, M), (1, 2, 0.99, M)] +
     [(0, 2, 0.9, R), (0, 3, 0.9, R), (1, 3, 0.9, R)], None, {}, [{0, 1, 2, 3}]),
    ("non-match between two record sets", 2, [(0, 1, 0.3, N)], None, {}, [{0}, {1}]),
    ("a (clerical) match below min_support still joins", 2, [(0, 1, 0.3, M)], None, {}, [{0, 1}]),
    ("within-source duplicates allowed", 3, [(0, 2, 0.97, M), (1, 2, 0.99, M)], [0, 0, 1], {}, [{0, 1, 2}]),
    ("duplicate-free: the third record joins the stronger", 3, [(0, 2, 0.97, M), (1, 2, 0.99, M)], [0, 0, 1],
     {"duplicate_free_sources": {0}}, [{1, 2}, {0}]),
    ("duplicate-free: a direct match is refused", 2, [(0, 1, 0.99, M)], [5, 5],
     {"duplicate_free_sources": frozenset({5})}, [{0}, {1}]),
    ("duplicate-free: other sources unaffected", 3, [(0, 2, 0.97, M), (1, 2, 0.99, M)], [0, 0, 1],
     {"duplicate_free_sources": {1}}, [{0, 1, 2}]),
    ("borderline non-match vetoes by default", 3, [(0, 1, 0.99, M), (1, 2, 0.99, M), (0, 2, 0.55, N)], None, {},
     [{0, 1}, {2}]),
    ("borderline non-match above veto_max_probability only lowers support", 3,
     [(0, 1, 0.99, M), (1, 2, 0.99, M), (0, 2, 0.55, N)], None, {"veto_max_probability": 0.3}, [{0, 1, 2}]),
    ("stricter min_support splits a path of 3", 3, path(3), None, {"min_support": 0.7}, [{0, 1}, {2}]),
]


@pytest.mark.parametrize(("name", "n", "pairs", "source", "options", "expected"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_scenarios(name, n, pairs, source, options, expected) -> None:
    labels = run(n, pairs, source, **options)
    assert labels.dtype == np.int64 and labels.shape == (n,)
    assert groups(labels) == {frozenset(g) for g in expected}
    src = [0] * n if source is None else source
    assert labels.tolist() == reference_cluster(n, src, pairs, ClusterConfig(**options))


def test_empty_input() -> None:
    assert cluster(0, [], [], [], [], []).tolist() == []
    assert cluster(3, [0, 1, 2], [], [], [], []).tolist() == [0, 1, 2]


def test_long_chain_breaks_into_small_pieces() -> None:
    labels = run(1000, path(1000))
    sizes = np.bincount(labels)
    assert sizes.max() <= 3 and len(sizes) >= 1000 // 3


# ----------------------------------------------------------------------------------------------
# properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_matches_reference_and_guarantees(graph) -> None:
    n, source, pairs, config = graph
    labels = run(n, pairs, source, **{f.name: getattr(config, f.name) for f in dataclasses.fields(config)})
    assert labels.tolist() == reference_cluster(n, source, pairs, config)
    check_guarantees(n, source, pairs, config, labels)


@settings(max_examples=150, deadline=None)
@given(graphs(max_n=12), st.randoms(use_true_random=False))
def test_invariant_under_pair_order_and_orientation(graph, rnd) -> None:
    n, source, pairs, config = graph
    options = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    shuffled = [(b, a, p, d) if rnd.random() < 0.5 else (a, b, p, d) for a, b, p, d in pairs]
    rnd.shuffle(shuffled)
    assert run(n, shuffled, source, **options).tolist() == run(n, pairs, source, **options).tolist()


@settings(max_examples=150, deadline=None)
@given(graphs(max_n=12, dyadic=False), st.randoms(use_true_random=False))
def test_invariant_under_record_relabelling(graph, rnd) -> None:
    """Without ties (continuous probabilities) the partition does not depend on record numbering."""
    n, source, pairs, config = graph
    options = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    perm = list(range(n))
    rnd.shuffle(perm)  # record i becomes perm[i]
    moved_source = [0] * n
    for i in range(n):
        moved_source[perm[i]] = source[i]
    moved = run(n, [(perm[a], perm[b], p, d) for a, b, p, d in pairs], moved_source, **options)
    assert groups(moved[perm]) == groups(run(n, pairs, source, **options))


@settings(max_examples=100, deadline=None)
@given(st.lists(graphs(max_n=8, dyadic=False), min_size=1, max_size=4))
def test_graphs_side_by_side_are_clustered_independently(batch) -> None:
    """One kernel call splits many components; nothing carries over from one to the next."""
    config = batch[0][3]
    options = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    offset, source, pairs, expected = 0, [], [], []
    for n, src, prs, _ in batch:
        alone = run(n, prs, src, **options)
        expected += [int(np.flatnonzero(alone == label)[0]) + offset for label in alone]
        source += src
        pairs += [(a + offset, b + offset, p, d) for a, b, p, d in prs]
        offset += n
    together = run(offset, pairs, source, **options)
    assert [int(np.flatnonzero(together == label)[0]) for label in together] == expected


def test_large_component_matches_reference() -> None:
    rng = random.Random(5)
    n = 90
    pairs = []
    for a in range(n):
        for b in range(a + 1, n):
            if b - a <= 3 or rng.random() < 0.03:  # dyadic probabilities: exact sums, exact ties
                p = rng.choice([62, 63, 45, 3]) / 64 if b - a <= 3 else rng.choice([63, 3]) / 64
                pairs.append((a, b, p, M if p > 0.9 else R if p > 0.6 else N))
    config = ClusterConfig(duplicate_free_sources=frozenset({1}))
    source = [rng.randrange(4) for _ in range(n)]
    labels = run(n, pairs, source, duplicate_free_sources={1})
    assert labels.tolist() == reference_cluster(n, source, pairs, config)
    check_guarantees(n, source, pairs, config, labels)


@pytest.mark.parametrize("edges", [0, 10, 60, 200])
@pytest.mark.parametrize("seed", [1, 2])
def test_components_kernel_equals_reference(edges, seed) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    a, b = rng.integers(0, n, edges), rng.integers(0, n, edges)
    assert C._component_roots(n, a, b).tolist() == reference_roots(n, a.tolist(), b.tolist())


def test_medium_graph_shuffled_gives_same_labels() -> None:
    """Many components (tight ones and split ones) at once: order-free and consistent with the contract."""
    rng = np.random.default_rng(3)
    n = 3000
    person = np.sort(rng.integers(0, 1200, n))
    same = np.flatnonzero(person[:, None] == person[None, :])
    ta, tb = same // n, same % n
    keep = (ta < tb) & (rng.random(len(ta)) > 0.1)  # blocking misses some true pairs
    a, b = np.r_[ta[keep], rng.integers(0, n, 8000)], np.r_[tb[keep], rng.integers(0, n, 8000)]
    keep = a != b
    a, b = a[keep], b[keep]
    _, first = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_index=True)
    a, b = a[first], b[first]
    p = np.where(person[a] == person[b], rng.uniform(0.85, 1.0, len(a)), rng.beta(1, 8, len(a)))
    p[rng.random(len(a)) < 0.02] = 0.97  # false matches that chain persons
    d = np.where(p >= 0.95, M, np.where(p >= 0.6, R, N)).astype(np.int8)
    source = rng.integers(0, 4, n)
    config = ClusterConfig(duplicate_free_sources=frozenset({0}))
    labels = cluster(n, source, a, b, p, d, config)
    order = rng.permutation(len(a))
    assert np.array_equal(cluster(n, source, b[order], a[order], p[order], d[order], config), labels)
    match = d == M
    roots = np.array(reference_roots(n, a[match].tolist(), b[match].tolist()))
    found = groups(labels)
    inner: dict[int, list[Pair]] = {}
    for x, y, q, e in zip(a.tolist(), b.tolist(), p.tolist(), d.tolist()):
        if roots[x] == roots[y]:
            inner.setdefault(int(roots[x]), []).append((x, y, q, e))
    split = 0
    for root, component in inner.items():  # each component against the reference
        members = np.flatnonzero(roots == root).tolist()
        local = {r: i for i, r in enumerate(members)}
        component = [(local[x], local[y], q, e) for x, y, q, e in component]
        expected = reference_cluster(len(members), source[members].tolist(), component, config)
        split += len(set(expected)) > 1
        for g in groups(expected):
            assert frozenset(members[i] for i in g) in found
    assert split >= 20  # the graph does exercise splitting


# ----------------------------------------------------------------------------------------------
# bad inputs and configs

GOOD = dict(n=3, source=[0, 0, 1], ia=[0, 1], ib=[1, 2], probability=[0.9, 0.8], decision=[2, 1])
BAD = [
    ("source too short", {"source": [0, 0]}, "source must have one entry per record"),
    ("ib too short", {"ib": [1]}, "ib must have one entry per pair"),
    ("probability too short", {"probability": [0.9]}, "probability must have one entry per pair"),
    ("decision too long", {"decision": [2, 1, 0]}, "decision must have one entry per pair"),
    ("index too large", {"ib": [1, 987654]}, "ib[1] must be a record index in [0, 3)"),
    ("negative index", {"ia": [-987654, 1]}, "ia[0] must be a record index in [0, 3)"),
    ("self pair", {"ib": [0, 2]}, "ib[0] must differ from ia"),
    ("probability above 1", {"probability": [0.9, 1.987654]}, "probability[1] must be in [0, 1]"),
    ("probability NaN", {"probability": [float("nan"), 0.5]}, "probability[0] must be in [0, 1]"),
    ("unknown decision", {"decision": [2, 7]}, "decision[1] must be 0 (non-match), 1 (review) or 2 (match)"),
    ("float indices", {"ia": [0.0, 1.0]}, "ia must hold integers"),
    ("matrix", {"ia": [[0, 1]]}, "ia must be a vector"),
    ("repeated pair", {"ia": [0, 1], "ib": [1, 0]}, "pairs 0 and 1 are the same records"),
    ("negative n", {"n": -1, "source": []}, "n (the number of records) must be a non-negative integer"),
]


@pytest.mark.parametrize(("name", "change", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_raise_data_errors(name, change, message) -> None:
    args = {**GOOD, **change}
    with pytest.raises(DataError) as info:
        cluster(args["n"], args["source"], args["ia"], args["ib"], args["probability"], args["decision"])
    assert isinstance(info.value, LinkageError) and isinstance(info.value, ValueError)
    assert message in str(info.value)
    assert "987654" not in str(info.value)  # positions and rules, never values


def test_config_validation_collects_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        ClusterConfig(min_support=1.3, unscored_probability=-0.1, veto_max_probability="x",
                      duplicate_free_sources={"a"})
    assert len(info.value.problems) == 4
    assert "'min_support' of ClusterConfig must be in [0, 1], got 1.3" in str(info.value)
    with pytest.raises(ConfigError):
        ClusterConfig(duplicate_free_sources="01")
    with pytest.raises(ConfigError):
        cluster(1, [0], [], [], [], [], config={"min_support": 0.5})


def test_config_is_frozen_and_normalised() -> None:
    config = ClusterConfig(duplicate_free_sources=[3, 1], min_support=1)
    assert config.duplicate_free_sources == frozenset({1, 3}) and isinstance(config.min_support, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.min_support = 0.2  # type: ignore[misc]
    with pytest.raises(TypeError):
        ClusterConfig(0.5)  # type: ignore[misc]  # keyword-only


# ----------------------------------------------------------------------------------------------
# entity ids and statistics


def expected_id(agency: str, ref: str) -> str:
    a, r = agency.encode(), ref.encode()
    data = b"linkage.entity.v1" + len(a).to_bytes(4, "big") + a + len(r).to_bytes(4, "big") + r
    return "E-" + hashlib.sha256(data).hexdigest()[:16]


def test_entity_ids_follow_the_contract() -> None:
    labels = np.array([0, 0, 1, 0, 2, 2])
    agencies = ["bamf", "ngo", "bamf", "bamf", "ngo", "ngo"]
    refs = ["r9", "a1", "r2", "r3", "b7", "b5"]
    ids = entity_ids(labels, agencies, refs)
    assert ids == [expected_id("bamf", "r3")] * 2 + [expected_id("bamf", "r2"), expected_id("bamf", "r3")] + \
        [expected_id("ngo", "b5")] * 2
    assert all(len(i) == 18 and i.startswith("E-") for i in ids)


def test_entity_ids_are_stable() -> None:
    rng = random.Random(1)
    n = 200
    labels = np.array([rng.randrange(60) for _ in range(n)])
    labels = np.unique(labels, return_inverse=True)[1]
    agencies = [rng.choice(["a", "b", "c"]) for _ in range(n)]
    refs = [f"ref-{i:04d}-{rng.random():.6f}" for i in range(n)]
    ids = entity_ids(labels, agencies, refs)
    assert ids == entity_ids(labels, agencies, refs)
    assert len(set(ids)) == labels.max() + 1  # one id per cluster
    perm = list(range(n))
    rng.shuffle(perm)  # records in another order, clusters numbered differently: same ids per record
    relabel = {old: new for new, old in enumerate(rng.sample(range(labels.max() + 1), labels.max() + 1))}
    moved = entity_ids(np.array([relabel[labels[i]] for i in perm]), [agencies[i] for i in perm],
                       [refs[i] for i in perm])
    assert moved == [ids[i] for i in perm]
    grown = entity_ids(np.r_[labels, labels[0]], agencies + ["zzz"], refs + ["new"])  # a member joins
    assert grown[:n] == ids and grown[n] == ids[0]


@pytest.mark.parametrize(("labels", "agencies", "refs", "message"), [
    ([0, 1], ["a"], ["x", "y"], "agencies must have one entry per record"),
    ([0, 1], ["a", "a"], ["x", "x"], "records 0 and 1 share one"),
    ([0, -1], ["a", "a"], ["x", "y"], "labels[1] must be a non-negative cluster label"),
    ([0, 1], ["a", "a"], ["x", 5], "record_refs[1] must be a string"),
])
def test_entity_ids_bad_inputs(labels, agencies, refs, message) -> None:
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        entity_ids(np.array(labels), agencies, refs)


def test_entity_ids_may_repeat_refs_across_agencies() -> None:
    ids = entity_ids(np.array([0, 1]), ["a", "b"], ["x", "x"])
    assert ids == [expected_id("a", "x"), expected_id("b", "x")]
    assert entity_ids(np.zeros(0, np.int64), [], []) == []


def test_cluster_stats() -> None:
    labels = np.array([0, 0, 1, 2, 2, 2, 3])
    source = np.array([4, 4, 7, 4, 7, 9, 9])
    assert cluster_stats(labels, source) == {
        "records": 7, "clusters": 4, "records_per_cluster": 1.75, "largest_cluster": 3,
        "size_histogram": {"1": 2, "2": 1, "3": 1}, "sources_histogram": {"1": 3, "3": 1},
        "multi_source_clusters": 1, "duplicate_clusters": 1, "duplicate_records": 1,
    }
    assert cluster_stats(np.zeros(0, np.int64), np.zeros(0, np.int64))["clusters"] == 0
    with pytest.raises(DataError):
        cluster_stats(labels, source[:3])
