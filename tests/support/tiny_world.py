"""A tiny, self-consistent world for the tests: 39 real drugs x 30 side effects in R, and
three drugs beyond R in the catalogue (one SIDER lists, one only DrugBank knows, one only
DrugCentral).

Its upstream files (written by :mod:`tests.support.make_tiny_upstream` into a temporary
folder when a test session starts, never committed: their names are the real files') are
in the formats of the real ones, and :func:`build_dataset` makes the tests'
:class:`~sefreq.data.dataset.Dataset` from them with the real build
(:func:`sefreq.data.build.build_dataset`), so tests read the dataset production makes,
only smaller. :func:`build_tiny_world` writes that dataset as a dataset folder (the
cache's format) and a model bundle trained on it in seconds, so AppTests and the browser
suite run without the upstream data or the bundled model. Drug names and
structures are real so that a walk ("look up ibuprofen", "Advil") reads the same as on the
real data; which side effects a drug has, and how often, are random.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sefreq.data.build import World
from sefreq.data.curation import BIOLOGIC_NO_STRUCTURE, CurationDecision
from sefreq.data.dataset import Dataset
from sefreq.data.registry import REGISTRY, sha256_of

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
#: Label wordings (MedDRA LLTs) as SIDER files them under a side effect.
LABEL_WORDINGS = (
    ("Heartburn", "Dyspepsia"),
    ("Stomach ache", "Abdominal pain"),
    ("Sleeplessness", "Insomnia"),
)
#: Drugs beyond R, as the real catalogue has them: a SIDER drug that R does not hold, an
#: approved drug only DrugBank knows and one only DrugCentral knows (name, SMILES, ATC).
BEYOND_R = (
    ("celecoxib", "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1", "M01AH01"),
    ("meloxicam", "Cc1cnc(NC(=O)C2=C(O)c3ccccc3S(=O)(=O)N2C)s1", "M01AC06"),
    ("nabumetone", "COc1ccc2cc(CCC(C)=O)ccc2c1", "M01AX01"),
)
MODEL_VERSION = "0.0.tiny"
#: What the upstream SMILES file holds where the world has no structure: as for the real
#: proteins, an unrelated small molecule that curation sets aside.
UPSTREAM_SMILES = {"insulin glargine": "NCC(=O)NCC(=O)O"}


def cid_of(drug_index: int) -> int:
    """The (made-up) PubChem CID of tiny-world drug ``drug_index``: SIDER's stereo id."""
    return 1000 + drug_index


def group_term(side_effect_index: int) -> str:
    """The (made-up) high-level group term of tiny-world side effect ``side_effect_index``."""
    return f"group {side_effect_index % 6}"


def cui_of(side_effect_index: int) -> str:
    """The (made-up) UMLS CUI of tiny-world side effect ``side_effect_index``."""
    return f"C{side_effect_index:07d}"


#: What the build expects of the tiny files (:class:`sefreq.data.build.World`).
TINY = World(
    n_drugs=len(DRUGS),
    n_side_effects=len(SIDE_EFFECTS),
    n_organ_classes=len({organ for _, organs in SIDE_EFFECTS for organ in organs}),
    n_group_terms=len({group_term(k) for k in range(len(SIDE_EFFECTS))}),
    independent_test_drugs=(),
    curation={
        "insulin glargine": CurationDecision(
            BIOLOGIC_NO_STRUCTURE,
            "a protein: no small-molecule structure; upstream SMILES is glycylglycine",
        )
    },
    sider_id_overrides={},
)


@dataclass(frozen=True)
class TinyWorld:
    """Paths of the tiny dataset folder and model bundle, and the dataset itself."""

    dataset_folder: Path
    bundle_dir: Path
    dataset: Dataset


class StaleTinyFilesError(RuntimeError):
    """A tiny upstream file is missing or changed since it was written: write them again."""


def write_upstream(folder: Path) -> dict[str, Path]:
    """Write the tiny upstream files into ``folder`` (under a second); return them by
    registry key, checked (:func:`upstream_paths`)."""
    from tests.support.make_tiny_upstream import main

    main(folder)
    return upstream_paths(folder)


def upstream_paths(folder: Path) -> dict[str, Path]:
    """The tiny upstream files of ``folder`` by registry key, each checked against the
    ``SHA256SUMS`` written beside them."""
    from tests.support.make_tiny_upstream import MANIFEST

    manifest = folder / MANIFEST
    sums = {}
    for line in manifest.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name] = digest
    paths = {}
    for key, entry in REGISTRY.items():
        path = folder / entry.filename
        if not path.is_file() or sha256_of(path) != sums.get(entry.filename):
            raise StaleTinyFilesError(
                f"{path} is missing or does not match {manifest}: write the files again "
                "(tests.support.make_tiny_upstream)"
            )
        paths[key] = path
    return paths


def build_dataset(folder: Path) -> Dataset:
    """The tiny :class:`Dataset`, built by the real build from the tiny upstream files,
    written into ``folder`` first."""
    from sefreq.data.build import build_dataset as build

    return build(write_upstream(folder), TINY)


def train_bundle(dataset: Dataset, out_dir: Path) -> Path:
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

    dataset = build_dataset(root / "upstream")
    folder = root / "dataset"
    save_dataset(dataset, folder)
    bundle = train_bundle(dataset, root / "bundle")
    return TinyWorld(folder, bundle, dataset)
