"""What a person types for a symptom, read against the 994 side-effect terms.

:func:`match_symptom`: "ringing in ears", "headaches", "diarrhea", "tinitus" -> ranked
side-effect terms, each with what it matched (the term itself, a label wording SIDER files
under it, or a lay term) and how (exact, normalised, word order, similar spelling). Case,
spacing, punctuation, plurals, British/American spelling and small typos never matter.
Nothing close gives no candidates and a few suggestions, never an exception.
:func:`resolve_symptom` takes a term, its index or a match and answers one term, or
:class:`UnknownSymptomError` with the suggestions. Used by "Which drug?"
(:mod:`sefreq.present.which`), its page and ``sefreq which``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: What a candidate matched (``via`` of :data:`MATCH_COLUMNS`).
TERM, LLT_SYNONYM, LAY_TERM = "side-effect term", "label wording (MedDRA LLT)", "lay term"
_VIA = {"LLT": LLT_SYNONYM, "lay term": LAY_TERM}
#: How it matched (``how``), with the score of a term and of a synonym matched that way.
SAME, NORMALISED, WORD_ORDER, SIMILAR, WORDS = (
    "exact",
    "same words (case, punctuation, plural or spelling aside)",
    "same words, another order",
    "similar spelling",
    "shares the words",
)
_SCORES = {SAME: (1.0, 0.98), NORMALISED: (0.96, 0.94), WORD_ORDER: (0.9, 0.88)}
#: A typo's score: this times difflib's ratio, so a ratio of 0.78 or more is a match.
SIMILAR_WEIGHT = 0.9
#: Score at or above which a candidate is offered as a match; below: a suggestion only.
MATCH_CUTOFF = 0.7
MATCH_COLUMNS = ("side_effect_index", "side_effect", "matched", "via", "how", "score")

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _word_key(word: str) -> str:
    """One word without plural endings and with British spellings folded ("oedemas" ->
    "edema"); singular and plural forms of a word end up the same."""
    word = word.replace("oe", "e").replace("ae", "e")
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def symptom_key(text: str) -> str:
    """``text`` as the matcher compares it: accents dropped, casefold, punctuation as
    spaces, each word through plural and spelling folding ("Headaches!" -> "headach")."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    words = _NOT_WORD.sub(" ", plain.casefold()).split()
    return " ".join(_word_key(w) for w in words)


@dataclass(frozen=True)
class _Index:
    texts: tuple[str, ...]  # every name and synonym, as written
    indices: tuple[int, ...]  # its side_effect_index
    vias: tuple[str, ...]
    folded: dict[str, list[int]]  # casefold text -> positions
    keys: dict[str, list[int]]  # symptom_key -> positions
    sorted_keys: dict[str, list[int]]  # words of the key sorted -> positions
    word_sets: tuple[frozenset[str], ...]


@lru_cache(maxsize=4)
def _index(texts: tuple[str, ...], indices: tuple[int, ...], vias: tuple[str, ...]) -> _Index:
    folded: dict[str, list[int]] = {}
    keys: dict[str, list[int]] = {}
    sorted_keys: dict[str, list[int]] = {}
    word_sets = []
    for position, text in enumerate(texts):
        key = symptom_key(text)
        folded.setdefault(" ".join(text.casefold().split()), []).append(position)
        keys.setdefault(key, []).append(position)
        sorted_keys.setdefault(" ".join(sorted(key.split())), []).append(position)
        word_sets.append(frozenset(key.split()))
    return _Index(texts, indices, vias, folded, keys, sorted_keys, tuple(word_sets))


def _symptom_index(dataset: Dataset) -> _Index:
    names = dataset.side_effects["name"].astype(str)
    synonyms = dataset.synonyms
    texts = (*names, *synonyms["synonym"].astype(str))
    indices = (*range(len(names)), *(int(k) for k in synonyms["side_effect_index"]))
    vias = (*([TERM] * len(names)), *(_VIA.get(str(s), str(s)) for s in synonyms["source"]))
    return _index(tuple(texts), tuple(indices), tuple(vias))


@dataclass(frozen=True)
class SymptomMatch:
    """What :func:`match_symptom` made of a typed symptom.

    ``candidates``: matching side effects, best first (:data:`MATCH_COLUMNS`: the term,
    the text it matched, ``via`` (:data:`TERM`, :data:`LLT_SYNONYM` or :data:`LAY_TERM`),
    ``how`` and a score, 1 = the term as typed); empty when nothing is close enough.
    ``suggestions``: side-effect terms to offer instead when ``candidates`` is empty.
    """

    query: str
    candidates: pd.DataFrame
    suggestions: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        """True when at least one term matches."""
        return not self.candidates.empty

    @property
    def side_effect_index(self) -> int | None:
        """The best term's index (Galeano order), None without a match."""
        return int(self.candidates["side_effect_index"].iloc[0]) if self.found else None

    @property
    def side_effect(self) -> str | None:
        """The best term's name, None without a match."""
        return str(self.candidates["side_effect"].iloc[0]) if self.found else None

    def describe(self) -> str:
        """One line: "ringing in ears" -> tinnitus (lay term "ringing in ears")."""
        if not self.found:
            hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
            return f'No side effect matches "{self.query}".{hint}'
        best = self.candidates.iloc[0]
        if best["via"] == TERM and best["how"] == SAME:
            return f'"{self.query}" -> {best["side_effect"]}'
        how = f'{best["via"]} "{best["matched"]}", {best["how"]}'
        return f'"{self.query}" -> {best["side_effect"]} ({how})'


