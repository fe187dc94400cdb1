"""Which drug? (issue #14): the symptom matcher, the medication list against a symptom and
the reverse question, on the tiny world (the page: tests/app/test_which_page.py)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from sefreq.present.symptoms import (
    LAY_TERM,
    LLT_SYNONYM,
    TERM,
    UnknownSymptomError,
    match_symptom,
)
from sefreq.present.vocabulary import SMPC_BANDS
from sefreq.present.which import (
    LABEL_SOURCE,
    NO_LABEL_DATA,
    NOT_ON_LABELS,
    PREDICTION_SOURCE,
    REPORTING_COLUMNS,
    WHICH_COLUMNS,
    drugs_reporting,
    rank_answers,
    split_drug_list,
    tie_note,
    which_drugs,
)
from tests.support.tiny_world import DRUGS

NEW_MOLECULE = "CCCCCCCCCCCCCCCC(=O)O"  # palmitic acid: no drug of the tiny world


@pytest.fixture(scope="module")
def dataset(tiny_world):
    return tiny_world.dataset


@pytest.fixture(scope="module")
def predict(tiny_world):
    from sefreq.model.predictor import Predictor

    return Predictor.from_directory(tiny_world.bundle_dir).predict


def _index(dataset, term: str) -> int:
    return int(dataset.side_effects.index[dataset.side_effects["name"] == term][0])


def _drug(dataset, name: str) -> int:
    return int(dataset.drugs.index[dataset.drugs["name"] == name][0])


def _reporting_and_silent(dataset, term: str) -> tuple[str, str]:
    """A drug (with a structure) whose labels report ``term`` and one whose labels do not."""
    column = np.asarray(dataset.frequency)[:, _index(dataset, term)]
    with_structure = dataset.drugs["has_structure"].to_numpy(bool)
    names = dataset.drugs["name"]
    return (
        str(names[(column > 0) & with_structure].iloc[0]),
        str(names[(column == 0) & with_structure].iloc[0]),
    )


# --------------------------------------------------------------------------- matcher


@pytest.mark.parametrize(
    ("typed", "term", "via"),
    [
        ("Headache", "Headache", TERM),
        ("  HEADACHES!! ", "Headache", TERM),  # case, spacing, punctuation, plural
        ("diarrhea", "Diarrhoea", TERM),  # American spelling
        ("edema peripheral", "Oedema peripheral", TERM),
        ("peripheral oedema", "Oedema peripheral", TERM),  # another word order
        ("vomitting", "Vomiting", TERM),  # a typo
        ("nausia", "Nausea", TERM),
        ("Heartburn", "Dyspepsia", LLT_SYNONYM),  # a label wording SIDER files under it
        ("stomach-ache", "Abdominal pain", LLT_SYNONYM),
        ("hair loss", "Alopecia", LAY_TERM),
        ("hives", "Urticaria", LAY_TERM),
    ],
)
def test_the_matcher_forgives_wording(dataset, typed: str, term: str, via: str) -> None:
    match = match_symptom(typed, dataset)
    assert match.found
    assert match.side_effect == term
    assert match.side_effect_index == _index(dataset, term)
    assert match.candidates["via"].iloc[0] == via
    assert set(match.candidates.columns) >= {"matched", "how", "score"}
    assert match.candidates["score"].is_monotonic_decreasing


def test_an_exact_term_scores_one_and_says_so(dataset) -> None:
    match = match_symptom("nausea", dataset)
    assert match.candidates["score"].iloc[0] == 1.0
    assert match.describe() == '"nausea" -> Nausea'


@pytest.mark.parametrize("typed", ["xyzzy", "", "   ", "?!", "q" * 500])
def test_no_match_is_an_empty_result_never_an_exception(dataset, typed: str) -> None:
    match = match_symptom(typed, dataset)
    assert not match.found
    assert match.candidates.empty and match.side_effect is None
    assert "No side effect matches" in match.describe()


def test_no_match_still_suggests_terms_that_share_a_word(dataset) -> None:
    match = match_symptom("abdominal", dataset)
    assert not match.found
    assert "Abdominal pain" in match.suggestions


def test_an_unknown_symptom_stops_which_drugs_with_the_suggestions(dataset, predict) -> None:
    with pytest.raises(UnknownSymptomError) as error:
        which_drugs("abdominal", ["ibuprofen"], dataset, predict=predict)
    assert "Abdominal pain" in error.value.suggestions
    assert "Did you mean" in str(error.value)


# --------------------------------------------------------------------------- which drug


def test_split_drug_list() -> None:
    assert split_drug_list("ibuprofen, Advil;\nCC(=O)O\t,, ") == ["ibuprofen", "Advil", "CC(=O)O"]
    assert split_drug_list([" a ", "", "b"]) == ["a", "b"]


def test_a_drug_whose_labels_report_it_ranks_above_one_whose_labels_do_not(
    dataset, predict
) -> None:
    reporting, silent = _reporting_and_silent(dataset, "Nausea")
    table = which_drugs("nausea", [silent, reporting], dataset, predict=predict)
    assert list(table.columns) == list(WHICH_COLUMNS)
    assert table["drug"].tolist() == [reporting, silent]
    assert table["rank"].tolist() == [1, 2]
    first, second = table.iloc[0], table.iloc[1]
    assert first["source"] == LABEL_SOURCE and first["label_class"] > 0 and first["n_labels"] > 0
    assert second["source"] == PREDICTION_SOURCE and second["label_band"] == NOT_ON_LABELS
    assert (table["side_effect"] == "Nausea").all()
    # The model's view is carried for both, to be read beside the labels, in the SmPC's
    # words (#23: "frequent" leaked into the page, the CSV and `sefreq which`).
    assert table["p_reported_pct"].between(0, 100).all()
    assert set(table["predicted_band"]) <= set(SMPC_BANDS)


def test_label_rows_come_by_band_then_statements_and_predictions_by_chance(
    dataset, predict
) -> None:
    names = [name for name, smiles, _ in DRUGS if smiles]
    table = which_drugs("Headache", names, dataset, predict=predict)
    assert len(table) == len(names)
    labelled = table[table["source"] == LABEL_SOURCE]
    predicted = table[table["source"] == PREDICTION_SOURCE]
    assert len(labelled) and len(predicted)
    assert labelled.index.max() < predicted.index.min()  # every label row first
    order = list(zip(-labelled["label_class"], -labelled["n_labels"], strict=True))
    assert order == sorted(order)
    assert predicted["p_reported_pct"].is_monotonic_decreasing
    column = np.asarray(dataset.frequency)[:, _index(dataset, "Headache")]
    listed = dataset.drugs["name"][(column > 0) & dataset.drugs["has_structure"].to_numpy(bool)]
    assert set(labelled["drug"]) == set(listed)  # every listed drug whose labels report it
    # The label band is the band of the median label statement, as the profile shows it.
    row = labelled.iloc[0]
    pair = dataset.pairs[
        (dataset.pairs["drug_index"] == row["drug_index"])
        & (dataset.pairs["side_effect_index"] == _index(dataset, "Headache"))
    ].iloc[0]
    assert row["label_class"] == pair["derived_class"]
    assert row["label_median_pct"] == pytest.approx(100 * pair["median_midpoint"])


def test_names_brands_smiles_and_mistakes_each_get_a_row(dataset, predict) -> None:
    entries = ["ADVIL", DRUGS[2][1], NEW_MOLECULE, "not a drug", "C1CC"]
    table = which_drugs("rash", ", ".join(entries), dataset, predict=predict).set_index("entered")
    assert table.loc["ADVIL", "drug"] == "ibuprofen"
    assert table.loc["ADVIL", "read_as"] == "name"
    misspelt = which_drugs("rash", "ibuprofin", dataset, predict=predict).iloc[0]
    assert misspelt["drug"] == "ibuprofen" and misspelt["read_as"] == "similar name"
    assert table.loc[DRUGS[2][1], "drug"] == "paracetamol"  # a SMILES of a known drug
    assert table.loc[DRUGS[2][1], "read_as"] == "SMILES"
    new = table.loc[NEW_MOLECULE]
    assert new["label_band"] == NO_LABEL_DATA and new["source"] == PREDICTION_SOURCE
    assert new["drug_index"] == -1 and 0 <= new["p_reported_pct"] <= 100
    for bad in ("not a drug", "C1CC"):
        assert "neither a known drug name nor a readable SMILES" in table.loc[bad, "error"]
        assert table.loc[bad, "source"] == ""
    assert table["rank"].iloc[-2:].tolist() == [4, 5]  # the unreadable entries come last
    assert table.index[-2:].tolist() == ["not a drug", "C1CC"]


def test_a_drug_without_a_structure_keeps_its_label_facts(dataset, predict) -> None:
    table = which_drugs("Nausea", ["insulin glargine"], dataset, predict=predict)
    row = table.iloc[0]
    assert row["drug"] == "insulin glargine"
    assert "no usable small-molecule structure" in row["error"]
    assert np.isnan(row["p_reported_pct"])
    reported = np.asarray(dataset.frequency)[_drug(dataset, "insulin glargine")][
        _index(dataset, "Nausea")
    ]
    assert (row["source"] == LABEL_SOURCE) == bool(reported > 0)


def test_placebo_figures_come_from_the_placebo_arms(dataset, predict) -> None:
    placebo = dataset.evidence[dataset.evidence["kind"].astype(str) == "placebo"].iloc[0]
    drug = str(dataset.drugs["name"].iloc[int(placebo["drug_index"])])
    term = str(dataset.side_effects["name"].iloc[int(placebo["side_effect_index"])])
    row = which_drugs(term, [drug], dataset, predict=predict).iloc[0]
    rows = dataset.evidence[
        (dataset.evidence["drug_index"] == placebo["drug_index"])
        & (dataset.evidence["side_effect_index"] == placebo["side_effect_index"])
        & (dataset.evidence["kind"].astype(str) == "placebo")
    ]
    expected = 100 * ((rows["lower"] + rows["upper"]) / 2).median()
    assert row["placebo_median_pct"] == pytest.approx(expected)
    assert row["placebo_band"] != ""


def test_drugs_reporting_ranks_the_known_drugs_by_band(dataset) -> None:
    table = drugs_reporting("headaches", dataset, n=None)
    assert list(table.columns) == list(REPORTING_COLUMNS)
    column = np.asarray(dataset.frequency)[:, _index(dataset, "Headache")]
    # R's drugs that report it, and the SIDER drug beyond R whose labels do (celecoxib)
    celecoxib = int(dataset.catalogue.index[dataset.catalogue["name"] == "celecoxib"][0])
    assert set(table["drug_index"]) == {*np.flatnonzero(column > 0), celecoxib}
    order = list(zip(-table["label_class"], -table["n_labels"], table["drug"], strict=True))
    assert order == sorted(order)
    assert len(drugs_reporting("Headache", dataset, n=3)) == 3
    assert drugs_reporting("Headache", dataset, n=3)["rank"].tolist() == [1, 2, 3]


def test_sefreq_which_is_the_top_level_name(dataset, predict) -> None:
    import sefreq

    assert sefreq.which is which_drugs
    assert sefreq.drugs_reporting is drugs_reporting
    table = sefreq.which("Headache", "ibuprofen", dataset=dataset, predict=predict)
    assert isinstance(table, pd.DataFrame) and len(table) == 1


def test_one_drug_entered_twice_is_answered_once(dataset, predict) -> None:
    """A brand and its generic, or a name and the drug's SMILES, are one drug: one row,
    every wording kept; unreadable entries keep a row each, even when typed alike."""
    table = which_drugs(
        "rash",
        f"Advil, paracetamol, ibuprofen, {DRUGS[2][1]}, C1CC, C1CC",
        dataset,
        predict=predict,
    )
    assert sorted(table["drug"][table["error"] == ""]) == ["ibuprofen", "paracetamol"]
    by_drug = table[table["error"] == ""].set_index("drug")
    assert by_drug.loc["ibuprofen", "entered"] == "Advil / ibuprofen"
    assert by_drug.loc["paracetamol", "entered"] == f"paracetamol / {DRUGS[2][1]}"
    assert (table["entered"] == "C1CC").sum() == 2
    assert sorted(table["rank"]) == list(range(1, len(table) + 1))


def test_the_csv_export_carries_provenance(dataset) -> None:
    from sefreq.model.artifact import ModelCard
    from sefreq.report import table_csv

    table = which_drugs("Headache", ["ibuprofen"], dataset, predict=_stub)
    frame = pd.read_csv(io.BytesIO(table_csv(table, ModelCard(model_version="x"), symptom="h")))
    assert {"sider_version", "model_version", "generated_at", "symptom"} <= set(frame.columns)
    assert frame["drug"].tolist() == ["ibuprofen"]


def _stub(smiles: list[str], ids: list[str]) -> pd.DataFrame:
    """A predictor's long table with one row per molecule for every side effect (0.5)."""
    rows = [
        {
            "id": i,
            "side_effect_index": k,
            "p_association": 0.5,
            "uncertainty": 0.1,
            "max_similarity": 0.5,
            "band": "frequent",
            "frequency_class": 4,
            "conformal_set": "4",
            "in_domain": True,
        }
        for i in ids
        for k in range(30)
    ]
    return pd.DataFrame(rows)


