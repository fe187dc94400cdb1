"""The SmPC 4.8 layout (issue #14, item 1): labels first, predictions only where the labels
are silent, one builder for page, CSV and PDF."""

from __future__ import annotations

import pandas as pd
import pytest

from sefreq.constants import FREQUENCY_BANDS
from sefreq.model.predictor import Predictor
from sefreq.present.evidence import label_evidence
from sefreq.present.smpc import (
    DETAIL_COLUMNS,
    LABEL,
    PREDICTION,
    SMPC_BANDS,
    prediction_details,
    smpc_grid,
    smpc_part,
    smpc_summary,
    smpc_table,
)


@pytest.fixture(scope="module")
def world_prediction(tiny_world):
    predictor = Predictor.from_directory(tiny_world.bundle_dir)
    smiles = tiny_world.dataset.drugs.loc[1, "parent_smiles"]
    return predictor.predict(smiles, ids=["drug 1"])


def test_labels_come_first_and_predictions_only_fill_the_gaps(tiny_world, world_prediction):
    dataset = tiny_world.dataset
    table = smpc_table(world_prediction, dataset, 1, threshold_pct=0.0)
    known = label_evidence(dataset, 1)
    reported = known[(known["label_class"] > 0) | known["on_label"]]
    assert len(reported) > 0
    labels = table[table["source"] == LABEL]
    assert set(labels["side_effect_index"]) == set(reported["side_effect_index"])
    for row in reported.itertuples():
        bands = set(labels.loc[labels["side_effect_index"] == row.side_effect_index, "smpc_band"])
        expected = FREQUENCY_BANDS[row.label_class].smpc_wording if row.label_class > 0 else (
            "not known")  # fmt: skip
        assert bands == {expected}
    predictions = table[table["source"] == PREDICTION]
    assert not set(predictions["side_effect_index"]) & set(reported["side_effect_index"])
    # threshold 0: every side effect is in the table, once, under its primary organ class.
    assert table["side_effect_index"].nunique() == world_prediction["side_effect_index"].nunique()
    assert table["side_effect_index"].is_unique
    # Order: organ class, then band from very common to not known, labels first.
    for _, group in table.groupby("organ_class", sort=False):
        ranks = group["smpc_band"].map(SMPC_BANDS.index).tolist()
        assert ranks == sorted(ranks)
    assert table["organ_class"].tolist() == sorted(table["organ_class"])


def test_threshold_keeps_labels_and_drops_weak_predictions(tiny_world, world_prediction):
    strict = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=101.0)
    assert (strict["source"] == LABEL).all() and len(strict)
    loose = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=30.0)
    assert (loose.loc[loose["source"] == PREDICTION, "p_reported_pct"] >= 30.0).all()


def test_a_new_molecule_is_filled_by_the_model_alone(world_prediction):
    table = smpc_table(world_prediction, None, None, threshold_pct=10.0)
    assert len(table) and (table["source"] == PREDICTION).all()
    assert set(table["smpc_band"]) <= set(SMPC_BANDS[:-1])  # a prediction always has a band
    assert smpc_table(world_prediction, None, None, threshold_pct=101.0).empty


def test_labels_without_frequencies_are_a_list_by_organ_class(tiny_world, world_prediction):
    """Warfarin's labels list 79 terms, none with a frequency: one column, not five empty."""
    table = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=101.0)
    unstated = table.assign(smpc_band=SMPC_BANDS[-1])
    grid = smpc_grid(unstated, compact=True)
    assert list(grid.columns) == ["not known"]
    assert set(grid.index) == set(table["organ_class"])
    assert list(smpc_grid(table, compact=True).columns) == [
        band for band in SMPC_BANDS if band in set(table["smpc_band"])
    ]


def test_grid_is_the_printed_layout(tiny_world, world_prediction):
    table = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=20.0)
    grid = smpc_grid(table)
    assert list(grid.columns) == list(SMPC_BANDS)
    assert set(grid.index) == set(table["organ_class"])
    cells = ", ".join(grid.to_numpy().ravel())
    for row in table.itertuples():
        term = f"{row.side_effect}*" if row.source == PREDICTION else row.side_effect
        assert term in cells
    assert isinstance(grid, pd.DataFrame)


