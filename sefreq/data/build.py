"""Building the curated dataset from the upstream files (:mod:`sefreq.data.registry`), in
code: Galeano's matrix, the structures (curated, standardised), the side effects' classes
and similarity, SIDER's evidence and labels, the catalogue and the targets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sefreq.constants import INDEPENDENT_TEST_DRUGS, N_DRUGS, N_SIDE_EFFECTS
from sefreq.data import curation, sider
from sefreq.data.catalogue import CATALOGUE_KEYS, build_catalogue
from sefreq.data.dataset import Dataset, with_none
from sefreq.data.synonyms import build_synonyms, read_term_pairs
from sefreq.data.targets import (
    TARGET_KEYS,
    build_mechanism_drugs,
    build_targets,
    read_target_inputs,
)

#: Bump when the build changes what it produces: the cache key includes it.
BUILD_VERSION = "8"

#: Upstream files the build reads (registry keys).
INPUT_KEYS = (
    "frequency_matrix",
    "organ_classes",
    "group_terms",
    "drug_smiles",
    "drug_atc",
    "drugbank_smiles",
    "side_effect_similarity",
    "sider_frequencies",
    "sider_labels",
    *CATALOGUE_KEYS,
    *TARGET_KEYS,
)

N_ORGAN_CLASSES = 26
N_GROUP_TERMS = 217


@dataclass(frozen=True)
class World:
    """What the build insists on finding in its upstream files, and the hand-made decisions
    about their drugs.

    The defaults (:data:`REAL_WORLD`) are the real world's: Galeano's 759 drugs x 994
    terms, the 26 organ classes and 217 group terms they fall in, the 9 independent-test
    drugs first in the SMILES file, and the reviewed structure decisions of
    :mod:`sefreq.data.curation`. The build fails loudly on anything else, so a truncated
    or foreign file cannot pass for the real one; :func:`sefreq.data.cache.load_dataset`
    never builds another world. A test world (tests/support/make_tiny_upstream.py) states its own.
    """

    n_drugs: int = N_DRUGS
    n_side_effects: int = N_SIDE_EFFECTS
    n_organ_classes: int = N_ORGAN_CLASSES
    n_group_terms: int = N_GROUP_TERMS
    independent_test_drugs: tuple[str, ...] = INDEPENDENT_TEST_DRUGS
    curation: Mapping[str, curation.CurationDecision] = field(
        default_factory=lambda: curation.CURATION
    )
    sider_id_overrides: Mapping[str, curation.SiderIdOverride] = field(
        default_factory=lambda: curation.SIDER_ID_OVERRIDES
    )


REAL_WORLD = World()


def build_dataset(paths: dict[str, Path], world: World = REAL_WORLD) -> Dataset:
    """Build the dataset from upstream files (``paths`` by registry key); no cache.

    ``world``: what the files must hold (default: the real upstream files).
    """
    frequency, drug_names, side_effect_names = read_frequency_matrix(
        paths["frequency_matrix"], world
    )
    drugs = build_drugs(drug_names, paths, world)
    side_effects, organ_class_names, group_term_names = build_side_effects(
        side_effect_names, frequency, paths, world
    )
    similarity = read_similarity(paths["side_effect_similarity"], side_effect_names, world)

    cids = drugs["sider_stereo_cid"].to_numpy()
    raw_evidence = sider.read_meddra_freq(paths["sider_frequencies"], stereo_cids=cids)
    has_rows = drugs["sider_stereo_cid"].isin(raw_evidence["stitch_stereo"])
    _expect(bool(has_rows.all()), f"no SIDER rows for {drugs['name'][~has_rows].tolist()}")
    drugs["pubchem_cid_flat"] = _flat_ids(cids, raw_evidence)
    evidence, umls_cuis = build_evidence(raw_evidence, cids, side_effect_names)
    side_effects.insert(1, "umls_cui", umls_cuis)
    pairs = summarise_pairs(evidence, frequency)

    label_table = sider.read_label_mapping(paths["sider_labels"])
    label_table["drug_index"] = sider.match_labels(
        label_table, cids, drugs["pubchem_cid_flat"].to_numpy(dtype=float, na_value=np.nan)
    )
    ours = label_table.dropna(subset=["drug_index"]).astype({"drug_index": "int64"})
    labels = ours[["drug_index", "label_name", "brand", "url", "label_id"]]
    labels = labels.sort_values("drug_index", kind="stable").reset_index(drop=True)

    parts = build_catalogue(drugs, labels, side_effects, paths)
    new_evidence = parts.evidence.assign(
        kind=pd.Categorical(parts.evidence["kind"], categories=list(sider.EVIDENCE_KINDS))
    )
    padded = np.zeros((len(parts.drugs), frequency.shape[1]), dtype=frequency.dtype)
    new_pairs = summarise_pairs(new_evidence, padded)
    pairs = _with_associations(pd.concat([pairs, new_pairs], ignore_index=True), parts)
    term_pairs = read_term_pairs(paths["sider_all_side_effects"])
    target_inputs = read_target_inputs(paths)
    return Dataset(
        frequency=frequency,
        drugs=drugs,
        side_effects=side_effects,
        organ_class_names=organ_class_names,
        group_term_names=group_term_names,
        side_effect_similarity=similarity,
        names=parts.names,
        labels=pd.concat([labels, parts.labels], ignore_index=True),
        evidence=pd.concat([evidence, new_evidence], ignore_index=True),
        pairs=pairs,
        catalogue=parts.drugs,
        associations=parts.associations,
        synonyms=build_synonyms(term_pairs, side_effects),
        targets=build_targets(parts.drugs, *target_inputs),
        mechanism_drugs=build_mechanism_drugs(parts.drugs, *target_inputs),
    )


def _with_associations(pairs: pd.DataFrame, parts) -> pd.DataFrame:
    """``pairs`` plus a row for each SIDER side effect stated without any frequency, and
    ``on_label``: SIDER lists the side effect for the drug (or R gives it a class)."""
    keys = ["drug_index", "side_effect_index"]
    listed = parts.associations.set_index(keys).index
    have = pairs.set_index(keys).index
    missing = listed.difference(have)
    extra = pd.DataFrame(
        {key: missing.get_level_values(k) for k, key in enumerate(keys)}, dtype="int64"
    )
    for column in pairs.columns.difference(keys):
        dtype = pairs[column].dtype
        extra[column] = pd.Series(
            False if dtype.kind == "b" else (np.nan if dtype.kind == "f" else 0),
            index=extra.index,
        ).astype(dtype)
    out = pd.concat([pairs, extra], ignore_index=True).sort_values(keys, kind="stable")
    out = out.reset_index(drop=True)
    on_label = out.set_index(keys).index.isin(listed)
    out["on_label"] = on_label | (out["galeano_class"] > 0) | (out["n_labels"] > 0)
    return out


def read_frequency_matrix(
    path: Path, world: World = REAL_WORLD
) -> tuple[np.ndarray, list[str], list[str]]:
    """R (759, 994) uint8, drug names (759) and side-effect names (994) of FrequencyData.mat
    (the sizes of ``world``)."""
    from scipy.io import loadmat

    mat = loadmat(path)
    frequency = np.ascontiguousarray(mat["R"], dtype=np.uint8)
    drug_names = [str(np.ravel(cell)[0]) for cell in np.ravel(mat["drugs"])]
    side_effect_names = [str(np.ravel(cell)[0]) for cell in np.ravel(mat["sideeffects"])]
    shape = (world.n_drugs, world.n_side_effects)
    _expect(frequency.shape == shape, f"R has shape {frequency.shape}, not {shape}")
    _expect(len(set(drug_names)) == shape[0], "drug names in FrequencyData.mat are not unique")
    _expect(len(set(side_effect_names)) == shape[1], "side-effect names not unique")
    _expect(int(frequency.max()) <= 5, "R holds a class above 5")
    return frequency, drug_names, side_effect_names


def _dotted(name: str) -> str:
    """DSGAT/MultiFG write spaces in drug names as '.'."""
    return name.replace(".", " ")


def build_drugs(
    drug_names: list[str], paths: dict[str, Path], world: World = REAL_WORLD
) -> pd.DataFrame:
    """The 759 drugs in Galeano order with ids, ATC and curated, standardised structures."""
    from sefreq.chem.standardize import standardize

    smiles_table = pd.read_csv(
        paths["drug_smiles"], header=None, names=["name", "smiles"], dtype=str
    )
    smiles_table["name"] = smiles_table["name"].map(_dotted)
    _expect(smiles_table["name"].is_unique, "duplicate names in drug_SMILES_759.csv")
    _expect(
        set(smiles_table["name"]) == set(drug_names),
        "drug_SMILES_759.csv names differ from FrequencyData.mat: "
        f"{sorted(set(smiles_table['name']) ^ set(drug_names))[:10]}",
    )
    independent = smiles_table["name"].iloc[: len(world.independent_test_drugs)].tolist()
    _expect(
        independent == list(world.independent_test_drugs),
        f"first 9 rows of drug_SMILES_759.csv are {independent}, not the independent set",
    )
    pubchem_smiles = dict(zip(smiles_table["name"], smiles_table["smiles"], strict=True))

    atc_table = pd.read_csv(paths["drug_atc"], sep="\t", dtype={"CID": "int64", "ATC": str})
    atc_names = atc_table["GenericName"].map(_dotted).tolist()
    _expect(
        atc_names == drug_names,
        "multifg Supplementary Data 4 is not in Galeano order (first difference: "
        f"{next(((a, b) for a, b in zip(atc_names, drug_names, strict=False) if a != b), None)})",
    )
    _expect(atc_table["CID"].is_unique, "duplicate CIDs in multifg Supplementary Data 4")

    drugbank = pd.read_csv(paths["drugbank_smiles"], usecols=["GenericName", "dg_smile_unif"])
    drugbank_keys = drugbank["GenericName"].str.casefold()
    _expect(drugbank_keys.is_unique, "DrugBank names collide case-insensitively")
    known = {name.casefold() for name in drug_names}
    unknown = sorted(set(drugbank_keys) - known)
    _expect(not unknown, f"DrugBank SMILES for unknown drugs: {unknown[:10]}")
    drugbank_smiles = dict(zip(drugbank_keys, drugbank["dg_smile_unif"], strict=True))

    curation.check_curation(drug_names, world.curation, world.sider_id_overrides)
    rows = []
    for index, name in enumerate(drug_names):
        decision = curation.decision_for(name, world.curation)
        smiles_pubchem = pubchem_smiles[name]
        smiles_drugbank = drugbank_smiles.get(name.casefold())
        if decision.status == curation.BIOLOGIC_NO_STRUCTURE:
            smiles, source = None, None
        elif decision.use_source == "drugbank":
            _expect(smiles_drugbank is not None, f"{name}: curation wants DrugBank, none found")
            smiles, source = smiles_drugbank, "drugbank"
        else:
            smiles, source = smiles_pubchem, "pubchem"
        parent = (
            standardize(smiles, keep_components=decision.keep_components)
            if smiles is not None
            else None
        )
        atc = atc_table["ATC"].iloc[index]
        rows.append(
            {
                "name": name,
                "pubchem_cid": int(atc_table["CID"].iloc[index]),
                "pubchem_cid_flat": pd.NA,
                "sider_stereo_cid": curation.sider_stereo_cid(
                    name, atc_table["CID"].iloc[index], world.sider_id_overrides
                ),
                "atc": atc if isinstance(atc, str) else "",
                "smiles": smiles,
                "smiles_source": source,
                "inchikey": parent.inchikey if parent else None,
                "parent_smiles": parent.parent_smiles if parent else None,
                "has_structure": parent is not None,
                "curation_status": decision.status,
                "curation_note": decision.note,
                "is_independent": name in world.independent_test_drugs,
                "smiles_pubchem": smiles_pubchem,
                "smiles_drugbank": smiles_drugbank,
                "standardization": "; ".join(parent.changes) if parent else "",
            }
        )
    drugs = pd.DataFrame(rows)
    drugs["pubchem_cid_flat"] = drugs["pubchem_cid_flat"].astype("Int64")
    return with_none(drugs)


def _flat_ids(stereo_cids: np.ndarray, raw_evidence: pd.DataFrame) -> pd.Series:
    """(759,) Int64 STITCH flat CID of each drug: the flat id SIDER pairs with its stereo id."""
    pairing = raw_evidence[["stitch_stereo", "stitch_flat"]].drop_duplicates()
    _expect(pairing["stitch_stereo"].is_unique, "a stereo id pairs with several flat ids")
    flat_of = pairing.set_index("stitch_stereo")["stitch_flat"]
    return pd.Series(stereo_cids).map(flat_of).astype("Int64")


def build_side_effects(
    side_effect_names: list[str],
    frequency: np.ndarray,
    paths: dict[str, Path],
    world: World = REAL_WORLD,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Side effects in Galeano order with their SOCs and HLGTs; the sorted vocabularies."""
    organ = pd.read_csv(paths["organ_classes"], sep="\t", dtype=str)
    group = pd.read_csv(paths["group_terms"], sep="\t", dtype=str)
    organ_lists = _grouped_lists(organ, side_effect_names, "organ classes")
    group_lists = _grouped_lists(group, side_effect_names, "group terms")
    organ_class_names = sorted({c for items in organ_lists for c in items})
    group_term_names = sorted({c for items in group_lists for c in items})
    _expect(len(organ_class_names) == world.n_organ_classes, f"{len(organ_class_names)} SOCs")
    _expect(len(group_term_names) == world.n_group_terms, f"{len(group_term_names)} HLGTs")
    side_effects = pd.DataFrame(
        {
            "name": side_effect_names,
            "organ_classes": organ_lists,
            "group_terms": group_lists,
            "n_drugs_with_freq": (frequency > 0).sum(axis=0).astype("int64"),
        }
    )
    return side_effects, organ_class_names, group_term_names


