"""The Which drug? page (issue #14) through AppTest, on the tiny world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sefreq.constants import DISCLAIMER
from sefreq.present.vocabulary import COLUMN_NAMES
from sefreq.present.which import (
    NO_LABEL_DATA,
)
from sefreq.ui import state
from tests.support.apptest import problems

pytestmark = pytest.mark.usefixtures("tiny_env")

NEW_MOLECULE = "CCCCCCCCCCCCCCCC(=O)O"  # palmitic acid: no drug of the tiny world


@pytest.fixture(scope="module")
def dataset(tiny_world):
    return tiny_world.dataset


def _index(dataset, term: str) -> int:
    return int(dataset.side_effects.index[dataset.side_effects["name"] == term][0])


def _reporting_and_silent(dataset, term: str) -> tuple[str, str]:
    """A drug (with a structure) whose labels report ``term`` and one whose labels do not."""
    column = np.asarray(dataset.frequency)[:, _index(dataset, term)]
    with_structure = dataset.drugs["has_structure"].to_numpy(bool)
    names = dataset.drugs["name"]
    return (
        str(names[(column > 0) & with_structure].iloc[0]),
        str(names[(column == 0) & with_structure].iloc[0]),
    )


def _open(run_app, symptom: str = "", drugs: str = ""):
    app = run_app("which", run_app())
    if symptom:
        app.text_input(key=state.WHICH_SYMPTOM).input(symptom).run()
    if drugs:
        app.text_area(key=state.WHICH_DRUGS).input(drugs).run()
    return app


def _frames(app, column: str) -> list[pd.DataFrame]:
    return [f.value for f in app.dataframe if column in f.value.columns]


def test_the_page_answers_with_labels_apart_from_predictions(run_app, dataset) -> None:
    reporting, silent = _reporting_and_silent(dataset, "Nausea")
    app = _open(run_app, "nausia", f"{silent}, {reporting}")
    assert not problems(app), problems(app)
    markdown = "\n".join(m.value for m in app.markdown)
    assert "Matched: **Nausea**" in markdown
    labels = _frames(app, "label_median_pct")
    predictions = [f for f in _frames(app, "p_reported_pct") if "label_median_pct" not in f]
    assert labels[0]["drug"].tolist() == [reporting]  # the label table holds label facts only
    assert "p_reported_pct" not in labels[0].columns
    assert predictions[0]["drug"].tolist() == [silent]
    reverse = next(f for f in _frames(app, COLUMN_NAMES["label_band"]) if "entered" not in f)
    assert reporting in reverse["drug"].tolist()
    download = app.get("download_button")
    assert download, "no CSV download on the page"
    captions = "\n".join(c.value for c in app.caption)
    assert DISCLAIMER in captions


def test_a_symptom_with_no_match_says_so_and_offers_terms(run_app) -> None:
    app = _open(run_app, "abdominal", "ibuprofen")
    assert not app.exception
    assert any("No side effect matches" in w.value for w in app.warning)
    suggestions = app.selectbox(key="w.which_suggestion")
    assert "Abdominal pain" in suggestions.options
    assert not _frames(app, "label_median_pct")  # nothing answered before a term is chosen
    suggestions.set_value("Abdominal pain").run()
    assert not problems(app), problems(app)
    assert _frames(app, COLUMN_NAMES["label_median_pct"])  # the drugs that report it


def test_a_new_smiles_has_no_label_data_and_is_predicted(run_app) -> None:
    app = _open(run_app, "rash", NEW_MOLECULE)
    assert not problems(app), problems(app)
    predictions = _frames(app, "predicted_band")[0]
    assert predictions["drug"].tolist() == [NEW_MOLECULE]
    assert predictions["label_band"].tolist() == [NO_LABEL_DATA]
    assert any("No drug of the list has" in c.value for c in app.caption)


def test_a_list_of_one_drug_from_the_catalogue_picker(run_app) -> None:
    app = _open(run_app, "Headache")
    assert any("Add the patient's drugs" in i.value for i in app.info)
    app.multiselect(key=state.WHICH_PICKED).set_value(["ibuprofen"]).run()
    assert not problems(app), problems(app)
    answer = next(f for f in _frames(app, "error") if "rank" in f.columns)
    assert answer["drug"].tolist() == ["ibuprofen"]


def test_an_unreadable_entry_is_a_warning_and_the_rest_is_answered(run_app) -> None:
    app = _open(run_app, "Headache", "ibuprofen, not a drug")
    assert not app.exception and not app.error
    assert any("not a drug" in w.value for w in app.warning)
    answer = next(f for f in _frames(app, "error") if "rank" in f.columns)
    assert len(answer) == 2


def test_the_medication_list_survives_page_navigation(run_app) -> None:
    app = _open(run_app, "Headache", "ibuprofen, Advil")
    app.multiselect(key=state.WHICH_PICKED).set_value(["paracetamol"]).run()
    app = run_app("profile", app)
    app = run_app("which", app)
    assert app.text_input(key=state.WHICH_SYMPTOM).value == "Headache"
    assert app.text_area(key=state.WHICH_DRUGS).value == "ibuprofen, Advil"
    assert app.multiselect(key=state.WHICH_PICKED).value == ["paracetamol"]
    answer = next(f for f in _frames(app, "error") if "rank" in f.columns)
    assert sorted(answer["entered"]) == ["ibuprofen / Advil", "paracetamol"]  # one drug, once


def test_the_page_says_the_symptom_is_serious_and_marks_it(run_app, dataset) -> None:
    """Issue #23, deliverable 4: the answer says whether the symptom is serious (the mark and
    why), and the whole answer carries the severity column."""
    from sefreq.present.vocabulary import SERIOUS_MARK

    reporting, silent = _reporting_and_silent(dataset, "Hepatitis")
    app = _open(run_app, "hepatitis", f"{reporting}, {silent}")
    assert not problems(app), problems(app)
    warnings = [
        (w.icon, w.value) for w in app.warning
    ]  # Streamlit shows a leading mark as the icon
    assert any(
        icon == SERIOUS_MARK and text.startswith("Hepatitis is serious") for icon, text in warnings
    ), warnings
    headers = [h.value for h in app.subheader]
    assert f"On the labels: {SERIOUS_MARK} Hepatitis" in headers, headers
    whole = next(f for f in _frames(app, COLUMN_NAMES["severity"]))
    assert whole[COLUMN_NAMES["severity"]].eq(f"{SERIOUS_MARK} serious").all()
    assert whole[COLUMN_NAMES["severity_reason"]].str.len().gt(0).all()

    mild = _open(run_app, "headache", reporting)
    assert not any(w.icon == SERIOUS_MARK for w in mild.warning)
    assert any("not among the serious" in c.value for c in mild.caption)


def test_the_term_pickers_mark_serious_terms(run_app) -> None:
    """Issue #23, item 4: a serious term is marked (⚠) in the picker that offers terms, and
    in the heading of the drugs that report it; no column says "class (1-5)" (item 6)."""
    from sefreq.present.vocabulary import SERIOUS_LEGEND, SERIOUS_MARK

    app = _open(run_app, "hepat", "ibuprofen")
    suggestions = app.selectbox(key="w.which_suggestion")
    assert f"{SERIOUS_MARK} Hepatitis" in suggestions.options
    assert SERIOUS_LEGEND in suggestions.help
    suggestions.set_value("Hepatitis").run()
    assert not problems(app), problems(app)
    headers = [h.value for h in app.subheader]
    assert f"Drugs whose labels report {SERIOUS_MARK} Hepatitis most often" in headers, headers
    columns = [str(c) for f in app.dataframe for c in f.value.columns]
    assert columns and not [c for c in columns if "class (1" in c], columns
