"""Metrics of the field, computed as the anchor papers compute them.

Every matrix argument is (n_drugs, n_side_effects): ``truth`` holds classes 0..5 (0 = not
reported), ``mask`` (bool) marks the cells that are scored, ``score`` is an association
score (higher = more likely reported), ``frequency`` a predicted class on 1..5 and the
expected score ``association * frequency`` lies on 0..5. A cell is a *positive* when it
is scored and ``truth > 0``. Cells outside the mask are never read for a metric.

Choices that the papers leave open, fixed here once:

- Ties in a ranking (P@k, R@k, nDCG, Overlap) are broken by position: the lower side-effect
  index (Overlap: the lower row-major cell index) ranks first. AUROC and AUPR handle ties
  as scikit-learn does (a tied pair counts one half; tied cells form one threshold).
- Per-drug metrics are plain means over the drugs on which the metric is defined; every
  per-drug function also says how many drugs it used and skipped (:class:`PerDrugMean`).
- nDCG uses linear gain = true class (0..5) and discount 1 / log2(rank + 1), ranking a
  drug's scored side effects by expected score. ``ndcg@10`` is the standard one (ideal DCG
  from all of the drug's scored true classes, sorted); ``ndcg@10_dsgat`` is DSGAT's, whose
  ideal DCG is the top 10's own true classes re-sorted (0 when the top 10 holds no hit),
  so it measures only how the hits inside the top 10 are ordered, never recall.
- A side effect reported without a stated class (:data:`~sefreq.constants.UNSTATED`,
  SIDER drugs beyond the 759) is a positive for the rankings, left out of the regression
  metrics, and a drug holding one is left out of nDCG (its gains are unknown).
- Overlap@N% (HSTrans): pool all scored cells, rank them by expected score, take the top
  ceil(N% x n_cells), count positives among them and divide by n_positives x N / 100.
  The value is not bounded by 1: its maximum is n_cells / n_positives while the top N%
  holds fewer cells than there are positives (2 on H5's balanced test folds).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy.stats import rankdata, spearmanr

from sefreq.constants import UNSTATED, stated

#: The k of precision and recall at k.
TOP_K: tuple[int, ...] = (1, 5, 10, 15)
#: The N of HSTrans's Overlap@N%.
OVERLAP_PERCENTS: tuple[int, ...] = (1, 5, 10, 20)
#: The cut-off of both nDCG variants.
NDCG_K = 10

COUNT_KEYS: tuple[str, ...] = ("n_drugs", "n_pairs", "n_positives")
#: Keys of :func:`score_cells` on the ranked protocols (every cell scored by rank).
RANKED_KEYS: tuple[str, ...] = (
    "rmse",
    "mae",
    "auroc",
    "aupr",
    "auroc_per_drug",
    "aupr_per_drug",
    "spearman",
    "spearman_per_drug",
    *(f"p@{k}" for k in TOP_K),
    *(f"r@{k}" for k in TOP_K),
    f"ndcg@{NDCG_K}",
    f"ndcg@{NDCG_K}_dsgat",
    *COUNT_KEYS,
    "n_drugs_skipped_auc",
    "n_drugs_skipped_spearman",
    "n_drugs_skipped_ranking",
)
#: Keys of :func:`score_cells` when every pair is regressed (HSTrans's H5).
ALL_PAIR_KEYS: tuple[str, ...] = (
    "rmse",
    "mae",
    "spearman",
    "auroc",
    "aupr",
    *(f"overlap@{n}%" for n in OVERLAP_PERCENTS),
    *COUNT_KEYS,
)


class PerDrugMean(NamedTuple):
    """A metric averaged over drugs: the mean (NaN when no drug qualifies) and the counts."""

    mean: float
    n_used: int
    n_skipped: int


# -- input checks -------------------------------------------------------------------------


def _checked(truth: np.ndarray, mask: np.ndarray, **predictions: np.ndarray) -> np.ndarray:
    """Validate shapes, classes and finiteness of the scored cells; return the mask as bool."""
    truth = np.asarray(truth)
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"mask must be a bool array, got dtype {mask.dtype}")
    if truth.shape != mask.shape or truth.ndim != 2:
        raise ValueError(
            f"truth {truth.shape} and mask {mask.shape} must be the same 2-D shape "
            "(n_drugs, n_side_effects)"
        )
    scored_truth = truth[mask]
    scored_truth = scored_truth[scored_truth != UNSTATED]  # reported, no stated class
    if scored_truth.size and (
        not np.all(np.isfinite(scored_truth))
        or scored_truth.min() < 0
        or scored_truth.max() > 5
        or np.any(scored_truth != np.round(scored_truth))
    ):
        raise ValueError(
            "truth must hold integer frequency classes 0..5 (or UNSTATED) in every scored cell"
        )
    for name, values in predictions.items():
        values = np.asarray(values)
        if values.shape != mask.shape:
            raise ValueError(f"{name} has shape {values.shape}, expected {mask.shape}")
        bad = int(np.count_nonzero(~np.isfinite(values[mask])))
        if bad:
            raise ValueError(
                f"{name} holds {bad} NaN or infinite values in scored cells; "
                "a model must return a finite score for every cell"
            )
    return mask


# -- regression ---------------------------------------------------------------------------


def _regression_cells(truth: np.ndarray, mask: np.ndarray, positives_only: bool) -> np.ndarray:
    # A reported cell without a stated class (UNSTATED) has no class to regress on.
    return mask & stated(np.asarray(truth)) if positives_only else mask


def _regression_errors(
    predicted: np.ndarray, truth: np.ndarray, mask: np.ndarray, positives_only: bool
) -> np.ndarray:
    """Predicted minus true class on the cells a regression metric scores (may be empty)."""
    mask = _checked(truth, mask, predicted=predicted)
    cells = _regression_cells(truth, mask, positives_only)
    return np.asarray(predicted, dtype=float)[cells] - np.asarray(truth, dtype=float)[cells]


def rmse(
    predicted: np.ndarray, truth: np.ndarray, mask: np.ndarray, *, positives_only: bool = True
) -> float:
    """Root-mean-square error on the class scale over the positives (or all scored cells).

    Returns NaN when no cell qualifies.
    """
    error = _regression_errors(predicted, truth, mask, positives_only)
    return float(np.sqrt(np.mean(error**2))) if error.size else math.nan


def mae(
    predicted: np.ndarray, truth: np.ndarray, mask: np.ndarray, *, positives_only: bool = True
) -> float:
    """Mean absolute error on the class scale over the positives (or all scored cells).

    Returns NaN when no cell qualifies.
    """
    error = _regression_errors(predicted, truth, mask, positives_only)
    return float(np.mean(np.abs(error))) if error.size else math.nan


def spearman(
    predicted: np.ndarray, truth: np.ndarray, mask: np.ndarray, *, positives_only: bool = True
) -> float:
    """Spearman correlation of prediction and truth pooled over positives (or all scored cells).

    Returns NaN when fewer than two cells qualify or either side is constant.
    """
    mask = _checked(truth, mask, predicted=predicted)
    cells = _regression_cells(truth, mask, positives_only)
    x = np.asarray(predicted, dtype=float)[cells]
    y = np.asarray(truth, dtype=float)[cells]
    if x.size < 2 or x.min() == x.max() or y.min() == y.max():
        return math.nan
    return float(spearmanr(x, y).statistic)


def spearman_per_drug(frequency: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> PerDrugMean:
    """Spearman correlation of predicted frequency and true class over each drug's positives.

    Averaged over the drugs with at least two positives on which both the prediction and
    the truth vary (elsewhere the correlation is undefined); the others are skipped.
    """
    mask = _checked(truth, mask, frequency=frequency)
    cells = mask & stated(np.asarray(truth))
    x = np.where(cells, np.asarray(frequency, dtype=float), np.nan)
    y = np.where(cells, np.asarray(truth, dtype=float), np.nan)
    n_drugs = mask.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows of skipped drugs
        varies = (
            (cells.sum(axis=1) >= 2)
            & (np.nanmax(x, axis=1) > np.nanmin(x, axis=1))
            & (np.nanmax(y, axis=1) > np.nanmin(y, axis=1))
        )
    if not varies.any():
        return PerDrugMean(math.nan, 0, n_drugs)
    # Spearman = Pearson correlation of the average ranks (scipy's definition, ties included).
    rank_x = rankdata(x[varies], axis=1, nan_policy="omit")
    rank_y = rankdata(y[varies], axis=1, nan_policy="omit")
    rank_x -= np.nanmean(rank_x, axis=1, keepdims=True)
    rank_y -= np.nanmean(rank_y, axis=1, keepdims=True)
    covariance = np.nansum(rank_x * rank_y, axis=1)
    rho = covariance / np.sqrt(np.nansum(rank_x**2, axis=1) * np.nansum(rank_y**2, axis=1))
    n_used = int(varies.sum())
    return PerDrugMean(float(rho.mean()), n_used, n_drugs - n_used)


# -- rankings shared by AUROC, AUPR, P@k, R@k and nDCG ----------------------------------------


class _Ranked(NamedTuple):
    """Each row's cells in descending score order; unscored cells last (score -inf)."""

    score: np.ndarray  # float, -inf where unscored
    scored: np.ndarray  # bool
    truth: np.ndarray  # class 0..5, 0 where unscored


