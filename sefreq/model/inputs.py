"""What the network reads of a batch of molecules, as one object (numpy only, no torch).

:class:`ModelInputs` carries every view of the molecules from featurisation
(:meth:`SEFreqEnsemble.featurize <sefreq.model.bundle.SEFreqEnsemble.featurize>`) through
the similarity prior, the batched forward pass (:class:`~sefreq.model.inference.FusedEnsemble`),
training (:func:`~sefreq.model.loop.member_tensors`) and the explainer's flat inputs.
A new view is one field here, the place that computes it (``featurize``) and the places
that read it; nothing in between unpacks a tuple.

:mod:`sefreq.chem.features` stays below the model: its
:class:`~sefreq.chem.features.MoleculeFeatures` holds the raw chemistry (bits, raw
descriptors, kernel fingerprints); this type adds what only a model knows (its descriptor
scaling, its mechanism view, its prior).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class ModelInputs:
    """A batch of molecules as a model reads them, rows aligned.

    Two stages fill it: :meth:`SEFreqEnsemble.featurize` the molecule's own views (the
    first six fields), :meth:`with_prior` the similarity prior computed from them against
    the training drugs (:meth:`SEFreqEnsemble.knn_features`).
    """

    fingerprints: np.ndarray  # (n, n_bits) uint8 0/1 Morgan r=2 bits
    descriptors: np.ndarray  # (n, d) float32, scaled by the model's DescriptorScaler
    valid: np.ndarray  # (n,) bool: the molecule parsed
    # The kernel fingerprints the prior reads (``knn_similarity == "kernel"``), else None
    kernel: dict[str, np.ndarray] | None = None
    # (n, V) float32 mechanism profile (known where known, else predicted); None: the
    # model has no mechanism view
    mechanism: np.ndarray | None = None
    # (n,) bool: the row's profile is its compound's known one; None: all predicted
    mechanism_known: np.ndarray | None = None
    # (n, 994) float32 residual kNN association / frequency features; None: not computed
    knn_association: np.ndarray | None = None
    knn_frequency: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.fingerprints)

    @property
    def known(self) -> np.ndarray:
        """(n,) bool :attr:`mechanism_known`, all False when no row read a known profile."""
        if self.mechanism_known is None:
            return np.zeros(len(self), dtype=bool)
        return np.asarray(self.mechanism_known, dtype=bool)

    def with_prior(self, association: np.ndarray, frequency: np.ndarray) -> ModelInputs:
        """These inputs with the similarity prior's two (n, 994) feature matrices."""
        return replace(self, knn_association=association, knn_frequency=frequency)
