"""Molecules a user enters (drawn, pasted, looked up, uploaded), standardised and checked.

A :class:`Molecule` is what the dashboard calls "the current drug": where it came from, what
was entered, the parent structure SEFreq models and what standardisation changed. Bad input
never raises here: each molecule carries its own ``error`` so a batch keeps its good rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from sefreq.chem import io
from sefreq.chem.io import MoleculeEntry, MoleculeInputError  # noqa: F401 (what the pages use)
from sefreq.chem.standardize import StandardizationError, standardize
from sefreq.present.text import markdown_safe

#: Most molecules one upload or paste may hold; more would keep the app busy for minutes.
MAX_BATCH = 500
#: Largest upload read, in bytes (a 500-molecule SDF is far below this).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

DRAWN = "drawn"
PASTED = "pasted"
LOOKUP = "look-up"
UPLOAD = "upload"


@dataclass(frozen=True)
class Molecule:
    """One entered molecule.

    ``source``: drawn / pasted / look-up / upload. ``entered``: the text as given (SMILES or
    the name looked up). ``parent_smiles``: the standardised parent ("" when unusable);
    ``changes``: what standardisation did; ``error``: why it cannot be used (None if fine).
    ``drug_index``: row of the known drug in the dataset, when it is one of them.
    """

    id: str
    source: str
    entered: str
    smiles: str
    parent_smiles: str = ""
    inchikey: str = ""
    changes: tuple[str, ...] = ()
    n_heavy_atoms: int = 0
    error: str | None = None
    drug_index: int | None = None
    drug_name: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the molecule can be scored."""
        return self.error is None and bool(self.parent_smiles)

    @property
    def label(self) -> str:
        """Short name to show: the known drug's name, else the id."""
        return self.drug_name or self.id

    @property
    def markdown_label(self) -> str:
        """:attr:`label` to put in Streamlit markdown: shown as typed, one line, shortened."""
        return markdown_safe(self.label)

    @property
    def markdown_error(self) -> str:
        """:attr:`error` (which may quote what was typed) to put in Streamlit markdown."""
        return markdown_safe(self.error or "", limit=400)


def prepare(
    smiles: str,
    molecule_id: str,
    source: str,
    entered: str | None = None,
    drugs: pd.DataFrame | None = None,
) -> Molecule:
    """Standardise ``smiles``; on failure the molecule carries the reason in ``error``.

    With ``drugs`` (the dataset's drug table), a structure whose parent InChIKey is one of
    the catalogue's SIDER drugs is linked to it, so its label-reported frequencies can be shown.
    """
    text = (smiles or "").strip()
    base = Molecule(id=str(molecule_id), source=source, entered=entered or text, smiles=text)
    try:
        parent = standardize(text)
    except StandardizationError as error:
        return replace(base, error=str(error))
    molecule = replace(
        base,
        parent_smiles=parent.parent_smiles,
        inchikey=parent.inchikey,
        changes=tuple(parent.changes),
        n_heavy_atoms=parent.n_heavy_atoms,
    )
    if drugs is not None and molecule.drug_index is None and parent.inchikey:
        matches = drugs.index[drugs["inchikey"] == parent.inchikey]
        if len(matches):
            index = int(matches[0])
            molecule = replace(molecule, drug_index=index, drug_name=str(drugs.at[index, "name"]))
    return molecule


def known_drug(drug_index: int, drugs: pd.DataFrame, entered: str) -> Molecule:
    """A drug of the catalogue (or the 759-drug table), as the look-up returns it.

    Its curated structure is standardised as any input is. A drug SIDER lists keeps its
    index, so the pages show its label data; one SIDER does not list (known only to
    DrugBank or DrugCentral) is scored like a new molecule and says it has no label data.
    """
    row = drugs.loc[drug_index]
    name = str(row["name"])
    labelled = bool(row["in_sider"])
    if not row["has_structure"] or not row["smiles"]:
        where = (
            "Its label-reported frequencies are on the Known vs predicted page."
            if labelled
            else "SIDER has no label data for it either."
        )
        return Molecule(
            id=name,
            source=LOOKUP,
            entered=entered,
            smiles="",
            error=(
                f"{name} has no usable small-molecule structure "
                f"({row.get('curation_note') or 'a biologic'}); SEFreq predicts from structure, "
                f"so it cannot score it. {where}"
            ),
            drug_index=int(drug_index) if labelled else None,
            drug_name=name,
        )
    molecule = prepare(str(row["smiles"]), name, LOOKUP, entered=entered)
    notes: tuple[str, ...] = ()
    status = str(row.get("curation_status") or "ok")
    if not labelled:
        notes = (
            f"No label data: SIDER does not list {name} ({row.get('curation_note') or ''}). "
            "Everything shown for it is predicted by the model.",
        )
    elif status != "ok":
        notes = (f"Curated structure ({status}): {row.get('curation_note') or ''}".strip(),)
    return replace(
        molecule, drug_index=int(drug_index) if labelled else None, drug_name=name, notes=notes
    )


def split_smiles_lines(text: str) -> list[io.MoleculeEntry]:
    """:func:`sefreq.chem.io.split_smiles_lines` within the dashboard's batch limit."""
    return io.split_smiles_lines(text, max_rows=MAX_BATCH)


def read_upload(name: str, content: bytes) -> list[io.MoleculeEntry]:
    """:func:`sefreq.chem.io.read_molecule_file` within the dashboard's size limits."""
    return io.read_molecule_file(name, content, max_rows=MAX_BATCH, max_bytes=MAX_UPLOAD_BYTES)


def prepare_batch(
    entries: Sequence[io.MoleculeEntry | tuple[str, str]],
    source: str,
    drugs: pd.DataFrame | None = None,
) -> list[Molecule]:
    """Standardise every (id, SMILES[, problem]); duplicate ids get a ``#2``, ``#3`` suffix.
    An entry its reader refused keeps the reader's reason."""
    seen: dict[str, int] = {}
    molecules = []
    for entry in entries:
        molecule_id, smiles, problem = io.MoleculeEntry(*entry)
        count = seen.get(molecule_id, 0) + 1
        seen[molecule_id] = count
        unique_id = molecule_id if count == 1 else f"{molecule_id}#{count}"
        molecule = prepare(smiles, unique_id, source, drugs=drugs)
        if not smiles:
            reason = problem or "This record could not be read as a molecule."
            molecule = replace(molecule, error=reason)
        molecules.append(molecule)
    return molecules


def batch_table(molecules: list[Molecule]) -> pd.DataFrame:
    """One row per molecule: id, problem, entered SMILES, parent, changes, known drug. The
    problem comes second: after a long SMILES it was off the table's right edge, and a
    user saw "2 unusable" with no reason in sight."""
    return pd.DataFrame(
        {
            "id": [m.id for m in molecules],
            "problem": [m.error or "" for m in molecules],
            "entered SMILES": [m.smiles for m in molecules],
            "standardised parent": [m.parent_smiles for m in molecules],
            "standardisation": ["; ".join(m.changes) or "none" for m in molecules],
            "known drug": [m.drug_name or "" for m in molecules],
        }
    )
