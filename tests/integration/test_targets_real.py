"""Targets and complete listings built from the real upstream files.

Skipped unless SEFREQ_DATA_DIR points at the upstream files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sefreq.constants import UNSTATED
from sefreq.data.cache import load_dataset
from sefreq.data.dataset import Dataset

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def dataset(real_data_dir: Path, tmp_path_factory) -> Dataset:
    return load_dataset(data_dir=real_data_dir, cache_dir=tmp_path_factory.mktemp("targets"))


def test_catalogue_drugs_have_their_human_targets(dataset):
    targets = dataset.targets
    catalogue = dataset.catalogue
    with_targets = set(targets["drug_index"])
    assert len(with_targets) > 2000
    assert sum(i in with_targets for i in catalogue.index[catalogue["in_sider"]]) > 1000
    warfarin = catalogue.index[catalogue["name"].str.casefold() == "warfarin"][0]
    own = targets[targets["drug_index"] == warfarin]
    assert "Q9BQB6" in set(own["uniprot_id"])  # VKORC1, its target
    assert "P11712" in set(own.loc[own["category"] == "enzyme", "uniprot_id"])  # CYP2C9
    assert set(targets["category"]) <= {"target", "enzyme", "transporter", "carrier"}


def test_the_dense_task_is_several_times_the_labelled_drugs(dataset):
    task = dataset.mechanism_drugs
    assert len(task) > 4500
    assert task["skeleton"].is_unique and task["skeleton"].str.len().eq(14).all()
    assert (task["proteins"] != "").sum() > 4500 and (task["atc"] != "").sum() > 1000


def test_listings_hold_every_side_effect_a_label_lists(dataset):
    listed = dataset.listed_labels()
    frequency = np.asarray(dataset.frequency)
    assert ((listed > 0) & (listed != UNSTATED)).sum() == (frequency > 0).sum() == 37441
    assert (listed > 0).sum() == 94382  # the 759's pairs on their SIDER labels
    stated = (listed > 0) & (listed != UNSTATED)
    np.testing.assert_array_equal(listed[stated], frequency[stated])
