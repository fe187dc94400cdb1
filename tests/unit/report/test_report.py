"""The CSV and PDF reports of one prediction, on the tiny world (the SmPC reports:
test_pdf.py)."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from sefreq.constants import DISCLAIMER, SIDER_LICENCE
from sefreq.model.predictor import Predictor
from sefreq.present.evidence import label_evidence
from sefreq.present.known import agreement, comparison_table
from sefreq.report import ReportInput, build_pdf, report_table


@pytest.fixture(scope="module")
def predictor(tiny_world) -> Predictor:
    return Predictor.from_directory(tiny_world.bundle_dir)


@pytest.fixture(scope="module")
def ibuprofen(predictor, tiny_world) -> pd.DataFrame:
    smiles = tiny_world.dataset.drugs.loc[1, "parent_smiles"]
    return predictor.predict(smiles, ids=["ibuprofen"])


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
        known=label_evidence(tiny_world.dataset, 1),
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
    # The first predicted term made a listed pair without a frequency, as label_evidence
    # states one (its test: tests/unit/present/test_evidence.py); every other term of the
    # drug not listed, so "not reported".
    known = report.known.copy()
    known["on_label"] = known["label_class"] > 0
    known["label_band"] = known["label_band"].where(known["on_label"], "not reported")
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
                "label_band": "not known",
                "label_median_pct": float("nan"),
            }
        ]
    )
    known = pd.concat([known[known["side_effect_index"] != first], unstated], ignore_index=True)
    table = report_table(ReportInput(**{**report.__dict__, "known": known}))
    row = table[table["side_effect_index"] == first].iloc[0]
    assert row["known_band"] == "not known" and row["known_class"] == 0
    others = table[(table["side_effect_index"] != first) & (table["known_class"] == 0)]
    assert (others["known_band"] == "not reported").all()
