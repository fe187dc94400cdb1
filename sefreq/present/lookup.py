"""Find a drug of the catalogue from what a person types: generic, brand, label name, synonym,
ATC code.

Forgiving on purpose: case and spacing never matter, salt words ("hydrochloride",
"sodium") are ignored, an ATC prefix ("N02BE") lists its drugs, a name's start is enough
("ibupro"), and typos are caught by difflib's ratio ("ibuprofin"). A combination
("amoxicillin/clavulanate", "co-amoxiclav", "Augmentin") is named by its components
(:func:`combination_parts`).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

import pandas as pd

from sefreq.data.names import SALT_WORDS, name_key, strip_salts  # noqa: F401 (re-exported)
from sefreq.present.text import markdown_safe

_ATC = re.compile(r"^[a-z]\d{2}([a-z]([a-z](\d{2})?)?)?$")

#: Match strengths, best first; also the ``how`` column of :func:`lookup_drug`.
EXACT, SALT, ATC_CODE, PREFIX, FUZZY = "exact", "salt form", "ATC code", "name start", "similar"
#: A full ATC code no drug carries: the drugs of its chemical subgroup (its first 5 signs).
ATC_GROUP = "same ATC group"
_SCORE = {EXACT: 1.0, SALT: 0.97, ATC_CODE: 0.95, PREFIX: 0.9, ATC_GROUP: 0.8}
#: difflib ratio below which a name is not offered as a typo match.
FUZZY_CUTOFF = 0.75
#: "clavulanic acid" and "clavulanate" name one active moiety (the acid and its anion):
#: the BNF writes one, the catalogue the other.
_ACID = re.compile(r"^(?P<stem>\w{3,})ic acid$")
_ANION = re.compile(r"^(?P<stem>\w{3,})ate$")

COLUMNS = ("drug_index", "drug", "matched_name", "kind", "how", "score")


def acid_or_anion(key: str) -> str | None:
    """The other name of an acid's active moiety: "valproic acid" <-> "valproate"."""
    if match := _ACID.match(key):
        return f"{match['stem']}ate"
    if match := _ANION.match(key):
        return f"{match['stem']}ic acid"
    return None


@lru_cache(maxsize=4)
def _index(keys: tuple[str, ...]) -> dict[str, list[int]]:
    """Salt-stripped key -> rows of the names table (cached per table)."""
    stripped: dict[str, list[int]] = {}
    for row, key in enumerate(keys):
        stripped.setdefault(strip_salts(key), []).append(row)
    return stripped


def lookup_drug(
    query: str, names: pd.DataFrame, drugs: pd.DataFrame, limit: int = 10
) -> pd.DataFrame:
    """Drugs matching ``query``, best first: drug_index, drug, matched_name, kind, how, score.

    ``names``: the dataset's name table (name, key, kind, drug_index); ``drugs``: its drug
    table (for the generic name). ``score`` is 1 for an exact name, less for looser
    matches (difflib ratio for typos). An empty frame when nothing is close.
    """
    key = name_key(query)
    if not key:
        return pd.DataFrame(columns=list(COLUMNS))
    keys = names["key"].tolist()
    hits: list[tuple[int, str]] = []  # (row in names, how) with a score below

    scores: list[float] = []

    def add(rows: list[int], how: str, score: float) -> None:
        for row in rows:
            hits.append((row, how))
            scores.append(score)

    add([r for r, k in enumerate(keys) if k == key], EXACT, _SCORE[EXACT])
    stripped_query = strip_salts(key)
    stripped = _index(tuple(keys))
    if stripped_query:
        add(stripped.get(stripped_query, []), SALT, _SCORE[SALT])
        other = acid_or_anion(stripped_query)
        if other:
            add(stripped.get(other, []), SALT, _SCORE[SALT])
    compact = key.replace(" ", "")
    is_atc = bool(_ATC.match(compact))
    if is_atc:
        kinds = names["kind"].tolist()
        add(
            [r for r, k in enumerate(keys) if kinds[r] == "atc" and k.startswith(compact)],
            ATC_CODE,
            _SCORE[ATC_CODE],
        )
    if is_atc and not hits and len(compact) == 7:
        # DrugBank gives ATC codes to part of the catalogue only (warfarin has none here):
        # a full code that no drug carries lists the drugs of its chemical subgroup.
        group = compact[:5]
        add(
            [r for r, k in enumerate(keys) if kinds[r] == "atc" and k.startswith(group)],
            ATC_GROUP,
            _SCORE[ATC_GROUP],
        )
    if len(key) >= 4:
        add([r for r, k in enumerate(keys) if k.startswith(key)], PREFIX, _SCORE[PREFIX])
    if stripped_query and len(stripped_query) >= 3 and not is_atc:
        for candidate in difflib.get_close_matches(
            stripped_query, list(stripped), n=limit, cutoff=FUZZY_CUTOFF
        ):
            ratio = difflib.SequenceMatcher(None, stripped_query, candidate).ratio()
            add(stripped[candidate], FUZZY, round(0.85 * ratio, 3))

    if not hits:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = [row for row, _ in hits]
    found = names.iloc[rows][["drug_index", "name", "kind"]].reset_index(drop=True)
    found["how"] = [how for _, how in hits]
    found["score"] = scores
    found = found.rename(columns={"name": "matched_name"})
    # The best match per drug; generic names before brand/label names at equal score.
    kind_order = {"generic": 0, "brand": 1, "label": 2, "atc": 3}
    found["_kind"] = found["kind"].map(kind_order).fillna(9)
    found = found.sort_values(["score", "_kind"], ascending=[False, True], kind="stable")
    found = found.drop_duplicates("drug_index").head(limit)
    found.insert(1, "drug", drugs.loc[found["drug_index"], "name"].to_numpy())
    return found[list(COLUMNS)].reset_index(drop=True)


