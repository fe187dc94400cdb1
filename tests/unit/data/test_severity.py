"""The shipped severity table: every side effect has exactly one tier, every serious term
a reason and a source, and the file is the one the library's checksum records."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from sefreq.constants import N_SIDE_EFFECTS
from sefreq.data import severity
from sefreq.data.severity import (
    DME_SOURCE,
    SERIOUS,
    TIERS,
    UNLISTED_SOURCE,
    SeverityTableError,
    severity_of,
    severity_table,
)


def test_every_term_has_exactly_one_tier():
    table = severity_table()
    assert len(table) == N_SIDE_EFFECTS
    assert table["side_effect"].is_unique
    assert set(table["tier"]) == set(TIERS)


def test_every_serious_term_has_a_reason_and_a_source():
    serious = severity_table().query("tier == @SERIOUS")
    assert len(serious) > 100
    assert (serious["reason"].str.len() > 5).all()
    assert (serious["source"].str.len() > 0).all()
    assert "\n" not in "".join(serious["reason"])


def test_designated_medical_events_are_serious():
    table = severity_table().set_index("side_effect")
    for name in ("agranulocytosis", "anaphylactic shock", "hepatic failure", "aplastic anaemia"):
        assert table.loc[name, "tier"] == SERIOUS
        assert table.loc[name, "source"] == DME_SOURCE
    assert table.loc["stevens-johnson syndrome", "tier"] == SERIOUS
    assert table.loc["dry mouth", "tier"] == "minor"
    assert table.loc["headache", "tier"] == "moderate"


def test_the_tiny_world_terms_all_have_a_tier(tiny_world):
    names = tiny_world.dataset.side_effects["name"]
    tiers = severity_of(names)
    assert list(tiers.index) == list(names)
    assert tiers["tier"].isin(TIERS).all()


def test_a_term_outside_the_table_is_moderate_and_says_so():
    tiers = severity_of(["Agranulocytosis", "not a side effect"])
    assert list(tiers["tier"]) == [SERIOUS, "moderate"]
    assert tiers.loc["not a side effect", "source"] == UNLISTED_SOURCE


def test_the_checksum_is_the_file_s():
    raw = resources.files("sefreq.data").joinpath("severity.csv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == severity.SEVERITY_SHA256


def test_a_changed_file_is_refused(monkeypatch):
    monkeypatch.setattr(severity, "SEVERITY_SHA256", "0" * 64)
    severity_table.cache_clear()
    try:
        with pytest.raises(SeverityTableError, match="edited or damaged"):
            severity_table()
    finally:
        monkeypatch.undo()
        severity_table.cache_clear()


def test_a_serious_term_without_a_reason_is_refused():
    table = severity_table().copy()
    table.loc[table["tier"] == SERIOUS, "reason"] = ""
    with pytest.raises(SeverityTableError, match="without a reason"):
        severity._check(table)


@pytest.mark.realdata
def test_the_table_names_exactly_the_994_terms(reference_dir: Path):
    names = pd.read_csv(reference_dir / "side_effects.csv", keep_default_na=False)["name"]
    assert set(names) == set(severity_table()["side_effect"])
