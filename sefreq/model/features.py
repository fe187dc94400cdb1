"""Model inputs derived from data: side-effect feature tensors, priors, kNN label profiles.

Everything here is computed from training drugs only and is saved in the bundle, so a
loaded model needs neither the dataset nor these functions' inputs again.
"""

from __future__ import annotations

import numpy as np

from sefreq.constants import N_CLASSES

# Global class shares of Galeano's matrix (SCIENCE.md), used only when a training set is
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
    """(994,) float64 mean reported class per side effect, shrunk to the global mean."""
    reported = (frequency > 0) & label_mask
    total = np.where(reported, frequency, 0).sum(0).astype(np.float64)
    count = reported.sum(0)
    global_mean = total.sum() / max(count.sum(), 1) if count.sum() else 3.6
    return (total + shrink * global_mean) / (count + shrink)


def class_thresholds(frequency: np.ndarray, label_mask: np.ndarray) -> np.ndarray:
    """(4,) float64 CORAL thresholds logit(P(class <= k)) of the training classes."""
    values = frequency[(frequency > 0) & label_mask]
    counts = np.bincount(values, minlength=N_CLASSES + 1)[1:].astype(np.float64)
    if counts.sum() < 50:
        counts = _DEFAULT_CLASS_SHARES
    cumulative = np.clip(np.cumsum(counts)[:-1] / counts.sum(), 1e-3, 1 - 1e-3)
    return np.log(cumulative / (1 - cumulative))


