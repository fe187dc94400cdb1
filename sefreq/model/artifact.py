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
from dataclasses import MISSING, asdict, dataclass, field, fields
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


def check_bundle(directory: str | Path) -> ModelCard:
    """The typed card of the bundle in ``directory``, once every file of it is checked against
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
    return ModelCard.parse(_read_json(card_path), card_path)


def held_out_evaluation(directory: str | Path) -> dict:
    """The bundle's held-out figures (``evaluation.json``, written by ``sefreq bench
    confidence`` and checked by :func:`check_bundle` with the rest), or ``{}`` where it has
    none. The card's ``benchmark`` block is this file as it was when the model was trained;
    a later measurement of the same model is only here."""
    path = Path(directory) / EVALUATION_FILE
    if not path.is_file():
        return {}
    figures = _read_json(path)
    return figures if isinstance(figures, dict) else {}


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
class MechanismCard:
    """The card's ``mechanism`` block: the mechanism view's outputs (UniProt ids, then ATC
    classes) and the compounds whose known profile is stored (first InChIKey blocks)."""

    vocabulary: list[str]
    known_skeletons: list[str]
    # The known compounds' heavy formulas, sorted (a prefilter before their InChIKeys;
    # absent before 2.0.1)
    known_formulas: list[str] | None = None


#: Card keys a model cannot be rebuilt without (:meth:`ModelCard.parse` refuses a card
#: lacking one); every other field has the default an older card meant by its absence.
REQUIRED_CARD_KEYS = (
    "network",
    "n_members",
    "n_fingerprint_bits",
    "knn_k",
    "temperature",
    "conformal_threshold",
    "ad_threshold",
    "reference_drugs",
    "side_effects",
    "weights_sha256",
    "descriptors",
)


@dataclass(frozen=True)
class ModelCard:
    """A bundle's ``card.json``, typed: what the model is rebuilt from (each value typed
    and, through :meth:`parse`, in range) and the training record people read.

    :meth:`parse` turns any malformed card into one :class:`BundleIntegrityError` naming
    the key. :attr:`record` keeps every key of the card as read (or as training wrote it),
    in its order: :meth:`to_dict` starts from it, so a card read and written again is the
    same JSON. Blocks that stay free-form mappings (their keys are figures for people, not
    read by code): ``network`` (:meth:`NetworkConfig.from_dict`), ``prior_smoothing``,
    ``data_sha256``, ``calibration`` and ``benchmark``; the rest of the training record
    (``training``, ``training_log``, ``applicability_domain``...) is in :attr:`record` only.
    """

    # -- what the model is rebuilt from
    network: dict = field(default_factory=dict)  # NetworkConfig.to_dict()
    n_members: int = 0
    n_fingerprint_bits: int = 0
    knn_k: int = 0
    temperature: float = 1.0
    conformal_threshold: float = 1.0
    ad_threshold: float = 0.0
    reference_drugs: list = field(default_factory=list)  # names, the bundle's row order
    side_effects: list = field(default_factory=list)  # names, Galeano order
    weights_sha256: str = ""
    descriptors: list = field(default_factory=list)  # RDKit descriptor names, in order
    mechanism_weight: float = 0.0
    mechanism_weight_known: float = 0.0
    knn_power: float = 2.0
    knn_similarity: str = "morgan"
    knn_frequency_k: int | None = None
    knn_frequency_power: float | None = None
    # {"association": {"alpha", "gamma", "m"}, "frequency": {...}}; None: the kNN prior
    prior_smoothing: dict | None = None
    mechanism: MechanismCard | None = None  # None: no mechanism view
    # -- the training record
    name: str = "sefreq"
    model_version: str | None = None  # None: see :attr:`version`
    sefreq_version: str = ""
    n_training_drugs: int | None = None
    n_validation_drugs: int | None = None
    side_effect_organ_classes: list | None = None  # per side effect, its organ classes
    licence: str = ""
    data_sha256: dict = field(default_factory=dict)  # upstream file -> sha256
    # sefreq.model.confidence.calibrate: temperature, ECE before/after, conformal figures
    calibration: dict = field(default_factory=dict)
    # held-out figures of ``sefreq bench confidence`` (recipe._benchmark_figures): protocol,
    # variant, mean (metric -> value), pooled ECE and conformal figures
    benchmark: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def version(self) -> str:
        """The model version the card names (older cards said ``version``), or "unknown"."""
        return str(self.model_version or self.record.get("version") or "unknown")

    @classmethod
    def parse(cls, card: dict, path: Path | str = CARD_FILE) -> ModelCard:
        """The card of a bundle, checked: every key of :data:`REQUIRED_CARD_KEYS` there,
        every known key typed, the settings in range."""

        def fail(key: str, why: str) -> BundleIntegrityError:
            return BundleIntegrityError(f"{path}: {key!r} {why}; {_REINSTALL}")

        for key in REQUIRED_CARD_KEYS:
            if key not in card:
                raise fail(key, "is missing")
        parsed = cls._build(card, fail)
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

    @classmethod
    def _build(cls, card: dict, fail) -> ModelCard:
        """The typed card of ``card`` (types checked, ranges not)."""
        values: dict = {"record": dict(card)}
        for spec in fields(cls):
            if spec.name == "record" or spec.name not in card:
                continue
            value = card[spec.name]
            kinds = [_CARD_KINDS[k.strip()] for k in str(spec.type).split("|")]
            if value is None and None in kinds:
                values[spec.name] = None
                continue
            if spec.name == "mechanism":
                if not value:  # an empty block: no view
                    values[spec.name] = None
                    continue
                if not isinstance(value, dict) or not all(
                    isinstance(value.get(k), list) for k in ("vocabulary", "known_skeletons")
                ):
                    raise fail(spec.name, "must hold a vocabulary and known_skeletons")
                formulas = value.get("known_formulas")
                if formulas is not None and not isinstance(formulas, list):
                    raise fail(spec.name, "known_formulas must be a list")
                values[spec.name] = MechanismCard(
                    value["vocabulary"], value["known_skeletons"], formulas
                )
                continue
            if float in kinds and type(value) is int:
                value = float(value)
            if type(value) not in kinds:
                raise fail(spec.name, f"must be a {spec.type}, not {type(value).__name__}")
            values[spec.name] = value
        return cls(**values)

    def updated(self, **values) -> ModelCard:
        """This card with ``values`` set (new keys after the old ones, as ``dict.update``);
        types checked, ranges not (a card in the making)."""

        def fail(key: str, why: str) -> TypeError:
            return TypeError(f"model card: {key!r} {why}")

        return ModelCard._build({**self.to_dict(), **values}, fail)

    def to_dict(self) -> dict:
        """The card as JSON values: :attr:`record` in its order, each typed field over it
        where it differs (a field at its default is written only when the record has it)."""
        out = dict(self.record)
        for spec in fields(self):
            if spec.name == "record":
                continue
            value = getattr(self, spec.name)
            if isinstance(value, MechanismCard):  # known_formulas only where the card has them
                value = {k: v for k, v in asdict(value).items() if v is not None}
            if spec.name in out:
                if out[spec.name] != value:
                    out[spec.name] = value
            elif value != _default(spec):
                out[spec.name] = value
        return out


_CARD_KINDS = {
    "int": int,
    "float": float,
    "dict": dict,
    "list": list,
    "str": str,
    "None": None,
    "MechanismCard": dict,
}


def _default(spec):
    return spec.default_factory() if spec.default_factory is not MISSING else spec.default
