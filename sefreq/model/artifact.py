"""Where the model bundle is, and what its card says (no torch here).

One resolver for the CLI, :class:`~sefreq.model.predictor.Predictor`, the explainer and
the dashboard: ``SEFREQ_MODEL_DIR`` when set, else the bundle shipped inside the package
(``sefreq.bundled``, package data found through :mod:`importlib.resources`; in a source
checkout it is the top-level ``models/`` folder).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

#: Environment variable naming a bundle directory to use instead of the shipped one.
MODEL_DIR_ENV = "SEFREQ_MODEL_DIR"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "card.json"
#: The package whose data files are the shipped bundle.
BUNDLED_PACKAGE = "sefreq.bundled"
#: Version of the bundle's layout (files, tensor names, card keys).
BUNDLE_FORMAT = 1


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


def check_bundle(directory: str | Path) -> dict:
    """The card of the bundle in ``directory``, once its files, format and the weights'
    sha256 are checked; the model is not built (no torch). ``SEFreqEnsemble.load`` checks
    with it first, and a screening run once before its workers load the bundle."""
    directory = Path(directory)
    card_path, weights_path = directory / CARD_FILE, directory / WEIGHTS_FILE
    if not card_path.is_file() or not weights_path.is_file():
        raise FileNotFoundError(
            f"no SEFreq bundle in {directory} (expected {CARD_FILE} and {WEIGHTS_FILE}); "
            "train one with `sefreq train --out DIR`"
        )
    card = _read_card(card_path)
    if card.get("bundle_format") != BUNDLE_FORMAT:
        raise ValueError(f"bundle format {card.get('bundle_format')} is not {BUNDLE_FORMAT}")
    _check_weights(weights_path, card.get("weights_sha256"))
    return card


_REINSTALL = "reinstall SEFreq, or retrain the model with `sefreq train --out DIR`"


def _read_card(path: Path) -> dict:
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleIntegrityError(
            f"{path} is not a readable model card ({error}); {_REINSTALL}"
        ) from None
    if not isinstance(card, dict):
        raise BundleIntegrityError(f"{path} is not a model card; {_REINSTALL}")
    return card


def _check_weights(path: Path, expected_sha256: str | None) -> None:
    """Raise unless the weights' sha256 is the one the card records."""
    if not expected_sha256:
        raise BundleIntegrityError(
            f"the card beside {path.name} records no sha256 of the weights, so they cannot be "
            f"checked; {_REINSTALL}"
        )
    actual = file_sha256(path)
    if actual != expected_sha256:
        raise BundleIntegrityError(
            f"{path} does not match the sha256 its card records (corrupted, truncated or "
            f"changed: {actual[:12]}... instead of {expected_sha256[:12]}...); {_REINSTALL}"
        )
