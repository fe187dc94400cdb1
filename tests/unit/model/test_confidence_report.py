"""The held-out confidence figures on complete listings: a side effect listed without a
stated class (UNSTATED) counts as listed for ranking, and never as a class."""

from __future__ import annotations

import numpy as np

from sefreq.constants import UNSTATED
from sefreq.model.confidence import error_by_similarity


def test_error_by_similarity_scores_classes_only_where_a_class_is_stated():
    truth = np.array([[3, UNSTATED, 0, 0], [0, 2, UNSTATED, 0]], dtype=np.uint8)
    association = np.array([[0.9, 0.8, 0.1, 0.2], [0.1, 0.7, 0.9, 0.2]])
    expected = np.array([[4.0, 1.0, 1.0, 1.0], [1.0, 2.0, 5.0, 1.0]])
    (row,) = error_by_similarity(np.array([0.5, 0.6]), association, expected, truth, (0.0, 1.01))
    assert row["n_drugs"] == 2
    # Only (3 -> 4) and (2 -> 2) are classes: sqrt((1 + 0) / 2); UNSTATED (255) never enters.
    assert row["rmse"] == round(float(np.sqrt(0.5)), 4)
    # Listed (stated or not) ranks above unlisted in both drugs.
    assert row["per_drug_auroc"] == 1.0
