"""Compare: 2 to 4 drugs side by side: label bands where the labels state them, the
model's bands where they are silent, sorted by how much the drugs differ; then the model's
chances across their top side effects."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.express as px
import streamlit as st

from sefreq.present import molecules
from sefreq.present.compare import (
    band_comparison,
    comparison_bands,
    comparison_cells,
    comparison_labels,
    comparison_matrix,
    difference_summary,
    largest_differences,
)
from sefreq.present.lookup import lookup_drug
from sefreq.present.profile import organ_class_options, profile_table
from sefreq.present.text import html_safe, markdown_safe
from sefreq.present.vocabulary import SERIOUS_LEGEND, SERIOUS_MARK, mark_serious, severity_label
from sefreq.ui import resources, state, widgets

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset


def _add(molecule: molecules.Molecule) -> None:
    if not molecule.ok:
        st.error(f"{molecule.markdown_label} cannot be compared: {molecule.markdown_error}")
        return
    problem = state.add_to_compare(molecule)
    if problem:
        st.warning(problem)
    else:
        st.rerun()


def _pickers(dataset: Dataset) -> None:
    current = state.current()
    columns = st.columns(3)
    with columns[0]:
        st.markdown("**The current drug**")
        add = current is not None and st.button(
            f"Add {current.markdown_label}", key="w.compare_current"
        )
        if add:
            _add(current)
        elif current is None:
            st.caption("None chosen yet.")
    with columns[1]:
        st.markdown("**A known drug**")
        if dataset is not None:
            query = st.text_input("Name, brand or ATC code", key="w.compare_query")
            if query.strip():
                matches = lookup_drug(query, dataset.names, dataset.catalogue, limit=1)
                if matches.empty:
                    st.warning(f"No known drug matches “{markdown_safe(query)}”.")
                elif st.button(f"Add {matches['drug'].iloc[0]}", key="w.compare_lookup"):
                    _add(
                        molecules.known_drug(
                            int(matches["drug_index"].iloc[0]), dataset.catalogue, query.strip()
                        )
                    )
    with columns[2]:
        st.markdown("**Any molecule**")
        smiles = st.text_input("SMILES", key="w.compare_smiles")
        if smiles.strip() and st.button("Add this SMILES", key="w.compare_add_smiles"):
            drugs = dataset.catalogue if dataset is not None else None
            _add(
                molecules.prepare(
                    smiles,
                    f"molecule {len(state.compare_list()) + 1}",
                    molecules.PASTED,
                    drugs=drugs,
                )
            )
    batch = [m for m in state.batch() if m.ok]
    if batch:
        chosen = widgets.pick_molecule(
            "Or one from the last batch",
            batch,
            "Add from batch",
            key="w.compare_batch",
            button_key="w.compare_batch_add",
        )
        if chosen is not None:
            _add(chosen)


st.title("Compare drugs")
st.caption(
    "Pick 2 to 4 drugs or molecules: what their labels report appears side by side, with the "
    "model's predictions where the labels say nothing (or where there are no labels)."
)
dataset, _ = resources.dataset()
_pickers(dataset)

chosen = state.compare_list()
if chosen:
    st.markdown("**In the comparison:** " + ", ".join(m.markdown_label for m in chosen))
    remove = st.selectbox("Remove", ["–", *[m.label for m in chosen]], key="w.compare_remove")
    if remove != "–" and st.button(
        f"Remove {markdown_safe(remove)}", key="w.compare_remove_button"
    ):
        state.remove_from_compare(remove)
        st.rerun()
if len(chosen) < 2:
    st.info(f"{len(chosen)} chosen: add at least {2 - len(chosen)} more to compare.")
elif widgets.require_model():
    with st.spinner(f"Predicting {len(chosen)} profiles…"):
        table = resources.predict(
            [m.parent_smiles for m in chosen], [str(k) for k in range(len(chosen))]
        )
    labels = comparison_labels([m.label for m in chosen])
    predictions = {label: table[table["id"] == str(k)] for k, label in enumerate(labels)}
    organs = organ_class_options(profile_table(next(iter(predictions.values()))))
    filters = st.columns([3, 1])
    organ = filters[0].selectbox(
        "Organ class",
        ["all", *organs],
        key=state.COMPARE_ORGAN,
        persist_state=state.PERSIST,
    )
    state.keep(state.COMPARE_TOP, 10)
    top = filters[1].number_input(
        "Top side effects per drug",
        3,
        50,
        key=state.COMPARE_TOP,
        persist_state=state.PERSIST,
    )
    chosen_organ = None if organ == "all" else organ
    threshold = widgets.threshold_slider("where the labels are silent")
    serious = widgets.serious_only_checkbox()
    cells = comparison_cells(
        {
            label: (predictions[label], m.drug_index if dataset is not None else None)
            for label, m in zip(labels, chosen, strict=True)
        },
        dataset,
        threshold,
    )
    st.markdown("#### What is known, side by side")
    summary = difference_summary(cells, chosen_organ, serious_only=serious)
    st.markdown(markdown_safe(summary, limit=None) if summary else "The drugs do not differ here.")
    known = band_comparison(cells, chosen_organ, serious_only=serious)
    if known.empty:
        st.info(
            f"No {'serious ' if serious else ''}side effect is reported or predicted at this "
            "threshold here."
        )
    else:
        st.dataframe(
            known.assign(severity=known["severity"].map(severity_label)),
            hide_index=True,
            column_config={
                "organ_class": "organ class",
                "side_effect": "side effect",
                "severity": st.column_config.TextColumn("severity", help=SERIOUS_LEGEND),
                "difference": st.column_config.NumberColumn(
                    "difference (bands)",
                    help="Highest minus lowest band across the drugs (very common 5 … very "
                    "rare 1, not reported 0; “not known” counts 1).",
                ),
            },
        )
        st.caption(
            "“(label)”: the band the drug's labels state (SIDER 4.1, the median of the label "
            "statements; “not known”: listed without a frequency). “~band (predicted, x%)”: "
            "the model's band where the labels do not report it, with the chance it is "
            f"reported, shown from {threshold:.0f}%. “not reported”: the labels are silent "
            "and the model below the threshold."
        )
        st.caption(SERIOUS_LEGEND)

    st.markdown("#### The model's chances")
    matrix = comparison_matrix(predictions, int(top), chosen_organ, serious_only=serious)
    if matrix.empty:
        st.info(f"No {'serious ' if serious else ''}side effect in this organ class.")
    else:
        marked = matrix.set_axis(mark_serious(matrix.index), axis=0)
        figure = px.imshow(  # plotly renders tags in labels: names are escaped for it
            marked.rename(columns=html_safe),
            color_continuous_scale="Reds",
            zmin=0,
            zmax=100,
            aspect="auto",
            text_auto=".0f",
            labels={"color": "chance reported (%)", "x": "", "y": ""},
        )
        figure.update_xaxes(side="top")  # drug names stay in view above a long map
        figure.update_layout(
            height=max(300, 24 * len(matrix) + 100), margin={"l": 10, "r": 10, "t": 30, "b": 10}
        )
        st.plotly_chart(figure, width="stretch")
        st.caption(
            "Cells: chance (%) that the side effect is reported on a label; "
            f"{SERIOUS_MARK} before a name: a serious side effect."
        )
        st.markdown("**Largest differences in chance** (percentage points, highest minus lowest)")
        st.dataframe(
            largest_differences(matrix),
            hide_index=True,
            column_config={
                "spread_pp": st.column_config.NumberColumn("spread (pp)", format="%.0f")
            },
        )
        with st.expander("Predicted bands (share of patients if reported)"):
            st.dataframe(comparison_bands(predictions, list(matrix.index)))