def match_symptom(query: str, dataset: Dataset, limit: int = 8) -> SymptomMatch:
    """The side effects ``query`` may name, best first (see :class:`SymptomMatch`).

    ``dataset``: the curated dataset (its ``side_effects`` names and ``synonyms``). At
    most ``limit`` candidates, one row per side effect (its best match); ties go to the
    side effect more drugs report.
    """
    text = " ".join(str(query or "").split())
    empty = pd.DataFrame(columns=list(MATCH_COLUMNS))
    key = symptom_key(text)
    if not key:
        return SymptomMatch(text, empty)
    index = _symptom_index(dataset)
    found: list[tuple[int, str]] = []  # (position in the index, how)

    found += [(p, SAME) for p in index.folded.get(text.casefold(), [])]
    found += [(p, NORMALISED) for p in index.keys.get(key, [])]
    found += [(p, WORD_ORDER) for p in index.sorted_keys.get(" ".join(sorted(key.split())), [])]
    scores: dict[int, float] = {}
    for position, how in found:
        term_score, synonym_score = _SCORES[how]
        score = term_score if index.vias[position] == TERM else synonym_score
        scores.setdefault(position, score)
    similar: dict[int, float] = {}
    if len(key) >= 4:  # a typo of the folded key ("tinitus") or of the text ("headake")
        for typed, table in ((key, index.keys), (text.casefold(), index.folded)):
            for close in difflib.get_close_matches(typed, list(table), n=3 * limit, cutoff=0.6):
                if len(close.split()) != len(typed.split()):
                    continue  # a typo keeps the words; "abdominal" is no typo of "abdominal pain"
                ratio = difflib.SequenceMatcher(None, typed, close).ratio()
                for position in table[close]:
                    similar[position] = max(similar.get(position, 0.0), ratio)
    hows = dict(found[::-1])  # the first (strongest) way each position matched
    for position, ratio in similar.items():
        if position not in scores:
            scores[position] = round(SIMILAR_WEIGHT * ratio, 3)
            hows[position] = SIMILAR
    words = frozenset(w for w in key.split() if len(w) >= 3)
    if words:
        for position, word_set in enumerate(index.word_sets):
            if position in scores or not word_set:
                continue
            shared = len(words & word_set)
            if shared and (shared == len(words) or shared == len(word_set)):
                coverage = shared / max(len(words), len(word_set))
                scores[position] = round(0.5 + 0.15 * coverage, 3)
                hows[position] = WORDS
    if not scores:
        return SymptomMatch(text, empty, _word_suggestions(key, index, dataset, limit))

    side_effects = dataset.side_effects
    popularity = side_effects.get("n_drugs_with_freq", pd.Series(0, index=side_effects.index))
    rows = pd.DataFrame(
        {
            "side_effect_index": [index.indices[p] for p in scores],
            "matched": [index.texts[p] for p in scores],
            "via": [index.vias[p] for p in scores],
            "how": [hows[p] for p in scores],
            "score": list(scores.values()),
        }
    )
    rows["side_effect"] = side_effects["name"].to_numpy()[rows["side_effect_index"]]
    rows["_popular"] = popularity.to_numpy()[rows["side_effect_index"]]
    rows["_term"] = rows["via"] != TERM
    rows = rows.sort_values(
        ["score", "_term", "_popular", "side_effect"],
        ascending=[False, True, False, True],
        kind="stable",
    ).drop_duplicates("side_effect_index")
    strong = rows[rows["score"] >= MATCH_CUTOFF]
    if strong.empty:
        return SymptomMatch(text, empty, tuple(rows["side_effect"].head(limit)))
    return SymptomMatch(text, strong[list(MATCH_COLUMNS)].head(limit).reset_index(drop=True))


def _word_suggestions(key: str, index: _Index, dataset: Dataset, limit: int) -> tuple[str, ...]:
    """Terms sharing a word that looks like one of ``key``'s ("headake nausia" -> ...)."""
    vocabulary = sorted({w for words in index.word_sets for w in words})
    near: set[str] = set()
    for word in key.split():
        near |= set(difflib.get_close_matches(word, vocabulary, n=3, cutoff=0.7))
    if not near:
        return ()
    names = dataset.side_effects["name"].astype(str)
    hits = [
        index.indices[p] for p, words in enumerate(index.word_sets) if words & near
    ]  # positions in index order: terms first
    seen = dict.fromkeys(hits)
    return tuple(names.iloc[k] for k in list(seen)[:limit])


class UnknownSymptomError(ValueError):
    """No side effect matches the symptom; ``suggestions`` holds terms to offer instead."""

    def __init__(self, match: SymptomMatch) -> None:
        super().__init__(match.describe())
        self.match = match
        self.suggestions = match.suggestions


def resolve_symptom(symptom: str | int | SymptomMatch, dataset: Dataset) -> SymptomMatch:
    """``symptom`` as a match with a term: typed text, a side_effect_index, or a match.

    Raises :class:`UnknownSymptomError` when nothing matches.
    """
    if isinstance(symptom, SymptomMatch):
        match = symptom
    elif isinstance(symptom, int | np.integer):
        name = str(dataset.side_effects["name"].iloc[int(symptom)])
        return match_symptom(name, dataset)
    else:
        match = match_symptom(str(symptom), dataset)
    if not match.found:
        raise UnknownSymptomError(match)
    return match
