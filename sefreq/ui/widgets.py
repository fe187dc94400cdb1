"""Streamlit pieces every page uses: the guard, the footer, the current-drug panel, legends."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pandas as pd
import streamlit as st

from sefreq.chem.drawing import molecule_svg
from sefreq.constants import DISCLAIMER, FREQUENCY_BANDS, SIDER_LICENCE
from sefreq.present.molecules import Molecule
from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT
from sefreq.present.text import markdown_safe
from sefreq.present.vocabulary import SERIOUS_LEGEND, SERIOUS_MARK
from sefreq.ui import resources, state

log = logging.getLogger("sefreq.ui")


@contextlib.contextmanager
def guard(action: str) -> Iterator[None]:
    """Show any error raised while doing ``action`` as a message, never as a traceback.

    Streamlit's own control flow (st.stop, st.rerun, page switches) derives from
    BaseException and passes through untouched.
    """
    try:
        yield
    except Exception as error:
        log.exception("error while %s", action)
        st.error(
            f"Something went wrong while {action}: {error}\n\n"
            "What you entered is kept. Try again; if it keeps failing, enter another "
            "molecule or reload the page, and report the message above."
        )


def restart_notice() -> None:
    """After a server restart: say the session's drugs are gone and where to start again."""
    if not state.check_server_run():
        return
    st.warning(
        "**Start again:** SEFreq was restarted (or this link is from an earlier session), so "
        "this session's current drug, batch and comparison are gone. Nothing shown here "
        "comes from before the restart. Enter the drug again on the Drug input page."
    )
    st.page_link("views/input.py", label="Start again from Drug input", icon=":material/edit:")


def footer() -> None:
    """The disclaimer and the SIDER licence, at the foot of every page."""
    st.divider()
    st.caption(DISCLAIMER)
    st.caption(SIDER_LICENCE)


def band_legend() -> pd.DataFrame:
    """The five frequency bands: class, SmPC word, share of patients."""
    return pd.DataFrame(
        [
            {
                "class": band.frequency_class,
                "frequency": band.smpc_wording,
                "patients affected": band.range_text,
            }
            for band in FREQUENCY_BANDS.values()
        ]
    )


def structure(smiles: str, width: int = 300, height: int = 220) -> None:
    """The 2D structure of ``smiles`` (RDKit SVG)."""
    svg = molecule_svg(smiles, width, height)
    if svg:
        st.image(svg, width=width)


def pick_molecule(
    label: str, choices: list[Molecule], button: str, key: str, button_key: str
) -> Molecule | None:
    """A select box over ``choices`` and a button; the chosen molecule once it is pressed."""
    labels = [m.label for m in choices]
    pick = st.selectbox(label, range(len(choices)), format_func=labels.__getitem__, key=key)
    if st.button(button, key=button_key):
        return choices[int(pick or 0)]
    return None


def current_drug_panel() -> None:
    """Sidebar: the current drug (name, structure, SMILES), or how to pick one."""
    molecule = state.current()
    st.sidebar.markdown("**Current drug**")
    if molecule is None:
        st.sidebar.caption("None yet: enter one on the Drug input page.")
        return
    st.sidebar.markdown(f"{molecule.markdown_label}  \n*{molecule.source}*")
    if molecule.ok:
        svg = molecule_svg(molecule.parent_smiles, 240, 160)
        if svg:
            st.sidebar.image(svg, width=240)
        st.sidebar.code(molecule.parent_smiles, language=None, wrap_lines=True)
    elif molecule.error:
        st.sidebar.caption(molecule.markdown_error)


def require_current() -> Molecule | None:
    """The current drug, or None after telling the user how to choose one."""
    molecule = state.current()
    if molecule is None:
        st.info("No drug chosen yet. Pick one on the **Drug input** page.")
        st.page_link("views/input.py", label="Go to Drug input", icon=":material/edit:")
    return molecule


def require_model() -> bool:
    """True when a model is loaded; otherwise an error saying how to get one."""
    model, error = resources.predictor()
    if model is None:
        st.error(error)
        return False
    return True


def require_dataset():
    """The dataset, or None (the frame has already said why it is missing)."""
    dataset, _ = resources.dataset()
    if dataset is None:
        st.info("This part needs the SIDER data, which is not available (see the message above).")
    return dataset


def prediction_for(molecule: Molecule) -> pd.DataFrame | None:
    """The molecule's predicted rows (with a spinner); None, after a message, if unscorable."""
    if not molecule.ok:
        st.error(
            f"{molecule.markdown_label} cannot be scored: "
            f"{molecule.markdown_error or 'no usable structure'}. "
            "Enter another structure on the Drug input page."
        )
        return None
    if not require_model():
        return None
    with st.spinner(f"Predicting 994 side effects for {molecule.markdown_label}…"):
        table = resources.predict([molecule.parent_smiles], [molecule.id])
    errors = table["error"].dropna()
    if len(errors):
        reason = markdown_safe(errors.iloc[0], limit=400)
        st.error(f"{molecule.markdown_label} could not be scored: {reason}")
        return None
    return table


def serious_only_checkbox() -> bool:
    """The "serious only" switch (kept across pages: Profile, Compare and Report read one
    value, drawn with one label, so a page never resets another's choice)."""
    state.keep(state.SERIOUS_ONLY, False)
    return bool(
        st.checkbox(
            f"{SERIOUS_MARK} Serious only",
            key=state.SERIOUS_ONLY,
            persist_state=state.PERSIST,
            help=SERIOUS_LEGEND,
        )
    )


def threshold_slider(where: str) -> float:
    """The chance (%) at or above which a prediction is shown ``where`` (kept across pages)."""
    state.keep(state.PREDICTION_THRESHOLD, round(DEFAULT_THRESHOLD_PCT))
    return float(
        st.slider(
            f"Show predictions {where} from a chance of (%)",
            min_value=0,
            max_value=100,
            step=5,
            key=state.PREDICTION_THRESHOLD,
            persist_state=state.PERSIST,
            help="The chance that a side effect is reported on a label, as the model "
            "predicts it. Lower it to see more (and less certain) predictions.",
        )
    )
