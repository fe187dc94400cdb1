"""Every page through AppTest against the tiny dataset and model: happy and error paths."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sefreq.constants import DISCLAIMER, SIDER_LICENCE
from sefreq.present import molecules
from sefreq.present.smpc import SMPC_COLUMNS
from sefreq.present.standout import STANDOUT_COLUMNS, STANDS_OUT
from sefreq.present.vocabulary import COLUMN_NAMES, SMPC_BANDS
from sefreq.report.tables import SMPC_PROVENANCE
from sefreq.ui import state
from sefreq.ui.resources import DATASET_FOLDER_ENV, MODEL_DIR_ENV
from tests.support import bad_inputs
from tests.support.apptest import APP, PAGES, captions, mode, paste, problems, use_drug
from tests.support.tiny_world import BEYOND_R, DRUGS

pytestmark = pytest.mark.usefixtures("tiny_env")

POLYMER = "C" * 10_000  # a 10,000-atom chain: out of scope, must be refused politely


def _current(app: AppTest):
    # AppTest's session state has no .get()
    if state.CURRENT in app.session_state:
        return app.session_state[state.CURRENT]
    return None


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _ranked(app: AppTest):
    """The profile page's table of every side effect ranked by chance (it has a rank)."""
    return next(f.value for f in app.dataframe if "rank" in f.value.columns)


# --------------------------------------------------------------------------- the frame


@pytest.mark.parametrize("page", PAGES)
def test_every_page_draws_with_footer_and_no_error(run_app, page: str) -> None:
    app = run_app()
    app = run_app(page, app)
    assert not problems(app)
    assert DISCLAIMER in captions(app) and SIDER_LICENCE in captions(app)
    assert "SEFreq" in [title.value for title in app.sidebar.title]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_with_a_drug_draws_without_error(run_app, page: str) -> None:
    app = use_drug(run_app(), "ibuprofen")
    app = run_app(page, app)
    assert not problems(app), problems(app)


