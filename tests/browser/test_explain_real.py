"""Issue #23's Explain and ranked-chart defects, walked in Chromium on the upstream data and
the shipped model (a module of its own: each module's tab is closed before the next opens).

Screenshots: test-artifacts/browser/5x_*.png.
"""

from __future__ import annotations

import pytest

from tests.support.browser import check, go, search, settle

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

#: The ranked chart's bars, top to bottom: (side effect, chance %), as plotly placed them
#: (its calculated data: a bar's category position ``p`` and length ``s``).
BARS_TOP_TO_BOTTOM = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const names = plot._fullLayout.yaxis._categories;
  const bars = [];
  for (const trace of plot.calcdata) {
    if (trace[0].trace.type !== 'bar') continue;
    for (const bar of trace) bars.push([names[bar.p], bar.s, bar.p]);
  }
  return bars.sort((a, b) => b[2] - a[2]).map(([name, chance]) => [name, chance]);
}"""


def test_51_explain_ibuprofen_reads_plainly(real_browser_page) -> None:
    """Ibuprofen's explanation: a sentence per side effect (the shipped model's atoms move
    nausea by well under 2 points), a scale that says what it spans, fragments of radius one
    or more, each once, strongest first."""
    page, console = real_browser_page
    settle(page, timeout=180)  # the first run loads the dataset and the model
    search(page, "ibuprofen")
    page.get_by_text("ibuprofen is now the current drug.").wait_for(timeout=120_000)
    go(page, "Explain")
    settle(page, timeout=300)  # SHAP of three side effects, then the label evidence
    page.get_by_text("Atom contributions").wait_for(timeout=120_000)
    body = page.inner_text("body")
    assert "The structure barely moves the chance of" in body
    assert "less than 2" in body
    assert "The colours span ±" in body and "percentage points per atom" in body
    assert "Fragments that move" in body and "strongest first" in body
    page.get_by_text("Atom contributions").scroll_into_view_if_needed()
    check(page, console, "51_real_explain_ibuprofen_atoms")
    page.get_by_text("Fragments that move").scroll_into_view_if_needed()
    check(page, console, "51_real_explain_ibuprofen_fragments")


def test_52_profile_chart_reads_in_the_order_of_chance(real_browser_page) -> None:
    """The ranked chart, coloured by band, put a 60% "common" bar above a 70% "uncommon"
    one; its bars must fall in chance top to bottom whatever their colour."""
    page, console = real_browser_page
    go(page, "Profile")
    settle(page, timeout=300)  # the first profile places the approved drugs
    page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first.wait_for(timeout=120_000)
    bars = page.evaluate(BARS_TOP_TO_BOTTOM)
    assert len(bars) >= 10
    chances = [chance for _, chance in bars]
    assert chances == sorted(chances, reverse=True), bars
    page.locator("[data-testid='stPlotlyChart']").first.scroll_into_view_if_needed()
    check(page, console, "52_real_profile_ranked_chart")
