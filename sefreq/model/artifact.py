"""Where the model bundle is, and what its card says (no torch here).

One resolver for the CLI, :class:`~sefreq.model.predictor.Predictor`, the explainer and
the dashboard: ``SEFREQ_MODEL_DIR`` when set, else the bundle shipped inside the package
(``sefreq.bundled``, package data found through :mod:`importlib.resources`; in a source
checkout it is the top-level ``models/`` folder).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import MISSING, dataclass, fields
from importlib import resources
from pathlib import Path

#: Environment variable naming a bundle directory to use instead of the shipped one.
MODEL_DIR_ENV = "SEFREQ_MODEL_DIR"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "card.json"
#: The package whose data files are the shipped bundle.
BUNDLED_PACKAGE = "sefreq.bundled"
EVALUATION_FILE = "evaluation.json"
#: sha256 of every file of the bundle, and the bundle's format: checked at every load.
MANIFEST_FILE = "manifest.json"
#: Version of the bundle's layout (files, tensor names, card keys). 2: the manifest.
BUNDLE_FORMAT = 2
#: The files a manifest must list; any other .json or .safetensors file beside them must
#: be listed too (the evaluation, when there is one).
REQUIRED_FILES = (CARD_FILE, WEIGHTS_FILE)


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
    """The card of the bundle in ``directory``, once every file of it is checked against
    the manifest (its sha256) and the card against :class:`ModelCard`; the model is not
    built (no torch). ``SEFreqEnsemble.load`` checks with it first, and a screening run
    once before its workers load the bundle. Raises :class:`BundleIntegrityError` (one
    line, what to do) for anything else: a changed byte in any file, a file missing or
    unlisted, a malformed card, another bundle format."""
    directory = Path(directory)
    card_path, weights_path = directory / CARD_FILE, directory / WEIGHTS_FILE
    if card_path.is_file() and not weights_path.is_file():
        raise BundleIntegrityError(f"the bundle in {directory} has no {WEIGHTS_FILE}; {_REINSTALL}")
    if not card_path.is_file():
        raise FileNotFoundError(
            f"no SEFreq bundle in {directory} (expected {CARD_FILE} and {WEIGHTS_FILE}); "
            "train one with `sefreq train --out DIR`"
        )
    if not (directory / MANIFEST_FILE).is_file():
        found = _read_json(card_path).get("bundle_format")
        raise BundleIntegrityError(
            f"the bundle in {directory} has no {MANIFEST_FILE} (its card says format "
            f"{found!r}; this SEFreq reads format {BUNDLE_FORMAT}, whose manifest lists the "
            f"sha256 of every file); {_REINSTALL}"
        )
    manifest = _read_json(directory / MANIFEST_FILE)
    if manifest.get("bundle_format") != BUNDLE_FORMAT:
        raise BundleIntegrityError(
            f"the bundle in {directory} has format {manifest.get('bundle_format')!r}; this "
            f"SEFreq reads format {BUNDLE_FORMAT}. Install the SEFreq that made it, or "
            "retrain with `sefreq train --out DIR`"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise BundleIntegrityError(f"{directory / MANIFEST_FILE} lists no files; {_REINSTALL}")
    present = {p.name for p in directory.iterdir() if p.suffix in (".json", ".safetensors")}
    unlisted = sorted(present - set(files) - {MANIFEST_FILE})
    missing = sorted(set(REQUIRED_FILES) - set(files)) + sorted(
        n for n in files if n not in present
    )
    if unlisted or missing:
        raise BundleIntegrityError(
            f"the bundle in {directory} does not match its manifest (missing: "
            f"{', '.join(missing) or 'none'}; not listed: {', '.join(unlisted) or 'none'}); "
            f"{_REINSTALL}"
        )
    for name, expected in sorted(files.items()):
        _check_sha256(directory / name, expected)
    card = _read_json(card_path)
    ModelCard.parse(card, card_path)
    return card


def write_manifest(directory: str | Path) -> Path:
    """(Re)write ``directory``'s manifest: the sha256 of its card, weights and every other
    .json file. Whatever changes a bundle file (training, ``sefreq bench confidence --out``
    into the bundle) calls this last."""
    directory = Path(directory)
    names = sorted(
        p.name
        for p in directory.iterdir()
        if p.suffix in (".json", ".safetensors") and p.name != MANIFEST_FILE
    )
    manifest = {
        "bundle_format": BUNDLE_FORMAT,
        "files": {name: file_sha256(directory / name) for name in names},
    }
    path = directory / MANIFEST_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(tmp, path)
    return path


_REINSTALL = "reinstall SEFreq, or retrain the model with `sefreq train --out DIR`"


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleIntegrityError(f"{path} is not readable JSON ({error}); {_REINSTALL}") from None
    if not isinstance(value, dict):
        raise BundleIntegrityError(f"{path} is not a JSON object; {_REINSTALL}")
    return value


def _check_sha256(path: Path, expected: str) -> None:
    actual = file_sha256(path)
    if actual != expected:
        raise BundleIntegrityError(
            f"{path} does not match the sha256 its manifest records (corrupted, truncated or "
            f"changed: {actual[:12]}... instead of {expected[:12]}...); {_REINSTALL}"
        )


@dataclass(frozen=True)
class ModelCard:
    """What a bundle's card must hold for the model to be rebuilt, each value typed and in
    range; :meth:`parse` turns any malformed card into one :class:`BundleIntegrityError`
    naming the key. (The card's other keys, the training record, are free text for people.)
    """

    network: dict
    n_members: int
    n_fingerprint_bits: int
    knn_k: int
    temperature: float
    conformal_threshold: float
    ad_threshold: float
    reference_drugs: list
    side_effects: list
    weights_sha256: str
    descriptors: list
    mechanism_weight: float = 0.0
    mechanism_weight_known: float = 0.0

    @classmethod
    def parse(cls, card: dict, path: Path | str = CARD_FILE) -> ModelCard:
        def fail(key: str, why: str) -> BundleIntegrityError:
            return BundleIntegrityError(f"{path}: {key!r} {why}; {_REINSTALL}")

        values = {}
        for spec in fields(cls):
            if spec.name not in card:
                if spec.default is not MISSING:
                    continue
                raise fail(spec.name, "is missing")
            value = card[spec.name]
            kind = {"int": int, "float": float, "dict": dict, "list": list, "str": str}[spec.type]
            if kind is float and type(value) is int:
                value = float(value)
            if type(value) is not kind:
                raise fail(spec.name, f"must be a {spec.type}, not {type(value).__name__}")
            values[spec.name] = value
        parsed = cls(**values)
        for key in ("n_members", "n_fingerprint_bits", "knn_k"):
            if getattr(parsed, key) < 1:
                raise fail(key, "must be at least 1")
        for key in ("temperature", "conformal_threshold", "ad_threshold", "mechanism_weight",
                    "mechanism_weight_known"):  # fmt: skip
            if not math.isfinite(getattr(parsed, key)):
                raise fail(key, "must be a finite number")
        if not 0.05 <= parsed.temperature <= 20:
            raise fail("temperature", f"is {parsed.temperature}, outside 0.05-20")
        for key in ("reference_drugs", "side_effects", "descriptors"):
            if not all(isinstance(v, str) for v in getattr(parsed, key)):
                raise fail(key, "must list names")
        n_side_effects = parsed.network.get("n_side_effects")
        if n_side_effects != len(parsed.side_effects):
            raise fail(
                "side_effects", f"lists {len(parsed.side_effects)}, the network {n_side_effects}"
            )
        return parsed
