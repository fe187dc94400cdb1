"""Types the curated dataset hands to the layers above it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SideEffectInfo:
    """What the data says about the 994 side effects (Galeano order)."""

    names: list[str]
    organ_classes: np.ndarray  # (994, n_soc) float32 multi-hot
    group_terms: np.ndarray  # (994, n_hlgt) float32 multi-hot
    similarity: np.ndarray | None = None  # (994, 994) float32 ADReCS similarity
