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


def test_sider_condition_names():
    assert split_condition("ics+sider") == ("ICS", True)
    assert split_condition("IND") == ("IND", False)
    assert split_condition("ws+sider") == ("WS", True)
    assert split_condition("ics-ALL") == ("ICS-all", False)
    with pytest.raises(ValueError, match="no \\+sider"):
        split_condition("ICS-all+sider")


@pytest.mark.parametrize("protocol", ["WS", "M10", "H5"])
def test_warm_sider_folds_keep_the_hidden_cells_and_skip_twins_of_every_drug(world, protocol):
    assignment = make_assignment(world, protocol, seed=0)
    plain = build_fold(world, assignment, 0)
    fold = build_fold(world, assignment, 0, with_sider=True)
    n_plain = len(plain.train.smiles)
    # The fold's own mask and labels are untouched: no hidden cell becomes visible.
    np.testing.assert_array_equal(fold.train.label_mask[:n_plain], plain.train.label_mask)
    np.testing.assert_array_equal(fold.train.frequency[:n_plain], plain.train.frequency)
    np.testing.assert_array_equal(fold.test.mask, plain.test.mask)
    added = fold.train.smiles[n_plain:]
    extra_mask = fold.train.label_mask[n_plain:]
    extra_positive = fold.train.frequency[n_plain:] > 0
    if protocol == "WS":  # the whole matrix trains: every extra cell is known
        assert extra_mask.all()
    else:  # balanced 1:1 like the fold's own training cells
        assert (extra_positive <= extra_mask).all()
        assert (extra_mask & ~extra_positive).sum() == extra_positive.sum()
    # Every benchmark drug has hidden cells, so neither its salt nor its namesake is added.
    assert world.extra.smiles[0] not in added and world.extra.smiles[1] not in added
    assert len(added) == len(world.extra.smiles) - 2


def test_ics_all_pools_every_drug_and_keeps_twins_in_one_fold(world):
    everything = world.all_drugs()
    n_base = len(world.names)
    assert len(everything.names) == n_base + len(world.extra.smiles)
    assignment = make_assignment(world, "ICS-all", seed=0)
    np.testing.assert_array_equal(assignment.pool_ids, everything.pool_ids)
    assert len(assignment.pool_ids) == world.structure_mask.sum() + len(world.extra.smiles)
    fold_of = dict(zip(assignment.pool_ids.tolist(), assignment.drug_fold.tolist(), strict=True))
    pool = world.pool_ids
    # The salt of pool[0] (extra 0) and the namesake of pool[1] (extra 1) share their folds.
    assert fold_of[n_base] == fold_of[int(pool[0])]
    assert fold_of[n_base + 1] == fold_of[int(pool[1])]
    sizes = np.bincount(assignment.drug_fold)
    assert sizes.max() - sizes.min() <= 2
    seen = set()
    for index in range(assignment.n_folds):
        fold = build_fold(world, assignment, index)
        test = {int(i) for i in assignment.pool_ids[assignment.drug_fold == index]}
        train = {int(i) for i in fold.train.drug_ids}
        validation = set(fold.held_out_ids.tolist()) - test
        assert not train & test and not train & validation and not validation & test
        for a, b in ((n_base, int(pool[0])), (n_base + 1, int(pool[1]))):
            assert ({a, b} <= train) or not ({a, b} & train)  # twins never split
        seen |= test
    assert seen == set(assignment.pool_ids.tolist())
    with pytest.raises(ValueError, match="no \\+sider"):
        build_fold(world, assignment, 0, with_sider=True)


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
    protocols = ["ICS", "ICS+sider", "WS", "WS+sider", "ICS-all"]
    results = run_benchmark(world, protocols, ["prevalence"], folds=2, progress=False)
    assert set(results["protocol"]) == set(protocols)
    text = render_markdown(results)
    assert "+ SIDER's other drugs in training" in text
    assert "Paired by fold, ICS+sider minus ICS" in text
    assert "Paired by fold, WS+sider minus WS" in text
    n_all = int(results.loc[results["protocol"] == "ICS-all", "n_pool_drugs"].iloc[0])
    assert n_all == len(world.all_drugs().pool_ids)
    assert "## ICS-all: cold drugs" in text and f"{n_all} drugs with a structure" in text


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


def test_scores_count_an_unstated_truth_as_reported_without_a_class():
    from sefreq.metrics import score_cells

    rng = np.random.default_rng(3)
    truth = rng.integers(0, 6, size=(12, 30)).astype(np.uint8)
    truth[:, 0] = 4
    with_unstated = truth.copy()
    with_unstated[:3, 0] = UNSTATED
    mask = np.ones(truth.shape, dtype=bool)
    association, frequency = rng.random(truth.shape), 1 + 4 * rng.random(truth.shape)
    a = score_cells(with_unstated, mask, association, frequency)
    b = score_cells(truth, mask, association, frequency)
    assert a["auroc"] == b["auroc"] and a["aupr"] == b["aupr"]  # reported either way
    regression_mask = mask & (truth > 0)
    regression_mask[:3, 0] = False
    c = score_cells(np.where(regression_mask | (truth == 0), truth, 0), mask, association,
                    frequency)  # fmt: skip
    assert a["rmse"] == pytest.approx(c["rmse"])  # the unstated cells are not regressed
