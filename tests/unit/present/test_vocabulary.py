"""One vocabulary (issue #23): the SmPC's words, rounded numbers, no "None"."""

from __future__ import annotations

import pandas as pd

from sefreq.present.vocabulary import (
    BAND_COLOURS,
    SMPC_BANDS,
    band_word,
    conformal_words,
    readable,
    rounded,
)


def test_the_smpc_words() -> None:
    assert SMPC_BANDS == ("very common", "common", "uncommon", "rare", "very rare", "not known")
    assert [band_word(c) for c in (5, 4, 3, 2, 1)] == list(SMPC_BANDS[:5])
    assert band_word(0) == "" and band_word(None, "not known") == "not known"
    assert band_word(float("nan"), "-") == "-"
    assert conformal_words("3,4") == "common | uncommon"
    assert set(BAND_COLOURS) == set(SMPC_BANDS)


def test_a_table_is_rounded_blank_where_missing_and_named_for_people() -> None:
    table = pd.DataFrame(
        {
            "side_effect": ["Nausea", "Rash"],
            "p_reported_pct": [61.234567890123, 5.0],
            "placebo_band": ["common", None],
        }
    )
    assert rounded(table)["p_reported_pct"].tolist() == [61.2, 5.0]
    assert rounded(table)["placebo_band"].tolist() == ["common", ""]
    shown = readable(table)
    assert list(shown.columns) == ["side effect", "chance reported (%)", "placebo frequency"]


def test_a_frequency_number_is_named_in_the_smpc_words() -> None:
    """Issue #23, item 6: no column a person reads says "class (1-5)"; the numbers of a
    frequency class are read out in the SmPC's words."""
    from sefreq.present.vocabulary import COLUMN_NAMES, FREQUENCY_SCALE

    assert FREQUENCY_SCALE == "1 = very rare … 5 = very common"
    assert not [name for name in COLUMN_NAMES.values() if "class (" in name]
    for column in ("frequency_class", "expected_frequency", "label_class"):
        assert FREQUENCY_SCALE in COLUMN_NAMES[column]


def test_serious_side_effects_are_marked_from_the_severity_table() -> None:
    from sefreq.present.vocabulary import SERIOUS_MARK, mark_serious

    assert mark_serious(["Agranulocytosis", "Headache", "Hepatitis"]) == [
        f"{SERIOUS_MARK} Agranulocytosis",
        "Headache",
        f"{SERIOUS_MARK} Hepatitis",
    ]
    assert mark_serious([]) == []


def test_a_page_shows_a_missing_number_blank_not_none() -> None:
    from sefreq.present.vocabulary import shown_numbers

    table = pd.DataFrame({"known_median_pct": [5.9712, float("nan")], "n_labels": [3, 0]})
    shown = shown_numbers(table, ["known_median_pct", "not_there"])
    assert shown["known_median_pct"].tolist() == ["5.97", ""]
    assert shown["n_labels"].tolist() == [3, 0]
    assert table["known_median_pct"].isna().sum() == 1  # the caller's table is left alone
