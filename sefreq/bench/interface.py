"""The one small interface every benchmarked model implements.

A protocol hands a model a :class:`TrainView` (the training part: labels and which cells
count), a :class:`EvalView` carved out of the training part for model selection, and
later a :class:`QueryView` of the drugs to score. Cold protocols (ICS, IND) give the
query only structures (``drug_ids is None``): a structure model receives nothing of a
test drug but its SMILES, and no row of a test drug appears in the training view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from sefreq.data.types import SideEffectInfo

if TYPE_CHECKING:  # the command line imports this module: no torch at start-up
    from sefreq.model.mechanism import MechanismTask


@dataclass(frozen=True)
class TrainView:
    """The training part of a protocol.

    ``frequency[i, j]`` is the class (0..5) of training drug i and side effect j; only
    cells where ``label_mask`` is True are labels (ICS/IND: every cell of a training drug;
    WS: every cell, held-out entries zeroed; M10/H5: the sampled training pairs).
    """

    frequency: np.ndarray  # (n_drugs, 994) uint8
    label_mask: np.ndarray  # (n_drugs, 994) bool
    smiles: list[str | None]  # standardised structures of the training drugs
    drug_ids: np.ndarray  # (n_drugs,) int, dataset row indices
    side_effects: SideEffectInfo
    seed: int = 0
    #: The dense task without the compounds of held-out drugs (cold protocols): what a
    #: model may learn of mechanism; None without the data.
    mechanism: MechanismTask | None = None
    #: Every compound's known mechanism, held-out drugs' included: what the "known
    #: targets" condition lets a model read for a query (never train on).
    known_mechanism: MechanismTask | None = None


@dataclass(frozen=True)
class QueryView:
    """Drugs to score. ``drug_ids`` is None in cold protocols: structure only."""

    smiles: list[str | None]
    drug_ids: np.ndarray | None = None


@dataclass(frozen=True)
class EvalView:
    """Held-out cells with their truth: a validation part or a test fold."""

    query: QueryView
    frequency: np.ndarray  # (n_query, 994) uint8 truth
    mask: np.ndarray  # (n_query, 994) bool: cells that are scored
    positive_only_regression: bool = True  # False for H5 (regression on all pairs)


@dataclass
class Prediction:
    """Scores for every side effect of every query drug.

    ``association``: probability-like score that the side effect is reported, (n, 994).
    ``frequency``: expected frequency class given it is reported, on 1..5, (n, 994).
    """

    association: np.ndarray
    frequency: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def expected_score(self) -> np.ndarray:
        """Expected class on the 0..5 scale (0 = not reported): what H5 regresses."""
        return self.association * self.frequency


@runtime_checkable
class BenchModel(Protocol):
    """What the harness needs of a model."""

    name: str
    #: True when the model can score a drug from its structure alone (cold protocols).
    structure_only: bool
    # Optional, read with getattr (default False): True when the model needs a frequency
    # class in every reported training cell, so the harness skips it on protocols whose
    # training labels hold UNSTATED cells (ICS-all, +sider) instead of failing mid-run.

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None: ...

    def predict(self, query: QueryView) -> Prediction: ...
