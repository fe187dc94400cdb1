"""The on-disk cache round-trips a dataset exactly; missing data says how to fix it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sefreq.data import dataset as dataset_module
from sefreq.data.dataset import Dataset, load_dataset
from sefreq.data.registry import REGISTRY, DataMissingError


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
    return Dataset(
        frequency=np.array([[4, 0, 0], [0, 3, 0]], dtype=np.uint8),
        drugs=drugs,
        side_effects=side_effects,
        organ_class_names=["A", "B", "Gastrointestinal disorders"],
        group_term_names=["G1", "G2", "G3"],
        side_effect_similarity=np.eye(3, dtype=np.float32),
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
    dataset_module._write_cache(original, folder)
    loaded = dataset_module._read_cache(folder)
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
    paths = {key: tmp_path / REGISTRY[key].filename for key in dataset_module.INPUT_KEYS}
    first = dataset_module._cache_key(paths)
    subset = REGISTRY["sider_frequencies"].variants[1][0]
    other = dict(paths, sider_frequencies=tmp_path / subset)
    assert dataset_module._cache_key(other) != first
    monkeypatch.setattr(dataset_module, "BUILD_VERSION", "test")
    assert dataset_module._cache_key(paths) != first


def test_arrays_are_read_only():
    dataset = _tiny_dataset()
    with pytest.raises(ValueError, match="read-only"):
        dataset.frequency[0, 0] = 1
    copy = dataset.frequency.copy()
    copy[0, 0] = 1  # a copy is the caller's own
