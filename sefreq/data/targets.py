"""What a drug acts on: its human targets, enzymes, transporters and carriers, and its ATC
classes, for every catalogue drug and for the dense "mechanism" task of the model.

Two upstream files (``../shared/data/README.md``):

- DrugBank's ``proteins.tsv`` (CC BY-NC 4.0): drug, category (target / enzyme /
  transporter / carrier), UniProt id, organism, actions. Only human rows are kept.
- DrugCentral's ``AllTargets.json`` (CC BY-SA 4.0): drug (``struct_id``), UniProt accession
  (complexes ``|``-joined: split into their members), target name. The file states no
  organism; an accession counts as human when DrugBank lists it for a human protein.
  That rule keeps 59% of DrugCentral's accessions and drops its bacterial and viral
  targets (and some human proteins DrugBank does not know, a stated loss).

A catalogue drug is matched to DrugBank by its ``drugbank_id`` or the InChIKey of its
parent, and to DrugCentral by its ``drugcentral_id`` or that InChIKey.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

#: Upstream files the targets are built from (registry keys).
TARGET_KEYS = ("drugbank_proteins", "drugcentral_targets")
CATEGORIES = ("target", "enzyme", "transporter", "carrier")
#: ATC levels kept as mechanism labels: anatomical group (A), therapeutic (A10),
#: pharmacological (A10B) and chemical subgroup (A10BA). Level 5 names the drug itself.
ATC_LEVELS = (1, 3, 4, 5)
TARGET_COLUMNS = ["drug_index", "uniprot_id", "protein", "category", "actions", "source"]


def read_drugbank_proteins(path: Path) -> pd.DataFrame:
    """Human rows of DrugBank's proteins.tsv: drugbank_id, uniprot_id, entrez_gene_id,
    category, actions (``|``-joined, may be empty)."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    human = table[(table["organism"] == "Human") & (table["uniprot_id"] != "")]
    human = human[human["category"].isin(CATEGORIES)]
    return human[["drugbank_id", "uniprot_id", "entrez_gene_id", "category", "actions"]]


def read_drugcentral_targets(path: Path, human: set[str]) -> pd.DataFrame:
    """DrugCentral's targets with complexes split into their members, human members only:
    drugcentral_id (str), uniprot_id, protein (DrugCentral's target name)."""
    rows = json.loads(Path(path).read_text())
    table = pd.DataFrame(rows, columns=["accession", "struct_id", "target_name", "name"])
    table["uniprot_id"] = table["accession"].astype(str).str.split("|")
    table = table.explode("uniprot_id")
    table = table[table["uniprot_id"].isin(human)]
    out = pd.DataFrame(
        {
            "drugcentral_id": table["struct_id"].astype(str),
            "uniprot_id": table["uniprot_id"],
            "protein": table["target_name"].astype(str),
        }
    )
    return out.drop_duplicates(["drugcentral_id", "uniprot_id"]).reset_index(drop=True)


def protein_names(central: pd.DataFrame) -> dict[str, str]:
    """UniProt id -> a readable name (DrugCentral's target name where it has one)."""
    return dict(zip(central["uniprot_id"], central["protein"], strict=True))


def build_targets(
    catalogue: pd.DataFrame,
    drugbank: pd.DataFrame,
    central_structures: pd.DataFrame,
    proteins: pd.DataFrame,
    central: pd.DataFrame,
) -> pd.DataFrame:
    """Every known protein of every catalogue drug: :data:`TARGET_COLUMNS`, one row per
    drug, protein and source. ``drugbank``: drugbank.tsv (drugbank_id, inchikey);
    ``central_structures``: DrugCentral's structures (ID, InChIKey)."""
    names = protein_names(central)
    drugbank_of, central_of = _catalogue_ids(catalogue, drugbank, central_structures)
    from_drugbank = proteins.merge(drugbank_of, on="drugbank_id")
    from_drugbank = from_drugbank.assign(
        protein=from_drugbank["uniprot_id"].map(names).fillna(""), source="DrugBank"
    )
    from_central = central.merge(central_of, on="drugcentral_id")
    from_central = from_central.assign(category="target", actions="", source="DrugCentral")
    out = pd.concat([from_drugbank[TARGET_COLUMNS], from_central[TARGET_COLUMNS]])
    out = out.drop_duplicates(["drug_index", "uniprot_id", "category", "source"])
    return out.sort_values(["drug_index", "category", "uniprot_id"]).reset_index(drop=True)


