"""The catalogue (all of SIDER, DrugBank, DrugCentral) built from the real upstream files.

Skipped unless SEFREQ_DATA_DIR points at the upstream files. The build goes to a
temporary cache folder, once per module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sefreq.data.cache import load_dataset
from sefreq.data.dataset import Dataset
from sefreq.present.lookup import combination_parts, lookup_combination, lookup_drug

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def dataset(real_data_dir: Path, tmp_path_factory) -> Dataset:
    cache = tmp_path_factory.mktemp("catalogue-cache")
    return load_dataset(data_dir=real_data_dir, cache_dir=cache)


def test_the_759_keep_their_rows_and_order(dataset):
    catalogue = dataset.catalogue
    assert list(catalogue.index[:759]) == list(range(759))
    assert catalogue["name"].iloc[:759].tolist() == dataset.drugs["name"].tolist()
    same = catalogue.loc[:758, "parent_smiles"].fillna("") == dataset.drugs["parent_smiles"].fillna(
        ""
    )
    assert same.all()
    assert dataset.frequency.shape == (759, 994)


def test_every_sider_drug_of_the_extract_is_in_the_catalogue(dataset):
    catalogue = dataset.catalogue
    sider = catalogue[catalogue["source"] == "sider"]
    assert len(sider) > 1200  # 759 + the other stereo ids of meddra_all_se
    assert sider["sider_stereo_cid"].is_unique
    assert catalogue["in_sider"].iloc[:759].all()
    # every drug the catalogue takes from SIDER lists at least one of the 994 terms (or two
    # whose terms are all outside the 994)
    assert (sider["n_side_effects"] > 0).mean() > 0.99


def test_structures_say_where_they_come_from(dataset):
    new = dataset.catalogue[
        (dataset.catalogue.index >= 759) & (dataset.catalogue.source == "sider")
    ]
    with_structure = new[new["has_structure"]]
    assert len(with_structure) > 400
    assert set(with_structure["smiles_source"]) <= {"drugbank", "drugcentral"}
    assert with_structure["parent_smiles"].notna().all()
    assert new["curation_note"].str.len().gt(10).all()  # one line for each decision
    without = new[~new["has_structure"]]
    assert without["parent_smiles"].isna().all()


def test_skeleton_twins_of_the_759_are_recorded(dataset):
    catalogue = dataset.catalogue
    twins = catalogue[catalogue["same_parent_as"].notna()]
    assert len(twins) > 50
    for index, row in twins.head(40).iterrows():
        twin = catalogue.loc[int(row["same_parent_as"])]
        assert int(row["same_parent_as"]) < 759 <= index
        assert row["inchikey"].split("-")[0] == twin["inchikey"].split("-")[0]


def test_associations_cover_the_frequency_pairs_of_the_759(dataset):
    associations = dataset.associations
    listed = set(zip(associations["drug_index"], associations["side_effect_index"], strict=True))
    rows, columns = np.nonzero(dataset.frequency)
    in_r = set(zip(rows.tolist(), columns.tolist(), strict=True))
    assert len(in_r & listed) / len(in_r) > 0.99
    beyond = associations[associations["drug_index"] >= 759]
    assert beyond["drug_index"].nunique() > 400 and len(beyond) > 20_000


def test_frequencies_of_new_drugs_use_the_same_rule(dataset):
    pairs = dataset.pairs
    new = pairs[(pairs["drug_index"] >= 759) & (pairs["n_labels"] > 0)]
    assert new["drug_index"].nunique() > 100
    assert new["derived_class"].between(1, 5).all()
    assert (new["galeano_class"] == 0).all()
    unstated = pairs[pairs["on_label"] & (pairs["n_labels"] == 0) & (pairs["galeano_class"] == 0)]
    assert len(unstated) > 50_000  # reported, frequency not stated


@pytest.mark.parametrize(
    ("query", "drug"),
    [
        ("Coumadin", "warfarin"),
        ("warfarin", "warfarin"),
        ("Synthroid", "levothyroxine"),
        ("ibuprofen", "ibuprofen"),
        ("Advil", "ibuprofen"),
        # Warfarin's DrugBank link came after its ATC codes were filled (#23 walk).
        ("B01AA03", "warfarin"),
    ],
)
def test_any_name_finds_the_drug(dataset, query, drug):
    best = lookup_drug(query, dataset.names, dataset.catalogue, limit=3)
    assert best["drug"].iloc[0] == drug


@pytest.mark.parametrize("query", ["co-amoxiclav", "Augmentin", "amoxicillin/clavulanic acid"])
def test_both_components_of_co_amoxiclav_are_found(dataset, query):
    """The #23 walk: "Not in the data: clavulanic acid" (the catalogue says clavulanate)."""
    found, missing = lookup_combination(combination_parts(query), dataset.names, dataset.catalogue)
    assert missing == [] and list(found["drug"]) == ["amoxicillin", "clavulanate"]


