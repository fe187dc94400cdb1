"""The tiny world's upstream files: the script writes the same bytes every time, the real
build makes the tests' dataset from them, and the real world's checks refuse them."""

from __future__ import annotations

import pytest

from sefreq.data.build import build_dataset
from sefreq.data.registry import REGISTRY
from tests.support import make_tiny_upstream
from tests.support.tiny_world import StaleTinyFilesError, upstream_paths, write_upstream


def test_the_script_writes_the_same_bytes_every_time(tmp_path) -> None:
    sums = make_tiny_upstream.main(tmp_path / "a")
    manifest = (tmp_path / "a" / make_tiny_upstream.MANIFEST).read_text()
    assert make_tiny_upstream.main(tmp_path / "b") == sums
    assert (tmp_path / "b" / make_tiny_upstream.MANIFEST).read_text() == manifest
    assert set(sums) == {entry.filename for entry in REGISTRY.values()}


def test_every_registry_file_is_there_and_small(tmp_path) -> None:
    paths = write_upstream(tmp_path)
    assert set(paths) == set(REGISTRY)
    assert all(path.stat().st_size < 20_000 for path in paths.values())


def test_a_changed_file_is_refused(tmp_path) -> None:
    write_upstream(tmp_path)
    (tmp_path / "drugbank.tsv").write_text("drugbank_id\tname\n")
    with pytest.raises(StaleTinyFilesError, match="make_tiny_upstream"):
        upstream_paths(tmp_path)


def test_the_real_worlds_checks_refuse_the_tiny_files(tmp_path) -> None:
    """Without its own :class:`~sefreq.data.build.World`, the tiny world fails the build's
    first check of the real one: the sizes stay strict where no world is named."""
    with pytest.raises(RuntimeError, match=r"R has shape \(39, 30\), not \(759, 994\)"):
        build_dataset(write_upstream(tmp_path))


def test_the_tiny_dataset_has_every_part_the_build_makes(tiny_world) -> None:
    dataset = tiny_world.dataset
    assert dataset.frequency.shape == (39, 30)
    beyond = dataset.catalogue.iloc[len(dataset.drugs) :].set_index("name")
    assert beyond["source"].to_dict() == {
        "celecoxib": "sider",  # SIDER lists it, R does not
        "meloxicam": "drugbank",
        "nabumetone": "drugcentral",
    }
    rows, labels = dataset.extra_training_drugs()
    assert rows["name"].tolist() == ["celecoxib"] and (labels > 0).sum() == 5
    ibuprofen = dataset.catalogue.index[dataset.catalogue["name"] == "ibuprofen"][0]
    assert dataset.catalogue.at[ibuprofen, "drugbank_id"] == "DB01050"
    proteins = dataset.targets[dataset.targets["drug_index"] == ibuprofen]
    assert set(proteins["uniprot_id"]) == {"P23219", "P35354", "P11712"}
    # Warfarin has no CID mapping: the build links it to DrugBank by its name.
    warfarin = dataset.catalogue.index[dataset.catalogue["name"] == "warfarin"][0]
    assert dataset.catalogue.at[warfarin, "drugbank_id"] == "DB00682"
    # DrugCentral's haloperidol target counts (DrugBank lists DRD2 as human); lidocaine's
    # SCN5A does not, nor the bacterial protein of amoxicillin.
    haloperidol = dataset.catalogue.index[dataset.catalogue["name"] == "haloperidol"][0]
    assert "P14416" in set(
        dataset.targets["uniprot_id"][dataset.targets["drug_index"] == haloperidol]
    )
    assert not {"Q14524", "P0AD65"} & set(dataset.targets["uniprot_id"])
    assert not dataset.drugs.set_index("name").at["insulin glargine", "has_structure"]
    assert {"Heartburn", "Stomach ache", "Sleeplessness"} <= set(dataset.synonyms["synonym"])
