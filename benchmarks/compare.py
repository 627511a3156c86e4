"""Comparison speed: our Dice kernels against anonlink 0.15 (C++ Dice) on the same filters.

Usage: python benchmarks/compare.py [--filters N] [--thresholds 0.8,0.75,0.6] [--pairs P] [--repeats R] [--json]

Data: two sets of N 1024-bit filters, each row between 40% and 55% full (fixed seed). Half of the
second set are near-duplicates of rows of the first (a random 10 to 300 of their bits flipped);
the rest are unrelated. In the same run and on the same data, best of R interleaved runs each:

1. anonlink ``dice_coefficient_accelerated`` many-to-many (single-threaded C++; the CPU time it
   uses is printed to show it) -- the anchor, when anonlink is installed (pip install -e '.[bench]';
   it needs setuptools<81);
2. our ``dice_all_pairs`` with numba on one thread and on all threads, checking that it finds
   exactly the pairs (and scores) anonlink finds;
3. our ``dice_pairs`` on P candidate pairs sorted by the first index (the shape blocking produces).

Comparisons/s counts logical pairs, N * N / seconds, for both systems alike. A spin loop on one and
on all threads measures how much of the machine was free (other jobs share it), to read the scaling.
Thresholds near 0.5 measure mostly output: random pairs of half-full filters score about 0.45.
Targets (issue): >= 4x anonlink per core at threshold 0.8, and scaling to both cores. 0.75 is
the default ``all_pairs_min_dice`` of the link job (the threshold the dense path runs at); 0.6
shows the kernel with little pruning (pairs near the threshold of random pairs).
The last stdout line with --json is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numba
import numpy as np

from linkage.similarity import dice_all_pairs, dice_pairs

NUM_BITS = 1024


def make_filters(count: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Two (count, 128) uint8 filter sets; half of ``b`` are noisy copies of rows of ``a``."""
    rng = np.random.default_rng(seed)

    def random_rows(rows: int) -> np.ndarray:
        fill = rng.uniform(0.40, 0.55, size=(rows, 1))
        return rng.random((rows, NUM_BITS)) < fill

    a = random_rows(count)
    copies = count // 2
    source = rng.permutation(count)[:copies]
    near = a[source].copy()
    for row, flips in zip(near, rng.integers(10, 301, size=copies)):
        positions = rng.choice(NUM_BITS, size=flips, replace=False)
        row[positions] = ~row[positions]
    b = np.concatenate([near, random_rows(count - copies)])[rng.permutation(count)]
    return np.packbits(a, axis=1), np.packbits(b, axis=1)


