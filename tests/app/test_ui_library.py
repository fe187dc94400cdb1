"""What the pages call, tested without Streamlit: look-up, input parsing, tables, reports."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from sefreq.constants import DISCLAIMER, SIDER_LICENCE
from sefreq.model.predictor import Predictor
from sefreq.present import molecules
from sefreq.present.compare import comparison_matrix, largest_differences
from sefreq.present.known import agreement, comparison_table, nearest_known_drugs, neighbour_reports
from sefreq.present.lookup import lookup_drug, strip_salts
from sefreq.present.profile import conformal_bands, filter_profile, known_frequencies, profile_table
from sefreq.report import ReportInput, build_pdf, report_table


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


def test_strip_salts() -> None:
    assert strip_salts("sertraline hydrochloride") == "sertraline"
    assert strip_salts("diclofenac sodium tablets usp") == "diclofenac"


# --------------------------------------------------------------------------- input parsing


def test_split_smiles_lines_names_and_numbers() -> None:
    entries = molecules.split_smiles_lines("CCO ethanol\n\n# note\nc1ccccc1\nCCN\tethyl amine")
    assert entries == [("ethanol", "CCO"), ("mol2", "c1ccccc1"), ("ethyl amine", "CCN")]


def test_too_many_molecules_is_refused() -> None:
    with pytest.raises(molecules.MoleculeInputError, match="more than the dashboard"):
        molecules.split_smiles_lines("\n".join(["CCO"] * (molecules.MAX_BATCH + 1)))


def test_csv_with_semicolons_and_name_column() -> None:
    entries = molecules.read_upload("x.csv", b"Name;SMILES\na;CCO\nb;CCN\n")
    assert entries == [("a", "CCO"), ("b", "CCN")]


def test_csv_without_id_gets_row_numbers() -> None:
    assert molecules.read_upload("x.csv", b"smiles\nCCO\nCCN\n") == [
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


def test_known_frequencies_for_no_drug_is_empty(tiny_world) -> None:
    assert known_frequencies(tiny_world.dataset, None).empty


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


# --------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def report(ibuprofen, predictor, tiny_world) -> ReportInput:
    return ReportInput(
        molecule_id="ibuprofen",
        entered="Advil",
        source="look-up",
        input_smiles="CC(C)Cc1ccc(cc1)C(C)C(=O)O",
        parent_smiles=tiny_world.dataset.drugs.loc[1, "parent_smiles"],
        prediction=ibuprofen,
        card=predictor.card,
        drug_name="ibuprofen",
        known=known_frequencies(tiny_world.dataset, 1),
    )


def test_csv_report_is_long_form_with_provenance(report) -> None:
    table = report_table(report)
    assert len(table) == 30 and table["side_effect"].is_unique
    for column in ("model_version", "input", "standardised_smiles", "known_source", "band_range"):
        assert table[column].notna().all(), column
    assert (table["model_version"] == "0.0.tiny").all()
    assert (table["input"] == "Advil").all()
    assert table["p_reported"].is_monotonic_decreasing
    assert table.loc[table["known_class"] > 0, "known_band"].ne("not reported").all()


def test_csv_report_of_a_new_molecule_has_empty_known_columns(report) -> None:
    new = ReportInput(**{**report.__dict__, "known": None, "drug_name": None})
    table = report_table(new)
    assert table["known_class"].isna().all() and (table["known_source"] == "").all()


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (poppler-utils); `make test` installs it")


def test_pdf_report_renders_and_holds_the_text(report, ibuprofen, tiny_world, tmp_path) -> None:
    _need("pdftotext")
    _need("pdftoppm")
    table = comparison_table(ibuprofen, tiny_world.dataset, 1)
    pdf = build_pdf(report, agreement(table), ["Nausea"], ["Rash"])
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    for expected in (
        "SEFreq side-effect frequency report",
        "ibuprofen",
        "Advil",
        "0.0.tiny",
        "Known vs predicted",
        "Predicted but not reported: Nausea",
        "Tanimoto",
        "CC BY-NC-SA 4.0",
    ):
        assert expected in flat, expected
    assert " ".join(DISCLAIMER.split()) in flat
    assert " ".join(SIDER_LICENCE.split())[:60] in flat
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(p.stat().st_size > 5_000 for p in pages)


def test_pdf_prints_crafted_user_text_as_text(report, tmp_path) -> None:
    """Names and input crafted as formulas, markup, control characters or 10,000 characters
    come out of the PDF as one short, inert line each."""
    _need("pdftotext")
    crafted = ReportInput(
        **{
            **report.__dict__,
            "drug_name": '=HYPERLINK("http://evil","x")',
            "entered": "<b>bold</b>\x00\x1b[31m\n**md**" + "y" * 10_000,
            "source": "@SUM(A1)",
        }
    )
    path = tmp_path / "crafted.pdf"
    path.write_bytes(build_pdf(crafted))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert "'=HYPERLINK(" in flat and "'@SUM(A1)" in flat
    assert "<b>bold</b>" in flat  # printed as typed, not interpreted
    assert "y" * 300 not in flat.replace(" ", "")  # cut at USER_TEXT_LIMIT
    assert "\x00" not in text and "\x1b" not in text


def test_model_card_tables() -> None:
    from sefreq.present import card

    figures = {"ICS": {"SEFreq": {"auroc": 0.8512345, "note": "10 folds"}}}
    table = card.benchmark_table({"benchmark": figures, "model_version": "9"})
    assert table.to_dict("records") == [
        {"section": "ICS / SEFreq", "figure": "auroc", "value": "0.8512"},
        {"section": "ICS / SEFreq", "figure": "note", "value": "10 folds"},
    ]
    assert card.benchmark_table({}).empty
    overview = card.overview({"model_version": "9", "calibration": {"conformal_alpha": 0.1}})
    assert overview.set_index("item").loc["calibration: conformal_alpha", "value"] == "0.1"
    assert "CC BY-NC-SA" in card.licences({})[0]
    assert set(card.PUBLISHED["protocol"]) >= {"M10", "H5", "ICS"}


def test_csv_exports_cannot_start_a_formula(report) -> None:
    import io

    from sefreq.chem.io import FORMULA_STARTS
    from sefreq.report.tables import csv_bytes, report_csv

    crafted = ReportInput(
        **{
            **report.__dict__,
            "molecule_id": '=HYPERLINK("http://evil","x")',
            "entered": "+cmd",
            "source": "@SUM(A1)",
            "drug_name": "\t-2+3",
        }
    )
    table = pd.read_csv(io.BytesIO(report_csv(crafted)), dtype=str, keep_default_na=False)
    for column in table.columns:
        assert not table[column].str.startswith(FORMULA_STARTS).any(), column
    assert table["molecule_id"].iloc[0] == '\'=HYPERLINK("http://evil","x")'
    numbers = pd.DataFrame({"delta": [-0.5, 1.0], "name": ["-x", "y"]})
    back = pd.read_csv(io.BytesIO(csv_bytes(numbers)))
    assert back["delta"].tolist() == [-0.5, 1.0] and back["name"].tolist() == ["'-x", "y"]


def test_file_names_are_sanitised() -> None:
    from sefreq.report.tables import safe_filename

    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("a b/c\\d:e") == "a_b_c_d_e"
    assert safe_filename("=cmd|' /C calc'!A0") == "cmd_C_calc_A0"
    assert safe_filename("...") == "molecule"
    assert len(safe_filename("x" * 500)) == 80


def test_report_says_when_a_listed_side_effect_has_no_stated_frequency(report) -> None:
    known = report.known.copy()
    known["on_label"] = known["known_class"] > 0
    first = int(
        report.prediction.loc[
            report.prediction["side_effect_index"] >= 0, "side_effect_index"
        ].iloc[0]
    )
    unstated = pd.DataFrame(
        [
            {
                **{c: 0 for c in known.columns},
                "side_effect_index": first,
                "on_label": True,
                "known_median_pct": float("nan"),
            }
        ]
    )
    known = pd.concat([known[known["side_effect_index"] != first], unstated], ignore_index=True)
    table = report_table(ReportInput(**{**report.__dict__, "known": known}))
    row = table[table["side_effect_index"] == first].iloc[0]
    assert row["known_band"] == "not known" and row["known_class"] == 0
    others = table[(table["side_effect_index"] != first) & (table["known_class"] == 0)]
    assert (others["known_band"] == "not reported").all()
