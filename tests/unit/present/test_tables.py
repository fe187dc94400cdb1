"""What the pages draw, tested without Streamlit: look-up, input parsing, tables, the
model card (the reports: tests/unit/report/)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sefreq.model.predictor import Predictor
from sefreq.present import molecules
from sefreq.present.compare import comparison_matrix, largest_differences
from sefreq.present.evidence import label_evidence
from sefreq.present.known import agreement, comparison_table, nearest_known_drugs, neighbour_reports
from sefreq.present.lookup import acid_or_anion, lookup_drug, strip_salts
from sefreq.present.profile import conformal_bands, filter_profile, profile_table


@pytest.fixture(scope="module")
def predictor(tiny_world) -> Predictor:
    return Predictor.from_directory(tiny_world.bundle_dir)


@pytest.fixture(scope="module")
def ibuprofen(predictor, tiny_world) -> pd.DataFrame:
    smiles = tiny_world.dataset.drugs.loc[1, "parent_smiles"]
    return predictor.predict(smiles, ids=["ibuprofen"])


# --------------------------------------------------------------------------- look-up


@pytest.mark.parametrize(
    ("query", "drug", "how"),
    [
        ("Ibuprofen", "ibuprofen", "exact"),
        ("ibu profen", None, None),
        ("ibuprofn", "ibuprofen", "similar"),
        ("nurofen", "ibuprofen", "exact"),
        ("diclofenac potassium", "diclofenac", "salt form"),
        ("M01AE", "ibuprofen", "ATC code"),
        ("hydrochloroth", "hydrochlorothiazide", "name start"),
    ],
)
def test_lookup(tiny_world, query: str, drug: str | None, how: str | None) -> None:
    dataset = tiny_world.dataset
    found = lookup_drug(query, dataset.names, dataset.drugs)
    if drug is None:
        assert found.empty or found["score"].iloc[0] < 0.9
        return
    assert found["drug"].iloc[0] == drug
    assert found["how"].iloc[0] == how
    assert found["drug_index"].is_unique


def test_lookup_atc_prefix_lists_every_drug_of_the_class(tiny_world) -> None:
    dataset = tiny_world.dataset
    found = lookup_drug("M01AE", dataset.names, dataset.drugs)
    assert set(found["drug"]) == {"ibuprofen", "naproxen", "ketoprofen"}


def test_lookup_of_nothing_is_empty(tiny_world) -> None:
    dataset = tiny_world.dataset
    assert lookup_drug("   ", dataset.names, dataset.drugs).empty
    assert lookup_drug("zzzzzzzz", dataset.names, dataset.drugs).empty


def test_an_acid_is_found_by_its_anion_and_back() -> None:
    """co-amoxiclav's "clavulanic acid" is the catalogue's "clavulanate" (#23 walk: "Not
    in the data: clavulanic acid")."""
    names = pd.DataFrame(
        {
            "name": ["clavulanate", "valproic acid"],
            "key": ["clavulanate", "valproic acid"],
            "kind": ["generic"] * 2,
            "drug_index": [0, 1],
        }
    )
    drugs = pd.DataFrame({"name": ["clavulanate", "valproic acid"]})
    for query, drug in (("Clavulanic acid", "clavulanate"), ("valproate", "valproic acid")):
        found = lookup_drug(query, names, drugs)
        assert (found["drug"].iloc[0], found["how"].iloc[0]) == (drug, "salt form")
    assert acid_or_anion("clavulanic acid") == "clavulanate"
    assert acid_or_anion("ibuprofen") is None


def test_strip_salts() -> None:
    assert strip_salts("sertraline hydrochloride") == "sertraline"
    assert strip_salts("diclofenac sodium tablets usp") == "diclofenac"


# --------------------------------------------------------------------------- input parsing


def test_split_smiles_lines_names_and_numbers() -> None:
    entries = molecules.split_smiles_lines("CCO ethanol\n\n# note\nc1ccccc1\nCCN\tethyl amine")
    assert [e[:2] for e in entries] == [
        ("ethanol", "CCO"),
        ("mol2", "c1ccccc1"),
        ("ethyl amine", "CCN"),
    ]


def test_too_many_molecules_is_refused() -> None:
    with pytest.raises(molecules.MoleculeInputError, match="more than the dashboard"):
        molecules.split_smiles_lines("\n".join(["CCO"] * (molecules.MAX_BATCH + 1)))


def test_csv_with_semicolons_and_name_column() -> None:
    entries = molecules.read_upload("x.csv", b"Name;SMILES\na;CCO\nb;CCN\n")
    assert [e[:2] for e in entries] == [("a", "CCO"), ("b", "CCN")]


def test_csv_without_id_gets_row_numbers() -> None:
    assert [e[:2] for e in molecules.read_upload("x.csv", b"smiles\nCCO\nCCN\n")] == [
        ("row1", "CCO"),
        ("row2", "CCN"),
    ]


def test_unknown_file_type_is_refused() -> None:
    with pytest.raises(molecules.MoleculeInputError, match="neither a CSV nor an SDF"):
        molecules.read_upload("x.xlsx", b"PK")


def test_sdf_with_a_broken_record_keeps_the_rest() -> None:
    from rdkit import Chem

    good = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO")) + "$$$$\n"
    broken = (
        "broken\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n    0.0 0.0 0.0 Xx  0\nM  END\n$$$$\n"
    )
    entries = molecules.read_upload("x.sdf", (good + broken).encode())
    batch = molecules.prepare_batch(entries, molecules.UPLOAD)
    assert batch[0].ok and not batch[1].ok


def test_duplicate_ids_are_made_unique() -> None:
    batch = molecules.prepare_batch([("a", "CCO"), ("a", "CCN")], molecules.PASTED)
    assert [m.id for m in batch] == ["a", "a#2"]


def test_prepare_links_a_known_structure(tiny_world) -> None:
    drugs = tiny_world.dataset.drugs
    molecule = molecules.prepare("OC(=O)C(C)c1ccc(CC(C)C)cc1", "x", molecules.PASTED, drugs=drugs)
    assert molecule.drug_name == "ibuprofen" and molecule.drug_index == 1


# --------------------------------------------------------------------------- tables


def test_profile_table_is_ranked_with_bands(ibuprofen, tiny_world) -> None:
    table = profile_table(ibuprofen, tiny_world.dataset, 1)
    assert table["rank"].tolist() == list(range(1, 31))
    assert table["p_reported_pct"].between(0, 100).all()
    reported = set(np.flatnonzero(tiny_world.dataset.frequency[1]))
    marked = set(table.loc[table["known_class"].fillna(0) > 0, "side_effect_index"])
    assert marked == reported
    gi = filter_profile(table, ["Gastrointestinal disorders"], "", top=3)
    assert len(gi) == 3 and gi["organ_classes"].str.contains("Gastrointestinal").all()


def test_conformal_bands() -> None:
    assert conformal_bands("3,4") == "common | uncommon"
    assert conformal_bands("") == ""


def test_label_evidence_for_no_drug_is_empty(tiny_world) -> None:
    assert label_evidence(tiny_world.dataset, None).empty


def test_agreement_on_a_hand_made_table() -> None:
    table = pd.DataFrame(
        {
            "reported": [True, True, False, False],
            "p_reported_pct": [90.0, 30.0, 60.0, 10.0],
            "known_class": [4, 3, 0, 0],
            "frequency_class": [4, 5, 3, 2],
        }
    )
    figures = agreement(table)
    # Pairs (reported, unreported): (90,60) (90,10) (30,60) (30,10) -> 3 of 4 ordered right.
    assert figures["auroc"] == pytest.approx(0.75)
    assert figures["n_predicted"] == 2 and figures["n_both"] == 1
    assert figures["recall_at_n"] == pytest.approx(0.5)  # top 2: 90 (yes), 60 (no)
    assert figures["class_exact"] == pytest.approx(0.5)
    assert figures["class_within_one"] == pytest.approx(0.5)
    assert figures["mean_abs_class_error"] == pytest.approx(1.0)


def test_comparison_table_and_neighbours(ibuprofen, tiny_world) -> None:
    dataset = tiny_world.dataset
    table = comparison_table(ibuprofen, dataset, 1)
    assert table["reported"].sum() == (dataset.frequency[1] > 0).sum()
    assert table["n_postmarketing"].sum() >= 1
    neighbours = nearest_known_drugs("CC(C)Cc1ccc(cc1)C(C)C(=O)OC", dataset, k=3)
    assert neighbours["drug"].iloc[0] == "ibuprofen" and len(neighbours) == 3
    assert "insulin glargine" not in set(nearest_known_drugs("CCO", dataset, k=38)["drug"])
    reports = neighbour_reports(dataset, [1, 4])
    assert {"side_effect", "n_drugs", "ibuprofen", "naproxen"} <= set(reports.columns)


def test_comparison_matrix(predictor) -> None:
    table = predictor.predict(["CCO", "c1ccccc1O"], ids=["a", "b"])
    predictions = {k: table[table["id"] == k] for k in ("a", "b")}
    matrix = comparison_matrix(predictions, top=5)
    assert list(matrix.columns) == ["a", "b"] and 5 <= len(matrix) <= 10
    assert matrix.max(axis=1).is_monotonic_decreasing
    cardiac = comparison_matrix(predictions, top=5, organ_class="Cardiac disorders")
    assert set(cardiac.index) <= {"Tachycardia", "Bradycardia"}
    differences = largest_differences(matrix, limit=3)
    assert len(differences) == 3 and differences["spread_pp"].is_monotonic_decreasing


# --------------------------------------------------------------------------- model card


def test_model_card_tables() -> None:
    from sefreq.model.artifact import ModelCard
    from sefreq.present import card

    figures = {"ICS": {"SEFreq": {"auroc": 0.8512345, "note": "10 folds"}}}
    table = card.benchmark_table(ModelCard(benchmark=figures, model_version="9"))
    assert table.to_dict("records") == [
        {"section": "ICS / SEFreq", "figure": "auroc", "value": "0.8512"},
        {"section": "ICS / SEFreq", "figure": "note", "value": "10 folds"},
    ]
    assert card.benchmark_table(ModelCard()).empty
    overview = card.overview(ModelCard(model_version="9", calibration={"conformal_alpha": 0.1}))
    assert overview.set_index("item").loc["calibration: conformal_alpha", "value"] == "0.1"
    assert "CC BY-NC-SA" in card.licences(ModelCard())[0]
    published = card.published().set_index("method")
    assert set(published["protocol"]) >= {"M10", "H5", "ICS"}
    # As published: MultiFG's fourth digit and a trailing zero kept; Overlap left out.
    assert published.loc["MultiFG (Sci Rep 2025)", "published figures"].startswith(
        "AUROC 0.9285, AUPR 0.527,"
    )
    assert published.loc["MultiFG, cold start"].tolist() == [
        "cold drugs",
        "AUROC 0.820, AUPR 0.296, RMSE 0.787",
        "yes",
    ]
    assert "Overlap" not in " ".join(published["published figures"])
    assert published.index[-1] == "Prevalence baseline (no structure)"


def test_held_out_figures_come_first_and_their_rows_are_sections() -> None:
    from sefreq.model.artifact import ModelCard
    from sefreq.present import card

    recorded = ModelCard(benchmark={"n_folds": 5}, model_version="9")
    evaluation = {
        "n_folds": 10,
        "pooled_conformal_coverage": 0.8971,
        "error_by_similarity": [
            {"similarity": "[0.0, 0.2)", "n_drugs": 48, "per_drug_auroc": 0.8608, "rmse": None},
        ],
    }
    table = card.benchmark_table(recorded, evaluation)
    assert table.to_dict("records") == [
        {"section": "-", "figure": "n_folds", "value": "10"},
        {"section": "-", "figure": "pooled_conformal_coverage", "value": "0.8971"},
        {"section": "error_by_similarity / [0.0, 0.2)", "figure": "n_drugs", "value": "48"},
        {"section": "error_by_similarity / [0.0, 0.2)", "figure": "per_drug_auroc",
         "value": "0.8608"},
    ]  # fmt: skip
    # Without a held-out file, the card's record.
    assert card.benchmark_table(recorded, {}).to_dict("records") == [
        {"section": "-", "figure": "n_folds", "value": "5"}
    ]


def test_the_shipped_predictor_carries_its_held_out_figures() -> None:
    import json

    from sefreq.model.artifact import EVALUATION_FILE, held_out_evaluation, model_dir

    figures = held_out_evaluation(model_dir())
    assert figures == json.loads((model_dir() / EVALUATION_FILE).read_text())
    assert figures["protocol"] == "ICS-all" and figures["n_folds"] == 10
    assert 0.85 < figures["pooled_conformal_coverage"] < 0.95
    assert held_out_evaluation(model_dir() / "no such bundle") == {}
    # The About page's first table quotes the README's ICS-all figures.
    from sefreq.present import card

    summary = card.held_out_summary(figures).set_index("figure")
    row = summary.loc["per-drug AUPR (ranking within a drug)"]
    assert (row["structure only"], row["known targets"], row["knn-listed"]) == (
        "0.526", "0.552", "0.519")  # fmt: skip
    assert card.held_out_summary({}).empty
