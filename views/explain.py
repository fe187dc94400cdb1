"""Explain: which atoms and substructures push a predicted side effect up or down (SHAP)."""

from __future__ import annotations

import base64

import streamlit as st

import sefreq.explain as explain_api
from sefreq.present.profile import profile_table
from sefreq.present.text import markdown_safe
from sefreq.present.vocabulary import FREQUENCY_SCALE, SERIOUS_LEGEND, mark_serious
from sefreq.ui import resources, widgets

#: Side effects one explanation may cover (each adds about 0.1 s on a free 2-core machine).
MAX_SIDE_EFFECTS = 6
OUTPUTS = {
    "association": "chance the side effect is reported (probability, 0-1)",
    "frequency": f"expected frequency if reported ({FREQUENCY_SCALE})",
}


def _svg_data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _page() -> None:
    molecule = widgets.require_current()
    if molecule is None:
        return
    prediction = widgets.prediction_for(molecule)
    if prediction is None:
        return
    table = profile_table(prediction)
    names = table["side_effect"].tolist()
    index_of = dict(zip(table["side_effect"], table["side_effect_index"], strict=True))
    marked = dict(zip(names, mark_serious(names), strict=True))
    st.subheader(molecule.markdown_label)
    columns = st.columns([3, 2])
    chosen = columns[0].multiselect(
        "Side effects to explain (most likely reported first)",
        names,
        default=names[:3],
        max_selections=MAX_SIDE_EFFECTS,
        format_func=marked.__getitem__,
        key="w.explain_side_effects",
        help=f"At most {MAX_SIDE_EFFECTS} at once. An explanation stops after "
        f"{explain_api.EXPLAIN_TIME_LIMIT_S:.0f} s and says so; choose fewer to go faster. "
        + SERIOUS_LEGEND,
    )
    columns[0].caption(SERIOUS_LEGEND)
    output = columns[1].radio(
        "Explain", list(OUTPUTS), format_func=OUTPUTS.__getitem__, key="w.explain_output"
    )
    if not chosen:
        st.info("Choose at least one side effect.")
        return
    try:
        with st.spinner(f"Computing SHAP attributions for {len(chosen)} side effects…"):
            explanation = resources.explanation(
                molecule.parent_smiles, [int(index_of[name]) for name in chosen], output
            )
    except explain_api.ExplainInputError as error:
        st.error(f"{error}")
        return

    unit = "probability" if output == "association" else f"frequency, {FREQUENCY_SCALE}"
    st.markdown(
        "**Atom contributions**: red atoms raise the output, blue atoms lower it. Panel "
        "legends give the output and its average over training drugs."
    )
    for note in explain_api.structure_notes(explanation).itertuples():
        (st.info if note.small else st.markdown)(note.sentence)
    st.image(explain_api.draw_explanation(explanation), width="stretch")
    st.caption(explain_api.scale_note(explanation))

    summary = explanation.summary()
    st.markdown(
        f"**Where each prediction comes from** ({unit}): output = average over training drugs "
        "+ atoms + absent fingerprint bits + descriptors + similar drugs' labels "
        "(similarity prior)."
    )
    st.dataframe(
        summary.drop(columns=["side_effect_index", "output", "additivity_error"]).assign(
            side_effect=mark_serious(list(summary["side_effect"]))
        ),
        hide_index=True,
        column_config={
            "side_effect": "side effect",
            "value": st.column_config.NumberColumn("output", format="%.3f"),
            "expected_value": st.column_config.NumberColumn("average output", format="%.3f"),
            "atoms": st.column_config.NumberColumn("atoms (set bits)", format="%+.3f"),
            "absent_bits": st.column_config.NumberColumn("absent bits", format="%+.3f"),
            "descriptors": st.column_config.NumberColumn("descriptors", format="%+.3f"),
            "knn_prior": st.column_config.NumberColumn(
                "similar drugs (similarity prior)", format="%+.3f"
            ),
        },
    )

    focus = st.selectbox(
        "Fragments of",
        explanation.side_effects,
        format_func=lambda name: mark_serious([name])[0],
        key="w.explain_focus",
    )
    top = explain_api.top_substructures(explanation, focus, top=6, images=True, fmt="svg")
    st.markdown(
        f"**Fragments that move {markdown_safe(mark_serious([focus])[0])} most**, raising or "
        "lowering it, strongest first "
        f"(each atom's neighbourhood of radius {explain_api.MIN_RADIUS} or more, shown on the "
        "molecule; a fragment found at several places is one row)."
    )
    if len(top):
        points = 100.0 if output == "association" else 1.0
        heading = "change (percentage points)" if points == 100.0 else f"change ({unit})"
        top = top.assign(
            image=[_svg_data_url(svg) for svg in top["image"]],
            contribution=top["contribution"] * points,
        )
        st.dataframe(
            top[["image", "fragment", "direction", "contribution", "n_occurrences", "radius"]],
            hide_index=True,
            row_height=110,
            column_config={
                "image": st.column_config.ImageColumn("where", width="medium"),
                "fragment": st.column_config.TextColumn(
                    "fragment (SMILES)", help="The atoms within the radius of the centre atom"
                ),
                "direction": "effect",
                "n_occurrences": "times in molecule",
                "contribution": st.column_config.NumberColumn(
                    heading, format="%+.2f" if points == 100.0 else "%+.4f"
                ),
            },
        )
    else:
        st.info("No fragment of radius 1 or more moves this output.")
    other = explanation.non_structural()
    other = other[other["side_effect"] == focus]
    other = other.reindex(other["contribution"].abs().sort_values(ascending=False).index)
    with st.expander("Non-structural inputs (descriptors, similar drugs)"):
        st.dataframe(
            other.head(12)[["feature", "kind", "value", "contribution"]],
            hide_index=True,
            column_config={
                "contribution": st.column_config.NumberColumn(
                    f"contribution ({unit})", format="%+.4f"
                )
            },
        )
    st.caption(
        "SHAP (DeepLIFT) attributions against a background of training drugs. They explain "
        "the model, not the biology: a contribution says what moved this prediction."
    )
    _mechanism(molecule, [int(index_of[name]) for name in chosen])


