"""Mechanism evidence: the 2 x 2 label counts behind "this protein carries this side effect"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from sefreq.explain.mechanism import MechanismEvidence


def _dataset():
    # Drugs 0-4 act on KCNH2 and 3 of them list "qt prolonged"; of the 5 others (acting on
    # P2, drugs 5-8 also on P3) one lists it. Drug 10 has no listing: it is not counted.
    targets = pd.DataFrame(
        {
            "drug_index": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 6, 7, 8, 10],
            "uniprot_id": ["Q12809"] * 5 + ["P2"] * 5 + ["P3"] * 4 + ["Q12809"],
            "protein": ["Potassium channel KCNH2"] * 5 + [""] * 9 + ["Potassium channel KCNH2"],
            "category": "target",
            "actions": "",
            "source": "DrugBank",
        }
    )
    associations = pd.DataFrame(
        {
            "drug_index": [0, 1, 2, 5, 3, 4, 6, 7, 8, 9],
            "side_effect_index": [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
        }
    )
    side_effects = pd.DataFrame({"name": ["qt prolonged", "nausea"]})
    return SimpleNamespace(targets=targets, associations=associations, side_effects=side_effects)


def test_counts_shares_lift_and_fisher_p_value():
    evidence = MechanismEvidence.from_dataset(_dataset())
    proteins = pd.DataFrame({"uniprot_id": ["Q12809"], "source": ["DrugBank"], "chance": [1.0]})
    table = evidence.table(proteins, [0, 1])
    row = table[table["side_effect"] == "qt prolonged"].iloc[0]
    assert (row.n_with, row.n_with_listing, row.n_without, row.n_without_listing) == (5, 3, 5, 1)
    assert row.protein == "Potassium channel KCNH2"
    assert np.isclose(row.share_with, 0.6) and np.isclose(row.share_without, 0.2)
    assert np.isclose(row.lift, 0.6 / 0.2)
    assert np.isclose(row.p_value, fisher_exact([[3, 2], [1, 4]], alternative="greater")[1])
    nausea = table[table["side_effect"] == "nausea"].iloc[0]
    assert (nausea.n_with_listing, nausea.n_without_listing) == (2, 4)


def test_proteins_with_few_labelled_drugs_or_unknown_are_left_out():
    evidence = MechanismEvidence.from_dataset(_dataset())
    few = pd.DataFrame({"uniprot_id": ["P3", "NOPE"], "source": "x", "chance": 1.0})
    # P3 has 4 labelled drugs, below MIN_DRUGS = 5; P2 has 5.
    assert evidence.table(few, [0]).empty
    p2 = pd.DataFrame({"uniprot_id": ["P2"], "source": "x", "chance": 1.0})
    assert evidence.table(p2, [0])["n_with"].tolist() == [5]
