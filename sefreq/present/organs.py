"""One primary organ class per side effect, the others kept as secondary: an SmPC lists a
term once, under its primary system organ class (SOC).

MedDRA links a term to every SOC it touches and names one of them primary; SIDER's mapping
keeps the links (401 of the 994 terms have two to four) but not which is primary. The
rule below follows MedDRA's own primary-SOC convention as far as the links allow:

1. Congenital, neoplasm and infection terms go to their own class, in that priority order
   (MedDRA's exceptions to "site of manifestation"), unless the term is tied to that
   class only through an ancillary group (:data:`ANCILLARY_GROUPS`: Stevens-Johnson
   syndrome and toxic epidermal necrolysis are not infections, tumour lysis syndrome and
   cachexia are not neoplasms) or, for neoplasms, is a cyst or a polyp (MedDRA files
   those under their site).
2. A reaction at an administration site (application, injection, infusion ... site) and a
   general symptom that MedDRA files there (oedema, chest pain and discomfort, chills,
   death, thirst) go to "General disorders and administration site conditions" when the
   term is linked to it.
3. Otherwise the site of manifestation: the first of the term's classes in
   :data:`SITE_ORDER`, which puts organ classes before the systemic ones (immune system,
   vascular) and those before the cross-cutting ones (general, injury, investigations).
   Dizziness goes to the nervous system, tinnitus to the ear, urticaria to the skin,
   seasonal allergy to the respiratory tract, jaundice to the liver. Known departures from
   MedDRA's primary SOC (the order cannot know them): flushing and hot flush (skin and
   reproductive, MedDRA: vascular), ascites (hepatobiliary, MedDRA: gastrointestinal),
   angioedema (respiratory, MedDRA: skin), libido terms (reproductive, MedDRA:
   psychiatric).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

CONGENITAL = "Congenital, familial and genetic disorders"
NEOPLASMS = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"
INFECTIONS = "Infections and infestations"
GENERAL = "General disorders and administration site conditions"
#: The class of a term SIDER maps to none.
UNCLASSIFIED = "Unclassified"
#: MedDRA's exceptions to "site of manifestation", in its priority order.
OWN_CLASS = (CONGENITAL, NEOPLASMS, INFECTIONS)
#: Group terms (HLGTs) that tie a term to an :data:`OWN_CLASS` without making it one of
#: its kind.
ANCILLARY_GROUPS = {
    INFECTIONS: "Ancillary infectious topics",
    NEOPLASMS: "Neoplasm related morbidities",
}
_CYST_OR_POLYP = re.compile(r"\b(cyst|cysts|polyp|polyps)\b|cystic\b")
_GENERAL = re.compile(
    r"\b(application|injection|infusion|administration|instillation|implant|vaccination|"
    r"catheter|puncture|incision) site\b"
    r"|\b(oedema|chest pain|chest discomfort|chills|death|thirst)\b"
)
#: Site of manifestation: a term in several classes takes the first of them here.
SITE_ORDER = (
    "Respiratory, thoracic and mediastinal disorders",
    "Eye disorders",
    "Ear and labyrinth disorders",
    "Hepatobiliary disorders",
    "Skin and subcutaneous tissue disorders",
    "Renal and urinary disorders",
    "Reproductive system and breast disorders",
    "Gastrointestinal disorders",
    "Musculoskeletal and connective tissue disorders",
    "Nervous system disorders",
    "Psychiatric disorders",
    "Cardiac disorders",
    "Blood and lymphatic system disorders",
    "Metabolism and nutrition disorders",
    "Endocrine disorders",
    "Immune system disorders",
    "Vascular disorders",
    "Pregnancy, puerperium and perinatal conditions",
    GENERAL,
    "Injury, poisoning and procedural complications",
    "Investigations",
    "Surgical and medical procedures",
    "Social circumstances",
    "Product issues",
)
_RANK = {name: rank for rank, name in enumerate(SITE_ORDER)}


def primary_organ_class(
    organ_classes: Sequence[str], group_terms: Sequence[str] = (), name: str = ""
) -> str:
    """The primary organ class of a side effect by the rule of this module.

    ``organ_classes``: every class SIDER links the term to; ``group_terms``: its MedDRA
    group terms (HLGTs), when known; ``name``: the term. :data:`UNCLASSIFIED` for none.
    """
    classes = [c for c in organ_classes if c]
    if not classes:
        return UNCLASSIFIED
    term = name.casefold()
    for own in OWN_CLASS:
        if own not in classes or ANCILLARY_GROUPS.get(own) in group_terms:
            continue
        if own == NEOPLASMS and _CYST_OR_POLYP.search(term) and len(classes) > 1:
            continue
        return own
    if GENERAL in classes and _GENERAL.search(term):
        return GENERAL
    site = [c for c in classes if c not in OWN_CLASS] or classes
    return min(site, key=lambda c: (_RANK.get(c, len(SITE_ORDER)), c))


def organ_class_table(side_effects: pd.DataFrame) -> pd.DataFrame:
    """Per side effect (``side_effects``' index): ``organ_class`` (the primary) and
    ``secondary_organ_classes`` (the others, "; "-joined, "" for none).

    ``side_effects``: the dataset's table, or one shaped like it (name, organ_classes and
    group_terms as lists).
    """
    primary = [
        primary_organ_class(list(organs), list(group), str(name))
        for organs, group, name in zip(
            side_effects["organ_classes"],
            side_effects["group_terms"],
            side_effects["name"],
            strict=True,
        )
    ]
    secondary = [
        "; ".join(c for c in organs if c and c != first)
        for organs, first in zip(side_effects["organ_classes"], primary, strict=True)
    ]
    return pd.DataFrame(
        {"organ_class": primary, "secondary_organ_classes": secondary}, index=side_effects.index
    )


def predicted_organ_classes(
    prediction: pd.DataFrame, dataset: Dataset | None = None
) -> pd.DataFrame:
    """:func:`organ_class_table` of the side effects in a predictor's long rows (index
    side_effect_index): from the dataset's side effects, group terms included, when there
    is one, else from the rows' own ``organ_classes`` ("|"-joined; a predictor carries no
    group terms, so none ties a term to a class)."""
    if dataset is not None:
        return organ_class_table(dataset.side_effects)
    rows = prediction[prediction["side_effect_index"] >= 0].drop_duplicates("side_effect_index")
    side_effects = pd.DataFrame(
        {
            "name": rows["side_effect"].to_numpy(),
            "organ_classes": [str(text).split("|") for text in rows["organ_classes"]],
            "group_terms": [()] * len(rows),
        },
        index=rows["side_effect_index"].astype(int).to_numpy(),
    )
    return organ_class_table(side_effects)


def short_organ_class(name: str) -> str:
    """An organ class as a grid's note names it: up to the first comma or " and ", without
    "disorders" ("Skin and subcutaneous tissue disorders" -> "Skin", "Nervous system
    disorders" -> "Nervous system", "Infections and infestations" -> "Infections")."""
    short = re.split(r",| and ", name, maxsplit=1)[0]
    return re.sub(r"\s+disorders$", "", short).strip() or name


def also_under_note(secondary: str) -> str:
    """ "Cardiac disorders; Vascular disorders" (a row's ``secondary_organ_classes``) ->
    "also under Cardiac, Vascular"; "" when the term has no other organ class."""
    names = [n.strip() for n in str(secondary or "").split(";") if n.strip()]
    return f"also under {', '.join(short_organ_class(n) for n in names)}" if names else ""
