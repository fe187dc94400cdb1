"""Other names of the 994 side effects: the label wordings SIDER maps to them, and lay terms.

SIDER records each side effect it reads on a label twice over: the MedDRA lower-level term
(LLT) closest to the label's wording and the preferred term(s) (PT) above it, both keyed by
the label concept (``label_cui``). "Heartburn" on a label is the LLT Heartburn under the
PT Dyspepsia. :func:`build_synonyms` turns those pairs into a table of synonyms a person
may type; :data:`LAY_TERMS` adds a few everyday phrases no label uses ("ringing in the
ears"), since SIDER holds only the LLTs labels happen to print.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sefreq.data import sider
from sefreq.data.catalogue import ALL_SE_COLUMNS

#: Columns of :func:`build_synonyms`.
SYNONYM_COLUMNS = ("synonym", "side_effect_index", "source", "n_drugs", "share")
LLT, LAY = "LLT", "lay term"
#: (wording, side effect) pairs SIDER maps wrongly, left out: its UMLS mapping reads the
#: abbreviation RTA of renal tubular acidosis as road traffic accident.
WRONG_PAIRS = frozenset({("renal tubular acidosis", "road traffic accident")})

#: Everyday words for common side effects -> the MedDRA term (as Galeano spells it,
#: casefold). Kept short: only phrases people say that neither the 994 terms nor SIDER's
#: label wordings contain. A phrase whose term is not among the side effects is skipped.
LAY_TERMS: dict[str, str] = {
    "ringing in the ears": "tinnitus",
    "ringing in ears": "tinnitus",
    "buzzing in the ears": "tinnitus",
    "hair loss": "alopecia",
    "losing hair": "alopecia",
    "itching": "pruritus",
    "itchy skin": "pruritus",
    "hives": "urticaria",
    "throwing up": "vomiting",
    "being sick": "vomiting",
    "sleeplessness": "insomnia",
    "trouble sleeping": "insomnia",
    "cannot sleep": "insomnia",
    "sleepiness": "somnolence",
    "drowsiness": "somnolence",
    "tiredness": "fatigue",
    "nosebleed": "epistaxis",
    "fainting": "syncope",
    "pins and needles": "paraesthesia",
    "tingling": "paraesthesia",
    "shortness of breath": "dyspnoea",
    "breathlessness": "dyspnoea",
    "joint pain": "arthralgia",
    "muscle pain": "myalgia",
    "indigestion": "dyspepsia",
    "fever": "body temperature increased",
    "sweating": "hyperhidrosis",
    "wind": "flatulence",
    "swollen ankles": "oedema peripheral",
    "swollen legs": "oedema peripheral",
    "heart attack": "myocardial infarction",
    "fast heartbeat": "tachycardia",
    "racing heart": "tachycardia",
    "slow heartbeat": "bradycardia",
    "low blood pressure": "hypotension",
    "high blood pressure": "hypertension",
    "low blood sugar": "hypoglycaemia",
    "high blood sugar": "hyperglycaemia",
    "blurred vision": "vision blurred",
    "loss of appetite": "decreased appetite",
    "weight gain": "weight increased",
    "weight loss": "weight decreased",
    "impotence": "erectile dysfunction",
    "hot flashes": "hot flush",
    "stomach pain": "abdominal pain",
    "tummy ache": "abdominal pain",
    "taste disturbance": "dysgeusia",
    "bad taste": "dysgeusia",
    "hearing loss": "deafness",
    "bruising": "contusion",
    "shaking": "tremor",
    "low mood": "depression",
    "runny nose": "rhinorrhoea",
    "blocked nose": "nasal congestion",
    "sore throat": "oropharyngeal pain",
    "mouth ulcers": "mouth ulceration",
    "yellow skin": "jaundice",
}


def read_term_pairs(path: Path) -> pd.DataFrame:
    """LLT -> PT pairs of meddra_all_se(.tsv.gz): one row per drug x label concept x PT.

    Columns: stitch_stereo (CID), llt (the LLT name), pt_cui, pt (the PT name). SIDER
    writes the LLT and its PTs as rows sharing the drug and the label concept.
    """
    table = sider.read_rows(path, ALL_SE_COLUMNS)
    keys = ["stitch_stereo", "label_cui"]
    llt = table[table["term_type"] == "LLT"][[*keys, "term"]].rename(columns={"term": "llt"})
    pt = table[table["term_type"] == "PT"][[*keys, "umls_cui", "term"]]
    pt = pt.rename(columns={"umls_cui": "pt_cui", "term": "pt"})
    return llt.merge(pt, on=keys)[["stitch_stereo", "llt", "pt_cui", "pt"]]


def build_synonyms(term_pairs: pd.DataFrame, side_effects: pd.DataFrame) -> pd.DataFrame:
    """Synonyms of the 994 side effects (:data:`SYNONYM_COLUMNS`), LLTs then lay terms.

    ``term_pairs``: :func:`read_term_pairs`; ``side_effects``: the dataset's table (name,
    umls_cui). A PT is one of ours by CUI, else by name. ``n_drugs``: drugs whose labels
    carry the wording with that PT; ``share``: the part of the wording's drugs that map it
    to this side effect (SIDER sometimes maps one wording to several PTs: "Abdominal pain"
    to Abdominal pain and Gastrointestinal pain). A wording that is itself one of the 994
    names is left out: it names that side effect. Lay terms have n_drugs 0, share 1.
    """
    names = side_effects["name"].str.casefold()
    by_name = {name: k for k, name in enumerate(names)}
    by_cui = {
        cui: k for k, cui in enumerate(side_effects.get("umls_cui", [])) if isinstance(cui, str)
    }
    pairs = term_pairs.assign(
        side_effect_index=term_pairs["pt_cui"]
        .map(by_cui)
        .astype(float)
        .fillna(term_pairs["pt"].str.casefold().map(by_name).astype(float)),
        key=term_pairs["llt"].str.casefold().str.strip(),
    )
    wording_drugs = pairs.groupby("key")["stitch_stereo"].nunique()
    pairs = pairs[pairs["side_effect_index"].notna() & ~pairs["key"].isin(by_name)]
    wrong = [
        (key, names.iloc[int(k)]) in WRONG_PAIRS
        for key, k in zip(pairs["key"], pairs["side_effect_index"], strict=True)
    ]
    pairs = pairs[~pd.Series(wrong, index=pairs.index, dtype=bool)]
    grouped = pairs.groupby(["key", "side_effect_index"], as_index=False).agg(
        synonym=("llt", "first"), n_drugs=("stitch_stereo", "nunique")
    )
    grouped["share"] = (grouped["n_drugs"] / grouped["key"].map(wording_drugs)).round(3)
    grouped["source"] = LLT
    lay = pd.DataFrame(
        [
            (phrase, by_name[term], LAY, 0, 1.0)
            for phrase, term in LAY_TERMS.items()
            if term in by_name and phrase not in by_name
        ],
        columns=list(SYNONYM_COLUMNS),
    )
    table = pd.concat([grouped[list(SYNONYM_COLUMNS)], lay], ignore_index=True)
    table["side_effect_index"] = table["side_effect_index"].astype("int64")
    table["n_drugs"] = table["n_drugs"].astype("int64")
    table["share"] = table["share"].astype(float)
    return table.sort_values(["synonym", "side_effect_index"], kind="stable").reset_index(drop=True)
