"""Measure how full the Bloom filters of a schema are on synthetic exports, and suggest k.

Usage: python benchmarks/fill.py [--persons N] [--schema configs/schema.toml] [--json]

A filter's fill is 1 - exp(-k n / l) for n tokens of k bits each in l bits; about half full
(fill 0.5) carries the most information per bit. The schema's bits per token are chosen with
this script: it encodes every agency's synthetic export, reports the mean fill per field (per
name part for names) and the factor by which to scale that field's bits per token to reach 0.5,
i.e. ln(0.5) / ln(1 - fill).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from linkage import io, jobs, synth
from linkage.keys import ProjectSecret
from linkage.seal import Keyring, generate_recipient_key

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent / "configs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    secret = ProjectSecret(bytes(range(32)))
    data = synth.generate(args.persons, seed=args.seed)
    totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = io.write_synth(data, Path(tmp))
        keyring = io.write_keyring(Path(tmp) / "keyring.json", Keyring(
            {e.agency: generate_recipient_key(e.agency).public_key for e in data.exports}))
        for export in data.exports:
            out = Path(tmp) / f"{export.agency}.parquet"
            jobs.encode_file(paths[export.agency], CONFIGS / export.config_name, out, secret=secret,
                             consent_path=paths[f"consent/{export.agency}"], keyring_path=keyring)
            info = jobs.inspect_export(io.read_encoded(out))
            for name, field in info["fields"].items():
                if field["present"]:
                    totals.setdefault(name, [0.0, 0.0])
                    weight = field["present"] * field.get("mean_parts", 1.0)
                    totals[name][0] += field["fill_rate"] * weight
                    totals[name][1] += weight
            if info["record_filter"]:
                totals.setdefault("clk", [0.0, 0.0])
                totals["clk"][0] += info["record_filter"]["fill_rate"] * info["record_count"]
                totals["clk"][1] += info["record_count"]
    result = {}
    print(f"{'field':<14} {'mean fill':>9} {'scale k by':>10}")
    for name, (weighted, weight) in totals.items():
        fill = weighted / weight
        scale = math.log(0.5) / math.log(1 - fill) if 0 < fill < 1 else float("nan")
        result[name] = {"fill": round(fill, 3), "scale_k_by": round(scale, 2)}
        print(f"{name:<14} {fill:9.3f} {scale:10.2f}")
    if args.json:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
