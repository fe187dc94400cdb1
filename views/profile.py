"""Profile: the current drug's side effects as section 4.8 of an EU SmPC lays them out.

A drug with label data leads with what its labels report; the model's predictions follow,
only for side effects the labels do not report. A new molecule gets the same layout filled
by the model above a chance the user chooses. Every side effect, ranked by the model's
chance, comes last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.express as px
import streamlit as st

from sefreq.present.profile import (
    domain_summary,
    filter_profile,
    organ_class_options,
    profile_table,
    wide_spread_note,
)
from sefreq.present.smpc import (
    LABEL,
    PREDICTION,
    prediction_details,
    smpc_grid,
    smpc_part,
    smpc_summary,
    smpc_table,
)
from sefreq.present.standout import MOST_LIKELY, STANDS_OUT, order_profile, stands_out
from sefreq.present.text import markdown_safe
from sefreq.present.vocabulary import (
    BAND_COLOURS,
    NOT_REPORTED,
    SERIOUS_LEGEND,
    SERIOUS_MARK,
    mark_serious,
    severity_label,
    shown_numbers,
)
from sefreq.ui import resources, state, widgets

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: How this molecule compares with the approved drugs (sefreq.present.standout).
STANDOUT_CONFIG = {
    "percentile": st.column_config.NumberColumn(
        "vs approved drugs (percentile)",
        format="%.0f",
        help="Share of the catalogue's approved drugs (%) whose chance of this side effect "
        "is lower: 95 = higher than 95% of them.",
    ),
    "ratio_to_average": st.column_config.NumberColumn(
        "× the average drug", format="%.1f×", help="This chance over the approved drugs' average."
    ),
}
#: What a grid's "also under" means.
ALSO_UNDER_NOTE = (
    "Each term is listed once, under its primary organ class; “also under” names the other "
    "organ classes MedDRA links it to (shortened: Ear = Ear and labyrinth disorders)."
)
#: What the ± of a chance is (sefreq.model.confidence.domain_spread).
SPREAD_HELP = (
    "Spread of the chance: one standard deviation across the ensemble's members, widened "
    "when the molecule is unlike every training drug (outside the applicability domain)"
)
DETAIL_COLUMNS = {
    "side_effect": "side effect",
    "organ_class": "organ class",
    "secondary_organ_classes": st.column_config.TextColumn(
        "also under", help="The side effect's other organ classes (MedDRA links it to them too)"
    ),
    "smpc_band": "predicted band",
    "severity": "severity",
    "p_reported_pct": st.column_config.ProgressColumn(
        "chance reported (%)", min_value=0, max_value=100, format="%.0f%%"
    ),
    "uncertainty_pct": st.column_config.NumberColumn(
        "± (pp, 1 sd)", format="%.1f", help=SPREAD_HELP
    ),
    "conformal_bands": "plausible bands (conformal set)",
    "in_domain": "in domain",
    "side_effect_index": None,
    **STANDOUT_CONFIG,
}


def _layout(rows: pd.DataFrame, chance: bool = False) -> None:
    """Rows of the SmPC table as the printed grid, the bands that hold a term (st.table:
    cells wrap, and are markdown, so each term is escaped)."""
    grid = smpc_grid(
        rows, chance=chance, compact=True, serious_mark=SERIOUS_MARK, also_under=True
    ).rename_axis(index="organ class")
    st.table(grid.map(lambda cell: markdown_safe(cell, limit=None)))
    if rows["secondary_organ_classes"].astype(bool).any():
        st.caption(ALSO_UNDER_NOTE)


def _domain(domain: dict) -> None:
    if domain["in_domain"]:
        st.success("In the model's applicability domain: similar training drugs exist.")
    else:
        st.warning(wide_spread_note(domain))
    if domain.get("mechanism"):
        st.caption(domain["mechanism"])


def _predictions(table: pd.DataFrame, threshold: float, domain: dict, serious: bool) -> None:
    """The predicted rows of ``table``: the SmPC grid, marked, then their details."""
    _domain(domain)
    predicted = smpc_part(table, PREDICTION)
    kind = "serious side effects" if serious else "side effects"
    if predicted.empty:
        st.info(
            f"No {'serious side effect' if serious else 'prediction'} reaches a chance of "
            f"{threshold:.0f}%: lower the threshold."
        )
        return
    st.caption(
        f"{predicted['side_effect_index'].nunique()} {kind} with a chance of at least "
        f"{threshold:.0f}%. \\* = predicted by the model, not a label statement: band = the "
        "predicted band if it is reported; in brackets the chance it is reported on a label "
        "± its spread (one standard deviation across the ensemble, percentage points"
        + ("" if domain["in_domain"] else ", widened: outside the training drugs")
        + ")."
    )
    _layout(predicted, chance=True)
    details = stands_out(prediction_details(table), resources.reference())
    details["severity"] = details["severity"].map(severity_label)
    st.dataframe(details, hide_index=True, column_config=DETAIL_COLUMNS)


def _smpc_section(
    prediction: pd.DataFrame,
    dataset: Dataset,
    drug_index: int | None,
    domain: dict,
    serious: bool,
) -> None:
    """Labels first (when the drug has some), then the predictions above the threshold;
    the serious terms alone with ``serious``."""
    if drug_index is None:
        st.markdown("#### Predicted side effects (no label data)")
        st.info(
            "No label data: SIDER has no label for this molecule, so the layout below is "
            "filled by the model alone. Every entry is a prediction."
        )
        threshold = widgets.threshold_slider("in the layout")
        table = filter_profile(smpc_table(prediction, None, None, threshold), serious_only=serious)
        _predictions(table, threshold, domain, serious)
        return
    st.markdown("#### What the labels report (SIDER 4.1)")
    labels_box = st.container()
    st.markdown("#### Predicted, where the labels are silent")
    threshold = widgets.threshold_slider("for side effects the labels do not report")
    table = filter_profile(
        smpc_table(prediction, dataset, drug_index, threshold), serious_only=serious
    )
    counts = smpc_summary(table)
    with labels_box:
        if not counts["n_label"]:
            st.info(
                "No side effect on this drug's labels is serious."
                if serious
                else "The labels of this drug report no side effect SEFreq scores."
            )
        else:
            st.caption(
                f"{counts['n_label']} {'serious ' if serious else ''}side "
                f"effect{'' if counts['n_label'] == 1 else 's'} on the drug's labels, by organ "
                "class and "
                f"frequency as in section 4.8 of an EU SmPC (the median of the label "
                f"statements); {counts['n_label_not_known']} under “not known”: listed "
                "without a frequency."
            )
            _layout(smpc_part(table, LABEL))
    _predictions(table, threshold, domain, serious)


st.title("Side-effect profile")
molecule = widgets.require_current()
if molecule is not None:
    prediction = widgets.prediction_for(molecule)
    if prediction is not None:
        dataset, _ = resources.dataset()
        drug_index = molecule.drug_index if dataset is not None else None
        domain = domain_summary(prediction)

        st.subheader(molecule.markdown_label)
        st.caption(SERIOUS_LEGEND)
        serious = widgets.serious_only_checkbox()
        _smpc_section(prediction, dataset, drug_index, domain, serious)

        st.markdown("#### Every side effect, ranked")
        table = stands_out(profile_table(prediction, dataset, drug_index), resources.reference())
        columns = st.columns(4)
        columns[0].metric("Side effects scored", f"{len(table):,}")
        columns[1].metric(
            "Likely reported (chance ≥ 50%)", f"{int((table['p_reported_pct'] >= 50).sum()):,}"
        )
        columns[2].metric(
            "Nearest training drug",
            domain["nearest_drug"],
            help="Most similar drug the model was trained on (Tanimoto on Morgan fingerprints).",
        )
        columns[3].metric("Similarity to it (Tanimoto, 0-1)", f"{domain['max_similarity']:.2f}")

        order = st.radio(
            "Order",
            [MOST_LIKELY, STANDS_OUT],
            horizontal=True,
            key=state.PROFILE_ORDER,
            persist_state=state.PERSIST,
            help="Most likely: the highest chance first. Stands out: the side effects whose "
            "chance is highest compared with the approved drugs first (percentile among "
            "them), so a chance that is high for every drug does not crowd the top.",
        )
        table = order_profile(table, order or MOST_LIKELY)
        filters = st.columns([2, 2, 1])
        organs = filters[0].multiselect(
            "Organ classes",
            organ_class_options(table),
            key=state.PROFILE_ORGANS,
            persist_state=state.PERSIST,
        )
        search = filters[1].text_input(
            "Search side effects",
            key=state.PROFILE_SEARCH,
            placeholder="e.g. nausea",
            persist_state=state.PERSIST,
        )
        state.keep(state.PROFILE_TOP, min(30, len(table)))
        top = filters[2].number_input(
            "Rows",
            min_value=1,
            max_value=max(len(table), 1000),
            step=5,
            key=state.PROFILE_TOP,
            persist_state=state.PERSIST,
        )
        shown = filter_profile(table, organs, search or "", int(top), serious_only=bool(serious))
        if shown.empty:
            st.info(
                "No side effect matches these filters" + (" (serious only)." if serious else ".")
            )
        else:
            chart = shown.head(25).iloc[::-1]
            figure = px.bar(
                chart,
                x="p_reported_pct",
                y="side_effect",
                error_x="uncertainty_pct",
                color="band",
                color_discrete_map=BAND_COLOURS,
                orientation="h",
                hover_data={"band_range": True, "known_band": bool(drug_index is not None)},
                labels={
                    "p_reported_pct": "chance reported on a label (%)",
                    "side_effect": "",
                    "band": "predicted band",
                    "band_range": "share of patients",
                    "known_band": "label band",
                },
            )
            if drug_index is not None:
                # every term on the labels, with or without a stated frequency
                known = chart[~chart["known_band"].isin([NOT_REPORTED, ""])]
                figure.add_scatter(
                    x=[102] * len(known),
                    y=known["side_effect"],
                    mode="markers",
                    marker={"symbol": "diamond", "size": 9, "color": "#222"},
                    name="reported on labels",
                    hovertext=known["known_band"],
                )
            # Colouring by band makes one trace per band, and plotly would stack the rows
            # band by band; the table's order is the order a reader expects.
            names = chart["side_effect"].tolist()
            figure.update_yaxes(categoryorder="array", categoryarray=names)
            # A serious term's bar is labelled as the table names it ("⚠ hepatitis").
            figure.update_yaxes(tickmode="array", tickvals=names, ticktext=mark_serious(names))
            figure.update_layout(
                height=max(320, 22 * len(chart) + 80),
                margin={"l": 10, "r": 10, "t": 10, "b": 10},
                xaxis={"range": [0, 105]},
                legend={"orientation": "h", "y": -0.15},
            )
            st.plotly_chart(figure, width="stretch")
            display = shown.drop(columns=["side_effect_index", "organ_classes", "known_class"])
            display["severity"] = display["severity"].map(severity_label)
            if drug_index is None:
                display = display.drop(columns=["known_band", "known_median_pct", "n_labels"])
            st.dataframe(
                shown_numbers(display, ["known_median_pct"]),
                hide_index=True,
                column_config={
                    "rank": st.column_config.NumberColumn("#", width="small"),
                    "side_effect": "side effect",
                    "severity": st.column_config.TextColumn("severity", help=SERIOUS_LEGEND),
                    "severity_reason": "why serious",
                    "organ_class": "organ class",
                    "secondary_organ_classes": st.column_config.TextColumn(
                        "also under", help="The side effect's other organ classes"
                    ),
                    "p_reported_pct": st.column_config.ProgressColumn(
                        "chance reported (%)", min_value=0, max_value=100, format="%.0f%%"
                    ),
                    "uncertainty_pct": st.column_config.NumberColumn(
                        "± (pp, 1 sd)", format="%.1f", help=SPREAD_HELP
                    ),
                    "frequency_class": None,
                    "band": "predicted band",
                    "band_range": "share of patients",
                    "expected_frequency": None,
                    "conformal_bands": "plausible bands (conformal set)",
                    "in_domain": "in domain",
                    "known_band": "label band",
                    "known_median_pct": st.column_config.TextColumn("label median (% of patients)"),
                    "n_labels": "label statements",
                    **STANDOUT_CONFIG,
                },
            )
        with st.expander("Frequency bands (the words of an SmPC)"):
            st.dataframe(widgets.band_legend(), hide_index=True)
        st.caption(
            "Chance reported: probability the side effect appears on the drug's label at all. "
            "Predicted band: how often, if reported (share of patients). ± is one standard "
            "deviation across the ensemble, in percentage points (pp), widened outside the "
            "model's applicability domain (a molecule unlike every training drug)."
        )
