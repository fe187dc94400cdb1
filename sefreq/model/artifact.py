"""Where the model bundle is, and what its card says (no torch here).

One resolver for the CLI, :class:`~sefreq.model.predictor.Predictor`, the explainer and
the dashboard: ``SEFREQ_MODEL_DIR`` when set, else the bundle shipped inside the package
(``sefreq.bundled``, package data found through :mod:`importlib.resources`; in a source
checkout it is the top-level ``models/`` folder).
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

#: Environment variable naming a bundle directory to use instead of the shipped one.
MODEL_DIR_ENV = "SEFREQ_MODEL_DIR"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "card.json"
#: The package whose data files are the shipped bundle.
BUNDLED_PACKAGE = "sefreq.bundled"


class BundleIntegrityError(ValueError):
    """A bundle file is corrupted, truncated or changed: it is refused, never half-used."""


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_dir() -> Path:
    """The directory of the model shipped with the package."""
    return Path(str(resources.files(BUNDLED_PACKAGE)))


def model_dir() -> Path:
    """The bundle to use: ``$SEFREQ_MODEL_DIR`` if set, else :func:`bundled_model_dir`."""
    override = os.environ.get(MODEL_DIR_ENV)
    return Path(override).expanduser() if override else bundled_model_dir()


def model_version(card: dict) -> str:
    """The version a bundle card names (older cards said ``version``), or ``"unknown"``."""
    return str(card.get("model_version") or card.get("version") or "unknown")
