"""Which drug?: a medication list read against one symptom: which drug could cause it, how often."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from sefreq.present.symptoms import (
    SymptomMatch,
    match_symptom,
)
from sefreq.present.text import markdown_safe
from sefreq.present.vocabulary import (
    SERIOUS_LEGEND,
    SERIOUS_MARK,
    mark_serious,
    readable,
    serious_marked,
    severity_label,
    shown_numbers,
)
from sefreq.present.which import (
    LABEL_SOURCE,
    PREDICTION_SOURCE,
    drugs_reporting,
    severity_note,
    split_drug_list,
    tie_note,
    which_drugs,
)
from sefreq.report import table_csv
from sefreq.ui import resources, state, widgets

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

COLUMN_CONFIG = {
    "entered": "as entered",
    "label_band": "label frequency (median)",
    "label_median_pct": st.column_config.TextColumn("label median (% of patients)"),
    "n_labels": "frequency statements",
    "n_postmarketing": "post-marketing reports",
    "placebo_band": "placebo frequency",
    "placebo_median_pct": st.column_config.TextColumn("placebo median (% of patients)"),
    "placebo_at_least_drug": "placebo as often",
    "p_reported_pct": st.column_config.NumberColumn("chance reported (%)", format="%.0f"),
    "uncertainty_pct": st.column_config.NumberColumn("± (pp)", format="%.0f"),
    "predicted_band": "predicted frequency (if reported)",
    "conformal_bands": "conformal set (90%)",
    "in_domain": "in domain",
    "reason": "why this rank",
}
LABEL_COLUMNS = [
    "rank",
    "drug",
    "entered",
    "reason",
    "label_band",
    "label_median_pct",
    "n_labels",
    "n_postmarketing",
    "placebo_band",
    "placebo_median_pct",
    "placebo_at_least_drug",
]
PREDICTION_COLUMNS = [
    "rank",
    "drug",
    "entered",
    "label_band",
    "p_reported_pct",
    "uncertainty_pct",
    "predicted_band",
    "conformal_bands",
    "in_domain",
]


def _symptom(dataset: Dataset) -> SymptomMatch | None:
    """The symptom box, the term it matched and the alternatives; None until one is chosen."""
    query = st.text_input(
        "Symptom",
        key=state.WHICH_SYMPTOM,
        persist_state=state.PERSIST,
        bind=state.URL,
        placeholder="e.g. tinnitus, ringing in ears, heartburn, headaches",
        help="Any wording: a MedDRA term, a wording labels use, a lay term. Case, "
        "punctuation, plurals and small typos do not matter.",
    )
    if not query.strip():
        st.info("Type the symptom the patient has.")
        return None
    match = match_symptom(query, dataset)
    if not match.found:
        st.warning(markdown_safe(match.describe(), limit=600))
        if not match.suggestions:
            return None
        choice = st.selectbox(
            "Choose a side effect instead",
            ["–", *match.suggestions],
            format_func=_marks(match.suggestions).get,
            key="w.which_suggestion",
            help=SERIOUS_LEGEND,
        )
        return None if choice == "–" else match_symptom(choice, dataset)
    candidates = match.candidates
    if len(candidates) > 1:
        names = candidates["side_effect"].tolist()
        chosen = st.selectbox(
            "Side effect",
            names,
            format_func=_marks(names).__getitem__,
            key="w.which_term",
            help=SERIOUS_LEGEND,
        )
        if any(mark != name for name, mark in _marks(names).items()):
            st.caption(SERIOUS_LEGEND)
        if chosen != names[0]:
            match = match_symptom(chosen, dataset)
    st.markdown(f"Matched: **{markdown_safe(match.side_effect)}**")
    st.caption(markdown_safe(match.describe(), limit=400))
    note = markdown_safe(severity_note(str(match.side_effect)), limit=None)
    if note.startswith(SERIOUS_MARK):
        st.warning(note)
    else:
        st.caption(note)
    if len(candidates) > 1:
        with st.expander(f"{len(candidates)} terms match “{markdown_safe(query)}”"):
            st.dataframe(
                candidates.drop(columns="side_effect_index"),
                hide_index=True,
                column_config={"score": st.column_config.NumberColumn(format="%.2f")},
            )
    return match


def _marks(names: list[str]) -> dict[str, str]:
    """Each side effect as a picker shows it, serious ones marked (⚠); "–" stays "–"."""
    return {"–": "–", **dict(zip(names, mark_serious(names), strict=True))}


def _medication_list(dataset: Dataset) -> list[str]:
    """The pasted list and the drugs picked from the catalogue, in that order."""
    left, right = st.columns(2)
    text = left.text_area(
        "Medication list (paste)",
        key=state.WHICH_DRUGS,
        persist_state=state.PERSIST,
        bind=state.URL,
        placeholder="ibuprofen, furosemide, Lasix, CC(=O)Nc1ccc(O)cc1",
        help="Names, brands or SMILES, separated by commas, semicolons or new lines.",
    )
    picked = right.multiselect(
        "… or pick from the catalogue",
        sorted(dataset.catalogue["name"].astype(str).unique()),
        key=state.WHICH_PICKED,
        persist_state=state.PERSIST,
    )
    return [*split_drug_list(text), *picked]


def _answer(match: SymptomMatch, entries: list[str], dataset: Dataset) -> None:
    with st.spinner(f"Reading {len(entries)} drug(s) against {match.side_effect}…"):
        table = which_drugs(match, entries, dataset, predict=resources.predict)
    tier = table["severity"].iloc[0] if len(table) else ""
    term = markdown_safe(serious_marked(str(match.side_effect), tier))
    for row in table[table["error"] != ""].itertuples():
        st.warning(f"{markdown_safe(row.entered)}: {markdown_safe(row.error, limit=400)}")
    on_label = table[table["source"] == LABEL_SOURCE]
    predicted = table[(table["source"] == PREDICTION_SOURCE) & table["p_reported_pct"].notna()]

    st.subheader(f"On the labels: {term}")
    if on_label.empty:
        st.caption(f"No drug of the list has {term} on its labels (SIDER 4.1).")
    else:
        st.dataframe(
            shown_numbers(on_label[LABEL_COLUMNS], ["label_median_pct", "placebo_median_pct"]),
            hide_index=True,
            column_config=COLUMN_CONFIG,
        )
        note = tie_note(on_label)
        if note:
            st.caption(note)
        st.caption(
            "What the drugs' labels report (SIDER 4.1): the band of the median label "
            "statement, the number of statements, and what placebo arms report where a "
            "trial gives it. “Not known”: the labels list it without a frequency."
        )
    st.subheader("Predicted by the model, where the labels are silent")
    if predicted.empty:
        st.caption("No drug of the list left to predict.")
    else:
        st.dataframe(predicted[PREDICTION_COLUMNS], hide_index=True, column_config=COLUMN_CONFIG)
        st.caption(
            "Research predictions, not label facts: the chance that a label would report "
            f"{term}, its spread across the ensemble (± percentage points), the band if "
            "reported and the conformal set; “in domain” is false for a molecule unlike "
            "the drugs the model learnt from."
        )
    with st.expander("The whole answer, ranked (as the CSV holds it)"):
        whole = table.drop(columns="drug_index").assign(
            severity=table["severity"].map(severity_label)
        )
        st.dataframe(readable(whole), hide_index=True)
    st.download_button(
        "Download the answer (CSV)",
        table_csv(
            table,
            resources.model_card(),
            symptom=match.query,
            medication_list="; ".join(entries),
        ),
        file_name="sefreq_which_drug.csv",
        mime="text/csv",
        key="w.which_csv",
        on_click="ignore",
    )


st.title("Which drug?")
st.caption(
    "A patient takes several drugs and has a symptom: which drug could cause it, and how "
    "often? Label facts come first; the model fills in where the labels are silent."
)
dataset = widgets.require_dataset()
if dataset is not None:
    match = _symptom(dataset)
    entries = _medication_list(dataset)
    if match is not None:
        if not entries:
            st.info("Add the patient's drugs: paste a list or pick them from the catalogue.")
        elif widgets.require_model():
            _answer(match, entries, dataset)
        marked = markdown_safe(mark_serious([match.side_effect])[0])
        st.subheader(f"Drugs whose labels report {marked} most often")
        reporting = drugs_reporting(match, dataset, n=20)
        if reporting.empty:
            st.caption("No known drug's labels report it.")
        else:
            st.dataframe(
                readable(
                    reporting.drop(
                        columns=[
                            "side_effect",
                            "severity",
                            "severity_reason",
                            "label_class",
                            "drug_index",
                        ]
                    )
                ),
                hide_index=True,
            )
