"""Reports people read (issue #14, part 4): the profile PDF holds the SmPC 4.8 table, a
chart, the applicability domain, the evidence and the licences; the CSV carries the SmPC
rows with provenance; any exported table (a comparison) breaks across pages without losing
a row. The PDFs are read back as text (pdftotext) and as images (pdftoppm, pdfimages)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sefreq.constants import DISCLAIMER, DRUG_NAMES_LICENCE, FREQUENCY_BANDS, SIDER_LICENCE
from sefreq.model.artifact import ModelCard
from sefreq.model.predictor import Predictor
from sefreq.present.evidence import label_evidence
from sefreq.present.profile import domain_summary
from sefreq.present.smpc import LABEL, PREDICTION, SMPC_BANDS, SMPC_COLUMNS, smpc_table
from sefreq.present.standout import STANDOUT_COLUMNS
from sefreq.report import (
    ReportInput,
    build_pdf,
    smpc_csv,
    smpc_report_table,
    table_csv,
    table_pdf,
)
from sefreq.report.pdf import PREDICTION_MARK, smpc_bands, smpc_cells
from sefreq.report.tables import SIDER_VERSION, SMPC_PROVENANCE
from tests.support import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "reports"
#: fpdf2's bottom margin (mm) in points: no text but the footer may sit below it.
BOTTOM_MARGIN_PT = 15 * 72 / 25.4
THRESHOLD = 20.0


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (poppler-utils); `make test` installs it")


def _squash(text: str) -> str:
    """Text without any whitespace: a term wrapped over two lines still reads as one."""
    return "".join(text.split())


def _text(path: Path, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text in drawing order (-raw): a table cell's lines stay together."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(
        ["pdftotext", "-raw", *pages, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


def _words_below_margin(path: Path) -> list[str]:
    """Words drawn below the bottom margin, the page footer aside: text a page break cut."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    low = []
    for page in re.finditer(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', html, re.S):
        limit = float(page.group(1)) - BOTTOM_MARGIN_PT + 1
        words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
                           page.group(2))  # fmt: skip
        for y_min, y_max, word in words:
            footer = float(y_min) > limit + 5  # the footer line, 11 mm from the edge
            if float(y_max) > limit and not footer:
                low.append(word)
    return low


def _coloured_fraction(png: Path) -> float:
    """Share of pixels with a clear hue (the chart's bars; text and rules are grey)."""
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return float((spread > 60).mean())


@pytest.fixture(scope="module")
def predictor(tiny_world) -> Predictor:
    return Predictor.from_directory(tiny_world.bundle_dir)


@pytest.fixture(scope="module")
def report(predictor, tiny_world) -> ReportInput:
    smiles = tiny_world.dataset.drugs.loc[1, "parent_smiles"]
    return ReportInput(
        molecule_id="ibuprofen",
        entered="Advil",
        source="look-up",
        input_smiles="CC(C)Cc1ccc(cc1)C(C)C(=O)O",
        parent_smiles=smiles,
        prediction=predictor.predict(smiles, ids=["ibuprofen"]),
        card=predictor.card,
        drug_name="ibuprofen",
        known=label_evidence(tiny_world.dataset, 1),
        dataset=tiny_world.dataset,
        drug_index=1,
        threshold_pct=THRESHOLD,
    )


