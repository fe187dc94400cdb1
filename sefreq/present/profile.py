"""A molecule's ranked side-effect profile, with label-reported frequencies beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sefreq.constants import FREQUENCY_BANDS
from sefreq.data.severity import SERIOUS, TIERS, severity_of
from sefreq.model.confidence import DEFAULT_AD_THRESHOLD, domain_spread
from sefreq.present.evidence import label_evidence
from sefreq.present.organs import predicted_organ_classes
from sefreq.present.vocabulary import NOT_KNOWN, NOT_REPORTED, band_word, conformal_words

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: Columns of :func:`profile_table`, in display order.
PROFILE_COLUMNS = (
    "rank",
    "side_effect_index",
    "side_effect",
    "severity",
    "organ_class",
    "secondary_organ_classes",
    "p_reported_pct",
    "uncertainty_pct",
    "frequency_class",
    "band",
    "band_range",
    "expected_frequency",
    "conformal_bands",
    "in_domain",
    "known_band",
    "known_median_pct",
    "n_labels",
)


def band_range(frequency_class: int) -> str:
    """The share of patients a class stands for ("1% to < 10%"); "" for 0."""
    band = FREQUENCY_BANDS.get(int(frequency_class))
    return f"{band.range_text} of patients" if band else ""


def conformal_bands(mask_text: str) -> str:
    """ "3,4" -> "common | uncommon" (the classes the conformal set keeps)."""
    return conformal_words(mask_text)


#: The known band of a side effect SIDER lists for the drug without any frequency.
UNSTATED_BAND = NOT_KNOWN


def profile_table(
    prediction: pd.DataFrame, dataset: Dataset | None = None, drug_index: int | None = None
) -> pd.DataFrame:
    """Ranked profile of one molecule: most likely reported side effects first.

    ``prediction``: the predictor's rows of one molecule. ``organ_class`` is the side
    effect's primary organ class (:mod:`sefreq.present.organs`), ``secondary_organ_classes``
    the others ("; "-joined) and ``organ_classes`` all of them. Percentages are shares (0-100 %):
    ``p_reported_pct`` the chance the side effect is reported on a label,
    ``uncertainty_pct`` the spread of that chance (1 sd across ensemble members, widened
    outside the applicability domain: :func:`sefreq.model.confidence.domain_spread`),
    ``known_median_pct`` the median share of patients on the drug's labels.
    ``severity`` is the term's tier (serious, moderate, minor: :mod:`sefreq.data.severity`)
    and ``severity_reason`` why a serious term is serious ("" otherwise).
    ``frequency_class``/``band``: the predicted band if it is reported, in the SmPC's
    words (:mod:`sefreq.present.vocabulary`), as is ``known_band`` ("not known": listed
    without a frequency).
    """
    rows = prediction[prediction["side_effect_index"] >= 0]
    table = pd.DataFrame(
        {
            "side_effect_index": rows["side_effect_index"].astype(int).to_numpy(),
            "side_effect": rows["side_effect"].to_numpy(),
            "organ_classes": rows["organ_classes"].str.replace("|", "; ", regex=False).to_numpy(),
            "p_reported_pct": (100 * rows["p_association"]).to_numpy(dtype=float),
            "uncertainty_pct": 100 * shown_spread(rows),
            "frequency_class": rows["frequency_class"].astype(int).to_numpy(),
            "band": [band_word(c) for c in rows["frequency_class"]],
            "band_range": [band_range(c) for c in rows["frequency_class"]],
            "expected_frequency": rows["expected_frequency"].to_numpy(dtype=float),
            "conformal_bands": [conformal_bands(s) for s in rows["conformal_set"]],
            "in_domain": rows["in_domain"].astype(bool).to_numpy(),
        }
    )
    table = table.join(predicted_organ_classes(rows, dataset), on="side_effect_index")
    tiers = severity_of(table["side_effect"])
    table["severity"] = tiers["tier"].to_numpy()
    table["severity_reason"] = tiers["reason"].to_numpy()
    known = label_evidence(dataset, drug_index) if drug_index is not None else None
    table = table.merge(
        _known_columns(known),
        on="side_effect_index",
        how="left",
    )
    # A side effect the drug's labels do not touch: "not reported" (nothing for a new molecule).
    unlisted = NOT_REPORTED if drug_index is not None else ""
    table["known_band"] = table["known_band"].fillna(unlisted).astype(str)
    table["n_labels"] = table["n_labels"].fillna(0).astype(int)
    table = table.sort_values(
        ["p_reported_pct", "expected_frequency"], ascending=False, kind="stable"
    ).reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table[[*PROFILE_COLUMNS, "organ_classes", "known_class", "severity_reason"]]


def _known_columns(evidence: pd.DataFrame | None) -> pd.DataFrame:
    """The profile's known_* columns of a drug's :func:`~sefreq.present.evidence.label_evidence`."""
    columns = {
        "side_effect_index": "side_effect_index",
        "label_class": "known_class",
        "label_median_pct": "known_median_pct",
        "n_labels": "n_labels",
        "label_band": "known_band",
    }
    if evidence is None:
        return pd.DataFrame(columns=list(columns.values()))
    return evidence[list(columns)].rename(columns=columns)


def shown_spread(rows: pd.DataFrame) -> np.ndarray:
    """The spread (1 sd, 0-1) a page or report shows for the predictor's ``rows``: the
    ensemble's, widened outside the applicability domain
    (:func:`sefreq.model.confidence.domain_spread`), so a molecule unlike every training
    drug is shown as uncertain, not as more certain than aspirin."""
    return domain_spread(
        rows["uncertainty"].to_numpy(dtype=float),
        rows["p_association"].to_numpy(dtype=float),
        rows["max_similarity"].to_numpy(dtype=float),
    )


def severity_rank(severity: pd.Series) -> pd.Series:
    """0 for serious, 1 moderate, 2 minor (:data:`TIERS` order): the key that puts serious
    terms first within a band."""
    order = {tier: i for i, tier in enumerate(TIERS)}
    return severity.map(order).fillna(len(TIERS)).astype(int)


def organ_class_options(table: pd.DataFrame) -> list[str]:
    """Every primary organ class of a profile, sorted."""
    return sorted(set(table["organ_class"]))


def filter_profile(
    table: pd.DataFrame,
    organ_classes: list[str] | None = None,
    search: str = "",
    top: int | None = None,
    serious_only: bool = False,
) -> pd.DataFrame:
    """Rows whose primary organ class is one of ``organ_classes`` and whose name holds
    ``search`` (any case), only serious terms with ``serious_only``; the first ``top``."""
    keep = np.ones(len(table), dtype=bool)
    if serious_only:
        keep &= serious_rows(table)
    if organ_classes:
        wanted = set(organ_classes)
        keep &= table["organ_class"].isin(wanted).to_numpy()
    text = search.strip().casefold()
    if text:
        keep &= table["side_effect"].str.casefold().str.contains(text, regex=False).to_numpy()
    filtered = table[keep]
    return filtered.head(top) if top else filtered


def serious_rows(table: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of a table with a ``severity`` column that are serious."""
    return (table["severity"] == SERIOUS).to_numpy()


