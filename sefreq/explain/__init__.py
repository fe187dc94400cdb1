"""SHAP attributions of predicted side effects, drawn on atoms and substructures.

>>> from sefreq.explain import explain, draw_explanation, ranked_fragments, structure_notes
>>> explanation = explain("CC(=O)Oc1ccccc1C(=O)O", ["nausea", "headache"])
>>> explanation.atoms()            # per-atom contributions
>>> explanation.substructures()    # per Morgan environment (SMARTS)
>>> explanation.non_structural()   # descriptors, similarity prior, absent bits
>>> ranked_fragments(explanation)  # what a reader is shown: radius >= 1, by |contribution|
>>> structure_notes(explanation)   # a sentence per side effect: how far the atoms move it
>>> svg = draw_explanation(explanation)

Sits above :mod:`sefreq.model`: :mod:`~sefreq.explain.adapter` wraps the network's own
encoders (never a copy of its forward pass), restricted to the side effects asked for.
"""

from __future__ import annotations

# Imported on first use (PEP 562): the explainer pulls in torch and SHAP, and `sefreq`'s
# command line imports this package to register `sefreq explain` for every command.
_SOURCES = {
    "sefreq.explain._core": (
        "ADDITIVITY_TOLERANCE",
        "EXPLAIN_TIME_LIMIT_S",
        "Explainer",
        "ExplainInputError",
        "ExplainTimeoutError",
        "Explanation",
        "UnknownSideEffectError",
        "background_inputs",
        "default_explainer",
        "explain",
        "resolve_side_effects",
    ),
    "sefreq.explain.atoms": ("bit_map", "share_matrix"),
    "sefreq.explain.mechanism": (
        "MechanismEvidence",
        "MechanismExplanation",
        "drug_proteins",
        "explain_mechanism",
    ),
    "sefreq.explain.fragments": ("MIN_RADIUS", "fragment_smiles", "ranked_fragments"),
    "sefreq.explain.readout": (
        "SMALL_STRUCTURE_EFFECT",
        "scale_note",
        "scale_text",
        "structure_notes",
    ),
    "sefreq.explain.drawing": (
        "draw_atom_contributions",
        "draw_explanation",
        "output_legend",
        "save_drawing",
        "substructure_image",
        "top_substructures",
    ),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'sefreq.explain' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = sorted(_MODULE_OF)
