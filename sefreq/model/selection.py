"""Settings of the similarity prior, chosen on validation drugs only.

Association settings maximise AUROC + AUPR + per-drug AUROC of the prior alone; frequency
settings minimise its RMSE. Both use :func:`sefreq.priors.grid_search`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit, logit

from sefreq.metrics import aupr, auroc, auroc_per_drug, rmse
from sefreq.model.data import TrainingSet
from sefreq.priors import SMOOTHING_GRID, Grid, grid_search


def association_score(
    association: np.ndarray, validation: TrainingSet, prevalence: np.ndarray
) -> float:
    """AUROC + AUPR + per-drug AUROC on validation of a residual association prior."""
    truth, mask = validation.frequency, validation.label_mask
    p = expit(logit(prevalence) + association)
    return auroc(p, truth, mask) + aupr(p, truth, mask) + auroc_per_drug(p, truth, mask).mean


def frequency_error(
    frequency: np.ndarray, validation: TrainingSet, mean_class: np.ndarray
) -> float:
    """RMSE on validation of a residual frequency prior."""
    truth, mask = validation.frequency, validation.label_mask
    return rmse(np.clip(mean_class + frequency, 1, 5), truth, mask)


def select_knn(
    grid: list[tuple[int, float]],
    profiles: Callable[[int, float], tuple[np.ndarray, np.ndarray]],
    validation: TrainingSet,
    prevalence: np.ndarray,
    mean_class: np.ndarray,
) -> tuple[tuple[int, float], tuple[int, float]]:
    """(k, power) of the association and of the frequency kNN prior, chosen on validation."""
    pairs = Grid({"k_power": tuple(grid)})
    computed: dict = {}

    def of(settings: dict) -> tuple[np.ndarray, np.ndarray]:
        key = settings["k_power"]
        if key not in computed:
            computed[key] = profiles(*key)
        return computed[key]

    best_a = grid_search(pairs, lambda s: association_score(of(s)[0], validation, prevalence))
    best_f = grid_search(
        pairs, lambda s: frequency_error(of(s)[1], validation, mean_class), maximise=False
    )
    return (best_a or {"k_power": grid[0]})["k_power"], (best_f or {"k_power": grid[0]})["k_power"]


def select_smoothing(
    profiles: Callable[[dict], tuple[np.ndarray, np.ndarray]],
    validation: TrainingSet,
    prevalence: np.ndarray,
    mean_class: np.ndarray,
    grid: dict[str, Grid] = SMOOTHING_GRID,
) -> dict:
    """Settings of the smoothed prior: association first (frequency at its grid's first
    setting), then frequency given the chosen association settings."""
    first_f = next(grid["frequency"].settings())
    best_a = grid_search(
        grid["association"],
        lambda a: association_score(
            profiles({"association": a, "frequency": first_f})[0], validation, prevalence
        ),
    )
    best_f = grid_search(
        grid["frequency"],
        lambda f: frequency_error(
            profiles({"association": best_a, "frequency": f})[1], validation, mean_class
        ),
        maximise=False,
    )
    return {"association": best_a, "frequency": best_f}
