"""Similarity of molecules: Tanimoto of bit fingerprints, and of count fingerprints.

One implementation of each: :func:`tanimoto_bits` (Morgan bits: the applicability domain,
nearest drugs, the kNN baseline) and :func:`kernel_similarity` (the mean count Tanimoto of
some or all of the five fingerprints of :data:`sefreq.chem.features.KERNEL_FINGERPRINTS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sefreq.chem.features import KERNEL_FINGERPRINTS


def set_bit_sums(bits: np.ndarray, rows, weighted: bool = False):
    """(n, k) torch float32: for each molecule, the sum of the rows of ``rows`` (a torch
    (n_bits, k) matrix) at its non-zero bits, each times its value where ``weighted``. A
    fingerprint sets about 50 of 2,048 bits: this is the product ``bits @ rows`` at a
    fortieth of the work (one ``embedding_bag``); the network's first layer, the mechanism
    networks' and the Morgan intersections all read it."""
    import torch  # here, not at the top: the data layer needs no torch

    bits = np.asarray(bits)
    if not len(bits):
        return torch.zeros((0, rows.shape[1]), dtype=rows.dtype)
    molecule, on = np.nonzero(bits)
    return torch.nn.functional.embedding_bag(
        torch.from_numpy(on.astype(np.int64)),
        rows,
        torch.from_numpy(np.searchsorted(molecule, np.arange(len(bits))).astype(np.int64)),
        mode="sum",
        per_sample_weights=(
            torch.from_numpy(bits[molecule, on].astype(np.float32)) if weighted else None
        ),
    )


@dataclass(frozen=True)
class BitsReference:
    """The reference side of :func:`tanimoto_bits`, built once (:func:`prepare_bits`): its
    bits as (n_bits, n_ref) float32 rows, and each reference's count of set bits."""

    rows: object  # torch (n_bits, n_ref) float32 0/1
    sums: np.ndarray  # (n_ref,) float32


def prepare_bits(reference: np.ndarray) -> BitsReference:
    """:class:`BitsReference` of 0/1 fingerprints (n_ref, n_bits), reusable across queries."""
    import torch  # here, not at the top: the data layer needs no torch

    r = np.asarray(reference, dtype=np.float32)
    return BitsReference(torch.from_numpy(np.ascontiguousarray(r.T)), r.sum(1))


def tanimoto_bits(
    query: np.ndarray, reference: np.ndarray | None, prepared: BitsReference | None = None
) -> np.ndarray:
    """(n_query, n_ref) float32 Tanimoto similarity of 0/1 fingerprint matrices.

    ``prepared``: :func:`prepare_bits` of ``reference`` (then ``reference`` is not needed):
    the intersections are sums of the reference rows of each query's set bits
    (:func:`set_bit_sums`), 10 times less work than the product over every bit, and the
    same integers.
    """
    q = np.asarray(query, dtype=np.float32)
    if prepared is not None:
        inter = set_bit_sums(q, prepared.rows).numpy()
        r_sums = prepared.sums
    else:
        r = np.asarray(reference, dtype=np.float32)
        # A few queries: einsum's plain loop (exact on 0/1) beats threaded BLAS hand-offs.
        inter = np.einsum("qb,rb->qr", q, r) if len(q) <= 64 else q @ r.T
        r_sums = r.sum(1)
    union = q.sum(1)[:, None] + r_sums[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1.0), 0.0).astype(np.float32)


def _unary(counts: np.ndarray, levels: int):
    """Sparse 0/1 matrix with, for bit j of count c, ones at columns j*levels + 0..c-1:
    the dot product of two rows is then sum_j min(a_j, b_j)."""
    return _unary_of_entries(*_entries(counts), counts.shape, levels)


def _unary_of_entries(rows, cols, reps, shape: tuple[int, int], levels: int):
    """:func:`_unary` of the counts ``reps`` at (``rows``, ``cols``) of a ``shape`` matrix."""
    from scipy import sparse  # here, not at the top: loading the model stays fast

    data = np.ones(int(reps.sum()), dtype=np.float32)
    return sparse.csr_matrix(
        (data, (np.repeat(rows, reps), np.repeat(cols, reps) * levels + _levels(reps))),
        shape=(shape[0], shape[1] * levels),
    )


