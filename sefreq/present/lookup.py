"""Find a drug of the catalogue from what a person types: generic, brand, label name, synonym,
ATC code.

Forgiving on purpose: case and spacing never matter, salt words ("hydrochloride",
"sodium") are ignored, an ATC prefix ("N02BE") lists its drugs, a name's start is enough
("ibupro"), and typos are caught by difflib's ratio ("ibuprofin").
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

import pandas as pd

from sefreq.data.names import SALT_WORDS, name_key, strip_salts  # noqa: F401 (re-exported)

_ATC = re.compile(r"^[a-z]\d{2}([a-z]([a-z](\d{2})?)?)?$")

#: Match strengths, best first; also the ``how`` column of :func:`lookup_drug`.
EXACT, SALT, ATC_CODE, PREFIX, FUZZY = "exact", "salt form", "ATC code", "name start", "similar"
_SCORE = {EXACT: 1.0, SALT: 0.97, ATC_CODE: 0.95, PREFIX: 0.9}
#: difflib ratio below which a name is not offered as a typo match.
FUZZY_CUTOFF = 0.75

COLUMNS = ("drug_index", "drug", "matched_name", "kind", "how", "score")


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
    compact = key.replace(" ", "")
    is_atc = bool(_ATC.match(compact))
    if is_atc:
        kinds = names["kind"].tolist()
        add(
            [r for r, k in enumerate(keys) if kinds[r] == "atc" and k.startswith(compact)],
            ATC_CODE,
            _SCORE[ATC_CODE],
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


def exact_match(matches: pd.DataFrame) -> int | None:
    """The drug_index when exactly one drug of :func:`lookup_drug`'s ``matches`` carries
    the name as typed (case and spacing aside: how == "exact"); None otherwise, when the
    person should choose."""
    exact = matches.loc[matches["how"] == EXACT, "drug_index"].drop_duplicates()
    return int(exact.iloc[0]) if len(exact) == 1 else None
