"""The dashboard's cached resources: data status, the dataset, the predictor, predictions.

``st.cache_resource`` holds one dataset and one model per server process;
``st.cache_data`` holds per-molecule predictions. Two environment variables let tests
and demos swap in other files: ``SEFREQ_MODEL_DIR`` (a bundle directory instead of
the shipped one) and ``SEFREQ_DATASET_FOLDER`` (a dataset folder as the dataset cache writes
it, instead of building from the upstream files).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from sefreq.chem.drawing import molblock_3d
from sefreq.data import load_dataset
from sefreq.data.cache import read_dataset
from sefreq.data.registry import (
    DATA_DIR_ENV,
    FETCH_HINT,
    REGISTRY,
    DataMissingError,
    FileStatus,
    data_dir,
    file_status,
)
from sefreq.model.artifact import MODEL_DIR_ENV, ModelCard, model_dir
from sefreq.present.standout import CatalogueReference, cached_catalogue_reference

DATASET_FOLDER_ENV = "SEFREQ_DATASET_FOLDER"

log = logging.getLogger("sefreq.ui")
if not log.handlers:  # the server's log says when a shared resource is loaded (once each)
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)

DATA_FIX = (
    f"To fix it, run `{FETCH_HINT}` in a terminal (or `make run`, which fetches what is "
    f"missing before it starts the dashboard), then reload this page. To use files you "
    f"already have, set `{DATA_DIR_ENV}` to their folder."
)
MODEL_FIX = (
    "To fix it, train the bundled model with `sefreq train --out models` (or copy a bundle "
    f"into `models/`), or set `{MODEL_DIR_ENV}` to a bundle folder, then reload this page."
)


@contextlib.contextmanager
def _logged(what: str) -> Iterator[None]:
    """Log that a shared resource was loaded, and how long it took (once per process)."""
    started = time.perf_counter()
    yield
    log.info("loaded the %s (%.1f s, pid %d)", what, time.perf_counter() - started, os.getpid())


@dataclass(frozen=True)
class DataState:
    """Where the data was looked for, each file's state, and the error to show (if any)."""

    directory: Path
    statuses: tuple[FileStatus, ...]
    error: str | None

    def file_table(self) -> pd.DataFrame:
        """One row per upstream file: local name, state, licence, content."""
        return pd.DataFrame(
            {
                "file": [
                    s.path.name if s.path else REGISTRY[s.key].filename for s in self.statuses
                ],
                "state": [s.state for s in self.statuses],
                "licence": [REGISTRY[s.key].licence for s in self.statuses],
                "content": [REGISTRY[s.key].description for s in self.statuses],
            }
        )


def data_state() -> DataState:
    """The upstream files' state; ``error`` says what is missing and how to fetch it."""
    folder = os.environ.get(DATASET_FOLDER_ENV)
    if folder:
        error = None if Path(folder).is_dir() else f"No dataset folder at `{folder}`."
        return DataState(Path(folder), (), error and f"{error}\n\n{DATA_FIX}")
    directory = data_dir()
    statuses = tuple(_statuses(str(directory)))
    not_ready = [s for s in statuses if s.state != "verified"]
    error = None
    if not_ready:
        names = ", ".join(f"{REGISTRY[s.key].filename} ({s.state})" for s in not_ready)
        error = f"Upstream data is missing or corrupt in `{directory}`: {names}.\n\n{DATA_FIX}"
    return DataState(directory, statuses, error)


@st.cache_data(ttl=60, show_spinner="Checking the data files…")
def _statuses(directory: str) -> list[FileStatus]:
    return [file_status(entry, Path(directory)) for entry in REGISTRY.values()]


@st.cache_resource(show_spinner="Loading the dataset…")
def _dataset(directory: str, folder: str | None) -> Any:
    with _logged("dataset"):
        return read_dataset(Path(folder)) if folder else load_dataset(data_dir=Path(directory))


def dataset() -> tuple[Any | None, str | None]:
    """(the curated dataset, None), or (None, the error to show) when it cannot be loaded."""
    state = data_state()
    if state.error:
        return None, state.error
    try:
        return _dataset(str(state.directory), os.environ.get(DATASET_FOLDER_ENV)), None
    except DataMissingError as error:
        return None, f"{error}\n\n{DATA_FIX}"


@st.cache_resource(show_spinner="Loading the model…")
def _predictor(directory: str) -> Any:
    from sefreq.model.predictor import Predictor

    with _logged("model"):
        return Predictor.from_directory(directory)


