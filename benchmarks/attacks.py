"""Privacy attacks on today's encoded exports, measured: what the linkage unit can re-identify.

Usage: python benchmarks/attacks.py [--records N] [--dummies F] [--hardening SPEC] [--schema FILE] [--seed S]
                                    [--json]

The five agencies' synthetic exports (``linkage.synth``, about N records; default 100,000) are
encoded with their shipped configs (``configs/``) and a fixed project secret, exactly as the
agencies would; the attacker's knowledge is the plaintext of a population generated with another
seed (other people, same population), normalised with the library's own normalisers. Every attack
of :mod:`linkage.audit` then runs on the exports alone, as the linkage unit, and is scored against
the truth: frequency alignment on every column, the structural birth-year attack on the date
filter (and the birth-year purity of blocking-key groups), pattern mining (seeded by frequency
alignment, and with the 300 most frequent encodings known), graph matching. The whole run is
repeated with owner-side dummy records (``--dummies``, a fraction of each agency's records,
default 0.25; 0 skips it). ``--hardening`` replaces the schema's hardening for a what-if run,
e.g. ``--hardening diffusion=3`` or ``--hardening balance,permute,blip_probability=0.05,salt_field=birth_date``
(``none``: all off); ``--schema`` encodes with another schema file instead of the shipped one (a
variant against the default).

Printed per attack and column: share of items re-identified (name parts for name columns), the
shares of records with any / all parts right, the accuracy of always guessing the public
sample's most common value (the prior) and the advantage over it in percentage points, and the
attack's own estimate without truth. The last stdout line with --json is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from linkage import io
from linkage.audit import AttackReport, run_attacks, synthetic_scenario
from linkage.config import HardeningSpec

RECORDS_PER_PERSON = 2.76  # linkage.synth: records per person over the five agencies


def parse_hardening(spec: str | None) -> HardeningSpec | None:
    """``balance,diffusion=3,permute,blip_probability=0.05,salt_field=birth_date`` -> HardeningSpec
    (``none``: every option off)."""
    if spec and spec.strip().lower() == "none":
        return HardeningSpec()
    if not spec:
        return None
    kwargs: dict[str, Any] = {}
    for item in spec.split(","):
        name, _, value = item.strip().partition("=")
        if name in ("balance", "xor_fold", "permute"):
            kwargs[name] = value.lower() not in ("0", "false", "no") if value else True
        elif name == "blip_probability":
            kwargs[name] = float(value)
        elif name == "diffusion":
            kwargs[name] = int(value or 3)
        elif name == "salt_field":
            kwargs[name] = value
        else:
            raise SystemExit(f"unknown hardening {name!r}: use balance, diffusion=T, xor_fold, permute, "
                             "blip_probability=P, salt_field=FIELD")
    return HardeningSpec(**kwargs)


def run(records: int, seed: int, dummies: float, hardening: HardeningSpec | None = None,
        schema: Path | None = None) -> dict[str, Any]:
    persons = max(50, round(records / RECORDS_PER_PERSON))
    out: dict[str, Any] = {"persons": persons, "seed": seed, "public_seed": seed + 1,
                           "hardening": None if hardening is None else dataclasses.asdict(hardening),
                           "schema": str(schema) if schema is not None else "configs/schema.toml"}
    for label, fraction in (("clean", 0.0), ("dummies", dummies)):
        if label == "dummies" and fraction <= 0:
            continue
        start = time.perf_counter()
        scenario = synthetic_scenario(persons, seed=seed, public_seed=seed + 1, dummies=fraction,
                                      hardening=hardening, schema=None if schema is None else io.load_schema(schema))
        report = run_attacks(scenario.exports, scenario.public, scenario.truth, real=scenario.real)
        out[label] = {"dummy_fraction": fraction, **report.to_dict(), "setup_seconds": scenario.seconds,
                      "total_seconds": round(time.perf_counter() - start, 2)}
    return out


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:6.2f}"


def print_report(label: str, result: dict[str, Any]) -> None:
    report = AttackReport(result["records"], result["real_records"], (), result["seconds"])
    print(f"\n== {label}: {report.records} records ({report.real_records} real, dummy fraction "
          f"{result['dummy_fraction']}), attacks {result['seconds']} s, setup {result['setup_seconds']} s, "
          f"total {result['total_seconds']} s")
    print(f"{'attack':<38} {'column':<15} {'items':>7} {'re-id %':>7} {'rec any':>7} {'rec all':>7} "
          f"{'prior %':>7} {'adv pp':>7} {'est %':>6}  note")
    for f in result["figures"]:
        adv = "" if f["advantage_pp"] is None else f"{f['advantage_pp']:7.2f}"
        mark = " *" if f["low_entropy"] else ""
        note = (f"top-10 encodings {100 * f['top10']:.0f}% right" if f["top10"] is not None else f["note"])
        print(f"{f['attack']:<38} {f['column'] + mark:<15} {f['items']:>7} {_pct(f['reidentified']):>7} "
              f"{_pct(f['records_any']):>7} {_pct(f['records_all']):>7} {_pct(f['prior']):>7} {adv:>7} "
              f"{_pct(f['estimated']):>6}  {note}")
    print("(* low-entropy column: accuracy and advantage over the prior guess are the figures to watch)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="about this many encoded records")
    parser.add_argument("--dummies", type=float, default=0.25, help="dummy records per real record (0: skip)")
    parser.add_argument("--hardening", help="what-if hardening, e.g. balance,permute,blip_probability=0.05")
    parser.add_argument("--schema", type=Path, help="schema file instead of configs/schema.toml (what-if runs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.records, args.seed, args.dummies, parse_hardening(args.hardening), args.schema)
    result["seconds"] = round(time.perf_counter() - start, 2)
    print(f"attacks on {result['persons']} synthetic persons (seed {args.seed}); public sample: seed "
          f"{args.seed + 1}; schema {result['schema']}; hardening {result['hardening'] or 'as shipped'}; "
          f"{result['seconds']} s in all")
    for label in ("clean", "dummies"):
        if label in result:
            print_report(label, result[label])
    if args.json:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
