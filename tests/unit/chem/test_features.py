"""The one featuriser: each molecule parsed once, each fingerprint computed once, the
descriptor and kernel-fingerprint sets chosen by name."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from sefreq.chem.features import (
    DESCRIPTOR_NAMES,
    FAST_DESCRIPTOR_NAMES,
    KERNEL_FINGERPRINTS,
    LEGACY_DESCRIPTOR_NAMES,
    descriptors,
    featurize,
    featurize_mols,
    kernel_fingerprints,
    morgan_fingerprints,
)
from sefreq.chem.similarity import kernel_similarity, prepare_kernel_reference
from sefreq.chem.standardize import model_molecule, model_structure

SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "CN1CCC[C@H]1c1cccnc1",
    "not a smiles",
    "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O",
    "O=C([O-])c1ccccc1.[Na+]",
]


def test_morgan_bits_come_from_the_ecfp_counts():
    with_kernel = featurize(SMILES, kernel=True)
    np.testing.assert_array_equal(with_kernel.fingerprints, morgan_fingerprints(SMILES))
    np.testing.assert_array_equal(
        with_kernel.fingerprints, (with_kernel.kernel["ecfp2_counts"] > 0).astype(np.uint8)
    )
    assert with_kernel.fingerprints.dtype == np.uint8


def test_kernel_subset_and_descriptor_names():
    subset = ("ecfp2_counts", "tt_counts")
    features = featurize(SMILES, kernel=subset, descriptor_names=FAST_DESCRIPTOR_NAMES)
    assert tuple(features.kernel) == subset
    full = kernel_fingerprints(SMILES)
    for name in subset:
        np.testing.assert_array_equal(features.kernel[name], full[name])
    assert features.descriptors.shape == (len(SMILES), len(FAST_DESCRIPTOR_NAMES))
    legacy = descriptors(SMILES, LEGACY_DESCRIPTOR_NAMES)
    columns = [LEGACY_DESCRIPTOR_NAMES.index(n) for n in FAST_DESCRIPTOR_NAMES]
    np.testing.assert_array_equal(features.descriptors, legacy[:, columns])
    assert np.isnan(features.descriptors[2]).all() and not features.valid[2]
    assert {"qed", "BertzCT"}.isdisjoint(FAST_DESCRIPTOR_NAMES)
    # the default since 1.3.0: 14 of the fast set, Crippen's pair left out, same values
    assert len(DESCRIPTOR_NAMES) == 14 and set(DESCRIPTOR_NAMES) < set(FAST_DESCRIPTOR_NAMES)
    assert {"MolLogP", "MolMR"}.isdisjoint(DESCRIPTOR_NAMES)
    columns = [LEGACY_DESCRIPTOR_NAMES.index(n) for n in DESCRIPTOR_NAMES]
    np.testing.assert_array_equal(descriptors(SMILES), legacy[:, columns])
    with pytest.raises(ValueError, match="unknown kernel fingerprints"):
        featurize(SMILES, kernel=("ecfp4",))
    with pytest.raises(ValueError, match="no descriptors"):
        descriptors(SMILES, ("NotADescriptor",))


def test_kernel_similarity_averages_the_fingerprints_it_is_given():
    fps = kernel_fingerprints(SMILES)
    two = {k: fps[k] for k in ("ecfp2_counts", "ap_counts")}
    from_two = kernel_similarity(two, two)
    prepared = prepare_kernel_reference(two)
    np.testing.assert_allclose(kernel_similarity(fps, None, prepared), from_two, atol=1e-6)
    assert from_two[0, 0] == pytest.approx(1.0)
    assert kernel_similarity(fps, fps).shape == (5, 5)
    assert len(KERNEL_FINGERPRINTS) == 5


def test_model_molecule_parses_once_and_agrees_with_model_structure():
    for smiles in [*SMILES, "", None]:
        structure, mol, error = model_molecule(smiles)
        assert (structure, error) == model_structure(smiles)
        if error is None:
            assert Chem.MolToSmiles(mol) == Chem.MolToSmiles(Chem.MolFromSmiles(structure))
        else:
            assert mol is None and structure is None
    structure, mol, _ = model_molecule("O=C([O-])c1ccccc1.[Na+]")
    assert structure == "O=C(O)c1ccccc1" and mol.GetNumAtoms() == 9
    from_mols = featurize_mols([model_molecule(s)[1] for s in SMILES])
    from_smiles = featurize([model_structure(s)[0] for s in SMILES])
    np.testing.assert_array_equal(from_mols.fingerprints, from_smiles.fingerprints)
    np.testing.assert_array_equal(from_mols.valid, from_smiles.valid)
