"""Training data of the network: the :class:`TrainingSet` type, splits, and the bundle's data.

:func:`load_bundle_data` reads every usable drug through :func:`sefreq.data.load_dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sefreq.chem.features import mol_from_smiles
from sefreq.data import load_dataset
from sefreq.data.registry import REGISTRY, file_status
from sefreq.data.types import SideEffectInfo
from sefreq.model.mechanism import MechanismTask

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset


@dataclass
class TrainingSet:
    """Arrays of a set of drugs: inputs and labels (rows aligned)."""

    smiles: list[str | None]
    frequency: np.ndarray  # (n, 994) uint8
    label_mask: np.ndarray  # (n, 994) bool
    names: list[str] = field(default_factory=list)
    drug_ids: np.ndarray | None = None

    def display_names(self) -> list[str]:
        """``names``, or ``drug_<row>`` when the set has none (benchmark folds)."""
        return list(self.names) if self.names else [f"drug_{i}" for i in range(len(self.smiles))]

    def take(self, rows: np.ndarray) -> TrainingSet:
        """The drugs at ``rows``, in that order."""
        return TrainingSet(
            smiles=[self.smiles[i] for i in rows],
            frequency=self.frequency[rows],
            label_mask=self.label_mask[rows],
            names=[self.names[i] for i in rows] if self.names else [],
            drug_ids=None if self.drug_ids is None else self.drug_ids[rows],
        )


def exclusions(query_ids: np.ndarray | None, reference_ids: np.ndarray | None) -> np.ndarray | None:
    """Per query, the reference row holding the same drug (-1 if none)."""
    if query_ids is None or reference_ids is None:
        return None
    position = {int(d): i for i, d in enumerate(reference_ids)}
    return np.array([position.get(int(d), -1) for d in query_ids], dtype=np.int64)


def split_validation(
    train: TrainingSet, share: float, seed: int
) -> tuple[TrainingSet, TrainingSet]:
    """Carve a random share of the drugs out as a validation set (cold split)."""
    rng = np.random.default_rng([seed, 7])
    n = len(train.smiles)
    order = rng.permutation(n)
    n_val = max(1, round(share * n))
    val_rows, fit_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
    return train.take(fit_rows), train.take(val_rows)


def usable(data: TrainingSet) -> TrainingSet:
    keep = np.array([mol_from_smiles(s) is not None for s in data.smiles], dtype=bool)
    if keep.all():
        return data
    return data.take(np.flatnonzero(keep))


@dataclass
class BundleData:
    """Every drug with a usable structure, the side-effect info, and data provenance."""

    training: TrainingSet
    side_effects: SideEffectInfo
    organ_class_names: list[list[str]]  # per side effect, Galeano order
    data_sha256: dict[str, str]
    n_excluded_no_structure: int
    mechanism: MechanismTask | None = None  # the dense task (None: no mechanism data)


def load_bundle_data(with_sider: bool = False) -> BundleData:
    """All usable drugs (``has_structure``), including the 9 independent ones, with their
    complete listings (:meth:`~sefreq.data.dataset.Dataset.listed_labels`: a side effect
    any label lists is associated; R's class where it states one).

    ``with_sider``: also SIDER's other drugs with a structure (``drug_ids`` from 759 on,
    labels as :meth:`sefreq.data.dataset.Dataset.extra_training_drugs` encodes them).
    """
    dataset = load_dataset()
    drugs = dataset.drugs
    usable = np.asarray(dataset.structure_mask, dtype=bool)
    rows = np.flatnonzero(usable)
    smiles = [drugs["parent_smiles"].iloc[i] for i in rows]
    frequency = dataset.listed_labels()[rows].astype(np.uint8)
    training = TrainingSet(
        smiles=smiles,
        frequency=frequency,
        label_mask=np.ones(frequency.shape, dtype=bool),
        names=[str(drugs["name"].iloc[i]) for i in rows],
        drug_ids=rows.astype(np.int64),
    )
    if with_sider:
        training = _with_extra_drugs(training, dataset)
    organ = [list(v) for v in dataset.side_effects["organ_classes"]]
    return BundleData(
        training=training,
        side_effects=dataset.side_effect_info(),
        organ_class_names=organ,
        data_sha256=_data_sums(),
        n_excluded_no_structure=int((~usable).sum()),
        mechanism=MechanismTask.from_table(dataset.mechanism_drugs)
        if len(dataset.mechanism_drugs)
        else None,
    )


def _with_extra_drugs(training: TrainingSet, dataset: Dataset) -> TrainingSet:
    """``training`` plus SIDER's drugs beyond the 759 (:meth:`Dataset.extra_training_drugs`)."""
    rows, frequency = dataset.extra_training_drugs()
    return concatenate(
        training,
        TrainingSet(
            smiles=list(rows["parent_smiles"].astype(str)),
            frequency=frequency,
            label_mask=np.ones(frequency.shape, dtype=bool),
            names=list(rows["name"].astype(str)),
            drug_ids=rows.index.to_numpy(dtype=np.int64),
        ),
    )


def split_calibrated(
    train: TrainingSet, share: float, seed: int, n_calibration_pool: int
) -> tuple[TrainingSet, TrainingSet]:
    """:func:`split_validation` drawn from the first ``n_calibration_pool`` drugs only (the
    759-drug rows), the others always fitted: validation, temperature and conformal sets
    stay on the drugs whose labels define the benchmark's target."""
    pool = train.take(np.arange(n_calibration_pool))
    fit, validation = split_validation(pool, share, seed)
    rest = train.take(np.arange(n_calibration_pool, len(train.smiles)))
    return concatenate(fit, rest), validation


def concatenate(first: TrainingSet, second: TrainingSet) -> TrainingSet:
    """The drugs of ``first`` then those of ``second``."""
    if not len(second.smiles):
        return first
    return TrainingSet(
        smiles=[*first.smiles, *second.smiles],
        frequency=np.vstack([first.frequency, second.frequency]),
        label_mask=np.vstack([first.label_mask, second.label_mask]),
        names=[*first.display_names(), *second.display_names()],
        drug_ids=None
        if first.drug_ids is None or second.drug_ids is None
        else np.concatenate([first.drug_ids, second.drug_ids]),
    )


def _data_sums() -> dict[str, str]:
    """sha256 of every upstream file the dataset is built from (from the registry)."""
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
