"""Standardisation: salts, charges, bad input, huge molecules."""

from __future__ import annotations

import pytest
from rdkit import Chem

from sefreq.chem.standardize import (
    MAX_HEAVY_ATOMS,
    InvalidMoleculeError,
    MoleculeTooLargeError,
    StandardizationError,
    heavy_formula,
    skeleton_of,
    standardize,
)


def test_clean_molecule_is_unchanged(smiles):
    result = standardize(smiles["aspirin"])
    assert result.parent_smiles == "CC(=O)Oc1ccccc1C(=O)O"
    assert result.changes == []
    assert not result.changed
    assert result.inchikey == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert result.input_smiles == smiles["aspirin"]


def test_salt_is_removed_and_charge_neutralised(smiles):
    result = standardize(smiles["sodium_benzoate"])
    assert result.parent_smiles == "O=C(O)c1ccccc1"
    assert "removed fragment [Na+]" in result.changes
    assert "neutralised charges" in result.changes


def test_hydrochloride_and_repeated_counter_ions():
    assert standardize("CN1CCCC1c1cccnc1.Cl").changes == ["removed fragment Cl"]
    result = standardize("[Na+].[Na+].O=C([O-])CCC(=O)[O-]")
    assert result.parent_smiles == "O=C(O)CCC(=O)O"
    assert "removed fragment [Na+] (x2)" in result.changes


def test_organic_fragment_preferred_over_larger_inorganic():
    # Gadolinium complexes: the organic ligand is the parent, not the metal.
    result = standardize("[Gd+3].CC(=O)[O-].CC(=O)[O-].CC(=O)[O-]")
    assert result.parent_smiles == "CC(=O)O"
    assert "removed fragment [Gd+3]" in result.changes


def test_canonical_regardless_of_input_order():
    assert standardize("OCC").parent_smiles == standardize("CCO").parent_smiles


def test_stereo_is_kept():
    assert "@" in standardize("C[C@H](N)C(=O)O").parent_smiles


@pytest.mark.parametrize("bad", ["C1CC", "not a molecule", "C(C"])
def test_syntax_errors_are_clear(bad):
    with pytest.raises(InvalidMoleculeError, match="not valid SMILES"):
        standardize(bad)


def test_valence_error_is_clear():
    with pytest.raises(InvalidMoleculeError, match=r"(?i)valence"):
        standardize("C(C)(C)(C)(C)C")


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_empty_input(empty):
    with pytest.raises(InvalidMoleculeError, match="No structure"):
        standardize(empty)


def test_huge_molecule_is_refused():
    with pytest.raises(MoleculeTooLargeError, match=f"at most {MAX_HEAVY_ATOMS}"):
        standardize("C" * (MAX_HEAVY_ATOMS + 1))


def test_absurdly_long_text_is_refused_before_parsing():
    with pytest.raises(MoleculeTooLargeError, match="characters"):
        standardize("C" * 1_000_000)


def test_errors_share_a_base_class():
    assert issubclass(InvalidMoleculeError, StandardizationError)
    assert issubclass(MoleculeTooLargeError, ValueError)


def test_keep_components_keeps_every_organic_drug_and_drops_ions():
    combination = "CC(=O)Nc1ccc(O)cc1.CC(=O)Oc1ccccc1C(=O)[O-].[Na+].O"
    parent = standardize(combination, keep_components=True)
    parts = set(parent.parent_smiles.split("."))
    assert parts == {"CC(=O)Nc1ccc(O)cc1", "CC(=O)Oc1ccccc1C(=O)O"}
    assert any("[Na+]" in change for change in parent.changes)
    # Without the option only the largest organic fragment survives.
    assert "." not in standardize(combination).parent_smiles


@pytest.mark.parametrize(
    "forms",
    [
        # a compound and its anion, a deuterated and a 13C form, a salt's parent: one skeleton
        ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)[O-]"),
        ("Cc1ccccc1", "[2H]C([2H])([2H])c1ccccc1", "[13CH3]c1ccccc1"),
        ("CN", "C[NH3+]"),
        ("Oc1ccncc1", "O=c1cc[nH]cc1"),  # tautomers InChI reads as one
    ],
)
def test_molecules_sharing_a_skeleton_share_their_heavy_formula(forms):
    mols = [Chem.MolFromSmiles(s) for s in forms]
    assert len({skeleton_of(m) for m in mols}) == 1
    assert len({heavy_formula(m) for m in mols}) == 1


def test_heavy_formula_keeps_heavy_atoms_only():
    ibuprofen = Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)[O-]")
    assert heavy_formula(ibuprofen) == "C13O2"
    assert heavy_formula(Chem.MolFromSmiles("OC(=O)c1ccccc1[Hg]")) == "C7HgO2"  # not "C7gO2"
    assert heavy_formula(Chem.MolFromSmiles("[Tc]")) == "Tc"
    assert heavy_formula(None) is None
