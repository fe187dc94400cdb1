"""SHAP attributions of predicted side effects, drawn on atoms and substructures.

>>> from sefreq.explain import explain, draw_explanation
>>> explanation = explain("CC(=O)Oc1ccccc1C(=O)O", ["nausea", "headache"])
>>> explanation.atoms()            # per-atom contributions
>>> explanation.substructures()    # per Morgan environment (SMARTS)
>>> explanation.non_structural()   # descriptors, similarity prior, absent bits
>>> svg = draw_explanation(explanation)

Sits above :mod:`sefreq.model`: :mod:`~sefreq.explain.adapter` wraps the network's own
encoders (never a copy of its forward pass), restricted to the side effects asked for.
"""

from __future__ import annotations

from sefreq.explain._core import (
    ADDITIVITY_TOLERANCE,
    EXPLAIN_TIME_LIMIT_S,
    Explainer,
    ExplainInputError,
    ExplainTimeoutError,
    Explanation,
    UnknownSideEffectError,
    background_inputs,
    default_explainer,
    explain,
    resolve_side_effects,
)
from sefreq.explain.atoms import bit_map, share_matrix
from sefreq.explain.drawing import (
    draw_atom_contributions,
    draw_explanation,
    save_drawing,
    substructure_image,
    top_substructures,
)

__all__ = [
    "ADDITIVITY_TOLERANCE",
    "EXPLAIN_TIME_LIMIT_S",
    "ExplainInputError",
    "ExplainTimeoutError",
    "Explainer",
    "Explanation",
    "UnknownSideEffectError",
    "background_inputs",
    "bit_map",
    "default_explainer",
    "draw_atom_contributions",
    "draw_explanation",
    "explain",
    "resolve_side_effects",
    "save_drawing",
    "share_matrix",
    "substructure_image",
    "top_substructures",
]
