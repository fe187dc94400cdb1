"""`sefreq explain --mechanism` on the shipped model and the real data.

Skipped unless SEFREQ_DATA_DIR points at the upstream files.
"""

from __future__ import annotations

import pytest

from sefreq.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

IMIPRAMINE = "CN(C)CCCN1c2ccccc2CCc2ccccc21"


def test_explain_mechanism_names_the_known_targets_and_their_evidence(real_data_dir, capsys):
    code = main(["explain", IMIPRAMINE, "--mechanism", "--side-effect", "dry mouth"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("mechanism: known targets from DrugBank / DrugCentral")
    assert "Muscarinic acetylcholine receptor M1" in out  # one of its known proteins
    assert "dry mouth:" in out and "training drugs acting on" in out
    assert "not proof of cause" in out


def test_explain_mechanism_of_a_new_molecule_reads_predicted_targets(real_data_dir, capsys):
    code = main(["explain", IMIPRAMINE, "--mechanism", "--structure-only"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("mechanism: predicted targets")
    assert "chance" in out
