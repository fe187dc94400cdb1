"""SEFreq: how often does this drug, or this molecule, cause each side effect, and why."""

from __future__ import annotations

from sefreq.constants import __version__
from sefreq.data import DataMissingError, load_dataset

__all__ = [
    "DataMissingError",
    "Predictor",
    "__version__",
    "drugs_reporting",
    "load_dataset",
    "match_symptom",
    "which",
]


def __getattr__(name: str):
    # Predictor pulls in torch; import it only when asked for.
    if name == "Predictor":
        from sefreq.model.predictor import Predictor

        return Predictor
    # The medication-list question (sefreq.present.which); the model loads on first use.
    if name == "which":
        from sefreq.present.which import which_drugs

        return which_drugs
    if name == "drugs_reporting":
        from sefreq.present.which import drugs_reporting

        return drugs_reporting
    if name == "match_symptom":
        from sefreq.present.symptoms import match_symptom

        return match_symptom
    raise AttributeError(f"module 'sefreq' has no attribute {name!r}")
