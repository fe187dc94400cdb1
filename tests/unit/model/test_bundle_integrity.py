"""A bundle file that is corrupted, truncated, tampered with or not what it claims is refused
with a clear error, before anything is predicted from it; loading never unpickles."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import pytest

from sefreq.cli import main
from sefreq.model.artifact import (
    CARD_FILE,
    EVALUATION_FILE,
    MANIFEST_FILE,
    WEIGHTS_FILE,
    BundleIntegrityError,
    ModelCard,
    check_bundle,
    file_sha256,
    write_manifest,
)
from sefreq.model.bundle import SEFreqEnsemble
from sefreq.model.predictor import Predictor
from tests.support import ROOT

PACKAGE = ROOT / "sefreq"


@pytest.fixture(scope="module")
def saved(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture
def bundle(saved, tmp_path) -> Path:
    """A fresh copy of the saved bundle for one test to damage."""
    return Path(shutil.copytree(saved, tmp_path / "bundle"))


def test_the_card_records_the_weights_sum_and_a_good_bundle_loads(bundle):
    card = json.loads((bundle / CARD_FILE).read_text())
    assert card["weights_sha256"] == file_sha256(bundle / WEIGHTS_FILE)
    assert len(Predictor.from_directory(bundle).predict("CCO")) > 1


def test_the_shipped_card_records_the_shipped_weights():
    from sefreq.model.artifact import bundled_model_dir

    card = json.loads((bundled_model_dir() / CARD_FILE).read_text())
    assert card["weights_sha256"] == file_sha256(bundled_model_dir() / WEIGHTS_FILE)
    parsed = check_bundle(bundled_model_dir())  # its manifest lists every file
    assert parsed.weights_sha256 == card["weights_sha256"]
    assert parsed.mechanism is not None and parsed.mechanism.vocabulary
    # The typed card writes back the very JSON it was read from.
    text = (bundled_model_dir() / CARD_FILE).read_text()
    assert json.dumps(parsed.to_dict(), indent=1) == text
    assert ModelCard.parse(parsed.to_dict()) == parsed


def test_a_flipped_byte_is_refused(bundle):
    weights = bundle / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit inside a tensor: still a valid safetensors file
    weights.write_bytes(bytes(data))
    with pytest.raises(BundleIntegrityError, match="does not match the sha256"):
        SEFreqEnsemble.load(bundle)


def test_screening_with_workers_refuses_a_broken_bundle_before_any_worker(bundle, tmp_path):
    """With workers the parent only checks the bundle (check_bundle): the check
    must refuse what loading refuses, with the same message, before a part is written."""
    from sefreq.screen.run import screen

    assert check_bundle(bundle).weights_sha256 == file_sha256(bundle / WEIGHTS_FILE)
    weights = bundle / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    library = tmp_path / "library.smi"
    library.write_text("".join(f"{s} m{i}\n" for i, s in enumerate(["CCO", "c1ccccc1O"] * 3)))
    out = tmp_path / "out.parquet"
    with pytest.raises(BundleIntegrityError, match="does not match the sha256"):
        screen(library, out, model_dir=bundle, chunk_size=2, jobs=2, progress=False)
    assert not out.exists() and not list(tmp_path.glob(".out.parquet.parts/part-*"))


def test_a_truncated_file_is_refused(bundle):
    weights = bundle / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    with pytest.raises(BundleIntegrityError, match="corrupted, truncated or changed"):
        SEFreqEnsemble.load(bundle)


def test_a_pickle_in_place_of_the_weights_is_refused_unread(bundle, monkeypatch):
    (bundle / WEIGHTS_FILE).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))

    def no_unpickling(*args, **kwargs):
        raise AssertionError("the loader tried to unpickle")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    with pytest.raises(BundleIntegrityError):
        SEFreqEnsemble.load(bundle)


def _edit(path: Path, change, manifest: bool = True) -> None:
    """Change a JSON file of the bundle; with ``manifest``, as a deliberate edit would (the
    manifest rewritten), so only the card's own validation can refuse it."""
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value))
    if manifest:
        write_manifest(path.parent)


