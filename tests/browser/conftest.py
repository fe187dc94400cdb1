"""A real Streamlit server and Debian's Chromium (through playwright) for the browser suite.

``server`` runs on the tiny dataset and model (tests/support/tiny_world.py), so the walk needs
neither the upstream data nor the bundled model; set SEFREQ_BROWSER_REAL=1 to walk the real
ones instead (skipped when they are not there). ``real_server`` always serves the upstream
data and the shipped model (skipped without them; CI has both): the clinician's flows are
checked against what users get.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    VIEWPORT,
    start_server,
    stop_server,
)


def _need_browser() -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (`make test` installs it as root)")
    pytest.importorskip("playwright")


def _need_real(why: str) -> None:
    if not (ROOT / "models" / "card.json").is_file() or not os.environ.get("SEFREQ_DATA_DIR"):
        pytest.skip(f"{why} needs models/card.json and SEFREQ_DATA_DIR")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running dashboard."""
    _need_browser()
    env = dict(os.environ)
    if os.environ.get("SEFREQ_BROWSER_REAL"):
        _need_real("SEFREQ_BROWSER_REAL")
    else:
        from tests.support.tiny_world import build_tiny_world

        world = build_tiny_world(tmp_path_factory.mktemp("browser_world"))
        env["SEFREQ_DATASET_FOLDER"] = str(world.dataset_folder)
        env["SEFREQ_MODEL_DIR"] = str(world.bundle_dir)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    process, url = start_server(env, ARTIFACTS / "server.log")
    yield url
    stop_server(process)


@dataclass
class Console:
    """Browser console errors and uncaught page errors seen so far."""

    errors: list[str] = field(default_factory=list)

    def take(self) -> list[str]:
        seen, self.errors = self.errors, []
        return seen


@pytest.fixture(scope="session")
def real_server() -> Iterator[str]:
    """Base URL of a dashboard on the upstream data and the shipped model."""
    _need_browser()
    _need_real("the real dashboard")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SEFREQ_DATASET_FOLDER", "SEFREQ_MODEL_DIR")
    }
    from sefreq.data import load_dataset

    load_dataset()  # built here, once, into the cache the server reads
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    process, url = start_server(env, ARTIFACTS / "real_server.log")
    yield url
    stop_server(process)


@pytest.fixture(scope="module")
def browser_page(server: str):
    """One Chromium tab at 1366 x 768 on the dashboard, and its console."""
    yield from _tab(server)


@pytest.fixture(scope="module")
def real_browser_page(real_server: str):
    """:func:`browser_page` on the real dashboard (:func:`real_server`)."""
    yield from _tab(real_server)


def _tab(server: str):
    from playwright.sync_api import sync_playwright

    console = Console()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                console.errors.append(
                    f"console: {message.text} ({message.location.get('url', '')})"
                )
                if message.type == "error"
                else None
            ),
        )
        # net::ERR_ABORTED is the browser cancelling its own request: Streamlit replaces
        # an iframe (the 3D viewer, a chart) on a rerun while its script is still loading.
        # Nothing failed that a user sees; a missing or broken file is a response, which the
        # console reports as an error ("Failed to load resource"), and that still fails.
        page.on(
            "requestfailed",
            lambda request: (
                console.errors.append(f"request failed: {request.url} ({request.failure})")
                if "net::ERR_ABORTED" not in (request.failure or "")
                else None
            ),
        )
        page.on(
            "pageerror",
            lambda error: console.errors.append(f"page error: {error} {(error.stack or '')[:300]}"),
        )
        page.goto(server, wait_until="domcontentloaded")
        yield page, console
        context.close()
        browser.close()
