"""SEFreq dashboard. Until the real pages exist: one page summarising the curated dataset.

The page only draws what the library returns; it never parses upstream files itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from sefreq import load_dataset
from sefreq.constants import DISCLAIMER, FREQUENCY_BANDS, SIDER_LICENCE
from sefreq.data.registry import (
    DATA_DIR_ENV,
    FETCH_HINT,
    REGISTRY,
    DataMissingError,
    FileStatus,
    data_dir,
    file_status,
)

FIX = (
    f"To fix it, run `{FETCH_HINT}` in a terminal (or `make run`, which fetches what is "
    f"missing before it starts the dashboard), then reload this page. To use files you "
    f"already have, set `{DATA_DIR_ENV}` to their folder."
)


@st.cache_resource(show_spinner="Building the dataset from the upstream files…")
def _dataset(directory: str) -> Any:
    """The curated dataset built from the upstream files in ``directory``."""
    return load_dataset(data_dir=Path(directory))


def _file_table(statuses: list[FileStatus]) -> pd.DataFrame:
    """One row per upstream file: local name, state, licence, content."""
    return pd.DataFrame(
        {
            "file": [
                status.path.name if status.path else REGISTRY[status.key].filename
                for status in statuses
            ],
            "state": [status.state for status in statuses],
            "licence": [REGISTRY[status.key].licence for status in statuses],
            "content": [REGISTRY[status.key].description for status in statuses],
        }
    )


def _band_table(frequency: np.ndarray) -> pd.DataFrame:
    """Reported drug-side-effect pairs per CIOMS band, most frequent band first."""
    counts = np.bincount(frequency.ravel(), minlength=max(FREQUENCY_BANDS) + 1)
    reported = max(int(counts[1:].sum()), 1)
    return pd.DataFrame(
        [
            {
                "class": band.frequency_class,
                "band": band.label,
                "label wording": band.smpc_wording,
                "patients affected": band.range_text,
                "reported pairs": int(counts[band.frequency_class]),
                "share of reported pairs (%)": 100 * counts[band.frequency_class] / reported,
            }
            for band in FREQUENCY_BANDS.values()
        ]
    )


def _summary(dataset: Any) -> None:
    """Counts of drugs, side effects and reported pairs, and pairs per frequency band."""
    frequency = np.asarray(dataset.frequency)
    drugs = dataset.drugs
    reported = int(np.count_nonzero(frequency))
    columns = st.columns(5)
    columns[0].metric("Drugs", f"{frequency.shape[0]:,}")
    columns[1].metric("Side effects", f"{frequency.shape[1]:,}")
    columns[2].metric(
        "Reported pairs",
        f"{reported:,}",
        help=f"{reported / frequency.size:.1%} of all drug-side-effect pairs have a class",
    )
    if "has_structure" in drugs:
        columns[3].metric("Drugs with a usable structure", f"{int(drugs['has_structure'].sum()):,}")
    if "is_independent" in drugs:
        columns[4].metric("Independent test drugs", f"{int(drugs['is_independent'].sum()):,}")

    st.subheader("Reported pairs per frequency band")
    st.dataframe(
        _band_table(frequency),
        hide_index=True,
        column_config={"share of reported pairs (%)": st.column_config.NumberColumn(format="%.1f")},
    )


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="SEFreq", layout="wide")
    st.title("SEFreq")
    st.caption(
        "How often a drug causes each of 994 MedDRA side effects, in the CIOMS frequency "
        "bands that drug labels use."
    )

    directory: Path = data_dir()
    statuses = [file_status(entry, directory) for entry in REGISTRY.values()]
    not_ready = [status for status in statuses if status.state != "verified"]
    if not_ready:
        names = ", ".join(
            f"{REGISTRY[status.key].filename} ({status.state})" for status in not_ready
        )
        st.error(f"Upstream data is missing or corrupt in `{directory}`: {names}.\n\n{FIX}")
    else:
        try:
            _summary(_dataset(str(directory)))
        except DataMissingError as error:
            st.error(f"{error}\n\n{FIX}")

    with st.expander("Data files", expanded=bool(not_ready)):
        st.caption(f"Looked for in `{directory}` (set `{DATA_DIR_ENV}` to use another folder).")
        st.dataframe(_file_table(statuses), hide_index=True)

    st.divider()
    st.caption(DISCLAIMER)
    st.caption(SIDER_LICENCE)


main()
