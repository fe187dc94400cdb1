"""Fingerprint bits -> atoms: where each Morgan bit of a molecule comes from, and sharing.

Sharing rule (conserves the total exactly): the attribution of a bit the molecule sets is
split **equally among the bit's occurrences** (the (centre atom, radius) environments that
set it, collisions included), and each occurrence's share is split **equally among the
atoms of its environment** (the centre atom for radius 0; otherwise every atom touched by
the bonds within ``radius`` of the centre). So the atom contributions of a molecule sum to
the summed attributions of the bits it sets. Bits the molecule does not set have no atoms;
their attributions are reported separately ("absent fingerprint bits").

Every heavy atom is the centre of a radius-0 environment, so every atom gets a
contribution (possibly zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from sefreq.chem.features import MORGAN_BITS, MORGAN_RADIUS


@dataclass(frozen=True)
class Environment:
    """One occurrence of a bit: centre atom, radius, the atoms and bonds it covers."""

    bit: int
    center: int
    radius: int
    atoms: tuple[int, ...]
    bonds: tuple[int, ...]


@dataclass(frozen=True)
class BitMap:
    """The bits a molecule sets and their environments (``bits`` ascending)."""

    fingerprint: np.ndarray  # (n_bits,) uint8
    environments: dict[int, list[Environment]]

    @property
    def bits(self) -> np.ndarray:
        return np.flatnonzero(self.fingerprint)


def bit_map(mol: Chem.Mol, radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS) -> BitMap:
    """The Morgan bits of ``mol`` (the model's generator settings) with their environments."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    extra = rdFingerprintGenerator.AdditionalOutput()
    extra.AllocateBitInfoMap()
    fingerprint = generator.GetFingerprintAsNumPy(mol, additionalOutput=extra).astype(np.uint8)
    environments: dict[int, list[Environment]] = {}
    for bit, occurrences in sorted(extra.GetBitInfoMap().items()):
        for center, rad in occurrences:
            atoms, bonds = environment_atoms(mol, int(center), int(rad))
            environments.setdefault(int(bit), []).append(
                Environment(int(bit), int(center), int(rad), atoms, bonds)
            )
    return BitMap(fingerprint, environments)


def environment_atoms(mol: Chem.Mol, center: int, radius: int) -> tuple[tuple[int, ...], tuple]:
    """(atoms, bonds) of the environment of ``radius`` around ``center``, atoms sorted."""
    if radius == 0:
        return (center,), ()
    bonds = tuple(Chem.FindAtomEnvironmentOfRadiusN(mol, radius, center))
    atoms = {center}
    for index in bonds:
        bond = mol.GetBondWithIdx(index)
        atoms.update((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
    return tuple(sorted(atoms)), bonds


def share_matrix(mol: Chem.Mol, bits: BitMap) -> np.ndarray:
    """(n_atoms, n_bits) float64 S: atom contributions = S @ bit attributions.

    Column b is zero for a bit the molecule does not set, and sums to 1 otherwise.
    """
    share = np.zeros((mol.GetNumAtoms(), len(bits.fingerprint)), dtype=np.float64)
    for bit, occurrences in bits.environments.items():
        for env in occurrences:
            share[list(env.atoms), bit] += 1.0 / (len(occurrences) * len(env.atoms))
    return share


def environment_smarts(mol: Chem.Mol, env: Environment) -> str:
    """SMARTS of an environment (the atom's SMARTS for radius 0)."""
    if not env.bonds:
        return Chem.MolFragmentToSmarts(mol, atomsToUse=[env.center])
    return Chem.MolFragmentToSmarts(mol, atomsToUse=list(env.atoms), bondsToUse=list(env.bonds))
