"""Cheaper molecular features, judged on validation drugs only (ICS folds).

    SEFREQ_DATA_DIR=/path/to/upstream OMP_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/feature_study.py --folds 10

On each ICS fold (harness folds of ``--seed``) the shipped recipe (``sefreq``: the smoothed
prior on the kernel similarity, ``BENCH_MEMBERS`` members) is trained on the fold's
training drugs alone, early stopping on a share of them, and scored on the fold's
validation drugs, which no model has seen; the test drugs are not touched. Two feature
sets, same seeds:

- ``legacy``: 19 descriptors (QED and BertzCT among them) and five kernel fingerprints;
- ``fast``: 16 descriptors (without QED, BertzCT and NumValenceElectrons) and the four
  count fingerprints (without MACCS keys, whose substructure search costs more than the
  four others together);
- ``no-crippen``: ``fast`` without MolLogP and MolMR (Crippen's atom typing, a SMARTS
  search per atom type, is then the costliest descriptor by far).

``--compare legacy,fast`` (the default) or any two of them. Prints the featurisation time
of each set on the drugs, each metric's mean over folds, and the fold-paired difference
(second - first) with its standard error.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/feature_study.py --folds 10 \
        --compare fast,no-crippen
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sefreq.bench.models.sefreq_net import make_shipped
from sefreq.bench.protocols import PROTOCOLS, iter_folds, load_or_make_assignment
from sefreq.bench.runner import load_bench_data
from sefreq.bench.scoring import score
from sefreq.chem.features import (
    DESCRIPTOR_NAMES,
    FAST_DESCRIPTOR_NAMES,
    KERNEL_FINGERPRINTS,
    LEGACY_DESCRIPTOR_NAMES,
    MODEL_KERNEL_FINGERPRINTS,
    featurize,
)

FEATURE_SETS = {
    "legacy": {"descriptors": LEGACY_DESCRIPTOR_NAMES, "kernel_fingerprints": KERNEL_FINGERPRINTS},
    "fast": {
        "descriptors": FAST_DESCRIPTOR_NAMES,
        "kernel_fingerprints": MODEL_KERNEL_FINGERPRINTS,
    },
    "no-crippen": {
        "descriptors": DESCRIPTOR_NAMES,
        "kernel_fingerprints": MODEL_KERNEL_FINGERPRINTS,
    },
}
METRICS = ("auroc", "aupr", "auroc_per_drug", "aupr_per_drug", "rmse", "mae", "spearman")


def featurisation_ms(smiles: list[str], settings: dict) -> float:
    started = time.perf_counter()
    featurize(
        smiles, kernel=settings["kernel_fingerprints"], descriptor_names=settings["descriptors"]
    )
    return (time.perf_counter() - started) / len(smiles) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="harness fold seed")
    parser.add_argument("--folds", type=int, default=PROTOCOLS["ICS"].n_folds)
    parser.add_argument("--members", type=int, default=None, help="ensemble size per fold")
    parser.add_argument(
        "--compare", default="legacy,fast", help="two of " + ", ".join(FEATURE_SETS)
    )
    args = parser.parse_args()
    first, second = (name.strip() for name in args.compare.split(","))
    sets = {name: FEATURE_SETS[name] for name in (first, second)}
    data = load_bench_data()
    assignment = load_or_make_assignment(data, "ICS", args.seed, None)
    rows = []
    folds = list(iter_folds(data, assignment, args.folds))
    drugs = list(folds[0].train.smiles) + list(folds[0].test.query.smiles)
    for name, settings in sets.items():
        print(f"{name}: featurisation {featurisation_ms(drugs, settings):.2f} ms/drug")
    for fold in tqdm(folds, unit="fold"):
        for name, settings in sets.items():
            options = dict(settings)
            if args.members:
                options["n_members"] = args.members
            model = make_shipped(**options)
            model.fit(fold.train, None)  # early stopping on a share of the training drugs
            prediction = model.predict(fold.validation.query)
            metrics = score(fold.validation, prediction, "ICS")
            rows.append({"fold": fold.index, "features": name, **{m: metrics[m] for m in METRICS}})
            print(name, fold.index, {m: round(rows[-1][m], 4) for m in METRICS}, flush=True)
    table = pd.DataFrame(rows)
    print(f"\nICS seed {args.seed}, {len(folds)} folds, validation drugs, mean over folds:")
    print(table.groupby("features", sort=False)[list(METRICS)].mean().round(4).to_string())
    wide = table.pivot(index="fold", columns="features", values=list(METRICS))
    print(f"\n{second} - {first}, paired by fold (mean ± standard error; better on k of n folds):")
    for metric in METRICS:
        diff = (wide[metric][second] - wide[metric][first]).to_numpy()
        lower_is_better = metric in ("rmse", "mae")
        better = int(((diff < 0) if lower_is_better else (diff > 0)).sum())
        stderr = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
        print(f"  {metric:15s} {diff.mean():+.4f} ± {stderr:.4f}   better on {better}/{len(diff)}")


if __name__ == "__main__":
    main()
