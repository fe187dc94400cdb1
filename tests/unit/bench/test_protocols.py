"""Protocols on synthetic data: fold sizes, disjointness, coverage, seeds, saved folds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sefreq.bench.protocols import (
    PROTOCOLS,
    FoldAssignment,
    FoldMismatchError,
    build_fold,
    fold_path,
    iter_folds,
    load_or_make_assignment,
    make_assignment,
    synthetic_data,
)


@pytest.fixture(scope="module")
def data():
    return synthetic_data(n_drugs=40, seed=1)


def test_pool_excludes_independent_and_structureless(data):
    pool = set(data.pool_ids.tolist())
    assert len(pool) == 40 - 3 - 2
    assert data.n_excluded_no_structure == 2
    assert not pool & set(np.flatnonzero(data.independent_mask).tolist())
    assert all(data.smiles[i] is not None for i in pool)
    assert data.independent_ids.tolist() == [37, 38, 39]


def test_ics_folds_partition_the_drugs(data):
    assignment = make_assignment(data, "ICS", seed=0)
    sizes = np.bincount(assignment.drug_fold, minlength=10)
    assert sizes.max() - sizes.min() <= 1
    seen = []
    for fold in iter_folds(data, assignment):
        test_rows = [data.smiles.index(s) for s in fold.test.query.smiles]
        validation_rows = [data.smiles.index(s) for s in fold.validation.query.smiles]
        train_rows = fold.train.drug_ids.tolist()
        assert not set(test_rows) & set(train_rows)
        assert not set(validation_rows) & set(train_rows)
        assert not set(validation_rows) & set(test_rows)
        assert len(validation_rows) == round(0.1 * (len(train_rows) + len(validation_rows)))
        assert fold.test.query.drug_ids is None and fold.validation.query.drug_ids is None
        assert fold.test.mask.all()
        seen.extend(test_rows)
    assert sorted(seen) == sorted(data.pool_ids.tolist())


def test_ind_trains_on_the_pool_and_tests_the_independent_drugs(data):
    fold = build_fold(data, make_assignment(data, "IND", 0), 0)
    train_and_validation = len(fold.train.drug_ids) + len(fold.validation.query.smiles)
    assert train_and_validation == len(data.pool_ids)
    assert fold.test.query.smiles == [data.smiles[i] for i in data.independent_ids]
    np.testing.assert_array_equal(fold.test.frequency, data.frequency[data.independent_ids])


def test_ws_folds_partition_the_positives(data):
    assignment = make_assignment(data, "WS", 0)
    truth = data.frequency[data.pool_ids]
    assert ((assignment.cell_fold >= 0) == (truth > 0)).all()
    covered = np.zeros(truth.shape, dtype=int)
    for fold in iter_folds(data, assignment):
        test_positive = fold.test.mask & (fold.test.frequency > 0)
        covered += test_positive
        # held-out and validation positives are zero in training; all zeros are negatives
        assert (fold.train.frequency[test_positive] == 0).all()
        validation_positive = fold.validation.mask & (fold.validation.frequency > 0)
        assert (fold.train.frequency[validation_positive] == 0).all()
        assert not (validation_positive & test_positive).any()
        assert fold.test.mask[truth == 0].all()
        assert not fold.validation.mask[test_positive].any()
    assert (covered == (truth > 0)).all()


def test_m10_training_is_balanced_and_test_is_natural(data):
    assignment = make_assignment(data, "M10", 0)
    assert (assignment.cell_fold >= 0).all()
    fold = build_fold(data, assignment, 3)
    labelled = fold.train.label_mask
    truth = data.frequency[data.pool_ids]
    assert (labelled & (truth > 0)).sum() == (labelled & (truth == 0)).sum()
    assert not (labelled & fold.test.mask).any()
    assert not (labelled & fold.validation.mask).any()
    assert not (fold.validation.mask & fold.test.mask).any()
    assert fold.test.mask.sum() in (truth.size // 10, truth.size // 10 + 1)
    # outside the label mask the training matrix reads zero
    assert (fold.train.frequency[~labelled] == 0).all()


def test_h5_pairs_positives_with_as_many_zeros(data):
    assignment = make_assignment(data, "H5", 0)
    truth = data.frequency[data.pool_ids]
    sampled = assignment.cell_fold >= 0
    assert (sampled & (truth > 0)).sum() == (sampled & (truth == 0)).sum() == (truth > 0).sum()
    assert ((truth > 0) <= sampled).all()
    fold = build_fold(data, assignment, 0)
    assert fold.test.positive_only_regression is False
    assert fold.validation.positive_only_regression is False
    assert not (fold.train.label_mask & (fold.test.mask | fold.validation.mask)).any()
    assert np.unique(assignment.cell_fold[sampled]).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_assignment_is_deterministic_in_the_seed(data, protocol):
    first, again = make_assignment(data, protocol, 0), make_assignment(data, protocol, 0)
    other = make_assignment(data, protocol, 1)
    for name in ("drug_fold", "cell_fold", "test_ids"):
        a, b = getattr(first, name), getattr(again, name)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    if protocol != "IND":
        key = "drug_fold" if protocol in ("ICS", "ICS-all") else "cell_fold"
        assert not np.array_equal(getattr(first, key), getattr(other, key))
    fold_a, fold_b = build_fold(data, first, 0), build_fold(data, again, 0)
    np.testing.assert_array_equal(fold_a.validation.mask, fold_b.validation.mask)
    np.testing.assert_array_equal(fold_a.train.label_mask, fold_b.train.label_mask)


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_saved_folds_reload_identically(tmp_path, data, protocol):
    made = load_or_make_assignment(data, protocol, 0, tmp_path)
    assert fold_path(tmp_path, protocol, 0).exists()
    loaded = load_or_make_assignment(data, protocol, 0, tmp_path)
    assert loaded.n_folds == made.n_folds == PROTOCOLS[protocol].n_folds
    for name in ("pool_ids", "drug_fold", "cell_fold", "test_ids"):
        a, b = getattr(made, name), getattr(loaded, name)
        if a is not None:
            np.testing.assert_array_equal(a, b)


def test_saved_folds_refuse_other_data(tmp_path, data):
    load_or_make_assignment(data, "ICS", 0, tmp_path)
    changed = data.frequency.copy()
    changed[5, 5] = 5 if changed[5, 5] != 5 else 4
    other = dataclasses.replace(data, frequency=changed)
    with pytest.raises(FoldMismatchError, match="sha256"):
        load_or_make_assignment(other, "ICS", 0, tmp_path)
    # refreshing redraws and overwrites
    refreshed = load_or_make_assignment(other, "ICS", 0, tmp_path, refresh=True)
    assert refreshed.data_sha256 == other.fingerprint()
    path = fold_path(tmp_path, "ICS", 0)
    with pytest.raises(FoldMismatchError, match="seed"):
        FoldAssignment.load(path).check(other, "ICS", 7, path)


def test_unknown_protocol_is_a_clear_error(data):
    with pytest.raises(ValueError, match="unknown protocol"):
        make_assignment(data, "XX", 0)
