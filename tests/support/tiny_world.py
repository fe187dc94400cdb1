"""A tiny, self-consistent world for dashboard tests: 39 real drugs x 30 side effects.

:func:`build_tiny_world` writes a dataset folder (the dataset cache's format) and a model
bundle trained on it in seconds, so AppTests and the browser suite run without the
upstream data or the bundled model. Drug names and structures are real so that a walk
("look up ibuprofen", "Advil") reads the same as on the real data; frequencies are random.
The dataset has every table and column the build makes: :class:`Dataset` checks it
(:meth:`~sefreq.data.dataset.Dataset.validate`) as it checks the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DRUGS = (
    ("aspirin", "CC(=O)Oc1ccccc1C(=O)O", "B01AC06|N02BA01"),
    ("ibuprofen", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "M01AE01"),
    ("paracetamol", "CC(=O)Nc1ccc(O)cc1", "N02BE01"),
    ("caffeine", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "N06BC01"),
    ("naproxen", "COc1ccc2cc(ccc2c1)C(C)C(=O)O", "M01AE02"),
    ("diclofenac", "OC(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl", "M01AB05"),
    ("ketoprofen", "CC(C(=O)O)c1cccc(c1)C(=O)c1ccccc1", "M01AE03"),
    ("metformin", "CN(C)C(=N)N=C(N)N", "A10BA02"),
    ("atenolol", "CC(C)NCC(O)COc1ccc(CC(N)=O)cc1", "C07AB03"),
    ("propranolol", "CC(C)NCC(O)COc1cccc2ccccc12", "C07AA05"),
    ("metoprolol", "COCCc1ccc(OCC(O)CNC(C)C)cc1", "C07AB02"),
    ("fluoxetine", "CNCCC(Oc1ccc(cc1)C(F)(F)F)c1ccccc1", "N06AB03"),
    ("sertraline", "CNC1CCC(c2ccc(Cl)c(Cl)c2)c2ccccc12", "N06AB06"),
    ("diazepam", "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc12", "N05BA01"),
    ("lorazepam", "OC1N=C(c2ccccc2Cl)c2cc(Cl)ccc2NC1=O", "N05BA06"),
    ("omeprazole", "COc1ccc2[nH]c(nc2c1)S(=O)Cc1ncc(C)c(OC)c1C", "A02BC01"),
    ("ranitidine", "CNC(=C[N+](=O)[O-])NCCSCc1ccc(CN(C)C)o1", "A02BA02"),
    ("amoxicillin", "CC1(C)SC2C(NC(=O)C(N)c3ccc(O)cc3)C(=O)N2C1C(=O)O", "J01CA04"),
    ("ciprofloxacin", "OC(=O)c1cn(C2CC2)c2cc(N3CCNCC3)c(F)cc2c1=O", "J01MA02"),
    ("warfarin", "CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O", "B01AA03"),
    ("lisinopril", "NCCCCC(NC(CCc1ccccc1)C(=O)O)C(=O)N1CCCC1C(=O)O", "C09AA03"),
    ("captopril", "CC(CS)C(=O)N1CCCC1C(=O)O", "C09AA01"),
    ("furosemide", "NS(=O)(=O)c1cc(C(=O)O)c(NCc2ccco2)cc1Cl", "C03CA01"),
    ("hydrochlorothiazide", "NS(=O)(=O)c1cc2c(cc1Cl)NCNS2(=O)=O", "C03AA03"),
    ("amlodipine", "CCOC(=O)C1=C(COCCN)NC(C)=C(C(=O)OC)C1c1ccccc1Cl", "C08CA01"),
    ("nifedipine", "COC(=O)C1=C(C)NC(C)=C(C(=O)OC)C1c1ccccc1[N+](=O)[O-]", "C08CA05"),
    ("haloperidol", "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1", "N05AD01"),
    ("chlorpromazine", "CN(C)CCCN1c2ccccc2Sc2ccc(Cl)cc12", "N05AA01"),
    ("carbamazepine", "NC(=O)N1c2ccccc2C=Cc2ccccc12", "N03AF01"),
    ("phenytoin", "O=C1NC(=O)C(N1)(c1ccccc1)c1ccccc1", "N03AB02"),
    ("lidocaine", "CCN(CC)CC(=O)Nc1c(C)cccc1C", "N01BB02"),
    ("morphine", "CN1CCC23C4Oc5c3c(CC1C2C=CC4O)ccc5O", "N02AA01"),
    ("codeine", "COc1ccc2CC3N(C)CCC45C(Oc1c24)C(O)C=CC35", "R05DA04"),
    ("tramadol", "COc1cccc(c1)C1(O)CCCCC1CN(C)C", "N02AX02"),
    ("loratadine", "CCOC(=O)N1CCC(=C2c3ccc(Cl)cc3CCc3cccnc23)CC1", "R06AX13"),
    ("cetirizine", "OC(=O)COCCN1CCN(CC1)C(c1ccccc1)c1ccc(Cl)cc1", "R06AE07"),
    ("prednisone", "CC12CC(=O)C3C(CCC4=CC(=O)C=CC34C)C1CCC2(O)C(=O)CO", "H02AB07"),
    ("pioglitazone", "CCc1ccc(CCOc2ccc(CC3SC(=O)NC3=O)cc2)nc1", "A10BG03"),
    ("insulin glargine", None, "A10AE04"),  # a biologic: no structure
)
BRANDS = {
    "ibuprofen": ["ADVIL", "Nurofen"],
    "paracetamol": ["TYLENOL"],
    "pioglitazone": ["ACTOS"],
    "omeprazole": ["PRILOSEC"],
    "sertraline": ["ZOLOFT"],
    "insulin glargine": ["LANTUS"],
}
LABEL_NAMES = {
    "pioglitazone": ["PIOGLITAZONE (PIOGLITAZONE HYDROCHLORIDE)"],
    "sertraline": ["SERTRALINE HYDROCHLORIDE"],
    "diclofenac": ["DICLOFENAC SODIUM"],
}
SIDE_EFFECTS = (
    ("Nausea", ["Gastrointestinal disorders"]),
    ("Headache", ["Nervous system disorders"]),
    ("Dizziness", ["Nervous system disorders"]),
    ("Rash", ["Skin and subcutaneous tissue disorders"]),
    ("Vomiting", ["Gastrointestinal disorders"]),
    ("Diarrhoea", ["Gastrointestinal disorders"]),
    ("Constipation", ["Gastrointestinal disorders"]),
    ("Somnolence", ["Nervous system disorders", "Psychiatric disorders"]),
    ("Insomnia", ["Psychiatric disorders"]),
    ("Fatigue", ["General disorders and administration site conditions"]),
    ("Dry mouth", ["Gastrointestinal disorders"]),
    ("Pruritus", ["Skin and subcutaneous tissue disorders"]),
    ("Urticaria", ["Skin and subcutaneous tissue disorders", "Immune system disorders"]),
    ("Hypotension", ["Vascular disorders"]),
    ("Tachycardia", ["Cardiac disorders"]),
    ("Bradycardia", ["Cardiac disorders"]),
    ("Oedema peripheral", ["General disorders and administration site conditions"]),
    ("Abdominal pain", ["Gastrointestinal disorders"]),
    ("Dyspepsia", ["Gastrointestinal disorders"]),
    ("Anxiety", ["Psychiatric disorders"]),
    ("Tremor", ["Nervous system disorders"]),
    ("Agranulocytosis", ["Blood and lymphatic system disorders"]),
    ("Hepatitis", ["Hepatobiliary disorders"]),
    ("Anaphylactic reaction", ["Immune system disorders"]),
    ("Cough", ["Respiratory, thoracic and mediastinal disorders"]),
    ("Dyspnoea", ["Respiratory, thoracic and mediastinal disorders"]),
    ("Arthralgia", ["Musculoskeletal and connective tissue disorders"]),
    ("Myalgia", ["Musculoskeletal and connective tissue disorders"]),
    ("Vision blurred", ["Eye disorders"]),
    ("Alopecia", ["Skin and subcutaneous tissue disorders"]),
)
#: Label wordings (MedDRA LLTs) as SIDER files them under a side effect (drug CIDs 1000+).
LABEL_WORDINGS = (
    ("Heartburn", "Dyspepsia"),
    ("Stomach ache", "Abdominal pain"),
    ("Sleeplessness", "Insomnia"),
)
MODEL_VERSION = "0.0.tiny"
# A representative share of patients per class (0-1), for synthetic label statements.
_SHARE = {1: 0.00005, 2: 0.0005, 3: 0.005, 4: 0.04, 5: 0.2}


@dataclass(frozen=True)
class TinyWorld:
    """Paths of the tiny dataset folder and model bundle, and the dataset itself."""

    dataset_folder: Path
    bundle_dir: Path
    dataset: object


def build_dataset(seed: int = 0):
    """The tiny :class:`sefreq.data.dataset.Dataset`."""
    from sefreq.chem.standardize import standardize
    from sefreq.data.dataset import Dataset
    from sefreq.data.names import build_names
    from sefreq.data.sider import summarise_pairs
    from sefreq.data.synonyms import build_synonyms
    from sefreq.data.targets import TARGET_COLUMNS

    rng = np.random.default_rng(seed)
    n_drugs, n_se = len(DRUGS), len(SIDE_EFFECTS)
    prevalence = np.linspace(0.1, 0.7, n_se)[rng.permutation(n_se)]
    reported = rng.random((n_drugs, n_se)) < prevalence
    classes = rng.choice([1, 2, 3, 4, 5], size=(n_drugs, n_se), p=[0.03, 0.1, 0.27, 0.48, 0.12])
    frequency = np.where(reported, classes, 0).astype(np.uint8)

    rows = []
    for name, smiles, atc in DRUGS:
        parent = standardize(smiles) if smiles else None
        rows.append(
            {
                "name": name,
                "pubchem_cid": 1000 + len(rows),
                "pubchem_cid_flat": 1000 + len(rows),
                "sider_stereo_cid": 1000 + len(rows),
                "atc": atc,
                "smiles": smiles,
                "smiles_source": "pubchem" if smiles else None,
                "inchikey": parent.inchikey if parent else None,
                "parent_smiles": parent.parent_smiles if parent else None,
                "has_structure": parent is not None,
                "curation_status": "ok" if parent else "biologic_no_structure",
                "curation_note": "" if parent else "a protein: no small-molecule structure",
                "is_independent": False,
                "smiles_pubchem": smiles,
                "smiles_drugbank": None,
                "standardization": "; ".join(parent.changes) if parent else "",
            }
        )
    drugs = pd.DataFrame(rows)
    drugs["pubchem_cid_flat"] = drugs["pubchem_cid_flat"].astype("Int64")

    organ_lists = [sorted(organs) for _, organs in SIDE_EFFECTS]
    organ_names = sorted({o for organs in organ_lists for o in organs})
    side_effects = pd.DataFrame(
        {
            "name": [name for name, _ in SIDE_EFFECTS],
            "umls_cui": [f"C{k:07d}" for k in range(n_se)],
            "organ_classes": organ_lists,
            "group_terms": [[f"group {k % 6}"] for k in range(n_se)],
            "n_drugs_with_freq": (frequency > 0).sum(0).astype("int64"),
        }
    )
    similarity = rng.random((n_se, n_se)).astype(np.float32)
    similarity = (similarity + similarity.T) / 2
    np.fill_diagonal(similarity, 1.0)

    evidence_rows = []
    for d, s in zip(*np.nonzero(frequency), strict=True):
        share = _SHARE[int(frequency[d, s])]
        for _ in range(int(rng.integers(1, 3))):
            value = share * float(rng.uniform(0.8, 1.2))
            evidence_rows.append(
                (d, s, "drug", f"{100 * value:.2g}%", value, value, float(frequency[d, s]))
            )
        if rng.random() < 0.2:
            value = share / 2
            evidence_rows.append(
                (
                    d,
                    s,
                    "placebo",
                    f"{100 * value:.2g}%",
                    value,
                    value,
                    float(max(int(frequency[d, s]) - 1, 1)),
                )
            )
    for d in range(n_drugs):  # a post-marketing-only report per drug
        s = int(np.flatnonzero(frequency[d] == 0)[0]) if (frequency[d] == 0).any() else 0
        evidence_rows.append((d, s, "postmarketing", "postmarketing", np.nan, np.nan, np.nan))
    evidence = pd.DataFrame(
        evidence_rows,
        columns=[
            "drug_index",
            "side_effect_index",
            "kind",
            "frequency_text",
            "lower",
            "upper",
            "frequency_class",
        ],
    ).sort_values(["drug_index", "side_effect_index", "kind"], kind="stable")
    evidence = evidence.reset_index(drop=True).astype(
        {"drug_index": "int64", "side_effect_index": "int64"}
    )
    evidence["kind"] = pd.Categorical(
        evidence["kind"], categories=["drug", "placebo", "postmarketing"]
    )
    pairs = summarise_pairs(evidence, frequency)
    # What the build's SIDER listings give: a side effect is on a drug's label where a
    # label states it (here, where R has a class or a label row gives a frequency).
    pairs["on_label"] = (pairs["galeano_class"] > 0) | (pairs["n_labels"] > 0)
    associations = pairs.loc[pairs["on_label"], ["drug_index", "side_effect_index"]]

    label_rows = []
    for index, (name, _, _) in enumerate(DRUGS):
        for brand in BRANDS.get(name, [""]):
            label_rows.append((index, name.upper(), brand, "", f"label/{index}-{brand}", name))
        for label_name in LABEL_NAMES.get(name, []):
            label_rows.append((index, label_name, "", "", f"label/{index}-x", name))
    labels = pd.DataFrame(
        label_rows,
        columns=["drug_index", "label_name", "brand", "url", "label_id", "generic_name"],
    )
    names = build_names(drugs, labels)
    term_pairs = pd.DataFrame(
        [(1000 + k, llt, "", pt) for k, (llt, pt) in enumerate(LABEL_WORDINGS)],
        columns=["stitch_stereo", "llt", "pt_cui", "pt"],
    )
    catalogue = pd.DataFrame(
        {
            "name": drugs["name"],
            "source": "sider",
            "sider_stereo_cid": drugs["sider_stereo_cid"].astype("Int64"),
            "sider_flat_cid": drugs["pubchem_cid_flat"],
            "drugbank_id": "",
            "drugcentral_id": None,
            **{
                column: drugs[column]
                for column in (
                    "atc",
                    "smiles",
                    "smiles_source",
                    "inchikey",
                    "parent_smiles",
                    "has_structure",
                    "curation_status",
                    "curation_note",
                )
            },
            "same_parent_as": pd.array([pd.NA] * n_drugs, dtype="Int64"),
            "in_sider": True,
            "n_side_effects": associations.groupby("drug_index")
            .size()
            .reindex(range(n_drugs), fill_value=0),
            "has_frequencies": (frequency > 0).any(axis=1),
        }
    )
    return Dataset(
        frequency=frequency,
        drugs=drugs,
        side_effects=side_effects,
        organ_class_names=organ_names,
        group_term_names=sorted({g for gs in side_effects["group_terms"] for g in gs}),
        side_effect_similarity=similarity,
        names=names,
        labels=labels.drop(columns="generic_name"),
        evidence=evidence,
        pairs=pairs,
        synonyms=build_synonyms(term_pairs, side_effects),
        catalogue=catalogue,
        associations=associations.reset_index(drop=True),
        targets=pd.DataFrame(columns=TARGET_COLUMNS),
        mechanism_drugs=pd.DataFrame(columns=["skeleton", "smiles", "proteins", "atc"]),
    )


def train_bundle(dataset, out_dir: Path) -> Path:
    """A 2-member ensemble trained for a few epochs on the tiny dataset, saved to ``out_dir``."""
    from sefreq.constants import SIDER_LICENCE
    from sefreq.model.config import TrainConfig
    from sefreq.model.data import TrainingSet
    from sefreq.model.network import NetworkConfig
    from sefreq.model.recipe import fit_ensemble

    usable = np.flatnonzero(dataset.structure_mask)
    training = TrainingSet(
        smiles=[dataset.drugs["parent_smiles"].iloc[i] for i in usable],
        frequency=np.asarray(dataset.frequency)[usable],
        label_mask=np.ones((len(usable), dataset.frequency.shape[1]), dtype=bool),
        names=[dataset.drugs["name"].iloc[i] for i in usable],
        drug_ids=usable.astype(np.int64),
    )
    network = NetworkConfig(hidden=32, embedding=8, n_similarity_components=4, transfer_k=3)
    config = TrainConfig(
        n_members=2, max_epochs=4, patience=2, batch_size=16, seed=0, progress=False
    )
    ensemble = fit_ensemble(training, None, dataset.side_effect_info(), network, config)
    ensemble.ad_threshold = 0.3
    ensemble.card = ensemble.card.updated(
        name="sefreq-tiny",
        model_version=MODEL_VERSION,
        side_effect_organ_classes=[list(o) for o in dataset.side_effects["organ_classes"]],
        licence=SIDER_LICENCE,
        benchmark={},
    )
    return ensemble.save(out_dir)


def build_tiny_world(root: Path) -> TinyWorld:
    """Write the tiny dataset folder and bundle under ``root``; return their paths."""
    from sefreq.data.cache import save_dataset

    dataset = build_dataset()
    folder = root / "dataset"
    save_dataset(dataset, folder)
    bundle = train_bundle(dataset, root / "bundle")
    return TinyWorld(folder, bundle, dataset)
