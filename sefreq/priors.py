"""Similarity priors: what the training drugs most like a molecule report.

Used alike by the network (as residual input features, :func:`knn_profiles` and
:func:`smoothed_profiles`) and by the similarity-kernel baseline
(:mod:`sefreq.bench.models.kernel`), which composes the same pieces
(:func:`kernel_smoothing`, :func:`co_reporting`, :func:`smoothed_frequency`) with its own
prior and a kernel-ridge blend. Settings are chosen on validation drugs with
:func:`grid_search` over a :class:`Grid`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from sefreq.constants import stated


@dataclass(frozen=True)
class Grid:
    """Candidate values per setting, e.g. ``Grid({"alpha": (0.1, 0.3), "gamma": (2, 3)})``."""

    axes: Mapping[str, tuple]

    def settings(self) -> Iterator[dict]:
        """Every combination as a dict, the last axis varying fastest."""
        names = list(self.axes)
        for values in itertools.product(*self.axes.values()):
            yield dict(zip(names, values, strict=True))


def grid_search(
    grid: Grid, objective: Callable[[dict], float], maximise: bool = True
) -> dict | None:
    """The settings of ``grid`` with the best ``objective``; the first one wins a tie.

    A NaN objective never wins; ``None`` when no setting scored a finite value.
    """
    best, best_value = None, -np.inf if maximise else np.inf
    for settings in grid.settings():
        value = objective(settings)
        if value > best_value if maximise else value < best_value:
            best, best_value = settings, value
    return best


def _without(similarity: np.ndarray, exclude: np.ndarray | None, fill: float) -> np.ndarray:
    """A float64 copy of ``similarity`` with each query's ``exclude`` row set to ``fill``."""
    sim = np.array(similarity, dtype=np.float64, copy=True)
    if exclude is not None:
        rows = np.flatnonzero(exclude >= 0)
        sim[rows, exclude[rows]] = fill
    return sim


def top_k_mask(values: np.ndarray, k: int) -> np.ndarray:
    """(n, m) bool: each row's ``k`` largest values, ties at the edge broken by the lower
    column index.

    ``np.argpartition`` breaks ties by whatever its SIMD kernel does, which differs between
    CPUs (AVX2 and AVX-512 machines chose different co-reported partners among equal
    correlations, and the bundled model's rare side effects moved by up to 0.03): a
    prediction must not depend on the machine. Only values are partitioned here, and the
    ties are then taken in column order."""
    n, m = values.shape
    if k >= m:
        return np.ones((n, m), dtype=bool)
    values = np.where(np.isnan(values), -np.inf, values)  # NaN (an unreadable row) ranks last
    if k <= 0:
        return np.zeros((n, m), dtype=bool)
    edge = -np.partition(-values, k - 1, axis=1)[:, k - 1 : k]  # each row's k-th largest
    above = values > edge
    tied = values == edge
    room = k - above.sum(1, keepdims=True)
    return above | (tied & (np.cumsum(tied, axis=1) <= room))


def top_k_columns(values: np.ndarray, k: int) -> np.ndarray:
    """(n, min(k, m)) column indices of each row's ``k`` largest values, in column order
    (:func:`top_k_mask`: the same on every CPU)."""
    n, m = values.shape
    kk = min(k, m)
    return np.nonzero(top_k_mask(values, kk))[1].reshape(n, kk)


def _power(x: np.ndarray, gamma: float) -> np.ndarray:
    """``x ** gamma``; a small whole ``gamma`` by multiplication (6x faster, same values to
    rounding)."""
    if float(gamma).is_integer() and 1 <= gamma <= 4:
        out = x.copy()
        for _ in range(int(gamma) - 1):
            out *= x
        return out
    return x**gamma


