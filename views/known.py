"""Known vs predicted: what the SIDER labels report beside what the model predicts."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import plotly.express as px
import streamlit as st

from sefreq.present.known import (
    LABEL_FREQUENCY_AXIS,
    agreement,
    comparison_table,
    label_rows,
    label_vs_chance,
    nearest_known_drugs,
    neighbour_reports,
    predicted_not_reported,
    reported_predicted_low,
)
from sefreq.present.vocabulary import SERIOUS_LEGEND, mark_serious, shown_numbers
from sefreq.ui import widgets

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

COLUMN_CONFIG = {
    "side_effect": st.column_config.TextColumn("side effect", help=SERIOUS_LEGEND),
    "p_reported_pct": st.column_config.NumberColumn("chance reported (%)", format="%.0f"),
    "band": "predicted band",
    "band_range": "share of patients",
    "known_band": "label band (median)",
    "known_median_pct": st.column_config.TextColumn("label median (% of patients)"),
    "n_labels": "label statements",
    "placebo_band": "placebo band",
    "n_postmarketing": "post-marketing reports",
}


def _marked(rows):
    """``rows`` with each serious side effect marked (⚠), as every page names it, and the
    label median blank where the labels give no number."""
    return shown_numbers(rows.assign(side_effect=mark_serious(rows["side_effect"])), MEDIANS)


#: Number columns that are missing where the labels give no figure.
MEDIANS = ("known_median_pct",)


def _disagreements(title: str, rows, columns: list[str]) -> None:
    st.markdown(title)
    if rows.empty:
        st.caption("None.")
    else:
        st.dataframe(_marked(rows[columns]), hide_index=True, column_config=COLUMN_CONFIG)


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.0f}%"


def _known_drug(molecule, dataset: Dataset, prediction) -> None:
    table = comparison_table(prediction, dataset, molecule.drug_index)
    figures = agreement(table)
    st.subheader(f"{molecule.markdown_label}: labels vs model")
    columns = st.columns(5)
    columns[0].metric("Reported on labels", f"{figures['n_reported']} side effects")
    columns[1].metric("Predicted (chance ≥ 50%)", f"{figures['n_predicted']} side effects")
    columns[2].metric(
        "AUROC (ranking)",
        "–" if math.isnan(figures["auroc"]) else f"{figures['auroc']:.2f}",
        help="Chance a reported side effect is ranked above an unreported one (0.5 = random).",
    )
    columns[3].metric(
        "Same band as label",
        _pct(figures["class_exact"]),
        help="Share of reported side effects whose predicted band is the label's.",
    )
    columns[4].metric("Within one band", _pct(figures["class_within_one"]))

    st.caption(SERIOUS_LEGEND)
    points = label_vs_chance(table)
    if len(points):
        points = _marked(points)
        figure = px.strip(
            points,
            x="label_frequency",
            y="p_reported_pct",
            hover_name="side_effect",
            category_orders={"label_frequency": list(LABEL_FREQUENCY_AXIS)},
            labels={
                "label_frequency": "frequency on the labels (SmPC band)",
                "p_reported_pct": "predicted chance reported (%)",
            },
        )
        figure.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(figure, width="stretch")

    left, right = st.columns(2)
    with left:
        _disagreements(
            "**Predicted but not reported** (chance ≥ 50%, on no label)",
            predicted_not_reported(table),
            ["side_effect", "p_reported_pct", "band", "band_range"],
        )
    with right:
        _disagreements(
            "**Reported but predicted low** (on a label, chance < 20%)",
            reported_predicted_low(table),
            ["side_effect", "p_reported_pct", "known_band", "known_median_pct"],
        )

    st.markdown("**Every side effect on the labels, beside the prediction**")
    evidence = table[table["reported"] | (table["n_postmarketing"] > 0)]
    st.dataframe(
        _marked(evidence)[
            [
                "side_effect",
                "known_band",
                "known_median_pct",
                "n_labels",
                "placebo_band",
                "n_postmarketing",
                "p_reported_pct",
                "band",
                "band_range",
            ]
        ],
        hide_index=True,
        column_config=COLUMN_CONFIG,
    )
    st.caption(
        "Label band: median of the drug's label statements (drug arm). Placebo statements and "
        "post-marketing reports are shown apart and never counted as the drug's frequency."
    )
    with st.expander("Label statements (one row per statement)"):
        rows = label_rows(dataset, molecule.drug_index)
        kinds = st.multiselect(
            "Evidence",
            ["drug", "placebo", "postmarketing"],
            default=["drug", "placebo", "postmarketing"],
            key="w.known_kinds",
        )
        st.dataframe(
            _marked(rows[rows["evidence"].isin(kinds)]),
            hide_index=True,
            column_config={
                "lower_pct": st.column_config.NumberColumn("lower (% of patients)", format="%.3g"),
                "upper_pct": st.column_config.NumberColumn("upper (% of patients)", format="%.3g"),
            },
        )


def _new_molecule(molecule, dataset: Dataset) -> None:
    st.subheader(f"{molecule.markdown_label}: not one of the known drugs")
    st.caption(
        "No label data exists for a new molecule. Here are the most similar known drugs "
        "and what their labels report."
    )
    with st.spinner("Finding similar known drugs…"):
        neighbours = nearest_known_drugs(molecule.parent_smiles, dataset, k=5)
    st.dataframe(
        neighbours.drop(columns="drug_index"),
        hide_index=True,
        column_config={
            "tanimoto": st.column_config.NumberColumn("similarity (Tanimoto, 0-1)", format="%.2f"),
            "n_reported": "side effects on labels",
        },
    )
    reports = neighbour_reports(dataset, neighbours["drug_index"].head(3).tolist())
    st.markdown("**Side effects most often on the labels of the 3 nearest drugs** (label band)")
    st.dataframe(
        _marked(reports),
        hide_index=True,
        column_config={
            "side_effect": COLUMN_CONFIG["side_effect"],
            "n_drugs": "drugs reporting it",
        },
    )
    st.caption(SERIOUS_LEGEND)


st.title("Known vs predicted")
molecule = widgets.require_current()
if molecule is not None:
    dataset = widgets.require_dataset()
    if dataset is not None:
        if molecule.drug_index is not None and not molecule.ok:
            st.warning(molecule.markdown_error)
            st.dataframe(_marked(label_rows(dataset, molecule.drug_index)), hide_index=True)
            st.caption(SERIOUS_LEGEND)
        elif molecule.ok:
            prediction = widgets.prediction_for(molecule)
            if prediction is not None:
                if molecule.drug_index is not None:
                    _known_drug(molecule, dataset, prediction)
                else:
                    _new_molecule(molecule, dataset)
        else:
            st.error(f"{molecule.markdown_label} cannot be scored: {molecule.markdown_error}")
