"""Session-state keys: what survives switching pages (the current drug, inputs, choices).

Streamlit forgets a widget's value when a page that does not draw it runs. The widgets
whose values must survive (:data:`PERSISTENT`) are drawn with
``persist_state=PERSIST``: Streamlit keeps their value for the whole session.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from sefreq.present.molecules import Molecule

CURRENT = "sefreq.current"  # Molecule: the current drug
BATCH = "sefreq.batch"  # list[Molecule]: the last pasted or uploaded batch
COMPARE = "sefreq.compare"  # list[Molecule]: drugs picked for comparison
INPUT_MESSAGE = "sefreq.input_message"  # (level, text) shown once after an input action
RUN = "sefreq.server_run"  # the server run this session belongs to (:data:`SERVER_RUN`)
RESTARTED = "sefreq.restarted"  # True when the page was opened from an earlier server run

#: Names this server process; a restart draws a new one. The page URL carries it
#: (``?session=...``), so a browser that reconnects after a restart can be told its
#: session is gone, where it would otherwise see empty pages without a word.
SERVER_RUN = uuid.uuid4().hex[:12]
SESSION_PARAM = "session"

# Widget keys whose values survive page switches.
INPUT_MODE = "w.input_mode"
MODE_LOOKUP, MODE_PASTE, MODE_DRAW, MODE_UPLOAD = (
    "Look up a drug",
    "Paste SMILES",
    "Draw",
    "Upload a batch",
)
SMILES_TEXT = "w.smiles_text"
LOOKUP_QUERY = "w.lookup_query"
PROFILE_ORGANS = "w.profile_organs"
PROFILE_SEARCH = "w.profile_search"
PROFILE_TOP = "w.profile_top"
PROFILE_ORDER = "w.profile_order"  # most likely first, or what stands out first
# Serious side effects only: one switch for Profile, Compare and Report.
SERIOUS_ONLY = "w.serious_only"
COMPARE_ORGAN = "w.compare_organ"
COMPARE_TOP = "w.compare_top"
# The chance (%) at or above which a prediction fills a gap in the labels (Profile, Compare).
PREDICTION_THRESHOLD = "w.prediction_threshold"
# Which drug? (views/which.py): the symptom, the pasted medication list, the drugs picked.
# The symptom and the pasted list are also kept in the page URL (their keys name the query
# parameters: ?symptom=...&drugs=...), so a reload or a shared link restores them.
WHICH_SYMPTOM = "symptom"
WHICH_DRUGS = "drugs"
#: What the widgets kept in the URL pass as ``bind``.
URL = "query-params"
WHICH_PICKED = "w.which_picked"
PERSISTENT = (
    INPUT_MODE,
    SMILES_TEXT,
    LOOKUP_QUERY,
    PROFILE_ORGANS,
    PROFILE_SEARCH,
    PROFILE_TOP,
    PROFILE_ORDER,
    SERIOUS_ONLY,
    COMPARE_ORGAN,
    COMPARE_TOP,
    PREDICTION_THRESHOLD,
    WHICH_SYMPTOM,
    WHICH_DRUGS,
    WHICH_PICKED,
)
#: What every widget of :data:`PERSISTENT` passes as ``persist_state``: its value lives as
#: long as the session, across page switches.
PERSIST = "session"


def keep(key: str, default: Any) -> Any:
    """Write a kept widget's value (the last one, else ``default``) before it is drawn.

    A widget of :data:`PERSISTENT` drawn by a second page (the threshold slider of Profile,
    Compare and Report) reaches the browser there for the first time: unless its value is
    written to session state in the run that draws it, the browser mounts it at the
    element's default (a slider at its minimum, 0%) and sends that back, replacing the kept
    value. ``setdefault`` writes only the first time, so it is not enough.
    """
    value = st.session_state.get(key, default)
    st.session_state[key] = value
    return value


def current() -> Molecule | None:
    """The current drug (None until one is entered)."""
    return st.session_state.get(CURRENT)


def set_current(molecule: Molecule) -> None:
    """Make ``molecule`` the current drug."""
    st.session_state[CURRENT] = molecule
    st.session_state[RESTARTED] = False


def batch() -> list[Molecule]:
    """The last batch entered (empty when none)."""
    return list(st.session_state.get(BATCH, []))


def set_batch(molecules: list[Molecule]) -> None:
    """Keep a batch of molecules."""
    st.session_state[BATCH] = list(molecules)


def compare_list() -> list[Molecule]:
    """The molecules picked for comparison, in the order added."""
    return list(st.session_state.get(COMPARE, []))


def add_to_compare(molecule: Molecule, limit: int = 4) -> str | None:
    """Add ``molecule`` to the comparison; returns why not when it cannot be added."""
    chosen = compare_list()
    if any(m.parent_smiles == molecule.parent_smiles for m in chosen):
        return f"{molecule.markdown_label} is already in the comparison."
    if len(chosen) >= limit:
        return f"The comparison holds at most {limit} drugs: remove one first."
    st.session_state[COMPARE] = [*chosen, molecule]
    return None


def remove_from_compare(label: str) -> None:
    """Remove the molecule shown as ``label`` from the comparison."""
    st.session_state[COMPARE] = [m for m in compare_list() if m.label != label]


def flash(level: str, text: str) -> None:
    """Show ``text`` (level: success / info / warning / error) on the next run."""
    st.session_state[INPUT_MESSAGE] = (level, text)


def pop_flash() -> tuple[str, str] | None:
    """The message left by :func:`flash`, once."""
    message: Any = st.session_state.pop(INPUT_MESSAGE, None)
    return message


def check_server_run() -> bool:
    """Tie the session to this server run; True while it was opened from an earlier one.

    The first run of a session whose URL names another server run marks it restarted; the
    mark stays until a drug is entered (:func:`set_current` clears it). Every run writes
    this server run into the URL.
    """
    if RUN not in st.session_state:
        seen = st.query_params.get(SESSION_PARAM)
        st.session_state[RUN] = SERVER_RUN
        st.session_state[RESTARTED] = bool(seen) and seen != SERVER_RUN
    if st.query_params.get(SESSION_PARAM) != SERVER_RUN:
        st.query_params[SESSION_PARAM] = SERVER_RUN
    return bool(st.session_state.get(RESTARTED)) and current() is None
