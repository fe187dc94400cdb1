"""Many people at once: concurrent browser sessions against one `streamlit run app.py`.

Starts the dashboard on a free loopback port (nothing else is contacted), then drives
``--sessions`` Chromium tabs at the same time (one browser, a context each, so no cookies
or session state are shared). Each session does what a user would:

1. look a known drug up by name and use it (a different drug per session, so no session
   is served another's cached prediction);
2. open Profile and wait for its chart: **time to profile** is from pressing "Use <drug>"
   to the chart drawn;
3. open Explain and wait for the atom-contribution drawing (SHAP, top 3 side effects);
4. open Report and download the CSV and the PDF.

It prints, per step, the median and 95th percentile over sessions; the errors (a Streamlit
exception or error box, a failed download, a step past ``--step-timeout``); the server's
peak resident memory (VmHWM of the server process, from /proc); and how many times the
server log says the dataset, the model and the explainer were loaded (once each is the
goal: ``st.cache_resource`` shares them between sessions). Bounded: at most 50 sessions,
and the whole run stops after ``--time-limit`` seconds.

    .venv/bin/python benchmarks/load_test.py [--sessions 20] [--time-limit 900]

A benchmark, not a test: it asserts nothing (it exits 1 when a session had an error).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The browser suite's server and Chromium helpers (tests/support/browser.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, start_server, stop_server

MAX_SESSIONS = 50
STEPS = ("lookup", "profile", "explain", "report")


def drug_names(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct known drugs with a structure, each found first by its own name
    (a seeded sample)."""
    from sefreq.data import load_dataset
    from sefreq.present.lookup import lookup_drug

    dataset = load_dataset()
    scorable = dataset.drugs[dataset.drugs["has_structure"].astype(bool)]
    names = sorted(scorable["name"].dropna().unique())
    random.Random(seed).shuffle(names)
    chosen = []
    for name in names:
        best = lookup_drug(name, dataset.names, dataset.drugs, limit=1)
        if len(best) and best["drug"].iloc[0] == name and name.isascii():
            chosen.append(name)
        if len(chosen) == n:
            break
    return chosen


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def idle(page, timeout: float) -> None:
    """Until the script run is over: not running, no spinner."""
    deadline = time.monotonic() + timeout
    await asyncio.sleep(0.2)
    while time.monotonic() < deadline:
        state = await page.get_attribute("[data-testid='stApp']", "data-test-script-state")
        spinners = await page.locator("[data-testid='stSpinner']").count()
        if state == "notRunning" and not spinners:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the page did not finish its run")


async def problems(page) -> list[str]:
    """Streamlit exception elements and error boxes on the page."""
    found = []
    for selector in ("[data-testid='stException']", "[data-testid='stAlertContentError']"):
        for k in range(await page.locator(selector).count()):
            found.append((await page.locator(selector).nth(k).inner_text())[:200])
    return found


async def go(page, title: str, timeout: float) -> None:
    await page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    await idle(page, timeout)


async def visit(page, title: str, *ready: str) -> float:
    """Open page ``title`` from the sidebar; seconds until every ``ready`` selector shows."""
    started = time.perf_counter()
    await page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    for selector in ready:
        await page.locator(selector).first.wait_for()
    return time.perf_counter() - started