def test_a_drug_outside_sider_has_a_structure_and_no_label_data(dataset):
    catalogue = dataset.catalogue
    outside = catalogue[~catalogue["in_sider"]]
    assert len(outside) > 2000
    assert outside["smiles"].notna().all()
    assert not outside["has_frequencies"].any()
    assert (outside["n_side_effects"] == 0).all()


def test_extra_training_drugs_carry_classes_and_unstated_cells(dataset):
    from sefreq.constants import UNSTATED, stated

    rows, labels = dataset.extra_training_drugs()
    assert len(rows) == labels.shape[0] > 400 and (rows.index >= 759).all()
    assert rows["has_structure"].all()
    assert (labels == UNSTATED).sum() > 5 * stated(labels).sum() > 1000  # 22,758 and 2,682
    stated_only, classes = dataset.extra_training_drugs(listed=False)
    assert not (classes == UNSTATED).any() and (classes > 0).any(axis=1).all()
    assert set(stated_only.index) <= set(rows.index)


def test_validation_stays_on_the_759_when_training_with_sider(dataset):
    from sefreq.model.data import TrainingSet, split_calibrated, split_validation

    rows, labels = dataset.extra_training_drugs()
    n = 50
    frequency = np.vstack([np.asarray(dataset.frequency[:n]), labels])
    training = TrainingSet(
        smiles=["C"] * len(frequency),
        frequency=frequency,
        label_mask=np.ones(frequency.shape, dtype=bool),
        drug_ids=np.concatenate([np.arange(n), rows.index.to_numpy()]),
    )
    fit, validation = split_calibrated(training, 0.1, seed=0, n_calibration_pool=n)
    assert (validation.drug_ids < n).all() and len(validation.drug_ids) == 5
    assert len(fit.drug_ids) + len(validation.drug_ids) == len(frequency)
    # Without extra drugs it is the plain split, drug for drug.
    plain_fit, plain_validation = split_validation(training.take(np.arange(n)), 0.1, seed=0)
    np.testing.assert_array_equal(plain_validation.drug_ids, validation.drug_ids)
    np.testing.assert_array_equal(plain_fit.drug_ids, fit.drug_ids[: len(plain_fit.drug_ids)])


def test_the_catalogue_is_read_back_from_the_cache(real_data_dir, tmp_path, monkeypatch):
    """A second load reads the cache instead of building again (a cached catalogue once
    failed to read, so every load rebuilt for 12 s)."""
    import sefreq.data.cache as module

    first = load_dataset(data_dir=real_data_dir, cache_dir=tmp_path)

    def no_build(paths):
        raise AssertionError("the dataset was built again instead of read from the cache")

    monkeypatch.setattr(module, "build_dataset", no_build)
    again = load_dataset(data_dir=real_data_dir, cache_dir=tmp_path)
    assert again.catalogue["name"].tolist() == first.catalogue["name"].tolist()
    assert again.catalogue["smiles"].iloc[-1] == first.catalogue["smiles"].iloc[-1]
    assert len(again.associations) == len(first.associations)
    assert again.catalogue["drugcentral_id"].isna().iloc[0]
