"""SEFreq: how often does this drug, or this molecule, cause each side effect, and why."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sefreq")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

from sefreq.data import DataMissingError, load_dataset

__all__ = ["DataMissingError", "__version__", "load_dataset"]
