"""Molecular features from structure alone: Morgan fingerprints and RDKit descriptors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import Descriptors, MACCSkeys, rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")

MORGAN_RADIUS = 2
MORGAN_BITS = 2048

# A compact, interpretable set: size, polarity, lipophilicity, flexibility, charge, rings.
DESCRIPTOR_NAMES: tuple[str, ...] = (
    "MolWt",
    "HeavyAtomCount",
    "MolLogP",
    "MolMR",
    "TPSA",
    "NumHDonors",
    "NumHAcceptors",
    "NumRotatableBonds",
    "RingCount",
    "NumAromaticRings",
    "NumAliphaticRings",
    "FractionCSP3",
    "NumHeteroatoms",
    "NHOHCount",
    "NOCount",
    "NumValenceElectrons",
    "BertzCT",
    "LabuteASA",
    "qed",
)
_DESCRIPTOR_FUNCS = dict(Descriptors.descList)


def mol_from_smiles(smiles: str | None) -> Chem.Mol | None:
    """Parse a SMILES; ``None`` for empty or unparseable input."""
    if not smiles or not isinstance(smiles, str):
        return None
    return Chem.MolFromSmiles(smiles.strip())


def _morgan_generator(radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_fingerprints(
    smiles: Sequence[str | None], radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS
) -> np.ndarray:
    """(n, n_bits) uint8 Morgan bit vectors; an unparseable SMILES gives a row of zeros."""
    generator = _morgan_generator(radius, n_bits)
    out = np.zeros((len(smiles), n_bits), dtype=np.uint8)
    for i, smi in enumerate(smiles):
        mol = mol_from_smiles(smi)
        if mol is not None:
            out[i] = generator.GetFingerprintAsNumPy(mol)
    return out


def morgan_bit_vectors(
    smiles: Sequence[str | None], radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS
) -> list:
    """RDKit ExplicitBitVects (``None`` where unparseable), for fast Tanimoto searches."""
    generator = _morgan_generator(radius, n_bits)
    vectors = []
    for smi in smiles:
        mol = mol_from_smiles(smi)
        vectors.append(generator.GetFingerprint(mol) if mol is not None else None)
    return vectors


def tanimoto_matrix(query: list, reference: list) -> np.ndarray:
    """(len(query), len(reference)) float32 Tanimoto similarities; 0 where a side is None."""
    out = np.zeros((len(query), len(reference)), dtype=np.float32)
    valid_ref = [j for j, v in enumerate(reference) if v is not None]
    ref_vectors = [reference[j] for j in valid_ref]
    for i, vector in enumerate(query):
        if vector is None or not ref_vectors:
            continue
        out[i, valid_ref] = DataStructs.BulkTanimotoSimilarity(vector, ref_vectors)
    return out


#: The five fingerprints of the multi-fingerprint similarity (sefreq.bench.kernel and the
#: network's kNN prior when ``knn_similarity="kernel"``): Morgan r=2 counts (ECFP4), feature
#: Morgan r=2 counts (FCFP4), atom-pair counts, topological-torsion counts, MACCS keys.
KERNEL_FINGERPRINTS: tuple[str, ...] = (
    "ecfp2_counts",
    "fcfp2_counts",
    "ap_counts",
    "tt_counts",
    "maccs_bits",
)
_KERNEL_COUNT_BITS = 2048
_MACCS_BITS = 167


def _kernel_generators() -> dict:
    gen = rdFingerprintGenerator
    return {
        "ecfp2": gen.GetMorganGenerator(radius=2, fpSize=_KERNEL_COUNT_BITS),
        "fcfp2": gen.GetMorganGenerator(
            radius=2,
            fpSize=_KERNEL_COUNT_BITS,
            atomInvariantsGenerator=gen.GetMorganFeatureAtomInvGen(),
        ),
        "ap": gen.GetAtomPairGenerator(fpSize=_KERNEL_COUNT_BITS),
        "tt": gen.GetTopologicalTorsionGenerator(fpSize=_KERNEL_COUNT_BITS),
    }


def kernel_fingerprints_of_mols(mols: Sequence[Chem.Mol | None]) -> dict[str, np.ndarray]:
    """The five fingerprints (:data:`KERNEL_FINGERPRINTS`) of parsed molecules.

    Dense float32 arrays, (n, 2048) counts per count kind and (n, 167) MACCS bits; a
    ``None`` molecule gives a row of zeros.
    """
    gens = _kernel_generators()
    n = len(mols)
    out = {f"{k}_counts": np.zeros((n, _KERNEL_COUNT_BITS), np.float32) for k in gens}
    out["maccs_bits"] = np.zeros((n, _MACCS_BITS), np.float32)
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        for k, g in gens.items():
            out[f"{k}_counts"][i] = g.GetCountFingerprintAsNumPy(mol)
        arr = np.zeros(_MACCS_BITS)
        DataStructs.ConvertToNumpyArray(MACCSkeys.GenMACCSKeys(mol), arr)
        out["maccs_bits"][i] = arr
    return out


def kernel_fingerprints(smiles: Sequence[str | None]) -> dict[str, np.ndarray]:
    """:func:`kernel_fingerprints_of_mols` of SMILES; unparseable/missing ones give zeros."""
    return kernel_fingerprints_of_mols([Chem.MolFromSmiles(s) if s else None for s in smiles])


def _unary(counts: np.ndarray, levels: int):
    """Sparse 0/1 matrix with, for bit j of count c, ones at columns j*levels + 0..c-1:
    the dot product of two rows is then sum_j min(a_j, b_j)."""
    from scipy import sparse

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
    """:func:`prepare_counts` of each of the five fingerprints of a fixed reference set."""
    return {
        k: prepare_counts(fb[k], max(levels, int(fb[k].max(initial=0))))
        for k in KERNEL_FINGERPRINTS
    }


def kernel_similarity(fa: dict, fb: dict | None, prepared: dict | None = None) -> np.ndarray:
    """(n_a, n_b) float32 mean of the five fingerprints' (count) Tanimoto similarities.

    ``prepared``: :func:`prepare_kernel_reference` of ``fb`` (then ``fb`` is not needed).
    """
    total = sum(
        count_tanimoto(
            fa[k], None if fb is None else fb[k], None if prepared is None else prepared[k]
        )
        for k in KERNEL_FINGERPRINTS
    )
    return (total / len(KERNEL_FINGERPRINTS)).astype(np.float32)


@dataclass(frozen=True)
class DescriptorScaler:
    """Robust standardisation of descriptors learnt on training drugs (median / IQR)."""

    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> DescriptorScaler:
        center = np.nanmedian(values, axis=0)
        q75, q25 = np.nanpercentile(values, [75, 25], axis=0)
        scale = np.where((q75 - q25) > 1e-8, q75 - q25, 1.0)
        return cls(center.astype(np.float32), scale.astype(np.float32))

    def transform(self, values: np.ndarray) -> np.ndarray:
        scaled = (values - self.center) / self.scale
        return np.clip(np.nan_to_num(scaled, nan=0.0), -5, 5).astype(np.float32)


def descriptors(smiles: Sequence[str | None]) -> np.ndarray:
    """(n, len(DESCRIPTOR_NAMES)) float32 raw RDKit descriptors; NaN where unparseable."""
    out = np.full((len(smiles), len(DESCRIPTOR_NAMES)), np.nan, dtype=np.float32)
    for i, smi in enumerate(smiles):
        mol = mol_from_smiles(smi)
        if mol is None:
            continue
        for j, name in enumerate(DESCRIPTOR_NAMES):
            try:
                out[i, j] = float(_DESCRIPTOR_FUNCS[name](mol))
            except Exception:  # a descriptor RDKit cannot compute for this molecule
                out[i, j] = np.nan
    return out
