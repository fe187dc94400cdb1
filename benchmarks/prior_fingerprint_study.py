"""The prior of the mechanism model (2.x): its fingerprints and its mechanism weights, judged
on validation drugs only.

    SEFREQ_DATA_DIR=/path/to/upstream OMP_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/prior_fingerprint_study.py --folds 6

The kNN prior of the shipped recipe (``sefreq-mechanism``) reads a similarity averaged over
four count fingerprints (ECFP4, FCFP4, atom pairs, topological torsions). Their
featurisation and the four similarities are a third of what screening spends on a molecule
(#24). On each ICS-all fold (harness folds of ``--seed``) the recipe is trained on the
fold's training drugs alone, early stopping on a share of them, once per setting compared
(a fingerprint set of :data:`SETS`, or another entry of :data:`SETTINGS`; same seeds), and
scored on the fold's validation drugs, which no model has seen, in both
conditions: structure only (``sefreq-mechanism``) and known targets (``sefreq-known``). The
test drugs are not touched.

Prints the featurisation time of each set, each metric's mean over folds, and the
fold-paired difference (second - first) with its standard error. Run at 2.0.1 (docs/MODEL.md):
``--compare counts4,ecfp`` (25 min) and ``counts4,no-ap`` (33 min) on 6 folds; neither set
adopted. ``counts4,weights-0.9`` gave counts4's figures on the 3 folds it ran.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sefreq.bench.models.sefreq_net import make_mechanism
from sefreq.bench.protocols import iter_folds, load_or_make_assignment
from sefreq.bench.runner import load_bench_data
from sefreq.bench.scoring import score
from sefreq.chem.features import MODEL_KERNEL_FINGERPRINTS, featurize

SETS = {
    "counts4": MODEL_KERNEL_FINGERPRINTS,
    "ecfp": ("ecfp2_counts",),
    "ecfp+tt": ("ecfp2_counts", "tt_counts"),
    "no-ap": ("ecfp2_counts", "fcfp2_counts", "tt_counts"),
    "ecfp+fcfp": ("ecfp2_counts", "fcfp2_counts"),
}
#: Other settings of the recipe to compare the same way (the prior's fingerprints as shipped).
SETTINGS = {name: {"kernel_fingerprints": names} for name, names in SETS.items()} | {
    # The grid of the mechanism's weight in the prior's similarity: the shipped model chose
    # its top, 0.5, both for new molecules and for those with known proteins.
    "weights-0.9": {"mechanism_similarity_weights": (0.0, 0.3, 0.5, 0.7, 0.9)},
}
METRICS = ("auroc", "aupr", "auroc_per_drug", "aupr_per_drug", "rmse", "mae", "spearman")
PROTOCOL = "ICS-all"


def featurisation_ms(smiles: list[str], names: tuple[str, ...]) -> float:
    started = time.perf_counter()
    featurize(smiles, kernel=names)
    return (time.perf_counter() - started) / len(smiles) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="harness fold seed")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--compare", default="counts4,ecfp", help="two of " + ", ".join(SETTINGS))
    args = parser.parse_args()
    first, second = (name.strip() for name in args.compare.split(","))
    data = load_bench_data()
    assignment = load_or_make_assignment(data, PROTOCOL, args.seed, None)
    folds = list(iter_folds(data, assignment, args.folds))
    drugs = list(folds[0].train.smiles)[:400]
    for name in (first, second):
        names = SETTINGS[name].get("kernel_fingerprints", MODEL_KERNEL_FINGERPRINTS)
        print(f"{name}: featurisation {featurisation_ms(drugs, names):.2f} ms/drug")
    rows = []
    for fold in tqdm(folds, unit="fold"):
        for name in (first, second):
            model = make_mechanism(**SETTINGS[name], seed=args.seed + fold.index)
            model.fit(fold.train, None)  # early stopping on a share of the training drugs
            for condition, known in (("structure", False), ("known", True)):
                model.known_mechanism = known
                metrics = score(fold.validation, model.predict(fold.validation.query), PROTOCOL)
                rows.append({"fold": fold.index, "set": name, "condition": condition,
                             **{m: metrics[m] for m in METRICS}})  # fmt: skip
                print(name, condition, fold.index, {m: round(rows[-1][m], 4) for m in METRICS},
                      flush=True)  # fmt: skip
    table = pd.DataFrame(rows)
    print(f"\n{PROTOCOL} seed {args.seed}, {len(folds)} folds, validation drugs, mean over folds:")
    print(table.groupby(["condition", "set"], sort=False)[list(METRICS)].mean().round(4))
    for condition in ("structure", "known"):
        part = table[table.condition == condition]
        wide = part.pivot(index="fold", columns="set", values=list(METRICS))
        print(f"\n{condition}: {second} - {first}, paired by fold (mean ± SE; better on k of n):")
        for metric in METRICS:
            diff = (wide[metric][second] - wide[metric][first]).to_numpy()
            better = int(((diff < 0) if metric in ("rmse", "mae") else (diff > 0)).sum())
            stderr = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
            print(f"  {metric:15s} {diff.mean():+.4f} ± {stderr:.4f}   "
                  f"better on {better}/{len(diff)}")  # fmt: skip


if __name__ == "__main__":
    main()
