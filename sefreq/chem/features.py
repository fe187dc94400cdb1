"""Molecular features from structure alone: Morgan fingerprints and RDKit descriptors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import Descriptors, rdFingerprintGenerator

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
