"""Dashboard fixtures: a tiny dataset + model (trained once per session), and an AppTest runner."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).parent))

from app_support import APP, clear_caches
from tiny_world import TinyWorld, build_tiny_world

from sefreq.ui.resources import DATASET_FOLDER_ENV, MODEL_DIR_ENV


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> TinyWorld:
    """39 real drugs x 30 side effects, and a 2-member model trained on them (seconds)."""
    return build_tiny_world(tmp_path_factory.mktemp("tiny_world"))


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