def _grouped_lists(table: pd.DataFrame, names: list[str], what: str) -> list[list[str]]:
    term_column, class_column = table.columns[:2]
    table = table.dropna(subset=[term_column, class_column]).drop_duplicates()
    grouped = table.groupby(term_column, sort=False)[class_column].agg(list).to_dict()
    missing = [name for name in names if name not in grouped]
    _expect(not missing, f"{what}: no entry for {missing[:10]}")
    extra = sorted(set(grouped) - set(names))
    _expect(not extra, f"{what}: terms not among the 994: {extra[:10]}")
    return [sorted(grouped[name]) for name in names]


def read_similarity(
    path: Path, side_effect_names: list[str], world: World = REAL_WORLD
) -> np.ndarray:
    """(994, 994) float32 ADReCS similarity, rows and columns in Galeano order.

    In multifg_adr.csv.gz each row is named, while the 994 values of a row follow the
    alphabetical order of the terms.
    """
    table = pd.read_csv(path)
    n = world.n_side_effects
    _expect(
        set(table["SideeffectTerm"]) == set(side_effect_names) and len(table) == n,
        "multifg_adr.csv.gz terms differ from FrequencyData.mat",
    )
    values = np.array(
        [np.array(json.loads(text), dtype=np.float64) for text in table["adr_similar"]],
        dtype=np.float64,
    )
    _expect(values.shape == (n, n), f"similarity {values.shape}")
    row_of = {name: k for k, name in enumerate(table["SideeffectTerm"])}
    column_of = {name: k for k, name in enumerate(sorted(side_effect_names))}
    rows = [row_of[name] for name in side_effect_names]
    columns = [column_of[name] for name in side_effect_names]
    similarity = values[np.ix_(rows, columns)].astype(np.float32)
    # A symmetric result is the check that the column order really is alphabetical.
    _expect(np.allclose(similarity, similarity.T, atol=1e-6), "similarity not symmetric")
    return similarity


