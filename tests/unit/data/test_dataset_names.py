"""Names a person may type: keys, label variants, brands, ATC codes."""

from __future__ import annotations

import pandas as pd

from sefreq.data.names import build_names, label_name_variants, name_key


def test_name_key_casefolds_and_collapses_spaces():
    assert name_key("  Interferon   Alfa-2b ") == "interferon alfa-2b"
    assert name_key("ACTOS") == name_key("actos")


def test_label_name_variants_split_salt():
    assert label_name_variants("PIOGLITAZONE (PIOGLITAZONE HYDROCHLORIDE)") == [
        "PIOGLITAZONE (PIOGLITAZONE HYDROCHLORIDE)",
        "PIOGLITAZONE",
        "PIOGLITAZONE HYDROCHLORIDE",
    ]
    assert label_name_variants("ASPIRIN") == ["ASPIRIN"]
    assert label_name_variants("  ") == []


def test_build_names_ties_every_kind_to_its_drug():
    drugs = pd.DataFrame(
        {"name": ["pioglitazone", "aspirin"], "atc": ["A10BG03", "B01AC06|N02BA01"]}
    )
    labels = pd.DataFrame(
        {
            "drug_index": [0, 0, 1],
            "label_name": ["PIOGLITAZONE (PIOGLITAZONE HYDROCHLORIDE)", "", "ASPIRIN"],
            "brand": ["ACTOS (45MG)", "Actos", "Bayer Aspirin"],
            "generic_name": ["PIOGLITAZONE", "PIOGLITAZONE", "ASPIRIN"],
        }
    )
    names = build_names(drugs, labels)
    assert list(names.columns) == ["name", "key", "kind", "drug_index"]
    lookup = {(row.key, row.drug_index): row.kind for row in names.itertuples()}
    assert lookup[("pioglitazone", 0)] == "generic"  # the generic kind wins over "label"
    assert lookup[("pioglitazone hydrochloride", 0)] == "label"
    assert lookup[("pioglitazone (pioglitazone hydrochloride)", 0)] == "label"
    assert lookup[("actos", 0)] == "brand"
    assert lookup[("actos (45mg)", 0)] == "brand"
    assert ("45mg", 0) not in lookup  # a dose is not a name
    assert lookup[("b01ac06", 1)] == "atc" and lookup[("n02ba01", 1)] == "atc"
    assert lookup[("bayer aspirin", 1)] == "brand"
    assert not names.duplicated(["key", "drug_index"]).any()


def test_label_sentences_and_markup_are_not_names():
    from sefreq.data.names import clean_name, label_name_variants

    assert clean_name("DBL&trade; Octreotide, Solution for injection") == (
        "DBL Octreotide, Solution for injection"
    )
    assert clean_name("HYDREA&reg;") == "HYDREA"
    for sentence in (
        "Structural formula:",
        "Active ingredient: Rifabutin",
        "Dalteparin sodium. CAS number: 9041-08-1",
        "] < 50 c/mL",
        "MICARDIS contains the active ingredient telmisartan. Telmisartan has the following",
    ):
        assert clean_name(sentence) == "", sentence
        assert label_name_variants(sentence) == []
    assert label_name_variants("ACTOS") == ["ACTOS"]
