"""Severity on every page (issue #23, deliverable 4), in Chromium on the tiny world:
ibuprofen's labels list hepatitis, a serious term. One tab, in order; screenshots go to
test-artifacts/browser/ (``5x_*.png``)."""

from __future__ import annotations

import pytest

from sefreq.present.vocabulary import SERIOUS_MARK
from tests.support.browser import check, go, search, settle

pytestmark = pytest.mark.browser


def _serious_only(page) -> None:
    page.get_by_text(f"{SERIOUS_MARK} Serious only", exact=True).click()
    settle(page)


def test_51_profile_marks_serious_terms_and_filters_the_layout(browser_page) -> None:
    page, console = browser_page
    settle(page)
    search(page, "ibuprofen")
    page.get_by_text("ibuprofen is now the current drug.").wait_for()
    go(page, "Profile")
    # all_inner_texts() does not wait: under a loaded full run it read the page before the
    # grid was drawn (and test 53, which reads this test's switch, failed after it).
    page.locator("[data-testid='stTable']").filter(has_text="Hypotension").first.wait_for()
    tables = "".join(page.locator("[data-testid='stTable']").all_inner_texts())
    assert f"{SERIOUS_MARK} Hepatitis" in tables and "Hypotension" in tables
    check(page, console, "51_profile_serious_marked")
    _serious_only(page)
    page.get_by_role("checkbox", name=f"{SERIOUS_MARK} Serious only").wait_for()
    page.locator("[data-testid='stTable']").filter(has_text="Hepatitis").first.wait_for()
    tables = "".join(page.locator("[data-testid='stTable']").all_inner_texts())
    assert f"{SERIOUS_MARK} Hepatitis" in tables and "Hypotension" not in tables
    check(page, console, "51_profile_serious_only")


def test_52_which_drug_says_the_symptom_is_serious(browser_page) -> None:
    page, console = browser_page
    go(page, "Which drug?")
    symptom = page.get_by_role("textbox", name="Symptom")
    symptom.fill("hepatitis")
    symptom.press("Enter")
    settle(page)
    drugs = page.get_by_role("textbox", name="Medication list (paste)")
    drugs.fill("ibuprofen, furosemide, aspirin")
    drugs.press("Control+Enter")
    settle(page)
    page.get_by_text("Hepatitis is serious or medically important").wait_for()
    page.get_by_text(f"On the labels: {SERIOUS_MARK} Hepatitis").wait_for()
    check(page, console, "52_which_drug_serious")


def test_53_compare_and_report_carry_the_serious_only_switch(browser_page) -> None:
    page, console = browser_page
    go(page, "Compare")
    page.get_by_role("button", name="Add ibuprofen").click()
    settle(page)
    query = page.get_by_role("textbox", name="Name, brand or ATC code")
    query.fill("furosemide")
    query.press("Enter")
    settle(page)
    page.get_by_role("button", name="Add furosemide").click()
    settle(page, timeout=120)
    assert page.get_by_role("checkbox", name=f"{SERIOUS_MARK} Serious only").is_checked()
    check(page, console, "53_compare_serious_only")
    _serious_only(page)  # off: every term, serious ones first among equals
    check(page, console, "53_compare_all")
    _serious_only(page)  # on again for the report
    go(page, "Report")
    settle(page, timeout=120)
    assert page.get_by_role("checkbox", name=f"{SERIOUS_MARK} Serious only").is_checked()
    check(page, console, "53_report_serious_only")


def test_54_known_and_explain_mark_serious_terms(browser_page) -> None:
    """Known vs predicted says what the mark means beside its tables; Explain's side-effect
    picker offers a serious term marked, as every other page names it."""
    page, console = browser_page
    go(page, "Known vs predicted")
    page.get_by_text(f"{SERIOUS_MARK} serious: a medically important").first.wait_for()
    check(page, console, "54_known_serious_legend")
    go(page, "Explain")
    page.get_by_text("Atom contributions").wait_for(timeout=120_000)
    page.locator("[data-testid='stMultiSelect']").first.click()
    page.keyboard.type("Hepat")
    page.get_by_role("option", name=f"{SERIOUS_MARK} Hepatitis").wait_for()
    check(page, console, "54_explain_picker_serious")
    page.keyboard.press("Escape")