def serious_only(table: pd.DataFrame) -> pd.DataFrame:
    """The serious rows of any table with a ``severity`` column (profile, SmPC, compare,
    "which drug"), in their order."""
    return table[serious_rows(table)]


def domain_summary(prediction: pd.DataFrame) -> dict:
    """in_domain, max_similarity (Tanimoto 0-1), nearest_drug of one molecule, and
    mechanism: what the model read of what the molecule acts on, in words."""
    rows = prediction[prediction["side_effect_index"] >= 0]
    if rows.empty:
        return {
            "in_domain": False,
            "max_similarity": float("nan"),
            "nearest_drug": "",
            "mechanism": "",
        }
    first = rows.iloc[0]
    return {
        "in_domain": bool(first["in_domain"]),
        "max_similarity": float(first["max_similarity"]),
        "nearest_drug": str(first["nearest_drug"]),
        "mechanism": MECHANISM_KNOWN if bool(first["known_mechanism"]) else MECHANISM_PREDICTED,
    }


#: Why the spread is wide outside the domain, as the profile says it (with the similarity).
WIDE_SPREAD_NOTE = (
    "Outside the training drugs: the chance is uncertain. No training drug is similar "
    "(Tanimoto {similarity:.2f}, below {threshold:.2f}), so the model leans on how often each "
    "side effect is reported for any drug, and each ± is widened toward the spread of a "
    "chance the structure says nothing about: the further from the training drugs, the wider."
)


def wide_spread_note(domain: dict) -> str:
    """The sentence that says why a molecule's spreads are wide ("" in the domain)."""
    if domain["in_domain"]:
        return ""
    similarity = domain["max_similarity"]
    return WIDE_SPREAD_NOTE.format(
        similarity=0.0 if similarity != similarity else similarity,
        threshold=DEFAULT_AD_THRESHOLD,
    )


#: What the model read of a molecule's mechanism, as the profile says it.
MECHANISM_KNOWN = (
    "Mechanism: known targets from DrugBank / DrugCentral (the proteins this compound acts on "
    "were read by the model)."
)
MECHANISM_PREDICTED = (
    "Mechanism: predicted targets (no protein is known for this compound, so the model read "
    "the ones it predicts from the structure)."
)
