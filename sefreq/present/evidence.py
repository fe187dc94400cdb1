"""What the drug labels say of a drug and a side effect: the one label-evidence function.

:func:`label_evidence` is what every page and report reads of SIDER's drug-side-effect
pairs: the profile, known vs predicted and compare (one drug, every side effect), "which
drug" (one side effect, every drug) and the reports. The label-class rule
(:func:`label_classes`) and the "not known" / "not reported" words are applied here and
nowhere else, so the profile and "Which drug?" cannot tell two stories of one pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sefreq.data.sider import PLACEBO
from sefreq.present.vocabulary import NOT_KNOWN, NOT_REPORTED, band_word

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: Columns of :func:`label_evidence`, in order.
EVIDENCE_COLUMNS = (
    "drug_index",
    "side_effect_index",
    "label_class",
    "label_band",
    "label_median_pct",
    "n_labels",
    "n_placebo",
    "placebo_class",
    "placebo_band",
    "placebo_median_pct",
    "placebo_at_least_drug",
    "n_postmarketing",
    "postmarketing_only",
    "galeano_class",
    "on_label",
)


def label_classes(pairs: pd.DataFrame) -> pd.Series:
    """The label class (0..5) of SIDER drug-side-effect pairs, the one rule every page and
    report uses: the band of the median label statement where the labels state a frequency,
    else Galeano's class; 0 where the labels list the side effect without a frequency."""
    derived = pairs["derived_class"].astype(int)
    return derived.where(derived > 0, pairs["galeano_class"].astype(int))


def label_evidence(
    dataset: Dataset | None,
    drug_index: int | None = None,
    side_effect_index: int | None = None,
) -> pd.DataFrame:
    """What SIDER says of each drug-side-effect pair it holds (:data:`EVIDENCE_COLUMNS`).

    ``drug_index``: one drug's pairs (every side effect its label data touches);
    ``side_effect_index``: one side effect's pairs (every drug); both: at most one row.
    Without a dataset, or with neither (a molecule without label data), the table is empty.

    label_class: 0..5 (:func:`label_classes`; 0 where the labels list the side effect
    without a frequency); label_band: its SmPC word, "not known" when listed without a
    frequency, "not reported" for a pair the labels do not list (a placebo arm or a
    post-marketing report alone); label_median_pct: median share of patients in the drug
    arms (%); n_labels: label statements with a frequency; n_placebo, placebo_class and
    placebo_band (its SmPC word, "" without one), placebo_median_pct (median share in the
    placebo arms, %; NaN without a placebo figure), placebo_at_least_drug (the placebo arms
    report it at least as often); n_postmarketing, postmarketing_only; galeano_class
    (Galeano's R); on_label: SIDER lists the side effect for the drug, with or without a
    frequency. Rows in SIDER's pair order (drug, then side effect).
    """
    if dataset is None or (drug_index is None and side_effect_index is None):
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    pairs, evidence = dataset.pairs, dataset.evidence
    keep = np.ones(len(pairs), dtype=bool)
    wanted = np.ones(len(evidence), dtype=bool)
    if drug_index is not None:
        keep &= (pairs["drug_index"] == drug_index).to_numpy()
        wanted &= (evidence["drug_index"] == drug_index).to_numpy()
    if side_effect_index is not None:
        keep &= (pairs["side_effect_index"] == side_effect_index).to_numpy()
        wanted &= (evidence["side_effect_index"] == side_effect_index).to_numpy()
    pairs = pairs[keep]
    placebo = evidence[wanted & (evidence["kind"].astype(str) == PLACEBO).to_numpy()]
    placebo_median = (
        ((placebo["lower"] + placebo["upper"]) / 2)
        .groupby([placebo["drug_index"].astype(int), placebo["side_effect_index"].astype(int)])
        .median()
    )
    label_class = label_classes(pairs)
    on_label = pairs["on_label"].to_numpy(bool)
    keys = pd.MultiIndex.from_arrays(
        [pairs["drug_index"].astype(int), pairs["side_effect_index"].astype(int)]
    )
    return pd.DataFrame(
        {
            "drug_index": pairs["drug_index"].astype(int).to_numpy(),
            "side_effect_index": pairs["side_effect_index"].astype(int).to_numpy(),
            "label_class": label_class.to_numpy(),
            "label_band": [
                band_word(c) or (NOT_KNOWN if listed else NOT_REPORTED)
                for c, listed in zip(label_class, on_label, strict=True)
            ],
            "label_median_pct": (100 * pairs["median_midpoint"]).to_numpy(dtype=float),
            "n_labels": pairs["n_labels"].astype(int).to_numpy(),
            "n_placebo": pairs["n_placebo"].astype(int).to_numpy(),
            "placebo_class": pairs["placebo_class"].astype(int).to_numpy(),
            "placebo_band": [band_word(c) for c in pairs["placebo_class"]],
            "placebo_median_pct": 100 * _aligned(placebo_median, keys),
            "placebo_at_least_drug": pairs["placebo_at_least_drug"].astype(bool).to_numpy(),
            "n_postmarketing": pairs["n_postmarketing"].astype(int).to_numpy(),
            "postmarketing_only": pairs["postmarketing_only"].astype(bool).to_numpy(),
            "galeano_class": pairs["galeano_class"].astype(int).to_numpy(),
            "on_label": on_label,
        }
    )


def _aligned(values: pd.Series, keys: pd.MultiIndex) -> np.ndarray:
    """``values`` (indexed by drug, side effect) at ``keys``, NaN where it has none."""
    if values.empty:
        return np.full(len(keys), np.nan)
    return values.reindex(keys).to_numpy(dtype=float)
