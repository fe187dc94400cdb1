"""The long form as flat numpy columns, shared by :meth:`Predictor.predict` (pandas) and
the screening writer (Arrow), so both tables hold the same values.

numpy only: the screening process imports it without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sefreq.constants import FREQUENCY_BANDS

if TYPE_CHECKING:
    from sefreq.model.bundle import EnsembleOutput

#: Labels of the conformal sets, 5-bit masks (bit c-1 = class c): mask 0 is "".
SET_LABELS = np.array(
    [",".join(str(c) for c in range(1, 6) if mask >> (c - 1) & 1) for mask in range(32)],
    dtype=object,
)
#: Band label of each frequency class; class 0 (an unreadable molecule's row) is "".
BAND_LABELS = np.array([""] + [FREQUENCY_BANDS[c].label for c in range(1, 6)], dtype=object)


def long_arrays(out: EnsembleOutput, ad_threshold: float) -> dict[str, np.ndarray]:
    """The long form's columns as flat numpy arrays, one value per molecule x side effect
    (Galeano order within each molecule), with no text: ``molecule`` (row -> molecule),
    and the codes of the text columns (``side_effect_index`` names the side effect and its
    organ classes, ``frequency_class`` the band, ``conformal_set`` its label's bit mask).
    :meth:`Predictor.predict` and the screening writer both build their tables from these,
    so a pandas frame and an Arrow table hold the same values."""
    n, n_se = out.p_association.shape
    probabilities = out.class_probabilities.reshape(n * n_se, 5)
    return {
        "molecule": np.repeat(np.arange(n), n_se),
        "side_effect_index": np.tile(np.arange(n_se), n),
        "p_association": out.p_association.ravel(),
        **{f"p_class_{c + 1}": probabilities[:, c] for c in range(5)},
        "expected_frequency": out.expected_frequency.ravel(),
        "frequency_class": probabilities.argmax(1) + 1,
        "uncertainty": out.uncertainty.ravel(),
        "frequency_spread": out.frequency_spread.ravel(),
        "conformal_set": out.conformal_sets.ravel(),
        "in_domain": np.repeat(out.max_similarity >= ad_threshold, n_se),
        "max_similarity": np.repeat(out.max_similarity, n_se),
    }