@pytest.fixture(scope="module")
def profile_pdf(report, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "profile.pdf"
    path.write_bytes(build_pdf(report))
    return path


# --------------------------------------------------------------------------- the CSV


def test_smpc_csv_has_the_rows_of_smpc_table_with_provenance(report, tiny_world) -> None:
    expected = smpc_table(report.prediction, tiny_world.dataset, 1, THRESHOLD)
    assert {LABEL, PREDICTION} <= set(expected["source"])  # both kinds are exercised
    table = smpc_report_table(report)
    pd.testing.assert_frame_equal(table[list(SMPC_COLUMNS)], expected)

    written = pd.read_csv(io.BytesIO(smpc_csv(report)), keep_default_na=False)
    assert list(written.columns) == [*SMPC_COLUMNS, *STANDOUT_COLUMNS, *SMPC_PROVENANCE]
    keys = ["organ_class", "smpc_band", "side_effect", "source"]
    assert written[keys].to_numpy().tolist() == expected[keys].to_numpy().tolist()
    assert written["side_effect_index"].tolist() == expected["side_effect_index"].tolist()
    # rounded numbers (not 15 decimals), no "None", the SmPC words
    assert written["p_reported_pct"].astype(str).str.split(".").str[-1].str.len().max() == 1
    assert "None" not in smpc_csv(report).decode()
    assert set(written["smpc_band"]) <= set(SMPC_BANDS)
    # each term once, under its primary organ class; the others named beside it
    assert written["side_effect_index"].is_unique
    somnolence = written[written["side_effect"] == "Somnolence"]
    assert somnolence["organ_class"].tolist() == ["Nervous system disorders"]
    assert somnolence["secondary_organ_classes"].tolist() == ["Psychiatric disorders"]
    assert np.allclose(written["p_reported_pct"], expected["p_reported_pct"], atol=0.05)  # 0.1
    assert written["n_labels"].tolist() == expected["n_labels"].tolist()
    domain = domain_summary(report.prediction)
    assert (written["sider_version"] == SIDER_VERSION).all()
    assert (written["model_version"] == "0.0.tiny").all()
    assert (written["generated_at"] == report.created).all()
    assert (written["molecule_id"] == "ibuprofen").all() and (written["input"] == "Advil").all()
    assert (written["in_domain"].astype(str) == str(domain["in_domain"])).all()
    assert (written["nearest_drug"] == domain["nearest_drug"]).all()
    assert np.allclose(written["max_similarity"], domain["max_similarity"], atol=1e-3)
    from_labels = written["source"] == LABEL
    assert written.loc[from_labels, "known_source"].str.startswith(SIDER_VERSION).all()
    assert (written.loc[~from_labels, "known_source"] == "").all()
    assert (written.loc[~from_labels, "p_reported_pct"] >= THRESHOLD).all()


# --------------------------------------------------------------------------- the profile PDF


def test_profile_pdf_holds_the_smpc_table_with_predictions_marked(report, profile_pdf) -> None:
    _need("pdftotext", "pdftoppm")
    text = _squash(_text(profile_pdf))
    for heading in ("System organ class", "SmPC 4.8", *SMPC_BANDS):
        assert _squash(heading) in text, heading
    table = smpc_report_table(report)
    labels = table.loc[table["source"] == LABEL, "side_effect"].unique()
    predicted = table.loc[table["source"] == PREDICTION, "side_effect"].unique()
    assert len(labels) and len(predicted)
    for name in labels:  # the drug's label terms, printed as they are
        assert _squash(name) in text, name
        assert _squash(f"{name}{PREDICTION_MARK}") not in text, f"{name} marked as predicted"
    for name in predicted:  # the model's, marked
        assert _squash(f"{name}{PREDICTION_MARK}") in text, name
    assert _squash(f"{PREDICTION_MARK} SEFreq prediction for a term the labels do not") in text
    # Every cell of the layout comes out whole, in the order it was drawn.
    for cells in smpc_cells(table):
        for terms in cells[1:]:
            assert _squash(", ".join(terms)) in text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first = ARTIFACTS / "profile_page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(profile_pdf),
         str(first)], check=True,
    )  # fmt: skip
    with Image.open(first.with_suffix(".png")) as image:
        grey = np.asarray(image.convert("L"))
    assert (grey < 200).mean() > 0.02  # a page with text and a table, not a blank one


def test_profile_pdf_states_domain_evidence_disclaimer_and_licences(report, profile_pdf) -> None:
    _need("pdftotext")
    text = _squash(_text(profile_pdf))
    domain = domain_summary(report.prediction)
    verdict = "Inside the model's applicability domain" if domain["in_domain"] else "OUTSIDE"
    assert _squash(verdict) in text
    assert _squash(f"nearest training drug {domain['nearest_drug']}") in text
    assert _squash(f"Tanimoto similarity {domain['max_similarity']:.2f}") in text
    for expected in (
        "Evidence sources",
        f"Drug labels: {SIDER_VERSION}",
        "SEFreq model 0.0.tiny",
        f"Report generated {report.created}",
        DISCLAIMER,
        SIDER_LICENCE,
        DRUG_NAMES_LICENCE,
        "CC BY-NC 4.0",
        "CC BY-SA 4.0",
    ):
        assert _squash(expected) in text, expected
    assert not _words_below_margin(profile_pdf)