#: Fixed combinations a pharmacy counter names by one word, as their components: the
#: British Approved Names of the BNF ("co-" names) and a few brands of the same products.
#: SEFreq profiles one molecule at a time, so a combination is answered component by
#: component (the catalogue's DrugBank aliases give some brands to one component only:
#: Augmentin to amoxicillin).
COMBINATIONS: dict[str, tuple[str, ...]] = {
    "co-amoxiclav": ("amoxicillin", "clavulanic acid"),
    "augmentin": ("amoxicillin", "clavulanic acid"),
    "co-trimoxazole": ("sulfamethoxazole", "trimethoprim"),
    "bactrim": ("sulfamethoxazole", "trimethoprim"),
    "septra": ("sulfamethoxazole", "trimethoprim"),
    "co-codamol": ("codeine", "paracetamol"),
    "co-dydramol": ("dihydrocodeine", "paracetamol"),
    "co-careldopa": ("carbidopa", "levodopa"),
    "sinemet": ("carbidopa", "levodopa"),
    "co-beneldopa": ("benserazide", "levodopa"),
    "madopar": ("benserazide", "levodopa"),
    "co-tenidone": ("atenolol", "chlortalidone"),
    "co-amilofruse": ("amiloride", "furosemide"),
    "co-amilozide": ("amiloride", "hydrochlorothiazide"),
    "co-triamterzide": ("triamterene", "hydrochlorothiazide"),
    "co-fluampicil": ("flucloxacillin", "ampicillin"),
}
#: What joins the components of a combination typed out: "/", "+", "&", "with".
_JOINS = re.compile(r"\s*(?:/|\+|&|\bwith\b)\s*", re.IGNORECASE)


def combination_parts(query: str) -> list[str]:
    """The components a combination's name stands for ("amoxicillin/clavulanate",
    "co-amoxiclav", "Augmentin" -> two names); [] for a single drug."""
    known = COMBINATIONS.get(name_key(query))
    if known:
        return list(known)
    parts = [part for part in _JOINS.split(query) if part.strip()]
    return parts if len(parts) > 1 else []


def lookup_combination(
    parts: list[str], names: pd.DataFrame, drugs: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """The best match of each component of a combination (:func:`lookup_drug`'s columns,
    one row per component found, in the order given) and the components nothing matches."""
    found, missing = [], []
    for part in parts:
        best = lookup_drug(part, names, drugs, limit=1)
        (found if len(best) else missing).append(best if len(best) else part)
    if not found:
        return pd.DataFrame(columns=list(COLUMNS)), missing
    matches = pd.concat(found, ignore_index=True).drop_duplicates("drug_index")
    return matches.reset_index(drop=True), missing


#: Where the catalogue's drugs come from, as a user is told when a name is not among them.
SNAPSHOTS = "SIDER 4.1 (labels up to 2015), DrugBank and DrugCentral open data"


def not_found_message(query: str, n_drugs: int) -> str:
    """What to say when nothing matches ``query`` (markdown, the query escaped)."""
    return (
        f"No drug among the {n_drugs:,} known ones matches “{markdown_safe(query)}”. Check "
        "the spelling, or try the generic name or an ATC code. A drug approved after the "
        f"data snapshots ({SNAPSHOTS}) is not known by name: paste its structure (SMILES, "
        "from PubChem or the label) under **Paste SMILES**, and the model predicts it as a "
        "new molecule."
    )


def combination_message(query: str, parts: list[str], missing: list[str]) -> str:
    """What to say when ``query`` names a combination of ``parts`` (markdown, escaped)."""
    names = " + ".join(markdown_safe(p) for p in parts)
    text = (
        f"“{markdown_safe(query)}” is a combination: {names}. SEFreq profiles one molecule "
        "at a time and the data hold no label of the combination itself: pick a component "
        "below for its own profile, then the next one."
    )
    if missing:
        text += " Not in the data: " + ", ".join(markdown_safe(m) for m in missing) + "."
    return text


def atc_group_message(query: str) -> str:
    """What to say when a full ATC code is carried by no drug (:data:`ATC_GROUP` matches)."""
    code = name_key(query).replace(" ", "").upper()
    return (
        f"No drug in the data carries the ATC code {code} (DrugBank gives codes to part of "
        f"the catalogue only): below, the drugs of its group {code[:5]}. Try the drug's "
        "name too."
    )


def exact_match(matches: pd.DataFrame) -> int | None:
    """The drug_index when exactly one drug of :func:`lookup_drug`'s ``matches`` carries
    the name as typed (case and spacing aside: how == "exact"); None otherwise, when the
    person should choose."""
    exact = matches.loc[matches["how"] == EXACT, "drug_index"].drop_duplicates()
    return int(exact.iloc[0]) if len(exact) == 1 else None