async def session(browser, url: str, drug: str, timeout: float, downloads: Path) -> dict:
    """One user's walk; the time of each step, or the error that stopped it."""
    context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(timeout * 1000)
    result: dict = {"drug": drug, "errors": []}
    step = "open"
    try:
        started = time.perf_counter()
        await page.goto(url)
        await page.get_by_role("heading", name="Drug input").wait_for()
        await idle(page, timeout)
        result["open"] = time.perf_counter() - started

        step = "lookup"
        started = time.perf_counter()
        box = page.get_by_label("Generic or brand name, label name or ATC code")
        await box.fill(drug)
        await box.press("Enter")
        await idle(page, timeout)
        await page.get_by_role("button", name=f"Use {drug}", exact=True).click()
        await page.get_by_text(f"{drug} is now the current drug.").wait_for()
        await idle(page, timeout)
        result["lookup"] = time.perf_counter() - started

        step = "profile"
        result["profile"] = await visit(page, "Profile", "[data-testid='stPlotlyChart']")
        await idle(page, timeout)
        result["errors"] += await problems(page)

        step = "explain"
        result["explain"] = await visit(
            page, "Explain", "text=Atom contributions", "[data-testid='stImage']"
        )
        await idle(page, timeout)
        result["errors"] += await problems(page)

        step = "report"
        started = time.perf_counter()
        await go(page, "Report", timeout)
        for button, magic in (("Download CSV", b""), ("Download PDF", b"%PDF")):
            async with page.expect_download() as info:
                await page.get_by_role("button", name=button).click()
            download = await info.value
            path = downloads / f"{re.sub(r'[^A-Za-z0-9]+', '_', drug)}_{button[-3:]}"
            await download.save_as(path)
            if path.stat().st_size < 100 or not path.read_bytes().startswith(magic):
                result["errors"].append(f"{button}: a {path.stat().st_size}-byte file")
        result["report"] = time.perf_counter() - started
        result["errors"] += await problems(page)
    except Exception as error:  # a benchmark reports every failure, whatever it is
        result["errors"].append(f"{step}: {type(error).__name__}: {str(error)[:160]}")
    finally:
        await context.close()
    return result


async def drive(url: str, drugs: list[str], timeout: float, time_limit: float, pid: int):
    from playwright.async_api import async_playwright

    samples: list[float] = []

    async def sample_memory() -> None:
        while True:
            samples.append(rss_mb(pid))
            await asyncio.sleep(0.5)

    with tempfile.TemporaryDirectory() as folder:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            sampler = asyncio.create_task(sample_memory())
            started = time.perf_counter()
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(
                        *(session(browser, url, d, timeout, Path(folder)) for d in drugs)
                    ),
                    time_limit,
                )
            finally:
                sampler.cancel()
                await browser.close()
            wall = time.perf_counter() - started
    return results, wall, samples


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (<= 50)")
    parser.add_argument("--step-timeout", type=float, default=300, help="seconds per step")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the run")
    args = parser.parse_args()
    n = max(1, min(args.sessions, MAX_SESSIONS))
    drugs = drug_names(n)
    log = Path(tempfile.mkdtemp()) / "server.log"
    server, url = start_server(env={**os.environ, "PYTHONUNBUFFERED": "1"}, log=log)
    try:
        idle_rss = rss_mb(server.pid)
        results, wall, samples = asyncio.run(
            drive(url, drugs, args.step_timeout, args.time_limit, server.pid)
        )
        peak = peak_rss_mb(server.pid)
    finally:
        stop_server(server)
    text = log.read_text()
    loads = {
        what: len(re.findall(f"loaded the {what} ", text))
        for what in ("dataset", "model", "explainer")
    }
    tracebacks = text.count("Traceback")

    failed = [r for r in results if r["errors"]]
    print(f"{n} concurrent sessions against one server ({os.cpu_count()} cores), {wall:.0f} s")
    print(f"{'step':<10}{'done':>6}{'p50 (s)':>10}{'p95 (s)':>10}{'max (s)':>10}")
    for step in ("open", *STEPS):
        times = [r[step] for r in results if step in r]
        print(
            f"{step:<10}{len(times):>6}{percentile(times, 50):>10.1f}"
            f"{percentile(times, 95):>10.1f}{max(times, default=float('nan')):>10.1f}"
        )
    print(f"sessions with an error: {len(failed)} of {n}; tracebacks in the server log: "
          f"{tracebacks}")  # fmt: skip
    for r in failed:
        print(f"  {r['drug']}: {'; '.join(r['errors'])[:300]}")
    print(
        f"server memory: {idle_rss:.0f} MB when started, peak {peak:.0f} MB (VmHWM), "
        f"highest sample {max(samples, default=float('nan')):.0f} MB"
    )
    print(
        "loaded per server process: "
        + ", ".join(f"{what} {count}x" for what, count in loads.items())
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
