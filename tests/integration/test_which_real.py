"""Which drug? on the real data: SIDER's label wordings, the lay terms, and a medication list
read against the labels and the bundled model.

Skipped unless SEFREQ_DATA_DIR points at the upstream files. No predicted number is
asserted (the bundled model may be retrained): only what the labels say and the order the
answer promises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sefreq.data.cache import load_dataset
from sefreq.data.dataset import Dataset
from sefreq.present.symptoms import (
    LAY_TERM,
    LLT_SYNONYM,
    match_symptom,
)
from sefreq.present.which import (
    LABEL_SOURCE,
    NOT_ON_LABELS,
    PREDICTION_SOURCE,
    drugs_reporting,
    which_drugs,
)

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def dataset(real_data_dir: Path) -> Dataset:
    return load_dataset(data_dir=real_data_dir)


@pytest.mark.parametrize(
    ("typed", "term", "via"),
    [
        ("ringing in ears", "tinnitus", LAY_TERM),
        ("Ringing in the ears", "tinnitus", LAY_TERM),
        ("tinitus", "tinnitus", None),
        ("Heartburn", "dyspepsia", LLT_SYNONYM),
        ("abdominal cramps", "abdominal pain", LLT_SYNONYM),
        ("Lassitude", "fatigue", LLT_SYNONYM),
        ("headaches", "headache", None),
        ("diarrhea", "diarrhoea", None),
    ],
)
def test_real_wordings_find_their_term(dataset, typed: str, term: str, via: str | None) -> None:
    match = match_symptom(typed, dataset)
    assert match.side_effect == term
    if via is not None:
        assert match.candidates["via"].iloc[0] == via


def test_the_synonyms_come_from_siders_label_wordings(dataset) -> None:
    synonyms = dataset.synonyms
    names = dataset.side_effects["name"]
    heartburn = synonyms[synonyms["synonym"] == "Heartburn"].iloc[0]
    assert names.iloc[heartburn["side_effect_index"]] == "dyspepsia"
    assert heartburn["source"] == "LLT" and heartburn["n_drugs"] > 10
    assert len(synonyms[synonyms["source"] == "LLT"]) > 1000
    # A wording that is itself one of the 994 names is never a synonym of another.
    assert not synonyms["synonym"].str.casefold().isin(set(names.str.casefold())).any()
    # SIDER's UMLS mapping reads RTA (renal tubular acidosis) as road traffic accident.
    wrong = synonyms[synonyms["synonym"].str.casefold() == "renal tubular acidosis"]
    assert "road traffic accident" not in set(names.iloc[wrong["side_effect_index"]])


def test_ibuprofen_ranks_above_a_drug_whose_labels_do_not_report_tinnitus(dataset) -> None:
    table = which_drugs("ringing in ears", "metformin, ibuprofen, Lasix, notadrug", dataset)
    assert table["drug"].tolist()[:3] == ["ibuprofen", "furosemide", "metformin"]
    by_drug = table.set_index("entered")
    assert by_drug.loc["ibuprofen", "source"] == LABEL_SOURCE
    assert by_drug.loc["Lasix", "source"] == LABEL_SOURCE  # a brand, read as furosemide
    assert by_drug.loc["metformin", "source"] == PREDICTION_SOURCE
    assert by_drug.loc["metformin", "label_band"] == NOT_ON_LABELS
    assert by_drug.loc["notadrug", "error"] and table["entered"].iloc[-1] == "notadrug"
    assert table["p_reported_pct"].iloc[:3].between(0, 100).all()


def test_the_reverse_lists_drugs_whose_labels_report_it(dataset) -> None:
    table = drugs_reporting("tinnitus", dataset, n=30)
    assert len(table) == 30
    order = list(zip(-table["label_class"], -table["n_labels"], table["drug"], strict=True))
    assert order == sorted(order)
    tinnitus = int(np.flatnonzero(dataset.side_effects["name"] == "tinnitus")[0])
    pairs = dataset.pairs[dataset.pairs["side_effect_index"] == tinnitus].set_index("drug_index")
    assert pairs.loc[table["drug_index"], "on_label"].all()
    assert (table["label_class"] > 0).all()  # 30 drugs state a frequency for tinnitus
