"""Every drug a person can name: all of SIDER 4.1, DrugBank's open vocabulary, DrugCentral.

The catalogue is one table of drugs. Its first 759 rows are Galeano's drugs, in Galeano
order (catalogue index = drug index for them); the other SIDER drugs follow, with their
side effects and, where labels state one, their frequencies; then approved drugs that
only DrugBank or DrugCentral know, with a structure and names but no label data.

Where a SIDER drug's structure comes from, in order (one line in ``curation_note``):

1. its PubChem CID (stereo id, then flat id) -> DrugBank, by exact InChI
   (``drugbank_pubchem_exact``), else by UniChem (``drugbank_pubchem``); several
   DrugBank entries for one CID are told apart by name, else the lowest id is taken;
2. else DrugCentral, by the name on the label (INN);
3. else none: the drug keeps its side effects and names (a look-up still shows them) and
   no model trains on it.

Each structure is standardised exactly as the 759 are (:func:`sefreq.chem.standardize`).
A SIDER drug whose parent has the same skeleton (first InChIKey block) as one of the 759
records that drug in ``same_parent_as``: the benchmark must not give a test drug's labels
to training under another name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sefreq.data import sider
from sefreq.data.names import (
    ATC,
    BRAND,
    GENERIC,
    LABEL,
    SYNONYM,
    label_name_variants,
    name_key,
    strip_salts,
)

#: Registry keys the catalogue reads.
CATALOGUE_KEYS = (
    "sider_all_side_effects",
    "drugbank_drugs",
    "drugbank_pubchem",
    "drugbank_pubchem_exact",
    "drugbank_aliases",
    "drugcentral_structures",
)

# How a structure was found (curation_status of catalogue rows beyond the 759).
DRUGBANK_EXACT = "DRUGBANK_EXACT_INCHI"
DRUGBANK_UNICHEM = "DRUGBANK_UNICHEM"
DRUGCENTRAL_NAME = "DRUGCENTRAL_NAME"
DRUGBANK_ONLY = "DRUGBANK_ONLY"
DRUGCENTRAL_ONLY = "DRUGCENTRAL_ONLY"
NO_STRUCTURE = "NO_STRUCTURE_FOUND"
REFUSED = "STRUCTURE_REFUSED"

SIDER_SOURCE, DRUGBANK_SOURCE, DRUGCENTRAL_SOURCE = "sider", "drugbank", "drugcentral"

ALL_SE_COLUMNS = ("stitch_flat", "stitch_stereo", "label_cui", "term_type", "umls_cui", "term")


@dataclass(frozen=True)
class CatalogueParts:
    """What :func:`build_catalogue` adds to the dataset (indices are catalogue indices)."""

    drugs: pd.DataFrame
    names: pd.DataFrame
    labels: pd.DataFrame
    evidence: pd.DataFrame
    associations: pd.DataFrame


def read_all_side_effects(path: Path) -> pd.DataFrame:
    """meddra_all_se(.tsv.gz), PT rows: stitch_flat, stitch_stereo (CIDs), umls_cui, term."""
    table = sider.read_pt_rows(path, ALL_SE_COLUMNS)
    return table[["stitch_flat", "stitch_stereo", "umls_cui", "term"]].reset_index(drop=True)


def map_terms(table: pd.DataFrame, side_effects: pd.DataFrame) -> pd.Series:
    """Side-effect index (float, NaN when not one of the 994) of each row: by CUI, then
    by name (casefold)."""
    by_cui = {c: k for k, c in enumerate(side_effects["umls_cui"]) if isinstance(c, str) and c}
    by_name = {n.casefold(): k for k, n in enumerate(side_effects["name"])}
    index = table["umls_cui"].map(by_cui).astype(float)
    return index.fillna(table["term"].str.casefold().map(by_name).astype(float))


def _read_drugbank(paths: dict[str, Path]) -> tuple[pd.DataFrame, dict, dict, dict]:
    drugbank = pd.read_csv(paths["drugbank_drugs"], sep="\t", dtype=str, keep_default_na=False)
    drugbank = drugbank.set_index("drugbank_id", drop=False)
    exact = pd.read_csv(paths["drugbank_pubchem_exact"], sep="\t", dtype=str)
    unichem = pd.read_csv(paths["drugbank_pubchem"], sep="\t", dtype=str)
    by_exact: dict[int, list[str]] = {}
    for db, cid in zip(exact["drugbank_id"], exact["pubchem_cid"], strict=True):
        by_exact.setdefault(int(cid), []).append(db)
    by_unichem: dict[int, list[str]] = {}
    for db, cid in zip(unichem["drugbank_id"], unichem["pubchem_id"], strict=True):
        by_unichem.setdefault(int(cid), []).append(db)
    aliases = json.loads(Path(paths["drugbank_aliases"]).read_text(encoding="utf-8"))
    return drugbank, by_exact, by_unichem, aliases


def _inchi_smiles(inchi: str) -> str | None:
    """SMILES of an InChI (RDKit), None when it cannot be read."""
    from rdkit import Chem, RDLogger

    if not inchi:
        return None
    RDLogger.DisableLog("rdApp.*")  # never re-enabled: later standardisation stays quiet
    mol = Chem.MolFromInchi(inchi, sanitize=True, treatWarningAsError=False)
    return Chem.MolToSmiles(mol) if mol is not None else None


def _pick_drugbank(
    candidates: list[str], drugbank: pd.DataFrame, aliases: dict, wanted: set[str]
) -> tuple[str | None, str]:
    """One DrugBank id among ``candidates`` (with a structure), and why it was chosen."""
    usable = sorted(
        {c for c in candidates if c in drugbank.index and drugbank.at[c, "inchi"]},
        key=lambda c: int(c[2:]),
    )
    if not usable:
        return None, ""
    if len(usable) == 1:
        return usable[0], ""
    for candidate in usable:
        names = {name_key(drugbank.at[candidate, "name"])}
        names |= {name_key(a) for a in aliases.get(candidate, [])}
        if names & wanted:
            return candidate, f"; {len(usable)} DrugBank entries, {candidate} by name"
    return usable[0], f"; {len(usable)} DrugBank entries, none by name: the lowest id"


def build_catalogue(
    drugs: pd.DataFrame,
    labels: pd.DataFrame,
    side_effects: pd.DataFrame,
    paths: dict[str, Path],
) -> CatalogueParts:
    """The catalogue from the 759-drug tables (``drugs``, ``labels``) and the files of
    :data:`CATALOGUE_KEYS` (``paths`` by registry key)."""
    from sefreq.chem.standardize import StandardizationError, standardize

    all_se = read_all_side_effects(paths["sider_all_side_effects"])
    all_se["side_effect_index"] = map_terms(all_se, side_effects)
    label_table = sider.read_label_mapping(paths["sider_labels"])
    drugbank, by_exact, by_unichem, aliases = _read_drugbank(paths)
    central = pd.read_csv(paths["drugcentral_structures"], sep="\t", dtype=str)
    central = central.dropna(subset=["SMILES", "INN"])
    central_by_name = {name_key(n): k for k, n in zip(central.index, central["INN"], strict=True)}
    for k, inn in zip(central.index, central["INN"], strict=True):
        central_by_name.setdefault(strip_salts(name_key(inn)), k)

    galeano = {int(c): k for k, c in enumerate(drugs["sider_stereo_cid"])}
    ids = all_se[["stitch_stereo", "stitch_flat"]].drop_duplicates("stitch_stereo")
    new_ids = ids[~ids["stitch_stereo"].isin(galeano)].sort_values("stitch_stereo")
    n_galeano = len(drugs)
    stereo_to_index = dict(galeano)
    for k, stereo in enumerate(new_ids["stitch_stereo"]):
        stereo_to_index[int(stereo)] = n_galeano + k

    # Labels of SIDER drugs beyond the 759: by stereo id, else by a flat id only one has.
    flat_counts = ids["stitch_flat"].value_counts()
    flat_to_index = {
        int(flat): stereo_to_index[int(stereo)]
        for stereo, flat in zip(ids["stitch_stereo"], ids["stitch_flat"], strict=True)
        if flat_counts[flat] == 1
    }
    stereo_match = label_table["stitch_stereo"].map(
        lambda c: stereo_to_index.get(int(c)) if pd.notna(c) else None
    )
    flat_match = label_table["stitch_flat"].map(
        lambda c: flat_to_index.get(int(c)) if pd.notna(c) else None
    )
    label_table["drug_index"] = stereo_match.astype(float).fillna(flat_match.astype(float))
    new_labels = label_table[label_table["drug_index"] >= n_galeano].astype({"drug_index": "int64"})

    rows = []
    used_drugbank: dict[str, int] = {}
    galeano_skeletons = {
        key.split("-")[0]: k for k, key in enumerate(drugs["inchikey"]) if isinstance(key, str)
    }
    for k, (stereo, flat) in enumerate(
        zip(new_ids["stitch_stereo"], new_ids["stitch_flat"], strict=True)
    ):
        index = n_galeano + k
        mine = new_labels[new_labels["drug_index"] == index]
        generic = mine["generic_name"].replace("", np.nan).dropna()
        wanted = {name_key(v) for text in generic.unique() for v in label_name_variants(text)}
        wanted |= {name_key(v) for text in mine["label_name"] for v in label_name_variants(text)}
        wanted |= {strip_salts(w) for w in wanted} - {""}
        candidates_exact = by_exact.get(int(stereo), []) + by_exact.get(int(flat), [])
        candidates_unichem = by_unichem.get(int(stereo), []) + by_unichem.get(int(flat), [])
        db_id, why = _pick_drugbank(candidates_exact, drugbank, aliases, wanted)
        status = DRUGBANK_EXACT
        if db_id is None:
            db_id, why = _pick_drugbank(candidates_unichem, drugbank, aliases, wanted)
            status = DRUGBANK_UNICHEM
        smiles, source, central_id = None, None, None
        if db_id is not None:
            smiles = _inchi_smiles(drugbank.at[db_id, "inchi"])
            source = DRUGBANK_SOURCE
            note = f"PubChem CID {stereo} -> DrugBank {db_id} ({status.split('_', 1)[1]}){why}"
        if smiles is None:
            hit = next((central_by_name[w] for w in sorted(wanted) if w in central_by_name), None)
            if hit is not None:
                smiles, source = central.at[hit, "SMILES"], DRUGCENTRAL_SOURCE
                central_id = str(central.at[hit, "ID"])
                status = DRUGCENTRAL_NAME
                note = f"DrugCentral {central_id} by name ({central.at[hit, 'INN']})"
        if smiles is None:
            status, note = NO_STRUCTURE, "no DrugBank entry with a structure, no DrugCentral name"
        if db_id is not None:
            name = drugbank.at[db_id, "name"].casefold()
        elif central_id is not None:
            name = str(central.at[hit, "INN"]).casefold()
        else:
            name = generic.mode().iloc[0].casefold() if len(generic) else f"cid {stereo}"
        parent = None
        if smiles is not None:
            try:
                parent = standardize(smiles)
            except StandardizationError as error:
                status, note = REFUSED, f"{note}; refused by the standardiser: {error}"
        skeleton = parent.inchikey.split("-")[0] if parent else None
        if db_id is not None:
            used_drugbank.setdefault(db_id, index)
        rows.append(
            {
                "name": name,
                "source": SIDER_SOURCE,
                "sider_stereo_cid": int(stereo),
                "sider_flat_cid": int(flat),
                "drugbank_id": db_id,
                "drugcentral_id": central_id,
                "atc": drugbank.at[db_id, "atc_codes"] if db_id is not None else "",
                "smiles": smiles,
                "smiles_source": source,
                "inchikey": parent.inchikey if parent else None,
                "parent_smiles": parent.parent_smiles if parent else None,
                "has_structure": parent is not None,
                "curation_status": status,
                "curation_note": note,
                "same_parent_as": galeano_skeletons.get(skeleton) if skeleton else None,
            }
        )
    sider_rows = pd.DataFrame(rows)

    galeano_rows = _galeano_rows(drugs, ids, by_exact, by_unichem, drugbank, aliases)
    for k, db_id in enumerate(galeano_rows["drugbank_id"]):
        if isinstance(db_id, str):
            used_drugbank.setdefault(db_id, k)
    so_far = pd.concat([galeano_rows, sider_rows], ignore_index=True)
    extra_rows, links = _unlabelled_rows(drugbank, central, used_drugbank, so_far)
    for index, db_id in links.items():  # a SIDER drug DrugBank knows under its name
        if not isinstance(so_far.at[index, "drugbank_id"], str):
            so_far.at[index, "drugbank_id"] = db_id
    catalogue = pd.concat([so_far, extra_rows], ignore_index=True)
    # A drug linked to DrugBank after its row was made (by name, above; or one of the 759
    # whose table has no code) takes DrugBank's ATC codes: warfarin had none, so its full
    # code B01AA03 found nothing and the dense task lost its ATC classes.
    linked = catalogue["drugbank_id"].map(lambda d: isinstance(d, str))
    missing = linked & (catalogue["atc"].fillna("") == "")
    catalogue.loc[missing, "atc"] = (
        catalogue.loc[missing, "drugbank_id"].map(drugbank["atc_codes"]).fillna("").to_numpy()
    )
    catalogue["same_parent_as"] = catalogue["same_parent_as"].astype("Int64")
    for column in ("sider_stereo_cid", "sider_flat_cid"):
        catalogue[column] = catalogue[column].astype("Int64")

    associations = (
        all_se.dropna(subset=["side_effect_index"])
        .assign(
            drug_index=all_se["stitch_stereo"].map(stereo_to_index),
            side_effect_index=lambda t: t["side_effect_index"].astype("int64"),
        )[["drug_index", "side_effect_index"]]
        .drop_duplicates()
        .sort_values(["drug_index", "side_effect_index"])
        .reset_index(drop=True)
    )
    evidence = _new_evidence(paths, new_ids, stereo_to_index, side_effects)
    catalogue["in_sider"] = catalogue.index.isin(associations["drug_index"].unique())
    counts = associations.groupby("drug_index").size()
    catalogue["n_side_effects"] = counts.reindex(catalogue.index).fillna(0).astype("int64")
    labelled = evidence[evidence["kind"] == sider.DRUG].dropna(subset=["frequency_class"])
    with_frequency = labelled["drug_index"].unique()
    catalogue["has_frequencies"] = catalogue.index.isin(with_frequency) | (
        catalogue.index < n_galeano
    )

    labels_out = new_labels[["drug_index", "label_name", "brand", "url", "label_id"]]
    names = _catalogue_names(catalogue, pd.concat([labels, labels_out]), new_labels, aliases)
    return CatalogueParts(
        drugs=catalogue,
        names=names,
        labels=labels_out.reset_index(drop=True),
        evidence=evidence,
        associations=associations,
    )


def _galeano_rows(drugs, ids, by_exact, by_unichem, drugbank, aliases) -> pd.DataFrame:
    """The 759 as catalogue rows: their own curated structures; a DrugBank id for names."""
    flat_of = dict(zip(ids["stitch_stereo"], ids["stitch_flat"], strict=True))
    rows = []
    for name, stereo, flat in zip(
        drugs["name"], drugs["sider_stereo_cid"], drugs["pubchem_cid_flat"], strict=True
    ):
        cids = [int(stereo)] + ([int(flat)] if pd.notna(flat) else [])
        wanted = {name_key(name)}
        db_id, _ = _pick_drugbank(
            [d for c in cids for d in by_exact.get(c, [])], drugbank, aliases, wanted
        )
        if db_id is None:
            db_id, _ = _pick_drugbank(
                [d for c in cids for d in by_unichem.get(c, [])], drugbank, aliases, wanted
            )
        rows.append({"drugbank_id": db_id, "sider_flat_cid": flat_of.get(int(stereo), flat)})
    out = drugs[
        [
            "name",
            "sider_stereo_cid",
            "atc",
            "smiles",
            "smiles_source",
            "inchikey",
            "parent_smiles",
            "has_structure",
            "curation_status",
            "curation_note",
        ]
    ].copy()
    extra = pd.DataFrame(rows, index=out.index)
    out.insert(1, "source", SIDER_SOURCE)
    out.insert(3, "sider_flat_cid", extra["sider_flat_cid"])
    out.insert(4, "drugbank_id", extra["drugbank_id"])
    out.insert(5, "drugcentral_id", None)
    out["same_parent_as"] = None
    return out


def _unlabelled_rows(
    drugbank: pd.DataFrame, central: pd.DataFrame, used: dict[str, int], so_far: pd.DataFrame
) -> tuple[pd.DataFrame, dict[int, str]]:
    """Approved drugs with a structure that SIDER does not list (no label data), and the
    DrugBank ids of SIDER drugs found here under their own name or parent InChIKey.

    DrugBank small molecules in the "approved" group, then DrugCentral ingredients whose
    InChIKey or name no catalogue drug has. Their structures are standardised when a user
    picks one (``parent_smiles`` is empty here), not at build time.
    """
    rows = []
    links: dict[int, str] = {}
    by_name = {name_key(n): k for k, n in zip(so_far.index, so_far["name"], strict=True)}
    by_key: dict[str, int] = {}
    for k, key in zip(so_far.index, so_far["inchikey"], strict=True):
        if isinstance(key, str):
            by_key.setdefault(key, k)
    used_rows = drugbank["drugbank_id"].isin(used)
    seen_keys = {key.removeprefix("InChIKey=") for key in drugbank.loc[used_rows, "inchikey"]}
    seen_keys |= set(by_key)
    seen_names = {name_key(n) for n in drugbank.loc[used_rows, "name"]} | set(by_name)
    approved = drugbank[
        drugbank["groups"].str.contains("approved")
        & (drugbank["type"] == "small molecule")
        & (drugbank["inchi"] != "")
        & ~used_rows
    ]
    for db_id, name, atc, inchi, key in zip(
        approved["drugbank_id"],
        approved["name"],
        approved["atc_codes"],
        approved["inchi"],
        approved["inchikey"],
        strict=True,
    ):
        key = key.removeprefix("InChIKey=")
        same = by_name.get(name_key(name), by_key.get(key))
        if same is not None:
            links.setdefault(int(same), db_id)
            continue
        if key in seen_keys or name_key(name) in seen_names:
            continue
        smiles = _inchi_smiles(inchi)
        if smiles is None:
            continue
        seen_keys.add(key)
        seen_names.add(name_key(name))
        rows.append(_unlabelled(name, smiles, DRUGBANK_SOURCE, DRUGBANK_ONLY, db_id, None, atc))
    for central_id, inn, smiles, key in zip(
        central["ID"], central["INN"], central["SMILES"], central["InChIKey"], strict=True
    ):
        if key in seen_keys or name_key(inn) in seen_names:
            continue
        seen_keys.add(key)
        seen_names.add(name_key(inn))
        rows.append(
            _unlabelled(inn, smiles, DRUGCENTRAL_SOURCE, DRUGCENTRAL_ONLY, None, str(central_id))
        )
    out = pd.DataFrame(rows)
    out.index = range(len(so_far), len(so_far) + len(out))
    return out, links


def _unlabelled(name, smiles, source, status, db_id, central_id, atc="") -> dict:
    where = f"DrugBank {db_id}" if db_id else f"DrugCentral {central_id}"
    return {
        "name": str(name).casefold(),
        "source": source,
        "sider_stereo_cid": None,
        "sider_flat_cid": None,
        "drugbank_id": db_id,
        "drugcentral_id": central_id,
        "atc": atc or "",
        "smiles": smiles,
        "smiles_source": source,
        "inchikey": None,
        "parent_smiles": None,
        "has_structure": True,
        "curation_status": status,
        "curation_note": f"not in SIDER: structure from {where}, no label data",
        "same_parent_as": None,
    }


def _new_evidence(paths, new_ids, stereo_to_index, side_effects) -> pd.DataFrame:
    """Label frequency rows (PT, mapped to the 994) of the SIDER drugs beyond the 759."""
    raw = sider.read_meddra_freq(
        paths["sider_frequencies"], stereo_cids=new_ids["stitch_stereo"].tolist()
    )
    raw["side_effect_index"] = map_terms(raw, side_effects)
    raw = raw.dropna(subset=["side_effect_index"])
    return pd.DataFrame(
        {
            "drug_index": raw["stitch_stereo"].map(stereo_to_index).astype("int64").to_numpy(),
            "side_effect_index": raw["side_effect_index"].astype("int64").to_numpy(),
            "kind": raw["kind"].to_numpy(),
            "frequency_text": raw["frequency_text"].to_numpy(),
            "lower": raw["lower"].to_numpy(),
            "upper": raw["upper"].to_numpy(),
            "frequency_class": raw["frequency_class"].to_numpy(),
        }
    )


def _catalogue_names(
    catalogue: pd.DataFrame, labels: pd.DataFrame, sider_labels: pd.DataFrame, aliases: dict
) -> pd.DataFrame:
    """Every name of every catalogue drug: name, key, kind, drug_index (catalogue index).

    Generic names, ATC codes, SIDER label and brand names (:func:`build_names` rules),
    DrugBank names and aliases (synonyms and brands), DrugCentral INNs.
    """
    from sefreq.data.names import build_names

    labelled = pd.concat(
        [labels.assign(generic_name=""), sider_labels[["drug_index", "generic_name"]]],
        ignore_index=True,
    ).fillna("")
    names = build_names(
        catalogue[["name", "atc"]],
        labelled.reindex(
            columns=["drug_index", "label_name", "brand", "generic_name"], fill_value=""
        ),
    )
    records = []
    for index, db_id in zip(catalogue.index, catalogue["drugbank_id"], strict=True):
        if isinstance(db_id, str):
            for alias in aliases.get(db_id, []):
                records.append((alias, SYNONYM, int(index)))
    extra = pd.DataFrame(records, columns=["name", "kind", "drug_index"])
    extra.insert(1, "key", extra["name"].map(name_key))
    names = pd.concat([names, extra], ignore_index=True)
    names = names[names["key"] != ""]
    order = {GENERIC: 0, ATC: 3, BRAND: 1, LABEL: 2, SYNONYM: 4}
    names = names.assign(_order=names["kind"].map(order))
    names = names.sort_values(["drug_index", "_order"], kind="stable")
    names = names.drop_duplicates(["key", "drug_index"]).drop(columns="_order")
    names["drug_index"] = names["drug_index"].astype("int64")
    return names.reset_index(drop=True)
