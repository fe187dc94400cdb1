"""Compare what is known (issue #14): label bands beside predictions, a difference score on
the band scale, the one-line summary, and the look-up's exact match."""

from __future__ import annotations

import pandas as pd
import pytest

from sefreq.constants import FREQUENCY_BANDS
from sefreq.model.predictor import Predictor
from sefreq.present.compare import (
    CELL_COLUMNS,
    NEITHER,
    NOT_KNOWN_LEVEL,
    band_comparison,
    comparison_cells,
    difference_summary,
)
from sefreq.present.evidence import label_evidence
from sefreq.present.lookup import exact_match, lookup_drug
from sefreq.present.smpc import LABEL, PREDICTION

IBUPROFEN, FUROSEMIDE = 1, 22
NEW = "CCCCCCCCCCCCCCCC(=O)O"  # palmitic acid: no label data


@pytest.fixture(scope="module")
def entries(tiny_world):
    drugs = tiny_world.dataset.drugs
    assert drugs.loc[[IBUPROFEN, FUROSEMIDE], "name"].tolist() == ["ibuprofen", "furosemide"]
    predictor = Predictor.from_directory(tiny_world.bundle_dir)
    smiles = [drugs.loc[IBUPROFEN, "parent_smiles"], drugs.loc[FUROSEMIDE, "parent_smiles"], NEW]
    rows = predictor.predict(smiles, ids=["a", "b", "c"])
    return {
        "ibuprofen": (rows[rows["id"] == "a"], IBUPROFEN),
        "furosemide": (rows[rows["id"] == "b"], FUROSEMIDE),
        "palmitic": (rows[rows["id"] == "c"], None),
    }


def test_cells_take_the_labels_first_and_predictions_only_where_they_are_silent(
    tiny_world, entries
):
    cells = comparison_cells(entries, tiny_world.dataset, threshold_pct=40.0)
    assert list(cells.columns) == list(CELL_COLUMNS) and len(cells) == 3 * 30
    known = label_evidence(tiny_world.dataset, IBUPROFEN).set_index("side_effect_index")
    ibuprofen = cells[cells["drug"] == "ibuprofen"].set_index("side_effect_index")
    for index, row in ibuprofen.iterrows():
        if index in known.index and (
            known.at[index, "label_class"] > 0 or known.at[index, "on_label"]
        ):
            klass = int(known.at[index, "label_class"])
            assert row["source"] == LABEL and row["text"].endswith("(label)")
            assert row["level"] == (klass or NOT_KNOWN_LEVEL)
            if klass:
                assert row["band"] == FREQUENCY_BANDS[klass].smpc_wording
        elif row["p_reported_pct"] >= 40.0:
            assert row["source"] == PREDICTION
            assert row["text"] == f"~{row['band']} (predicted, {row['p_reported_pct']:.0f}%)"
            assert row["level"] == next(
                c for c, b in FREQUENCY_BANDS.items() if b.smpc_wording == row["band"]
            )
        else:
            assert (row["source"], row["text"], row["level"]) == (NEITHER, "not reported", 0)
    new = cells[cells["drug"] == "palmitic"]
    assert not (new["source"] == LABEL).any()  # no labels: only predictions, or nothing
    below = new[new["source"] == NEITHER]
    assert len(below) and below["text"].str.startswith("not predicted (").all()
    assert (new.loc[new["source"] == PREDICTION, "p_reported_pct"] >= 40.0).all()


def test_the_table_is_grouped_by_organ_class_and_sorted_by_difference(tiny_world, entries):
    cells = comparison_cells(entries, tiny_world.dataset, threshold_pct=40.0)
    table = band_comparison(cells)
    assert list(table.columns) == [
        "organ_class", "side_effect", "severity", "ibuprofen", "furosemide", "palmitic",
        "difference"
    ]  # fmt: skip
    levels = cells.pivot(index="side_effect", columns="drug", values="level")
    for row in table.itertuples():
        assert (
            row.difference == levels.loc[row.side_effect].max() - levels.loc[row.side_effect].min()
        )
    # every side effect something is known of is in, one that nothing is known of is not
    shown = cells.groupby("side_effect")["source"].agg(lambda s: (s != NEITHER).any())
    assert set(table["side_effect"]) == set(shown[shown].index)
    # organ classes are contiguous blocks, each sorted by difference, the blocks by their top
    blocks = table["organ_class"].tolist()
    assert blocks == sorted(blocks, key=lambda o: blocks.index(o))
    groups = table.groupby("organ_class", sort=False)["difference"]
    assert all(group.is_monotonic_decreasing for _, group in groups)
    assert groups.max().is_monotonic_decreasing
    cardiac = band_comparison(cells, "Cardiac disorders")
    assert set(cardiac["organ_class"]) <= {"Cardiac disorders"}
    assert set(cardiac["side_effect"]) <= {"Tachycardia", "Bradycardia"}


