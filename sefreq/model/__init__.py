"""Torch modules, training, the bundled artifact and the Predictor.

Heavy imports (torch) happen in the submodules; import what you need from them, e.g.
``from sefreq.model.predictor import Predictor``.
"""

from __future__ import annotations

__all__ = ["Predictor"]


def __getattr__(name: str):
    if name == "Predictor":
        from sefreq.model.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'sefreq.model' has no attribute {name!r}")