def best_of(run, repeats: int) -> float:  # type: ignore[no-untyped-def]
    """Best wall time of ``repeats`` calls of ``run``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def time_interleaved(runners: list, threads: list[int], repeats: int) -> tuple[list[float], list, list[float]]:
    """Best time, last result and CPU time / wall time of each runner (on its numba thread count),
    alternating runs so that drift of a shared machine hits all alike."""
    best, results = [float("inf")] * len(runners), [None] * len(runners)
    cpu, wall = [0.0] * len(runners), [0.0] * len(runners)
    for _ in range(repeats):
        for i, (run, count) in enumerate(zip(runners, threads)):
            numba.set_num_threads(count)
            cpu_start, start = time.process_time(), time.perf_counter()
            results[i] = run()
            elapsed = time.perf_counter() - start
            best[i] = min(best[i], elapsed)
            cpu[i] += time.process_time() - cpu_start
            wall[i] += elapsed
    return best, results, [c / w for c, w in zip(cpu, wall)]


@numba.njit(parallel=True)
def _spin(tasks: int, steps: int) -> float:
    total = 0.0
    for t in numba.prange(tasks):
        x = 1.0 + t
        for _ in range(steps):
            x = x * 1.0000001 + 1e-9
        total += x
    return total


def free_cores(threads: int, repeats: int) -> float:
    """Throughput of ``threads`` independent spin loops relative to one: the cores actually free."""
    numba.set_num_threads(threads)
    _spin(threads, 10)
    many = best_of(lambda: _spin(threads, 30_000_000), repeats)
    numba.set_num_threads(1)
    one = best_of(lambda: _spin(1, 30_000_000), repeats)
    return threads * one / many


def anonlink_runner(a: np.ndarray, b: np.ndarray):  # type: ignore[no-untyped-def]
    """A callable ``threshold -> set of (i, j)`` running anonlink on bitarrays, or None if missing."""
    try:
        from anonlink.similarities import dice_coefficient_accelerated
        from bitarray import bitarray
    except ImportError:
        return None

    def bitarrays(filters: np.ndarray) -> list:
        out = []
        for row in filters:
            bits = bitarray(endian="big")
            bits.frombytes(row.tobytes())
            out.append(bits)
        return out

    first, second = bitarrays(a), bitarrays(b)

    def run(threshold: float):  # type: ignore[no-untyped-def]
        return dice_coefficient_accelerated([first, second], threshold)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filters", type=int, default=10_000, help="filters on each side")
    parser.add_argument("--thresholds", default="0.8,0.75,0.6", help="comma-separated Dice thresholds")
    parser.add_argument("--pairs", type=int, default=5_000_000, help="candidate pairs for dice_pairs")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many runs")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    threads = numba.config.NUMBA_NUM_THREADS
    a, b = make_filters(args.filters)
    n = args.filters
    logical = n * n
    anonlink = anonlink_runner(a, b)

    dice_all_pairs(a[:300], b[:300], threshold=0.5)  # warm up: load (or compile) the kernels once
    dice_pairs(a, b, np.arange(10), np.arange(10))
    result: dict[str, object] = {"filters": n, "num_bits": NUM_BITS, "threads": threads,
                                 "free_cores": round(free_cores(threads, args.repeats), 2)}
    print(f"{n} x {n} filters of {NUM_BITS} bits; machine: {threads} threads, "
          f"{result['free_cores']:.2f} cores free by a spin-loop test")
    for threshold in thresholds:
        key = f"t{threshold:g}".replace(".", "")
        runners = [lambda: dice_all_pairs(a, b, threshold=threshold)] * 2
        runners += [] if anonlink is None else [lambda: anonlink(threshold)]
        (one, many, *theirs), results, cpu_share = time_interleaved(runners, [1, threads, 1], args.repeats)
        (ia, ib, dice), (ia2, ib2, _) = results[:2]
        assert np.array_equal(ia, ia2) and np.array_equal(ib, ib2), "thread count changed the result"
        figures = {"pairs_found": len(ia), "cmp_per_s_per_core": round(logical / one),
                   "cmp_per_s_all_cores": round(logical / many), "scaling_all_cores": round(one / many, 2)}
        print(f"threshold {threshold}: {len(ia)} pairs")
        print(f"  linkage 1 thread  : {one:7.3f} s  {logical / one / 1e6:8.1f} M comparisons/s")
        print(f"  linkage {threads} threads : {many:7.3f} s  {logical / many / 1e6:8.1f} M comparisons/s"
              f"  (scaling {one / many:.2f}x)")
        if anonlink is None:
            print("  anonlink          : not installed (pip install -e '.[bench]'); ratio not measured")
        else:
            sims, (ja, jb) = results[2]
            ours = dict(zip(zip(ia.tolist(), ib.tolist()), dice.tolist()))
            theirs_pairs = dict(zip(zip(np.asarray(ja).tolist(), np.asarray(jb).tolist()), np.asarray(sims).tolist()))
            same = ours.keys() == theirs_pairs.keys() and all(abs(ours[k] - v) < 1e-6 for k, v in theirs_pairs.items())
            figures.update(anonlink_cmp_per_s=round(logical / theirs[0]), ratio_vs_anonlink=round(theirs[0] / one, 2),
                           anonlink_pairs_found=len(ja), same_pairs_as_anonlink=same)
            print(f"  anonlink          : {theirs[0]:7.3f} s  {logical / theirs[0] / 1e6:8.1f} M comparisons/s"
                  f"  (CPU time / wall {cpu_share[2]:.2f}: one thread)")
            print(f"  ratio             : {theirs[0] / one:.1f}x anonlink per core (target >= 4x);"
                  f" same pairs and scores: {'yes' if same else 'NO'} ({len(ja)} vs {len(ia)})")
        result.update({f"{key}_{name}": value for name, value in figures.items()})
    first = "t" + f"{thresholds[0]:g}".replace(".", "") + "_"  # headline figures: the first threshold
    result.update({key[len(first):]: value for key, value in list(result.items()) if key.startswith(first)})

    rng = np.random.default_rng(3)
    pairs_a = np.sort(rng.integers(0, n, args.pairs))
    pairs_b = rng.integers(0, n, args.pairs)
    (one, many), _, _ = time_interleaved([lambda: dice_pairs(a, b, pairs_a, pairs_b)] * 2, [1, threads], args.repeats)
    result.update(dice_pairs_per_s_per_core=round(args.pairs / one),
                  dice_pairs_per_s_all_cores=round(args.pairs / many))
    print(f"dice_pairs on {args.pairs} candidate pairs: {args.pairs / one / 1e6:.1f} M pairs/s on 1 thread,"
          f" {args.pairs / many / 1e6:.1f} M pairs/s on {threads}")
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"peak memory: {result['peak_rss_mib']} MiB")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