@pytest.mark.parametrize("page", PAGES)
def test_missing_data_is_one_clear_error_on_every_page(
    run_app, page: str, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv(DATASET_FOLDER_ENV)
    monkeypatch.setenv("SEFREQ_DATA_DIR", str(tmp_path))
    app = run_app()
    app = run_app(page, app)
    assert not app.exception
    assert len(app.error) == 1
    assert "sefreq data fetch" in app.error[0].value and "make run" in app.error[0].value
    assert DISCLAIMER in captions(app)


def test_missing_model_says_how_to_train_one(run_app, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    app = use_drug(run_app(), "ibuprofen")
    app = run_app("profile", app)
    assert not app.exception
    assert len(app.error) == 1 and "sefreq train" in app.error[0].value
    about = run_app("about", app)
    assert not about.exception and "sefreq train" in _texts(about.warning)


def test_about_shows_the_held_out_figures_of_the_model_in_use(
    run_app, tiny_env, tmp_path, monkeypatch
) -> None:
    """The bundle's evaluation.json (held-out calibration, coverage, error by similarity),
    where it has one, rather than the card's record from training (#22)."""
    import json
    import shutil

    from sefreq.model.artifact import EVALUATION_FILE, write_manifest
    from tests.support.apptest import clear_caches

    about = run_app("about")  # the tiny bundle has no held-out file: the card's record
    assert not about.exception and "as recorded in the model card" in _texts(about.markdown)

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_env.bundle_dir, bundle)
    figures = {
        "protocol": "ICS-all",
        "n_folds": 10,
        "mean": {"aupr_per_drug": 0.5264, "rmse": 0.777},
        "mean_with_known_targets": {"aupr_per_drug": 0.552},
        "mean_knn_listed_same_folds": {"aupr_per_drug": 0.5191},
        "pooled_conformal_coverage": 0.8971,
        "error_by_similarity": [{"similarity": "[0.0, 0.2)", "n_drugs": 48, "rmse": 0.7328}],
    }
    (bundle / EVALUATION_FILE).write_text(json.dumps(figures))
    write_manifest(bundle)
    monkeypatch.setenv(MODEL_DIR_ENV, str(bundle))
    clear_caches()
    about = run_app("about")
    assert not about.exception and "held-out figures" in _texts(about.markdown)
    assert "ICS-all, mean over 10 folds" in _texts(about.markdown)
    summary = next(f.value for f in about.dataframe if "knn-listed" in f.value.columns)
    first = summary.iloc[0].to_dict()
    assert first == {"figure": "per-drug AUPR (ranking within a drug)", "structure only": "0.526",
                     "known targets": "0.552", "knn-listed": "0.519"}  # fmt: skip
    coverage = summary.set_index("figure").loc["90% class sets: share holding the stated band"]
    assert coverage["structure only"] == "0.897" and coverage["knn-listed"] == ""
    table = next(f.value for f in about.dataframe if "section" in f.value.columns)
    shown = dict(zip(table["figure"], table["value"], strict=False))
    assert shown["n_folds"] == "10" and shown["pooled_conformal_coverage"] == "0.8971"
    rows = table[table["section"] == "error_by_similarity / [0.0, 0.2)"]
    assert dict(zip(rows["figure"], rows["value"], strict=True)) == {"n_drugs": "48",
                                                                     "rmse": "0.7328"}  # fmt: skip


def test_a_restarted_server_says_start_again_and_shows_nothing_stale(run_app) -> None:
    """A browser reconnecting after a restart keeps its URL (``?session=<old run>``) but
    the server has forgotten the session: the page says so, and a new drug clears it."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params[state.SESSION_PARAM] = "an-earlier-run"
    app = run_app(app=app)
    assert any("Start again" in str(w.value) for w in app.warning)
    app = run_app("profile", app)
    assert any("Start again" in str(w.value) for w in app.warning)
    assert _current(app) is None and not app.get("plotly_chart")  # no profile from before
    assert app.query_params[state.SESSION_PARAM] == state.SERVER_RUN
    app = paste(run_app("input", app), "CCO")
    assert _current(app) is not None
    assert not any("Start again" in str(w.value) for w in app.warning)


def test_a_fresh_session_is_not_told_to_start_again(run_app) -> None:
    app = run_app()
    assert not any("Start again" in str(w.value) for w in app.warning)
    assert app.query_params[state.SESSION_PARAM] == state.SERVER_RUN
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params[state.SESSION_PARAM] = state.SERVER_RUN  # same server run: a reload
    assert not any("Start again" in str(w.value) for w in run_app(app=again).warning)


def test_sidebar_shows_the_current_drug_on_every_page(run_app) -> None:
    app = use_drug(run_app(), "Advil")
    for page in ("profile", "compare", "about", "input"):
        app = run_app(page, app)
        assert "ibuprofen" in _texts(app.sidebar.markdown)


# --------------------------------------------------------------------------- input


@pytest.mark.parametrize(
    ("query", "drug"),
    [
        ("ibuprofen", "ibuprofen"),
        ("  IBUPROFEN ", "ibuprofen"),
        ("ibuprofin", "ibuprofen"),  # typo
        ("Advil", "ibuprofen"),  # brand
        ("pioglitazone hydrochloride", "pioglitazone"),  # salt name
        ("N02BE01", "paracetamol"),  # ATC code
        ("Zoloft", "sertraline"),
    ],
)
def test_lookup_finds_the_drug(run_app, query: str, drug: str) -> None:
    app = use_drug(run_app(), query)
    assert not problems(app)
    current = _current(app)
    assert current.drug_name == drug and current.ok
    assert current.source == "look-up" and current.entered == query.strip()
    assert f"{drug} is now the current drug." in _texts(app.success)


def test_a_new_search_starts_at_its_best_match(run_app) -> None:
    """A match picked among one search's results is not carried, by position, to the next
    search (issue #23: the box showed piracetam, the button read "Use bupropion")."""
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("c07a").run()  # atenolol, propranolol, ...

    def picker():
        return next(box for box in app.selectbox if box.label == "Matches, best first")

    picker().select_index(1).run()
    assert app.button(key="w.lookup_use").label == "Use propranolol"
    app.text_input(key=state.LOOKUP_QUERY).input("n02").run()  # aspirin, paracetamol, ...
    assert picker().index == 0
    assert app.button(key="w.lookup_use").label == "Use aspirin"
    app.button(key="w.lookup_use").click().run()
    assert _current(app).drug_name == "aspirin"


@pytest.mark.parametrize("query", ["amoxicillin/clavulanate", "co-amoxiclav", "Augmentin"])
def test_a_combination_is_named_by_its_components(run_app, query: str) -> None:
    """Issue #23: combinations failed ("no drug matches") or silently became amoxicillin."""
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input(query).run()
    assert not problems(app)
    note = _texts(app.info)
    assert "is a combination" in note and "amoxicillin + clav" in note
    assert "Not in the data: clavulan" in note  # the tiny world has no clavulanic acid
    assert _current(app) is None  # nothing taken without a click
    assert app.button(key="w.lookup_use").label == "Use amoxicillin"


def test_a_full_atc_code_no_drug_carries_offers_its_group(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("N02BE99").run()
    assert "No drug in the data carries the ATC code N02BE99" in _texts(app.info)
    assert app.button(key="w.lookup_use").label == "Use paracetamol"


def test_a_drug_newer_than_the_data_says_how_to_go_on(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("sotorasib").run()
    warning = _texts(app.warning)
    assert "SIDER 4.1 (labels up to 2015), DrugBank and DrugCentral" in warning
    assert "Paste SMILES" in warning


def test_lookup_without_match_warns_and_keeps_the_query(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("xyzzyq").run()
    assert not app.exception
    known = len(DRUGS) + len(BEYOND_R)  # the catalogue: R's drugs and those beyond it
    assert f"No drug among the {known} known ones matches “xyzzyq”" in _texts(app.warning)
    assert app.text_input(key=state.LOOKUP_QUERY).value == "xyzzyq"


def test_lookup_of_a_biologic_explains_why_it_cannot_be_scored(run_app) -> None:
    app = use_drug(run_app(), "Lantus")
    assert not app.exception
    current = _current(app)
    assert current.drug_name == "insulin glargine" and not current.ok
    assert "no usable small-molecule structure" in _texts(app.warning)
    profile = run_app("profile", app)
    assert "cannot be scored" in _texts(profile.error) and not profile.exception
    known = run_app("known", app)  # label data still shows
    assert not known.exception and len(known.dataframe) == 1


def test_paste_one_smiles_with_a_salt_shows_what_changed(run_app) -> None:
    app = paste(run_app(), "[Na+].[O-]C(=O)c1ccccc1 benzoate")
    assert not problems(app)
    current = _current(app)
    assert current.id == "benzoate" and current.parent_smiles == "O=C(O)c1ccccc1"
    assert "removed fragment" in _texts(app.markdown)
    assert any("Standardised parent SMILES" in m.value for m in app.markdown)


def test_paste_of_a_known_structure_links_the_drug(run_app) -> None:
    app = paste(run_app(), "CC(=O)Nc1ccc(O)cc1")
    assert _current(app).drug_name == "paracetamol"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("C1CC(", "not valid SMILES syntax"),
        ("c1ccccc", "not valid"),
        (POLYMER, "small molecules"),
        ("   \n# only a comment", "Nothing to read"),
    ],
)
def test_bad_paste_is_a_clear_error_and_nothing_is_lost(run_app, text: str, message: str) -> None:
    app = use_drug(run_app(), "ibuprofen")
    app = paste(app, text)
    assert not app.exception
    assert message in _texts(app.error)
    assert _current(app).drug_name == "ibuprofen"  # the current drug is kept
    assert app.text_area(key=state.SMILES_TEXT).value == text  # and so is the text


def test_paste_batch_keeps_good_rows_and_names_bad_ones(run_app) -> None:
    text = "CCO ethanol\nC1CC( broken\nCC(=O)Oc1ccccc1C(=O)O aspirin"
    app = paste(run_app(), text)
    assert not app.exception
    assert "Read 3 molecules (1 unusable)" in _texts(app.warning)
    batch = app.session_state[state.BATCH]
    assert [m.id for m in batch] == ["ethanol", "broken", "aspirin"]
    table = next(f.value for f in app.dataframe if "problem" in f.value.columns)
    assert table.set_index("id").loc["broken", "problem"] != ""
    assert list(table.columns[:2]) == ["id", "problem"]  # the reason in sight, not past a SMILES
    assert table.set_index("id").loc["aspirin", "known drug"] == "aspirin"
    assert _current(app).id == "ethanol"
    app.selectbox(key="w.batch_pick").select(1).run()  # aspirin
    app.button(key="w.batch_use").click().run()
    assert _current(app).drug_name == "aspirin"


def test_upload_csv_carries_ids(run_app) -> None:
    app = mode(run_app(), state.MODE_UPLOAD)
    content = b"id,smiles\nX-1,CCO\nX-2,c1ccccc1O\nX-3,not a smiles\n"
    app.file_uploader(key="w.upload").upload("batch.csv", content, "text/csv").run()
    app.button(key="w.upload_use").click().run()
    assert not app.exception
    assert [m.id for m in app.session_state[state.BATCH]] == ["X-1", "X-2", "X-3"]
    assert _current(app).id == "X-1"


def test_upload_sdf(run_app) -> None:
    from rdkit import Chem

    blocks = []
    for name, smiles in (("phenol", "c1ccccc1O"), ("toluene", "Cc1ccccc1")):
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", name)
        blocks.append(Chem.MolToMolBlock(mol) + "$$$$\n")
    app = mode(run_app(), state.MODE_UPLOAD)
    app.file_uploader(key="w.upload").upload("mols.sdf", "".join(blocks).encode()).run()
    app.button(key="w.upload_use").click().run()
    assert not problems(app)
    assert [m.id for m in app.session_state[state.BATCH]] == ["phenol", "toluene"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("batch.csv", b"name,structure\na,CCO\n", "No 'smiles' column"),
        ("batch.csv", b"smiles\n", "empty"),
        ("mols.sdf", b"this is not an sdf", "not an SDF"),
        ("batch.csv", b"\x00\x01\x02binary", "binary"),
    ],
)
def test_malformed_upload_is_a_clear_error(run_app, name: str, content: bytes, message: str):
    app = mode(use_drug(run_app(), "ibuprofen"), state.MODE_UPLOAD)
    app.file_uploader(key="w.upload").upload(name, content).run()
    app.button(key="w.upload_use").click().run()
    assert not app.exception
    assert message in _texts(app.error)
    assert _current(app).drug_name == "ibuprofen"


def test_inputs_survive_switching_pages(run_app) -> None:
    app = mode(run_app(), state.MODE_LOOKUP)
    app.text_input(key=state.LOOKUP_QUERY).input("Advil").run()
    mode(app, state.MODE_PASTE)
    app.text_area(key=state.SMILES_TEXT).input("CCO ethanol").run()
    for page in ("profile", "about", "compare", "input"):
        app = run_app(page, app)
    assert app.radio(key=state.INPUT_MODE).value == state.MODE_PASTE
    assert app.text_area(key=state.SMILES_TEXT).value == "CCO ethanol"
    mode(app, state.MODE_LOOKUP)
    assert app.text_input(key=state.LOOKUP_QUERY).value == "Advil"


# --------------------------------------------------------------------------- profile


def test_profile_of_a_known_drug(run_app) -> None:
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Side effects scored"] == "30"
    table = _ranked(app)
    assert len(table) == 30
    assert table["p_reported_pct"].is_monotonic_decreasing
    assert {"band", "band_range", "uncertainty_pct", "in_domain", "known_band"} <= set(table)
    assert table["band_range"].str.endswith("of patients").all()
    assert len(app.get("plotly_chart")) == 1


def test_profile_filters_by_organ_class_and_search(run_app) -> None:
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    app.multiselect(key=state.PROFILE_ORGANS).select("Cardiac disorders").run()
    table = _ranked(app)
    assert set(table["side_effect"]) == {"Tachycardia", "Bradycardia"}
    app.multiselect(key=state.PROFILE_ORGANS).unselect("Cardiac disorders").run()
    app.text_input(key=state.PROFILE_SEARCH).input("NAUS").run()
    assert _ranked(app)["side_effect"].tolist() == ["Nausea"]
    app.text_input(key=state.PROFILE_SEARCH).input("no such effect").run()
    assert "No side effect matches" in _texts(app.info)


def test_profile_marks_serious_terms_and_filters_them(run_app) -> None:
    """Severity (issue #23, item 4): each row says its tier, serious ones marked, with a
    legend, and "serious only" keeps them."""
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    assert any("⚠ serious" in caption.value for caption in app.caption)
    ranked = _ranked(app)
    tiers = dict(zip(ranked["side_effect"], ranked["severity"], strict=True))
    assert tiers["Agranulocytosis"] == "⚠ serious" and tiers["Headache"] == "moderate"
    app.checkbox(key=state.SERIOUS_ONLY).check().run()
    ranked = _ranked(app)
    assert set(ranked["side_effect"]) == {"Agranulocytosis", "Hepatitis"}
    assert ranked["severity_reason"].str.len().gt(0).all()


def test_profile_can_be_ordered_by_what_stands_out(run_app) -> None:
    """Each row carries its percentile among the approved drugs (issue #23), and the
    profile can be ordered by it instead of by chance."""
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    ranked = _ranked(app)
    assert ranked["percentile"].between(0, 100).all() and ranked["ratio_to_average"].gt(0).all()
    assert ranked["p_reported_pct"].is_monotonic_decreasing
    app.radio(key=state.PROFILE_ORDER).set_value(STANDS_OUT).run()
    ranked = _ranked(app)
    assert ranked["percentile"].is_monotonic_decreasing
    assert not ranked["p_reported_pct"].is_monotonic_decreasing
    details = next(f.value for f in app.dataframe if "smpc_band" in f.value.columns)
    assert details["percentile"].notna().all()


def _bar_order(app: AppTest) -> list[str]:
    """The ranked chart's rows, top to bottom, as the figure orders its categories."""
    import json

    layout = json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["yaxis"]["categoryorder"] == "array"
    return layout["yaxis"]["categoryarray"][::-1]  # plotly draws the first category lowest


@pytest.mark.parametrize("order", [None, STANDS_OUT])
def test_profile_chart_rows_follow_the_table_whatever_their_band(run_app, order) -> None:
    """Issue #23: colouring by band made plotly group rows band by band (a 60% "common"
    bar above a 70% "uncommon" one); the chart must read in the table's order."""
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    if order is not None:
        app.radio(key=state.PROFILE_ORDER).set_value(order).run()
    ranked = _ranked(app)
    assert ranked["band"].nunique() > 1  # more than one colour, or the test proves nothing
    assert _bar_order(app) == ranked["side_effect"].head(25).tolist()


def test_profile_chart_marks_serious_terms(run_app) -> None:
    """Issue #23, item 4: the ranked chart labels a serious term's bar as the table names
    it (⚠), its rows still in the table's order."""
    import json

    from sefreq.present.vocabulary import SERIOUS_MARK

    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    axis = json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]["yaxis"]
    labels = dict(zip(axis["tickvals"], axis["ticktext"], strict=True))
    assert "Hepatitis" in labels and len(labels) > 2
    serious = {"Agranulocytosis", "Hepatitis"}  # the tiny world's serious terms
    for name, text in labels.items():
        assert text == (f"{SERIOUS_MARK} {name}" if name in serious else name)


def test_profile_of_a_new_molecule_has_no_label_columns(run_app) -> None:
    app = run_app("profile", paste(run_app(), "CCCCCCCCCCCCCCCC(=O)O palmitic"))
    assert not problems(app)
    assert "known_band" not in _ranked(app).columns
    assert app.warning or app.success  # the applicability-domain verdict is shown


def test_profile_grid_says_where_else_a_term_belongs(run_app) -> None:
    """Issue #23: the SmPC grid names a term's other organ classes beside it, and says
    what the note means."""
    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    cells = " ".join(
        str(v) for t in app.table for v in t.value.to_numpy().ravel() if isinstance(v, str)
    )
    assert "also under" in cells
    assert any("“also under” names the other organ classes" in c.value for c in app.caption)


def test_profile_says_why_the_spread_is_wide_outside_the_domain(run_app) -> None:
    """Issue #23: a molecule unlike every training drug is shown a wider spread, and the
    page says why (it used to say nothing, and its spreads were the narrowest)."""
    app = run_app("profile", paste(run_app(), "C[Si](C)(C)O[Si](C)(C)C siloxane"))
    assert not problems(app)
    warnings = _texts(app.warning)
    assert "Outside the training drugs: the chance is uncertain" in warnings
    assert "widened" in warnings
    assert any("widened: outside the training drugs" in c.value for c in app.caption)


def test_profile_without_a_drug_points_to_input(run_app) -> None:
    app = run_app("profile", run_app())
    assert "No drug chosen yet" in _texts(app.info)


# --------------------------------------------------------------------------- known vs predicted


def test_known_vs_predicted_for_a_known_drug(run_app, tiny_env) -> None:
    app = run_app("known", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    metrics = {m.label: m.value for m in app.metric}
    n_reported = int((tiny_env.dataset.frequency[1] > 0).sum())
    assert metrics["Reported on labels"] == f"{n_reported} side effects"
    assert 0 <= float(metrics["AUROC (ranking)"]) <= 1
    markdown = _texts(app.markdown)
    assert "Predicted but not reported" in markdown and "Reported but predicted low" in markdown


def test_known_vs_predicted_chart_speaks_in_smpc_bands(run_app) -> None:
    """Issue #23, item 6: the chart's axis said "label frequency (1 very rare .. 5 very
    common)" over the numbers 1-5; it names the SmPC bands."""
    import json

    app = run_app("known", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    axis = spec["layout"]["xaxis"]
    assert axis["title"]["text"] == "frequency on the labels (SmPC band)"
    assert axis["categoryarray"][:2] == ["not known", "very rare"]
    shown = {x for trace in spec["data"] for x in trace["x"]}
    assert shown and shown <= {"not known", "very rare", "rare", "uncommon", "common",
                               "very common"}  # fmt: skip


def test_known_vs_predicted_marks_serious_terms(run_app) -> None:
    """Issue #23, item 4: the Known vs predicted page marks a serious term (⚠, with the
    legend) in its tables and its chart, as Profile, Compare and Which drug? do."""
    import json

    from sefreq.present.vocabulary import SERIOUS_LEGEND, SERIOUS_MARK

    app = run_app("known", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    assert SERIOUS_LEGEND in captions(app)
    names = [n for f in app.dataframe if "side_effect" in f.value for n in f.value["side_effect"]]
    assert {f"{SERIOUS_MARK} Agranulocytosis", f"{SERIOUS_MARK} Hepatitis"} & set(names), names
    assert not {"Agranulocytosis", "Hepatitis"} & set(names)  # never unmarked
    assert "Nausea" in names  # a term that is not serious keeps its bare name
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    hover = {name for trace in spec["data"] for name in trace.get("hovertext", [])}
    assert hover and not {"Agranulocytosis", "Hepatitis"} & hover
    assert {f"{SERIOUS_MARK} Agranulocytosis", f"{SERIOUS_MARK} Hepatitis"} & hover


def test_label_medians_are_blank_not_none_where_the_labels_give_no_number(run_app) -> None:
    """Issue #23, item 6: a term listed without a frequency has no median, and the grids of
    Profile and Known vs predicted showed it as "None"; every such cell is blank."""
    app = use_drug(run_app(), "ibuprofen")
    for page in ("profile", "known"):
        app = run_app(page, app)
        assert not problems(app)
        medians = [
            f.value["known_median_pct"] for f in app.dataframe if "known_median_pct" in f.value
        ]
        assert medians, page
        assert any((column == "").any() for column in medians), page  # a term with no median
        for column in medians:
            assert column.notna().all()
            assert all(cell == "" or float(cell) >= 0 for cell in column), page


def test_known_vs_predicted_for_a_new_molecule_lists_neighbours(run_app) -> None:
    app = run_app("known", paste(run_app(), "CC(C)Cc1ccc(cc1)C(C)C(=O)OC methyl-ibuprofen"))
    assert not problems(app)
    neighbours = app.dataframe[0].value
    assert neighbours["drug"].iloc[0] == "ibuprofen"
    assert neighbours["tanimoto"].is_monotonic_decreasing


# --------------------------------------------------------------------------- compare


def test_compare_two_drugs(run_app) -> None:
    app = run_app("compare", use_drug(run_app(), "ibuprofen"))
    app.button(key="w.compare_current").click().run()
    assert "1 chosen" in _texts(app.info)
    app.text_input(key="w.compare_query").input("Tylenol").run()
    app.button(key="w.compare_lookup").click().run()
    assert not problems(app)
    assert len(app.get("plotly_chart")) == 1
    differences = next(f.value for f in app.dataframe if "spread_pp" in f.value.columns)
    assert set(differences["highest"]) <= {"ibuprofen", "paracetamol"}
    app.selectbox(key=state.COMPARE_ORGAN).select("Cardiac disorders").run()
    assert not problems(app)


def test_crafted_names_are_shown_as_typed_on_every_page(run_app) -> None:
    """A pasted name holding markdown, HTML and Streamlit directives is escaped wherever a
    page or the sidebar writes it, and the compare chart gets it HTML-escaped."""
    from markdown_it import MarkdownIt

    crafted = "![p](http://tracker.example/p.png)<img src=x onerror=alert(1)>:red[x]"
    app = paste(run_app(), f"CCO {crafted}")
    assert _current(app).label == crafted
    for page in ("input", "profile", "compare"):
        app = run_app(page, app)
        if page == "compare":
            app.button(key="w.compare_current").click().run()
            app.text_input(key="w.compare_smiles").input("CCCO").run()
            app.button(key="w.compare_add_smiles").click().run()
            chart = app.get("plotly_chart")[0].proto.spec
            assert "<img" not in chart and "&lt;img" in chart
        assert not problems(app)
        shown = [
            str(e.value)
            for kind in ("markdown", "subheader", "success", "info", "caption")
            for e in app.get(kind)
            if "tracker" in str(e.value)
        ]
        assert shown, page
        for text in shown:
            html = MarkdownIt("commonmark").render(text)
            assert "<img" not in html and ":red[" not in text, (page, text)


def test_compare_refuses_a_bad_smiles_and_a_fifth_drug(run_app) -> None:
    app = run_app("compare", run_app())
    app.text_input(key="w.compare_smiles").input("C1CC(").run()
    app.button(key="w.compare_add_smiles").click().run()
    assert "cannot be compared" in _texts(app.error)
    for smiles in ("CCO", "CCCO", "CCCCO", "CCCCCO", "CCCCCCO"):
        app.text_input(key="w.compare_smiles").input(smiles).run()
        app.button(key="w.compare_add_smiles").click().run()
    assert len(app.session_state[state.COMPARE]) == 4
    assert "at most 4" in _texts(app.warning)


# --------------------------------------------------------------------------- report and about


def test_report_offers_csv_and_pdf(run_app) -> None:
    app = run_app("report", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    labels = [button.label for button in app.get("download_button")]
    assert labels == ["Download CSV", "Download PDF"]
    preview = app.dataframe[0].value
    assert {"model_version", "standardised_smiles", "known_source"} <= set(preview.columns)
    assert (preview["model_version"] == "0.0.tiny").all()


def test_about_renders_the_model_card(run_app) -> None:
    app = run_app("about", run_app())
    assert not problems(app)
    overview = next(f.value for f in app.dataframe if "item" in f.value.columns)
    assert overview.set_index("item").loc["model version", "value"] == "0.0.tiny"
    text = _texts(app.markdown)
    assert "CC BY-NC-SA" in text and "Intended use" not in text  # headings are subheaders
    assert any(s.value == "Intended use" for s in app.subheader)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Drugs"] == "39"


def test_explain_shows_atoms_and_substructures(run_app) -> None:
    app = run_app("explain", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    chosen = app.multiselect(key="w.explain_side_effects").value
    assert len(chosen) == 3
    summary = next(f.value for f in app.dataframe if "expected_value" in f.value.columns)
    assert summary["side_effect"].tolist() == chosen
    parts = summary[["expected_value", "atoms", "absent_bits", "descriptors", "knn_prior"]]
    assert (parts.sum(axis=1) - summary["value"]).abs().max() < 1e-3  # SHAP adds up
    assert len(app.get("image")) >= 1  # the atom drawing
    fragments = next(f.value for f in app.dataframe if "fragment" in f.value.columns)
    assert fragments["image"].str.startswith("data:image/svg+xml").all()
    # Issue #23: strongest first whatever the sign, no lone atom, each fragment once.
    assert fragments["contribution"].abs().is_monotonic_decreasing
    assert (fragments["radius"] >= 1).all() and fragments["fragment"].is_unique
    assert set(fragments["direction"]) <= {"raises", "lowers"}
    # One sentence per side effect says how far its atoms move the chance.
    sentences = _texts(app.markdown) + _texts(app.info)
    assert all(f"chance of {name}" in sentences or f"{name}: its atoms" in sentences
               for name in chosen)  # fmt: skip
    assert "The colours span ±" in captions(app) and "percentage points per atom" in captions(app)
    app.radio(key="w.explain_output").set_value("frequency").run()
    assert not problems(app)
    app.multiselect(key="w.explain_side_effects").set_value([]).run()
    assert "Choose at least one side effect." in _texts(app.info)


def test_explain_marks_serious_terms_and_speaks_in_smpc_words(run_app) -> None:
    """Issue #23, items 4 and 6: the side-effect pickers and the fragments' heading mark a
    serious term (⚠, with the legend); the frequency output is read in the SmPC's words,
    never "class (1-5)". The pickers' values stay the bare terms."""
    from sefreq.present.vocabulary import FREQUENCY_SCALE, SERIOUS_LEGEND, SERIOUS_MARK

    app = run_app("explain", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    picker = app.multiselect(key="w.explain_side_effects")
    assert f"{SERIOUS_MARK} Hepatitis" in picker.options and "Headache" in picker.options
    assert "Hepatitis" not in picker.options
    assert SERIOUS_LEGEND in captions(app)
    picker.set_value(["Hepatitis", "Headache"]).run()
    assert not problems(app)
    focus = app.selectbox(key="w.explain_focus")
    assert focus.options == [f"{SERIOUS_MARK} Hepatitis", "Headache"]
    assert focus.value == "Hepatitis"
    assert f"Fragments that move {SERIOUS_MARK} Hepatitis most" in _texts(app.markdown)
    summary = next(f.value for f in app.dataframe if "expected_value" in f.value.columns)
    assert summary["side_effect"].tolist() == [f"{SERIOUS_MARK} Hepatitis", "Headache"]
    app.radio(key="w.explain_output").set_value("frequency").run()
    assert not problems(app)
    shown = _texts(app.markdown) + str(app.radio(key="w.explain_output").options)
    assert FREQUENCY_SCALE in shown and "class (1-5)" not in shown


def test_report_predicts_a_batch_with_ids_carried_through(run_app) -> None:
    app = paste(run_app(), "CCO ethanol\nC1CC( broken\nc1ccccc1O phenol")
    app = run_app("report", app)
    app.button(key="w.batch_predict").click().run()
    assert not app.exception
    summary = next(f.value for f in app.dataframe if "top_side_effects" in f.value.columns)
    assert summary["molecule_id"].tolist() == ["ethanol", "phenol"]
    labels = [button.label for button in app.get("download_button")]
    assert "Download batch CSV" in labels
    _, table = app.session_state["sefreq.batch_result"]
    assert table["molecule_id"].drop_duplicates().tolist() == ["ethanol", "broken", "phenol"]
    assert len(table[table["molecule_id"] == "ethanol"]) == 30
    assert table.loc[table["molecule_id"] == "broken", "error"].str.contains("SMILES").all()
    # The batch CSV speaks the SmPC's words too (#23: it wrote the model's CIOMS "frequent").
    scored = table[table["error"] == ""]
    assert set(scored["predicted_band"]) <= set(SMPC_BANDS)


def test_an_unexpected_error_is_a_message_not_a_traceback(run_app, monkeypatch) -> None:
    import sefreq.present.profile

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    app = use_drug(run_app(), "ibuprofen")
    monkeypatch.setattr(sefreq.present.profile, "profile_table", broken)
    app = run_app("profile", app)
    assert not app.exception
    assert "Something went wrong while drawing the Profile page: simulated failure" in (
        app.error[0].value
    )
    assert DISCLAIMER in captions(app)  # the frame still draws its footer
    assert _current(app).drug_name == "ibuprofen"  # and keeps the current drug


BAD = bad_inputs


def test_pasting_the_bad_smiles_corpus_names_each_problem(run_app) -> None:
    # One SMILES a line: cases with spaces or line breaks would be split, so they stay out;
    # so does a lone surrogate, which no browser sends (the API's case).
    lines = [(n, s) for n, s in BAD.SMILES_CASES
             if s and not any(c.isspace() for c in s) and "surrogate" not in n]  # fmt: skip
    text = "\n".join(f"{s} case{i}" for i, (_, s) in enumerate(lines) if not s.startswith("#"))
    app = paste(use_drug(run_app(), "ibuprofen"), text)
    assert not app.exception
    batch = app.session_state[state.BATCH]
    assert len(batch) > 100
    unusable = [m for m in batch if not m.ok]
    assert unusable and all(m.error for m in unusable)
    assert f"({len(unusable)} unusable)" in _texts(app.warning)


@pytest.mark.parametrize("case", BAD.file_cases(), ids=[c[0] for c in BAD.file_cases()])
def test_every_bad_upload_is_answered_on_the_page(run_app, case) -> None:
    _, filename, content = case
    app = mode(use_drug(run_app(), "ibuprofen"), state.MODE_UPLOAD)
    app.file_uploader(key="w.upload").upload(filename, content).run()
    assert not app.exception
    if not any(b.key == "w.upload_use" for b in app.button):
        # A type the uploader does not take (.xlsx, .mol, none): Streamlit itself says so.
        assert _current(app).drug_name == "ibuprofen"
        return
    app.button(key="w.upload_use").click().run()
    assert not app.exception
    if app.error:  # refused: the message says why, and the current drug is kept
        assert all(len(e.value) > 15 for e in app.error)
        assert _current(app).drug_name == "ibuprofen"
    else:  # read: the file's first usable molecule is now the current drug
        assert _current(app).drug_name != "ibuprofen"


def test_report_page_offers_the_smpc_csv_and_the_comparison(run_app) -> None:
    app = use_drug(run_app(), "ibuprofen")
    app.session_state[state.COMPARE] = [
        molecules.prepare("CCO", "ethanol", molecules.PASTED),
        molecules.prepare("CCCO", "propanol", molecules.PASTED),
    ]
    app = run_app("report", app)
    assert not problems(app)
    labels = [button.label for button in app.get("download_button")]
    assert labels == [
        "Download CSV",
        "Download PDF",
        "Download comparison CSV",
        "Download comparison PDF",
    ]
    preview = app.dataframe[0].value
    assert list(preview.columns) == [
        COLUMN_NAMES.get(c, c) for c in [*SMPC_COLUMNS, *STANDOUT_COLUMNS, *SMPC_PROVENANCE]
    ]
    assert (preview["model_version"] == "0.0.tiny").all()
    assert preview[COLUMN_NAMES["percentile"]].between(0, 100).all()  # vs approved drugs


def test_serious_only_applies_to_the_profile_layout_compare_and_report(run_app) -> None:
    """Issue #23, deliverable 4: one 'serious only' switch, kept across pages, filters the
    Profile's SmPC layout (not only the ranked list), Compare's table and the Report."""
    from sefreq.present.vocabulary import SERIOUS_MARK

    def layout_terms(app):
        cells = [str(v) for t in app.table for v in t.value.to_numpy().ravel() if str(v)]
        return [term for cell in cells for term in cell.split(", ")]

    app = run_app("profile", use_drug(run_app(), "ibuprofen"))
    assert not problems(app)
    terms = layout_terms(app)
    assert any(t.startswith(SERIOUS_MARK) for t in terms)
    assert not all(t.startswith(SERIOUS_MARK) for t in terms)
    app.checkbox(key=state.SERIOUS_ONLY).check().run()
    terms = layout_terms(app)
    assert terms and all(t.startswith(SERIOUS_MARK) for t in terms), terms

    app = run_app("compare", app)
    app.button(key="w.compare_current").click().run()
    app.text_input(key="w.compare_query").input("furosemide").run()
    app.button(key="w.compare_lookup").click().run()
    assert not problems(app)
    assert app.checkbox(key=state.SERIOUS_ONLY).value  # kept from the Profile page
    side_by_side = next(f.value for f in app.dataframe if "difference" in f.value.columns)
    assert len(side_by_side) and side_by_side["severity"].eq(f"{SERIOUS_MARK} serious").all()
    app.checkbox(key=state.SERIOUS_ONLY).uncheck().run()
    side_by_side = next(f.value for f in app.dataframe if "difference" in f.value.columns)
    assert set(side_by_side["severity"]) >= {f"{SERIOUS_MARK} serious", "moderate"}

    app.checkbox(key=state.SERIOUS_ONLY).check().run()
    app = run_app("report", app)
    assert not problems(app)
    preview = app.dataframe[0].value
    assert len(preview) and preview[COLUMN_NAMES["severity"]].eq("serious").all()
