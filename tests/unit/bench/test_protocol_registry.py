"""The protocol registry: a new protocol is one entry, and the tables it feeds are unchanged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from sefreq.bench import protocols, runner
from sefreq.bench.protocols import PROTOCOLS, FoldAssignment, Published, synthetic_data
from sefreq.bench.scoring import metric_keys
from sefreq.metrics import RANKED_KEYS

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


def _deal_drugs(data, n_folds, rng):
    """Pool drugs dealt to the folds in row order (no draw: the fold file is predictable)."""
    return {"drug_fold": (np.arange(len(data.pool_ids)) % n_folds).astype(np.int8)}


def test_a_new_protocol_is_one_entry(monkeypatch, tmp_path, capsys):
    """One entry, and `sefreq bench` runs the protocol and its +sider, saves its folds and
    writes its tables with the published row; the model card lists that row too."""
    from sefreq.cli import main
    from sefreq.present import card

    toy = dataclasses.replace(
        PROTOCOLS["ICS"],
        name="ICS3",
        n_folds=3,
        assign=_deal_drugs,
        key_metrics=("auroc", "aupr", "rmse"),
        title="ICS3: cold drugs, 3 folds dealt in row order",
        note="A protocol registered by a test.",
        published=(
            Published("Toy (2026)", {"auroc": 0.71, "rmse": 0.9}, "Toy", "yes", card_row=7),
        ),
    )
    monkeypatch.setitem(protocols.PROTOCOLS, "ICS3", toy)
    data = synthetic_data(n_drugs=24, seed=9, n_extra=6)
    monkeypatch.setattr(runner, "load_bench_data", lambda: data)

    argv = ["bench", "--protocol", "ics3,ICS3+sider", "--model", "prevalence,wnmf"]
    assert main([*argv, "--no-progress", "--out", str(tmp_path)]) == 0
    assert "skip wnmf on ICS3: it cannot score a drug from structure alone" in (
        capsys.readouterr().out
    )

    saved = FoldAssignment.load(tmp_path / "folds" / "ICS3_seed0.npz")
    assert saved.protocol == "ICS3" and saved.n_folds == 3
    assert saved.drug_fold.tolist() == [i % 3 for i in range(len(data.pool_ids))]
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["protocol"]) == {"ICS3", "ICS3+sider"}
    assert set(results["fold"]) == {0, 1, 2} and set(results["model"]) == {"prevalence"}
    assert (
        set(results["metric"])
        == {*RANKED_KEYS, "fit_seconds"}
        == {
            *metric_keys("ICS3"),
            "fit_seconds",
        }
    )

    text = (tmp_path / "results.md").read_text()
    plain = text.index("## ICS3: cold drugs, 3 folds dealt in row order\n")
    extended = text.index("## ICS3: cold drugs, 3 folds dealt in row order, + SIDER's")
    assert plain < text.index("A protocol registered by a test.") < extended
    assert "| model | folds | auroc | aupr | rmse |" in text
    assert text.count("| *published: Toy (2026)* | | 0.710 |  | 0.900 |") == 1
    assert "Paired by fold, ICS3+sider minus ICS3" in text

    assert card.published().iloc[-1].tolist() == ["Toy", "ICS3", "AUROC 0.710, RMSE 0.900", "yes"]


def test_results_md_is_the_rendering_of_results_csv():
    """The committed tables are exactly what the renderer makes of the committed scores, so
    no change to a protocol's entry (or to the renderer) alters them unseen."""
    rendered = runner.render_markdown(pd.read_csv(BENCHMARKS / "results.csv"))
    assert rendered == (BENCHMARKS / "results.md").read_text(encoding="utf-8")


def test_every_protocol_says_how_it_is_scored():
    """Each entry's table columns are metrics its scoring returns, and its published
    figures are among its columns (a figure outside them would never be printed)."""
    for name, protocol in PROTOCOLS.items():
        assert set(protocol.key_metrics) <= set(metric_keys(name)), name
        for result in protocol.published:
            assert set(result.figures) <= set(protocol.key_metrics), (name, result.method)
