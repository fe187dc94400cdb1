"""The benchmark on the real data: the prevalence floor lands where docs/SCIENCE.md says.

Skipped unless SEFREQ_DATA_DIR points at the upstream files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sefreq.bench.protocols import BenchData, build_fold, make_assignment
from sefreq.bench.runner import run_benchmark
from sefreq.cli import main
from sefreq.data.cache import load_dataset

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def data(real_data_dir: Path) -> BenchData:
    return BenchData.from_dataset(load_dataset(data_dir=real_data_dir))


def test_benchmark_drugs(data):
    assert len(data.pool_ids) + data.n_excluded_no_structure == 750
    assert len(data.independent_ids) == 9
    assert all(data.smiles[i] for i in data.pool_ids)


def test_prevalence_floor_on_ics(data):
    results = run_benchmark(data, ["ICS"], ["prevalence"], folds=2, progress=False)
    mean = results.groupby("metric")["value"].mean()
    # docs/SCIENCE.md: AUROC 0.824, AUPR 0.294, per-drug AUROC 0.875, RMSE 0.812 over 10 folds
    assert 0.79 < mean["auroc"] < 0.86
    assert 0.25 < mean["aupr"] < 0.34
    assert 0.85 < mean["auroc_per_drug"] < 0.90
    assert 0.72 < mean["rmse"] < 0.90


def test_ws_fold_zeroes_its_test_positives(data):
    fold = build_fold(data, make_assignment(data, "WS", 0), 0)
    test_positive = fold.test.mask & (fold.test.frequency > 0)
    assert test_positive.sum() in range(3600, 3720)
    assert (fold.train.frequency[test_positive] == 0).all()
    assert np.array_equal(fold.test.query.drug_ids, data.pool_ids)


def test_cli_quick_prevalence(tmp_path, real_data_dir, monkeypatch, capsys):
    monkeypatch.setenv("SEFREQ_DATA_DIR", str(real_data_dir))
    code = main(
        ["bench", "--quick", "--protocol", "ICS,IND", "--model", "prevalence", "--out",
         str(tmp_path), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    text = (tmp_path / "quick" / "results.md").read_text()
    assert "## ICS" in text and "## IND" in text and "prevalence floor" in text
    assert (tmp_path / "folds" / "ICS_seed0.npz").exists()
    assert not (tmp_path / "results.md").exists()  # quick runs never touch the full tables


def test_confidence_report_on_one_fold(real_data_dir: Path, monkeypatch, tmp_path):
    from sefreq.bench.confidence import SHIPPED_OPTIONS, held_out_report

    monkeypatch.setenv("SEFREQ_DATA_DIR", str(real_data_dir))
    assert SHIPPED_OPTIONS["mechanism"]  # the shipped recipe reads the mechanism view (2.0)
    report = held_out_report(
        "ICS", folds=1, progress=False, n_members=1, max_epochs=2, mechanism_epochs=2,
        **SHIPPED_OPTIONS,
    )  # fmt: skip
    assert report["n_folds"] == 1 and len(report["per_fold"]) == 1
    assert 0.5 < report["mean"]["auroc"] <= 1
    assert 0 <= report["pooled_ece_after"] < 0.1
    assert 0.5 < report["pooled_conformal_coverage"] <= 1
    assert [row["n_drugs"] for row in report["error_by_similarity"]]
    assert sum(row["n_drugs"] for row in report["error_by_similarity"]) == 74


def test_bench_confidence_has_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "confidence", "--help"])
    assert exit_.value.code == 0
    assert "sefreq bench confidence --protocol ICS" in capsys.readouterr().out
