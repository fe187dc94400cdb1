"""The spread a user is shown grows outside the applicability domain (issue #23, item 3).

The ensemble's own spread shrinks there (its members agree on the base rates they all fall
back to), so a molecule unlike every training drug read as more certain than aspirin.
"""

from __future__ import annotations

import math

import numpy as np

from sefreq.model.confidence import DEFAULT_AD_THRESHOLD, domain_spread


def test_in_the_domain_the_spread_is_the_ensembles() -> None:
    spread = domain_spread(
        np.array([0.03, 0.03]), np.array([0.6, 0.6]), np.array([DEFAULT_AD_THRESHOLD, 0.9])
    )
    assert np.allclose(spread, 0.03)


def test_the_spread_grows_as_the_molecule_moves_away_from_the_training_drugs() -> None:
    similarity = np.array([0.29, 0.2, 0.1, 0.0])
    spread = domain_spread(np.full(4, 0.01), np.full(4, 0.5), similarity)
    assert np.all(np.diff(spread) > 0)
    # with nothing similar, the spread of a chance the structure says nothing about:
    # the flattest Beta with mean 50% is uniform, sd 1/sqrt(12) (29 points)
    assert math.isclose(spread[-1], math.sqrt(0.01**2 + 1 / 12))
    # an out-of-domain molecule whose members agree is shown wider than an in-domain one
    # whose members disagree
    assert spread[2] > domain_spread(np.array([0.08]), np.array([0.5]), np.array([0.6]))[0]


def test_a_rare_side_effect_widens_less_and_nan_similarity_changes_nothing() -> None:
    spread = domain_spread(np.zeros(3), np.array([0.5, 0.01, 0.5]), np.array([0.0, 0.0, np.nan]))
    assert spread[1] < spread[0]
    assert math.isclose(spread[1], math.sqrt(0.01 * 0.99 / 3))
    assert spread[2] == 0.0
