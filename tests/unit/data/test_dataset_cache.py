"""The on-disk cache round-trips a dataset exactly; missing data says how to fix it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sefreq.data import cache as cache_module
from sefreq.data.cache import load_dataset
from sefreq.data.dataset import Dataset
from sefreq.data.registry import REGISTRY, DataMissingError
from tests.support.toy_dataset import toy_dataset


def _tiny_dataset() -> Dataset:
    drugs = pd.DataFrame(
        {
            "name": ["aspirin", "albumin"],
            "pubchem_cid": [2244, 6432],
            "pubchem_cid_flat": pd.array([2244, pd.NA], dtype="Int64"),
            "atc": ["B01AC06", ""],
            "smiles": ["CC(=O)Oc1ccccc1C(=O)O", None],
            "smiles_source": ["pubchem", None],
            "inchikey": ["BSYNRYMUTXBXSQ-UHFFFAOYSA-N", None],
            "parent_smiles": ["CC(=O)Oc1ccccc1C(=O)O", None],
            "has_structure": [True, False],
            "curation_status": ["ok", "biologic_no_structure"],
            "curation_note": ["", "protein"],
            "is_independent": [True, False],
            "smiles_drugbank": [None, None],
        }
    )
    side_effects = pd.DataFrame(
        {
            "name": ["nausea", "rash", "orphan"],
            "umls_cui": ["C0027497", "C0015230", ""],
            "organ_classes": [["Gastrointestinal disorders"], ["A", "B"], []],
            "group_terms": [["G1"], ["G2", "G3"], []],
            "n_drugs_with_freq": [1, 1, 0],
        }
    )
    evidence = pd.DataFrame(
        {
            "drug_index": [0],
            "side_effect_index": [0],
            "kind": pd.Categorical(["drug"], categories=["drug", "placebo", "postmarketing"]),
            "frequency_text": ["5%"],
            "lower": [0.05],
            "upper": [0.05],
            "frequency_class": [4.0],
        }
    )
    return toy_dataset(
        np.array([[4, 0, 0], [0, 3, 0]], dtype=np.uint8),
        drugs,
        side_effects,
        names=pd.DataFrame(
            {"name": ["Aspirin"], "key": ["aspirin"], "kind": ["generic"], "drug_index": [0]}
        ),
        labels=pd.DataFrame(
            {
                "drug_index": [0],
                "label_name": ["ASPIRIN"],
                "brand": ["Bayer"],
                "url": ["u"],
                "label_id": ["l"],
            }
        ),
        evidence=evidence,
        pairs=pd.DataFrame({"drug_index": [0], "side_effect_index": [0], "derived_class": [4]}),
    )


def test_cache_round_trip(tmp_path: Path):
    original = _tiny_dataset()
    folder = tmp_path / "dataset-x"
    cache_module._write_cache(original, folder)
    loaded = cache_module._read_cache(folder)
    assert np.array_equal(loaded.frequency, original.frequency)
    assert loaded.frequency.dtype == np.uint8
    assert loaded.side_effect_similarity.dtype == np.float32
    assert loaded.side_effects["organ_classes"].tolist() == [
        ["Gastrointestinal disorders"],
        ["A", "B"],
        [],
    ]
    assert loaded.drugs["smiles"].tolist() == ["CC(=O)Oc1ccccc1C(=O)O", None]
    assert loaded.drugs["parent_smiles"].iloc[1] is None
    assert loaded.organ_class_names == original.organ_class_names
    pd.testing.assert_frame_equal(loaded.evidence, original.evidence)
    info = loaded.side_effect_info()
    assert info.organ_classes.shape == (3, 3) and info.group_terms.shape == (3, 3)
    assert info.organ_classes[1].tolist() == [1.0, 1.0, 0.0]
    assert loaded.independent_mask.tolist() == [True, False]
    assert loaded.structure_mask.tolist() == [True, False]


def test_missing_upstream_file_names_the_fetch_command(tmp_path: Path):
    with pytest.raises(DataMissingError, match="sefreq data fetch"):
        load_dataset(data_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_cache_key_follows_inputs_and_build_version(monkeypatch, tmp_path: Path):
    paths = {key: tmp_path / REGISTRY[key].filename for key in cache_module.INPUT_KEYS}
    first = cache_module._cache_key(paths)
    subset = REGISTRY["sider_frequencies"].variants[1][0]
    other = dict(paths, sider_frequencies=tmp_path / subset)
    assert cache_module._cache_key(other) != first
    monkeypatch.setattr(cache_module, "BUILD_VERSION", "test")
    assert cache_module._cache_key(paths) != first


def test_arrays_are_read_only():
    dataset = _tiny_dataset()
    with pytest.raises(ValueError, match="read-only"):
        dataset.frequency[0, 0] = 1
    copy = dataset.frequency.copy()
    copy[0, 0] = 1  # a copy is the caller's own


@pytest.fixture
def fake_inputs(monkeypatch, tmp_path: Path):
    """load_dataset on fake upstream files: a build that counts its calls and takes a while."""
    import threading
    import time

    calls = []
    lock = threading.Lock()

    def slow_build(paths):
        with lock:
            calls.append(1)
        time.sleep(0.3)
        return _tiny_dataset()

    monkeypatch.setattr(cache_module, "resolve", lambda key, data_dir=None: tmp_path / key)
    monkeypatch.setattr(cache_module, "_cache_key", lambda paths: "test")
    monkeypatch.setattr(cache_module, "build_dataset", slow_build)
    return calls


def test_two_builders_at_once_build_once(fake_inputs, tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    cache = tmp_path / "cache"
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: load_dataset(cache_dir=cache), range(2)))
    assert len(fake_inputs) == 1  # the second waited on the lock, then read the cache
    assert all(np.array_equal(r.frequency, results[0].frequency) for r in results)


def test_a_cache_deleted_while_running_is_rebuilt(fake_inputs, tmp_path: Path):
    import shutil

    cache = tmp_path / "cache"
    load_dataset(cache_dir=cache)
    shutil.rmtree(cache)
    again = load_dataset(cache_dir=cache)
    assert len(fake_inputs) == 2 and again.frequency.shape == (2, 3)
    assert (cache / "dataset-test" / cache_module._DONE).is_file()


def test_a_half_written_cache_is_never_read(fake_inputs, tmp_path: Path):
    folder = tmp_path / "cache" / "dataset-test"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{")  # no COMPLETE marker: an interrupted write
    assert load_dataset(cache_dir=tmp_path / "cache").frequency.shape == (2, 3)
    assert len(fake_inputs) == 1


def test_a_cache_that_cannot_be_written_still_answers(fake_inputs, monkeypatch, tmp_path: Path):
    # Root ignores permission bits, so an unwritable folder is simulated where writes fail.
    def read_only(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache_module, "_write_cache", read_only)
    assert load_dataset(cache_dir=tmp_path / "cache").frequency.shape == (2, 3)
    assert load_dataset(cache_dir=tmp_path / "cache").frequency.shape == (2, 3)
    assert len(fake_inputs) == 2


def test_a_dataset_without_the_catalogue_has_no_extra_drugs():
    """Built without the catalogue files (as tests build them), the catalogue is the 759
    table itself and the +sider condition has nothing to add."""
    dataset = _tiny_dataset()
    assert dataset.catalogue["name"].tolist() == dataset.drugs["name"].tolist()
    assert dataset.catalogue["in_sider"].all()
    rows, labels = dataset.extra_training_drugs()
    assert rows.empty and labels.shape == (0, 3)


@pytest.mark.parametrize("damage", ["flip a byte of labels", "delete synonyms", "no record"])
def test_a_damaged_cache_file_is_rebuilt_never_trusted(fake_inputs, tmp_path: Path, damage):
    # #25: one flipped byte in labels.parquet loaded with two label URLs changed; a deleted
    # synonyms.parquet loaded with no synonyms.
    import json

    cache = tmp_path / "cache"
    first = load_dataset(cache_dir=cache)
    folder = cache / "dataset-test"
    if damage == "flip a byte of labels":
        data = bytearray((folder / "labels.parquet").read_bytes())
        data[len(data) // 2] ^= 0x01
        (folder / "labels.parquet").write_bytes(bytes(data))
    elif damage == "delete synonyms":
        (folder / "synonyms.parquet").unlink()
    else:
        meta = json.loads((folder / "meta.json").read_text())
        del meta["files"]
        (folder / "meta.json").write_text(json.dumps(meta))
    again = load_dataset(cache_dir=cache)
    assert len(fake_inputs) == 2  # rebuilt, not read
    pd.testing.assert_frame_equal(again.labels, first.labels)
    assert load_dataset(cache_dir=cache) is not None and len(fake_inputs) == 2  # and kept


def test_the_other_caches_are_verified_too(tmp_path: Path):
    from sefreq.data.cachefiles import read_verified, write_verified

    path = tmp_path / "background.npy"
    write_verified(path, lambda tmp: np.save(tmp, np.arange(5)))
    assert read_verified(path, np.load).tolist() == [0, 1, 2, 3, 4]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # still a valid .npy, one value changed
    path.write_bytes(bytes(data))
    assert read_verified(path, np.load) is None and not path.exists()
    write_verified(path, lambda tmp: np.save(tmp, np.arange(5)))
    path.with_name(path.name + ".sha256").unlink()
    assert read_verified(path, np.load) is None