def _catalogue_ids(
    catalogue: pd.DataFrame, drugbank: pd.DataFrame, central_structures: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(drug_index, drugbank_id) and (drug_index, drugcentral_id) of the catalogue: its own
    ids, else the DrugBank / DrugCentral entry with the same InChIKey."""
    keys = catalogue["inchikey"].where(catalogue["inchikey"].notna(), None)
    by_key_db = _by_key(drugbank["inchikey"], drugbank["drugbank_id"])
    by_key_dc = _by_key(central_structures["InChIKey"], central_structures["ID"])
    db_ids = [
        own if isinstance(own, str) and own else by_key_db.get(key)
        for own, key in zip(catalogue["drugbank_id"], keys, strict=True)
    ]
    dc_ids = [
        own if isinstance(own, str) and own else by_key_dc.get(key)
        for own, key in zip(catalogue["drugcentral_id"], keys, strict=True)
    ]
    index = catalogue.index.to_numpy()
    drugbank_of = pd.DataFrame({"drug_index": index, "drugbank_id": db_ids}).dropna()
    central_of = pd.DataFrame({"drug_index": index, "drugcentral_id": dc_ids}).dropna()
    central_of["drugcentral_id"] = central_of["drugcentral_id"].astype(str)
    return drugbank_of, central_of


def _by_key(keys: pd.Series, ids: pd.Series) -> dict[str, str]:
    ok = keys.notna() & (keys.astype(str) != "")
    return dict(zip(keys[ok].astype(str), ids[ok].astype(str), strict=True))


def atc_classes(codes: str | float | None) -> list[str]:
    """The ATC classes of ``|``-joined codes at :data:`ATC_LEVELS` (``N05AH`` ...)."""
    if not isinstance(codes, str):
        return []
    out = set()
    for code in codes.split("|"):
        code = code.strip().upper()
        if len(code) >= 7:  # a full code: its four classes
            out.update(code[:level] for level in ATC_LEVELS)
    return sorted(out)


def build_mechanism_drugs(
    catalogue: pd.DataFrame,
    drugbank: pd.DataFrame,
    central_structures: pd.DataFrame,
    proteins: pd.DataFrame,
    central: pd.DataFrame,
) -> pd.DataFrame:
    """The dense task: one row per compound with a structure and a known protein or ATC
    class, from the catalogue, DrugCentral and DrugBank.

    Columns: skeleton (first InChIKey block of the parent), smiles (the parent), proteins
    and atc (``|``-joined, sorted). Every structure goes through the project's
    standardisation, so a salt or a charged form of a compound lands on the compound's own
    skeleton, and a held-out drug can be taken out of the task by its skeleton alone.
    Entries of one compound pool their proteins and classes.
    """
    from rdkit import Chem, RDLogger

    from sefreq.chem.standardize import StandardizationError, standardize

    RDLogger.DisableLog("rdApp.*")
    db_proteins = proteins.groupby("drugbank_id")["uniprot_id"].agg(set).to_dict()
    dc_proteins = central.groupby("drugcentral_id")["uniprot_id"].agg(set).to_dict()
    entries: dict[str, dict] = {}
    parent_of: dict[str, tuple[str, str] | None] = {}

    def parent(smiles: str) -> tuple[str, str] | None:
        if smiles not in parent_of:
            try:
                result = standardize(smiles)
                parent_of[smiles] = (result.parent_smiles, result.inchikey[:14])
            except StandardizationError:
                parent_of[smiles] = None
        return parent_of[smiles]

    def add(structure: tuple[str, str] | None, found: set[str], atc: list[str]) -> None:
        if structure is None or not structure[1] or not (found or atc):
            return
        entry = entries.setdefault(
            structure[1], {"smiles": structure[0], "proteins": set(), "atc": set()}
        )
        entry["proteins"] |= found
        entry["atc"] |= set(atc)

    known = catalogue[catalogue["parent_smiles"].notna() & catalogue["inchikey"].notna()]
    for db_id, dc_id, key, smiles, atc in zip(
        known["drugbank_id"], known["drugcentral_id"], known["inchikey"],
        known["parent_smiles"], known["atc"], strict=True,
    ):  # fmt: skip
        found = db_proteins.get(db_id, set()) | dc_proteins.get(str(dc_id), set())
        add((smiles, key[:14]), found, atc_classes(atc))
    for dc_id, smiles in zip(central_structures["ID"], central_structures["SMILES"], strict=True):
        found = dc_proteins.get(str(dc_id), set())
        if found and isinstance(smiles, str):
            add(parent(smiles), found, [])
    for db_id, inchi, atc in zip(
        drugbank["drugbank_id"], drugbank["inchi"], drugbank["atc_codes"], strict=True
    ):
        found, classes = db_proteins.get(db_id, set()), atc_classes(atc)
        if (found or classes) and isinstance(inchi, str):
            mol = Chem.MolFromInchi(inchi)
            if mol is not None:
                add(parent(Chem.MolToSmiles(mol)), found, classes)
    rows = [
        (key, e["smiles"], "|".join(sorted(e["proteins"])), "|".join(sorted(e["atc"])))
        for key, e in entries.items()
    ]
    table = pd.DataFrame(rows, columns=["skeleton", "smiles", "proteins", "atc"])
    return table.sort_values("skeleton").reset_index(drop=True)


def read_target_inputs(paths: dict[str, Path]) -> tuple[pd.DataFrame, ...]:
    """(drugbank, central_structures, proteins, central) read from registry ``paths``."""
    drugbank = pd.read_csv(paths["drugbank_drugs"], sep="\t", dtype=str)
    # drugbank.tsv writes its keys "InChIKey=XXXX-...": the bare key, as everywhere else.
    drugbank["inchikey"] = drugbank["inchikey"].str.removeprefix("InChIKey=")
    central_structures = pd.read_csv(paths["drugcentral_structures"], sep="\t", dtype=str)
    proteins = read_drugbank_proteins(paths["drugbank_proteins"])
    central = read_drugcentral_targets(paths["drugcentral_targets"], set(proteins["uniprot_id"]))
    return drugbank, central_structures, proteins, central


def split_lists(column: pd.Series) -> list[list[str]]:
    """A ``|``-joined column as lists (empty string -> [])."""
    return [text.split("|") if isinstance(text, str) and text else [] for text in column]


def multi_hot(lists: list[list[str]], vocabulary: list[str]) -> np.ndarray:
    """(len(lists), len(vocabulary)) float32: 1 where an item of the row is in the
    vocabulary (items outside it are ignored)."""
    position = {item: k for k, item in enumerate(vocabulary)}
    out = np.zeros((len(lists), len(vocabulary)), dtype=np.float32)
    for row, items in enumerate(lists):
        for item in items:
            k = position.get(item)
            if k is not None:
                out[row, k] = 1.0
    return out
