"""SEFreq: how often does this drug, or this molecule, cause each side effect, and why."""

from __future__ import annotations

from sefreq.constants import __version__
from sefreq.data import DataMissingError, load_dataset

__all__ = ["DataMissingError", "Predictor", "__version__", "load_dataset"]


def __getattr__(name: str):
    # Predictor pulls in torch; import it only when asked for.
    if name == "Predictor":
        from sefreq.model.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'sefreq' has no attribute {name!r}")
