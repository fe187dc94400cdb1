"""Each molecule's budget to featurise (#25, deliverable 5): a molecule that takes longer
than :data:`~sefreq.chem.budget.MOLECULE_TIME_LIMIT_S`, or runs out of memory, in any
stage of its featurisation is refused with the reason, and the other molecules of its
batch are predicted. The stages are made slow or short of memory by hand; the limit is
made small (the clock is what is under test, not RDKit's speed)."""

from __future__ import annotations

import time

import pytest
from rdkit import Chem

from sefreq.chem import budget as budget_module
from sefreq.chem import features as features_module
from sefreq.chem.budget import MoleculeBudget
from sefreq.chem.features import featurize_mols
from sefreq.model.predictor import Predictor

LIMIT_S = 0.2
#: The molecule every test makes slow or short of memory (20 heavy atoms: no other has).
HEAVY = "C" * 20
BATCH = ["CCO", HEAVY, "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O"]


@pytest.fixture(scope="module")
def predictor(tiny_ensemble, tmp_path_factory) -> Predictor:
    return Predictor.from_directory(tiny_ensemble.save(tmp_path_factory.mktemp("bundle")))


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(budget_module, "MOLECULE_TIME_LIMIT_S", LIMIT_S)


def _heavy(mol) -> bool:
    return mol.GetNumHeavyAtoms() == 20


def _descriptor_that(monkeypatch, action) -> list:
    """HeavyAtomCount runs ``action`` on the heavy molecule; returns the molecules it saw."""
    real = features_module._DESCRIPTOR_FUNCS["HeavyAtomCount"]
    seen = []

    def descriptor(mol):
        seen.append(Chem.MolToSmiles(mol))
        if _heavy(mol):
            action()
        return real(mol)

    monkeypatch.setitem(features_module._DESCRIPTOR_FUNCS, "HeavyAtomCount", descriptor)
    return seen


def _sleep():
    time.sleep(LIMIT_S * 1.5)


def _out_of_memory():
    raise MemoryError("std::bad_alloc")


def _check_one_refused(table, reason: str) -> None:
    """The heavy molecule's row holds ``reason`` and no score; every other is predicted."""
    for position, smiles in enumerate(BATCH):
        rows = table[table["id"] == position]
        assert (rows["smiles"] == smiles).all()
        if smiles == HEAVY:
            assert len(rows) == 1 and reason in rows["error"].iloc[0]
            assert rows["p_association"].isna().all()
        else:
            assert rows["error"].isna().all() and rows["p_association"].notna().all()
    assert list(dict.fromkeys(table["id"])) == list(range(len(BATCH)))  # input order


@pytest.mark.parametrize("format", ["long", "top_k"])
def test_a_molecule_past_its_time_is_refused_and_the_batch_predicted(
    predictor, small_limit, monkeypatch, format
):
    _descriptor_that(monkeypatch, _sleep)
    table = predictor.predict(BATCH, format=format, k=3)
    _check_one_refused(table, f"took longer than {LIMIT_S:g} s to featurise")
    assert "descriptors" in table.loc[table["id"] == 1, "error"].iloc[0]


def _parse_that(monkeypatch, action) -> None:
    """The parse and standardisation run ``action`` on the heavy molecule's SMILES."""
    real = budget_module.model_molecule

    def parse(smiles):
        if smiles == HEAVY:
            action()
        return real(smiles)

    monkeypatch.setattr(budget_module, "model_molecule", parse)


def test_a_slow_parse_refuses_the_molecule_before_its_features(predictor, small_limit, monkeypatch):
    _parse_that(monkeypatch, _sleep)
    seen = _descriptor_that(monkeypatch, lambda: None)
    table = predictor.predict(BATCH, format="long")
    _check_one_refused(table, "after its parse and standardisation")
    assert HEAVY not in seen  # refused before its later stages ran


def test_a_molecule_out_of_memory_is_refused_and_the_batch_predicted(predictor, monkeypatch):
    seen = _descriptor_that(monkeypatch, _out_of_memory)
    table = predictor.predict(BATCH, format="long")
    _check_one_refused(table, "ran out of memory in its descriptors")
    # The stage ran again without it: every other molecule's descriptors are whole.
    assert seen.count(HEAVY) == 1


def test_a_parse_out_of_memory_is_the_molecules_refusal(predictor, monkeypatch):
    _parse_that(monkeypatch, _out_of_memory)
    _check_one_refused(predictor.predict(BATCH), "ran out of memory in its parse")


def test_memory_short_outside_any_molecule_is_not_a_refusal(predictor, monkeypatch):
    """The batch's own arrays: no molecule to blame, so the error goes up whole."""

    def short(*args, **kwargs):
        raise MemoryError("the prior's matrix")

    monkeypatch.setattr(predictor.ensemble, "knn_features", short)
    with pytest.raises(MemoryError, match="the prior's matrix"):
        predictor.predict(BATCH)


def test_the_budget_covers_a_view_of_the_batch(small_limit, monkeypatch):
    """A sub-batch's view shares the clocks: the caller reads each refusal at its place."""
    _descriptor_that(monkeypatch, _sleep)
    mols = [Chem.MolFromSmiles(s) for s in BATCH]
    budget = MoleculeBudget(len(BATCH) + 2)
    view = budget.subset([5, 0, 3, 4])  # 5, 0 and 3 are BATCH[0], [1] and [2] here
    features = featurize_mols(mols, budget=view)
    assert features.valid.tolist() == [True, False, True, True]
    assert budget.refused().tolist() == [True, False, False, False, False, False]
    assert "took longer than" in budget.reason(0) and view.reason(1) == budget.reason(0)
    assert budget.reason(5) is None and not view.refused()[0]
