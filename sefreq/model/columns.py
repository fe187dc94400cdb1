"""The output forms as flat numpy columns, shared by :meth:`Predictor.predict` (pandas)
and the screening writer (Arrow), so both tables hold the same values.

numpy only: the screening process imports it without torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sefreq.constants import FREQUENCY_BANDS
from sefreq.priors import top_k_columns

if TYPE_CHECKING:
    from sefreq.model.bundle import EnsembleOutput

#: Columns of :meth:`Predictor.predict`, in order.
COLUMNS = (
    "id",
    "smiles",
    "side_effect_index",
    "side_effect",
    "organ_classes",
    "p_association",
    "p_class_1",
    "p_class_2",
    "p_class_3",
    "p_class_4",
    "p_class_5",
    "expected_frequency",
    "frequency_class",
    "band",
    "uncertainty",
    "frequency_spread",
    "conformal_set",
    "in_domain",
    "known_mechanism",
    "max_similarity",
    "nearest_drug",
    "error",
)

#: Columns of one molecule, first in the wide form.
MOLECULE_COLUMNS = (
    "id",
    "smiles",
    "in_domain",
    "known_mechanism",
    "max_similarity",
    "nearest_drug",
    "error",
)
#: Columns of the top-k form, one row per molecule x rank.
TOP_K_COLUMNS = (
    "id",
    "smiles",
    "rank",
    "side_effect_index",
    "side_effect",
    "organ_classes",
    "p_association",
    "frequency_class",
    "band",
    "expected_frequency",
    "uncertainty",
    "conformal_set",
    "in_domain",
    "known_mechanism",
    "max_similarity",
    "nearest_drug",
    "error",
)
#: Labels of the conformal sets, 5-bit masks (bit c-1 = class c): mask 0 is "".
SET_LABELS = np.array(
    [",".join(str(c) for c in range(1, 6) if mask >> (c - 1) & 1) for mask in range(32)],
    dtype=object,
)
#: Band label of each frequency class; class 0 (an unreadable molecule's row) is "".
BAND_LABELS = np.array([""] + [FREQUENCY_BANDS[c].label for c in range(1, 6)], dtype=object)


def wide_columns(names: Sequence[str]) -> tuple[str, ...]:
    """The wide form's columns: the molecule's, then p_association and frequency_class of
    each side effect (Galeano order)."""
    return (
        *MOLECULE_COLUMNS,
        *(f"p_association:{n}" for n in names),
        *(f"frequency_class:{n}" for n in names),
    )


#: Each output form's columns, in order, from the side-effect names: the one place they are
#: written, read by :meth:`sefreq.model.predictor.Predictor.predict` and by the screening
#: forms (:data:`sefreq.screen.forms.FORMS`).
FORM_COLUMNS: dict[str, Callable[[Sequence[str]], tuple[str, ...]]] = {
    "long": lambda names: COLUMNS,
    "wide": wide_columns,
    "top_k": lambda names: TOP_K_COLUMNS,
}


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
        "known_mechanism": np.repeat(out.mechanism_known, n_se),
        "max_similarity": np.repeat(out.max_similarity, n_se),
    }


def top_k_arrays(out: EnsembleOutput, k: int, ad_threshold: float) -> dict[str, np.ndarray]:
    """The top-k form's columns as :func:`long_arrays` gives the long form's: the ``k``
    most likely side effects of each molecule, highest first (ties: lower index first)."""
    n = out.p_association.shape[0]
    p = out.p_association
    top = top_k_columns(p, k)  # the same k on every CPU, ties to the lower index
    order = np.lexsort((top, -np.take_along_axis(p, top, 1)), axis=1)
    top = np.take_along_axis(top, order, 1)
    rows = np.repeat(np.arange(n), k)
    flat = top.ravel()
    return {
        "molecule": rows,
        "rank": np.tile(np.arange(1, k + 1), n),
        "side_effect_index": flat,
        "p_association": p[rows, flat],
        "frequency_class": out.class_probabilities[rows, flat].argmax(-1) + 1,
        "expected_frequency": out.expected_frequency[rows, flat],
        "uncertainty": out.uncertainty[rows, flat],
        "conformal_set": out.conformal_sets[rows, flat],
        "in_domain": (out.max_similarity >= ad_threshold)[rows],
        "known_mechanism": out.mechanism_known[rows],
        "max_similarity": out.max_similarity[rows],
    }


def wide_arrays(out: EnsembleOutput, names, ad_threshold: float) -> dict[str, np.ndarray]:
    """The wide form's columns: one row per molecule, ``p_association:<side effect>``
    (float32) and ``frequency_class:<side effect>`` (uint8) for each side effect."""
    classes = (out.class_probabilities.argmax(-1) + 1).astype(np.uint8)
    p = np.ascontiguousarray(out.p_association.T)  # a side effect's column, contiguous
    c = np.ascontiguousarray(classes.T)
    return {
        "molecule": np.arange(out.p_association.shape[0]),
        "in_domain": out.max_similarity >= ad_threshold,
        "known_mechanism": out.mechanism_known,
        "max_similarity": out.max_similarity,
        **{f"p_association:{name}": p[j] for j, name in enumerate(names)},
        **{f"frequency_class:{name}": c[j] for j, name in enumerate(names)},
    }
