"""Label-reported frequencies beside the model's predictions, and nearest known drugs."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sefreq.chem.features import morgan_fingerprints
from sefreq.chem.similarity import tanimoto_bits
from sefreq.present.evidence import label_evidence
from sefreq.present.profile import profile_table
from sefreq.present.vocabulary import NOT_KNOWN, SMPC_BANDS, band_word

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: A side effect counts as "predicted" when its chance of being reported is at least this.
PREDICTED_THRESHOLD = 0.5
#: ... and "predicted low" when it is below this.
LOW_THRESHOLD = 0.2


def comparison_table(prediction: pd.DataFrame, dataset: Dataset, drug_index: int) -> pd.DataFrame:
    """One row per side effect: prediction beside the drug's SIDER summary.

    Adds to :func:`sefreq.present.profile.profile_table`: reported (bool, in the label data),
    n_placebo, placebo_band, n_postmarketing, postmarketing_only.
    """
    table = profile_table(prediction, dataset, drug_index)
    known = label_evidence(dataset, drug_index)[list(_COMPARISON_EVIDENCE)]
    table = table.merge(known, on="side_effect_index", how="left")
    # Reported: SIDER lists it for the drug, with a frequency or without one.
    table["reported"] = (table["known_class"].fillna(0).astype(int) > 0) | table.pop(
        "on_label"
    ).fillna(False).astype(bool)
    table["n_placebo"] = table["n_placebo"].fillna(0).astype(int)
    table["n_postmarketing"] = table["n_postmarketing"].fillna(0).astype(int)
    table["postmarketing_only"] = table["postmarketing_only"].fillna(False).astype(bool)
    table["placebo_band"] = table.pop("placebo_band").fillna("").astype(str)
    return table


#: What :func:`comparison_table` adds of the label evidence to the profile's known_* columns.
_COMPARISON_EVIDENCE = (
    "side_effect_index",
    "n_placebo",
    "placebo_class",
    "placebo_band",
    "n_postmarketing",
    "postmarketing_only",
    "galeano_class",
    "on_label",
)


def agreement(table: pd.DataFrame) -> dict[str, float]:
    """How well the prediction matches the labels of one known drug.

    auroc: P(a reported side effect outranks an unreported one), 0-1;
    n_reported / n_predicted (chance >= 50 %) / n_both; recall_at_n: share of the n
    reported side effects among the top n predicted; class_exact / class_within_one: share
    of reported side effects with a stated frequency whose predicted band is the labelled
    one / at most one band off; mean_abs_class_error in bands.
    """
    reported = table["reported"].to_numpy(bool)
    score = table["p_reported_pct"].to_numpy(float)
    predicted = score >= 100 * PREDICTED_THRESHOLD
    n_reported = int(reported.sum())
    out: dict[str, float] = {
        "n_side_effects": len(table),
        "n_reported": n_reported,
        "n_predicted": int(predicted.sum()),
        "n_both": int((predicted & reported).sum()),
        "auroc": float("nan"),
        "recall_at_n": float("nan"),
        "class_exact": float("nan"),
        "class_within_one": float("nan"),
        "mean_abs_class_error": float("nan"),
    }
    if 0 < n_reported < len(table):
        ranks = pd.Series(score).rank().to_numpy()
        n_neg = len(table) - n_reported
        out["auroc"] = float(
            (ranks[reported].sum() - n_reported * (n_reported + 1) / 2) / (n_reported * n_neg)
        )
        top = np.argsort(-score, kind="stable")[:n_reported]
        out["recall_at_n"] = float(reported[top].mean())
    # Bands are compared where the labels state a frequency.
    with_band = reported & (table["known_class"].fillna(0).to_numpy(int) > 0)
    if with_band.any():
        known_class = table.loc[with_band, "known_class"].astype(int).to_numpy()
        predicted_class = table.loc[with_band, "frequency_class"].astype(int).to_numpy()
        error = np.abs(known_class - predicted_class)
        out["class_exact"] = float((error == 0).mean())
        out["class_within_one"] = float((error <= 1).mean())
        out["mean_abs_class_error"] = float(error.mean())
    return out


#: The label frequencies along a chart's axis, rarest first, "not known" (listed without
#: a frequency) apart at the left: the SmPC's words, never a class number.
LABEL_FREQUENCY_AXIS: tuple[str, ...] = (
    NOT_KNOWN,
    *reversed([band for band in SMPC_BANDS if band != NOT_KNOWN]),
)


def label_vs_chance(table: pd.DataFrame) -> pd.DataFrame:
    """The reported side effects of a :func:`comparison_table` as the Known vs predicted
    chart draws them: side_effect, label_frequency (the SmPC word of the label band, "not
    known" where the labels state none; ordered as :data:`LABEL_FREQUENCY_AXIS`) and
    p_reported_pct (the model's chance, %)."""
    reported = table[table["reported"]]
    words = [band_word(c) or NOT_KNOWN for c in reported["known_class"].fillna(0).astype(int)]
    return pd.DataFrame(
        {
            "side_effect": reported["side_effect"].to_numpy(),
            "label_frequency": pd.Categorical(words, categories=list(LABEL_FREQUENCY_AXIS)),
            "p_reported_pct": reported["p_reported_pct"].to_numpy(dtype=float),
        }
    )


def predicted_not_reported(table: pd.DataFrame, limit: int = 15) -> pd.DataFrame:
    """Side effects the model expects (chance >= 50 %) that no label of the drug reports."""
    rows = table[(~table["reported"]) & (table["p_reported_pct"] >= 100 * PREDICTED_THRESHOLD)]
    return rows.sort_values("p_reported_pct", ascending=False).head(limit)


def reported_predicted_low(table: pd.DataFrame, limit: int = 15) -> pd.DataFrame:
    """Side effects the labels report but the model gives a chance below 20 %."""
    rows = table[table["reported"] & (table["p_reported_pct"] < 100 * LOW_THRESHOLD)]
    return rows.sort_values("p_reported_pct").head(limit)


def label_rows(
    dataset: Dataset, drug_index: int, side_effect_index: int | None = None
) -> pd.DataFrame:
    """The drug's SIDER rows, one per label statement.

    Columns: side_effect, evidence (drug / placebo / postmarketing), the text as written,
    lower_pct and upper_pct (share of patients, %), band.
    """
    evidence = dataset.evidence
    rows = evidence[evidence["drug_index"] == drug_index]
    if side_effect_index is not None:
        rows = rows[rows["side_effect_index"] == side_effect_index]
    names = dataset.side_effects["name"]
    return pd.DataFrame(
        {
            "side_effect": names.loc[rows["side_effect_index"]].to_numpy(),
            "evidence": rows["kind"].astype(str).to_numpy(),
            "as written on the label": rows["frequency_text"].to_numpy(),
            "lower_pct": (100 * rows["lower"]).to_numpy(dtype=float),
            "upper_pct": (100 * rows["upper"]).to_numpy(dtype=float),
            "band": [band_word(c, "(no number)") for c in rows["frequency_class"]],
        }
    )


@lru_cache(maxsize=4)
def _reference_fingerprints(smiles: tuple[str | None, ...]) -> np.ndarray:
    return morgan_fingerprints(list(smiles))


def nearest_known_drugs(parent_smiles: str, dataset: Dataset, k: int = 5) -> pd.DataFrame:
    """The ``k`` known drugs most similar in structure.

    Columns: drug_index, drug, tanimoto (0-1, Morgan r=2), n_reported (side effects on labels).
    """
    drugs = dataset.drugs
    reference_smiles = tuple(
        s if ok else None
        for s, ok in zip(drugs["parent_smiles"], drugs["has_structure"], strict=True)
    )
    reference = _reference_fingerprints(reference_smiles)
    query = morgan_fingerprints([parent_smiles])
    similarity = tanimoto_bits(query, reference)[0]
    similarity[~drugs["has_structure"].to_numpy(bool)] = -1
    order = np.argsort(-similarity, kind="stable")[:k]
    frequency = np.asarray(dataset.frequency)
    return pd.DataFrame(
        {
            "drug_index": order.astype(int),
            "drug": drugs["name"].to_numpy()[order],
            "tanimoto": similarity[order].astype(float),
            "n_reported": (frequency[order] > 0).sum(1).astype(int),
        }
    )


def neighbour_reports(dataset: Dataset, drug_indices: list[int], top: int = 15) -> pd.DataFrame:
    """Side effects most often reported among ``drug_indices``, with each drug's label band.

    Columns: side_effect, n_drugs (how many of them report it), then one column per drug
    holding its band ("" when its labels do not report it).
    """
    frequency = np.asarray(dataset.frequency)[drug_indices]
    counts = (frequency > 0).sum(0)
    order = np.argsort(-counts, kind="stable")[:top]
    order = order[counts[order] > 0]
    table = pd.DataFrame(
        {
            "side_effect": dataset.side_effects["name"].to_numpy()[order],
            "n_drugs": counts[order].astype(int),
        }
    )
    for row, drug_index in enumerate(drug_indices):
        name = str(dataset.drugs["name"].iloc[drug_index])
        table[name] = [band_word(c) for c in frequency[row, order]]
    return table
