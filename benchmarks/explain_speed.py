"""Speed of explanations with the bundled model on this CPU.

Times :meth:`sefreq.explain.Explainer.explain` for one molecule x one side effect and x its
top 10 predicted side effects (targets <= 1 s and <= 3 s), as medians over several runs
and molecules, after a warm-up call (the first call of a process also imports shap and
builds the background; that one-off cost is printed separately). Drawing time is printed
too.

    python benchmarks/explain_speed.py [--model models/] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

MOLECULES = (
    "CC(=O)Oc1ccccc1C(=O)O",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "CN1CCC[C@H]1c1cccnc1",
    "CN(C)CCCN1c2ccccc2CCc2ccccc21",
    "CC12CCC3c4ccc(O)cc4CCC3C1CCC2O",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="bundle folder")
    parser.add_argument("--repeats", type=int, default=5, help="runs per molecule and case")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    from sefreq.explain import Explainer, draw_explanation

    explainer = Explainer(bundle_dir=args.model)
    _ = explainer.background
    first = explainer.explain(MOLECULES[0])
    cold = time.perf_counter() - started
    print(f"first call in a fresh process (imports, model load, background): {cold:.2f} s")

    top = {smiles: explainer.top_side_effects(smiles, 10) for smiles in MOLECULES}
    cases = {
        "1 molecule x 1 side effect (top predicted), association": (1, "association", 1.0),
        "1 molecule x top 10 side effects, association": (10, "association", 3.0),
        "1 molecule x 1 side effect, frequency": (1, "frequency", 1.0),
        "1 molecule x top 10 side effects, frequency": (10, "frequency", 3.0),
    }
    for label, (n, output, target) in cases.items():
        times = []
        for smiles in MOLECULES:
            for _ in range(args.repeats):
                tick = time.perf_counter()
                explainer.explain(smiles, top[smiles][:n], output)
                times.append(time.perf_counter() - tick)
        median = statistics.median(times)
        verdict = "ok" if median <= target else "SLOWER THAN TARGET"
        print(
            f"{label}: median {median:.3f} s, max {max(times):.3f} s over {len(times)} runs "
            f"(target <= {target:.0f} s: {verdict})"
        )
    # Default side effect: includes predicting the profile to find the top one.
    times = []
    for smiles in MOLECULES:
        tick = time.perf_counter()
        explainer.explain(smiles)
        times.append(time.perf_counter() - tick)
    median = statistics.median(times)
    print(f"1 molecule, side effect not given (predicts first): median {median:.3f} s")
    times = []
    for _ in range(args.repeats):
        tick = time.perf_counter()
        draw_explanation(first)
        draw_explanation(first, fmt="png")
        times.append(time.perf_counter() - tick)
    print(f"drawing SVG + PNG: median {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
