"""Severity on the tables (issue #23, item 4): every profile and SmPC row carries its
tier, serious terms come first within their band, and a "serious only" filter keeps them."""

from __future__ import annotations

import pandas as pd
import pytest

from sefreq.model.predictor import Predictor
from sefreq.present.profile import filter_profile, profile_table, serious_only, severity_rank
from sefreq.present.smpc import DETAIL_COLUMNS, prediction_details, smpc_table


@pytest.fixture(scope="module")
def world_prediction(tiny_world):
    predictor = Predictor.from_directory(tiny_world.bundle_dir)
    smiles = tiny_world.dataset.drugs.loc[1, "parent_smiles"]
    return predictor.predict(smiles, ids=["drug 1"])


def test_the_profile_carries_each_term_s_tier(world_prediction, tiny_world):
    table = profile_table(world_prediction, tiny_world.dataset, 1).set_index("side_effect")
    assert table.loc["Agranulocytosis", "severity"] == "serious"
    assert table.loc["Hepatitis", "severity"] == "serious"
    assert "infection" in table.loc["Agranulocytosis", "severity_reason"]
    assert table.loc["Dry mouth", "severity"] == "minor"
    assert table.loc["Headache", "severity"] == "moderate"
    assert table.loc["Headache", "severity_reason"] == ""


def test_serious_only_keeps_the_serious_rows(world_prediction, tiny_world):
    table = profile_table(world_prediction, tiny_world.dataset, 1)
    kept = filter_profile(table, serious_only=True)
    assert set(kept["side_effect"]) == {"Agranulocytosis", "Hepatitis"}
    assert list(serious_only(table)["side_effect"]) == list(kept["side_effect"])
    assert len(filter_profile(table)) == len(table)


def test_serious_terms_come_first_within_their_band(world_prediction, tiny_world):
    table = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=0.0)
    assert "severity" in table.columns
    for _, cell in table.groupby(["organ_class", "smpc_band"], sort=False):
        ranks = severity_rank(cell["severity"]).tolist()
        assert ranks == sorted(ranks)
    assert "severity" in DETAIL_COLUMNS
    assert "severity" in prediction_details(table).columns


def test_a_serious_term_outranks_a_likelier_moderate_one_in_the_same_cell():
    rank = severity_rank(pd.Series(["minor", "serious", "moderate", "unknown"]))
    assert rank.tolist() == [2, 0, 1, 3]


def test_a_serious_prediction_leads_its_cell_though_less_likely(world_prediction, tiny_world):
    prediction = world_prediction.copy()
    prediction["side_effect"] = prediction["side_effect"].astype(str)
    nervous = prediction["side_effect"].isin(["Headache", "Dizziness", "Tremor"])
    prediction.loc[nervous, "frequency_class"] = 3
    prediction.loc[nervous, "p_association"] = [0.9, 0.8, 0.7]
    # The least likely of the three becomes a serious term.
    prediction.loc[prediction["side_effect"] == "Tremor", "side_effect"] = "Status epilepticus"
    table = smpc_table(prediction, tiny_world.dataset, None, threshold_pct=0.0)
    cell = table[
        (table["organ_class"] == "Nervous system disorders") & (table["smpc_band"] == "uncommon")
    ]
    assert cell["side_effect"].tolist()[0] == "Status epilepticus"
    assert cell["severity"].tolist()[0] == "serious"
