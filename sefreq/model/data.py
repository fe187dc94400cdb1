"""The training data of the bundled model, read through :func:`sefreq.load_dataset`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sefreq.bench.interface import SideEffectInfo
from sefreq.model.train import TrainingSet


@dataclass
class BundleData:
    """Every drug with a usable structure, the side-effect info, and data provenance."""

    training: TrainingSet
    side_effects: SideEffectInfo
    organ_class_names: list[list[str]]  # per side effect, Galeano order
    data_sha256: dict[str, str]
    n_excluded_no_structure: int


def load_bundle_data() -> BundleData:
    """All usable drugs (``has_structure``), including the 9 independent ones."""
    import sefreq

    dataset = sefreq.load_dataset()
    drugs = dataset.drugs
    usable = np.asarray(dataset.structure_mask, dtype=bool)
    rows = np.flatnonzero(usable)
    smiles_column = "parent_smiles" if "parent_smiles" in drugs.columns else "smiles"
    smiles = [drugs[smiles_column].iloc[i] for i in rows]
    frequency = np.asarray(dataset.frequency)[rows].astype(np.uint8)
    training = TrainingSet(
        smiles=smiles,
        frequency=frequency,
        label_mask=np.ones(frequency.shape, dtype=bool),
        names=[str(drugs["name"].iloc[i]) for i in rows],
        drug_ids=rows.astype(np.int64),
    )
    organ = [list(v) for v in dataset.side_effects["organ_classes"]]
    return BundleData(
        training=training,
        side_effects=dataset.side_effect_info(),
        organ_class_names=organ,
        data_sha256=_data_sums(),
        n_excluded_no_structure=int((~usable).sum()),
    )


def _data_sums() -> dict[str, str]:
    """sha256 of every upstream file the dataset is built from (from the registry)."""
    from sefreq.data.registry import REGISTRY, file_status

    sums = {}
    for key, entry in REGISTRY.items():
        try:
            status = file_status(entry)
        except Exception:  # a registry entry we cannot check does not block training
            continue
        if status.state == "verified" and status.path is not None:
            sums[status.path.name] = dict(entry.variants).get(status.path.name, entry.sha256)
        else:
            sums[entry.filename] = f"not verified ({status.state})"
        del key
    return sums
