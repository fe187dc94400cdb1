"""How far to trust a prediction: calibration, conformal sets, applicability domain.

- Association probabilities are calibrated by one temperature fitted on the validation
  drugs (minimum negative log-likelihood of the ensemble-mean logit).
- Frequency classes get split-conformal prediction sets: the score of a reported cell is
  ``1 - P(true class)``; the threshold is its ``ceil((n + 1)(1 - alpha)) / n`` quantile over
  the validation cells, so a set holds the true class of a new drug's reported cell with
  probability >= 1 - alpha (exchangeability assumed).
- The applicability domain is the maximum Tanimoto similarity to a training drug;
  :func:`error_by_similarity` measures how error grows as it falls, which is what the
  out-of-domain threshold rests on.
- The spread a user is shown (:func:`domain_spread`) is the ensemble's spread, widened
  below that threshold: out of domain the members agree because they all fall back to the
  base rates, so their agreement says nothing about this molecule.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

from sefreq.constants import stated
from sefreq.metrics import auroc_per_drug, expected_calibration_error

if TYPE_CHECKING:
    from sefreq.model.bundle import SEFreqEnsemble
    from sefreq.model.data import TrainingSet

CONFORMAL_ALPHA = 0.10
#: Max-Tanimoto below which a molecule is flagged out of domain; see docs/MODEL.md for the
#: held-out error-vs-similarity table it rests on.
DEFAULT_AD_THRESHOLD = 0.30
SIMILARITY_BINS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.01)
#: a + b of the Beta distribution a chance takes when the structure says nothing: with
#: a + b = 2 it is the flattest one with the prediction's mean (uniform at 50%), variance
#: p(1 - p) / 3; see :func:`domain_spread`.
UNINFORMED_CONCENTRATION = 2.0


def domain_spread(
    uncertainty: np.ndarray,
    p_association: np.ndarray,
    max_similarity: np.ndarray,
    threshold: float = DEFAULT_AD_THRESHOLD,
) -> np.ndarray:
    """The spread of a chance (1 sd, 0-1, the shape of ``uncertainty``) that a user is
    shown: the ensemble's ``uncertainty``, widened when the molecule is outside the
    applicability domain.

    The ensemble's spread shrinks out of domain (its members agree on the base rates they
    all fall back to: a siloxane 1.2 points on average, aspirin 2.9), which reads as more
    certain where the model knows least. The rule: with ``w = (threshold - s) / threshold``
    for a max Tanimoto ``s`` below ``threshold`` (0 at or above it, 1 at no similarity),
    ``spread = sqrt(uncertainty^2 + w^2 p (1 - p) / (a + b + 1))``, the variance of the
    flattest Beta distribution with the prediction's mean ``p`` (``a + b`` =
    :data:`UNINFORMED_CONCENTRATION`): the spread grows from the ensemble's at the
    threshold toward that of a chance the structure says nothing about (29 points at 50%).
    A NaN similarity (nothing to compare with) leaves the spread as it is.
    """
    uncertainty = np.asarray(uncertainty, dtype=np.float64)
    p = np.clip(np.asarray(p_association, dtype=np.float64), 0.0, 1.0)
    similarity = np.asarray(max_similarity, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        weight = np.where(similarity < threshold, (threshold - similarity) / threshold, 0.0)
    weight = np.clip(weight, 0.0, 1.0)
    uninformed = p * (1.0 - p) / (UNINFORMED_CONCENTRATION + 1.0)
    return np.sqrt(uncertainty**2 + weight**2 * uninformed)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T in [0.25, 4] minimising the NLL of sigmoid(logit / T) (bounded search
    on log T)."""

    def nll(log_t: float) -> float:
        z = logits / math.exp(log_t)
        return float(np.mean(np.logaddexp(0.0, z) - labels * z))

    result = minimize_scalar(
        nll, bounds=(math.log(0.25), math.log(4.0)), method="bounded", options={"xatol": 1e-6}
    )
    return float(math.exp(result.x))


