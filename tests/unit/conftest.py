"""Fixtures of the library's unit tests: a tiny model trained on synthetic data (seconds).

Both are built once per session and shared: a test must not change them (copy first).
"""

from __future__ import annotations

import pytest

from sefreq.data.types import SideEffectInfo
from sefreq.model.bundle import SEFreqEnsemble
from sefreq.model.data import TrainingSet
from sefreq.model.recipe import fit_ensemble
from tests.support.tiny_model import N_SE, tiny_network, tiny_train, tiny_training_set


@pytest.fixture(scope="session")
def tiny_data() -> tuple[TrainingSet, SideEffectInfo]:
    """48 small molecules x 30 side effects with random frequencies, and the side effects."""
    return tiny_training_set()


@pytest.fixture(scope="session")
def tiny_ensemble(tiny_data) -> SEFreqEnsemble:
    """A 2-member ensemble trained for a few epochs on :func:`tiny_data`."""
    data, side_effects = tiny_data
    ensemble = fit_ensemble(data, None, side_effects, tiny_network(), tiny_train())
    ensemble.card = ensemble.card.updated(
        side_effect_organ_classes=[["organ a"] for _ in range(N_SE)]
    )
    ensemble.ad_threshold = 0.3
    return ensemble
