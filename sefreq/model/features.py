"""Model inputs derived from data: side-effect feature tensors, priors, kNN label profiles.

Everything here is computed from training drugs only and is saved in the bundle, so a
loaded model needs neither the dataset nor these functions' inputs again.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from sefreq.constants import N_CLASSES, stated

# Global class shares of Galeano's matrix (docs/SCIENCE.md), used only when a training set is
# too small to estimate them (tiny synthetic fixtures).
_DEFAULT_CLASS_SHARES = np.array([1190, 4203, 10027, 17795, 4226], dtype=np.float64)


def similarity_components(
    similarity: np.ndarray | None, n_side_effects: int, rank: int
) -> np.ndarray:
    """(994, rank) float32: the leading SVD components of the ADReCS similarity, scaled.

    Zeros when no similarity is known. Components are U * sqrt(S), standardised so that
    each column has unit RMS, signed so that its largest entry is positive, and rounded to
    1e-6: an SVD's signs and last bits depend on the BLAS build and thread count, and the
    bundle must not.
    """
    out = np.zeros((n_side_effects, rank), dtype=np.float32)
    if similarity is None:
        return out
    sim = np.nan_to_num(np.asarray(similarity, dtype=np.float64))
    sim = 0.5 * (sim + sim.T)
    u, s, _ = np.linalg.svd(sim, full_matrices=False)
    r = min(rank, u.shape[1])
    comp = u[:, :r] * np.sqrt(s[:r])
    largest = np.abs(comp).argmax(0)
    comp *= np.sign(comp[largest, np.arange(r)])[None]
    comp /= np.sqrt((comp**2).mean(0, keepdims=True)) + 1e-8
    # Rounded, so that BLAS rounding noise (1e-14, thread-count dependent) cannot reach
    # the bundle's bytes.
    out[:, :r] = np.round(comp, 6) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


def association_prior(frequency: np.ndarray, label_mask: np.ndarray) -> np.ndarray:
    """(994,) float64 smoothed prevalence of 'reported' among labelled training cells."""
    positives = ((frequency > 0) & label_mask).sum(0)
    labelled = label_mask.sum(0)
    return (positives + 0.5) / (labelled + 1.0)


def mean_class_prior(
    frequency: np.ndarray, label_mask: np.ndarray, shrink: float = 3.0
) -> np.ndarray:
    """(994,) float64 mean stated class per side effect, shrunk to the global mean."""
    reported = stated(frequency) & label_mask
    total = np.where(reported, frequency, 0).sum(0).astype(np.float64)
    count = reported.sum(0)
    global_mean = total.sum() / max(count.sum(), 1) if count.sum() else 3.6
    return (total + shrink * global_mean) / (count + shrink)


def class_thresholds(frequency: np.ndarray, label_mask: np.ndarray) -> np.ndarray:
    """(4,) float64 CORAL thresholds logit(P(class <= k)) of the training classes."""
    values = frequency[stated(frequency) & label_mask]
    counts = np.bincount(values, minlength=N_CLASSES + 1)[1:].astype(np.float64)
    if counts.sum() < 50:
        counts = _DEFAULT_CLASS_SHARES
    cumulative = np.clip(np.cumsum(counts)[:-1] / counts.sum(), 1e-3, 1 - 1e-3)
    return logit(cumulative)


def expected_class_from_score(score: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Expected class 1..5 for CORAL scores: 1 + sum_k sigmoid(score - theta_k)."""
    return 1.0 + expit(score[..., None] - thresholds).sum(-1)


def frequency_bias(mean_class: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(994,) per-side-effect CORAL score whose expected class is ``mean_class``."""
    grid = np.linspace(-8, 8, 641)
    expected = expected_class_from_score(grid, thresholds)  # increasing in the score
    return np.interp(mean_class, expected, grid)


def transfer_edges(
    n_labelled: np.ndarray,
    organ_classes: np.ndarray,
    similarity: np.ndarray | None,
    association: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate directed edges source -> target for :class:`SparseTransfer`.

    For each target j, the k sources with the highest relatedness among side effects with
    strictly more labelled drugs than j. Relatedness = ADReCS similarity + co-occurrence
    cosine across training drugs + 0.25 x organ-class Jaccard.
    Returns ``(sources, valid)``: (994, k) int64 and (994, k) bool (False = padding).
    """
    n_se = len(n_labelled)
    occ = association.astype(np.float64)
    norms = np.sqrt((occ**2).sum(0)) + 1e-8
    related = (occ.T @ occ) / np.outer(norms, norms)
    organ = organ_classes.astype(np.float64)
    inter = organ @ organ.T
    union = organ.sum(1)[:, None] + organ.sum(1)[None, :] - inter
    related += 0.25 * np.where(union > 0, inter / np.maximum(union, 1e-8), 0.0)
    if similarity is not None:
        related += np.nan_to_num(np.asarray(similarity, dtype=np.float64))
    allowed = n_labelled[None, :] > n_labelled[:, None]  # [target, source]
    related = np.where(allowed, related, -np.inf)
    kk = min(k, n_se)
    sources = np.argsort(-related, axis=1, kind="stable")[:, :kk]
    valid = np.isfinite(np.take_along_axis(related, sources, axis=1))
    sources = np.where(valid, sources, np.arange(n_se)[:, None])
    return sources.astype(np.int64), valid