def _mechanism(molecule, side_effects: list[int]) -> None:
    """What the molecule acts on, and which of those proteins carry the side effects."""
    st.subheader("Mechanism: which of its proteins carry these side effects")
    with st.spinner("Reading the proteins and their label evidence…"):
        result, error = resources.mechanism(molecule.parent_smiles, side_effects)
    if result is None:
        st.info(f"The mechanism needs the data files. {error}")
        return
    st.markdown(f"**Mechanism used by the model: {result.source}.**")
    proteins = result.proteins
    if proteins.empty:
        st.info(
            "No protein is known for this molecule, and none is predicted with a chance of "
            "30% or more."
        )
        return
    with st.expander(f"Its proteins ({len(proteins)})"):
        st.dataframe(
            proteins,
            hide_index=True,
            column_config={
                "uniprot_id": "UniProt",
                "chance": st.column_config.NumberColumn("chance", format="percent"),
            },
        )
    strongest = result.strongest(top=3)
    if strongest.empty:
        st.info(
            "None of its proteins is listed with these side effects more often than by chance "
            "(Fisher's test, p < 0.05) among the SIDER drugs acting on it."
        )
    else:
        st.markdown(
            "For each side effect, the proteins of this molecule whose training drugs list it "
            "most clearly more often than the other drugs do (strongest evidence first):"
        )
        st.dataframe(
            strongest[
                ["side_effect", "protein", "uniprot_id", "n_with", "share_with", "share_without",
                 "lift", "p_value"]
            ].assign(side_effect=mark_serious(list(strongest["side_effect"]))),
            hide_index=True,
            column_config={
                "side_effect": "side effect",
                "uniprot_id": "UniProt",
                "n_with": st.column_config.NumberColumn("drugs acting on it", format="%d"),
                "share_with": st.column_config.NumberColumn(
                    "of those, share listing it", format="percent"
                ),
                "share_without": st.column_config.NumberColumn(
                    "share of the other drugs", format="percent"
                ),
                "lift": st.column_config.NumberColumn("ratio", format="%.1f"),
                "p_value": st.column_config.NumberColumn("p (Fisher)", format="%.1e"),
            },
        )  # fmt: skip
    st.caption(
        "Evidence from the labels of the SIDER drugs with a known mechanism (DrugBank CC BY-NC "
        "4.0, DrugCentral CC BY-SA 4.0): association in the labels, not proof of cause, since "
        "drugs of one class share proteins and indications."
    )


st.title("Explain a prediction")
if widgets.require_model():
    _page()
