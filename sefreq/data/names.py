"""Names a person may type to find one of the 759 drugs: generic, label, brand, ATC.

A pharmacist reads the box ("ACTOS"), the label ("PIOGLITAZONE (PIOGLITAZONE
HYDROCHLORIDE)") or an ATC code; all of them lead to a drug index here. Matching uses a
normalised key (casefold, single spaces), so "Actos", "ACTOS " and "actos" agree.
"""

from __future__ import annotations

import html
import re

import pandas as pd

GENERIC = "generic"
LABEL = "label"
BRAND = "brand"
ATC = "atc"
SYNONYM = "synonym"  # DrugBank synonyms and brands (catalogue drugs)
NAME_KINDS = (GENERIC, LABEL, BRAND, ATC, SYNONYM)

#: Words that name a salt, hydrate or dosage form rather than the active ingredient.
_SALT_TEXT = """
hydrochloride hcl dihydrochloride hydrobromide hydroiodide sulfate sulphate bisulfate
hemisulfate phosphate diphosphate acetate diacetate maleate fumarate hemifumarate
tartrate bitartrate citrate succinate mesylate mesilate dimesylate besylate besilate
tosylate lactate gluconate glucuronide oxalate nitrate benzoate salicylate stearate
pamoate palmitate propionate butyrate valerate dipropionate decanoate enanthate
cypionate undecanoate furoate bromide chloride iodide sodium disodium potassium
dipotassium calcium magnesium zinc lithium meglumine tromethamine trometamol arginine
lysine ammonium monohydrate dihydrate trihydrate hemihydrate sesquihydrate anhydrous
hydrate tablets tablet capsules capsule injection injectable solution suspension oral
usp bp extended release for
"""
SALT_WORDS = frozenset(_SALT_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+")

_SPACES = re.compile(r"\s+")
# "PIOGLITAZONE (PIOGLITAZONE HYDROCHLORIDE)": the active ingredient, then the salt form.
_PARENTHESISED = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)\s*$")


def name_key(text: str) -> str:
    """Normalised form of a name for matching: casefold, spaces collapsed and trimmed."""
    return _SPACES.sub(" ", str(text)).strip().casefold()


_TRADEMARKS = re.compile("[\u2122\u00ae\u00a9]")
# SIDER's label index sometimes holds a sentence of the label instead of a name
# ("Structural formula:", "Active ingredient: Rifabutin", "... CAS number: 9041-08-1").
_NOT_A_NAME = re.compile(
    r":|\bCAS\b|formula|chemical name|approval|contains|medication|\]|<|>", re.IGNORECASE
)
MAX_NAME_WORDS = 8


def clean_name(text: str) -> str:
    """A label or brand name as a person would type it; "" when it is not a name.

    HTML entities are decoded and trademark signs dropped ("DBL&trade; Octreotide" ->
    "DBL Octreotide"); sentences copied from the label are refused.
    """
    text = _TRADEMARKS.sub("", html.unescape(str(text)))
    text = _SPACES.sub(" ", text).strip(" ,.;")
    if not text or _NOT_A_NAME.search(text) or len(text.split()) > MAX_NAME_WORDS:
        return ""
    return text


def label_name_variants(label_name: str) -> list[str]:
    """The full label name and, for "A (B)", both A and B."""
    text = clean_name(label_name)
    if not text:
        return []
    variants = [text]
    match = _PARENTHESISED.match(text)
    if match:
        variants += [match["outer"].strip(), match["inner"].strip()]
    return variants


def build_names(drugs: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Every name of every drug: name (as written), key, kind, drug_index.

    ``drugs``: the dataset's drug table (name, atc). ``labels``: label_mapping rows with a
    drug_index (label_name, brand, generic_name). One row per distinct (key, kind,
    drug_index); the first spelling met is kept. A key may lead to several drugs (a brand
    used for a combination and its component): callers show them all.
    """
    records: list[tuple[str, str, int]] = []
    for index, (name, atc) in enumerate(zip(drugs["name"], drugs["atc"], strict=True)):
        records.append((name, GENERIC, index))
        for code in filter(None, str(atc).split("|")):
            records.append((code.strip(), ATC, index))
    for drug_index, label_name, brand, generic_name in zip(
        labels["drug_index"],
        labels["label_name"],
        labels["brand"],
        labels["generic_name"],
        strict=True,
    ):
        for variant in label_name_variants(label_name) + label_name_variants(generic_name):
            records.append((variant, LABEL, int(drug_index)))
        # "ACTOS (45MG)": the part before the parenthesis is the brand as people say it;
        # the parenthesised part is a dose or a salt, not a name of its own.
        for variant in label_name_variants(brand)[:2]:
            records.append((variant, BRAND, int(drug_index)))

    names = pd.DataFrame(records, columns=["name", "kind", "drug_index"])
    names.insert(1, "key", names["name"].map(name_key))
    names = names[names["key"] != ""]
    # A generic name also written on labels stays "generic": keep the most specific kind.
    names["kind"] = pd.Categorical(names["kind"], categories=list(NAME_KINDS), ordered=True)
    names = names.sort_values(["drug_index", "kind"], kind="stable")
    names = names.drop_duplicates(["key", "drug_index"]).reset_index(drop=True)
    names["kind"] = names["kind"].astype(str)
    names["drug_index"] = names["drug_index"].astype("int64")
    return names


def strip_salts(key: str) -> str:
    """``key`` without salt, hydrate and dosage-form words (and punctuation)."""
    words = [w for w in _WORD.findall(key) if w not in SALT_WORDS]
    return " ".join(words)
