"""Similarity of molecules: Tanimoto of bit fingerprints, and of count fingerprints.

One implementation of each: :func:`tanimoto_bits` (Morgan bits: the applicability domain,
nearest drugs, the kNN baseline) and :func:`kernel_similarity` (the mean count Tanimoto of
some or all of the five fingerprints of :data:`sefreq.chem.features.KERNEL_FINGERPRINTS`).
"""

from __future__ import annotations

import numpy as np

from sefreq.chem.features import KERNEL_FINGERPRINTS


def tanimoto_bits(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(n_query, n_ref) float32 Tanimoto similarity of 0/1 fingerprint matrices."""
    q = np.asarray(query, dtype=np.float32)
    r = np.asarray(reference, dtype=np.float32)
    # A few queries: einsum's plain loop (exact on 0/1) beats threaded BLAS hand-offs.
    inter = np.einsum("qb,rb->qr", q, r) if len(q) <= 64 else q @ r.T
    union = q.sum(1)[:, None] + r.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1.0), 0.0).astype(np.float32)


def _unary(counts: np.ndarray, levels: int):
    """Sparse 0/1 matrix with, for bit j of count c, ones at columns j*levels + 0..c-1:
    the dot product of two rows is then sum_j min(a_j, b_j)."""
    from scipy import sparse  # here, not at the top: loading the model stays fast

    rows, cols = np.nonzero(counts)
    reps = counts[rows, cols].astype(np.int64)
    total = int(reps.sum())
    starts = np.repeat(np.cumsum(reps) - reps, reps)
    level = np.arange(total, dtype=np.int64) - starts
    data = np.ones(total, dtype=np.float32)
    shape = (counts.shape[0], counts.shape[1] * levels)
    return sparse.csr_matrix(
        (data, (np.repeat(rows, reps), np.repeat(cols, reps) * levels + level)), shape=shape
    )


def prepare_counts(b: np.ndarray, levels: int | None = None) -> tuple:
    """Reference side of :func:`count_tanimoto`, reusable across queries: (transposed unary
    code, row sums, levels). Counts above ``levels`` (default: the largest count) are
    clipped, on both sides."""
    b = np.asarray(b, dtype=np.float32)
    levels = int(max(b.max(initial=0), 1)) if levels is None else int(levels)
    b = np.minimum(b, levels)
    return _unary(b, levels).T.tocsr(), b.sum(1), levels


def count_tanimoto(
    a: np.ndarray, b: np.ndarray | None, prepared: tuple | None = None
) -> np.ndarray:
    """(len(a), len(b)) float32 generalised Tanimoto sum(min) / sum(max) of count vectors.

    Equals the bit Tanimoto on 0/1 vectors. Counts must be non-negative integers (all five
    fingerprints are): sum(min) is a sparse product of unary codes, and
    sum(max) = sum(a) + sum(b) - sum(min); both exact. ``prepared``:
    :func:`prepare_counts` of ``b`` (then ``b`` is not needed).
    """
    a = np.asarray(a, dtype=np.float32)
    if prepared is None:
        b = np.asarray(b, dtype=np.float32)
        prepared = prepare_counts(b, int(max(a.max(initial=0), b.max(initial=0), 1)))
    unary_b, sum_b, levels = prepared
    a = np.minimum(a, levels)
    if len(a) == 0 or len(sum_b) == 0:
        return np.zeros((len(a), len(sum_b)), np.float32)
    mn = (_unary(a, levels) @ unary_b).toarray().astype(np.float32)
    mx = a.sum(1)[:, None] + sum_b[None, :] - mn
    return np.where(mx > 0, mn / np.maximum(mx, 1e-9), 0.0).astype(np.float32)


def prepare_kernel_reference(fb: dict, levels: int = 255) -> dict:
    """:func:`prepare_counts` of each fingerprint of a fixed reference set (the keys of
    ``fb``, in :data:`~sefreq.chem.features.KERNEL_FINGERPRINTS` order)."""
    return {k: prepare_counts(fb[k], max(levels, int(fb[k].max(initial=0)))) for k in _names(fb)}


def _names(fingerprints: dict) -> tuple[str, ...]:
    names = tuple(k for k in KERNEL_FINGERPRINTS if k in fingerprints)
    if not names:
        raise ValueError(f"no kernel fingerprints among {sorted(fingerprints)}")
    return names


def kernel_similarity(fa: dict, fb: dict | None, prepared: dict | None = None) -> np.ndarray:
    """(n_a, n_b) float32 mean of the fingerprints' (count) Tanimoto similarities: those of
    the reference (``prepared``, else ``fb``), which ``fa`` must hold too.

    ``prepared``: :func:`prepare_kernel_reference` of ``fb`` (then ``fb`` is not needed).
    """
    names = _names(prepared if prepared is not None else fb)
    missing = [k for k in names if k not in fa]
    if missing:
        raise ValueError(f"the query lacks the fingerprints {missing}")
    total = sum(
        count_tanimoto(
            fa[k], None if fb is None else fb[k], None if prepared is None else prepared[k]
        )
        for k in names
    )
    return (total / len(names)).astype(np.float32)
