"""About: the model card, the data behind it, licences, intended use and limitations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from sefreq.constants import FREQUENCY_BANDS
from sefreq.present import card as model_card
from sefreq.ui import resources

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset


def _band_table(frequency: np.ndarray) -> pd.DataFrame:
    """Reported drug-side-effect pairs per frequency band, most frequent band first."""
    counts = np.bincount(frequency.ravel(), minlength=max(FREQUENCY_BANDS) + 1)
    reported = max(int(counts[1:].sum()), 1)
    return pd.DataFrame(
        [
            {
                "class": band.frequency_class,
                "frequency": band.smpc_wording,
                "patients affected": band.range_text,
                "reported pairs": int(counts[band.frequency_class]),
                "share of reported pairs (%)": 100 * counts[band.frequency_class] / reported,
            }
            for band in FREQUENCY_BANDS.values()
        ]
    )


def _dataset_summary(dataset: Dataset) -> None:
    frequency = np.asarray(dataset.frequency)
    drugs = dataset.drugs
    reported = int(np.count_nonzero(frequency))
    columns = st.columns(5)
    columns[0].metric("Drugs", f"{frequency.shape[0]:,}")
    columns[1].metric("Side effects", f"{frequency.shape[1]:,}")
    columns[2].metric(
        "Reported pairs",
        f"{reported:,}",
        help=f"{reported / frequency.size:.1%} of all drug-side-effect pairs",
    )
    columns[3].metric("Drugs with a usable structure", f"{int(drugs['has_structure'].sum()):,}")
    columns[4].metric("Independent test drugs", f"{int(drugs['is_independent'].sum()):,}")
    catalogue = dataset.catalogue
    st.markdown(
        f"**Drugs you can look up: {len(catalogue):,}** (the {frequency.shape[0]} of the "
        "frequency matrix above are the first SIDER drugs)"
    )
    st.dataframe(model_card.catalogue_summary(catalogue), hide_index=True)
    st.markdown("**Reported pairs per frequency band**")
    st.dataframe(
        _band_table(frequency),
        hide_index=True,
        column_config={"share of reported pairs (%)": st.column_config.NumberColumn(format="%.1f")},
    )


st.title("About SEFreq")
st.markdown(
    "SEFreq predicts, for any small molecule, how likely each of 994 MedDRA side effects is "
    "to be reported on its label and how often (very common .. very rare, as an SmPC says it)."
)
st.subheader("Intended use")
st.markdown(model_card.INTENDED_USE)
st.subheader("Limitations")
st.markdown("\n".join(f"- {item}" for item in model_card.LIMITATIONS))

st.subheader("Model card")
model, error = resources.predictor()
if model is None:
    st.warning(error)
else:
    card = model.card
    st.dataframe(model_card.overview(card), hide_index=True)
    benchmark = model_card.benchmark_table(card, model.evaluation)
    summary = model_card.held_out_summary(model.evaluation)
    if model.evaluation:
        folds = model.evaluation.get("n_folds", "?")
        st.markdown(
            f"**SEFreq's held-out figures** ({model.evaluation.get('protocol', '')}, mean over "
            f"{folds} folds of drugs the model was not trained on: `sefreq bench confidence`, "
            "the bundle's `evaluation.json`)"
        )
    else:
        st.markdown("**SEFreq's benchmark figures** (as recorded in the model card)")
    if not summary.empty:
        st.dataframe(summary, hide_index=True)
        with st.expander("Every held-out figure"):
            st.dataframe(benchmark, hide_index=True)
    elif benchmark.empty:
        st.caption(
            "This model's card records no benchmark figures yet; `sefreq bench` writes them."
        )
    else:
        st.dataframe(benchmark, hide_index=True)
    st.markdown("**Published figures to compare with** (same protocol only)")
    st.dataframe(model_card.published(), hide_index=True)
    sums = model_card.provenance(card)
    if len(sums):
        st.markdown("**Training data provenance** (sha256 of each upstream file)")
        st.dataframe(sums, hide_index=True)

st.subheader("The data")
dataset, _ = resources.dataset()
if dataset is not None:
    _dataset_summary(dataset)
files = resources.data_state()
if files.statuses:
    with st.expander("Data files"):
        st.caption(f"Looked for in `{files.directory}`.")
        st.dataframe(files.file_table(), hide_index=True)

st.subheader("Licences")
for text in model_card.licences(resources.model_card()):
    st.markdown(f"- {text}")
