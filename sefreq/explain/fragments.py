"""The fragments a reader is shown: Morgan environments ranked by how much they move an output.

:meth:`~sefreq.explain.Explanation.substructures` is the complete ledger (every set bit and
distinct environment, radius 0 included, rows summing to the atoms' total). A reader needs
less and clearer: :func:`ranked_fragments` keeps environments of radius
:data:`MIN_RADIUS` or more (a lone atom, ``[#6]``, says nothing about a structure and
cuts out as methane), merges every occurrence that shows the same fragment into one row
(different bits and atoms can give one fragment; a reader would see it listed twice), and
ranks the rows by absolute contribution, whatever their sign, so the atoms coloured
strongest in the picture are the ones at the top of the list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rdkit import Chem

from sefreq.explain.atoms import Environment, environment_smarts

#: Smallest environment radius shown: radius 0 is one atom, whatever its surroundings.
MIN_RADIUS = 1
#: Columns of :func:`ranked_fragments`, in order.
FRAGMENT_COLUMNS = (
    "side_effect",
    "output",
    "fragment",
    "smarts",
    "radius",
    "bits",
    "n_occurrences",
    "center",
    "atoms",
    "bonds",
    "centers",
    "all_atoms",
    "all_bonds",
    "direction",
    "contribution",
)


def fragment_smiles(mol: Chem.Mol, env: Environment) -> str:
    """Canonical SMILES of an environment cut out of ``mol`` (one string per fragment, so two
    occurrences of one fragment compare equal wherever they sit)."""
    if not env.bonds:
        return Chem.MolFragmentToSmiles(mol, atomsToUse=[env.center], canonical=True)
    return Chem.MolFragmentToSmiles(
        mol, atomsToUse=list(env.atoms), bondsToUse=list(env.bonds), canonical=True
    )


def ranked_fragments(
    explanation,
    side_effect: str | None = None,
    top: int | None = 5,
    min_radius: int = MIN_RADIUS,
) -> pd.DataFrame:
    """The ``top`` fragments of one side effect (default: the first), by |contribution|.

    One row per distinct fragment (canonical SMILES) of radius ``min_radius`` or more:
    ``contribution`` sums the attribution shares of all its occurrences (a bit's
    attribution split equally among the environments that set it, as
    :func:`~sefreq.explain.atoms.share_matrix` splits it), in output units (probability
    or frequency class); ``direction`` is ``raises`` or ``lowers``; ``center``, ``atoms``
    and ``bonds`` are those of its first occurrence, ``centers``, ``all_atoms`` and
    ``all_bonds`` those of every occurrence (what a drawing on the parent highlights);
    ``bits`` the fingerprint bits that carry it. ``top=None`` keeps every fragment.
    """
    side_effect = side_effect or explanation.side_effects[0]
    if side_effect not in explanation.side_effects:
        raise ValueError(f"{side_effect!r} is not explained here: {explanation.side_effects}")
    phi = explanation.attributions[explanation.side_effects.index(side_effect)]
    mol = explanation.mol
    by_fragment: dict[str, dict] = {}
    for bit, occurrences in explanation.bits.environments.items():
        share = float(phi[bit]) / len(occurrences)
        for env in occurrences:
            if env.radius < min_radius:
                continue
            key = fragment_smiles(mol, env)
            row = by_fragment.get(key)
            if row is None:
                row = by_fragment[key] = {
                    "fragment": key,
                    "smarts": environment_smarts(mol, env),
                    "radius": env.radius,
                    "bits": [],
                    "n_occurrences": 0,
                    "center": env.center,
                    "atoms": env.atoms,
                    "bonds": env.bonds,
                    "centers": [],
                    "all_atoms": set(),
                    "all_bonds": set(),
                    "contribution": 0.0,
                }
            if bit not in row["bits"]:
                row["bits"].append(bit)
            row["n_occurrences"] += 1
            row["centers"].append(env.center)
            row["all_atoms"].update(env.atoms)
            row["all_bonds"].update(env.bonds)
            row["contribution"] += share
    rows = [
        {
            **row,
            "side_effect": side_effect,
            "output": explanation.output,
            "bits": tuple(row["bits"]),
            "centers": tuple(row["centers"]),
            "all_atoms": tuple(sorted(row["all_atoms"])),
            "all_bonds": tuple(sorted(row["all_bonds"])),
            "direction": "raises" if row["contribution"] > 0 else "lowers",
        }
        for row in by_fragment.values()
        if row["contribution"] != 0.0
    ]
    table = pd.DataFrame(rows, columns=list(FRAGMENT_COLUMNS))
    if table.empty:
        return table
    magnitude = -np.abs(table["contribution"].to_numpy())
    table = table.iloc[np.argsort(magnitude, kind="stable")].reset_index(drop=True)
    return table if top is None else table.head(top)
