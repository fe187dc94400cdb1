"""SIDER parsing on tiny hand-written files: conversion rule, medians, placebo, labels."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sefreq.data import sider

# flat, stereo, label CUI, placebo, text, lower, upper, type, CUI, term
ROWS = [
    # drug 10 (stereo), flat 100000010; term "Nausea": three labels 21%, 5%, 1-3%
    ("CID100000010", "CID000000010", "C1", "", "21%", "0.21", "0.21", "PT", "C0027497", "Nausea"),
    ("CID100000010", "CID000000010", "C1", "", "21%", "0.21", "0.21", "LLT", "C0027497", "Nausea"),
    ("CID100000010", "CID000000010", "C1", "", "5%", "0.05", "0.05", "PT", "C0027497", "Nausea"),
    ("CID100000010", "CID000000010", "C1", "", "1-3%", "0.01", "0.03", "PT", "C0027497", "Nausea"),
    # placebo arm of the same pair
    (
        "CID100000010",
        "CID000000010",
        "C1",
        "placebo",
        "0.5%",
        "0.005",
        "0.005",
        "PT",
        "C0027497",
        "Nausea",
    ),
    # words and post-marketing, "Headache"
    ("CID100000010", "CID000000010", "C2", "", "common", "0.01", "1", "PT", "C0018681", "Headache"),
    ("CID100000010", "CID000000010", "C2", "", "rare", "0", "0.001", "PT", "C0018681", "Headache"),
    (
        "CID100000010",
        "CID000000010",
        "C2",
        "",
        "postmarketing",
        "0",
        "0.001",
        "PT",
        "C0018681",
        "Headache",
    ),
    # post-marketing only, "Rash"
    (
        "CID100000010",
        "CID000000010",
        "C3",
        "",
        "postmarketing",
        "0",
        "0.001",
        "PT",
        "C0015230",
        "Rash",
    ),
    # placebo at least as frequent as the drug, "Dizziness"
    ("CID100000010", "CID000000010", "C4", "", "2%", "0.02", "0.02", "PT", "C0012833", "Dizziness"),
    (
        "CID100000010",
        "CID000000010",
        "C4",
        "placebo",
        "3%",
        "0.03",
        "0.03",
        "PT",
        "C0012833",
        "Dizziness",
    ),
    # another drug (stereo 20) that a filter should drop
    ("CID100000020", "CID000000020", "C1", "", "50%", "0.5", "0.5", "PT", "C0027497", "Nausea"),
]


def _write_tsv(path: Path, rows, encoding: str = "utf-8") -> Path:
    text = "".join("\t".join(row) + "\n" for row in rows)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding=encoding) as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def freq_file(tmp_path: Path) -> Path:
    return _write_tsv(tmp_path / "meddra_freq.tsv.gz", ROWS)


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.5, 5),
        (0.1, 5),
        (0.0999, 4),
        (0.01, 4),
        (0.005, 3),
        (0.001, 3),
        (0.0005, 2),
        (0.0001, 2),
        (0.00005, 1),
        (0.0, 1),
    ],
)
def test_class_of_fraction_cioms_thresholds(fraction, expected):
    assert sider.class_of_fraction(fraction) == expected
    assert sider.class_of_fractions(np.array([fraction]))[0] == expected


def test_class_of_fractions_keeps_nan():
    assert np.isnan(sider.class_of_fractions(np.array([np.nan]))[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("very common", 5),
        ("Very frequent", 5),
        ("common", 4),
        ("frequent", 4),
        ("uncommon", 3),
        ("infrequent", 3),
        ("rare", 2),
        ("very rare", 1),
    ],
)
def test_words(text, expected):
    # The word wins over SIDER's bounds (rare is 0..0.001: midpoint would say class 3).
    assert sider.class_of_row(text, 0.0, 0.001) == expected


def test_numbers_use_the_midpoint():
    assert sider.class_of_row("1-30%", 0.01, 0.30) == 5  # midpoint 0.155
    assert sider.class_of_row("1-10%", 0.01, 0.10) == 4  # midpoint 0.055
    assert math.isnan(sider.class_of_row("postmarketing", 0.0, 0.001))


def test_stitch_ids():
    assert sider.stitch_to_cid("CID100002764") == 2764
    assert sider.stitch_to_cid("CID000149096") == 149096


def test_read_keeps_pt_rows_of_our_drugs_and_separates_kinds(freq_file):
    table = sider.read_meddra_freq(freq_file, stereo_cids=[10])
    assert set(table["stitch_stereo"]) == {10}
    assert len(table) == 10  # the LLT row and drug 20 are dropped
    kinds = table.groupby("kind").size().to_dict()
    assert kinds == {"drug": 6, "placebo": 2, "postmarketing": 2}
    post = table[table["kind"] == "postmarketing"]
    assert post["frequency_class"].isna().all()
    assert post["lower"].isna().all()
    words = table[table["frequency_text"].isin(["common", "rare"])]
    assert words["lower"].isna().all()  # words carry no fraction of their own
    assert words["frequency_class"].tolist() == [4.0, 2.0]


def test_read_without_filter_and_plain_text(tmp_path):
    path = _write_tsv(tmp_path / "meddra_freq.tsv", ROWS)
    table = sider.read_meddra_freq(path)
    assert set(table["stitch_stereo"]) == {10, 20}
    assert table.loc[table["stitch_stereo"] == 20, "stitch_flat"].iloc[0] == 20


def _evidence(freq_file: Path) -> pd.DataFrame:
    table = sider.read_meddra_freq(freq_file, stereo_cids=[10])
    terms = {"Nausea": 0, "Headache": 1, "Rash": 2, "Dizziness": 3}
    return table.assign(drug_index=0, side_effect_index=table["term"].map(terms))


def test_pairs_median_placebo_and_postmarketing(freq_file):
    frequency = np.zeros((1, 5), dtype=np.uint8)
    frequency[0, 0] = 4
    frequency[0, 4] = 3  # in R without any SIDER row: kept with n_labels 0
    pairs = sider.summarise_pairs(_evidence(freq_file), frequency).set_index("side_effect_index")

    nausea = pairs.loc[0]
    assert nausea["n_labels"] == 3 and nausea["n_placebo"] == 1
    assert nausea["median_midpoint"] == pytest.approx(0.05)  # of 0.21, 0.05, 0.02
    assert nausea["derived_class"] == 4
    assert nausea["galeano_class"] == 4
    assert nausea["placebo_class"] == 3  # 0.5 %
    assert not nausea["placebo_at_least_drug"]  # 0.5 % < 5 %
    headache = pairs.loc[1]
    assert headache["n_labels"] == 2 and headache["n_postmarketing"] == 1
    assert headache["median_class"] == 3.0  # classes 4 and 2
    assert headache["derived_class"] == 3  # no numbers: median word class
    assert not headache["postmarketing_only"]
    rash = pairs.loc[2]
    assert rash["postmarketing_only"] and rash["derived_class"] == 0 and rash["n_labels"] == 0
    dizziness = pairs.loc[3]
    assert dizziness["placebo_at_least_drug"]
    assert dizziness["derived_class"] == 4 and dizziness["placebo_class"] == 4
    missing = pairs.loc[4]
    assert missing["n_labels"] == 0 and missing["galeano_class"] == 3
    assert missing["derived_class"] == 0


def test_class_rule_takes_median_of_classes(freq_file):
    frequency = np.zeros((1, 5), dtype=np.uint8)
    pairs = sider.summarise_pairs(_evidence(freq_file), frequency, rule="class")
    nausea = pairs.set_index("side_effect_index").loc[0]
    assert nausea["median_class"] == 4.0  # classes 5, 4, 4
    assert nausea["derived_class"] == 4
    with pytest.raises(ValueError, match="unknown rule"):
        sider.summarise_pairs(_evidence(freq_file), frequency, rule="mean")


def test_half_classes_round_up():
    evidence = pd.DataFrame(
        {
            "drug_index": [0, 0],
            "side_effect_index": [0, 0],
            "kind": ["drug", "drug"],
            "lower": [np.nan, np.nan],
            "upper": [np.nan, np.nan],
            "frequency_class": [4.0, 5.0],
        }
    )
    pairs = sider.summarise_pairs(evidence, np.zeros((1, 1), dtype=np.uint8))
    assert pairs["derived_class"].iloc[0] == 5


LABEL_ROWS = [
    # label name, brand, marker, flat, stereo, generic, url, label id
    (
        "PIOGLITAZONE (PIOGLITAZONE HYDROCHLORIDE)",
        "ACTOS",
        "",
        "-100004829",
        "-4829",
        "PIOGLITAZONE",
        "http://x/1",
        "lab/1",
    ),
    # SIDER 4.0 files the salt under another stereo id, same flat id
    (
        "PIOGLITAZONE HYDROCHLORIDE",
        "CO PIOGLITAZONE",
        "",
        "-100004829",
        "-60560",
        "PIOGLITAZONE HYDROCHLORIDE",
        "http://x/2",
        "lab/2",
    ),
    # an extra field after the stereo id (it happens in the real file), Latin-1 text
    (
        "CAFÉINE",
        "Brand\u00e9",
        "",
        "-100002519",
        "-2519",
        "False",
        "CAFFEINE",
        "http://x/3",
        "lab/3",
    ),
    # omeprazole / esomeprazole share a flat id: a salt label under it is ambiguous
    (
        "",
        "Nexium salt",
        "",
        "-100004594",
        "-99999",
        "ESOMEPRAZOLE MAGNESIUM",
        "http://x/4",
        "lab/4",
    ),
]


def test_read_label_mapping_latin1_and_extra_field(tmp_path):
    path = _write_tsv(tmp_path / "label_mapping.tsv.gz", LABEL_ROWS, encoding="latin-1")
    table = sider.read_label_mapping(path)
    assert list(table.columns) == list(sider.LABEL_MAPPING_COLUMNS)
    assert table["stitch_flat"].tolist() == [4829, 4829, 2519, 4594]
    assert table["stitch_stereo"].tolist() == [4829, 60560, 2519, 99999]
    assert table.loc[2, "label_name"] == "CAFÉINE"
    assert table.loc[2, "generic_name"] == "CAFFEINE"
    assert table.loc[2, "label_id"] == "lab/3"


def test_match_labels_by_stereo_then_unique_flat(tmp_path):
    path = _write_tsv(tmp_path / "label_mapping.tsv", LABEL_ROWS, encoding="latin-1")
    table = sider.read_label_mapping(path)
    stereo = np.array(
        [4829, 2519, 4594, 9579578]
    )  # pioglitazone, caffeine, omeprazole, esomeprazole
    flat = np.array([4829, 2519, 4594, 4594], dtype=float)
    matched = sider.match_labels(table, stereo, flat)
    assert matched.tolist()[:3] == [0.0, 0.0, 1.0]
    assert np.isnan(matched.iloc[3])