def conformal_threshold(
    class_probabilities: np.ndarray, classes: np.ndarray, alpha: float
) -> float:
    """Split-conformal threshold on ``1 - P(true class)`` for coverage >= 1 - alpha."""
    n = len(classes)
    if n == 0:
        return 1.0
    scores = 1.0 - class_probabilities[np.arange(n), classes - 1]
    level = min(1.0, math.ceil((n + 1) * (1 - alpha)) / n)
    return float(np.quantile(scores, level, method="higher"))


def set_coverage(sets: np.ndarray, classes: np.ndarray) -> tuple[float, float]:
    """Share of cells whose set holds the true class, and mean set size."""
    if len(classes) == 0:
        return math.nan, math.nan
    hit = (sets >> (classes - 1).astype(np.uint8)) & 1
    size = np.unpackbits(sets[:, None].astype(np.uint8), axis=1).sum(1)
    return float(hit.mean()), float(size.mean())


def calibrate(
    ensemble: SEFreqEnsemble, validation: TrainingSet, exclude: np.ndarray | None
) -> dict:
    """Fit the temperature and the conformal threshold on validation; return the figures."""
    ensemble.temperature = 1.0
    ensemble.conformal_threshold = 1.0
    out = ensemble.predict_arrays(validation.smiles, exclude=exclude)
    valid = out.valid
    mask = validation.label_mask & valid[:, None]
    labels = (validation.frequency > 0)[mask].astype(np.float64)
    p_raw = out.p_association_raw[mask].astype(np.float64)
    logits = logit(np.clip(p_raw, 1e-7, 1 - 1e-7))
    temperature = fit_temperature(logits, labels) if labels.size else 1.0
    ensemble.temperature = temperature
    p_cal = expit(logits / temperature)
    reported = mask & stated(validation.frequency)
    classes = validation.frequency[reported].astype(np.int64)
    threshold = conformal_threshold(out.class_probabilities[reported], classes, CONFORMAL_ALPHA)
    ensemble.conformal_threshold = threshold
    in_set = (1.0 - out.class_probabilities[reported]) <= threshold
    sets = (in_set * (1 << np.arange(5))).sum(-1).astype(np.uint8)
    coverage, size = set_coverage(sets, classes)
    return {
        "temperature": round(temperature, 4),
        "ece_validation_before": round(expected_calibration_error(p_raw, labels.astype(int)), 5)
        if labels.size
        else None,
        "ece_validation_after": round(expected_calibration_error(p_cal, labels.astype(int)), 5)
        if labels.size
        else None,
        "conformal_alpha": CONFORMAL_ALPHA,
        "conformal_threshold": round(threshold, 5),
        "conformal_validation_coverage": round(coverage, 4),
        "conformal_validation_mean_set_size": round(size, 3),
        "n_validation_cells": int(mask.sum()),
        "n_validation_reported": int(reported.sum()),
    }


def error_by_similarity(
    max_similarity: np.ndarray,
    association: np.ndarray,
    expected_frequency: np.ndarray,
    truth: np.ndarray,
    bins: tuple[float, ...] = SIMILARITY_BINS,
) -> list[dict]:
    """Per max-similarity bin: drugs, mean per-drug AUROC (a listed side effect is a
    positive), RMSE on the cells with a stated class.

    ``association``/``expected_frequency``/``truth`` are (n, 994) for held-out drugs;
    ``truth`` may mark side effects listed without a class (:data:`~sefreq.constants.UNSTATED`).
    """
    rows = []
    for lo, hi in pairwise(bins):
        pick = (max_similarity >= lo) & (max_similarity < hi)
        per_drug = auroc_per_drug(association[pick], truth[pick], np.ones(truth[pick].shape, bool))
        reported = stated(truth[pick])
        err = (expected_frequency[pick][reported] - truth[pick][reported]) ** 2
        rows.append(
            {
                "similarity": f"[{lo:.1f}, {min(hi, 1.0):.1f})",
                "n_drugs": int(pick.sum()),
                "per_drug_auroc": round(per_drug.mean, 4) if per_drug.n_used else None,
                "rmse": round(float(np.sqrt(err.mean())), 4) if err.size else None,
            }
        )
    return rows
