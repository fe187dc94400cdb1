"""What the browser tests and ``benchmarks/app_speed.py`` share: a headless dashboard on a
free port and the Chromium they drive it with. (A module of its own: test files must not
import ``conftest``.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots, downloads and the server log of the browser suite (gitignored).
ARTIFACTS = ROOT / "test-artifacts" / "browser"

CHROMIUM = os.environ.get("SEFREQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    env: dict[str, str] | None = None, log: Path | None = None, timeout: float = 120
) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on a free loopback port; (process, base URL) once healthy.

    ``env``: the server's environment (default: this one); ``log``: where its output goes
    (default: discarded).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    output = log.open("w") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def tail() -> str:
        return log.read_text()[-2000:] if log is not None else "(no log)"

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early: {tail()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.05)
    stop_server(process)
    raise RuntimeError(f"streamlit did not become healthy: {tail()}")


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server :func:`start_server` started."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


# --------------------------------------------------------------------------- driving a page


def settle(page, timeout: float = 60) -> None:
    """Wait until the script run has finished and the page stopped changing."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    time.sleep(0.3)
    while time.monotonic() < deadline:
        state = page.get_attribute("[data-testid='stApp']", "data-test-script-state")
        if state != "running" and not page.locator("[data-testid='stSpinner']").count():
            break
        time.sleep(0.2)
    time.sleep(0.6)  # let charts and iframes draw


#: streamlit-ketcher 0.0.1 reads ``ketcher.eventBus`` in a React effect before Ketcher has
#: initialised, inside its own frame; the editor works regardless (test_10 draws with it).
#: Only this error, only from that component's script, is tolerated, and only on its page.
KETCHER_INIT_ERROR = ("reading 'eventBus'", "/component/streamlit_ketcher.")


def check(page, console, name: str, allow: tuple[str, str] | None = None) -> None:
    """Screenshot, then fail on an exception element or a console error."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()
    errors = console.take()
    if allow:
        errors = [e for e in errors if not all(part in e for part in allow)]
    assert not errors, errors


def go(page, title: str) -> None:
    """Open a page through the sidebar navigation (keeps the session)."""
    page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    settle(page)


def threshold(page) -> int:
    """The value the page's threshold slider shows."""
    return int(page.locator("[data-testid='stSliderThumbValue']").first.inner_text())


def search(page, text: str) -> None:
    """Type ``text`` into the look-up box of Drug input and press Enter."""
    box = page.get_by_label("Generic or brand name, label name or ATC code")
    box.fill(text)
    box.press("Enter")
    settle(page)


def choose_mode(page, label: str) -> None:
    """Pick an input mode on the Drug input page."""
    page.locator("[data-testid='stRadio']").get_by_text(label, exact=True).click()
    settle(page)
