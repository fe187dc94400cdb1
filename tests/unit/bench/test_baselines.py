"""Baselines, registry and result tables on tiny synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sefreq.bench.interface import BenchModel, EvalView, QueryView, TrainView
from sefreq.bench.models.baselines import (
    KNNModel,
    MLPModel,
    PrevalenceModel,
    WNMFModel,
    galeano_class,
    side_effect_prevalence,
    weighted_nmf,
)
from sefreq.bench.protocols import build_fold, make_assignment, synthetic_data
from sefreq.bench.registry import (
    BASELINES,
    MODEL_REGISTRY,
    make_model,
    register_model,
    resolve_factory,
)
from sefreq.bench.runner import merge_results, render_markdown, run_benchmark

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCCCCCCCCC"]


def _train(frequency, label_mask=None, smiles=None, info=None):
    frequency = np.asarray(frequency, dtype=np.uint8)
    data = synthetic_data(n_drugs=4, n_side_effects=frequency.shape[1], n_independent=0,
                          n_without_structure=0)  # fmt: skip
    return TrainView(
        frequency=frequency,
        label_mask=np.ones(frequency.shape, bool) if label_mask is None else label_mask,
        smiles=smiles or SMILES[: len(frequency)],
        drug_ids=np.arange(len(frequency)),
        side_effects=info or data.side_effects,
    )


def test_prevalence_by_hand():
    frequency = np.array([[0, 4, 2], [3, 0, 4], [0, 0, 5], [0, 2, 0]])
    label_mask = np.ones((4, 3), bool)
    label_mask[3, 1] = False  # an unlabelled cell does not count
    association, mean_class = side_effect_prevalence(_train(frequency, label_mask))
    np.testing.assert_allclose(association, [1 / 4, 1 / 3, 3 / 4])
    np.testing.assert_allclose(mean_class, [3.0, 4.0, 11 / 3])
    model = PrevalenceModel()
    model.fit(_train(frequency, label_mask))
    prediction = model.predict(QueryView(smiles=["CCO", None]))
    assert prediction.association.shape == (2, 3)
    np.testing.assert_allclose(prediction.frequency[1], [3.0, 4.0, 11 / 3])


def test_prevalence_falls_back_to_global_mean():
    frequency = np.array([[0, 4], [0, 2]])
    _, mean_class = side_effect_prevalence(_train(frequency))
    np.testing.assert_allclose(mean_class, [3.0, 3.0])


def test_weighted_nmf_reconstructs_a_low_rank_matrix():
    rng = np.random.default_rng(0)
    w_true, h_true = rng.uniform(0.2, 1.5, (30, 3)), rng.uniform(0.2, 1.5, (3, 20))
    matrix = w_true @ h_true
    w, h, iterations = weighted_nmf(matrix, np.ones_like(matrix), rank=3, tolerance=1e-7,
                                    max_iterations=3000)  # fmt: skip
    assert 1 < iterations <= 3000
    assert np.abs(w @ h - matrix).max() / matrix.max() < 0.05
    assert (w >= 0).all() and (h >= 0).all()


def test_weighted_nmf_ignores_zero_weight_cells():
    rng = np.random.default_rng(1)
    matrix = rng.uniform(0.5, 1.5, (20, 1)) @ rng.uniform(0.5, 1.5, (1, 15))
    weights = np.ones_like(matrix)
    weights[0, 0] = 0.0
    corrupted = matrix.copy()
    corrupted[0, 0] = 100.0  # a weight-0 cell must not pull the fit
    w, h, _ = weighted_nmf(corrupted, weights, rank=1, tolerance=1e-8)
    assert abs((w @ h)[0, 0] - matrix[0, 0]) < 0.1


def test_galeano_cutoffs():
    scores = np.array([0.0, 0.41, 0.42, 1.3, 2.5, 3.3, 3.93, 6.0])
    assert galeano_class(scores).tolist() == [0, 0, 1, 2, 3, 4, 5, 5]


def test_wnmf_is_warm_only():
    data = synthetic_data(n_drugs=20, seed=3)
    fold = build_fold(data, make_assignment(data, "WS", 0), 0)
    model = WNMFModel(max_iterations=50)
    assert not model.structure_only
    model.fit(fold.train, fold.validation)
    prediction = model.predict(fold.test.query)
    assert prediction.frequency.min() >= 1.0 and prediction.frequency.max() <= 5.0
    assert ((prediction.association > 0) & (prediction.association < 1)).all()
    assert prediction.extras["frequency_class"].dtype == np.uint8
    with pytest.raises(ValueError, match="cannot score a new molecule"):
        model.predict(QueryView(smiles=fold.test.query.smiles, drug_ids=None))


def test_knn_finds_the_identical_molecule():
    frequency = np.array([[5, 0, 3], [0, 4, 0], [0, 0, 1], [1, 1, 0]])
    model = KNNModel(k_grid=(1,))
    model.fit(_train(frequency))
    prediction = model.predict(QueryView(smiles=[SMILES[2], SMILES[1]]))
    np.testing.assert_allclose(prediction.association, [[0, 0, 1], [0, 1, 0]], atol=1e-4)
    assert prediction.frequency[0, 2] == pytest.approx(1.0)
    assert prediction.frequency[1, 1] == pytest.approx(4.0)
    # no neighbour reports side effect 0 for the second query: prevalence fallback
    assert prediction.frequency[1, 0] == pytest.approx(3.0)


def test_knn_skips_the_drug_itself_in_warm_protocols():
    frequency = np.array([[5, 0, 3], [0, 4, 0], [0, 0, 1], [1, 1, 0]])
    model = KNNModel(k_grid=(1,))
    model.fit(_train(frequency))
    prediction = model.predict(QueryView(smiles=[SMILES[2]], drug_ids=np.array([2])))
    assert prediction.association[0, 2] < 1.0


def test_knn_chooses_k_on_validation():
    data = synthetic_data(n_drugs=30, seed=4)
    fold = build_fold(data, make_assignment(data, "ICS", 0), 0)
    model = KNNModel(k_grid=(1, 5, 20))
    model.fit(fold.train, fold.validation)
    assert set(model.validation_aupr) == {1, 5, 20}
    assert model.k in (1, 5, 20)


def test_mlp_trains_predicts_and_is_deterministic():
    pytest.importorskip("torch")
    data = synthetic_data(n_drugs=30, seed=5)
    fold = build_fold(data, make_assignment(data, "ICS", 0), 0)
    predictions = []
    for _ in range(2):
        model = MLPModel(hidden=16, max_epochs=3, patience=2, seed=7)
        model.fit(fold.train, fold.validation)
        predictions.append(model.predict(fold.test.query))
    first = predictions[0]
    assert first.association.shape == fold.test.frequency.shape
    assert ((first.frequency >= 1) & (first.frequency <= 5)).all()
    np.testing.assert_allclose(first.association, predictions[1].association)
    assert 1 <= model.best_epochs["association"] <= 3


def test_registry_builds_every_baseline_and_filters_options():
    for key in BASELINES:
        model = make_model(key, seed=3, quick=True, unknown_option=1)
        assert isinstance(model, BenchModel)
    assert make_model("mlp", quick=True).max_epochs < make_model("mlp").max_epochs


def test_registry_lazy_entries(monkeypatch):
    monkeypatch.setitem(MODEL_REGISTRY, "lazy", "sefreq.bench.models.baselines:PrevalenceModel")
    assert resolve_factory("lazy") is PrevalenceModel
    monkeypatch.setitem(MODEL_REGISTRY, "missing", "sefreq.not_a_module:make")
    with pytest.raises(KeyError, match="not available"):
        make_model("missing")
    with pytest.raises(KeyError, match="unknown model"):
        make_model("no-such-model")
    with pytest.raises(KeyError, match="already registered"):
        register_model("prevalence", PrevalenceModel)
    with pytest.raises(ValueError, match="module:callable"):
        register_model("bad", "no_colon", replace=True)


def test_cold_protocols_skip_warm_only_models():
    data = synthetic_data(n_drugs=25, seed=6)
    results = run_benchmark(data, ["IND", "WS"], ["prevalence", "wnmf"], folds=1, progress=False)
    pairs = set(zip(results["protocol"], results["model"], strict=True))
    assert pairs == {("IND", "prevalence"), ("WS", "prevalence"), ("WS", "wnmf")}


def test_results_merge_replaces_only_what_ran(tmp_path):
    data = synthetic_data(n_drugs=25, seed=7)
    csv_path = tmp_path / "results.csv"
    first = run_benchmark(data, ["ICS"], ["prevalence", "knn"], folds=2, progress=False)
    merge_results(first, csv_path)
    again = run_benchmark(data, ["ICS"], ["knn"], folds=1, progress=False)
    merged = merge_results(again, csv_path)
    assert set(merged["model"]) == {"prevalence", "knn"}
    assert merged[merged["model"] == "knn"]["fold"].nunique() == 1
    assert merged[merged["model"] == "prevalence"]["fold"].nunique() == 2
    assert len(pd.read_csv(csv_path)) == len(merged)
    text = render_markdown(merged)
    assert "## ICS" in text and "MultiFG, cold-start" in text and "prevalence floor" in text
    assert "| knn | 1 |" in text
    assert "(+" in text or "(-" in text


def test_eval_view_of_cold_fold_has_no_ids():
    data = synthetic_data(n_drugs=25, seed=8)
    fold = build_fold(data, make_assignment(data, "ICS", 0), 0)
    assert isinstance(fold.validation, EvalView) and fold.validation.query.drug_ids is None


def test_kernel_model_finds_the_identical_molecule_and_keeps_ranges():
    from sefreq.bench.interface import QueryView, TrainView
    from sefreq.bench.models.kernel import KernelPriorModel
    from sefreq.data.types import SideEffectInfo

    smiles = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "c1ccncc1"]
    frequency = np.zeros((5, 4), dtype=np.uint8)
    frequency[2] = [5, 0, 3, 0]  # aspirin's own profile
    frequency[[0, 1, 3, 4], 1] = 4
    info = SideEffectInfo(
        names=list("abcd"),
        organ_classes=np.zeros((4, 1), np.float32),
        group_terms=np.zeros((4, 1), np.float32),
    )
    train = TrainView(frequency, np.ones_like(frequency, bool), smiles, np.arange(5), info)
    model = KernelPriorModel()
    model.fit(train)
    prediction = model.predict(QueryView(["CC(=O)Oc1ccccc1C(=O)O"]))
    association, expected = prediction.association[0], prediction.frequency[0]
    # Its own row dominates: side effects 0 and 2 rank above 3, which nobody reports.
    assert association[0] > association[3] and association[2] > association[3]
    assert ((association >= 0) & (association <= 1)).all()
    assert ((expected >= 1) & (expected <= 5)).all()
    assert expected[0] > expected[2]  # class 5 vs class 3 on the identical molecule


def test_every_model_is_paired_by_fold_against_knn_listed():
    import pandas as pd

    from sefreq.bench.runner import paired_against

    rows = []
    for fold, (model_value, knn_value) in enumerate([(0.50, 0.45), (0.52, 0.50), (0.40, 0.44)]):
        for model, value in (("sefreq-mechanism", model_value), ("knn-listed", knn_value)):
            rows.append({"protocol": "ICS-all", "model": model, "fold": fold, "metric": "aupr",
                         "value": value})  # fmt: skip
            rows.append({"protocol": "ICS-all", "model": model, "fold": fold, "metric": "rmse",
                         "value": 1 - value})  # fmt: skip
    lines = paired_against(pd.DataFrame(rows), "knn-listed")
    row = next(line for line in lines if line.startswith("| sefreq-mechanism"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    header = [c.strip() for c in lines[2].strip("|").split("|")]
    diffs = [0.05, 0.02, -0.04]
    error = pd.Series(diffs).std() / 3**0.5
    assert cells[header.index("aupr")] == f"+0.010 ± {error:.3f} (2/3)"
    # Lower RMSE is better: the same folds win.
    assert cells[header.index("rmse")] == f"-0.010 ± {error:.3f} (2/3)"
    assert paired_against(pd.DataFrame(rows).query("model != 'knn-listed'"), "knn-listed") == []


@pytest.mark.slow  # every model of the quick benchmark trained on every protocol
def test_quick_benchmark_runs_every_listed_protocol_to_the_end(monkeypatch, tmp_path, capsys):
    """`sefreq bench --quick` as the README runs it, on tiny data with SIDER-like extra
    drugs (side effects without a frequency): every protocol it lists finishes, and a
    model that cannot train on a protocol's labels is skipped with one line saying why."""
    from sefreq.bench import runner
    from sefreq.bench.protocols import PROTOCOLS
    from sefreq.cli import main

    data = synthetic_data(n_drugs=24, seed=9, n_extra=6)
    monkeypatch.setattr(runner, "load_bench_data", lambda: data)
    assert main(["bench", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert "skip mlp on ICS-all: it reads every reported cell as a frequency class" in said
    assert "skip wnmf on ICS-all: it cannot score a drug from structure alone" in said
    results = pd.read_csv(tmp_path / "quick" / "results.csv")
    ran = set(zip(results["protocol"], results["model"], strict=True))
    for protocol in PROTOCOLS:
        assert (protocol, "prevalence") in ran and (protocol, "kernel") in ran
    assert ("ICS", "mlp") in ran and ("WS", "wnmf") in ran and ("ICS-all", "mlp") not in ran
    assert set(results["fold"]) == {0, 1}


def test_unstated_labels_skip_only_where_they_are():
    data = synthetic_data(n_drugs=20, seed=10, n_extra=4)
    results = run_benchmark(data, ["WS", "WS+sider"], ["mlp", "wnmf"], folds=1, quick=True,
                            progress=False)  # fmt: skip
    assert set(zip(results["protocol"], results["model"], strict=True)) == {
        ("WS", "mlp"), ("WS", "wnmf")}  # fmt: skip