def test_grid_with_chance_marks_each_prediction_and_leaves_labels_plain(
    tiny_world, world_prediction
):
    table = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=0.0)
    predicted, labels = smpc_part(table, PREDICTION), smpc_part(table, LABEL)
    assert len(predicted) and len(labels)
    assert (predicted["source"] == PREDICTION).all() and (labels["source"] == LABEL).all()
    cells = ", ".join(smpc_grid(table, chance=True).to_numpy().ravel()).split(", ")
    for row in predicted.itertuples():
        assert f"{row.side_effect}* ({row.p_reported_pct:.0f}% ± {row.uncertainty_pct:.0f})" in (
            cells
        )
    assert set(labels["side_effect"]) <= set(cells)  # label terms carry no mark
    assert not any(cell.endswith("*") for cell in cells)


def test_prediction_details_is_one_row_per_predicted_side_effect(world_prediction):
    table = smpc_table(world_prediction, None, None, threshold_pct=0.0)
    details = prediction_details(table)
    assert list(details.columns) == list(DETAIL_COLUMNS)
    assert len(details) == world_prediction["side_effect_index"].nunique()
    assert details["p_reported_pct"].is_monotonic_decreasing
    # a side effect in two organ classes is one row, under its primary one, naming the other
    somnolence = details.set_index("side_effect").loc["Somnolence"]
    assert somnolence["organ_class"] == "Nervous system disorders"
    assert somnolence["secondary_organ_classes"] == "Psychiatric disorders"
    assert details["conformal_bands"].str.len().gt(0).all()


def test_summary_counts_distinct_side_effects(tiny_world, world_prediction):
    table = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=0.0)
    counts = smpc_summary(table)
    known = label_evidence(tiny_world.dataset, 1)
    assert counts["n_label"] == int(((known["label_class"] > 0) | known["on_label"]).sum())
    assert counts["n_label"] == counts["n_label_stated"] + counts["n_label_not_known"]
    assert (
        counts["n_label"] + counts["n_predicted"] == world_prediction["side_effect_index"].nunique()
    )
    assert smpc_summary(smpc_table(world_prediction, None, None, 101.0))["n_predicted"] == 0


def test_outside_the_domain_every_spread_shown_is_wider(tiny_world, world_prediction):
    """Issue #23: the same prediction, moved outside the applicability domain, is shown with
    a wider ± on the profile and in the SmPC layout, and the page says why."""
    from sefreq.present.profile import domain_summary, profile_table, wide_spread_note

    outside = world_prediction.copy()
    outside["max_similarity"] = 0.05
    outside["in_domain"] = False
    inside = profile_table(world_prediction).set_index("side_effect_index")
    wide = profile_table(outside).set_index("side_effect_index").loc[inside.index]
    assert (wide["uncertainty_pct"] > inside["uncertainty_pct"]).all()
    grid = smpc_table(outside, None, None, threshold_pct=0.0).set_index("side_effect_index")
    assert (grid["uncertainty_pct"] > inside.loc[grid.index, "uncertainty_pct"]).all()
    assert "Outside the training drugs: the chance is uncertain" in wide_spread_note(
        domain_summary(outside)
    )


def test_the_grid_names_each_terms_other_organ_classes(tiny_world, world_prediction):
    """Issue #23, item 2: each term sits once under its primary organ class, and the grid
    the Profile page draws says where else MedDRA puts it ('also under ...')."""
    from sefreq.present.organs import also_under_note, short_organ_class

    assert short_organ_class("Skin and subcutaneous tissue disorders") == "Skin"
    assert short_organ_class("Nervous system disorders") == "Nervous system"
    assert short_organ_class("Respiratory, thoracic and mediastinal disorders") == "Respiratory"
    assert also_under_note("Cardiac disorders; Vascular disorders") == (
        "also under Cardiac, Vascular"
    )
    assert also_under_note("") == ""
    table = smpc_table(world_prediction, tiny_world.dataset, 1, threshold_pct=0.0)
    several = table[table["secondary_organ_classes"].astype(bool)]
    assert len(several) > 0
    plain = smpc_grid(table, chance=True)
    noted = smpc_grid(table, chance=True, also_under=True)
    for row in several.itertuples():
        cell = noted.loc[row.organ_class, row.smpc_band]
        assert also_under_note(row.secondary_organ_classes) in cell
        assert "also under" not in plain.loc[row.organ_class, row.smpc_band]
    alone = table[~table["secondary_organ_classes"].astype(bool)].iloc[0]
    assert f"{alone.side_effect} (also" not in noted.loc[alone.organ_class, alone.smpc_band]
