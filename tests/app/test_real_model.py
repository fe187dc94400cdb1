"""A few pages against the real bundled model and the real data (slow; skipped without them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sefreq.constants import N_SIDE_EFFECTS
from sefreq.model.artifact import bundled_model_dir
from sefreq.ui.resources import DATASET_FOLDER_ENV, MODEL_DIR_ENV
from tests.support.apptest import clear_caches, paste, problems, use_drug

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(autouse=True)
def real_env(real_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (bundled_model_dir() / "card.json").is_file():
        pytest.skip("no bundled model in models/")
    monkeypatch.setenv("SEFREQ_DATA_DIR", str(real_data_dir))
    monkeypatch.delenv(DATASET_FOLDER_ENV, raising=False)
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    clear_caches()


def test_real_profile_and_known_for_a_brand_name(run_app) -> None:
    app = use_drug(run_app(timeout=300), "Advil")
    assert app.session_state["sefreq.current"].drug_name == "ibuprofen"
    profile = run_app("profile", app)
    assert not problems(profile)
    ranked = next(f.value for f in profile.dataframe if "rank" in f.value.columns)
    assert len(ranked) == 30  # first 30 rows of 994
    metrics = {m.label: m.value for m in profile.metric}
    assert metrics["Side effects scored"] == f"{N_SIDE_EFFECTS:,}"
    known = run_app("known", app)
    assert not problems(known)
    metrics = {m.label: m.value for m in known.metric}
    assert float(metrics["AUROC (ranking)"]) > 0.7  # a training drug: the model knows it


def test_real_new_molecule_and_report(run_app) -> None:
    app = paste(run_app(timeout=300), "CC(C)Cc1ccc(cc1)C(C)C(=O)OCC ethyl-ibuprofen")
    known = run_app("known", app)
    assert not problems(known)
    assert "ibuprofen" in known.dataframe[0].value["drug"].head(3).tolist()
    report = run_app("report", app)
    assert not problems(report)
    assert len(report.get("download_button")) == 2
    about = run_app("about", app)
    assert not problems(about)
    overview = next(f.value for f in about.dataframe if "item" in f.value.columns)
    assert overview.set_index("item").loc["side effects", "value"] == str(N_SIDE_EFFECTS)


def test_coumadin_finds_warfarin_with_its_label_side_effects(run_app) -> None:
    """Warfarin is not one of the 759; SIDER lists its side effects without frequencies."""
    app = use_drug(run_app(timeout=300), "Coumadin")
    current = app.session_state["sefreq.current"]
    assert current.drug_name == "warfarin" and current.ok and current.drug_index >= 759
    known = run_app("known", app)
    assert not problems(known)
    metrics = {m.label: m.value for m in known.metric}
    assert metrics["Reported on labels"] != "0 side effects"
    every = next(f.value for f in known.dataframe if "known_band" in f.value.columns)
    assert "not known" in set(every["known_band"])
    profile = run_app("profile", app)
    assert not problems(profile)


def test_a_drug_sider_does_not_list_is_predicted_and_says_so(run_app) -> None:
    app = use_drug(run_app(timeout=300), "acetylsalicylic acid")
    current = app.session_state["sefreq.current"]
    assert current.ok and current.drug_index is None  # scored as a new molecule
    assert any("No label data" in str(i.value) for i in app.info)
    known = run_app("known", app)
    assert not problems(known)
    assert "not one of the known drugs" in " ".join(str(s.value) for s in known.subheader)
