"""The curation decisions: counts, reasons, and loud failures on unknown names."""

from __future__ import annotations

import pytest

from sefreq.data import curation


def _names(status: str) -> set[str]:
    return {name for name, d in curation.CURATION.items() if d.status == status}


def test_decision_counts():
    assert _names(curation.WRONG_COMPOUND_REPLACED) == {"levofloxacin", "dexmethylphenidate"}
    assert _names(curation.BIOLOGIC_NO_STRUCTURE) == {
        "rasburicase",
        "ofatumumab",
        "ustekinumab",
        "muromonab-CD3",
        "pegvisomant",
        "albumin",
        "romiplostim",
        "interferon alfa-2b",
        "erythropoietin",
        "urofollitropin",
    }
    assert len(_names(curation.APPROXIMATE)) == 19


def test_every_decision_has_a_one_line_reason():
    for name, decision in curation.CURATION.items():
        assert decision.status in curation.CURATION_STATUSES
        assert decision.note and "\n" not in decision.note, name
        if decision.status == curation.WRONG_COMPOUND_REPLACED:
            assert decision.use_source == "drugbank", name
        if decision.use_source == "drugbank":
            assert "DrugBank" in decision.note, name


def test_default_decision_is_ok():
    decision = curation.decision_for("aspirin")
    assert decision.status == curation.OK and decision.note == ""


def test_sider_id_override():
    assert curation.sider_stereo_cid("clobetasol", 32797) == 32798
    assert curation.sider_stereo_cid("aspirin", 2244) == 2244


def test_unknown_curated_name_fails_loudly():
    with pytest.raises(RuntimeError, match="levofloxacin"):
        curation.check_curation(["aspirin"])
