"""Issue #14 through AppTest: the profile leads with the labels in the SmPC 4.8 layout,
compare tells label bands from predictions, and a drug can be opened from the URL."""

from __future__ import annotations

import pandas as pd
import pytest
from app_support import paste, problems, use_drug
from streamlit.testing.v1 import AppTest

from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT, SMPC_BANDS
from sefreq.ui import state

pytestmark = pytest.mark.usefixtures("tiny_env")

NEW_MOLECULE = "CCCCCCCCCCCCCCCC(=O)O palmitic"  # not one of the tiny world's drugs


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _terms(grid: pd.DataFrame) -> list[str]:
    """Every term of an SmPC grid as drawn (st.table cells are escaped markdown)."""
    cells = ", ".join(str(c) for c in grid.to_numpy().ravel() if c)
    return [t.replace("\\", "") for t in cells.split(", ") if t]


def _details(app: AppTest) -> pd.DataFrame | None:
    """The table of the predictions shown in the layout (None when none is shown)."""
    tables = [f.value for f in app.dataframe if "smpc_band" in f.value.columns]
    return tables[0] if tables else None


# --------------------------------------------------------------------------- profile


def test_profile_of_a_label_drug_leads_with_the_labels(run_app, tiny_env) -> None:
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    headings = [m.value for m in app.markdown if m.value.startswith("####")]
    assert headings[0] == "#### What the labels report (SIDER 4.1)"
    labels = app.table[0].value
    assert list(labels.columns) == list(SMPC_BANDS)
    frequency = tiny_env.dataset.frequency[1]
    names = tiny_env.dataset.side_effects["name"]
    on_label = set(names[frequency > 0])
    label_terms = _terms(labels)
    assert set(label_terms) == on_label  # every label term, and nothing else, unmarked
    details = _details(app)
    if details is not None:  # at the default threshold, whatever the model reaches it
        assert (details["p_reported_pct"] >= DEFAULT_THRESHOLD_PCT).all()
    app.slider(key=state.PREDICTION_THRESHOLD).set_value(0).run()
    labels, predicted = app.table[0].value, app.table[1].value
    assert set(_terms(labels)) == on_label  # the slider leaves the labels alone
    predicted_terms = _terms(predicted)
    assert all("* (" in t and t.endswith(")") for t in predicted_terms)  # marked, with chance
    # predictions fill exactly the side effects the labels do not report
    assert {t.split("*")[0] for t in predicted_terms} == set(names) - on_label
    assert set(_details(app)["side_effect"]) == set(names) - on_label
    # A label term sits in the column of its label band, in the row of its organ class.
    placed = 0
    for organ, row in labels.iterrows():
        for band, cell in row.items():
            for term in _terms(pd.DataFrame([[cell]])):
                k = int(names[names == term].index[0])
                assert SMPC_BANDS[5 - int(frequency[k])] == band
                assert organ in tiny_env.dataset.side_effects["organ_classes"][k]
                placed += 1
    assert placed >= len(on_label)


def test_new_molecule_gets_the_layout_from_the_model_with_a_threshold(run_app) -> None:
    app = run_app("profile", paste(run_app(), NEW_MOLECULE))
    assert not problems(app)
    assert "No label data" in _texts(app.info)
    assert app.warning or app.success  # the applicability-domain flag
    slider = app.slider(key=state.PREDICTION_THRESHOLD)
    assert slider.value == DEFAULT_THRESHOLD_PCT
    assert len(app.table) == 1  # only the model's layout: there is no label grid

    slider.set_value(0).run()
    assert not problems(app)
    everything = _details(app)
    assert len(everything) == 30  # threshold 0: every scored side effect
    assert everything["conformal_bands"].str.len().gt(0).all()  # the conformal set is shown
    terms = _terms(app.table[0].value)
    assert {t.split("*")[0] for t in terms} == set(everything["side_effect"])

    cut = float(everything["p_reported_pct"].max()) // 5 * 5  # the top one stays
    app.slider(key=state.PREDICTION_THRESHOLD).set_value(int(cut)).run()
    fewer = _details(app)
    assert 0 < len(fewer) < len(everything)  # moving the slider changes the rows
    assert set(fewer["side_effect"]) == set(
        everything.loc[everything["p_reported_pct"] >= cut, "side_effect"]
    )
    assert len(_terms(app.table[0].value)) < len(terms)

    app.slider(key=state.PREDICTION_THRESHOLD).set_value(100).run()
    if not (everything["p_reported_pct"] >= 100).any():
        assert "No prediction reaches a chance of 100%" in _texts(app.info)
        assert not app.table


def test_the_threshold_is_kept_across_pages(run_app) -> None:
    app = run_app("profile", paste(run_app(), NEW_MOLECULE))
    app.slider(key=state.PREDICTION_THRESHOLD).set_value(25).run()
    for page in ("about", "input", "profile"):
        app = run_app(page, app)
    assert app.slider(key=state.PREDICTION_THRESHOLD).value == 25