def test_the_summary_names_the_largest_differences(tiny_world, entries):
    cells = comparison_cells(entries, tiny_world.dataset, threshold_pct=40.0)
    table = band_comparison(cells)
    summary = difference_summary(cells, limit=2)
    assert summary.startswith("Largest differences: ")
    differences = table.drop_duplicates("side_effect").set_index("side_effect")["difference"]
    named = [name for name in differences.index if f"{name} (ibuprofen: " in summary]
    assert len(named) == 2
    others = differences.drop(named)
    assert differences[named].min() >= others.max() and differences[named].min() > 0
    for name in named:
        row = table[table["side_effect"] == name].iloc[0]
        short = cells[cells["side_effect"] == name].set_index("drug")["short"]
        assert (
            f"{name} (ibuprofen: {short['ibuprofen']}; furosemide: {short['furosemide']}; "
            in summary
        )
        assert row["ibuprofen"].split(" (")[0] in short["ibuprofen"]
    # two identical drugs do not differ
    same = {"one": entries["ibuprofen"], "two": entries["ibuprofen"]}
    same_cells = comparison_cells(same, tiny_world.dataset)
    assert difference_summary(same_cells) == ""
    assert (band_comparison(same_cells)["difference"] == 0).all()


def test_no_drugs_give_an_empty_table():
    cells = comparison_cells({})
    assert cells.empty and band_comparison(cells).empty and difference_summary(cells) == ""


def test_exact_match_is_one_drug_carrying_the_name(tiny_world):
    dataset = tiny_world.dataset
    find = lambda text: exact_match(lookup_drug(text, dataset.names, dataset.catalogue))  # noqa: E731
    assert dataset.catalogue.loc[find("  WARFARIN "), "name"] == "warfarin"
    assert dataset.catalogue.loc[find("Advil"), "name"] == "ibuprofen"  # a brand, exactly
    assert find("ibuprofin") is None  # a typo: the person chooses
    assert find("ibupro") is None  # a name's start
    assert exact_match(pd.DataFrame(columns=["drug_index", "how"])) is None
    two = pd.DataFrame({"drug_index": [3, 4], "how": ["exact", "exact"]})
    assert exact_match(two) is None  # two drugs share the name


def test_compare_marks_serious_terms_puts_them_first_among_equals_and_filters_them(
    tiny_world, entries
):
    """Issue #23, deliverable 4: Compare carries each term's severity, lists a serious term
    first among rows that stand equal, and keeps only serious terms when asked."""
    from sefreq.present.compare import comparison_matrix
    from sefreq.present.profile import severity_rank
    from sefreq.present.vocabulary import SERIOUS_MARK, mark_serious

    cells = comparison_cells(entries, tiny_world.dataset, threshold_pct=40.0)
    tiers = cells.groupby("side_effect")["severity"].first()
    assert tiers["Hepatitis"] == "serious" and tiers["Headache"] == "moderate"
    table = band_comparison(cells)
    assert table.set_index("side_effect").loc["Hepatitis", "severity"] == "serious"
    ties = table.groupby(["organ_class", "difference"], sort=False)
    for _, rows in ties:
        levels = cells[cells["side_effect"].isin(rows["side_effect"])].groupby("side_effect")
        top = levels["level"].max().reindex(rows["side_effect"]).to_numpy()
        ranks = severity_rank(rows["severity"]).to_numpy()
        for k in range(1, len(rows)):
            if top[k] == top[k - 1]:
                assert ranks[k] >= ranks[k - 1], rows

    # a serious term and a moderate one standing equal: the serious one comes first
    moved = cells.copy()
    moved.loc[moved["side_effect"] == "Hepatitis", "organ_class"] = "Nervous system disorders"
    for name in ("Hepatitis", "Headache"):
        moved.loc[moved["side_effect"] == name, ["level", "source", "text", "short"]] = [
            3,
            LABEL,
            "uncommon (label)",
            "uncommon, label",
        ]
    nervous = band_comparison(moved, "Nervous system disorders")
    pair = nervous[nervous["side_effect"].isin(["Hepatitis", "Headache"])]["side_effect"]
    assert pair.tolist() == ["Hepatitis", "Headache"]

    serious = band_comparison(cells, serious_only=True)
    assert len(serious) and serious["severity"].eq("serious").all()
    assert set(serious["side_effect"]) == set(
        table.loc[table["severity"] == "serious", "side_effect"]
    )
    summary = difference_summary(cells, serious_only=True)
    assert summary == "" or f"{SERIOUS_MARK} " in summary
    predictions = {drug: prediction for drug, (prediction, _) in entries.items()}
    matrix = comparison_matrix(predictions, top=30, serious_only=True)
    assert set(matrix.index) <= {"Agranulocytosis", "Hepatitis"} and len(matrix)
    assert mark_serious(["Hepatitis", "Headache"]) == [f"{SERIOUS_MARK} Hepatitis", "Headache"]


def test_label_vs_chance_names_bands_not_classes() -> None:
    """Issue #23: the Known vs predicted chart reads the SmPC's words, not 'class 1-5'."""
    from sefreq.present.known import LABEL_FREQUENCY_AXIS, label_vs_chance

    table = pd.DataFrame(
        {
            "side_effect": ["Nausea", "Rash", "Tinnitus", "Fever"],
            "reported": [True, True, True, False],
            "known_class": [4, 0, 1, 0],
            "p_reported_pct": [70.0, 40.0, 10.0, 5.0],
        }
    )
    points = label_vs_chance(table)
    assert points["label_frequency"].astype(str).tolist() == ["common", "not known", "very rare"]
    assert LABEL_FREQUENCY_AXIS == (
        "not known", "very rare", "rare", "uncommon", "common", "very common"
    )  # fmt: skip
