"""The network's prior inputs on their own, beside the similarity-kernel baseline (ICS).

    SEFREQ_DATA_DIR=/path/to/upstream .venv/bin/python benchmarks/prior_study.py --seed 0

On each ICS fold (harness folds of ``--seed``; training drugs only as neighbours, settings
chosen on the fold's validation drugs, scored on its test drugs) it scores, without any
network:

- ``knn``: the kNN prior (five-fingerprint similarity, (k, power) from ``KERNEL_KNN_GRID``);
- ``smoothed``: the smoothed prior (``sefreq.priors.smoothed_profiles``, settings
  from ``SMOOTHING_GRID``), the input of ``TrainConfig.prior = "smoothed"``;
- ``smoothed_m0``: the same without its co-reporting transfer (m = 0);
- ``kernel``: the kernel baseline (``sefreq.bench.models.kernel``), which also refits on the
  validation drugs and adds a kernel-ridge part.

Prints the mean over folds of AUROC, AUPR, per-drug AUROC and RMSE.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from tqdm.auto import tqdm

from sefreq.bench.models.kernel import KernelPriorModel
from sefreq.bench.protocols import PROTOCOLS, iter_folds, load_or_make_assignment
from sefreq.bench.runner import load_bench_data
from sefreq.chem.features import kernel_fingerprints
from sefreq.chem.similarity import kernel_similarity
from sefreq.metrics import aupr, auroc, auroc_per_drug, rmse
from sefreq.model.config import KERNEL_KNN_GRID
from sefreq.model.data import TrainingSet
from sefreq.model.features import association_prior, mean_class_prior
from sefreq.model.selection import select_knn, select_smoothing
from sefreq.priors import (
    SMOOTHING_GRID,
    Grid,
    knn_profiles,
    smoothed_profiles,
    smoothing_reference,
)


def _metrics(p: np.ndarray, f: np.ndarray, view) -> dict:
    truth, mask = view.frequency, view.mask
    return {
        "auroc": auroc(p, truth, mask),
        "aupr": aupr(p, truth, mask),
        "auroc_per_drug": auroc_per_drug(p, truth, mask).mean,
        "rmse": rmse(f, truth, mask),
    }


def score_fold(fold) -> list[dict]:
    """The four priors' test metrics on one ICS fold."""
    train, validation, test = fold.train, fold.validation, fold.test
    held_out = TrainingSet(list(validation.query.smiles), validation.frequency, validation.mask)
    prevalence = association_prior(train.frequency, train.label_mask)
    mean_class = mean_class_prior(train.frequency, train.label_mask)
    prior_logit = logit(prevalence)
    reference_fp = kernel_fingerprints(train.smiles)
    val_sim = kernel_similarity(kernel_fingerprints(validation.query.smiles), reference_fp)
    test_sim = kernel_similarity(kernel_fingerprints(test.query.smiles), reference_fp)

    def knn(sim, k, power):
        return knn_profiles(
            sim, train.frequency, train.label_mask, prevalence, mean_class, k, power
        )

    def scored(association, frequency):
        p = expit(prior_logit + association)
        return _metrics(p, np.clip(mean_class + frequency, 1, 5), test)

    rows = []
    a_params, f_params = select_knn(
        list(KERNEL_KNN_GRID), lambda k, p: knn(val_sim, k, p), held_out, prevalence, mean_class
    )
    profile = knn(test_sim, *a_params)[0], knn(test_sim, *f_params)[1]
    rows.append({"prior": "knn", **scored(*profile)})
    reference = smoothing_reference(train.frequency, train.label_mask)
    no_transfer = Grid({**SMOOTHING_GRID["association"].axes, "m": (0.0,)})
    for name, grid in (
        ("smoothed", SMOOTHING_GRID),
        ("smoothed_m0", {**SMOOTHING_GRID, "association": no_transfer}),
    ):
        settings = select_smoothing(
            lambda s: smoothed_profiles(val_sim, reference, prevalence, mean_class, s),
            held_out, prevalence, mean_class, grid,
        )  # fmt: skip
        rows.append(
            {
                "prior": name,
                **scored(*smoothed_profiles(test_sim, reference, prevalence, mean_class, settings)),
            }
        )
    kernel = KernelPriorModel()
    kernel.fit(train, validation)
    prediction = kernel.predict(test.query)
    rows.append({"prior": "kernel", **_metrics(prediction.association, prediction.frequency, test)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="harness fold seed")
    parser.add_argument("--folds", type=int, default=PROTOCOLS["ICS"].n_folds)
    args = parser.parse_args()
    data = load_bench_data()
    assignment = load_or_make_assignment(data, "ICS", args.seed, None)
    rows = []
    for fold in tqdm(iter_folds(data, assignment, args.folds), total=args.folds, unit="fold"):
        rows.extend(score_fold(fold))
    table = pd.DataFrame(rows).groupby("prior", sort=False).mean()
    print(f"ICS seed {args.seed}, {args.folds} folds, mean over folds (test drugs):")
    print(table.round(4).to_string())


if __name__ == "__main__":
    main()