def test_every_file_is_checked_against_the_manifest(bundle):
    # #25: temperature 0.92 -> 0.12 in the card moved a p_association from 0.60 to 0.95.
    _edit(bundle / CARD_FILE, lambda c: c.update(temperature=0.12), manifest=False)
    with pytest.raises(BundleIntegrityError, match=r"card\.json does not match the sha256"):
        SEFreqEnsemble.load(bundle)


def test_an_evaluation_changed_or_added_unlisted_is_refused(bundle):
    (bundle / EVALUATION_FILE).write_text('{"mean": {}}')
    with pytest.raises(BundleIntegrityError, match=r"not listed: evaluation\.json"):
        check_bundle(bundle)
    write_manifest(bundle)
    check_bundle(bundle)
    (bundle / EVALUATION_FILE).write_text('{"mean": {"auroc": 0.99}}')
    with pytest.raises(BundleIntegrityError, match=r"evaluation\.json does not match"):
        check_bundle(bundle)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(temperature="0.92"), "'temperature' must be a float, not str"),
        (lambda c: c.update(temperature=0.0), "'temperature' is 0.0, outside"),
        (lambda c: c.update(n_members=0), "'n_members' must be at least 1"),
        (lambda c: c.update(n_members=2.5), "'n_members' must be a int"),
        (lambda c: c.pop("knn_k"), "'knn_k' is missing"),
        (lambda c: c.update(side_effects=c["side_effects"][:-1]), "'side_effects' lists"),
        (lambda c: c.update(reference_drugs=[1, 2]), "'reference_drugs' must list names"),
        (lambda c: c.update(network=[]), "'network' must be a dict"),
        (lambda c: c.update(ad_threshold=float("nan")), "'ad_threshold' must be a finite"),
    ],
)
def test_a_malformed_card_is_one_clear_error(bundle, change, message):
    _edit(bundle / CARD_FILE, change)
    with pytest.raises(BundleIntegrityError, match=re.escape(message)):
        SEFreqEnsemble.load(bundle)


def test_another_bundle_format_or_no_manifest_is_refused(bundle):
    _edit(bundle / MANIFEST_FILE, lambda m: m.update(bundle_format=3), manifest=False)
    with pytest.raises(BundleIntegrityError, match="has format 3; this SEFreq reads format 2"):
        check_bundle(bundle)
    (bundle / MANIFEST_FILE).unlink()  # a bundle of format 1, made before manifests
    with pytest.raises(BundleIntegrityError, match="has no manifest"):
        check_bundle(bundle)
    (bundle / MANIFEST_FILE).write_text('{"bundle_format": 2, "files": ')
    with pytest.raises(BundleIntegrityError, match="not readable JSON"):
        check_bundle(bundle)


def test_a_missing_weights_file_is_an_error_line(bundle, tmp_path, capsys):
    (bundle / WEIGHTS_FILE).unlink()
    molecules = tmp_path / "in.smi"
    molecules.write_text("CCO\n")
    code = main(["predict", str(molecules), "--model", str(bundle), "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and f"has no {WEIGHTS_FILE}" in err and "Traceback" not in err


def test_the_cli_says_so_without_a_traceback(bundle, tmp_path, capsys):
    weights = bundle / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:100])
    molecules = tmp_path / "in.smi"
    molecules.write_text("CCO\n")
    code = main(["predict", str(molecules), "--model", str(bundle), "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    assert "sefreq train" in err


def test_no_torch_load_without_weights_only_and_no_pickle_in_the_library():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            if "weights_only=True" not in call:
                offenders.append(f"{path.name}: {call}")
        if re.search(r"^\s*import pickle|allow_pickle=True|pd\.read_pickle", text, re.M):
            offenders.append(f"{path.name}: pickle")
    assert offenders == []