def _rank(score: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> _Ranked:
    keyed = np.where(mask, np.asarray(score, dtype=float), -np.inf)
    # Stable, so that tied cells keep their column order (the documented tie-break).
    order = np.argsort(-keyed, axis=1, kind="stable")
    return _Ranked(
        score=np.take_along_axis(keyed, order, axis=1),
        scored=np.take_along_axis(mask, order, axis=1),
        truth=np.take_along_axis(np.where(mask, np.asarray(truth), 0), order, axis=1),
    )


def _rank_pooled(score: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> _Ranked:
    """All scored cells as a single row, in row-major order before ranking."""
    flat_truth = np.asarray(truth)[mask][None, :]
    flat_score = np.asarray(score, dtype=float)[mask][None, :]
    return _rank(flat_score, flat_truth, np.ones(flat_truth.shape, dtype=bool))


def _auroc_aupr_rows(ranked: _Ranked) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and average precision of every row as scikit-learn computes them, ties included.

    Rows without a positive get NaN for both; rows without a negative get NaN AUROC.
    """
    label = ranked.truth > 0
    n_rows, n_columns = label.shape
    hits = np.cumsum(label, axis=1)
    false_hits = np.cumsum(ranked.scored & ~label, axis=1)
    columns = np.arange(n_columns)
    # A threshold is a distinct score: a tie group acts as one cell. Unscored cells sort last
    # at -inf and scored scores are finite, so no group mixes the two.
    group_end = ranked.scored.copy()
    group_end[:, :-1] &= ranked.score[:, 1:] != ranked.score[:, :-1]
    group_start = np.ones_like(group_end)
    group_start[:, 1:] = ranked.score[:, 1:] != ranked.score[:, :-1]
    end = np.minimum.accumulate(np.where(group_end, columns, n_columns - 1)[:, ::-1], axis=1)
    end = end[:, ::-1]
    start = np.maximum.accumulate(np.where(group_start, columns, 0), axis=1)
    hits_at_end = np.take_along_axis(hits, end, axis=1)
    false_at_end = np.take_along_axis(false_hits, end, axis=1)
    false_before = np.where(
        start > 0, np.take_along_axis(false_hits, np.maximum(start - 1, 0), axis=1), 0
    )
    n_pos = hits[:, -1].astype(float) if n_columns else np.zeros(n_rows)
    n_neg = false_hits[:, -1].astype(float) if n_columns else np.zeros(n_rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Average precision: each positive adds 1 / n_pos recall at its threshold's precision.
        precision = hits_at_end / np.maximum(hits_at_end + false_at_end, 1)
        average_precision = np.where(label, precision, 0.0).sum(axis=1) / n_pos
        # Mann-Whitney: a positive beats the negatives below its group and ties half of its own.
        wins = n_neg[:, None] - 0.5 * (false_at_end + false_before)
        roc = np.where(label, wins, 0.0).sum(axis=1) / (n_pos * n_neg)
    average_precision[n_pos == 0] = np.nan
    roc[(n_pos == 0) | (n_neg == 0)] = np.nan
    return roc, average_precision


def _per_drug(values: np.ndarray, used: np.ndarray) -> PerDrugMean:
    n_used = int(used.sum())
    mean = float(values[used].mean()) if n_used else math.nan
    return PerDrugMean(mean, n_used, len(used) - n_used)


# -- classification: AUROC, AUPR ------------------------------------------------------------


def auroc(score: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Area under the ROC curve over all scored cells pooled (label = truth > 0).

    Returns NaN when the scored cells hold only one class.
    """
    mask = _checked(truth, mask, score=score)
    return float(_auroc_aupr_rows(_rank_pooled(score, truth, mask))[0][0])


def aupr(score: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Average precision over all scored cells pooled (label = truth > 0).

    Same value as scikit-learn's ``average_precision_score``; NaN without a positive.
    """
    mask = _checked(truth, mask, score=score)
    return float(_auroc_aupr_rows(_rank_pooled(score, truth, mask))[1][0])


def _both_classes(ranked: _Ranked) -> np.ndarray:
    positives = (ranked.truth > 0).sum(axis=1)
    return (positives > 0) & (positives < ranked.scored.sum(axis=1))


def auroc_per_drug(score: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> PerDrugMean:
    """AUROC over each drug's scored side effects, averaged over drugs.

    Only drugs with both a positive and a negative among their scored cells count; the
    others are skipped (their AUROC is undefined).
    """
    mask = _checked(truth, mask, score=score)
    ranked = _rank(score, truth, mask)
    return _per_drug(_auroc_aupr_rows(ranked)[0], _both_classes(ranked))


def aupr_per_drug(score: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> PerDrugMean:
    """Average precision over each drug's scored side effects, averaged over drugs.

    Only drugs with both a positive and a negative among their scored cells count (as for
    :func:`auroc_per_drug`); the others are skipped.
    """
    mask = _checked(truth, mask, score=score)
    ranked = _rank(score, truth, mask)
    return _per_drug(_auroc_aupr_rows(ranked)[1], _both_classes(ranked))


# -- ranking: P@k, R@k, nDCG ----------------------------------------------------------------


def _precision_recall(ranked: _Ranked, ks: Sequence[int]) -> dict[str, PerDrugMean]:
    hits_cumulative = np.cumsum(ranked.truth > 0, axis=1)
    n_rows, n_columns = ranked.truth.shape
    n_positives = hits_cumulative[:, -1] if n_columns else np.zeros(n_rows, dtype=int)
    has_positive = n_positives > 0
    results: dict[str, PerDrugMean] = {}
    for k in ks:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if not has_positive.any():
            results[f"p@{k}"] = results[f"r@{k}"] = _per_drug(n_positives, has_positive)
            continue
        hits = hits_cumulative[:, min(k, hits_cumulative.shape[1]) - 1]
        results[f"p@{k}"] = _per_drug(hits / k, has_positive)
        results[f"r@{k}"] = _per_drug(hits / np.maximum(n_positives, 1), has_positive)
    return results


def precision_recall_at_k(
    score: np.ndarray, truth: np.ndarray, mask: np.ndarray, ks: Sequence[int] = TOP_K
) -> dict[str, PerDrugMean]:
    """Precision and recall at k per drug, averaged over drugs with at least one positive.

    A drug's scored side effects are ranked by ``score``; P@k = hits in the top k / k (k
    stays the denominator even if the drug has fewer scored cells), R@k = hits in the top
    k / the drug's positives. Returns ``{"p@k": ..., "r@k": ...}`` for every k in ``ks``.
    """
    mask = _checked(truth, mask, score=score)
    return _precision_recall(_rank(score, truth, mask), ks)


def _ndcg(ranked: _Ranked, k: int, *, dsgat: bool) -> PerDrugMean:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    # A drug with a side effect reported without a class has unknown gains: left out.
    unstated = ranked.truth == UNSTATED
    has_positive = (ranked.truth > 0).any(axis=1) & ~unstated.any(axis=1)
    gains = np.where(unstated, 0, ranked.truth).astype(float)
    top = gains[:, :k]
    discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    ideal = -np.sort(-(top if dsgat else gains), axis=1)[:, :k]
    dcg, ideal_dcg = top @ discounts, ideal @ discounts
    # Standard: a drug with a positive has ideal DCG > 0. DSGAT: 0 when the top k has no hit.
    values = np.divide(dcg, ideal_dcg, out=np.zeros_like(dcg), where=ideal_dcg > 0)
    return _per_drug(values, has_positive)


def ndcg_at_k(
    score: np.ndarray, truth: np.ndarray, mask: np.ndarray, k: int = NDCG_K
) -> PerDrugMean:
    """Standard nDCG@k per drug, averaged over drugs with at least one positive.

    A drug's scored side effects are ranked by ``score`` (the expected score in
    :func:`score_cells`); gain = true class 0..5, discount 1 / log2(rank + 1), ideal DCG from the
    drug's scored true classes sorted in descending order.
    """
    mask = _checked(truth, mask, score=score)
    return _ndcg(_rank(score, truth, mask), k, dsgat=False)


def ndcg_at_k_dsgat(
    score: np.ndarray, truth: np.ndarray, mask: np.ndarray, k: int = NDCG_K
) -> PerDrugMean:
    """DSGAT's nDCG@k per drug, averaged over drugs with at least one positive.

    As :func:`ndcg_at_k`, but the ideal DCG is the top k's own true classes re-sorted, so a
    drug scores 1 whenever its hits in the top k are in descending class order, and 0 when
    the top k holds no hit. It measures ordering within the top k, not recall.
    """
    mask = _checked(truth, mask, score=score)
    return _ndcg(_rank(score, truth, mask), k, dsgat=True)


# -- HSTrans's Overlap@N% -----------------------------------------------------------------


def _overlaps(pooled: _Ranked, percents: Sequence[float]) -> dict[str, float]:
    hits_cumulative = np.cumsum(pooled.truth[0] > 0)
    n_positives = int(hits_cumulative[-1]) if hits_cumulative.size else 0
    results: dict[str, float] = {}
    for percent in percents:
        if not 0 < percent <= 100:
            raise ValueError(f"percent must be in (0, 100], got {percent}")
        if not n_positives:
            results[f"overlap@{percent}%"] = math.nan
            continue
        top = math.ceil(hits_cumulative.size * percent / 100)
        results[f"overlap@{percent}%"] = int(hits_cumulative[top - 1]) / (
            n_positives * percent / 100
        )
    return results


def overlap_at_percent(
    score: np.ndarray, truth: np.ndarray, mask: np.ndarray, percent: float
) -> float:
    """HSTrans's Overlap@N% over all scored cells pooled.

    Ranks the scored cells by ``score`` (the expected score in :func:`score`), takes the top
    ceil(N% x n_cells) and returns hits / (n_positives x N / 100); NaN without positives.
    Not bounded by 1 (see the module docstring).
    """
    mask = _checked(truth, mask, score=score)
    return _overlaps(_rank_pooled(score, truth, mask), [percent])[f"overlap@{percent}%"]


# -- calibration ----------------------------------------------------------------------------


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 15
) -> float:
    """Expected calibration error of probabilities for binary labels.

    Equal-width bins on [0, 1] (each bin [lo, hi), the last one closed); returns the sum
    over bins of (bin count / total) x |mean label - mean probability|, NaN when empty.
    """
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    labels = np.asarray(labels).ravel()
    if probabilities.shape != labels.shape:
        raise ValueError(
            f"{probabilities.size} probabilities but {labels.size} labels; they must pair up"
        )
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    if not np.all(np.isfinite(probabilities)):
        raise ValueError("probabilities hold NaN or infinite values")
    if np.any((probabilities < 0) | (probabilities > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError("labels must be 0/1 or bool")
    if not probabilities.size:
        return math.nan
    bins = np.minimum((probabilities * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    label_sum = np.bincount(bins, weights=labels.astype(float), minlength=n_bins)
    probability_sum = np.bincount(bins, weights=probabilities, minlength=n_bins)
    # |mean label - mean probability| x count / total = |label sum - probability sum| / total
    return float(np.abs(label_sum - probability_sum).sum() / count.sum())


# -- every metric of a set of held-out cells ---------------------------------------------------


def score_cells(
    truth: np.ndarray,
    mask: np.ndarray,
    association: np.ndarray,
    frequency: np.ndarray,
    all_pairs: bool = False,
) -> dict[str, float]:
    """Every metric of held-out cells, as the anchor papers compute them.

    Ranked protocols (``all_pairs=False``: WS, ICS, IND, M10): regression (RMSE, MAE,
    Spearman, per-drug Spearman) of ``frequency`` on the positives; AUROC/AUPR (global and
    per drug) and P@k/R@k from ``association``; both nDCG@10 from the expected score
    ``association * frequency``. ``all_pairs=True`` (H5): RMSE, MAE and Spearman of the
    expected score against truth 0..5 on every scored cell, AUROC/AUPR from
    ``association`` and Overlap@N% from the expected score. Both add the counts
    ``n_drugs``, ``n_pairs``, ``n_positives``; the ranked set also the drugs skipped by the
    per-drug metrics.

    Returns:
        ``{key: value}`` with exactly the keys of :data:`RANKED_KEYS` or
        :data:`ALL_PAIR_KEYS`; a metric undefined on these cells (empty mask, a single
        class) is NaN.
    """
    truth = np.asarray(truth)
    association = np.asarray(association, dtype=float)
    frequency = np.asarray(frequency, dtype=float)
    mask = _checked(truth, mask, association=association, frequency=frequency)
    expected = association * frequency
    positives = mask & (truth > 0)
    counts = {
        "n_drugs": float(mask.shape[0]),
        "n_pairs": float(mask.sum()),
        "n_positives": float(positives.sum()),
    }

    pooled = _auroc_aupr_rows(_rank_pooled(association, truth, mask))
    if all_pairs:
        results = {
            "rmse": rmse(expected, truth, mask, positives_only=False),
            "mae": mae(expected, truth, mask, positives_only=False),
            "spearman": spearman(expected, truth, mask, positives_only=False),
            "auroc": pooled[0][0],
            "aupr": pooled[1][0],
            **_overlaps(_rank_pooled(expected, truth, mask), OVERLAP_PERCENTS),
            **counts,
        }
        return {key: float(results[key]) for key in ALL_PAIR_KEYS}
    by_association = _rank(association, truth, mask)
    both_classes = _both_classes(by_association)
    per_drug_auroc, per_drug_aupr = _auroc_aupr_rows(by_association)
    spearman_drug = spearman_per_drug(frequency, truth, mask)
    by_expected = _rank(expected, truth, mask)
    ndcg = _ndcg(by_expected, NDCG_K, dsgat=False)
    results = {
        "rmse": rmse(frequency, truth, mask),
        "mae": mae(frequency, truth, mask),
        "auroc": pooled[0][0],
        "aupr": pooled[1][0],
        "auroc_per_drug": _per_drug(per_drug_auroc, both_classes).mean,
        "aupr_per_drug": _per_drug(per_drug_aupr, both_classes).mean,
        "spearman": spearman(frequency, truth, mask),
        "spearman_per_drug": spearman_drug.mean,
        **{key: value.mean for key, value in _precision_recall(by_association, TOP_K).items()},
        f"ndcg@{NDCG_K}": ndcg.mean,
        f"ndcg@{NDCG_K}_dsgat": _ndcg(by_expected, NDCG_K, dsgat=True).mean,
        **counts,
        "n_drugs_skipped_auc": float(len(both_classes) - both_classes.sum()),
        "n_drugs_skipped_spearman": float(spearman_drug.n_skipped),
        "n_drugs_skipped_ranking": float(ndcg.n_skipped),
    }
    return {key: float(results[key]) for key in RANKED_KEYS}
