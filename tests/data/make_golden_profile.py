"""Regenerate ``golden_profile.parquet``: the shipped model's profile of a few molecules.

``tests/unit/model/test_golden_profile.py`` compares the bundled model's predictions with this
file to 1e-6, so a refactor that changes what users get fails loudly. Rerun only when the
shipped model is retrained on purpose::

    python tests/data/make_golden_profile.py
"""

from __future__ import annotations

from pathlib import Path

#: Known drugs, a salt (goes through standardisation), a molecule nobody has seen, and one
#: that cannot be read (an error row).
MOLECULES = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "sodium_benzoate": "[Na+].[O-]C(=O)c1ccccc1",
    "new_amide": "O=C(Nc1ccc(F)cc1)C1CCN(Cc2ccccn2)CC1",
    "unreadable": "C1CC(",
}
GOLDEN = Path(__file__).with_name("golden_profile.parquet")


def profile():
    """The bundled model's long table for :data:`MOLECULES` (plain dtypes, for parquet)."""
    from sefreq import Predictor

    table = Predictor.from_bundled().predict(list(MOLECULES.values()), ids=list(MOLECULES))
    for column in table.columns:
        if isinstance(table[column].dtype, __import__("pandas").CategoricalDtype):
            table[column] = table[column].astype(str)
    table["error"] = table["error"].astype(str)
    return table


if __name__ == "__main__":
    profile().to_parquet(GOLDEN, index=False)
    print(f"wrote {GOLDEN}")
