"""One primary organ class per side effect (issue #23): the rule of sefreq.present.organs."""

from __future__ import annotations

import pandas as pd
import pytest

from sefreq.present.organs import (
    GENERAL,
    INFECTIONS,
    NEOPLASMS,
    UNCLASSIFIED,
    organ_class_table,
    primary_organ_class,
)

CARDIAC, NERVOUS, VASCULAR = "Cardiac disorders", "Nervous system disorders", "Vascular disorders"
SKIN, IMMUNE = "Skin and subcutaneous tissue disorders", "Immune system disorders"
INJURY = "Injury, poisoning and procedural complications"
RESPIRATORY = "Respiratory, thoracic and mediastinal disorders"
METABOLISM = "Metabolism and nutrition disorders"
HEPATOBILIARY = "Hepatobiliary disorders"


# SOC and HLGT links as SIDER's mapping gives them (dsgat supplementary data 3 and 4).
@pytest.mark.parametrize(
    ("name", "classes", "groups", "primary"),
    [
        ("dizziness", [VASCULAR, CARDIAC, NERVOUS], [], NERVOUS),
        ("tinnitus", ["Ear and labyrinth disorders", NERVOUS], [], "Ear and labyrinth disorders"),
        (
            "stevens-johnson syndrome",
            [IMMUNE, SKIN, INFECTIONS, INJURY],
            ["Allergic conditions", "Ancillary infectious topics"],
            SKIN,
        ),
        ("seasonal allergy", ["Eye disorders", IMMUNE, RESPIRATORY], [], RESPIRATORY),
        ("pneumonia", [INFECTIONS, RESPIRATORY], ["Respiratory tract infections"], INFECTIONS),
        ("cellulitis", [SKIN, INFECTIONS], ["Bacterial infectious disorders"], INFECTIONS),
        (
            "breast cancer",
            ["Reproductive system and breast disorders", NEOPLASMS],
            ["Breast disorders"],
            NEOPLASMS,
        ),
        (
            "ovarian cyst",
            ["Reproductive system and breast disorders", NEOPLASMS],
            [],
            "Reproductive system and breast disorders",
        ),
        (
            "tumour lysis syndrome",
            [METABOLISM, NEOPLASMS],
            ["Electrolyte and fluid balance conditions", "Neoplasm related morbidities"],
            METABOLISM,
        ),
        (
            "congenital eye disorder",
            ["Eye disorders", "Congenital, familial and genetic disorders"],
            [],
            "Congenital, familial and genetic disorders",
        ),
        ("injection site erythema", [GENERAL, SKIN], [], GENERAL),
        ("hyperhidrosis", [GENERAL, SKIN], [], SKIN),
        ("oedema peripheral", [CARDIAC, METABOLISM, GENERAL], [], GENERAL),
        (
            "jaundice",
            [SKIN, HEPATOBILIARY, "Blood and lymphatic system disorders"],
            [],
            HEPATOBILIARY,
        ),
        ("urticaria", [IMMUNE, SKIN], [], SKIN),
        ("nausea", ["Gastrointestinal disorders"], [], "Gastrointestinal disorders"),
        ("unmapped", [], [], UNCLASSIFIED),
    ],
)
def test_primary_organ_class(name, classes, groups, primary) -> None:
    assert primary_organ_class(classes, groups, name) == primary


def test_the_table_names_the_others_as_secondary() -> None:
    side_effects = pd.DataFrame(
        {
            "name": ["dizziness", "nausea"],
            "organ_classes": [[VASCULAR, CARDIAC, NERVOUS], ["Gastrointestinal disorders"]],
            "group_terms": [[], []],
        },
        index=[7, 9],
    )
    table = organ_class_table(side_effects)
    assert table.loc[7, "organ_class"] == NERVOUS
    assert table.loc[7, "secondary_organ_classes"] == f"{VASCULAR}; {CARDIAC}"
    assert table.loc[9, "secondary_organ_classes"] == ""


def test_prediction_rows_alone_give_the_same_rule() -> None:
    """Without a dataset the classes come from a predictor's rows, which carry no group
    terms: the table says so with empty ones instead of testing for the column (#26)."""
    from sefreq.present.organs import predicted_organ_classes

    rows = pd.DataFrame(
        {
            "side_effect_index": [0, 1, -1],
            "side_effect": ["dizziness", "nausea", ""],
            "organ_classes": [f"{VASCULAR}|{NERVOUS}", "Gastrointestinal disorders", ""],
        }
    )
    table = predicted_organ_classes(rows)
    assert (
        table.loc[0, "organ_class"] == NERVOUS
        and table.loc[0, "secondary_organ_classes"] == VASCULAR
    )
    assert list(table.index) == [0, 1]
