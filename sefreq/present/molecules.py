"""Molecules a user enters (drawn, pasted, looked up, uploaded), standardised and checked.

A :class:`Molecule` is what the dashboard calls "the current drug": where it came from, what
was entered, the parent structure SEFreq models and what standardisation changed. Bad input
never raises here: each molecule carries its own ``error`` so a batch keeps its good rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace

import pandas as pd

from sefreq.chem.standardize import StandardizationError, standardize

#: Most molecules one upload or paste may hold; more would keep the app busy for minutes.
MAX_BATCH = 500
#: Largest upload read, in bytes (a 500-molecule SDF is far below this).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

DRAWN = "drawn"
PASTED = "pasted"
LOOKUP = "look-up"
UPLOAD = "upload"


class MoleculeInputError(ValueError):
    """Input the dashboard cannot read at all (an empty paste, a malformed upload)."""


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


def prepare(
    smiles: str,
    molecule_id: str,
    source: str,
    entered: str | None = None,
    drugs: pd.DataFrame | None = None,
) -> Molecule:
    """Standardise ``smiles``; on failure the molecule carries the reason in ``error``.

    With ``drugs`` (the dataset's drug table), a structure whose parent InChIKey is one of
    the 759 drugs is linked to it, so its label-reported frequencies can be shown.
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
    """One of the 759 drugs, as the look-up returns it (its curated structure)."""
    row = drugs.loc[drug_index]
    name = str(row["name"])
    if not row.get("has_structure", True) or not row.get("smiles"):
        return Molecule(
            id=name,
            source=LOOKUP,
            entered=entered,
            smiles="",
            error=(
                f"{name} has no usable small-molecule structure "
                f"({row.get('curation_note') or 'a biologic'}); SEFreq predicts from structure, "
                "so it cannot score it. Its label-reported frequencies are on the Known vs "
                "predicted page."
            ),
            drug_index=int(drug_index),
            drug_name=name,
        )
    molecule = prepare(str(row["smiles"]), name, LOOKUP, entered=entered)
    notes = ()
    status = str(row.get("curation_status") or "ok")
    if status != "ok":
        notes = (f"Curated structure ({status}): {row.get('curation_note') or ''}".strip(),)
    return replace(molecule, drug_index=int(drug_index), drug_name=name, notes=notes)


def split_smiles_lines(text: str) -> list[tuple[str, str]]:
    """(id, SMILES) per non-empty line of pasted text; ``SMILES name`` lines keep the name.

    Lines starting with ``#`` are skipped. Without a name the id is ``mol1``, ``mol2``, ...
    Raises :class:`MoleculeInputError` when nothing is left or the batch is too large.
    """
    entries: list[tuple[str, str]] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace("\t", " ").split(maxsplit=1)
        name = parts[1].strip() if len(parts) > 1 else f"mol{len(entries) + 1}"
        entries.append((name, parts[0]))
    if not entries:
        raise MoleculeInputError("Nothing to read: paste one SMILES per line.")
    _check_size(len(entries))
    return entries


def _check_size(n: int) -> None:
    if n > MAX_BATCH:
        raise MoleculeInputError(
            f"{n:,} molecules is more than the dashboard scores at once ({MAX_BATCH}); split "
            "the file, or use `sefreq predict` from the command line for large batches."
        )


def read_upload(name: str, content: bytes) -> list[tuple[str, str]]:
    """(id, SMILES) per molecule of an uploaded CSV (``smiles`` column, optional ``id``) or SDF.

    Raises :class:`MoleculeInputError` with what to fix for a file it cannot read.
    """
    if len(content) > MAX_UPLOAD_BYTES:
        raise MoleculeInputError(
            f"The file is {len(content) / 1e6:.0f} MB; the dashboard reads at most "
            f"{MAX_UPLOAD_BYTES // 1_000_000} MB."
        )
    suffix = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    if suffix in ("sdf", "sd", "mol"):
        return _read_sdf(content)
    if suffix in ("csv", "tsv", "txt", "smi"):
        return _read_table(content, suffix)
    raise MoleculeInputError(f"{name!r} is neither a CSV nor an SDF file: upload .csv or .sdf.")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MoleculeInputError("The file is not text: upload a CSV or SDF file.")


def _read_table(content: bytes, suffix: str) -> list[tuple[str, str]]:
    text = _decode(content)
    if b"\x00" in content:
        raise MoleculeInputError("The file is binary, not a CSV: upload a CSV or SDF file.")
    if suffix == "smi":
        return split_smiles_lines(text)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        separator = dialect.delimiter
    except csv.Error:
        separator = "\t" if suffix == "tsv" else ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise MoleculeInputError(
            f"The CSV could not be read ({error}). Save it as comma-separated text with a "
            "header row holding a 'smiles' column."
        ) from error
    columns = {str(c).strip().casefold(): c for c in table.columns}
    smiles_column = columns.get("smiles") or columns.get("canonical_smiles")
    if smiles_column is None:
        raise MoleculeInputError(
            f"No 'smiles' column in the CSV (columns: {', '.join(map(str, table.columns))}). "
            "Name the structure column 'smiles'; an optional 'id' column names the molecules."
        )
    id_column = columns.get("id") or columns.get("name")
    table = table[table[smiles_column].str.strip() != ""]
    if table.empty:
        raise MoleculeInputError("The 'smiles' column is empty.")
    _check_size(len(table))
    ids = (
        table[id_column].astype(str).tolist()
        if id_column is not None
        else [f"row{k + 1}" for k in range(len(table))]
    )
    return list(zip(ids, table[smiles_column].str.strip().tolist(), strict=True))


def _read_sdf(content: bytes) -> list[tuple[str, str]]:
    from rdkit import Chem

    text = _decode(content)
    if "$$$$" not in text and "M  END" not in text:
        raise MoleculeInputError("The file is not an SDF (no 'M  END' / '$$$$' records).")
    supplier = Chem.ForwardSDMolSupplier(io.BytesIO(text.encode()), sanitize=True)
    entries: list[tuple[str, str]] = []
    for k, mol in enumerate(supplier):
        default = f"record{k + 1}"
        if mol is None:
            # Kept with an empty SMILES so the user sees which record was unreadable.
            entries.append((default, ""))
            continue
        name = mol.GetProp("id") if mol.HasProp("id") else mol.GetProp("_Name").strip()
        entries.append((name or default, Chem.MolToSmiles(mol)))
        _check_size(len(entries))
    if not entries:
        raise MoleculeInputError("The SDF holds no molecule records.")
    return entries


def prepare_batch(
    entries: list[tuple[str, str]], source: str, drugs: pd.DataFrame | None = None
) -> list[Molecule]:
    """Standardise every (id, SMILES); duplicate ids get a ``#2``, ``#3`` suffix."""
    seen: dict[str, int] = {}
    molecules = []
    for molecule_id, smiles in entries:
        count = seen.get(molecule_id, 0) + 1
        seen[molecule_id] = count
        unique_id = molecule_id if count == 1 else f"{molecule_id}#{count}"
        molecule = prepare(smiles, unique_id, source, drugs=drugs)
        if not smiles:
            molecule = replace(molecule, error="This record could not be read as a molecule.")
        molecules.append(molecule)
    return molecules


def batch_table(molecules: list[Molecule]) -> pd.DataFrame:
    """One row per molecule: id, entered SMILES, parent, changes, known drug, problem."""
    return pd.DataFrame(
        {
            "id": [m.id for m in molecules],
            "entered SMILES": [m.smiles for m in molecules],
            "standardised parent": [m.parent_smiles for m in molecules],
            "standardisation": ["; ".join(m.changes) or "none" for m in molecules],
            "known drug": [m.drug_name or "" for m in molecules],
            "problem": [m.error or "" for m in molecules],
        }
    )
