"""Several molecules side by side: what their labels report and, where they are silent,
what the model predicts (:func:`comparison_cells`, :func:`band_comparison`), and the
model's chances across their top side effects (:func:`comparison_matrix`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sefreq.data.severity import SERIOUS, severity_of
from sefreq.present.profile import UNSTATED_BAND, profile_table, serious_only, severity_rank
from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT, LABEL, PREDICTION, SMPC_BANDS
from sefreq.present.text import one_line
from sefreq.present.vocabulary import band_word, serious_marked

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset


def comparison_labels(labels: list[str]) -> list[str]:
    """One short, distinct column label per molecule: each on one line, and a repeated one
    numbered by its place (``aspirin (1)``, ``aspirin (3)``)."""
    shown = [one_line(label) or f"molecule {k + 1}" for k, label in enumerate(labels)]
    return [
        label if shown.count(label) == 1 else f"{label} ({k + 1})" for k, label in enumerate(shown)
    ]


def comparison_matrix(
    predictions: dict[str, pd.DataFrame],
    top: int = 25,
    organ_class: str | None = None,
    serious_only: bool = False,
) -> pd.DataFrame:
    """Chance each side effect is reported (%), one column per molecule label.

    Rows: the union of each molecule's ``top`` side effects (restricted to ``organ_class``
    when given, to the serious ones with ``serious_only``), ordered by the highest chance
    among the molecules. Index: side effect name.
    """
    columns = {}
    organs = None
    for label, prediction in predictions.items():
        rows = prediction[prediction["side_effect_index"] >= 0].set_index("side_effect")
        columns[label] = 100 * rows["p_association"].astype(float)
        organs = rows["organ_classes"] if organs is None else organs
    wide = pd.DataFrame(columns)
    if wide.empty:
        return wide
    if organ_class:
        keep = organs.reindex(wide.index).fillna("").str.split("|").map(lambda o: organ_class in o)
        wide = wide[keep.to_numpy(bool)]
    if serious_only:
        wide = wide[(severity_of(wide.index)["tier"] == SERIOUS).to_numpy(bool)]
    chosen: set[str] = set()
    for label in wide.columns:
        chosen.update(wide[label].nlargest(top).index)
    wide = wide.loc[[name for name in wide.index if name in chosen]]
    return wide.loc[wide.max(axis=1).sort_values(ascending=False, kind="stable").index]


def comparison_bands(predictions: dict[str, pd.DataFrame], side_effects: list[str]) -> pd.DataFrame:
    """Predicted CIOMS band of each side effect (rows) for each molecule (columns)."""
    columns = {}
    for label, prediction in predictions.items():
        rows = prediction[prediction["side_effect_index"] >= 0].set_index("side_effect")
        columns[label] = rows["band"].reindex(side_effects)
    return pd.DataFrame(columns, index=side_effects)


def largest_differences(matrix: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """Side effects whose chance differs most between molecules: spread (percentage points),
    highest and lowest molecule."""
    if matrix.shape[1] < 2 or matrix.empty:
        return pd.DataFrame(columns=["side_effect", "spread_pp", "highest", "lowest"])
    values = matrix.to_numpy(float)
    spread = values.max(1) - values.min(1)
    order = np.argsort(-spread, kind="stable")[:limit]
    return pd.DataFrame(
        {
            "side_effect": matrix.index.to_numpy()[order],
            "spread_pp": spread[order],
            "highest": matrix.columns.to_numpy()[values[order].argmax(1)],
            "lowest": matrix.columns.to_numpy()[values[order].argmin(1)],
        }
    )


# --------------------------------------------------------------------------- labels and predictions

#: The ``source`` of a :func:`comparison_cells` row: the labels state it, the model
#: predicts it (the labels are silent, chance at or above the threshold), or neither.
NEITHER = "none"
#: Position on the band scale of a side effect the labels list without a frequency
#: ("not known"): reported, so at least the lowest band.
NOT_KNOWN_LEVEL = 1
NOT_KNOWN = SMPC_BANDS[-1]
#: Columns of :func:`comparison_cells`.
CELL_COLUMNS = (
    "drug",
    "side_effect_index",
    "side_effect",
    "severity",
    "organ_class",
    "source",
    "band",
    "level",
    "p_reported_pct",
    "text",
    "short",
)


def comparison_cells(
    entries: dict[str, tuple[pd.DataFrame, int | None]],
    dataset: Dataset | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> pd.DataFrame:
    """What is known of each side effect for each drug: long rows (:data:`CELL_COLUMNS`).

    ``entries``: drug label -> (its predicted rows, its drug index in ``dataset`` or None
    for a molecule without label data). Per drug and side effect, ``source`` is
    :data:`~sefreq.present.smpc.LABEL` (the labels report it), else
    :data:`~sefreq.present.smpc.PREDICTION` (chance at or above ``threshold_pct``), else
    :data:`NEITHER`. ``severity``: the side effect's tier (:mod:`sefreq.data.severity`).
    ``band``: the SmPC wording ("common"; "not known" for a label listing
    without a frequency; "" for neither). ``level``: the band scale, 5 = very common ... 1 =
    very rare, 0 = neither; "not known" counts as :data:`NOT_KNOWN_LEVEL`. ``text``: the
    cell as a table shows it ("common (label)", "~uncommon (predicted, 62%)", "not
    reported" where the labels are silent and the model below the threshold, "not
    predicted (12%)" for a molecule without labels); ``short``: the same for one line
    ("common, label"; "~uncommon, predicted 62%").
    """
    frames = []
    for drug, (prediction, drug_index) in entries.items():
        has_labels = dataset is not None and drug_index is not None
        profile = profile_table(prediction, dataset, drug_index if has_labels else None)
        known_class = profile["known_class"].fillna(0).astype(int).to_numpy()
        listed = (profile["known_band"] == UNSTATED_BAND).to_numpy()
        chance = profile["p_reported_pct"].to_numpy(float)
        predicted_class = profile["frequency_class"].astype(int).to_numpy()
        source, band, level, text, short = [], [], [], [], []
        for k in range(len(profile)):
            if known_class[k] > 0 or listed[k]:
                stated = known_class[k] > 0
                wording = band_word(known_class[k]) if stated else NOT_KNOWN
                source.append(LABEL)
                band.append(wording)
                level.append(int(known_class[k]) or NOT_KNOWN_LEVEL)
                text.append(f"{wording} (label)")
                short.append(f"{wording}, label")
            elif chance[k] >= threshold_pct and predicted_class[k] > 0:
                wording = band_word(predicted_class[k])
                source.append(PREDICTION)
                band.append(wording)
                level.append(int(predicted_class[k]))
                text.append(f"~{wording} (predicted, {chance[k]:.0f}%)")
                short.append(f"~{wording}, predicted {chance[k]:.0f}%")
            else:
                source.append(NEITHER)
                band.append("")
                level.append(0)
                text.append("not reported" if has_labels else f"not predicted ({chance[k]:.0f}%)")
                short.append("not reported" if has_labels else "not predicted")
        frames.append(
            pd.DataFrame(
                {
                    "drug": drug,
                    "side_effect_index": profile["side_effect_index"].to_numpy(),
                    "side_effect": profile["side_effect"].to_numpy(),
                    "severity": profile["severity"].to_numpy(),
                    "organ_class": profile["organ_class"].to_numpy(),
                    "source": source,
                    "band": band,
                    "level": np.asarray(level, dtype=int),
                    "p_reported_pct": chance,
                    "text": text,
                    "short": short,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(CELL_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(CELL_COLUMNS)]


def _differences(cells: pd.DataFrame, serious: bool = False) -> pd.DataFrame:
    """Per side effect with something to show for at least one drug: difference (highest
    minus lowest level across the drugs, in bands), top level, severity, n_label (drugs
    whose labels report it), primary organ class; largest difference first, and serious
    terms first among equals. Only serious terms with ``serious``."""
    shown = cells.groupby("side_effect_index")["source"].transform(lambda s: (s != NEITHER).any())
    cells = cells[shown.to_numpy(bool)]
    grouped = cells.groupby("side_effect_index", sort=False)
    summary = pd.DataFrame(
        {
            "side_effect": grouped["side_effect"].first(),
            "severity": grouped["severity"].first(),
            "organ_class": grouped["organ_class"].first(),
            "difference": grouped["level"].max() - grouped["level"].min(),
            "top_level": grouped["level"].max(),
            "n_label": grouped["source"].agg(lambda s: int((s == LABEL).sum())),
        }
    )
    if serious:
        summary = serious_only(summary)
    return (
        summary.assign(_severity=severity_rank(summary["severity"]))
        .sort_values(
            ["difference", "top_level", "_severity", "n_label", "side_effect"],
            ascending=[False, False, True, False, True],
            kind="stable",
        )
        .drop(columns="_severity")
    )


def band_comparison(
    cells: pd.DataFrame, organ_class: str | None = None, serious_only: bool = False
) -> pd.DataFrame:
    """The side-by-side table of :func:`comparison_cells`: what a page and a CSV show.

    One row per side effect that the labels report or the model predicts for at least one
    drug, under its primary organ class (only ``organ_class`` when given; only serious
    terms with ``serious_only``). Columns: organ_class, side_effect, severity (its tier),
    one column per drug
    (its ``text``: "common (label)", "~uncommon (predicted, 62%)", "not reported"), then
    difference: how far apart the drugs are on the band scale (highest minus lowest
    ``level``, 0-5 bands; a side effect one drug has and another has not counts its full
    band). Organ classes come in the order of their largest difference, and the rows of
    each class from the largest difference down; among rows that stand equal (same
    difference and top band), serious terms first.
    """
    drugs = list(dict.fromkeys(cells["drug"]))
    columns = ["organ_class", "side_effect", "severity", *drugs, "difference"]
    differences = _differences(cells, serious_only)
    if differences.empty:
        return pd.DataFrame(columns=columns)
    wide = cells.pivot(index="side_effect_index", columns="drug", values="text")
    table = differences.join(wide[drugs])
    if organ_class:
        table = table[table["organ_class"] == organ_class]
    group_top = table.groupby("organ_class")["difference"].transform("max")
    table = table.assign(
        _group_top=group_top, _severity=severity_rank(table["severity"])
    ).sort_values(
        [
            "_group_top",
            "organ_class",
            "difference",
            "top_level",
            "_severity",
            "n_label",
            "side_effect",
        ],
        ascending=[False, True, False, False, True, False, True],
        kind="stable",
    )
    table["difference"] = table["difference"].astype(int)
    return table[columns].reset_index(drop=True)


def difference_summary(
    cells: pd.DataFrame,
    organ_class: str | None = None,
    limit: int = 3,
    serious_only: bool = False,
) -> str:
    """One line naming the ``limit`` side effects on which the drugs differ most, e.g.
    "Largest differences: Nausea (ibuprofen: common, label; furosemide: not reported); ..."
    (only serious terms with ``serious_only``; a serious term carries the mark; "" when no
    side effect differs)."""
    differences = _differences(cells, serious_only)
    if organ_class:
        differences = differences[differences["organ_class"] == organ_class]
    differences = differences[differences["difference"] > 0].head(limit)
    if differences.empty:
        return ""
    short = cells.set_index(["side_effect_index", "drug"])["short"]
    drugs = list(dict.fromkeys(cells["drug"]))
    parts = [
        f"{serious_marked(row.side_effect, row.severity)} ("
        + "; ".join(f"{drug}: {short[(index, drug)]}" for drug in drugs)
        + ")"
        for index, row in differences.iterrows()
    ]
    return "Largest differences: " + ", ".join(parts)
