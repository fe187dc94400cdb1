"""The one label-evidence function (sefreq.present.evidence.label_evidence): its rule, and
the profile, known vs predicted, "which drug", compare and the reports reading it alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sefreq.model.predictor import Predictor
from sefreq.present import evidence
from sefreq.present.evidence import EVIDENCE_COLUMNS, label_evidence
from sefreq.present.profile import profile_table
from sefreq.present.vocabulary import NOT_KNOWN, NOT_REPORTED, band_word
from sefreq.present.which import drugs_reporting, which_drugs

IBUPROFEN = 1


@pytest.fixture(scope="module")
def ibuprofen_profile(tiny_world):
    predictor = Predictor.from_directory(tiny_world.bundle_dir)
    smiles = tiny_world.dataset.drugs.loc[IBUPROFEN, "parent_smiles"]
    prediction = predictor.predict(smiles, ids=["ibuprofen"])
    return profile_table(prediction, tiny_world.dataset, IBUPROFEN).set_index("side_effect_index")


def test_a_drug_and_a_side_effect_read_the_same_rows(tiny_world) -> None:
    by_drug = label_evidence(tiny_world.dataset, IBUPROFEN)
    assert list(by_drug.columns) == list(EVIDENCE_COLUMNS) and len(by_drug)
    assert (by_drug["drug_index"] == IBUPROFEN).all()
    one_by_one = []
    for index in by_drug["side_effect_index"]:
        every_drug = label_evidence(tiny_world.dataset, side_effect_index=int(index))
        one_by_one.append(every_drug[every_drug["drug_index"] == IBUPROFEN])
        both = label_evidence(tiny_world.dataset, IBUPROFEN, int(index))
        pd.testing.assert_frame_equal(both, one_by_one[-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(
        pd.concat(one_by_one, ignore_index=True), by_drug.reset_index(drop=True)
    )


def test_the_label_band_says_the_label_class_in_the_smpc_words(tiny_world) -> None:
    table = label_evidence(tiny_world.dataset, IBUPROFEN)
    pairs = tiny_world.dataset.pairs
    pairs = pairs[pairs["drug_index"] == IBUPROFEN]
    derived, galeano = pairs["derived_class"].to_numpy(int), pairs["galeano_class"].to_numpy(int)
    assert (table["label_class"].to_numpy() == np.where(derived > 0, derived, galeano)).all()
    for row in table.itertuples():
        expected = band_word(row.label_class) or (NOT_KNOWN if row.on_label else NOT_REPORTED)
        assert row.label_band == expected


def test_nothing_without_a_drug_or_a_dataset(tiny_world) -> None:
    assert label_evidence(tiny_world.dataset).empty
    assert list(label_evidence(None, IBUPROFEN).columns) == list(EVIDENCE_COLUMNS)


def test_profile_and_which_drug_tell_one_story_of_a_pair(tiny_world, ibuprofen_profile) -> None:
    """For each side effect ibuprofen's labels list, the profile's known_* columns and the
    "which drug" answers (both questions) hold the label evidence of one function."""
    dataset = tiny_world.dataset
    listed = label_evidence(dataset, IBUPROFEN)
    listed = listed[listed["on_label"]]
    assert len(listed) >= 3
    predict = Predictor.from_directory(tiny_world.bundle_dir).predict
    for row in listed.itertuples():
        profile = ibuprofen_profile.loc[row.side_effect_index]
        answer = which_drugs(int(row.side_effect_index), ["ibuprofen"], dataset, predict).iloc[0]
        reporting = drugs_reporting(int(row.side_effect_index), dataset, n=None)
        reverse = reporting[reporting["drug_index"] == IBUPROFEN].iloc[0]
        for shown in (answer, reverse):
            assert shown["label_class"] == profile["known_class"] == row.label_class
            assert shown["label_band"] == profile["known_band"] == row.label_band
            assert shown["n_labels"] == profile["n_labels"] == row.n_labels
            assert np.isclose(
                shown["label_median_pct"], profile["known_median_pct"], equal_nan=True
            )


@pytest.mark.parametrize(
    "module",
    [
        "sefreq.present.profile",
        "sefreq.present.known",
        "sefreq.present.which",
        "sefreq.report.build",
    ],
)
def test_every_reader_calls_the_one_function(module) -> None:
    """Profile (and so compare and the SmPC table, built on it), known vs predicted, "which
    drug" and the report builder read the labels through label_evidence; no other copy of
    the rule is left to drift."""
    import importlib

    assert importlib.import_module(module).label_evidence is evidence.label_evidence


def test_no_other_module_reads_the_label_class_columns() -> None:
    """The label-class rule reads derived_class and galeano_class; above sefreq.data only
    sefreq.present.evidence may (the table's own galeano_class column aside)."""
    from pathlib import Path

    import sefreq

    root = Path(sefreq.__file__).parent
    readers = [
        path.relative_to(root).as_posix()
        for package in ("present", "report", "ui")
        for path in (root / package).glob("*.py")
        if '"derived_class"' in path.read_text()
    ]
    assert readers == ["present/evidence.py"]
