"""A drug's side effects laid out as an EU SmPC section 4.8 table reads: by system organ
class, then by frequency (very common, common, uncommon, rare, very rare, not known).

:func:`smpc_table` is the one builder for pages and reports. Label data comes first: a
side effect SIDER reports for the drug sits in the band of the median of its label
statements, or under "not known" where the labels list it without a frequency. The
model's predictions fill in only the side effects the labels do not report, each marked as
a prediction with its chance and confidence, and only at or above a chance the caller
chooses. A new molecule (no label data) gets the same layout filled by the model alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sefreq.data.severity import SERIOUS
from sefreq.present.organs import also_under_note
from sefreq.present.profile import UNSTATED_BAND, profile_table, severity_rank
from sefreq.present.vocabulary import SMPC_BANDS, band_word

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

LABEL, PREDICTION = "label", "prediction"
#: Columns of :func:`smpc_table`.
SMPC_COLUMNS = (
    "organ_class",
    "smpc_band",
    "side_effect",
    "severity",
    "side_effect_index",
    "secondary_organ_classes",
    "source",
    "n_labels",
    "p_reported_pct",
    "uncertainty_pct",
    "conformal_bands",
    "in_domain",
)
#: Default chance (%) at or above which a prediction enters the table.
DEFAULT_THRESHOLD_PCT = 50.0


def smpc_table(
    prediction: pd.DataFrame,
    dataset: Dataset | None = None,
    drug_index: int | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> pd.DataFrame:
    """One row per organ class x side effect in SmPC order (:data:`SMPC_COLUMNS`).

    ``prediction``: the predictor's long rows of one molecule; ``dataset`` and
    ``drug_index``: the drug's label data, when it has some. ``source`` says where a row
    comes from: ``label`` (band = the median of the label statements; "not known" where
    SIDER states no frequency) or ``prediction`` (band = the predicted class; only side
    effects the labels do not report, with a chance of at least ``threshold_pct``). Each
    side effect is listed once, under its primary organ class (:mod:`sefreq.present.organs`);
    ``secondary_organ_classes`` names the others; ``severity`` is the term's tier
    (:mod:`sefreq.data.severity`). Sorted by organ class, band (most frequent first),
    severity (serious first, as compendia list them), labels before predictions, then
    chance.
    """
    profile = profile_table(prediction, dataset, drug_index)
    known_class = profile["known_class"].fillna(0).astype(int)
    listed = profile["known_band"] == UNSTATED_BAND
    on_label = (known_class > 0) | listed
    predicted = ~on_label & (profile["p_reported_pct"] >= threshold_pct)
    label_band = [band_word(c, UNSTATED_BAND) for c in known_class]
    predicted_band = [band_word(c, UNSTATED_BAND) for c in profile["frequency_class"]]
    rows = profile.assign(
        source=[LABEL if k else PREDICTION for k in on_label],
        smpc_band=[
            lb if k else pb for k, lb, pb in zip(on_label, label_band, predicted_band, strict=True)
        ],
    )[on_label | predicted]
    rank = {band: i for i, band in enumerate(SMPC_BANDS)}
    rows = rows.assign(
        _band=rows["smpc_band"].map(rank),
        _severity=severity_rank(rows["severity"]),
        _source=(rows["source"] == PREDICTION).astype(int),
    ).sort_values(
        ["organ_class", "_band", "_severity", "_source", "p_reported_pct", "side_effect"],
        ascending=[True, True, True, True, False, True],
        kind="stable",
    )
    return rows[list(SMPC_COLUMNS)].reset_index(drop=True)


def smpc_grid(
    table: pd.DataFrame,
    mark: str = "*",
    chance: bool = False,
    compact: bool = False,
    serious_mark: str = "",
    also_under: bool = False,
) -> pd.DataFrame:
    """:func:`smpc_table` as the printed layout: one row per organ class, one column per
    SmPC band, the terms of each cell joined by ", "; predictions end with ``mark``.

    With ``chance``, a prediction also carries its chance and spread, "Nausea* (62% ± 4)"
    (percent, ± one standard deviation across the ensemble in percentage points).
    With ``compact``, only the bands that hold a term: a drug whose labels state no
    frequency gets one column, "not known", a list by organ class.
    With ``serious_mark`` (e.g. "⚠"), a serious term starts with it: "⚠ Agranulocytosis".
    With ``also_under``, a term with other organ classes names them after it, shortened:
    "Dizziness (also under Ear, Vascular)", "Nausea* (62% ± 4; also under Nervous system)".
    """
    names = [
        (f"{serious_mark} " if serious_mark and row.severity == SERIOUS else "")
        + _with_note(
            prediction_term(row, mark, chance) if row.source == PREDICTION else row.side_effect,
            also_under_note(row.secondary_organ_classes) if also_under else "",
        )
        for row in table.itertuples()
    ]
    cells = (
        table.assign(term=names)
        .groupby(["organ_class", "smpc_band"], sort=False)["term"]
        .agg(", ".join)
        .unstack("smpc_band")
    )
    bands = [b for b in SMPC_BANDS if b in cells.columns] if compact else list(SMPC_BANDS)
    cells = cells.reindex(columns=bands).astype(object)
    return cells.where(cells.notna(), "").rename_axis(columns=None)


def _with_note(term: str, note: str) -> str:
    """ "Nausea* (62% ± 4)" + "also under X" -> "Nausea* (62% ± 4; also under X)"."""
    if not note:
        return term
    return f"{term[:-1]}; {note})" if term.endswith(")") else f"{term} ({note})"


def prediction_term(row, mark: str = "*", chance: bool = True) -> str:
    """One predicted term as a cell shows it: "Nausea*", or "Nausea* (62% ± 4)" with
    ``chance`` (``row``: a :func:`smpc_table` row, as itertuples gives it)."""
    term = f"{row.side_effect}{mark}"
    if not chance:
        return term
    return f"{term} ({row.p_reported_pct:.0f}% ± {row.uncertainty_pct:.0f})"


def smpc_part(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """The rows of :func:`smpc_table` from one ``source`` (:data:`LABEL` or :data:`PREDICTION`)."""
    return table[table["source"] == source].reset_index(drop=True)


#: Columns of :func:`prediction_details`.
DETAIL_COLUMNS = (
    "side_effect",
    "organ_class",
    "secondary_organ_classes",
    "smpc_band",
    "severity",
    "p_reported_pct",
    "uncertainty_pct",
    "conformal_bands",
    "in_domain",
    "side_effect_index",
)


def prediction_details(table: pd.DataFrame) -> pd.DataFrame:
    """The predictions of :func:`smpc_table`, one row per side effect, highest chance first.

    Columns (:data:`DETAIL_COLUMNS`): side_effect, organ_class (the primary one),
    secondary_organ_classes (the others, "; "-joined), smpc_band (the predicted band, SmPC
    wording), p_reported_pct (chance it is reported, %), uncertainty_pct (1 sd across the
    ensemble, percentage points), conformal_bands (the bands the conformal set keeps),
    in_domain (the molecule is in the model's applicability domain), side_effect_index.
    """
    rows = smpc_part(table, PREDICTION)
    rows = rows.sort_values(["p_reported_pct", "side_effect"], ascending=[False, True])
    return rows[list(DETAIL_COLUMNS)].reset_index(drop=True)


def smpc_summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts of distinct side effects in :func:`smpc_table`: n_label (on the labels),
    n_label_stated (with a frequency), n_label_not_known (listed without one), n_predicted."""
    labels = smpc_part(table, LABEL)
    predicted = smpc_part(table, PREDICTION)["side_effect_index"].nunique()
    not_known = int((labels["smpc_band"] == SMPC_BANDS[-1]).sum())
    return {
        "n_label": len(labels),
        "n_label_stated": len(labels) - not_known,
        "n_label_not_known": not_known,
        "n_predicted": int(predicted),
    }
