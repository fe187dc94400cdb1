"""The +sider training condition and side effects reported without a stated class.

Synthetic data: the 40-drug benchmark world of test_protocols plus extra drugs, some of
them salts or renamings of benchmark drugs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from rdkit import Chem

from sefreq.bench.models.baselines import KNNModel, PrevalenceModel, WNMFModel
from sefreq.bench.models.kernel import KernelPriorModel
from sefreq.bench.protocols import (
    ExtraDrugs,
    build_fold,
    make_assignment,
    split_condition,
    synthetic_data,
)
from sefreq.bench.runner import render_markdown, run_benchmark
from sefreq.constants import UNSTATED, stated
from sefreq.model.features import class_thresholds, mean_class_prior
from sefreq.priors import knn_profiles, smoothed_frequency, smoothing_reference


def _skeleton(smiles: str | None) -> str:
    mol = Chem.MolFromSmiles(smiles or "")
    return Chem.MolToInchiKey(mol).split("-")[0] if mol is not None else ""


@pytest.fixture(scope="module")
def world():
    data = synthetic_data(n_drugs=40, seed=1)
    rng = np.random.default_rng(5)
    n_extra = 12
    frequency = rng.integers(1, 6, size=(n_extra, data.frequency.shape[1])).astype(np.uint8)
    frequency[rng.random(frequency.shape) < 0.8] = 0
    frequency[rng.random(frequency.shape) < 0.1] = UNSTATED
    smiles = [f"NC{'C' * k}C(=O)O" for k in range(n_extra)]  # no benchmark drug is one
    names = [f"extra {k}" for k in range(n_extra)]
    pool = data.pool_ids
    # Extra 0 is a salt of benchmark drug pool[0]; extra 1 carries pool[1]'s name.
    smiles[0] = f"{data.smiles[pool[0]]}.Cl"
    names[1] = data.names[pool[1]].casefold()
    extra = ExtraDrugs(
        smiles=smiles,
        frequency=frequency,
        names=names,
        skeletons=[_skeleton(s.split(".")[0]) for s in smiles],
        catalogue_ids=np.arange(100, 100 + n_extra),
    )
    return dataclasses.replace(data, skeletons=[_skeleton(s) for s in data.smiles], extra=extra)


def test_sider_folds_add_extra_drugs_to_training_only(world):
    assignment = make_assignment(world, "ICS", seed=0)
    for index in range(assignment.n_folds):
        plain = build_fold(world, assignment, index)
        fold = build_fold(world, assignment, index, with_sider=True)
        assert fold.protocol == "ICS+sider"
        np.testing.assert_array_equal(fold.test.frequency, plain.test.frequency)
        np.testing.assert_array_equal(fold.validation.frequency, plain.validation.frequency)
        n_plain = len(plain.train.smiles)
        np.testing.assert_array_equal(fold.train.frequency[:n_plain], plain.train.frequency)
        added = fold.train.smiles[n_plain:]
        assert len(added) >= len(world.extra.smiles) - 2
        held = {int(i) for i in fold.held_out_ids}
        # A salt of a held-out drug, or a drug named like one, never joins its training.
        assert (world.extra.smiles[0] in added) == (int(world.pool_ids[0]) not in held)
        assert (world.extra.smiles[1] in added) == (int(world.pool_ids[1]) not in held)
        assert (fold.train.drug_ids[n_plain:] >= len(world.names)).all()


def test_sider_is_defined_for_cold_protocols_only():
    assert split_condition("ics+sider") == ("ICS", True)
    assert split_condition("IND") == ("IND", False)
    with pytest.raises(ValueError, match="defined for"):
        split_condition("WS+sider")


def test_unstated_cells_count_for_association_not_for_classes():
    rng = np.random.default_rng(0)
    frequency = rng.integers(0, 6, size=(30, 20)).astype(np.uint8)
    mask = np.ones(frequency.shape, dtype=bool)
    with_unstated = frequency.copy()
    with_unstated[:5, :4] = UNSTATED
    as_class = frequency.copy()
    as_class[:5, :4] = 3  # any class: association only reads "reported"
    as_absent = frequency.copy()
    as_absent[:5, :4] = 0  # classes only read stated cells
    similarity = rng.random((7, 30))
    prevalence, mean_class = np.full(20, 0.4), np.full(20, 3.0)

    assoc_u, freq_u = knn_profiles(similarity, with_unstated, mask, prevalence, mean_class, k=8)
    assoc_c, _ = knn_profiles(similarity, as_class, mask, prevalence, mean_class, k=8)
    _, freq_a = knn_profiles(similarity, as_absent, mask, prevalence, mean_class, k=8)
    np.testing.assert_allclose(assoc_u, assoc_c)
    np.testing.assert_allclose(freq_u, freq_a)

    ref_u = smoothing_reference(with_unstated, mask)
    ref_a = smoothing_reference(as_absent, mask)
    np.testing.assert_allclose(
        smoothed_frequency(similarity, ref_u, 0.1, 3), smoothed_frequency(similarity, ref_a, 0.1, 3)
    )
    np.testing.assert_allclose(ref_u["positive"], smoothing_reference(as_class, mask)["positive"])
    np.testing.assert_allclose(
        mean_class_prior(with_unstated, mask), mean_class_prior(as_absent, mask)
    )
    np.testing.assert_allclose(
        class_thresholds(with_unstated, mask), class_thresholds(as_absent, mask)
    )
    assert not stated(np.array([0, UNSTATED])).any() and stated(np.array([1, 5])).all()


def test_baselines_train_with_unstated_cells_or_refuse(world):
    fold = build_fold(world, make_assignment(world, "ICS", seed=0), 0, with_sider=True)
    assert (fold.train.frequency == UNSTATED).any()
    for model in (PrevalenceModel(), KNNModel(), KernelPriorModel()):
        model.fit(fold.train, fold.validation)
        prediction = model.predict(fold.test.query)
        assert np.isfinite(prediction.frequency).all()
        assert prediction.frequency.min() >= 1 - 1e-6 and prediction.frequency.max() <= 5 + 1e-6
    with pytest.raises(ValueError, match="cannot train on side effects without one"):
        WNMFModel().fit(fold.train, fold.validation)


def test_runner_reports_sider_beside_the_plain_protocol(world):
    results = run_benchmark(world, ["ICS", "ICS+sider"], ["prevalence"], folds=2, progress=False)
    assert set(results["protocol"]) == {"ICS", "ICS+sider"}
    text = render_markdown(results)
    assert "+ SIDER's other drugs in training" in text
    assert "Paired by fold, ICS+sider minus ICS" in text


def test_the_network_trains_on_a_sider_fold(world):
    """SEFreq's network on +sider: the frequency loss skips UNSTATED cells (a class of 255
    would overflow CORAL), and every output is a probability or a class in 1..5."""
    from sefreq.bench.models.sefreq_net import SEFreqBenchModel

    fold = build_fold(world, make_assignment(world, "ICS", seed=0), 0, with_sider=True)
    model = SEFreqBenchModel("asym_i_ii", quick=True, n_members=1, max_epochs=3)
    model.fit(fold.train, fold.validation)
    prediction = model.predict(fold.test.query)
    assert np.isfinite(prediction.association).all() and np.isfinite(prediction.frequency).all()
    assert prediction.association.min() >= 0 and prediction.association.max() <= 1
    assert prediction.frequency.min() >= 1 - 1e-6 and prediction.frequency.max() <= 5 + 1e-6