def test_labels_that_all_list_it_without_a_frequency_are_told_apart_and_say_why() -> None:
    """Issue #23: three drugs whose labels all list tinnitus without a frequency came in
    typing order, furosemide (the classic ototoxic drug, with post-marketing reports) last."""
    columns = [c for c in WHICH_COLUMNS if c not in ("rank", "reason")]
    rows = [
        {"drug": drug, "source": LABEL_SOURCE, "label_class": 0, "label_band": "not known",
         "n_labels": 0, "n_postmarketing": reports, "p_reported_pct": chance, "error": ""}
        for drug, reports, chance in (("ibuprofen", 0, 40.0), ("aspirin", 0, 70.0),
                                      ("furosemide", 3, 20.0))
    ]  # fmt: skip
    table = rank_answers(pd.DataFrame(rows, columns=columns))
    assert table["drug"].tolist() == ["furosemide", "aspirin", "ibuprofen"]
    assert table["reason"].iloc[0] == (
        "labels: not known; no label statement gives a frequency; 3 post-marketing report(s); "
        "model: 20%"
    )
    assert tie_note(table).startswith("All 3 labels list it; none states a frequency")
    assert tie_note(table.head(1)) == ""


def test_the_answer_says_whether_the_symptom_is_serious_and_the_csv_carries_it(
    dataset, predict
) -> None:
    """Issue #23, deliverable 4: "Which drug?" says how serious the side effect is, on every
    row of the answer (so its CSV carries it) and in one line with the reason."""
    from sefreq.present.which import severity_note
    from sefreq.report import table_csv

    table = which_drugs("hepatitis", "ibuprofen, furosemide", dataset, predict)
    assert table["side_effect"].eq("Hepatitis").all()
    assert table["severity"].eq("serious").all()
    assert table["severity_reason"].str.len().gt(0).all()
    written = pd.read_csv(io.BytesIO(table_csv(table)), keep_default_na=False)
    assert written["severity"].eq("serious").all()
    assert written["severity_reason"].str.len().gt(0).all()
    note = severity_note("Hepatitis")
    assert note.startswith("⚠ Hepatitis is serious") and table["severity_reason"].iloc[0] in note
    assert "source:" in note

    mild = which_drugs("headache", ["ibuprofen"], dataset, predict)
    assert mild["severity"].tolist() == ["moderate"] and mild["severity_reason"].tolist() == [""]
    assert "not among the serious" in severity_note("Headache")
    reporting = drugs_reporting("hepatitis", dataset, n=3)
    assert reporting["severity"].eq("serious").all()


def test_the_spread_shown_widens_outside_the_domain(dataset) -> None:
    """#23: the pages widen a molecule's spread outside the applicability domain; Which
    drug? showed the ensemble's own, narrower the further the molecule was from any drug."""

    def far(smiles: list[str], ids: list[str]) -> pd.DataFrame:
        return _stub(smiles, ids).assign(max_similarity=0.05)

    near = which_drugs("Headache", ["ibuprofen"], dataset, predict=_stub)
    wide = which_drugs("Headache", ["ibuprofen"], dataset, predict=far)
    assert near["uncertainty_pct"].iloc[0] == pytest.approx(10.0)  # in domain: as it was
    assert wide["uncertainty_pct"].iloc[0] > 20.0
