"""Shared fixtures. Real-data tests run only where SEFREQ_DATA_DIR points at the upstream files.

A test that asks for the upstream files (``real_data_dir``, ``reference_dir``) or the real
dashboard (``real_server``) must say so with the ``realdata`` marker, so that
``-m "not realdata"`` means what it says; collection stops on one that does not.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.tiny_world import TinyWorld, build_tiny_world

SMILES = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "sodium_benzoate": "[Na+].[O-]C(=O)c1ccccc1",
}


#: Fixtures that read SEFREQ_DATA_DIR.
REAL_DATA_FIXTURES = frozenset({"real_data_dir", "reference_dir", "real_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("realdata") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests read SEFREQ_DATA_DIR but are not marked realdata:\n  "
            + "\n  ".join(unmarked)
        )


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep the user's cache untouched: built datasets and SHAP backgrounds go to a tmp folder.

    Set in os.environ (not monkeypatch) so the Streamlit servers the browser tests start
    inherit it.
    """
    previous = os.environ.get("SEFREQ_CACHE_DIR")
    os.environ["SEFREQ_CACHE_DIR"] = str(tmp_path_factory.mktemp("sefreq-cache"))
    yield
    if previous is None:
        os.environ.pop("SEFREQ_CACHE_DIR", None)
    else:
        os.environ["SEFREQ_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def smiles() -> dict[str, str]:
    """A few small, well-known molecules."""
    return dict(SMILES)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> TinyWorld:
    """39 real drugs x 30 side effects, built by the real build from upstream-format files
    written for the session, and a 2-member model trained on them (seconds)."""
    return build_tiny_world(tmp_path_factory.mktemp("tiny_world"))


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder of real upstream files; skips the test when SEFREQ_DATA_DIR is unset."""
    env = os.environ.get("SEFREQ_DATA_DIR")
    if not env:
        pytest.skip("SEFREQ_DATA_DIR is not set: real-data tests skipped")
    return Path(env).resolve()


@pytest.fixture(scope="session")
def reference_dir(real_data_dir: Path) -> Path:
    """../shared/data/reference beside the upstream folder (hand-reviewed joined tables)."""
    reference = real_data_dir.parent / "reference"
    if not reference.is_dir():
        pytest.skip("no reference/ folder beside SEFREQ_DATA_DIR")
    return reference
