"""Walk the dashboard in Chromium: look-up, profile, known, compare, report, about, explain.

Each step saves a screenshot under test-artifacts/browser/ and fails on a Streamlit
exception element or a browser console error. The steps share one tab, in order.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from tests.support.browser import ARTIFACTS, KETCHER_INIT_ERROR, check, choose_mode, go, settle

pytestmark = pytest.mark.browser


def test_01_start_page(browser_page) -> None:
    page, console = browser_page
    settle(page)
    page.get_by_role("heading", name="Drug input").wait_for()
    assert "research output, not medical advice" in page.inner_text("body")
    check(page, console, "01_input_start")


def test_02_lookup_a_brand_name(browser_page) -> None:
    page, console = browser_page
    box = page.get_by_label("Generic or brand name, label name or ATC code")
    box.fill("advil")
    box.press("Enter")
    settle(page)
    # One drug carries the brand exactly: it is taken at once, no extra click.
    page.get_by_text("ibuprofen is now the current drug.").wait_for()
    assert page.get_by_role("button", name="Use ibuprofen").count() == 0
    assert "drug=ibuprofen" in page.url  # the address carries the drug
    body = page.inner_text("body")
    assert "Standardised parent SMILES" in body
    # The 3D viewer loaded 3Dmol.js from the app's own static files (no CDN).
    frame = page.frame_locator("iframe[title='st.iframe'], iframe").last
    if (ARTIFACTS.parents[1] / "assets" / "vendor" / "3Dmol-min.js").is_file():
        frame.locator("canvas").first.wait_for(timeout=20_000)
    check(page, console, "02_input_ibuprofen")


def test_03_bad_smiles_is_a_message(browser_page) -> None:
    page, console = browser_page
    choose_mode(page, "Paste SMILES")
    area = page.get_by_role("textbox", name="SMILES, one per line")
    area.fill("C1CC(")
    page.get_by_role("button", name="Use these molecules").click()
    settle(page)
    page.get_by_text("not valid SMILES syntax").first.wait_for()
    # The sidebar redraws after the message on a loaded machine: wait for it, then check.
    page.wait_for_function("() => document.body.innerText.includes('Current drug: ibuprofen')")
    assert "Current drug: ibuprofen" in page.inner_text("body")
    check(page, console, "03_input_bad_smiles")


def test_04_profile(browser_page) -> None:
    page, console = browser_page
    go(page, "Profile")
    page.get_by_role("heading", name="Side-effect profile").wait_for()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    page.get_by_text("Frequency bands (the words of an SmPC)").wait_for()  # the page's end
    body = page.inner_text("body")
    assert "Side effects scored" in body and "Frequency bands" in body
    check(page, console, "04_profile")


def test_05_known_vs_predicted(browser_page) -> None:
    page, console = browser_page
    go(page, "Known vs predicted")
    page.get_by_text("AUROC (ranking)").wait_for()
    body = page.inner_text("body")
    assert "Predicted but not reported" in body and "Reported but predicted low" in body
    check(page, console, "05_known")


def test_06_compare(browser_page) -> None:
    page, console = browser_page
    go(page, "Compare")
    page.get_by_role("button", name="Add ibuprofen").click()
    settle(page)
    box = page.get_by_label("Name, brand or ATC code")
    box.fill("tylenol")
    box.press("Enter")
    settle(page)
    page.get_by_role("button", name="Add paracetamol").click()
    settle(page)
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    assert "Largest differences" in page.inner_text("body")
    check(page, console, "06_compare")


def test_07_report_downloads(browser_page) -> None:
    page, console = browser_page
    go(page, "Report")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = ARTIFACTS / "report.pdf"
    download.value.save_as(pdf)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv = ARTIFACTS / "report.csv"
    download.value.save_as(csv)
    assert pdf.read_bytes().startswith(b"%PDF")
    header = csv.read_text().splitlines()[0]
    assert "model_version" in header and "standardised_smiles" in header
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "ibuprofen" in text and "CC BY-NC-SA" in text
    check(page, console, "07_report")


def test_08_about(browser_page) -> None:
    page, console = browser_page
    go(page, "About")
    page.get_by_role("heading", name="Model card").wait_for()
    assert "CC BY-NC-SA" in page.inner_text("body")
    check(page, console, "08_about")


def test_09_explain(browser_page) -> None:
    page, console = browser_page
    go(page, "Explain")
    page.get_by_role("heading", name="Explain a prediction").wait_for()
    page.get_by_text("Atom contributions").wait_for(timeout=120_000)
    page.locator("[data-testid='stImage'] img").first.wait_for()
    check(page, console, "09_explain")


def test_10_draw_a_structure_in_the_offline_editor(browser_page) -> None:
    page, console = browser_page
    go(page, "Drug input")
    choose_mode(page, "Draw")
    frame = page.frame_locator("iframe[title*='ketcher']")
    frame.get_by_text("Apply").wait_for(timeout=30_000)
    # Type a structure in through Ketcher's own "Open structure" dialog, as a user would.
    frame.locator("[title='Open... (Ctrl+O)']").click()
    frame.get_by_text("Paste from clipboard", exact=False).click()
    frame.locator("textarea").last.fill("CC(=O)Nc1ccc(O)cc1")
    frame.get_by_role("button", name=re.compile("open as new|add to canvas", re.I)).first.click()
    time.sleep(1.5)
    frame.get_by_role("button", name="Apply").click()
    settle(page)
    page.get_by_role("button", name="Use the drawn structure").click()
    settle(page)
    # The drawn structure is recognised as a known drug by its InChIKey.
    page.get_by_text("paracetamol is now the current drug.").wait_for()
    check(page, console, "10_input_drawn", allow=KETCHER_INIT_ERROR)