def _entries(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and (int64) values of the non-zero counts, row by row."""
    rows, cols = np.nonzero(counts)
    return rows, cols, counts[rows, cols].astype(np.int64)


def _levels(reps: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c of ``reps``, concatenated."""
    total = int(reps.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps)


#: Count levels of the reference held as dense 0/1 rows (:class:`CountReference`): most
#: counts are below it, so most of sum(min) is a sum of dense rows; the rest stays sparse.
DENSE_LEVELS = 3


@dataclass(frozen=True)
class CountReference:
    """The reference side of :func:`count_tanimoto`, built once (:func:`prepare_counts`).

    sum_j min(a_j, b_j) = sum_j min(a_j, b_j, L) + sum_j min((a_j - L)+, (b_j - L)+) with
    L = :data:`DENSE_LEVELS`. The first term: for each bit j and level l <= L that some
    reference drug reaches, the row ``dense[start_j + l - 1]`` = [b_j >= l] over the
    reference drugs, so that a query's term is the sum of the rows of its (bit, level)
    pairs (one ``embedding_bag``, as the network's first layer). The second: the sparse
    unary code of the counts above L (:func:`_unary`), rarely reached.
    """

    levels: int  # counts are clipped here, on both sides
    low: int  # the levels held dense: min(DENSE_LEVELS, levels)
    sums: np.ndarray  # (n_ref,) sum of each reference drug's clipped counts
    dense: object  # torch (K, n_ref) float32 0/1 rows, one per (bit, level <= depth)
    start: np.ndarray  # (n_bits,) first row of each bit in ``dense``
    depth: np.ndarray  # (n_bits,) int64 dense levels of each bit: min(max count, L)
    upper: object  # scipy CSR of the unary code of (b - L)+, transposed; None if empty


def prepare_counts(b: np.ndarray, levels: int | None = None) -> CountReference:
    """Reference side of :func:`count_tanimoto`, reusable across queries. Counts above
    ``levels`` (default: the largest count) are clipped, on both sides."""
    import torch  # here, not at the top: the data layer needs no torch

    b = np.asarray(b, dtype=np.float32)
    levels = int(max(b.max(initial=0), 1)) if levels is None else int(levels)
    b = np.minimum(b, levels)
    low = min(DENSE_LEVELS, levels)
    depth = np.minimum(b.max(0, initial=0), low).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(depth)[:-1]]).astype(np.int64)
    dense = np.zeros((int(depth.sum()), b.shape[0]), dtype=np.float32)
    by_bit = np.ascontiguousarray(b.T)  # (n_bits, n_ref): rows gathered whole
    for level in range(1, low + 1):
        bits = np.flatnonzero(depth >= level)
        dense[start[bits] + level - 1] = by_bit[bits] >= level
    upper = np.maximum(b - low, 0)
    return CountReference(
        levels=levels,
        low=low,
        sums=b.sum(1),
        dense=torch.from_numpy(dense),
        start=start,
        depth=depth,
        upper=_unary(upper, levels - low).T.tocsr() if levels > low and upper.any() else None,
    )


def count_tanimoto(
    a: np.ndarray, b: np.ndarray | None, prepared: CountReference | None = None
) -> np.ndarray:
    """(len(a), len(b)) float32 generalised Tanimoto sum(min) / sum(max) of count vectors.

    Equals the bit Tanimoto on 0/1 vectors. Counts must be non-negative integers (all five
    fingerprints are): sum(min) is exact (:class:`CountReference`), and
    sum(max) = sum(a) + sum(b) - sum(min). ``prepared``: :func:`prepare_counts` of ``b``
    (then ``b`` is not needed).
    """
    import torch

    a = np.asarray(a, dtype=np.float32)
    if prepared is None:
        b = np.asarray(b, dtype=np.float32)
        prepared = prepare_counts(b, int(max(a.max(initial=0), b.max(initial=0), 1)))
    ref = prepared
    n, n_ref = len(a), len(ref.sums)
    if n == 0 or n_ref == 0:
        return np.zeros((n, n_ref), np.float32)
    # One pass over the query's counts: its entries, clipped at the reference's levels.
    rows, cols, values = _entries(a)
    values = np.minimum(values, ref.levels)
    sums = np.bincount(rows, weights=values, minlength=n).astype(np.float32)
    reps = np.minimum(values, ref.depth[cols])  # the levels held dense
    held = reps > 0
    rows_held, reps_held = rows[held], reps[held]
    if len(ref.dense):
        index = np.repeat(ref.start[cols[held]], reps_held) + _levels(reps_held)
        offsets = np.searchsorted(np.repeat(rows_held, reps_held), np.arange(n))
        mn = torch.nn.functional.embedding_bag(
            torch.from_numpy(index), ref.dense, torch.from_numpy(offsets), mode="sum"
        ).numpy()
    else:
        mn = np.zeros((n, n_ref), np.float32)
    above = values > ref.low
    if ref.upper is not None and above.any():
        upper = _unary_of_entries(
            rows[above], cols[above], values[above] - ref.low, a.shape, ref.levels - ref.low
        )
        mn += (upper @ ref.upper).toarray()
    mx = sums[:, None] + ref.sums[None, :] - mn
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
