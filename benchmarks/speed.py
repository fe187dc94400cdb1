"""Speed of the bundled model: load, one molecule's full profile, 1,000 molecules.

Prints medians of several runs and the targets (load <= 2 s, one molecule <= 50 ms after
load, 1,000 molecules <= 5 s). Each load runs in a fresh process, so imports count; the
same process then times its first prediction, which pays the lazy set-up (RDKit, torch,
the reference statistics of the similarity prior) that the later "one molecule" runs do
not.

    python benchmarks/speed.py [--model models/] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Drug-like molecules to cycle through (approved drugs, a few with salts).
MOLECULES = (
    "CC(=O)Oc1ccccc1C(=O)O",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "CN1CCC[C@H]1c1cccnc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "CC(=O)Nc1ccc(O)cc1",
    "CN(C)CCCN1c2ccccc2CCc2ccccc21",
    "COc1ccc2[nH]cc(CCN(C)C)c2c1",
    "OC(=O)CCc1ccc(OCc2ccccc2)cc1",
    "CCN(CC)CCNC(=O)c1ccc(N)cc1.Cl",
    "CC12CCC3c4ccc(O)cc4CCC3C1CCC2O",
    "Clc1ccc(cc1)C(c1ccccc1)N1CCN(CC1)CCOCC(=O)O",
    "CC(C)NCC(O)COc1ccc(CC(N)=O)cc1",
)

LOAD_SNIPPET = """
import sys, time
t = time.perf_counter()
from sefreq import Predictor
p = Predictor.from_directory(sys.argv[1]) if sys.argv[1] else Predictor.from_bundled()
loaded = time.perf_counter() - t
t = time.perf_counter()
p.predict("CC(=O)Oc1ccccc1C(=O)O")
print(loaded, time.perf_counter() - t)
"""


def median_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="", help="bundle folder (default: the bundled model)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    runs = [
        subprocess.run([sys.executable, "-c", LOAD_SNIPPET, args.model], check=True,
                       capture_output=True, text=True).stdout.strip().splitlines()[-1].split()
        for _ in range(args.repeats)
    ]  # fmt: skip
    load = statistics.median(float(run[0]) for run in runs)
    first = statistics.median(float(run[1]) for run in runs)

    from sefreq import Predictor

    predictor = Predictor.from_directory(args.model) if args.model else Predictor.from_bundled()
    predictor.predict(MOLECULES[0])  # warm-up: first call pays lazy RDKit/torch set-up
    one = median_of(lambda: predictor.predict(MOLECULES[1]), max(args.repeats, 10))
    batch = [MOLECULES[i % len(MOLECULES)] for i in range(1000)]
    many = median_of(lambda: predictor.predict(batch), args.repeats)

    figures = {
        "load_s": round(load, 3),
        "first_prediction_ms": round(first * 1000, 1),
        "one_molecule_ms": round(one * 1000, 1),
        "thousand_molecules_s": round(many, 2),
        "repeats": args.repeats,
    }
    targets = {"load_s": 2.0, "one_molecule_ms": 50.0, "thousand_molecules_s": 5.0}
    for key, value in figures.items():
        if key in targets:
            verdict = "ok" if value <= targets[key] else "MISSED"
            print(f"{key:22s} {value:>8}  (target <= {targets[key]})  {verdict}")
        elif key != "repeats":
            print(f"{key:22s} {value:>8}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
