"""What stands out: a molecule's chance of each side effect beside the approved drugs'.

Nearly every molecule gets nausea, headache and rash at 55-75%: a chance that is high for
every drug says little about this one. Like ADMET-AI's comparison with DrugBank, each
prediction is placed among the model's predictions for the approved drugs of the
catalogue (every drug with a structure: SIDER's, DrugBank's approved small molecules,
DrugCentral's): its percentile among them, and its ratio to their average.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sefreq.data.cachefiles import read_verified, write_verified
from sefreq.data.registry import cache_dir


@dataclass(frozen=True)
class CatalogueReference:
    """The model's chances for the catalogue's approved drugs, per side effect.

    ``sorted_chances``: (n_drugs, 994) float32, each column sorted ascending (Galeano
    order); ``mean_chance``: (994,) their average; ``n_drugs``: how many drugs.
    """

    sorted_chances: np.ndarray
    mean_chance: np.ndarray
    n_drugs: int

    @classmethod
    def from_chances(cls, chances: np.ndarray) -> CatalogueReference:
        """From (n_drugs, 994) chances (0-1); rows with NaN (unreadable molecules) dropped."""
        chances = np.asarray(chances, dtype=np.float32)
        chances = chances[~np.isnan(chances).any(axis=1)]
        return cls(np.sort(chances, axis=0), chances.mean(axis=0), len(chances))

    def save(self, path: Path) -> None:
        """Write the reference to ``path`` (.npz)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, sorted_chances=self.sorted_chances, mean_chance=self.mean_chance)

    @classmethod
    def load(cls, path: Path) -> CatalogueReference:
        """Read what :meth:`save` wrote (OSError when there is nothing)."""
        with np.load(path) as stored:
            chances = stored["sorted_chances"]
            return cls(chances, stored["mean_chance"], len(chances))

    def percentile(self, side_effect_index: np.ndarray, chance: np.ndarray) -> np.ndarray:
        """Per (side effect, chance 0-1): the share of the drugs (0-100) with a lower chance
        of that side effect (ties count half)."""
        columns = self.sorted_chances[:, side_effect_index]
        chance = np.asarray(chance, dtype=columns.dtype)  # ties are ties in float32 too
        below = (columns < chance).sum(axis=0)
        equal = (columns == chance).sum(axis=0)
        return 100.0 * (below + 0.5 * equal) / max(self.n_drugs, 1)


def catalogue_smiles(catalogue: pd.DataFrame) -> list[str]:
    """The structures of the catalogue's drugs that have one, in catalogue order."""
    usable = catalogue["has_structure"].fillna(False).astype(bool) & (
        catalogue["smiles"].fillna("").astype(str) != ""
    )
    return catalogue.loc[usable, "smiles"].astype(str).tolist()


def catalogue_reference(predictor, catalogue: pd.DataFrame) -> CatalogueReference:
    """Predict every approved drug of ``catalogue`` with ``predictor`` (a
    :class:`sefreq.model.Predictor`) and keep the chances: minutes on a laptop for the
    4,000 drugs, so callers cache it per model."""
    wide = predictor.predict(catalogue_smiles(catalogue), format="wide")
    columns = [c for c in wide.columns if c.startswith("p_association:")]
    return CatalogueReference.from_chances(wide[columns].to_numpy(dtype=np.float32))


def reference_file(predictor, catalogue: pd.DataFrame, folder: Path | None = None) -> Path:
    """Where the reference of ``predictor``'s model over ``catalogue`` is cached: named by
    the model's weights and the catalogue's size, in ``folder`` (default: the cache folder,
    ``$SEFREQ_CACHE_DIR``), so the dashboard and ``sefreq report`` share one file."""
    weights = (predictor.card.weights_sha256 or "unknown")[:16]
    return (folder or cache_dir()) / f"catalogue_reference_{weights}_{len(catalogue)}.npz"


def cached_catalogue_reference(
    predictor, catalogue: pd.DataFrame, folder: Path | None = None
) -> CatalogueReference:
    """:func:`catalogue_reference`, computed once per model and catalogue and kept in the
    cache folder (:func:`reference_file`), verified against its sha256 at every read
    (:mod:`sefreq.data.cachefiles`): a damaged or missing file is rebuilt, never trusted."""
    path = reference_file(predictor, catalogue, folder)
    reference = read_verified(path, CatalogueReference.load)
    if reference is None:
        reference = catalogue_reference(predictor, catalogue)
        write_verified(path, reference.save)  # a read-only cache only costs time
    return reference


#: Columns :func:`stands_out` adds.
STANDOUT_COLUMNS = ("percentile", "ratio_to_average")


def stands_out(table: pd.DataFrame, reference: CatalogueReference | None) -> pd.DataFrame:
    """``table`` (rows with side_effect_index and p_reported_pct) with ``percentile`` (the
    share of approved drugs, 0-100, with a lower chance) and ``ratio_to_average`` (its
    chance over the drugs' average). NaN in both without a reference."""
    table = table.copy()
    if reference is None or table.empty:
        table["percentile"] = np.nan
        table["ratio_to_average"] = np.nan
        return table
    index = table["side_effect_index"].to_numpy(dtype=int)
    chance = table["p_reported_pct"].to_numpy(dtype=np.float32) / 100
    table["percentile"] = reference.percentile(index, chance)
    average = reference.mean_chance[index]
    table["ratio_to_average"] = np.where(average > 0, chance / np.maximum(average, 1e-9), np.nan)
    return table


#: How a profile can be ordered: the likeliest first, or what stands out first.
MOST_LIKELY, STANDS_OUT = "most likely", "stands out"


def order_profile(table: pd.DataFrame, by: str = MOST_LIKELY) -> pd.DataFrame:
    """``table`` ordered by chance (:data:`MOST_LIKELY`) or by percentile among the
    approved drugs, then chance (:data:`STANDS_OUT`); ``rank`` renumbered."""
    if by == STANDS_OUT and table["percentile"].notna().any():
        keys, ascending = ["percentile", "p_reported_pct"], [False, False]
    else:
        keys, ascending = ["p_reported_pct"], [False]
    ordered = table.sort_values(keys, ascending=ascending, kind="stable", na_position="last")
    ordered = ordered.reset_index(drop=True)
    if "rank" in ordered:
        ordered["rank"] = np.arange(1, len(ordered) + 1)
    return ordered


#: How many terms a report names as standing out among the approved drugs.
STANDOUT_ROWS = 10


def most_standing_out(table: pd.DataFrame, limit: int = STANDOUT_ROWS) -> pd.DataFrame:
    """The ``limit`` rows of ``table`` (with :func:`stands_out`'s columns) whose chance is
    highest compared with the approved drugs (percentile, then chance, descending); empty
    when ``table`` has no percentile (no reference)."""
    if table.empty or "percentile" not in table or table["percentile"].isna().all():
        return table.head(0)
    ordered = table.sort_values(
        ["percentile", "p_reported_pct"], ascending=False, kind="stable", na_position="last"
    )
    return ordered.drop_duplicates("side_effect_index").head(limit).reset_index(drop=True)
