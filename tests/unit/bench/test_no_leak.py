"""A spy model records what each protocol hands it: no test drug or cell may leak."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from sefreq.bench.interface import EvalView, Prediction, QueryView, TrainView
from sefreq.bench.protocols import iter_folds, make_assignment, synthetic_data
from sefreq.bench.registry import MODEL_REGISTRY
from sefreq.bench.runner import run_benchmark


class SpyModel:
    name = "spy"
    structure_only = True
    calls: ClassVar[list[dict]] = []

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        SpyModel.calls.append({"train": train, "validation": validation})

    def predict(self, query: QueryView) -> Prediction:
        SpyModel.calls[-1]["query"] = query
        shape = (len(query.smiles), 994)
        return Prediction(association=np.full(shape, 0.5), frequency=np.full(shape, 3.0))


@pytest.fixture(scope="module")
def data():
    return synthetic_data(n_drugs=40, seed=2)


@pytest.fixture()
def spy(monkeypatch):
    SpyModel.calls = []
    monkeypatch.setitem(MODEL_REGISTRY, "spy", SpyModel)
    return SpyModel


def _row_of(data, smiles):
    return {s: i for i, s in enumerate(data.smiles) if s is not None}[smiles]


@pytest.mark.parametrize("protocol", ["ICS", "IND"])
def test_cold_protocols_hide_test_drugs(data, spy, protocol):
    run_benchmark(data, [protocol], ["spy"], progress=False)
    folds = list(iter_folds(data, make_assignment(data, protocol, 0)))
    assert len(spy.calls) == len(folds)
    for call, fold in zip(spy.calls, folds, strict=True):
        train, validation, query = call["train"], call["validation"], call["query"]
        test_ids = {_row_of(data, s) for s in query.smiles}
        validation_ids = {_row_of(data, s) for s in validation.query.smiles}
        assert query.drug_ids is None and validation.query.drug_ids is None
        assert not test_ids & set(train.drug_ids.tolist())
        assert not test_ids & validation_ids
        assert not validation_ids & set(train.drug_ids.tolist())
        assert not {data.smiles[i] for i in test_ids} & set(train.smiles)
        # the training rows are exactly the training drugs' rows
        np.testing.assert_array_equal(train.frequency, data.frequency[train.drug_ids])
        assert query.smiles == fold.test.query.smiles
    if protocol == "IND":
        assert test_ids == set(data.independent_ids.tolist())


def test_ws_test_positives_are_zero_in_training(data, spy):
    run_benchmark(data, ["WS"], ["spy"], folds=3, progress=False)
    folds = list(iter_folds(data, make_assignment(data, "WS", 0), 3))
    for call, fold in zip(spy.calls, folds, strict=True):
        train, query = call["train"], call["query"]
        test_positive = fold.test.mask & (fold.test.frequency > 0)
        assert test_positive.any()
        assert (train.frequency[test_positive] == 0).all()
        np.testing.assert_array_equal(query.drug_ids, train.drug_ids)
        validation = call["validation"]
        assert not (validation.mask & test_positive).any()


@pytest.mark.parametrize("protocol", ["M10", "H5"])
def test_pair_protocols_never_label_test_cells(data, spy, protocol):
    run_benchmark(data, [protocol], ["spy"], folds=2, progress=False)
    folds = list(iter_folds(data, make_assignment(data, protocol, 0), 2))
    for call, fold in zip(spy.calls, folds, strict=True):
        train, validation = call["train"], call["validation"]
        assert not (train.label_mask & fold.test.mask).any()
        assert not (validation.mask & fold.test.mask).any()
        assert (train.frequency[~train.label_mask] == 0).all()
        assert call["query"].drug_ids is not None
