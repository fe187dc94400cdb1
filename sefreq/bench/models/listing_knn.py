"""The baselines a user would build in an afternoon: the side-effect lists of the most
similar known drugs.

- ``knn-listed``: Morgan (r=2, 2,048 bits) Tanimoto; the k nearest training drugs weighted
  by similarity to a power, their mean listing shrunk toward the prevalence.
- ``knn-targets``: the same over the Jaccard similarity of known human proteins (DrugBank,
  DrugCentral); a query drug with none known falls back to ``knn-listed``.

k, the power and the shrinkage are chosen on the validation drugs only (per-drug AUPR +
global AUPR of the association). The frequency is the neighbours' weighted mean stated
class, falling back to the side effect's mean class.
"""

from __future__ import annotations

import itertools

import numpy as np

from sefreq.bench.interface import EvalView, Prediction, QueryView, TrainView
from sefreq.bench.models.baselines import side_effect_prevalence
from sefreq.chem.features import mol_from_smiles, morgan_fingerprints
from sefreq.chem.similarity import tanimoto_bits
from sefreq.chem.standardize import skeleton_of
from sefreq.constants import stated
from sefreq.metrics import aupr, aupr_per_drug
from sefreq.priors import top_k_columns

#: (k, power, shrinkage toward the prevalence) tried on the validation drugs.
LISTED_GRID = tuple(itertools.product((5, 10, 20, 40), (1.0, 2.0, 3.0), (0.05, 0.15, 0.3)))


def neighbour_profiles(
    similarity: np.ndarray,
    listed: np.ndarray,
    classes: np.ndarray,
    prevalence: np.ndarray,
    mean_class: np.ndarray,
    k: int,
    power: float,
    shrink: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(n_query, n_se) association and frequency from each query's k nearest reference
    drugs (``similarity`` (n_query, n_ref); ``listed`` (n_ref, n_se) 0/1; ``classes``
    (n_ref, n_se) stated class or 0)."""
    n_query = len(similarity)
    if not n_query:
        empty = np.zeros((0, listed.shape[1]))
        return empty, empty.copy()
    k = min(k, similarity.shape[1])
    top = top_k_columns(similarity, k)
    weights = np.take_along_axis(similarity, top, axis=1).clip(min=0.0) ** power
    association = np.empty((n_query, listed.shape[1]))
    frequency = np.empty_like(association)
    for start in range(0, n_query, 128):  # (chunk, k, n_se) stays small
        rows = slice(start, start + 128)
        w = weights[rows][:, :, None]
        total = w.sum(1)
        mean = (w * listed[top[rows]]).sum(1) / np.maximum(total, 1e-12)
        association[rows] = np.where(
            total > 0, (1 - shrink) * mean + shrink * prevalence, prevalence
        )
        c = classes[top[rows]]
        cw = w * (c > 0)
        class_total = cw.sum(1)
        frequency[rows] = np.where(
            class_total > 0, (cw * c).sum(1) / np.maximum(class_total, 1e-12), mean_class
        )
    return association, frequency


class ListedKNNModel:
    """``knn-listed``: neighbours on Morgan Tanimoto, settings chosen on validation."""

    name = "knn-listed"
    structure_only = True

    def __init__(self, grid: tuple = LISTED_GRID, **_: object) -> None:
        self.grid = tuple(grid)
        self.settings = self.grid[0]
        self._train: TrainView | None = None

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        frequency = np.asarray(train.frequency)
        self._train = train
        self._listed = ((frequency > 0) & train.label_mask).astype(np.float32)
        self._classes = np.where(stated(frequency) & train.label_mask, frequency, 0).astype(
            np.float32
        )
        self._prevalence = side_effect_prevalence(train)
        self._reference = self._features(train.smiles)
        if validation is not None and len(self.grid) > 1:
            similarity = self._similarity(validation.query)
            self.settings = max(self.grid, key=lambda g: self._score(similarity, g, validation))

    def _features(self, smiles: list[str | None]) -> np.ndarray:
        return morgan_fingerprints(smiles)

    def _similarity(self, query: QueryView) -> np.ndarray:
        similarity = tanimoto_bits(self._features(query.smiles), self._reference)
        if query.drug_ids is not None:  # warm: a drug is never its own neighbour
            own = np.asarray(query.drug_ids)[:, None] == np.asarray(self._train.drug_ids)[None]
            similarity[own] = -1.0
        return similarity

    def _profiles(self, similarity: np.ndarray, settings: tuple) -> tuple[np.ndarray, np.ndarray]:
        prevalence, mean_class = self._prevalence
        return neighbour_profiles(
            similarity, self._listed, self._classes, prevalence, mean_class, *settings
        )

    def _score(self, similarity: np.ndarray, settings: tuple, validation: EvalView) -> float:
        association, _ = self._profiles(similarity, settings)
        truth, mask = validation.frequency, validation.mask
        value = aupr_per_drug(association, truth, mask).mean + aupr(association, truth, mask)
        return -np.inf if np.isnan(value) else value

    def predict(self, query: QueryView) -> Prediction:
        association, frequency = self._profiles(self._similarity(query), self.settings)
        return Prediction(association=association, frequency=frequency)


class TargetKNNModel(ListedKNNModel):
    """``knn-targets``: neighbours on the Jaccard similarity of known human proteins; a
    query without known proteins gets ``knn-listed``'s answer (each part's settings chosen
    on the validation drugs of its kind)."""

    name = "knn-targets"

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        known = train.known_mechanism
        if known is None:
            raise ValueError("knn-targets needs the mechanism data (load_dataset() builds it)")
        self._proteins = {
            s: set(p) for s, p in zip(known.skeletons, known.proteins, strict=True) if p
        }
        vocabulary = sorted(set().union(*self._proteins.values()))
        self._vocabulary = {p: i for i, p in enumerate(vocabulary)}
        self._structure = ListedKNNModel(self.grid)
        self._structure.fit(train, validation)
        super().fit(train, None)
        if validation is not None and len(self.grid) > 1:
            has = self._features(validation.query.smiles).sum(1) > 0
            if has.any():
                view = EvalView(
                    QueryView([s for s, h in zip(validation.query.smiles, has, strict=True) if h]),
                    validation.frequency[has],
                    validation.mask[has],
                )
                similarity = self._similarity(view.query)
                self.settings = max(self.grid, key=lambda g: self._score(similarity, g, view))

    def _features(self, smiles: list[str | None]) -> np.ndarray:
        """(n, n_proteins) 0/1 known proteins of each structure (by skeleton)."""
        out = np.zeros((len(smiles), len(self._vocabulary)), dtype=np.float32)
        for row, smi in enumerate(smiles):
            for protein in self._proteins.get(skeleton_of(mol_from_smiles(smi)), ()):
                out[row, self._vocabulary[protein]] = 1.0
        return out

    def predict(self, query: QueryView) -> Prediction:
        features = self._features(query.smiles)
        has = features.sum(1) > 0
        fallback = self._structure.predict(query)
        association, frequency = fallback.association.copy(), fallback.frequency.copy()
        if has.any():
            similarity = tanimoto_bits(features[has], self._reference)
            if query.drug_ids is not None:
                own = np.asarray(query.drug_ids)[has][:, None] == np.asarray(self._train.drug_ids)
                similarity[own] = -1.0
            a, f = self._profiles(similarity, self.settings)
            association[has], frequency[has] = a, f
        return Prediction(association=association, frequency=frequency)
