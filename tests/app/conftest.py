"""Dashboard fixtures: the app on the tiny world (tests/conftest.py), and an AppTest runner."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from sefreq.ui.resources import DATASET_FOLDER_ENV, MODEL_DIR_ENV
from tests.support.apptest import APP, clear_caches
from tests.support.tiny_world import TinyWorld


@pytest.fixture
def tiny_env(tiny_world: TinyWorld, monkeypatch: pytest.MonkeyPatch) -> TinyWorld:
    """The app reads the tiny dataset and model."""
    monkeypatch.setenv(DATASET_FOLDER_ENV, str(tiny_world.dataset_folder))
    monkeypatch.setenv(MODEL_DIR_ENV, str(tiny_world.bundle_dir))
    clear_caches()
    yield tiny_world
    clear_caches()


@pytest.fixture
def run_app() -> Callable[..., AppTest]:
    """Run the app (optionally on ``page``), returning the AppTest after the run."""

    def run(page: str | None = None, app: AppTest | None = None, timeout: float = 60) -> AppTest:
        if app is None:  # not `app or ...`: an AppTest that has not run yet is falsy
            app = AppTest.from_file(APP, default_timeout=timeout)
        if page is not None:
            app.switch_page(f"views/{page}.py")
        app.run()
        return app

    return run
