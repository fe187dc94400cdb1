"""The current drug in the page URL (``?drug=warfarin``), so a result can be shared or
bookmarked: opening such a link makes the drug current, and choosing a drug writes it in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from sefreq.present import molecules
from sefreq.present.lookup import exact_match, lookup_drug
from sefreq.present.text import markdown_safe
from sefreq.ui import state

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

DRUG_PARAM = "drug"
# The ?drug= value this session has acted on (or written), so a link is followed once and
# a drug chosen later is not replaced by the link's.
_FOLLOWED = "sefreq.url_drug"


def drug_link(dataset: Dataset) -> None:
    """Open the drug the URL names (once per value), then write the current drug's name
    into the URL; call once per run, before the sidebar draws the current drug."""
    wanted = (st.query_params.get(DRUG_PARAM) or "").strip()
    if wanted and wanted != st.session_state.get(_FOLLOWED):
        st.session_state[_FOLLOWED] = wanted
        _open(wanted, dataset)
    molecule = state.current()
    if molecule is None:
        return  # an unanswered link stays in the URL, to work once the data is there
    if molecule.drug_name:
        st.session_state[_FOLLOWED] = molecule.drug_name
        if st.query_params.get(DRUG_PARAM) != molecule.drug_name:
            st.query_params[DRUG_PARAM] = molecule.drug_name
    elif DRUG_PARAM in st.query_params:  # a new molecule: the URL names no drug
        del st.query_params[DRUG_PARAM]


def _open(wanted: str, dataset: Dataset) -> None:
    shown = markdown_safe(wanted)
    if dataset is None:
        st.warning(
            f"The link asks for the drug “{shown}”, but drugs cannot be looked up without "
            "the SIDER data (see the message above)."
        )
        return
    matches = lookup_drug(wanted, dataset.names, dataset.catalogue, limit=5)
    index = exact_match(matches)
    if index is None:
        if matches.empty:
            hint = "Check the spelling in the link, or look the drug up on the Drug input page."
        else:
            names = ", ".join(markdown_safe(name) for name in matches["drug"].head(3))
            hint = f"Did you mean {names}? Pick it on the Drug input page."
        st.warning(f"The link asks for “{shown}”, which names no known drug exactly. {hint}")
        return
    molecule = molecules.known_drug(index, dataset.catalogue, wanted)
    if molecule.error and molecule.drug_index is None:
        st.warning(f"{molecule.markdown_label} (from the link): {molecule.markdown_error}")
        return
    state.set_current(molecule)
    if molecule.error:
        st.warning(molecule.markdown_error)
    else:
        st.toast(f"{molecule.markdown_label} (from the link) is now the current drug.")
