"""The frame (app.py) and the data summary on the About page: real data, toy data, no data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
import streamlit as st
from streamlit.testing.v1 import AppTest

from sefreq.constants import DISCLAIMER, FREQUENCY_BANDS, SIDER_LICENCE
from sefreq.data.dataset import Dataset
from sefreq.data.registry import (
    DATA_DIR_ENV,
    FETCH_HINT,
    REGISTRY,
    DataMissingError,
    UpstreamFile,
)
from tests.support.toy_dataset import toy_dataset

APP = "../../app.py"  # AppTest resolves it relative to this file


def _run(timeout: float, page: str | None = "about") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=timeout)
    if page:
        app.switch_page(f"views/{page}.py")
    app.run()
    return app


def _table(app: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with ``column``."""
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


@pytest.fixture(autouse=True)
def _no_model(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No model and the upstream-file path: these tests are about the data."""
    monkeypatch.setenv("SEFREQ_MODEL_DIR", str(tmp_path_factory.mktemp("no_model")))
    monkeypatch.delenv("SEFREQ_DATASET_FOLDER", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()


def _captions(app: AppTest) -> str:
    return "\n".join(caption.value for caption in app.caption)


@pytest.fixture
def toy_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dataset:
    """A one-file registry, verified in a temporary data folder, and a 2 x 3 toy dataset."""
    for key in list(REGISTRY):
        monkeypatch.delitem(REGISTRY, key)
    content = b"toy upstream file\n"
    (tmp_path / "toy.txt").write_bytes(content)
    sha256 = hashlib.sha256(content).hexdigest()
    toy = UpstreamFile("toy", (("toy.txt", sha256),), "o/r@c", "p", "MIT", "a toy file")
    monkeypatch.setitem(REGISTRY, "toy", toy)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    dataset = toy_dataset(
        np.array([[5, 0, 3], [0, 1, 5]], dtype=np.uint8),
        pd.DataFrame(
            {"name": ["a", "b"], "has_structure": [True, False], "is_independent": [False, True]}
        ),
        pd.DataFrame({"name": ["x", "y", "z"], "organ_classes": [[], [], []]}),
    )
    monkeypatch.setattr("sefreq.ui.resources.load_dataset", lambda data_dir: dataset)
    return dataset


def test_summary_draws_what_the_loader_returns(toy_data: Dataset) -> None:
    app = _run(timeout=30)

    assert not app.exception and not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics == {
        "Drugs": "2",
        "Side effects": "3",
        "Reported pairs": "4",
        "Drugs with a usable structure": "1",
        "Independent test drugs": "1",
    }
    bands = _table(app, "reported pairs").set_index("class")["reported pairs"]
    assert bands.to_dict() == {5: 2, 4: 0, 3: 1, 2: 0, 1: 1}
    assert _table(app, "reported pairs")["share of reported pairs (%)"].sum() == pytest.approx(100)


def test_loader_missing_data_shows_the_fix(
    toy_data: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(data_dir: Path) -> None:
        raise DataMissingError(f"meddra_freq.tsv.gz is missing. Run `{FETCH_HINT}`.")

    monkeypatch.setattr("sefreq.ui.resources.load_dataset", missing)
    st.cache_resource.clear()
    app = _run(timeout=30)

    assert not app.exception
    assert len(app.error) == 1 and "meddra_freq.tsv.gz is missing" in app.error[0].value
    assert f"`{FETCH_HINT}`" in app.error[0].value
    assert not app.metric


@pytest.mark.realdata
@pytest.mark.slow
def test_summary_with_real_data(real_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(real_data_dir))
    # Building the dataset the first time parses every upstream file.
    app = _run(timeout=300)

    assert not app.exception
    assert not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Drugs"] == "759"
    assert metrics["Side effects"] == "994"
    assert metrics["Reported pairs"] == "37,441"

    # Pairs per band, checked against the upstream matrix itself.
    matrix = scipy.io.loadmat(real_data_dir / "FrequencyData.mat")["R"]
    bands = _table(app, "reported pairs").set_index("class")
    assert list(bands.index) == list(FREQUENCY_BANDS)
    for frequency_class, band in FREQUENCY_BANDS.items():
        assert bands.loc[frequency_class, "frequency"] == band.smpc_wording
        assert bands.loc[frequency_class, "patients affected"] == band.range_text
        assert bands.loc[frequency_class, "reported pairs"] == np.count_nonzero(
            matrix == frequency_class
        )
    assert bands["reported pairs"].sum() == 37_441

    files = _table(app, "state")
    assert len(files) == len(REGISTRY)
    assert set(files["state"]) == {"verified"}
    assert DISCLAIMER in _captions(app) and SIDER_LICENCE in _captions(app)


def test_missing_data_shows_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    app = _run(timeout=30)

    assert not app.exception
    assert len(app.error) == 1
    message = app.error[0].value
    assert f"`{FETCH_HINT}`" in message and "`make run`" in message
    assert str(tmp_path.resolve()) in message
    assert not app.metric  # nothing pretends to summarise data that is not there
    files = _table(app, "state")
    assert set(files["state"]) == {"missing"}
    assert DISCLAIMER in _captions(app) and SIDER_LICENCE in _captions(app)


def test_page_title_and_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    app = _run(timeout=30, page=None)
    assert "SEFreq" in [title.value for title in app.sidebar.title]
    assert app.title[0].value == "Drug input"  # the default page