def predictor() -> tuple[Any | None, str | None]:
    """(the predictor, None), or (None, the error to show) when no model can be loaded."""
    directory = model_dir()
    if not (directory / "card.json").is_file():
        return None, f"No trained model in `{directory}`.\n\n{MODEL_FIX}"
    try:
        return _predictor(str(directory)), None
    except (OSError, ValueError, KeyError) as error:
        return None, f"The model in `{directory}` could not be loaded ({error}).\n\n{MODEL_FIX}"


@st.cache_data(max_entries=64, show_spinner=False)
def _predict(directory: str, smiles: tuple[str, ...], ids: tuple[str, ...]) -> pd.DataFrame:
    return _predictor(directory).predict(list(smiles), ids=list(ids))


def predict(smiles: list[str], ids: list[str]) -> pd.DataFrame:
    """Predictions for parent SMILES (long table, :data:`sefreq.model.predictor.COLUMNS`).

    Cached per (model, molecules): switching pages or re-running never predicts twice.
    Raises RuntimeError when no model is available (callers check :func:`predictor` first).
    """
    model, error = predictor()
    if model is None:
        raise RuntimeError(error)
    return _predict(str(model_dir()), tuple(smiles), tuple(ids))


@st.cache_resource(
    show_spinner="Placing this model's predictions among the approved drugs (once per model)…"
)
def _reference(directory: str, folder: str | None, data: str) -> Any:
    model = _predictor(directory)
    drugs = _dataset(data, folder)
    with _logged("catalogue reference"):
        return cached_catalogue_reference(model, drugs.catalogue)


def reference() -> CatalogueReference | None:
    """The model's chances for the catalogue's approved drugs (what :func:`stands_out`
    compares with), computed once per model and kept in the cache folder; None without a
    model or the data."""
    state = data_state()
    model, _ = predictor()
    if model is None or state.error:
        return None
    return _reference(str(model_dir()), os.environ.get(DATASET_FOLDER_ENV), str(state.directory))


def model_card() -> ModelCard:
    """The card of the model in use (an empty one when none)."""
    model, _ = predictor()
    return model.card if model is not None else ModelCard()


def model_version() -> str:
    """The model version written in its card ("unknown" when it has none)."""
    return model_card().version


@st.cache_resource(show_spinner="Preparing the explainer (SHAP background)…")
def _explainer(directory: str) -> Any:
    from sefreq.explain import Explainer

    model = _predictor(directory)
    with _logged("explainer"):
        return Explainer(predictor=model, bundle_dir=directory)


@st.cache_resource(max_entries=32, show_spinner=False)
def _explanation(directory: str, smiles: str, side_effects: tuple[int, ...], output: str) -> Any:
    return _explainer(directory).explain(smiles, list(side_effects), output)


def explanation(smiles: str, side_effects: list[int], output: str) -> Any:
    """SHAP explanation (:class:`sefreq.explain.Explanation`) of the model in use, cached.

    ``side_effects``: indices (Galeano order); ``output``: "association" or "frequency".
    Raises RuntimeError when no model is available.
    """
    model, error = predictor()
    if model is None:
        raise RuntimeError(error)
    return _explanation(str(model_dir()), smiles, tuple(side_effects), output)


@st.cache_resource(show_spinner="Counting the label evidence of each protein…")
def _mechanism_evidence(directory: str, folder: str | None) -> Any:
    from sefreq.explain.mechanism import MechanismEvidence

    return MechanismEvidence.from_dataset(_dataset(directory, folder))


@st.cache_resource(max_entries=32, show_spinner=False)
def _mechanism(model: str, smiles: str, side_effects: tuple[int, ...]) -> Any:
    from sefreq.explain.mechanism import explain_mechanism

    state = data_state()
    folder = os.environ.get(DATASET_FOLDER_ENV)
    return explain_mechanism(
        smiles,
        list(side_effects),
        _predictor(model).ensemble,
        _dataset(str(state.directory), folder),
        evidence=_mechanism_evidence(str(state.directory), folder),
    )


def mechanism(smiles: str, side_effects: list[int]) -> tuple[Any | None, str | None]:
    """(the mechanism explanation, None) of the model in use
    (:class:`sefreq.explain.mechanism.MechanismExplanation`), cached; or (None, why not)
    when the data or the model is missing."""
    _, error = dataset()
    model, model_error = predictor()
    if error or model is None:
        return None, error or model_error
    return _mechanism(str(model_dir()), smiles, tuple(side_effects)), None


@st.cache_data(max_entries=64, show_spinner="Embedding a 3D conformer…")
def conformer(smiles: str) -> str:
    """The 3D MOL block of ``smiles`` (:func:`sefreq.chem.drawing.molblock_3d`), computed
    once per molecule: a page that reruns does not embed it again."""
    return molblock_3d(smiles)
