"""Metrics against small cases computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

from sefreq import metrics
from sefreq.bench import scoring
from sefreq.bench.interface import EvalView, Prediction, QueryView

LOG2_3 = 1.584962500721156  # log2(3), the discount denominator at rank 2


def full(shape: tuple[int, int]) -> np.ndarray:
    return np.ones(shape, dtype=bool)


# -- regression -----------------------------------------------------------------------------

TRUTH_2X3 = np.array([[0, 3, 5], [2, 0, 4]], dtype=np.uint8)


def test_rmse_mae_on_positives() -> None:
    frequency = np.array([[1.0, 2.0, 5.0], [4.0, 5.0, 3.0]])
    # positives (0,1) (0,2) (1,0) (1,2): errors 2-3=-1, 5-5=0, 4-2=+2, 3-4=-1
    # MAE = (1 + 0 + 2 + 1) / 4 = 1.0; RMSE = sqrt((1 + 0 + 4 + 1) / 4) = sqrt(1.5)
    assert metrics.mae(frequency, TRUTH_2X3, full((2, 3))) == pytest.approx(1.0)
    assert metrics.rmse(frequency, TRUTH_2X3, full((2, 3))) == pytest.approx(1.224744871391589)
    # masking out (1,0) leaves errors -1, 0, -1: MAE = 2/3, RMSE = sqrt(2/3)
    mask = full((2, 3))
    mask[1, 0] = False
    assert metrics.mae(frequency, TRUTH_2X3, mask) == pytest.approx(0.6666666666666666)
    assert metrics.rmse(frequency, TRUTH_2X3, mask) == pytest.approx(0.816496580927726)


def test_rmse_mae_on_all_pairs() -> None:
    expected = np.array([[0.5, 2.0, 5.0], [4.0, 1.0, 3.0]])
    # errors vs truth 0..5, zeros included: 0.5, -1, 0, +2, +1, -1
    # MAE = (0.5 + 1 + 0 + 2 + 1 + 1) / 6 = 5.5 / 6; RMSE = sqrt((0.25+1+0+4+1+1) / 6)
    mask = full((2, 3))
    assert metrics.mae(expected, TRUTH_2X3, mask, positives_only=False) == pytest.approx(
        0.9166666666666666
    )
    assert metrics.rmse(expected, TRUTH_2X3, mask, positives_only=False) == pytest.approx(
        1.0992421631894098
    )


def test_regression_without_positives_is_nan() -> None:
    truth = np.zeros((2, 3), dtype=np.uint8)
    assert math.isnan(metrics.rmse(np.ones((2, 3)), truth, full((2, 3))))
    assert math.isnan(metrics.mae(np.ones((2, 3)), truth, np.zeros((2, 3), dtype=bool)))


# -- Spearman -------------------------------------------------------------------------------


def test_spearman_global_on_positives() -> None:
    truth = np.array([[1, 3, 0], [2, 4, 0]], dtype=np.uint8)
    frequency = np.array([[1.0, 2.0, 9.0], [3.0, 4.0, 9.0]])
    # positives in row-major order: prediction 1,2,3,4 vs truth 1,3,2,4 (the 9s are zeros)
    # rank differences 0,1,1,0: rho = 1 - 6 * 2 / (4 * (16 - 1)) = 1 - 12/60 = 0.8
    assert metrics.spearman(frequency, truth, full((2, 3))) == pytest.approx(0.8)


def test_spearman_with_ties_uses_average_ranks() -> None:
    truth = np.array([[1, 2, 3]], dtype=np.uint8)
    frequency = np.array([[2.0, 2.0, 5.0]])
    # ranks: prediction 1.5, 1.5, 3 -> centred -0.5, -0.5, 1; truth 1, 2, 3 -> -1, 0, 1
    # rho = (0.5 + 0 + 1) / sqrt((0.25 + 0.25 + 1) * (1 + 0 + 1)) = 1.5 / sqrt(3)
    assert metrics.spearman(frequency, truth, full((1, 3))) == pytest.approx(0.8660254037844387)


def test_spearman_all_pairs_and_constant() -> None:
    truth = np.array([[0, 1, 2]], dtype=np.uint8)
    expected = np.array([[0.1, 0.5, 0.3]])
    # ranks: prediction 1, 3, 2; truth 1, 2, 3; d = 0, 1, -1: rho = 1 - 6*2 / (3*8) = 0.5
    assert metrics.spearman(expected, truth, full((1, 3)), positives_only=False) == pytest.approx(
        0.5
    )
    # on positives only: 2 cells, prediction 0.5, 0.3 vs truth 1, 2 -> -1
    assert metrics.spearman(expected, truth, full((1, 3))) == pytest.approx(-1.0)
    assert math.isnan(metrics.spearman(np.full((1, 3), 3.0), truth, full((1, 3))))


def test_spearman_per_drug_skips_undefined_drugs() -> None:
    truth = np.array(
        [
            [1, 3, 2, 4, 0],  # vs 1,2,3,4: rho = 0.8 (as above)
            [1, 2, 3, 0, 0],  # vs 2,2,5: rho = 1.5 / sqrt(3) (as above)
            [5, 0, 0, 0, 0],  # one positive: skipped
            [2, 3, 0, 0, 0],  # constant prediction: skipped
            [4, 4, 0, 0, 0],  # constant truth: skipped
        ],
        dtype=np.uint8,
    )
    frequency = np.array(
        [
            [1.0, 2.0, 3.0, 4.0, 5.0],
            [2.0, 2.0, 5.0, 1.0, 1.0],
            [3.0, 1.0, 1.0, 1.0, 1.0],
            [3.0, 3.0, 1.0, 2.0, 4.0],
            [1.0, 2.0, 1.0, 1.0, 1.0],
        ]
    )
    result = metrics.spearman_per_drug(frequency, truth, full((5, 5)))
    # mean = (0.8 + 0.8660254037844387) / 2
    assert result.mean == pytest.approx(0.8330127018922193)
    assert (result.n_used, result.n_skipped) == (2, 3)


# -- AUROC and AUPR -------------------------------------------------------------------------

# Ranked 0.9 .. 0.5 the labels read 0 1 1 0 1.
TRUTH_ROW = np.array([[0, 3, 1, 0, 5]], dtype=np.uint8)
SCORE_ROW = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])


def test_global_auroc_aupr() -> None:
    # AUROC: positives 0.8 and 0.7 each beat 1 negative (0.6), 0.5 beats none: 2 / (3*2)
    # AP: precision at each hit: 1/2 (rank 2), 2/3 (rank 3), 3/5 (rank 5): mean = 53/90
    assert metrics.auroc(SCORE_ROW, TRUTH_ROW, full((1, 5))) == pytest.approx(0.3333333333333333)
    assert metrics.aupr(SCORE_ROW, TRUTH_ROW, full((1, 5))) == pytest.approx(0.5888888888888889)


def test_global_metrics_pool_rows_and_respect_the_mask() -> None:
    # the same five cells spread over two drugs, plus an unscored positive scored 0.99
    truth = np.array([[0, 3, 1], [0, 5, 4]], dtype=np.uint8)
    score = np.array([[0.9, 0.8, 0.7], [0.6, 0.5, 0.99]])
    mask = np.array([[True, True, True], [True, True, False]])
    assert metrics.auroc(score, truth, mask) == pytest.approx(0.3333333333333333)
    assert metrics.aupr(score, truth, mask) == pytest.approx(0.5888888888888889)


def test_auroc_aupr_ties() -> None:
    truth = np.array([[2, 0, 4]], dtype=np.uint8)
    score = np.array([[0.8, 0.8, 0.3]])
    # AUROC: positive 0.8 ties the negative 0.8 (1/2), positive 0.3 loses: 0.5 / (2*1) = 0.25
    # AP: threshold 0.8: P = 1/2, recall 1/2; threshold 0.3: P = 2/3, recall 1
    #     AP = 0.5 * 1/2 + 0.5 * 2/3 = 7/12
    assert metrics.auroc(score, truth, full((1, 3))) == pytest.approx(0.25)
    assert metrics.aupr(score, truth, full((1, 3))) == pytest.approx(0.5833333333333334)


def test_global_single_class_is_nan() -> None:
    negatives = np.zeros((1, 3), dtype=np.uint8)
    positives = np.ones((1, 3), dtype=np.uint8)
    score = np.array([[0.1, 0.2, 0.3]])
    assert math.isnan(metrics.auroc(score, negatives, full((1, 3))))
    assert math.isnan(metrics.aupr(score, negatives, full((1, 3))))
    assert math.isnan(metrics.auroc(score, positives, full((1, 3))))
    assert metrics.aupr(score, positives, full((1, 3))) == pytest.approx(1.0)


def test_per_drug_auroc_aupr_average_drugs_with_both_classes() -> None:
    truth = np.array(
        [
            [0, 3, 1, 0, 5],  # as TRUTH_ROW: AUROC 1/3, AP 53/90
            [2, 0, 4, 5, 0],  # scored cells = the ties case: AUROC 1/4, AP 7/12
            [0, 0, 0, 0, 0],  # no positive: skipped
            [1, 2, 0, 0, 0],  # scored cells all positive: skipped
        ],
        dtype=np.uint8,
    )
    score = np.array(
        [
            [0.9, 0.8, 0.7, 0.6, 0.5],
            [0.8, 0.8, 0.3, 0.99, 0.2],  # the unscored positive at 0.99 must not count
            [0.1, 0.2, 0.3, 0.4, 0.5],
            [0.1, 0.2, 0.3, 0.4, 0.5],
        ]
    )
    mask = full((4, 5))
    mask[1, 3:] = False
    mask[3, 2:] = False
    roc = metrics.auroc_per_drug(score, truth, mask)
    average_precision = metrics.aupr_per_drug(score, truth, mask)
    # AUROC mean = (1/3 + 1/4) / 2 = 7/24; AP mean = (53/90 + 7/12) / 2 = 211/360
    assert roc.mean == pytest.approx(0.2916666666666667)
    assert average_precision.mean == pytest.approx(0.5861111111111111)
    assert (roc.n_used, roc.n_skipped) == (2, 2)
    assert (average_precision.n_used, average_precision.n_skipped) == (2, 2)


def test_per_drug_all_negative_is_nan_not_a_crash() -> None:
    truth = np.zeros((2, 4), dtype=np.uint8)
    result = metrics.auroc_per_drug(np.random.default_rng(0).random((2, 4)), truth, full((2, 4)))
    assert math.isnan(result.mean)
    assert (result.n_used, result.n_skipped) == (0, 2)


def test_vectorised_metrics_match_sklearn_and_scipy_drug_by_drug() -> None:
    """Cross-check (not a hand case): random matrices with many ties and a ragged mask."""
    rng = np.random.default_rng(7)
    truth = np.where(rng.random((40, 60)) < 0.15, rng.integers(1, 6, (40, 60)), 0)
    mask = rng.random((40, 60)) < 0.8
    score = np.round(rng.random((40, 60)) * 8) / 8 + 0.2 * (truth > 0)
    frequency = np.clip(truth + rng.integers(-1, 2, (40, 60)), 1, 5).astype(float)
    roc, average_precision, rho = [], [], []
    for row in range(40):
        labels, values = truth[row][mask[row]] > 0, score[row][mask[row]]
        if 0 < labels.sum() < labels.size:
            roc.append(roc_auc_score(labels, values))
            average_precision.append(average_precision_score(labels, values))
        positive = mask[row] & (truth[row] > 0)
        x, y = frequency[row][positive], truth[row][positive]
        if positive.sum() >= 2 and np.ptp(x) > 0 and np.ptp(y) > 0:
            rho.append(spearmanr(x, y).statistic)
    assert metrics.auroc_per_drug(score, truth, mask).mean == pytest.approx(np.mean(roc))
    assert metrics.aupr_per_drug(score, truth, mask).mean == pytest.approx(
        np.mean(average_precision)
    )
    assert metrics.spearman_per_drug(frequency, truth, mask).mean == pytest.approx(np.mean(rho))
    pooled_labels, pooled_score = truth[mask] > 0, score[mask]
    assert metrics.auroc(score, truth, mask) == pytest.approx(
        roc_auc_score(pooled_labels, pooled_score)
    )
    assert metrics.aupr(score, truth, mask) == pytest.approx(
        average_precision_score(pooled_labels, pooled_score)
    )


# -- precision and recall at k --------------------------------------------------------------


def test_precision_recall_at_k() -> None:
    truth = np.array(
        [
            [0, 3, 1, 0, 5],  # ranked by score: hits 0 1 1 0 1, 3 positives
            [4, 0, 0, 2, 0],  # ranked: col 3 (hit), 4, 2, 1, col 0 (hit), 2 positives
            [0, 0, 0, 0, 0],  # no positive: skipped
        ],
        dtype=np.uint8,
    )
    score = np.array(
        [
            [0.9, 0.8, 0.7, 0.6, 0.5],
            [0.1, 0.2, 0.3, 0.9, 0.4],
            [0.9, 0.8, 0.7, 0.6, 0.5],
        ]
    )
    result = metrics.precision_recall_at_k(score, truth, full((3, 5)), ks=(1, 2, 5, 10))
    # k=1: drug 0 P 0/1 R 0/3; drug 1 P 1/1 R 1/2 -> P 0.5, R 0.25
    assert result["p@1"].mean == pytest.approx(0.5)
    assert result["r@1"].mean == pytest.approx(0.25)
    # k=2: drug 0 P 1/2 R 1/3; drug 1 P 1/2 R 1/2 -> P 0.5, R (1/3 + 1/2) / 2 = 5/12
    assert result["p@2"].mean == pytest.approx(0.5)
    assert result["r@2"].mean == pytest.approx(0.4166666666666667)
    # k=5: drug 0 P 3/5 R 1; drug 1 P 2/5 R 1 -> P 0.5, R 1
    assert result["p@5"].mean == pytest.approx(0.5)
    assert result["r@5"].mean == pytest.approx(1.0)
    # k=10 > 5 side effects: k stays the denominator: (3/10 + 2/10) / 2 = 0.25
    assert result["p@10"].mean == pytest.approx(0.25)
    assert result["r@10"].mean == pytest.approx(1.0)
    assert (result["p@1"].n_used, result["p@1"].n_skipped) == (2, 1)


def test_precision_at_k_ignores_unscored_cells_and_breaks_ties_by_column() -> None:
    truth = np.array([[5, 0, 0, 0, 3]], dtype=np.uint8)
    mask = np.array([[False, True, True, True, True]])  # the positive in column 0 is unscored
    tied = np.full((1, 5), 0.5)
    # all scores tie: the lower column ranks first, so the top 1 is column 1 (a miss)
    result = metrics.precision_recall_at_k(tied, truth, mask, ks=(1, 4))
    assert result["p@1"].mean == 0.0
    # top 4 = columns 1..4, one hit of one scored positive: P = 1/4, R = 1
    assert result["p@4"].mean == pytest.approx(0.25)
    assert result["r@4"].mean == pytest.approx(1.0)


# -- nDCG ------------------------------------------------------------------------------------


def test_ndcg_standard_and_dsgat() -> None:
    truth = np.array(
        [
            [0, 3, 0, 5, 1],  # top 3 by score: gains 0, 3, 0
            [0, 0, 0, 4, 0],  # top 3 holds no hit
            [0, 0, 0, 0, 0],  # no positive: skipped
        ],
        dtype=np.uint8,
    )
    score = np.tile([0.9, 0.8, 0.7, 0.6, 0.5], (3, 1))
    # drug 0: DCG@3 = 0/1 + 3/log2(3) + 0/2 = 1.8927892607143724
    #   standard ideal: gains 5, 3, 1 -> 5 + 3/log2(3) + 1/2 = 7.392789260714372
    #     nDCG = 1.8927892607143724 / 7.392789260714372 = 0.25603181613369436
    #   DSGAT ideal: top-3 gains re-sorted 3, 0, 0 -> 3; nDCG = 1 / log2(3) = 0.6309297535714575
    # drug 1: DCG = 0: both variants 0 (DSGAT's ideal is 0 too, so 0 by definition)
    standard = metrics.ndcg_at_k(score, truth, full((3, 5)), k=3)
    dsgat = metrics.ndcg_at_k_dsgat(score, truth, full((3, 5)), k=3)
    assert standard.mean == pytest.approx(0.25603181613369436 / 2)
    assert dsgat.mean == pytest.approx(0.6309297535714575 / 2)
    assert (standard.n_used, standard.n_skipped) == (2, 1)
    assert (dsgat.n_used, dsgat.n_skipped) == (2, 1)


def test_ndcg_dsgat_ignores_recall() -> None:
    truth = np.array([[5, 0, 0, 4, 4]], dtype=np.uint8)
    score = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    # top 2 gains 5, 0: DCG = 5
    # standard ideal 5, 4 -> 5 + 4/log2(3) = 7.52371901428583 -> nDCG = 0.6645649565734895
    # DSGAT ideal: 5, 0 re-sorted -> 5 -> nDCG = 1 although two positives were missed
    assert metrics.ndcg_at_k(score, truth, full((1, 5)), k=2).mean == pytest.approx(
        0.6645649565734895
    )
    assert metrics.ndcg_at_k_dsgat(score, truth, full((1, 5)), k=2).mean == pytest.approx(1.0)


def test_ndcg_ignores_unscored_cells() -> None:
    truth = np.array([[5, 0, 2]], dtype=np.uint8)
    score = np.array([[0.9, 0.8, 0.7]])
    mask = np.array([[False, True, True]])
    # scored ranking: column 1 (gain 0), column 2 (gain 2): DCG@2 = 2 / log2(3)
    # standard ideal from the scored gains only (2, 0): 2 -> nDCG = 1 / log2(3)
    assert metrics.ndcg_at_k(score, truth, mask, k=2).mean == pytest.approx(1 / LOG2_3)


# -- Overlap@N% ------------------------------------------------------------------------------

OVERLAP_TRUTH = np.array([[3, 0, 0, 1, 0], [0, 2, 0, 0, 4]], dtype=np.uint8)  # 4 positives
# pooled ranking: 4.0 hit, 3.5 miss, 3.0 hit, 2.0 hit, 0.6, 0.5, 0.4, 0.3, 0.2 hit, 0.1
OVERLAP_SCORE = np.array([[4.0, 3.5, 0.1, 0.2, 0.3], [0.4, 3.0, 0.5, 0.6, 2.0]])


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (10, 2.5),  # top ceil(1.0) = 1 cell, 1 hit: 1 / (4 * 0.10)
        (20, 1.25),  # top 2, 1 hit: 1 / (4 * 0.20)
        (25, 2.0),  # top ceil(2.5) = 3, 2 hits: 2 / (4 * 0.25)
        (40, 1.875),  # top 4, 3 hits: 3 / (4 * 0.40)
        (50, 1.5),  # top 5, 3 hits: 3 / (4 * 0.50)
        (100, 1.0),  # all 10, 4 hits: 4 / (4 * 1.00)
    ],
)
def test_overlap_at_percent(percent: int, expected: float) -> None:
    value = metrics.overlap_at_percent(OVERLAP_SCORE, OVERLAP_TRUTH, full((2, 5)), percent)
    assert value == pytest.approx(expected)


def test_overlap_respects_mask_and_needs_positives() -> None:
    mask = full((2, 5))
    mask[0, 0] = False  # drop the top hit: 9 cells, 3 positives; ranking 3.5 miss, 3.0 hit, ...
    # 20%: top ceil(1.8) = 2 cells, 1 hit: 1 / (3 * 0.2) = 1.6666666666666667
    value = metrics.overlap_at_percent(OVERLAP_SCORE, OVERLAP_TRUTH, mask, 20)
    assert value == pytest.approx(1.6666666666666667)
    negatives = np.zeros((2, 5), dtype=np.uint8)
    assert math.isnan(metrics.overlap_at_percent(OVERLAP_SCORE, negatives, full((2, 5)), 5))
    with pytest.raises(ValueError, match="percent"):
        metrics.overlap_at_percent(OVERLAP_SCORE, OVERLAP_TRUTH, full((2, 5)), 0)


# -- calibration -----------------------------------------------------------------------------


def test_expected_calibration_error_by_hand() -> None:
    probabilities = np.array([0.1, 0.2, 0.7, 0.9])
    labels = np.array([0, 0, 1, 0])
    # 2 bins: [0, .5) holds 0.1, 0.2: |0 - 0.15| = 0.15; [.5, 1] holds 0.7, 0.9: |0.5 - 0.8| = 0.3
    # ECE = 2/4 * 0.15 + 2/4 * 0.3 = 0.225
    assert metrics.expected_calibration_error(probabilities, labels, n_bins=2) == pytest.approx(
        0.225
    )
    # 4 bins: [0,.25): 2/4 * |0 - 0.15|; [.5,.75): 1/4 * |1 - 0.7|; [.75,1]: 1/4 * |0 - 0.9|
    # ECE = 0.075 + 0.075 + 0.225 = 0.375
    assert metrics.expected_calibration_error(probabilities, labels, n_bins=4) == pytest.approx(
        0.375
    )


def test_expected_calibration_error_bin_edges() -> None:
    # 0.5 opens the upper of 2 bins: [0,.5): 1/2 * |0 - 0.4| = 0.2; [.5,1]: 1/2 * |1 - 0.5| = 0.25
    assert metrics.expected_calibration_error(
        np.array([0.5, 0.4]), np.array([1, 0]), n_bins=2
    ) == pytest.approx(0.45)
    # 1.0 falls in the last (closed) bin and 0.0 in the first: perfectly calibrated
    assert metrics.expected_calibration_error(np.array([1.0, 0.0]), np.array([True, False])) == 0.0
    assert math.isnan(metrics.expected_calibration_error(np.array([]), np.array([])))


@pytest.mark.parametrize(
    ("probabilities", "labels", "message"),
    [
        ([0.5, np.nan], [1, 0], "NaN"),
        ([0.5, 1.2], [1, 0], r"\[0, 1\]"),
        ([0.5, 0.2], [2, 0], "0/1"),
        ([0.5], [1, 0], "pair up"),
    ],
)
def test_expected_calibration_error_rejects_bad_input(
    probabilities: list[float], labels: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        metrics.expected_calibration_error(np.array(probabilities), np.array(labels))


# -- input checks ----------------------------------------------------------------------------


def test_nan_in_scored_cell_raises_but_unscored_nan_is_ignored() -> None:
    score = SCORE_ROW.copy()
    score[0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metrics.auroc(score, TRUTH_ROW, full((1, 5)))
    mask = full((1, 5))
    mask[0, 2] = False
    # without the NaN cell: labels 0 1 0 1 by score 0.9 0.8 0.6 0.5: AUROC = (1 + 0) / (2*2)
    assert metrics.auroc(score, TRUTH_ROW, mask) == pytest.approx(0.25)


def test_bad_shapes_and_truth_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        metrics.rmse(np.ones((1, 4)), TRUTH_ROW, full((1, 5)))
    with pytest.raises(ValueError, match="classes"):
        metrics.rmse(np.ones((1, 5)), TRUTH_ROW + 5, full((1, 5)))
    with pytest.raises(ValueError, match="bool"):
        metrics.rmse(np.ones((1, 5)), TRUTH_ROW, np.ones((1, 5), dtype=int))


# -- the protocol entry point ---------------------------------------------------------------


def make_view(truth: np.ndarray, mask: np.ndarray, protocol: str) -> EvalView:
    query = QueryView(smiles=[None] * truth.shape[0])
    return EvalView(query, truth, mask, positive_only_regression=protocol != "H5")


@pytest.fixture(scope="module")
def random_case() -> tuple[np.ndarray, np.ndarray, Prediction]:
    rng = np.random.default_rng(3)
    truth = np.where(rng.random((6, 40)) < 0.3, rng.integers(1, 6, (6, 40)), 0).astype(np.uint8)
    truth[5] = 0  # a drug without positives
    mask = rng.random((6, 40)) < 0.9
    prediction = Prediction(association=rng.random((6, 40)), frequency=1 + 4 * rng.random((6, 40)))
    return truth, mask, prediction


@pytest.mark.parametrize("protocol", ["WS", "ICS", "IND", "M10"])
def test_score_ranked_protocols(
    protocol: str, random_case: tuple[np.ndarray, np.ndarray, Prediction]
) -> None:
    truth, mask, prediction = random_case
    result = scoring.score(make_view(truth, mask, protocol), prediction, protocol)
    assert tuple(result) == scoring.metric_keys(protocol)
    assert list(result)[:8] == [
        "rmse",
        "mae",
        "auroc",
        "aupr",
        "auroc_per_drug",
        "aupr_per_drug",
        "spearman",
        "spearman_per_drug",
    ]
    assert {"p@1", "p@5", "p@10", "p@15", "r@1", "r@5", "r@10", "r@15"} <= set(result)
    association, frequency = prediction.association, prediction.frequency
    expected = prediction.expected_score
    assert result["rmse"] == metrics.rmse(frequency, truth, mask)
    assert result["auroc"] == metrics.auroc(association, truth, mask)
    assert result["aupr_per_drug"] == metrics.aupr_per_drug(association, truth, mask).mean
    assert result["p@5"] == metrics.precision_recall_at_k(association, truth, mask)["p@5"].mean
    assert result["ndcg@10"] == metrics.ndcg_at_k(expected, truth, mask).mean
    assert result["ndcg@10_dsgat"] == metrics.ndcg_at_k_dsgat(expected, truth, mask).mean
    assert result["n_drugs"] == 6
    assert result["n_pairs"] == mask.sum()
    assert result["n_drugs_skipped_auc"] >= 1
    assert result["n_drugs_skipped_ranking"] == 1
    assert all(isinstance(value, float) for value in result.values())


def test_score_h5(random_case: tuple[np.ndarray, np.ndarray, Prediction]) -> None:
    truth, mask, prediction = random_case
    result = scoring.score(make_view(truth, mask, "H5"), prediction, "h5")
    assert list(result) == [
        "rmse",
        "mae",
        "spearman",
        "auroc",
        "aupr",
        "overlap@1%",
        "overlap@5%",
        "overlap@10%",
        "overlap@20%",
        "n_drugs",
        "n_pairs",
        "n_positives",
    ]
    expected = prediction.expected_score
    assert result["rmse"] == metrics.rmse(expected, truth, mask, positives_only=False)
    assert result["spearman"] == metrics.spearman(expected, truth, mask, positives_only=False)
    assert result["overlap@5%"] == metrics.overlap_at_percent(expected, truth, mask, 5)


def test_score_small_case_by_hand() -> None:
    truth = np.array([[0, 3, 1, 0, 5]], dtype=np.uint8)
    prediction = Prediction(
        association=np.array([[0.9, 0.8, 0.7, 0.6, 0.5]]),
        frequency=np.array([[1.0, 2.0, 1.0, 1.0, 4.0]]),
    )
    result = scoring.score(make_view(truth, full((1, 5)), "WS"), prediction, "WS")
    # positives: frequency 2, 1, 4 vs 3, 1, 5: errors -1, 0, -1 -> MAE 2/3, RMSE sqrt(2/3)
    assert result["mae"] == pytest.approx(0.6666666666666666)
    assert result["rmse"] == pytest.approx(0.816496580927726)
    # association ranking as in test_global_auroc_aupr: AUROC 1/3, AP 53/90, P@1 0, R@5 1
    assert result["auroc"] == pytest.approx(0.3333333333333333)
    assert result["aupr_per_drug"] == pytest.approx(0.5888888888888889)
    assert result["p@1"] == 0.0
    assert result["r@5"] == 1.0
    # P@10, P@15: 3 hits / 10 and 3 / 15
    assert result["p@10"] == pytest.approx(0.3)
    assert result["p@15"] == pytest.approx(0.2)
    # expected score 0.9, 1.6, 0.7, 0.6, 2.0 ranks columns 4 (gain 5), 1 (3), 0, 2 (1), 3:
    # DCG = 5 + 3/log2(3) + 0 + 1/log2(5) = ideal DCG (5, 3, 1 then zeros) except 1 sits at
    # rank 4: nDCG = (5 + 3/log2(3) + 1/log2(5)) / (5 + 3/log2(3) + 1/2)
    #            = (5 + 1.8927892607143724 + 0.43067655807339306) / 7.392789260714372
    assert result["ndcg@10"] == pytest.approx(0.9906228299655456)
    assert result["ndcg@10_dsgat"] == pytest.approx(0.9906228299655456)  # all hits in top 10
    assert result["n_drugs_skipped_auc"] == 0.0


def test_score_empty_mask_gives_nan() -> None:
    truth = np.array([[0, 3, 1]], dtype=np.uint8)
    empty = np.zeros((1, 3), dtype=bool)
    prediction = Prediction(association=np.full((1, 3), 0.5), frequency=np.full((1, 3), 3.0))
    for protocol in ("WS", "H5"):
        result = scoring.score(make_view(truth, empty, protocol), prediction, protocol)
        assert result["n_pairs"] == 0.0
        metric_values = [value for key, value in result.items() if not key.startswith("n_")]
        assert all(math.isnan(value) for value in metric_values)


def test_score_rejects_bad_calls(random_case: tuple[np.ndarray, np.ndarray, Prediction]) -> None:
    truth, mask, prediction = random_case
    with pytest.raises(ValueError, match="unknown protocol"):
        scoring.score(make_view(truth, mask, "WS"), prediction, "XYZ")
    with pytest.raises(ValueError, match="does not match"):
        scoring.score(make_view(truth, mask, "WS"), prediction, "H5")
    with pytest.raises(ValueError, match="does not match"):
        scoring.score(make_view(truth, mask, "H5"), prediction, "ICS")
    broken = Prediction(association=prediction.association.copy(), frequency=prediction.frequency)
    row, column = np.argwhere(mask)[0]
    broken.association[row, column] = np.nan
    with pytest.raises(ValueError, match="association holds 1 NaN"):
        scoring.score(make_view(truth, mask, "WS"), broken, "WS")
    short = Prediction(association=prediction.association[:, :5], frequency=prediction.frequency)
    with pytest.raises(ValueError, match="shape"):
        scoring.score(make_view(truth, mask, "WS"), short, "WS")
