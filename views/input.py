"""Drug input: look a drug up, paste SMILES, draw a structure, or upload a batch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from sefreq.chem.drawing import (
    CONFORMER_TIME_LIMIT_S,
    MAX_3D_HEAVY_ATOMS,
    THREEDMOL_URL,
    viewer_html,
)
from sefreq.chem.standardize import MAX_HEAVY_ATOMS
from sefreq.present import molecules
from sefreq.present.lookup import (
    ATC_GROUP,
    atc_group_message,
    combination_message,
    combination_parts,
    exact_match,
    lookup_combination,
    lookup_drug,
    name_key,
    not_found_message,
)
from sefreq.present.text import markdown_safe
from sefreq.ui import resources, state, widgets

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

THREEDMOL_FILE = Path(__file__).resolve().parents[1] / "assets" / "vendor" / "3Dmol-min.js"
# Set when the look-up text has just been changed: an exact single match is then taken
# at once, and only then (coming back to the same text never replaces a later choice).
NEW_QUERY = "sefreq.lookup_new_query"
LOOKUP_CHOICE = "w.lookup_choice"  # + ":" + the search's key


def _use(molecule: molecules.Molecule) -> None:
    """Make ``molecule`` current when it can be scored; say why not otherwise."""
    if molecule.error and molecule.drug_index is None:
        state.flash("error", f"{molecule.markdown_label}: {molecule.markdown_error}")
        return
    state.set_current(molecule)
    if molecule.error:
        state.flash("warning", molecule.markdown_error)
    else:
        state.flash("success", f"{molecule.markdown_label} is now the current drug.")


def _query_changed() -> None:
    st.session_state[NEW_QUERY] = True


def _lookup_tab(dataset: Dataset) -> None:
    if dataset is None:
        st.info("Looking drugs up needs the SIDER data (see the message above).")
        return
    query = st.text_input(
        "Generic or brand name, label name or ATC code",
        key=state.LOOKUP_QUERY,
        persist_state=state.PERSIST,
        placeholder="e.g. ibuprofen, Advil, pioglitazone hydrochloride, N02BE01",
        on_change=_query_changed,
    )
    new_query = bool(st.session_state.pop(NEW_QUERY, False))
    if not query or not query.strip():
        return
    parts = combination_parts(query)
    if parts:
        matches, missing = lookup_combination(parts, dataset.names, dataset.catalogue)
        st.info(combination_message(query, parts, missing))
    else:
        matches = lookup_drug(query, dataset.names, dataset.catalogue)
    if matches.empty:
        st.warning(not_found_message(query, len(dataset.catalogue)))
        return
    if (matches["how"] == ATC_GROUP).any():
        st.info(atc_group_message(query))
    exact = None if parts else exact_match(matches)
    if new_query and exact is not None:  # one drug has exactly this name: no click needed
        _use(molecules.known_drug(exact, dataset.catalogue, query.strip()))
        st.rerun()
    labels = {
        int(row.drug_index): f"{row.drug} (matched '{row.matched_name}', {row.how})"
        for row in matches.itertuples()
    }
    # The options are drugs, not positions, and each search has its own box: a choice made
    # among one search's matches is never carried to the next search (the box showed one
    # drug while the button used another).
    choice = int(
        st.selectbox(
            "Matches, best first",
            list(labels),
            format_func=labels.__getitem__,
            key=f"{LOOKUP_CHOICE}:{name_key(query)}",
        )
    )
    drug = str(dataset.catalogue.loc[choice, "name"])
    current = state.current()
    if current is not None and current.drug_name == drug:
        st.caption(f"{markdown_safe(drug)} is the current drug.")
    elif st.button(f"Use {drug}", type="primary", key="w.lookup_use"):
        _use(molecules.known_drug(choice, dataset.catalogue, query.strip()))
        st.rerun()


def _take_batch(entries: list[molecules.MoleculeEntry], source: str, drugs) -> None:
    batch = molecules.prepare_batch(entries, source, drugs)
    good = [m for m in batch if m.ok]
    if len(batch) > 1:
        state.set_batch(batch)
    if not good:
        reasons = "; ".join(f"{markdown_safe(m.id)}: {m.markdown_error}" for m in batch[:3])
        state.flash("error", f"No molecule could be used. {reasons}")
        return
    state.set_current(good[0])
    bad = len(batch) - len(good)
    message = f"{good[0].label} is now the current drug."
    if len(batch) > 1:
        message = f"Read {len(batch)} molecules ({bad} unusable). " + message
    state.flash("warning" if bad else "success", message)


def _paste_tab(drugs) -> None:
    text = st.text_area(
        "SMILES, one per line (add a name after a space; several lines make a batch)",
        key=state.SMILES_TEXT,
        height=110,
        placeholder="CC(=O)Oc1ccccc1C(=O)O aspirin",
        help=f"At most {molecules.MAX_BATCH} molecules at once, each of at most "
        f"{MAX_HEAVY_ATOMS} heavy atoms.",
        persist_state=state.PERSIST,
    )
    if st.button("Use these molecules", type="primary", key="w.paste_use"):
        try:
            entries = molecules.split_smiles_lines(text)
        except molecules.MoleculeInputError as error:
            st.error(str(error))
            return
        with st.spinner("Standardising…"):
            _take_batch(entries, molecules.PASTED, drugs)
        st.rerun()


def _draw_tab(drugs) -> None:
    try:
        from streamlit_ketcher import st_ketcher
    except ImportError:
        st.info("The structure editor needs `streamlit-ketcher` (`pip install streamlit-ketcher`).")
        return
    st.caption("Draw, then press **Apply** in the editor; the drawn SMILES appears below.")
    # Always start empty: streamlit-ketcher 0.0.1 throws in its frame when handed a
    # molecule before the editor is ready. Paste a SMILES to start from a structure.
    drawn = st_ketcher("", height=420, key="w.ketcher")
    if drawn:
        st.code(drawn, language=None, wrap_lines=True)
        if st.button("Use the drawn structure", type="primary", key="w.draw_use"):
            _use(molecules.prepare(drawn, "drawn molecule", molecules.DRAWN, drugs=drugs))
            st.rerun()


def _upload_tab(drugs) -> None:
    # No `type=` filter: the reader names what it takes and why a file is refused, which
    # says more than the uploader's own extension check.
    upload = st.file_uploader(
        "CSV/TSV with a 'smiles' column (and optionally 'id'), SMI, or SDF/MOL file",
        key="w.upload",
        help=f"At most {molecules.MAX_BATCH} molecules and "
        f"{molecules.MAX_UPLOAD_BYTES // 1_000_000} MB per file; UTF-8, Latin-1 or UTF-16 text. "
        "For larger libraries use `sefreq predict` from the command line.",
    )
    if upload is not None and st.button("Use this file", type="primary", key="w.upload_use"):
        try:
            entries = molecules.read_upload(upload.name, upload.getvalue())
        except molecules.MoleculeInputError as error:
            st.error(f"{markdown_safe(upload.name)}: {markdown_safe(error, limit=400)}")
            return
        with st.spinner(f"Standardising {len(entries)} molecules…"):
            _take_batch(entries, molecules.UPLOAD, drugs)
        st.rerun()


def _show_current() -> None:
    molecule = state.current()
    if molecule is None:
        return
    st.subheader(f"Current drug: {molecule.markdown_label}")
    if not molecule.ok:
        st.warning(molecule.markdown_error or "No usable structure.")
        return
    left, right = st.columns(2)
    with left:
        st.caption("2D structure (standardised parent)")
        widgets.structure(molecule.parent_smiles, 420, 300)
    with right:
        st.caption(
            "3D conformer (RDKit ETKDG + MMFF; drag to rotate). Drawn for molecules of up to "
            f"{MAX_3D_HEAVY_ATOMS} heavy atoms, within {CONFORMER_TIME_LIMIT_S:.0f} s."
        )
        if THREEDMOL_FILE.is_file():
            molblock = resources.conformer(molecule.parent_smiles)
            if molblock:
                st.iframe(viewer_html(molblock, THREEDMOL_URL, 420, 300), height=310)
            else:
                st.info(
                    "No 3D conformer could be embedded for this molecule within the limits "
                    f"({MAX_3D_HEAVY_ATOMS} heavy atoms, {CONFORMER_TIME_LIMIT_S:.0f} s). "
                    "The 2D structure and every prediction are unaffected."
                )
        else:
            st.info("The 3D viewer needs 3Dmol.js: run `make assets` (part of `make run`).")
    st.markdown(f"**Entered** ({molecule.source}): {markdown_safe(molecule.entered, 300)}")
    st.markdown(f"**Standardised parent SMILES**: {markdown_safe(molecule.parent_smiles, 300)}")
    if molecule.changes:
        st.markdown("**Standardisation changed**: " + "; ".join(molecule.changes))
    else:
        st.markdown("**Standardisation changed**: nothing (the input is its own parent).")
    for note in molecule.notes:
        st.info(note)
    if molecule.drug_index is not None:
        st.caption(
            f"{molecule.markdown_label} is one of the known drugs: its label data is on the "
            "Known vs predicted page."
        )
    if st.button("Add to comparison", key="w.compare_add"):
        problem = state.add_to_compare(molecule)
        if problem:
            st.warning(problem)
        else:
            st.success(f"Added {molecule.markdown_label} to the comparison.")


def _show_batch() -> None:
    batch = state.batch()
    if not batch:
        return
    with st.expander(f"Last batch: {len(batch)} molecules", expanded=True):
        st.dataframe(molecules.batch_table(batch), hide_index=True)
        usable = [m for m in batch if m.ok]
        if usable:
            chosen = widgets.pick_molecule(
                "Make current",
                usable,
                "Use this molecule",
                key="w.batch_pick",
                button_key="w.batch_use",
            )
            if chosen is not None:
                _use(chosen)
                st.rerun()


st.title("Drug input")
st.caption(
    "Choose the drug whose side effects you want to see: a known drug by name, or any small "
    "molecule as SMILES, a drawing or a file. Every structure is standardised to its parent "
    "(salts and charges removed) exactly as the training drugs were."
)
message = state.pop_flash()
if message:
    getattr(st, message[0])(message[1])

dataset, _ = resources.dataset()
drugs = dataset.catalogue if dataset is not None else None
# A radio, not tabs: tabs would build every editor at once, Ketcher included, hidden.
modes = {
    state.MODE_LOOKUP: lambda: _lookup_tab(dataset),
    state.MODE_PASTE: lambda: _paste_tab(drugs),
    state.MODE_DRAW: lambda: _draw_tab(drugs),
    state.MODE_UPLOAD: lambda: _upload_tab(drugs),
}
mode = st.radio(
    "How",
    list(modes),
    horizontal=True,
    key=state.INPUT_MODE,
    label_visibility="collapsed",
    persist_state=state.PERSIST,
)
modes[mode or state.MODE_LOOKUP]()

_show_current()
_show_batch()
