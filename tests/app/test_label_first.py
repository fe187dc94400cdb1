"""Issue #14 through AppTest: the profile leads with the labels in the SmPC 4.8 layout,
compare tells label bands from predictions, and a drug can be opened from the URL."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT, SMPC_BANDS
from sefreq.present.vocabulary import SERIOUS_MARK
from sefreq.ui import state
from sefreq.ui.links import DRUG_PARAM
from tests.support.apptest import APP, mode, paste, problems, use_drug

pytestmark = pytest.mark.usefixtures("tiny_env")

NEW_MOLECULE = "CCCCCCCCCCCCCCCC(=O)O palmitic"  # not one of the tiny world's drugs


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _terms(grid: pd.DataFrame) -> list[str]:
    """Every term of an SmPC grid as drawn (st.table cells are escaped markdown), without
    the mark of a serious term (#23: "⚠ Hepatitis")."""
    cells = ", ".join(str(c) for c in grid.to_numpy().ravel() if c)
    terms = (t.replace("\\", "") for t in cells.split(", ") if t)
    return [t.removeprefix(f"{SERIOUS_MARK} ") for t in terms]


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
    # the bands that hold a label term, in SmPC order
    assert list(labels.columns) == [b for b in SMPC_BANDS if b in labels.columns]
    assert all((labels[band] != "").any() for band in labels.columns)
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


# --------------------------------------------------------------------------- quick paths


def _current(app: AppTest):
    # AppTest's session state has no .get()
    if state.CURRENT in app.session_state:
        return app.session_state[state.CURRENT]
    return None


def _opened_with(run_app, drug: str, page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params[DRUG_PARAM] = drug
    if page is not None:
        app.switch_page(f"views/{page}.py")
    return run_app(app=app)


def test_an_exact_single_match_is_taken_without_a_click(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("Warfarin").run()
    assert not problems(app)
    assert _current(app).drug_name == "warfarin" and _current(app).entered == "Warfarin"
    assert "warfarin is now the current drug." in _texts(app.success)
    assert not any(b.key == "w.lookup_use" for b in app.button)  # nothing left to click
    assert app.query_params[DRUG_PARAM] == "warfarin"  # and the URL names it


def test_a_loose_match_still_waits_for_the_click(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("ibuprofin").run()  # a typo: not exact
    assert _current(app) is None
    app.button(key="w.lookup_use").click().run()
    assert _current(app).drug_name == "ibuprofen"


def test_coming_back_to_the_same_name_keeps_a_later_choice(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("Advil").run()
    assert _current(app).drug_name == "ibuprofen"
    app = paste(app, "CCO ethanol")
    assert _current(app).id == "ethanol"
    assert DRUG_PARAM not in app.query_params  # a new molecule: the URL names no drug
    mode(app, state.MODE_LOOKUP)
    assert app.text_input(key=state.LOOKUP_QUERY).value == "Advil"
    assert _current(app).id == "ethanol"  # the kept query is not taken again
    app.button(key="w.lookup_use").click().run()  # but one click takes it
    assert _current(app).drug_name == "ibuprofen"


def test_a_link_with_a_drug_opens_it_and_every_page_keeps_it(run_app) -> None:
    app = _opened_with(run_app, "warfarin")
    assert not problems(app)
    assert _current(app).drug_name == "warfarin" and _current(app).source == "look-up"
    assert "warfarin" in _texts(app.sidebar.markdown)
    assert any("Current drug: warfarin" in s.value for s in app.subheader)
    for page in ("profile", "compare", "about", "input"):
        app = run_app(page, app)
        assert not problems(app), page
        assert _current(app).drug_name == "warfarin"
        assert app.query_params[DRUG_PARAM] == "warfarin"
    app = use_drug(app, "Tylenol")  # choosing another drug rewrites the link
    assert app.query_params[DRUG_PARAM] == "paracetamol"
    app = run_app("profile", app)
    assert _current(app).drug_name == "paracetamol"  # the old link is not followed again


def test_a_link_opens_on_the_page_it_names(run_app) -> None:
    app = _opened_with(run_app, "ADVIL", page="profile")
    assert not problems(app)
    assert _current(app).drug_name == "ibuprofen"
    assert "#### What the labels report (SIDER 4.1)" in _texts(app.markdown)
    assert app.query_params[DRUG_PARAM] == "ibuprofen"


@pytest.mark.parametrize(
    ("drug", "says"),
    [
        ("xyzzyq", "names no known drug exactly. Check the spelling"),
        ("ibuprofin", "Did you mean ibuprofen"),
        ("<b>x</b>](y)", "names no known drug exactly"),
    ],
)
def test_a_link_to_an_unknown_drug_says_so(run_app, drug: str, says: str) -> None:
    app = _opened_with(run_app, drug)
    assert not app.exception and not app.error
    warning = _texts(app.warning)
    assert says in warning and "The link asks for" in warning
    assert "<b>" not in warning  # shown as typed, escaped for markdown
    assert _current(app) is None
    app = run_app("profile", app)  # said once, and the pages still work
    assert not app.exception and "The link asks for" not in _texts(app.warning)
    assert "No drug chosen yet" in _texts(app.info)


def test_a_link_to_a_drug_without_structure_opens_its_labels(run_app) -> None:
    app = _opened_with(run_app, "insulin glargine")
    assert not app.exception
    assert _current(app).drug_name == "insulin glargine" and not _current(app).ok
    assert "no usable small-molecule structure" in _texts(app.warning)


# --------------------------------------------------------------------------- compare


def _known_table(app: AppTest) -> pd.DataFrame:
    return next(f.value for f in app.dataframe if "difference" in f.value.columns)


def test_compare_marks_label_bands_apart_from_predictions(run_app, tiny_env) -> None:
    app = run_app("compare", use_drug(run_app(), "ibuprofen"))
    app.button(key="w.compare_current").click().run()
    app.text_input(key="w.compare_smiles").input(NEW_MOLECULE.split()[0]).run()
    app.button(key="w.compare_add_smiles").click().run()
    assert not problems(app)
    app.slider(key=state.PREDICTION_THRESHOLD).set_value(0).run()  # every gap predicted
    table = _known_table(app)
    assert list(table.columns) == [
        "organ_class",
        "side_effect",
        "ibuprofen",
        "molecule 2",
        "difference",
    ]
    names = tiny_env.dataset.side_effects["name"]
    on_label = set(names[tiny_env.dataset.frequency[1] > 0])
    for row in table.itertuples():
        if row.side_effect in on_label:
            assert row.ibuprofen.endswith(" (label)") and not row.ibuprofen.startswith("~")
        else:  # the labels are silent: the model's band, marked as such, with its chance
            assert row.ibuprofen.startswith("~") and "(predicted, " in row.ibuprofen
        assert row._4.startswith("~") and "(predicted, " in row._4  # no labels at all
        assert "(label)" not in row._4
    assert set(table["side_effect"]) == set(names)
    ordered = table.groupby("organ_class", sort=False)["difference"]
    assert all(group.is_monotonic_decreasing for _, group in ordered)
    summary = [m.value for m in app.markdown if m.value.startswith("Largest differences")]
    assert len(summary) == 1 and "ibuprofen" in summary[0]
    # at 100% only the labels are left: the new molecule shows what the model does not predict
    app.slider(key=state.PREDICTION_THRESHOLD).set_value(100).run()
    strict = _known_table(app)
    assert set(strict["side_effect"]) <= on_label
    assert strict["molecule 2"].str.startswith("not predicted (").all()
    assert not problems(app)
