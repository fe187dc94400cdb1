"""Report: the current drug's SmPC table and profile as CSV and PDF, and the comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from sefreq.present.compare import band_comparison, comparison_cells, comparison_labels
from sefreq.present.vocabulary import SERIOUS_MARK, readable
from sefreq.report import ReportInput, profile_pdf, report_input, table_csv, table_pdf
from sefreq.report.build import mechanism_side_effects
from sefreq.report.pdf import COMPARISON_NOTES
from sefreq.report.tables import (
    batch_report_table,
    csv_bytes,
    report_csv,
    safe_filename,
    smpc_csv,
    smpc_report_table,
)
from sefreq.ui import resources, state, widgets

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: What the profile CSV holds, as the page offers it.
CSV_SMPC = "SmPC table (labels first, then predictions)"
CSV_FULL = "every side effect (long form)"


@st.cache_data(max_entries=16, show_spinner=False)
def _pdf(key: str, _report: ReportInput) -> bytes:
    """The PDF, built once per ``key`` (model, molecule, threshold); underscored arguments
    are not hashed."""
    return profile_pdf(_report)


def _profile_section(dataset: Dataset, threshold: float, serious: bool) -> None:
    molecule = widgets.require_current()
    if molecule is None:
        return
    prediction = widgets.prediction_for(molecule)
    if prediction is None:
        return
    mechanism, _ = resources.mechanism(molecule.parent_smiles, mechanism_side_effects(prediction))
    report = report_input(
        molecule,
        prediction,
        dataset,
        resources.model_card(),
        threshold,
        resources.reference(),
        mechanism=mechanism,
        serious_only=serious,
    )
    known_drug = report.drug_index is not None
    name = safe_filename(molecule.label)
    st.markdown(
        f"A report for **{molecule.markdown_label}** with model version "
        f"**{report.model_version}**. The PDF holds the SmPC-style table (label terms by "
        "organ class and frequency, predictions marked with an asterisk, serious terms with "
        f"{SERIOUS_MARK}), a chart of the top "
        "side effects, the applicability domain, the evidence sources, the disclaimer and the "
        "licences. The CSV holds the same SmPC rows with provenance on every row, or every "
        "side effect."
    )
    content = st.radio(
        "The CSV holds", [CSV_SMPC, CSV_FULL], horizontal=True, key="w.report_csv_of"
    )
    columns = st.columns(2)
    columns[0].download_button(
        "Download CSV",
        smpc_csv(report) if content == CSV_SMPC else report_csv(report),
        file_name=f"sefreq_{name}{'_smpc' if content == CSV_SMPC else ''}.csv",
        mime="text/csv",
        key="w.report_csv",
        on_click="ignore",  # no rerun: the file stays valid and is not rebuilt
        type="primary",
    )
    with st.spinner("Building the PDF…"):
        key = (
            f"{resources.model_dir()}|{molecule.id}|{molecule.parent_smiles}|{known_drug}"
            f"|{threshold}|{serious}"
        )
        pdf = _pdf(key, report)
    columns[1].download_button(
        "Download PDF",
        pdf,
        file_name=f"sefreq_{name}.pdf",
        mime="application/pdf",
        key="w.report_pdf",
        on_click="ignore",  # no rerun: the file stays valid and is not rebuilt
        type="primary",
    )
    st.markdown("**Preview of the SmPC CSV** (first 20 rows)")
    st.dataframe(readable(smpc_report_table(report).head(20)), hide_index=True)


def _compare_section(dataset: Dataset, threshold: float, serious: bool) -> None:
    chosen = state.compare_list()
    if len(chosen) < 2 or not widgets.require_model():
        return
    st.subheader(f"Comparison: {len(chosen)} drugs")
    with st.spinner(f"Predicting {len(chosen)} profiles…"):
        table = resources.predict(
            [m.parent_smiles for m in chosen], [str(k) for k in range(len(chosen))]
        )
    labels = comparison_labels([m.label for m in chosen])
    entries = {
        label: (table[table["id"] == str(k)], molecule.drug_index)
        for k, (label, molecule) in enumerate(zip(labels, chosen, strict=True))
    }
    frame = band_comparison(comparison_cells(entries, dataset, threshold), serious_only=serious)
    card = resources.model_card()
    title = "Side effects compared: " + ", ".join(labels)
    notes = [*COMPARISON_NOTES, f"Predictions shown from a chance of {threshold:g}%."]
    if serious:
        notes.append("Serious side effects only (the severity column).")
    st.caption(
        f"{len(frame)} row{'' if len(frame) == 1 else 's'}"
        f"{' (serious side effects only)' if serious else ''}: the side-by-side table of the "
        "Compare page, as a file."
    )
    columns = st.columns(2)
    columns[0].download_button(
        "Download comparison CSV",
        table_csv(frame, card, drugs="; ".join(labels), threshold_pct=f"{threshold:g}"),
        file_name="sefreq_comparison.csv",
        mime="text/csv",
        key="w.compare_csv",
        on_click="ignore",
    )
    columns[1].download_button(
        "Download comparison PDF",
        table_pdf(frame, title, notes, card),
        file_name="sefreq_comparison.pdf",
        mime="application/pdf",
        key="w.compare_pdf",
        on_click="ignore",
    )


st.title("Report")
_dataset, _ = resources.dataset()
_threshold = widgets.threshold_slider("in the SmPC table")
_serious = widgets.serious_only_checkbox()
_profile_section(_dataset, _threshold, _serious)
_compare_section(_dataset, _threshold, _serious)


#: How many molecules one prediction call scores while the progress bar moves.
BATCH_CHUNK = 25
BATCH_RESULT = "sefreq.batch_result"  # (ids, long table) of the last batch prediction


def _batch_section() -> None:
    batch = state.batch()
    if not batch:
        return
    st.subheader(f"Batch: {len(batch)} molecules")
    usable = [m for m in batch if m.ok]
    ids = tuple(m.id for m in batch)
    st.caption(
        f"{len(usable)} of {len(batch)} can be scored. The CSV has one row per molecule and "
        "side effect, your ids carried through; unusable molecules get one row with the reason."
    )
    if not widgets.require_model():
        return
    if st.button("Predict the whole batch", key="w.batch_predict"):
        progress = st.progress(0.0, text="Predicting…")
        frames = []
        for start in range(0, len(usable), BATCH_CHUNK):
            chunk = usable[start : start + BATCH_CHUNK]
            frames.append(
                resources.predict([m.parent_smiles for m in chunk], [m.id for m in chunk])
            )
            done = min(start + BATCH_CHUNK, len(usable))
            progress.progress(done / max(len(usable), 1), text=f"{done} of {len(usable)} molecules")
        progress.empty()
        prediction = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame({"side_effect_index": [], "id": []})
        )
        table = batch_report_table(batch, prediction, resources.model_card())
        st.session_state[BATCH_RESULT] = (ids, table)
    kept = st.session_state.get(BATCH_RESULT)
    if kept is None or kept[0] != ids:
        return
    table = kept[1]
    top = table[table["error"] == ""].groupby("molecule_id", sort=False).head(3)
    summary = top.groupby("molecule_id", sort=False).agg(
        top_side_effects=(
            "side_effect",
            lambda names: ", ".join(names),
        ),
        in_domain=("in_domain", "first"),
    )
    st.dataframe(summary.reset_index(), hide_index=True)
    st.download_button(
        "Download batch CSV",
        csv_bytes(table),
        file_name="sefreq_batch.csv",
        mime="text/csv",
        key="w.batch_csv",
        on_click="ignore",  # no rerun: the file stays valid and is not rebuilt
    )


_batch_section()
