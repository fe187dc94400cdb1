"""A hand-made :class:`~sefreq.data.dataset.Dataset` of a few rows, in the schema the build
makes: the columns a test gives, and every other column :data:`COLUMNS` names filled with
an empty value (``False`` for a flag), so that it passes :meth:`Dataset.validate` as any
dataset must. For tests of the dataset's own plumbing (the cache) and of pages that only
count; everything else runs on the tiny world (:mod:`tests.support.tiny_world`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sefreq.data.dataset import BOOL_COLUMNS, COLUMNS, Dataset

_FLAGS = frozenset(BOOL_COLUMNS)


def complete(name: str, table: pd.DataFrame | None, n_rows: int = 0) -> pd.DataFrame:
    """``table`` (or ``n_rows`` empty rows) with every column of :data:`COLUMNS` [name]."""
    table = pd.DataFrame(index=range(n_rows)) if table is None else table.copy()
    for column in COLUMNS[name]:
        if column not in table.columns:
            flag = (name, column) in _FLAGS
            table[column] = pd.Series(
                False if flag else None, index=table.index, dtype=bool if flag else object
            )
    return table


def toy_dataset(
    frequency: np.ndarray,
    drugs: pd.DataFrame,
    side_effects: pd.DataFrame,
    **tables: pd.DataFrame,
) -> Dataset:
    """A :class:`Dataset` of ``frequency`` (n_drugs, n_side_effects) uint8 over ``drugs``
    and ``side_effects``; ``tables`` gives any other table (names, labels, pairs, ...)."""
    side_effects = complete("side_effects", side_effects)
    for column in ("organ_classes", "group_terms"):
        side_effects[column] = [
            list(items) if isinstance(items, (list, tuple)) else []
            for items in side_effects[column]
        ]
    catalogue = tables.pop("catalogue", None)
    if catalogue is None:
        catalogue = drugs[[c for c in drugs.columns if c in COLUMNS["catalogue"]]].assign(
            source="sider", in_sider=True
        )
    return Dataset(
        frequency=np.asarray(frequency, dtype=np.uint8),
        drugs=complete("drugs", drugs),
        side_effects=side_effects,
        organ_class_names=sorted({c for items in side_effects["organ_classes"] for c in items}),
        group_term_names=sorted({c for items in side_effects["group_terms"] for c in items}),
        side_effect_similarity=np.eye(len(side_effects), dtype=np.float32),
        catalogue=complete("catalogue", catalogue),
        **{
            name: complete(name, tables.get(name))
            for name in COLUMNS
            if name not in ("drugs", "side_effects", "catalogue")
        },
    )