def build_evidence(
    raw_evidence: pd.DataFrame, cids: np.ndarray, side_effect_names: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """SIDER PT rows of our drugs mapped to our 994 terms; each term's UMLS CUI.

    Terms are matched by name (casefold). SIDER's PT names and CUIs are one-to-one for
    the 994 terms, so matching by CUI gives the same rows (checked here).
    """
    drug_of = {int(cid): index for index, cid in enumerate(cids)}
    term_of = {name.casefold(): index for index, name in enumerate(side_effect_names)}
    side_effect_index = raw_evidence["term"].str.casefold().map(term_of)
    matched = raw_evidence[side_effect_index.notna()].assign(
        drug_index=raw_evidence["stitch_stereo"].map(drug_of),
        side_effect_index=side_effect_index[side_effect_index.notna()].astype("int64"),
    )
    cui_per_term = matched.groupby("side_effect_index")["umls_cui"].unique()
    ambiguous = cui_per_term[cui_per_term.map(len) > 1]
    _expect(ambiguous.empty, f"terms with several SIDER CUIs: {ambiguous.head().to_dict()}")
    umls_cuis = [
        str(cui_per_term[k][0]) if k in cui_per_term.index else ""
        for k in range(len(side_effect_names))
    ]
    by_cui = raw_evidence["umls_cui"].isin(set(umls_cuis) - {""})
    _expect(int(by_cui.sum()) == len(matched), "CUI and name matching select different rows")

    evidence = matched[
        [
            "drug_index",
            "side_effect_index",
            "kind",
            "frequency_text",
            "lower",
            "upper",
            "frequency_class",
        ]
    ].sort_values(["drug_index", "side_effect_index", "kind"], kind="stable")
    evidence = evidence.reset_index(drop=True)
    evidence["drug_index"] = evidence["drug_index"].astype("int64")
    evidence["kind"] = pd.Categorical(evidence["kind"], categories=list(sider.EVIDENCE_KINDS))
    return evidence, umls_cuis


def summarise_pairs(evidence: pd.DataFrame, frequency: np.ndarray) -> pd.DataFrame:
    """One row per (drug_index, side_effect_index) with SIDER evidence or a class in R."""
    return sider.summarise_pairs(evidence, frequency)


def _expect(condition: bool, message: str) -> None:
    """Fail loudly on a developer error: upstream data not as the build assumes."""
    if not condition:
        raise RuntimeError(f"dataset build: {message}")
