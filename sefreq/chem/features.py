"""Molecular features from structure alone: Morgan fingerprints, five kernel fingerprints and
RDKit descriptors, behind one featuriser (:func:`featurize`)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import Descriptors, MACCSkeys, rdFingerprintGenerator, rdMolDescriptors

from sefreq.chem.budget import MoleculeBudget, attempt, each_molecule

RDLogger.DisableLog("rdApp.*")

MORGAN_RADIUS = 2
MORGAN_BITS = 2048

#: The descriptors of models trained before the descriptor set was recorded in the bundle: a
#: compact, interpretable set (size, polarity, lipophilicity, flexibility, charge, rings).
#: QED and BertzCT cost 0.7 and 0.3 ms a molecule (90% of the set's time) and repeat what
#: the others say; NumValenceElectrons follows MolWt.
LEGACY_DESCRIPTOR_NAMES: tuple[str, ...] = (
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
#: The legacy set without its slow or redundant members: what models 1.2.x read
#: (benchmarks/feature_study.py: on ICS validation drugs, within fold noise of the legacy set
#: on every metric, at a quarter of its featurisation time).
FAST_DESCRIPTOR_NAMES: tuple[str, ...] = tuple(
    name
    for name in LEGACY_DESCRIPTOR_NAMES
    if name not in ("qed", "BertzCT", "NumValenceElectrons")
)
#: The default descriptor set of :func:`featurize` and of training, what models read since
#: 1.3.0: the fast set without Crippen's MolLogP and MolMR, whose atom typing (a SMARTS
#: search per atom type) cost 0.3 ms a molecule, more than the 14 others together
#: (benchmarks/feature_study.py --compare fast,no-crippen: on ICS validation drugs, ranking
#: within fold noise, frequency error slightly lower).
DESCRIPTOR_NAMES: tuple[str, ...] = tuple(
    name for name in FAST_DESCRIPTOR_NAMES if name not in ("MolLogP", "MolMR")
)
_DESCRIPTOR_FUNCS = dict(Descriptors.descList)
#: The descriptors rdMolDescriptors.CalcCrippenDescriptors returns, in its order.
_CRIPPEN = ("MolLogP", "MolMR")


def mol_from_smiles(smiles: str | None) -> Chem.Mol | None:
    """Parse a SMILES; ``None`` for empty or unparseable input."""
    if not smiles or not isinstance(smiles, str):
        return None
    return Chem.MolFromSmiles(smiles.strip())


@functools.cache
def _morgan_generator(radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def _parse(smiles: Sequence[str | None]) -> list[Chem.Mol | None]:
    return [mol_from_smiles(s) for s in smiles]


def morgan_fingerprints_of_mols(
    mols: Sequence[Chem.Mol | None],
    radius: int = MORGAN_RADIUS,
    n_bits: int = MORGAN_BITS,
    budget: MoleculeBudget | None = None,
) -> np.ndarray:
    """(n, n_bits) uint8 Morgan bit vectors of parsed molecules; ``None`` gives zeros (so
    does a molecule ``budget`` refused)."""
    generator = _morgan_generator(radius, n_bits)
    out = np.zeros((len(mols), n_bits), dtype=np.uint8)
    for i, mol in each_molecule(mols, budget, "Morgan fingerprint"):
        out[i] = generator.GetFingerprintAsNumPy(mol)
    return out


def morgan_fingerprints(
    smiles: Sequence[str | None], radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS
) -> np.ndarray:
    """(n, n_bits) uint8 Morgan bit vectors; an unparseable SMILES gives a row of zeros."""
    return morgan_fingerprints_of_mols(_parse(smiles), radius, n_bits)


#: The five fingerprints of the multi-fingerprint similarity (sefreq.bench.models.kernel and the
#: network's kNN prior when ``knn_similarity="kernel"``): Morgan r=2 counts (ECFP4), feature
#: Morgan r=2 counts (FCFP4), atom-pair counts, topological-torsion counts, MACCS keys.
KERNEL_FINGERPRINTS: tuple[str, ...] = (
    "ecfp2_counts",
    "fcfp2_counts",
    "ap_counts",
    "tt_counts",
    "maccs_bits",
)
#: The kernel fingerprints the network's prior reads by default: the four counts. MACCS keys
#: (a substructure search per key) cost more than the four others together and add nothing
#: measurable on validation drugs (benchmarks/feature_study.py); the kernel baseline keeps all five.
MODEL_KERNEL_FINGERPRINTS: tuple[str, ...] = KERNEL_FINGERPRINTS[:4]
_KERNEL_COUNT_BITS = 2048
_MACCS_BITS = 167


@functools.cache
def _kernel_generators() -> dict:
    gen = rdFingerprintGenerator
    return {
        "ecfp2_counts": gen.GetMorganGenerator(radius=2, fpSize=_KERNEL_COUNT_BITS),
        "fcfp2_counts": gen.GetMorganGenerator(
            radius=2,
            fpSize=_KERNEL_COUNT_BITS,
            atomInvariantsGenerator=gen.GetMorganFeatureAtomInvGen(),
        ),
        "ap_counts": gen.GetAtomPairGenerator(fpSize=_KERNEL_COUNT_BITS),
        "tt_counts": gen.GetTopologicalTorsionGenerator(fpSize=_KERNEL_COUNT_BITS),
    }


def _check_kernel_names(names: Sequence[str]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in KERNEL_FINGERPRINTS]
    if unknown or not names:
        raise ValueError(
            f"unknown kernel fingerprints {unknown}; choose from {', '.join(KERNEL_FINGERPRINTS)}"
        )
    return tuple(names)


def kernel_fingerprints_of_mols(
    mols: Sequence[Chem.Mol | None],
    names: Sequence[str] = KERNEL_FINGERPRINTS,
    budget: MoleculeBudget | None = None,
) -> dict[str, np.ndarray]:
    """The fingerprints ``names`` (of :data:`KERNEL_FINGERPRINTS`) of parsed molecules.

    Dense float32 arrays, (n, 2048) counts per count kind and (n, 167) MACCS bits; a
    ``None`` molecule (or one ``budget`` refused) gives a row of zeros.
    """
    names = _check_kernel_names(names)
    gens = _kernel_generators()
    n = len(mols)
    counts = [(name, gens[name]) for name in names if name in gens]
    out = {name: np.zeros((n, _KERNEL_COUNT_BITS), np.float32) for name, _ in counts}
    maccs = "maccs_bits" in names
    if maccs:
        out["maccs_bits"] = np.zeros((n, _MACCS_BITS), np.float32)
    for i, mol in each_molecule(mols, budget, "kernel fingerprints"):
        for name, generator in counts:
            out[name][i] = generator.GetCountFingerprintAsNumPy(mol)
        if maccs:
            arr = np.zeros(_MACCS_BITS)
            DataStructs.ConvertToNumpyArray(MACCSkeys.GenMACCSKeys(mol), arr)
            out["maccs_bits"][i] = arr
    return {name: out[name] for name in names}


def kernel_fingerprints(
    smiles: Sequence[str | None], names: Sequence[str] = KERNEL_FINGERPRINTS
) -> dict[str, np.ndarray]:
    """:func:`kernel_fingerprints_of_mols` of SMILES; unparseable/missing ones give zeros."""
    return kernel_fingerprints_of_mols(_parse(smiles), names)


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


def descriptors_of_mols(
    mols: Sequence[Chem.Mol | None],
    names: Sequence[str] = DESCRIPTOR_NAMES,
    budget: MoleculeBudget | None = None,
) -> np.ndarray:
    """(n, len(names)) float32 raw RDKit descriptors (``Descriptors.descList`` names); NaN
    for ``None`` (and a molecule ``budget`` refused)."""
    unknown = [name for name in names if name not in _DESCRIPTOR_FUNCS]
    if unknown:
        raise ValueError(f"RDKit has no descriptors {unknown}")
    # MolLogP and MolMR are the two halves of one Crippen calculation: done once for both.
    crippen = [(j, _CRIPPEN.index(name)) for j, name in enumerate(names) if name in _CRIPPEN]
    functions = [
        (j, _DESCRIPTOR_FUNCS[name]) for j, name in enumerate(names) if name not in _CRIPPEN
    ]
    out = np.full((len(mols), len(names)), np.nan, dtype=np.float32)
    for i, mol in each_molecule(mols, budget, "descriptors"):
        for j, function in functions:
            try:
                out[i, j] = float(function(mol))
            except MemoryError:  # not the descriptor's fault: the molecule's (budget)
                raise
            except Exception:  # a descriptor RDKit cannot compute for this molecule
                out[i, j] = np.nan
        if crippen:
            try:
                values = rdMolDescriptors.CalcCrippenDescriptors(mol)
            except MemoryError:
                raise
            except Exception:
                continue
            for j, k in crippen:
                out[i, j] = values[k]
    return out


def descriptors(
    smiles: Sequence[str | None], names: Sequence[str] = DESCRIPTOR_NAMES
) -> np.ndarray:
    """(n, len(names)) float32 raw RDKit descriptors; NaN where unparseable."""
    return descriptors_of_mols(_parse(smiles), names)


@dataclass(frozen=True)
class MoleculeFeatures:
    """Everything the model reads of a batch of molecules, each parsed once (rows aligned)."""

    fingerprints: np.ndarray  # (n, n_bits) uint8 Morgan r=2 bits
    descriptors: np.ndarray  # (n, len(descriptor names)) float32 raw; NaN where invalid
    valid: np.ndarray  # (n,) bool: the SMILES parsed
    kernel: dict[str, np.ndarray] | None = None  # the kernel fingerprints, when asked for


def featurize(
    smiles: Sequence[str | None],
    n_bits: int = MORGAN_BITS,
    kernel: bool | Sequence[str] = False,
    descriptor_names: Sequence[str] = DESCRIPTOR_NAMES,
) -> MoleculeFeatures:
    """The one featuriser of training, prediction, baselines and explanations.

    Parses each SMILES once (:func:`featurize_mols`). An unparseable SMILES gives zero
    fingerprints, NaN descriptors and ``valid = False``.
    """
    return featurize_mols(_parse(smiles), n_bits, kernel, descriptor_names)


def featurize_mols(
    mols: Sequence[Chem.Mol | None],
    n_bits: int = MORGAN_BITS,
    kernel: bool | Sequence[str] = False,
    descriptor_names: Sequence[str] = DESCRIPTOR_NAMES,
    budget: MoleculeBudget | None = None,
) -> MoleculeFeatures:
    """:func:`featurize` of parsed molecules (``None``: not a molecule).

    ``kernel``: True for all :data:`KERNEL_FINGERPRINTS`, or the names of the ones the
    similarity prior needs. Each fingerprint is computed once: with ECFP4 counts among
    them, the Morgan bits are those counts > 0 (the same generator and folding).
    ``budget`` (:class:`~sefreq.chem.budget.MoleculeBudget`, one per molecule of ``mols``):
    each stage is timed per molecule, and a molecule past its budget, or out of memory in
    its part of a stage, is not valid (its reason in the budget).
    """
    names: tuple[str, ...] = ()
    if kernel is True:
        names = KERNEL_FINGERPRINTS
    elif kernel:
        names = _check_kernel_names(list(kernel))
    kernel_fps = (
        attempt(budget, lambda: kernel_fingerprints_of_mols(mols, names, budget)) if names else None
    )
    if kernel_fps is not None and "ecfp2_counts" in kernel_fps and n_bits == _KERNEL_COUNT_BITS:
        fingerprints = (kernel_fps["ecfp2_counts"] > 0).astype(np.uint8)
    else:
        fingerprints = attempt(
            budget, lambda: morgan_fingerprints_of_mols(mols, n_bits=n_bits, budget=budget)
        )
    raw = attempt(budget, lambda: descriptors_of_mols(mols, descriptor_names, budget))
    valid = np.array([m is not None for m in mols], dtype=bool)
    return MoleculeFeatures(
        fingerprints=fingerprints,
        descriptors=raw,
        valid=valid if budget is None else valid & ~budget.refused(),
        kernel=kernel_fps,
    )