def _logit_residual(p: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """logit(p) - logit(prevalence), both clipped to [1e-4, 1 - 1e-4]."""
    from scipy.special import logit  # here, not at the top: loading the model stays fast

    return logit(np.clip(p, 1e-4, 1 - 1e-4)) - logit(np.clip(prevalence, 1e-4, 1 - 1e-4))


# -- the kNN prior ----------------------------------------------------------------------------


def knn_reference(
    reference_frequency: np.ndarray, reference_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(labelled, reported, class-if-stated, stated) float64 matrices of the reference drugs.

    A reported cell without a stated class (:data:`sefreq.constants.UNSTATED`) counts as
    reported and takes no part in the class averages.
    """
    labelled = reference_mask.astype(np.float64)
    positive = ((reference_frequency > 0) & reference_mask).astype(np.float64)
    classified = (stated(reference_frequency) & reference_mask).astype(np.float64)
    cls = np.where(classified > 0, reference_frequency, 0).astype(np.float64)
    return labelled, positive, cls, classified


def knn_profiles(
    similarity: np.ndarray,
    reference_frequency: np.ndarray,
    reference_mask: np.ndarray,
    prevalence: np.ndarray,
    mean_class: np.ndarray,
    k: int = 10,
    power: float = 2.0,
    exclude: np.ndarray | None = None,
    reference: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Label profiles of each query's k most similar reference drugs, as residual features.

    ``similarity`` (n_query, n_ref) Tanimoto; ``exclude`` (n_query,) reference row to
    leave out per query (-1 for none): a training drug never sees its own labels.
    Returns ``(association, frequency)``, both (n_query, 994) float32:
    logit(kNN prevalence) - logit(prevalence), and kNN mean class - mean class, each shrunk
    towards zero when the neighbours are far or unlabelled. ``reference``: the result of
    :func:`knn_reference` for these reference arrays (saves rebuilding it per call).
    """
    sim = _without(similarity, exclude, -1.0)
    n_query, n_ref = sim.shape
    kk = min(k, n_ref)
    if n_query == 0 or kk == 0:
        zeros = np.zeros((n_query, len(prevalence)), dtype=np.float32)
        return zeros, zeros.copy()
    top = top_k_columns(sim, kk)
    top_weights = np.clip(np.take_along_axis(sim, top, axis=1), 0, None) ** power  # (q, k)
    labelled, positive, cls, classified = reference or knn_reference(
        reference_frequency, reference_mask
    )
    if n_query <= 64 and kk <= 64:  # a few queries, few neighbours: gather their rows
        w = top_weights[:, :, None]
        weighted_positive = (w * positive[top]).sum(1)
        weighted_labelled = (w * labelled[top]).sum(1)
        weighted_class = (w * cls[top]).sum(1)
        weighted_classified = (w * classified[top]).sum(1)
    else:  # many: neighbour weights as a dense (q, n_ref) matrix, sums as matrix products
        weights = np.zeros((n_query, n_ref), dtype=np.float64)
        np.put_along_axis(weights, top, top_weights, 1)
        if n_query <= 64:  # einsum's plain loop: threaded BLAS hand-offs cost 10x here
            weighted_positive, weighted_labelled, weighted_class, weighted_classified = (
                np.einsum("qr,rs->qs", weights, m) for m in (positive, labelled, cls, classified)
            )
        else:
            weighted_positive = weights @ positive
            weighted_labelled = weights @ labelled
            weighted_class = weights @ cls
            weighted_classified = weights @ classified
    alpha = 0.3  # pseudo-weight of the prevalence prior
    p_knn = (weighted_positive + alpha * prevalence) / (weighted_labelled + alpha)
    association = _logit_residual(p_knn, prevalence)
    beta = 0.3
    f_knn = (weighted_class + beta * mean_class) / (weighted_classified + beta)
    frequency = f_knn - mean_class
    return association.astype(np.float32), frequency.astype(np.float32)


# -- the smoothed prior -----------------------------------------------------------------------

#: Grids the smoothed prior's settings are chosen from on validation drugs.
SMOOTHING_GRID: dict[str, Grid] = {
    "association": Grid(
        {"alpha": (0.03, 0.1, 0.3, 1.0), "gamma": (2, 3, 5), "m": (0.0, 0.2, 0.4, 0.6)}
    ),
    "frequency": Grid({"alpha": (0.03, 0.1, 0.3, 1.0), "gamma": (2, 3, 5, 8)}),
}


def smoothing_reference(
    reference_frequency: np.ndarray, reference_mask: np.ndarray, top: int = 10
) -> dict[str, np.ndarray]:
    """What :func:`smoothed_profiles` needs of the reference drugs, computed once per set.

    ``labelled``, ``positive``, ``cls``, ``classified`` as :func:`knn_reference`; ``ms``
    (994,) each side effect's mean class shrunk to the global mean; ``offset`` (n_ref,)
    each drug's mean class offset from ``ms`` (shrunk: + 5 pseudo-cells); ``transfer``
    (994, 994, sparse CSR) each side effect's ``top`` most positively co-reported partners
    (correlation across the reference drugs), rows normalised to 1.
    """
    labelled, positive, cls, classified = knn_reference(reference_frequency, reference_mask)
    n_classified = classified.sum(0)
    global_mean = cls.sum() / max(classified.sum(), 1.0)
    ms = (cls.sum(0) + global_mean) / (n_classified + 1.0)
    offset = ((cls - ms[None]) * classified).sum(1) / (classified.sum(1) + 5.0)
    # The covariance of the 0/1 columns from their co-report counts: a sum of whole numbers
    # is exact in any order, so every CPU gets the same bits (the centred product's sums of
    # fractions did not, and nor then did the ties among the partners kept below).
    together = positive.T @ positive
    counts = np.diag(together).copy()
    covariance = together - np.outer(counts, counts) / max(len(positive), 1)
    sd = np.sqrt(np.diag(covariance)) + 1e-6
    correlation = np.clip(covariance / sd[:, None] / sd[None], 0, None)
    np.fill_diagonal(correlation, 0)
    keep = min(top, correlation.shape[1] - 1)
    if keep > 0:
        correlation[~top_k_mask(correlation, keep)] = 0
    from scipy import sparse  # here, not at the top: loading the model stays fast

    # About ``top`` partners a row: held sparse, so co_reporting costs a tenth.
    transfer = sparse.csr_matrix(correlation / np.maximum(correlation.sum(1, keepdims=True), 1e-9))
    reference = dict(
        labelled=labelled,
        positive=positive,
        cls=cls,
        classified=classified,
        ms=ms,
        offset=offset,
        transfer=transfer,
    )
    reference["_sparse"] = _sparse_products(reference)
    return reference


def _sparse_products(reference: dict) -> dict:
    """The reference matrices the weights multiply, as sparse transposes: a drug reports
    about 5% of the side effects, so the products cost a quarter of the dense ones (the
    same sums, to rounding). ``labelled`` is None when every
    cell is labelled (then ``weights @ labelled`` is the weights' row sum)."""
    from scipy import sparse  # here, not at the top: loading the model stays fast

    products = {k: sparse.csr_matrix(reference[k].T) for k in ("positive", "cls", "classified")}
    labelled = reference["labelled"]
    products["labelled"] = None if bool(np.all(labelled == 1)) else sparse.csr_matrix(labelled.T)
    return products


def _times(weights: np.ndarray, reference: dict, name: str) -> np.ndarray:
    """``weights @ reference[name]`` (n_query, 994), through the sparse form when the
    reference has one (:func:`smoothing_reference`)."""
    products = reference.get("_sparse")
    if products is None:
        return weights @ reference[name]
    matrix = products[name]
    if matrix is None:  # every cell labelled
        return np.repeat(weights.sum(1, keepdims=True), reference[name].shape[1], axis=1)
    return np.ascontiguousarray((matrix @ weights.T).T)


def kernel_smoothing(
    weights: np.ndarray, reference: dict[str, np.ndarray], prior: np.ndarray, alpha: float
) -> np.ndarray:
    """(n_query, 994) share reported among the reference drugs weighted by ``weights``
    (n_query, n_ref), shrunk to ``prior`` (994,) by ``alpha`` pseudo-drugs."""
    return (_times(weights, reference, "positive") + alpha * prior) / (
        _times(weights, reference, "labelled") + alpha
    )


def co_reporting(p: np.ndarray, prior: np.ndarray, transfer, m: float) -> np.ndarray:
    """Pass a share ``m`` of each departure from ``prior`` through the co-reporting
    ``transfer`` (:func:`smoothing_reference`; dense or sparse): side effects reported
    together borrow evidence from each other. Not clipped."""
    departure = p - prior
    moved = transfer @ departure.T  # (994, n): departure @ transfer.T, sparse or dense
    return prior + (1 - m) * departure + m * np.ascontiguousarray(moved.T)


def smoothed_frequency(
    similarity: np.ndarray, reference: dict[str, np.ndarray], alpha: float, gamma: float
) -> np.ndarray:
    """(n_query, 994) class 1..5 if reported: the ``sim ** gamma``-weighted mean class of the
    neighbours that report it, shrunk by ``alpha`` towards the side effect's mean class
    plus the neighbours' drug offsets. ``similarity`` must be non-negative."""
    w = _power(similarity, gamma)
    base = reference["ms"][None] + ((w @ reference["offset"]) / (w.sum(1) + 1.0))[:, None]
    frequency = (_times(w, reference, "cls") + alpha * base) / (
        _times(w, reference, "classified") + alpha
    )
    return np.clip(frequency, 1, 5)


def smoothed_profiles(
    similarity: np.ndarray,
    reference: dict[str, np.ndarray],
    prevalence: np.ndarray,
    mean_class: np.ndarray,
    settings: dict,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The smoothed prior as residual features, the same form as :func:`knn_profiles`.

    Association: every reference drug weighs ``sim ** gamma`` (:func:`kernel_smoothing`,
    shrunk to the prevalence by ``alpha``), then :func:`co_reporting` with share ``m``.
    Frequency: :func:`smoothed_frequency`. ``settings`` holds
    ``{"association": {alpha, gamma, m}, "frequency": {alpha, gamma}}``; ``reference``
    comes from :func:`smoothing_reference`; ``exclude`` (n_query,) a reference row to
    leave out. Returns float32 ``(logit(p) - logit(prevalence), class - mean_class)``.
    """
    sim = np.clip(_without(similarity, exclude, 0.0), 0, None)
    a, f = settings["association"], settings["frequency"]
    p = kernel_smoothing(_power(sim, a["gamma"]), reference, prevalence, a["alpha"])
    p = co_reporting(p, prevalence, reference["transfer"], a["m"])
    association = _logit_residual(p, prevalence)
    frequency = smoothed_frequency(sim, reference, f["alpha"], f["gamma"]) - mean_class
    return association.astype(np.float32), frequency.astype(np.float32)
