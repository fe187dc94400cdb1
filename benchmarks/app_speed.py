"""How fast the dashboard feels: server start to first interactive page, and SMILES to profile.

Drives Debian's Chromium through playwright against `streamlit run app.py`, on the data and
model the app finds (SEFREQ_DATA_DIR, models/), and prints medians over several runs:

    .venv/bin/python benchmarks/app_speed.py [--runs 5]

1. start: from launching the server process to the Drug input page drawn and idle in a
   fresh browser tab (each run a new server, so caches are cold: dataset and model load).
2. profile: in one warm session, from pressing "Use these molecules" with a SMILES not seen
   before to the Profile page's chart drawn (standardise, predict 994 side effects, draw).
A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# The browser suite's server and Chromium helpers (tests/support/browser.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    VIEWPORT,
    start_server,
    stop_server,
)

# Distinct small drug-like molecules, so no run hits the prediction cache.
MOLECULES = [
    "CC(C)Cc1ccc(cc1)C(C)C(=O)OC",
    "COc1ccc2cc(ccc2c1)C(C)C(=O)OCC",
    "CC(=O)Nc1ccc(OC)cc1",
    "CN1CCN(CC1)c1ccc(F)cc1",
    "O=C(O)c1ccccc1NC(=O)C",
    "CCOC(=O)c1ccc(N)cc1",
    "Clc1ccc(cc1)C(=O)NCCN",
    "CC(C)NCC(O)c1ccc(O)c(O)c1",
    "COc1cc(CCN)cc(OC)c1OC",
    "CC1=CC(=O)c2ccccc2C1=O",
    "NC(=O)c1cccnc1",
    "OC(=O)CCc1ccc(O)cc1",
]


def wait_idle(page, timeout: float = 120) -> None:
    """Until the script run is over (no running state, no spinner)."""
    deadline = time.monotonic() + timeout
    time.sleep(0.1)
    while time.monotonic() < deadline:
        state = page.get_attribute("[data-testid='stApp']", "data-test-script-state")
        if state == "notRunning" and not page.locator("[data-testid='stSpinner']").count():
            return
        time.sleep(0.05)
    raise RuntimeError("page did not become idle")


def measure_start(playwright, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        server, url = start_server()
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.get_by_role("heading", name="Drug input").wait_for(timeout=120_000)
            page.wait_for_selector("[data-testid='stSidebarNav']", timeout=120_000)
            wait_idle(page)
            times.append(time.perf_counter() - started)
            browser.close()
        finally:
            stop_server(server)
    return times


def measure_profile(playwright, runs: int) -> list[float]:
    server, url = start_server()
    times = []
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        page.get_by_role("heading", name="Drug input").wait_for(timeout=120_000)
        wait_idle(page)
        # Warm-up: the first prediction loads the model (measured by "start" instead).
        for index, smiles in enumerate([MOLECULES[-1], *MOLECULES[:runs]]):
            nav = page.locator("[data-testid='stSidebarNav']")
            nav.get_by_text("Drug input", exact=True).click()
            wait_idle(page)
            page.locator("[data-testid='stRadio']").get_by_text("Paste SMILES", exact=True).click()
            wait_idle(page)
            page.get_by_role("textbox", name="SMILES, one per line").fill(f"{smiles} bench{index}")
            page.get_by_role("textbox", name="SMILES, one per line").blur()
            wait_idle(page)
            started = time.perf_counter()
            page.get_by_role("button", name="Use these molecules").click()
            page.get_by_text(f"bench{index} is now the current drug.").wait_for(timeout=120_000)
            nav.get_by_text("Profile", exact=True).click()
            page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=120_000)
            wait_idle(page)
            if index:
                times.append(time.perf_counter() - started)
        browser.close()
    finally:
        stop_server(server)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    runs = max(1, min(args.runs, len(MOLECULES) - 1))
    model = os.environ.get("SEFREQ_MODEL_DIR") or str(ROOT / "models")
    data = os.environ.get("SEFREQ_DATASET_FOLDER") or os.environ.get("SEFREQ_DATA_DIR", "default")
    print(f"model: {model}\ndata: {data}\nruns: {runs}")
    with sync_playwright() as playwright:
        start = measure_start(playwright, runs)
        profile = measure_profile(playwright, runs)
    for name, values in (
        ("server start -> first interactive page", start),
        ("SMILES entered -> profile drawn", profile),
    ):
        print(
            f"{name}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
