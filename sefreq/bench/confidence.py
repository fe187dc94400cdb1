"""Held-out evaluation of the confidence layer on the harness's own folds.

For every fold of a protocol (default ICS) this fits the SEFreq bench model, scores the
test drugs with the harness's :func:`~sefreq.bench.scoring.score`, and measures what the
harness does not: ECE of the association probabilities before and after temperature
scaling, empirical coverage and size of the 90% conformal sets, and error against the
max-Tanimoto similarity to the training drugs (the applicability-domain evidence).

Run: ``sefreq bench confidence --protocol ICS-all --out models/evaluation.json``.
By default the model is the shipped recipe (``asym_i_ii`` with the smoothed prior on four
count fingerprints, :data:`~sefreq.model.config.BUNDLE_PRIOR`, and from model 2.0 the
mechanism view; validation drugs pooled as neighbours afterwards: the registry's
``sefreq-mechanism``), a test drug read as a new molecule; ``known_mechanism=True``
(``--known-targets``) lets a test drug with known proteins or ATC classes read them, as the
shipped model reads a catalogue drug (``sefreq-known``). ``--recipe variant`` gives the
plain ``--variant`` of the ablation tables (Morgan kNN prior).
"""

from __future__ import annotations

import time

import numpy as np

from sefreq.bench.models.sefreq_net import make_model
from sefreq.bench.protocols import (
    PROTOCOLS,
    iter_folds,
    load_or_make_assignment,
    split_condition,
)
from sefreq.bench.runner import load_bench_data
from sefreq.bench.scoring import score
from sefreq.constants import stated
from sefreq.metrics import expected_calibration_error
from sefreq.model.confidence import error_by_similarity, set_coverage
from sefreq.model.config import BUNDLE_PRIOR

#: Options of the shipped recipe (the registry's ``sefreq-mechanism``; until 2.0 it was
#: ``sefreq``, without the mechanism view).
SHIPPED_OPTIONS: dict = {**BUNDLE_PRIOR, "pool_validation": True, "mechanism": True}


def held_out_report(
    protocol: str = "ICS",
    folds: int | None = None,
    variant: str = "asym_i_ii",
    seed: int = 0,
    progress: bool = True,
    **model_options,
) -> dict:
    """Metrics, calibration, coverage and error-by-similarity pooled over held-out folds.

    ``protocol`` may carry the ``+sider`` condition (``ICS+sider``: ICS's folds, SIDER's
    other drugs added to training), as the shipped model is trained with them.
    """
    data = load_bench_data()
    base, with_sider = split_condition(protocol)
    assignment = load_or_make_assignment(data, base, seed, None)
    n_folds = PROTOCOLS[base].n_folds
    n = n_folds if folds is None else min(folds, n_folds)
    keys = ("raw", "cal", "y", "sets", "cls", "sim", "p", "f", "t", "prior_p", "prior_f")
    per_fold, pooled = [], {k: [] for k in keys}
    started = time.perf_counter()
    for fold in iter_folds(data, assignment, n, with_sider):
        model = make_model(variant, seed=seed + fold.index, **model_options)
        model.fit(fold.train, fold.validation)
        prediction = model.predict(fold.test.query)
        metrics = score(fold.test, prediction, base)
        mask, truth = fold.test.mask, fold.test.frequency
        y = (truth > 0)[mask].astype(int)
        raw, cal = prediction.extras["p_association_raw"][mask], prediction.association[mask]
        # The cells with a stated class: a complete listing (ICS-all) also marks side effects
        # listed without one (UNSTATED), which no class set can hold.
        reported = mask & stated(truth)
        sets = prediction.extras["conformal_sets"][reported]
        coverage, size = set_coverage(sets, truth[reported].astype(np.int64))
        metrics.update(
            ece_before=expected_calibration_error(raw, y),
            ece_after=expected_calibration_error(cal, y),
            conformal_coverage=coverage,
            conformal_mean_set_size=size,
            temperature=model.ensemble.temperature,
        )
        per_fold.append({k: float(v) for k, v in metrics.items()})
        for key, value in (("raw", raw), ("cal", cal), ("y", y), ("sets", sets),
                           ("cls", truth[reported])):  # fmt: skip
            pooled[key].append(value)
        if fold.test.query.drug_ids is None:  # cold: whole rows, per-drug similarity
            pooled["sim"].append(prediction.extras["max_similarity"])
            pooled["p"].append(prediction.association)
            pooled["f"].append(prediction.frequency)
            pooled["t"].append(truth)
            # The prevalence floor of the same fold, for the margin by similarity.
            ensemble = model.ensemble
            pooled["prior_p"].append(np.broadcast_to(ensemble.prevalence, truth.shape))
            pooled["prior_f"].append(np.broadcast_to(ensemble.mean_class, truth.shape))
        if progress:
            shown = ("auroc", "aupr", "auroc_per_drug", "rmse", "ece_before", "ece_after",
                     "conformal_coverage")  # fmt: skip
            figures = ", ".join(f"{k}={per_fold[-1][k]:.4f}" for k in shown if k in per_fold[-1])
            print(f"{protocol} fold {fold.index + 1}/{n}: {figures}", flush=True)
    cat = {k: np.concatenate(v) for k, v in pooled.items() if v}
    report = {
        "protocol": protocol,
        "variant": variant,
        "model_options": dict(model_options),
        "n_folds": n,
        "seconds": round(time.perf_counter() - started, 1),
        "mean": {k: float(np.nanmean([f[k] for f in per_fold])) for k in per_fold[0]},
        "per_fold": per_fold,
        "pooled_ece_before": expected_calibration_error(cat["raw"], cat["y"]),
        "pooled_ece_after": expected_calibration_error(cat["cal"], cat["y"]),
    }
    coverage, size = set_coverage(cat["sets"], cat["cls"].astype(np.int64))
    report["pooled_conformal_coverage"], report["pooled_conformal_mean_set_size"] = coverage, size
    if "sim" in cat:
        model_rows = error_by_similarity(cat["sim"], cat["p"], cat["f"], cat["t"])
        prior_rows = error_by_similarity(cat["sim"], cat["prior_p"], cat["prior_f"], cat["t"])
        for row, prior in zip(model_rows, prior_rows, strict=True):
            row["prevalence_per_drug_auroc"] = prior["per_drug_auroc"]
            row["prevalence_rmse"] = prior["rmse"]
        report["error_by_similarity"] = model_rows
    return report