def test_profile_pdf_chart_is_an_image_that_renders(profile_pdf, tmp_path) -> None:
    _need("pdfimages", "pdftoppm")
    listing = subprocess.run(
        ["pdfimages", "-list", str(profile_pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    images = [(int(row.split()[0]), int(row.split()[3])) for row in listing]  # page, width
    assert len(images) >= 2  # the structure and the chart
    page, width = max(images, key=lambda image: image[1])
    assert width >= 900  # the chart: 7 in at 150 dpi
    out = tmp_path / "chart_page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page), "-singlefile",
         str(profile_pdf), str(out)], check=True,
    )  # fmt: skip
    assert _coloured_fraction(out.with_suffix(".png")) > 0.01  # the bars, in band colours


def test_pdf_of_a_new_molecule_marks_every_term_as_predicted(predictor, tmp_path) -> None:
    _need("pdftotext")
    smiles = "CCCCCCCCCCCCCCCC(=O)O"
    new = ReportInput(
        molecule_id="palmitic",
        entered=smiles,
        source="pasted",
        input_smiles=smiles,
        parent_smiles=smiles,
        prediction=predictor.predict(smiles, ids=["palmitic"]),
        card=predictor.card,
        threshold_pct=THRESHOLD,
    )
    table = smpc_report_table(new)
    assert (table["source"] == PREDICTION).all()
    path = tmp_path / "new.pdf"
    path.write_bytes(build_pdf(new))
    text = _squash(_text(path))
    assert _squash("No label data for this molecule: every term is a SEFreq prediction") in text
    for name in table["side_effect"].unique():
        assert _squash(f"{name}{PREDICTION_MARK}") in text
    assert _squash("Drug labels: none") in text


def _synthetic_prediction(n: int) -> pd.DataFrame:
    """The predictor's long rows for ``n`` made-up side effects in three organ classes, all
    likely reported, with Unicode in their names."""
    classes = np.arange(n) % 5 + 1
    return pd.DataFrame(
        {
            "id": "long",
            "side_effect_index": np.arange(n),
            "side_effect": [f"Œdème façon-{k:04d} ß" for k in range(n)],
            "organ_classes": [
                ("Nervous system disorders", "Cardiac disorders|Eye disorders", "Investigations")[
                    k % 3
                ]
                for k in range(n)
            ],
            "p_association": np.linspace(0.99, 0.6, n),
            "uncertainty": 0.02,
            "frequency_class": classes,
            "band": [FREQUENCY_BANDS[c].label for c in classes],
            "expected_frequency": classes.astype(float),
            "conformal_set": [f"{c}" for c in classes],
            "in_domain": False,
            "known_mechanism": False,
            "max_similarity": 0.12,
            "nearest_drug": "ibuprofène",
        }
    )


def test_a_long_smpc_table_breaks_across_pages_without_losing_a_term(predictor, tmp_path):
    _need("pdftotext", "pdfinfo")
    prediction = _synthetic_prediction(700)
    long = ReportInput(
        molecule_id="long",
        entered="CCO",
        source="pasted",
        input_smiles="CCO",
        parent_smiles="CCO",
        prediction=prediction,
        card=predictor.card,
        drug_name="Aspirin® — 阿司匹林 Ωmega",  # CJK: not in the font, printed as "?"
    )
    path = tmp_path / "long.pdf"
    path.write_bytes(build_pdf(long))
    assert _pages(path) >= 4
    text = _squash(_text(path))
    for name in prediction["side_effect"]:
        assert _squash(f"{name}{PREDICTION_MARK}") in text, name
    assert "(continued)" in text and "Aspirin®—????Ωmega" in text
    assert "OUTSIDE" in text and "ibuprofène" in text
    # The header is repeated on the pages the table continues on, and nothing is cut off.
    second = _squash(_text(path, 2, 2))
    assert "Systemorganclass" in second and "(continued)" in second
    assert not _words_below_margin(path)


# --------------------------------------------------------------------------- any table


def test_a_two_page_table_export_keeps_every_row(tmp_path) -> None:
    _need("pdftotext", "pdfinfo")
    frame = pd.DataFrame(
        {"aspirin": np.linspace(90, 1, 120), "ibuprofen": np.linspace(1, 90, 120)},
        index=pd.Index([f"Side effect {k:03d}" for k in range(120)], name="side_effect"),
    )
    card = ModelCard(model_version="9.9")
    path = tmp_path / "table.pdf"
    path.write_bytes(table_pdf(frame, "Two drugs", ["Cells: chance (%)."], card, created="now"))
    assert _pages(path) >= 2
    text = _squash(_text(path))
    for expected in ("Two drugs", "Cells: chance (%).", "SEFreq model 9.9", DISCLAIMER):
        assert _squash(expected) in text, expected
    for name in frame.index:
        assert _squash(name) in text, name
    assert "side_effectaspirinibuprofen" in _squash(_text(path, 2, 2))  # header repeated
    assert not _words_below_margin(path)

    csv = table_csv(frame, card, "now", drugs="aspirin; ibuprofen")
    written = pd.read_csv(io.BytesIO(csv), dtype={"model_version": str})
    assert written["side_effect"].tolist() == frame.index.tolist()
    assert np.allclose(written["aspirin"], frame["aspirin"])
    assert set(written[["drugs", "sider_version", "model_version", "generated_at"]].iloc[0]) == {
        "aspirin; ibuprofen",
        SIDER_VERSION,
        "9.9",
        "now",
    }


def test_the_comparison_exports_as_csv_and_pdf(predictor, tiny_world, tmp_path) -> None:
    _need("pdftotext")
    from sefreq.present import compare

    if not hasattr(compare, "band_comparison"):
        pytest.skip("sefreq.present.compare has no band_comparison yet")
    drugs = tiny_world.dataset.drugs
    entries = {
        drugs.loc[k, "name"]: (
            predictor.predict(drugs.loc[k, "parent_smiles"], ids=[str(k)]),
            k,
        )
        for k in (1, 22)
    }
    frame = compare.band_comparison(compare.comparison_cells(entries, tiny_world.dataset, 20.0))
    assert len(frame)
    written = pd.read_csv(io.BytesIO(table_csv(frame, predictor.card)), keep_default_na=False)
    assert written[list(frame.columns)].astype(str).to_numpy().tolist() == (
        frame.astype(str).to_numpy().tolist()
    )
    path = tmp_path / "compare.pdf"
    path.write_bytes(table_pdf(frame, "Compared", card=predictor.card))
    text = _squash(_text(path))
    for drug in entries:
        assert _squash(drug) in text
    for row in frame.itertuples(index=False):
        assert _squash(row.side_effect) in text


# --------------------------------------------------------------------------- the page


def test_the_pdf_table_has_only_the_bands_that_hold_a_term(report) -> None:
    """Warfarin's labels state no frequency: one "not known" column, not five empty ones."""
    table = smpc_report_table(report)
    assert smpc_bands(table) == [band for band in SMPC_BANDS if band in set(table["smpc_band"])]
    unstated = table[table["source"] == LABEL].assign(smpc_band=SMPC_BANDS[-1])
    assert smpc_bands(unstated) == ["not known"]
    assert all(len(row) == 2 for row in smpc_cells(unstated))  # organ class, then one cell


def test_the_pdf_names_the_mechanism_and_the_proteins_behind_the_top_side_effects(
    predictor, tmp_path
):
    _need("pdftotext")
    import pandas as pd

    from sefreq.explain.mechanism import EVIDENCE_COLUMNS, MechanismExplanation

    proteins = pd.DataFrame(
        {
            "uniprot_id": ["P35367", "Q12809"],
            "protein": ["Histamine H1 receptor", ""],
            "category": "target",
            "source": "DrugBank",
            "chance": 1.0,
        }
    )
    evidence = pd.DataFrame(
        [
            ["somnolence", "P35367", "Histamine H1 receptor", "DrugBank", 1.0, 65, 56, 985, 474,
             0.86, 0.48, 1.8, 5.5e-10],
            ["nausea", "Q12809", "", "DrugBank", 1.0, 40, 20, 1000, 700, 0.5, 0.7, 0.7, 0.9],
        ],
        columns=EVIDENCE_COLUMNS,
    )  # fmt: skip
    mechanism = MechanismExplanation("CCO", "known targets from DrugBank / DrugCentral",
                                     proteins, evidence)  # fmt: skip
    report = ReportInput(
        molecule_id="m", entered="CCO", source="pasted", input_smiles="CCO",
        parent_smiles="CCO", prediction=_synthetic_prediction(20), card=predictor.card,
        mechanism=mechanism,
    )  # fmt: skip
    path = tmp_path / "mechanism.pdf"
    path.write_bytes(build_pdf(report))
    text = _squash(_text(path))
    assert "Mechanism" in text
    assert (
        _squash("known targets from DrugBank / DrugCentral: Histamine H1 receptor, Q12809") in text
    )
    # Only significant evidence (p < 0.05) is tabulated: H1 and somnolence, not nausea.
    assert _squash("86% vs 48%") in text and _squash("50% vs 70%") not in text


def test_smpc_csv_says_how_serious_each_term_is(report) -> None:
    written = pd.read_csv(io.BytesIO(smpc_csv(report)), keep_default_na=False)
    tiers = dict(zip(written["side_effect"], written["severity"], strict=True))
    assert set(tiers.values()) <= {"serious", "moderate", "minor"}
    assert tiers.get("Agranulocytosis", "serious") == "serious"
    assert tiers.get("Hepatitis", "serious") == "serious"
    assert tiers.get("Headache", "moderate") == "moderate"


def test_the_pdf_marks_serious_terms_and_says_what_the_mark_means(report, tmp_path) -> None:
    """Issue #23, deliverable 4: a serious term carries the mark in the PDF's SmPC grid (a
    mark its font draws: read back as text), and a legend says what it means and the source."""
    from sefreq.present.vocabulary import SERIOUS_MARK
    from sefreq.report.pdf import SERIOUS_PDF_LEGEND

    _need("pdftotext")
    path = tmp_path / "serious.pdf"
    path.write_bytes(build_pdf(report))
    raw = _text(path)
    text = _squash(raw)
    table = smpc_report_table(report)
    serious = table.loc[table["severity"] == "serious", "side_effect"].tolist()
    assert "Hepatitis" in serious
    for name in serious:
        assert _squash(f"{SERIOUS_MARK} {name}") in text, name
    for name in table.loc[table["severity"] != "serious", "side_effect"]:
        assert _squash(f"{SERIOUS_MARK} {name}") not in text, name
    assert "?Hepatitis" not in text  # the font draws the mark
    assert _squash(SERIOUS_PDF_LEGEND) in text
    assert _squash("serious or medically important") in text
    assert _squash("EMA/326038/2020") in text and _squash("severity.csv") in text
    # and the serious term leads its cell
    for cells in smpc_cells(table):
        for terms in cells[1:]:
            marked = [t.startswith(SERIOUS_MARK) for t in terms]
            assert marked == sorted(marked, reverse=True), terms


def test_a_serious_only_report_holds_the_serious_terms_alone(report, tmp_path) -> None:
    """'Serious only' applies to the report: the SmPC CSV, the long CSV and the PDF."""
    from dataclasses import replace

    from sefreq.report import report_csv

    _need("pdftotext")
    serious = replace(report, serious_only=True)
    smpc = pd.read_csv(io.BytesIO(smpc_csv(serious)), keep_default_na=False)
    assert len(smpc) and smpc["severity"].eq("serious").all()
    full = pd.read_csv(io.BytesIO(report_csv(serious)), keep_default_na=False)
    assert len(full) and full["severity"].eq("serious").all()
    assert full["severity_reason"].str.len().gt(0).all()
    everything = pd.read_csv(io.BytesIO(report_csv(report)), keep_default_na=False)
    assert set(everything["severity"]) >= {"serious", "moderate"}
    path = tmp_path / "serious_only.pdf"
    path.write_bytes(build_pdf(serious))
    text = _squash(_text(path))
    assert _squash("Serious terms only") in text
    assert "Hepatitis" in text and "Headache" not in text  # in none of its tables
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(build_pdf(report))
    assert "Headache" in _squash(_text(whole))