def expected_class_from_score(score: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Expected class 1..5 for CORAL scores: 1 + sum_k sigmoid(score - theta_k)."""
    return 1.0 + (1.0 / (1.0 + np.exp(-(score[..., None] - thresholds)))).sum(-1)


def frequency_bias(mean_class: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(994,) per-side-effect CORAL score whose expected class is ``mean_class``."""
    grid = np.linspace(-8, 8, 641)
    expected = expected_class_from_score(grid, thresholds)  # increasing in the score
    return np.interp(mean_class, expected, grid)


def knn_reference(
    reference_frequency: np.ndarray, reference_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labelled, reported, class-if-reported) float64 matrices of the reference drugs."""
    labelled = reference_mask.astype(np.float64)
    positive = ((reference_frequency > 0) & reference_mask).astype(np.float64)
    cls = np.where(positive > 0, reference_frequency, 0).astype(np.float64)
    return labelled, positive, cls


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
    sim = np.array(similarity, dtype=np.float64, copy=True)
    if exclude is not None:
        rows = np.flatnonzero(exclude >= 0)
        sim[rows, exclude[rows]] = -1.0
    n_query, n_ref = sim.shape
    kk = min(k, n_ref)
    if n_query == 0 or kk == 0:
        zeros = np.zeros((n_query, len(prevalence)), dtype=np.float32)
        return zeros, zeros.copy()
    top = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
    top_weights = np.clip(np.take_along_axis(sim, top, axis=1), 0, None) ** power  # (q, k)
    labelled, positive, cls = reference or knn_reference(reference_frequency, reference_mask)
    if n_query <= 64 and kk <= 64:  # a few queries, few neighbours: gather their rows
        w = top_weights[:, :, None]
        weighted_positive = (w * positive[top]).sum(1)
        weighted_labelled = (w * labelled[top]).sum(1)
        weighted_class = (w * cls[top]).sum(1)
    else:  # many: neighbour weights as a dense (q, n_ref) matrix, sums as matrix products
        weights = np.zeros((n_query, n_ref), dtype=np.float64)
        np.put_along_axis(weights, top, top_weights, 1)
        if n_query <= 64:  # einsum's plain loop: threaded BLAS hand-offs cost 10x here
            weighted_positive, weighted_labelled, weighted_class = (
                np.einsum("qr,rs->qs", weights, m) for m in (positive, labelled, cls)
            )
        else:
            weighted_positive = weights @ positive
            weighted_labelled = weights @ labelled
            weighted_class = weights @ cls
    alpha = 0.3  # pseudo-weight of the prevalence prior
    p_knn = (weighted_positive + alpha * prevalence) / (weighted_labelled + alpha)
    p_knn = np.clip(p_knn, 1e-4, 1 - 1e-4)
    prev = np.clip(prevalence, 1e-4, 1 - 1e-4)
    association = np.log(p_knn / (1 - p_knn)) - np.log(prev / (1 - prev))
    beta = 0.3
    f_knn = (weighted_class + beta * mean_class) / (weighted_positive + beta)
    frequency = f_knn - mean_class
    return association.astype(np.float32), frequency.astype(np.float32)


#: Grids the smoothed prior's settings are chosen from on validation drugs.
SMOOTHING_GRID: dict = {
    "association": {"alpha": (0.03, 0.1, 0.3, 1.0), "gamma": (2, 3, 5), "m": (0.0, 0.2, 0.4, 0.6)},
    "frequency": {"alpha": (0.03, 0.1, 0.3, 1.0), "gamma": (2, 3, 5, 8)},
}


def smoothing_reference(
    reference_frequency: np.ndarray, reference_mask: np.ndarray, top: int = 10
) -> dict[str, np.ndarray]:
    """What :func:`smoothed_profiles` needs of the reference drugs, computed once per set.

    ``labelled``, ``positive``, ``cls`` as :func:`knn_reference`; ``ms`` (994,) each side
    effect's mean class shrunk to the global mean; ``offset`` (n_ref,) each drug's mean
    class offset from ``ms`` (shrunk: + 5 pseudo-cells); ``transfer`` (994, 994) each side
    effect's ``top`` most positively co-reported partners (correlation across the reference
    drugs), rows normalised to 1.
    """
    labelled, positive, cls = knn_reference(reference_frequency, reference_mask)
    n_reported = positive.sum(0)
    global_mean = cls.sum() / max(positive.sum(), 1.0)
    ms = (cls.sum(0) + global_mean) / (n_reported + 1.0)
    offset = ((cls - ms[None]) * positive).sum(1) / (positive.sum(1) + 5.0)
    centred = positive - positive.mean(0)
    covariance = centred.T @ centred
    sd = np.sqrt(np.diag(covariance)) + 1e-6
    correlation = np.clip(covariance / sd[:, None] / sd[None], 0, None)
    np.fill_diagonal(correlation, 0)
    keep = min(top, correlation.shape[1] - 1)
    if keep > 0:
        dropped = np.argpartition(-correlation, keep, axis=1)[:, keep:]
        np.put_along_axis(correlation, dropped, 0, axis=1)
    transfer = correlation / np.maximum(correlation.sum(1, keepdims=True), 1e-9)
    return dict(
        labelled=labelled, positive=positive, cls=cls, ms=ms, offset=offset, transfer=transfer
    )


def smoothed_profiles(
    similarity: np.ndarray,
    reference: dict[str, np.ndarray],
    prevalence: np.ndarray,
    mean_class: np.ndarray,
    settings: dict,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The similarity-kernel baseline's profiles (``sefreq.bench.kernel``, without its
    kernel-ridge part) as residual features, the same form as :func:`knn_profiles`.

    Association: every reference drug weighs ``sim ** gamma``; the weighted share reported,
    shrunk to the prevalence by ``alpha`` pseudo-drugs; then a share ``m`` of its departure
    from the prevalence is passed through the co-reporting ``transfer``. Frequency: the
    weighted mean class of the neighbours that report it, shrunk by ``alpha`` towards the
    side effect's mean class plus the neighbours' drug offsets. ``settings`` holds
    ``{"association": {alpha, gamma, m}, "frequency": {alpha, gamma}}``; ``reference`` comes
    from :func:`smoothing_reference`; ``exclude`` (n_query,) a reference row to leave out.
    """
    sim = np.clip(np.array(similarity, dtype=np.float64, copy=True), 0, None)
    if exclude is not None:
        rows = np.flatnonzero(exclude >= 0)
        sim[rows, exclude[rows]] = 0.0
    a, f = settings["association"], settings["frequency"]
    w = sim ** a["gamma"]
    p = (w @ reference["positive"] + a["alpha"] * prevalence) / (
        w @ reference["labelled"] + a["alpha"]
    )
    departure = p - prevalence
    p = prevalence + (1 - a["m"]) * departure + a["m"] * (departure @ reference["transfer"].T)
    p = np.clip(p, 1e-4, 1 - 1e-4)
    prev = np.clip(prevalence, 1e-4, 1 - 1e-4)
    association = np.log(p / (1 - p)) - np.log(prev / (1 - prev))
    w = sim ** f["gamma"]
    base = reference["ms"][None] + ((w @ reference["offset"]) / (w.sum(1) + 1.0))[:, None]
    frequency = (w @ reference["cls"] + f["alpha"] * base) / (
        w @ reference["positive"] + f["alpha"]
    )
    frequency = np.clip(frequency, 1, 5) - mean_class
    return association.astype(np.float32), frequency.astype(np.float32)


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
