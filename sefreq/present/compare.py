"""Several molecules side by side across their top side effects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sefreq.present.text import one_line


def comparison_labels(labels: list[str]) -> list[str]:
    """One short, distinct column label per molecule: each on one line, and a repeated one
    numbered by its place (``aspirin (1)``, ``aspirin (3)``)."""
    shown = [one_line(label) or f"molecule {k + 1}" for k, label in enumerate(labels)]
    return [
        label if shown.count(label) == 1 else f"{label} ({k + 1})" for k, label in enumerate(shown)
    ]


def comparison_matrix(
    predictions: dict[str, pd.DataFrame], top: int = 25, organ_class: str | None = None
) -> pd.DataFrame:
    """Chance each side effect is reported (%), one column per molecule label.

    Rows: the union of each molecule's ``top`` side effects (restricted to ``organ_class``
    when given), ordered by the highest chance among the molecules. Index: side effect name.
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
