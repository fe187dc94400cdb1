"""Which drug could cause this symptom? A medication list read against one side effect.

Two pieces, each usable from Python, the command line (``sefreq which``) and the
dashboard's "Which drug?" page, after the symptom is read
(:func:`sefreq.present.symptoms.match_symptom`):

- :func:`which_drugs`: a medication list (names, brands, SMILES) against the symptom: the
  drugs whose labels report it first, by how often (the band of the median label
  statement), then the others by the model's predicted chance; every row with its
  evidence, and an ``error`` for an entry that could not be read.
- :func:`drugs_reporting`: the reverse question: the known drugs whose labels report the
  symptom most often.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sefreq.data.severity import SERIOUS, severity_of
from sefreq.present import molecules
from sefreq.present.evidence import label_evidence
from sefreq.present.lookup import EXACT, SALT, lookup_drug
from sefreq.present.profile import conformal_bands, shown_spread
from sefreq.present.symptoms import SymptomMatch, resolve_symptom
from sefreq.present.vocabulary import SERIOUS_MARK, band_word

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

# --------------------------------------------------------------------------- drugs

_LIST_SEPARATORS = re.compile(r"[,;\n\r\t]+")
#: Score of a name match (lookup_drug) from which a typed name is taken as that drug.
NAME_CUTOFF = 0.7
#: How a list entry was read (``read_as`` of :data:`WHICH_COLUMNS`).
READ_NAME, READ_SMILES, READ_SIMILAR = "name", "SMILES", "similar name"


def split_drug_list(text: str | Sequence[str]) -> list[str]:
    """The entries of a medication list: split on commas, semicolons, tabs and new lines
    (none occurs in a SMILES), trimmed, empty ones dropped. A list is taken as given."""
    parts = _LIST_SEPARATORS.split(text) if isinstance(text, str) else [str(t) for t in text]
    return [p.strip() for p in parts if p and p.strip()]


def resolve_drug(entry: str, dataset: Dataset, position: int = 0) -> tuple[molecules.Molecule, str]:
    """One list entry as a molecule, and how it was read (:data:`READ_NAME` ...).

    A drug name, brand, label name, synonym or ATC code of the catalogue first (exact or
    salt form), then a SMILES, then a close spelling of a name. An entry that is none of
    them comes back as a molecule whose ``error`` says so.
    """
    catalogue = dataset.catalogue
    matches = lookup_drug(entry, dataset.names, catalogue, limit=3)
    strong = matches[matches["how"].isin([EXACT, SALT])]
    if not strong.empty:
        row = strong.iloc[0]
        return molecules.known_drug(int(row["drug_index"]), catalogue, entry), READ_NAME
    molecule = molecules.prepare(
        entry, f"entry {position + 1}", molecules.PASTED, entered=entry, drugs=catalogue
    )
    if molecule.ok:
        return molecule, READ_SMILES
    if not matches.empty and float(matches["score"].iloc[0]) >= NAME_CUTOFF:
        row = matches.iloc[0]
        return molecules.known_drug(int(row["drug_index"]), catalogue, entry), READ_SIMILAR
    hint = f" Did you mean {matches['drug'].iloc[0]}?" if not matches.empty else ""
    failed = molecules.Molecule(
        id=entry,
        source=molecules.PASTED,
        entered=entry,
        smiles="",
        error=f'"{entry}" is neither a known drug name nor a readable SMILES.{hint}',
    )
    return failed, ""


# --------------------------------------------------------------------------- evidence

#: Label status of a drug for the symptom (``label_band`` beyond the CIOMS bands).
NOT_ON_LABELS, NO_LABEL_DATA = "not on its labels", "no label data"
LABEL_SOURCE, PREDICTION_SOURCE = "label", "prediction"
#: Columns of :func:`which_drugs`.
WHICH_COLUMNS = (
    "rank",
    "entered",
    "drug",
    "read_as",
    "side_effect",
    "severity",
    "severity_reason",
    "source",
    "reason",
    "label_band",
    "label_class",
    "label_median_pct",
    "n_labels",
    "n_postmarketing",
    "placebo_band",
    "placebo_median_pct",
    "placebo_at_least_drug",
    "p_reported_pct",
    "uncertainty_pct",
    "predicted_band",
    "conformal_bands",
    "in_domain",
    "drug_index",
    "error",
)
#: Columns of :func:`drugs_reporting`.
REPORTING_COLUMNS = (
    "rank",
    "drug",
    "side_effect",
    "severity",
    "severity_reason",
    "label_band",
    "label_class",
    "label_median_pct",
    "n_labels",
    "n_postmarketing",
    "postmarketing_only",
    "placebo_band",
    "placebo_median_pct",
    "placebo_at_least_drug",
    "drug_index",
)


def _listing_drugs(dataset: Dataset, side_effect_index: int) -> pd.DataFrame:
    """The label evidence (:func:`~sefreq.present.evidence.label_evidence`) of every drug
    whose labels list the side effect, indexed by drug_index, in :data:`WHICH_COLUMNS`'
    words: what "which drug" and the reverse question read of the labels."""
    evidence = label_evidence(dataset, side_effect_index=side_effect_index)
    # The build counts a class in R or a label row as listed.
    listing = evidence[evidence["on_label"].to_numpy(bool)]
    return listing.set_index("drug_index")[list(_WHICH_EVIDENCE)]


#: The columns of the label evidence an answer row carries.
_WHICH_EVIDENCE = (
    "label_class",
    "label_band",
    "label_median_pct",
    "n_labels",
    "n_postmarketing",
    "postmarketing_only",
    "placebo_band",
    "placebo_at_least_drug",
    "placebo_median_pct",
)


def _labelled(dataset: Dataset, drug_index: int | None) -> bool:
    """True when SIDER has label data for the drug (so a missing row means "not listed")."""
    if drug_index is None:
        return False
    return bool(dataset.catalogue.at[drug_index, "in_sider"])


#: How ``entered`` joins the entries of one drug (:func:`which_drugs`).
SAME_DRUG = " / "


def which_drugs(
    symptom: str | int | SymptomMatch,
    drugs: str | Sequence[str],
    dataset: Dataset | None = None,
    predict: Callable[[list[str], list[str]], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Which drug of ``drugs`` could cause ``symptom``, and how often: one row per drug.

    Entries that name the same drug (a brand and its generic, a name and the drug's SMILES,
    one drug typed twice) are answered once, their wordings joined in ``entered`` by
    :data:`SAME_DRUG` ("Lasix / furosemide"); an entry that cannot be read keeps its own row.

    ``symptom``: typed text (:func:`match_symptom` picks the best term), a
    side_effect_index or a :class:`SymptomMatch`; raises :class:`UnknownSymptomError`
    when nothing matches. ``drugs``: a medication list, as text (split by
    :func:`split_drug_list`) or a list of names, brands or SMILES. ``dataset``: the curated
    dataset (default :func:`sefreq.load_dataset`); ``predict``: (parent SMILES, ids) -> the
    predictor's long table (default: the bundled model).

    Order: drugs whose labels report the symptom, by label band (most frequent first;
    "not known" after the stated bands), then by label statements, then by post-marketing
    reports, then by predicted chance; then the others by predicted chance; then entries
    with nothing to rank (no structure and not on the labels, or an ``error``).

    Columns (:data:`WHICH_COLUMNS`): rank (1 = most likely cause), entered (as typed),
    drug (the name it was read as), read_as (name / SMILES / similar name), side_effect,
    severity and severity_reason (the side effect's tier and why it is serious,
    :mod:`sefreq.data.severity`; the same on every row, so the CSV carries it), source
    ("label" when the labels report it, else "prediction"; "" for an error row), reason
    (why the row stands where it does, :func:`rank_answers`), the label evidence
    (:func:`sefreq.present.evidence.label_evidence`), with label_band "not on its labels"
    (SIDER covers the drug and does not list the symptom) or "no label data" (a new
    molecule, or a drug SIDER does not cover); the model's p_reported_pct (chance it is
    reported, %), uncertainty_pct (1 sd across the ensemble, percentage points, widened
    outside the applicability domain as every page shows it),
    predicted_band, conformal_bands and in_domain for every drug with a structure (label
    rows included, to be read beside the labels, never instead of them); drug_index
    (catalogue index; -1 when none) and error.
    """
    if dataset is None:
        from sefreq.data import load_dataset

        dataset = load_dataset()
    match = resolve_symptom(symptom, dataset)
    side_effect_index = int(match.side_effect_index)
    side_effect = str(match.side_effect)
    entries = split_drug_list(drugs)
    resolved = [resolve_drug(entry, dataset, k) for k, entry in enumerate(entries)]
    unique: dict[str, int] = {}
    for molecule, _ in resolved:
        if molecule.ok:
            unique.setdefault(molecule.parent_smiles, len(unique))
    prediction = _predicted(list(unique), side_effect_index, predict)
    labels = _listing_drugs(dataset, side_effect_index)
    tier = severity_of([side_effect]).iloc[0]

    rows = []
    seen: dict[tuple, int] = {}  # the drug an entry names -> its row
    for k, (entry, (molecule, read_as)) in enumerate(zip(entries, resolved, strict=True)):
        drug_index = molecule.drug_index
        key = (
            ("drug", int(drug_index))
            if drug_index is not None
            else ("structure", molecule.parent_smiles)
            if molecule.ok
            else ("entry", k)
        )
        if key in seen:  # a brand and its generic, or one drug typed twice: answered once
            rows[seen[key]]["entered"] += f"{SAME_DRUG}{entry}"
            continue
        seen[key] = len(rows)
        row: dict = {
            "entered": entry,
            "drug": molecule.drug_name or (molecule.parent_smiles if molecule.ok else ""),
            "read_as": read_as,
            "side_effect": side_effect,
            "severity": tier["tier"],
            "severity_reason": tier["reason"],
            "drug_index": -1 if drug_index is None else int(drug_index),
            "error": "",
        }
        if drug_index is not None and drug_index in labels.index:
            row |= labels.loc[drug_index].to_dict()
            row["source"] = LABEL_SOURCE
        else:
            row |= {
                "label_class": 0,
                "label_band": NOT_ON_LABELS if _labelled(dataset, drug_index) else NO_LABEL_DATA,
                "n_labels": 0,
                "n_postmarketing": 0,
                "placebo_band": "",
                "placebo_at_least_drug": False,
            }
            row["source"] = PREDICTION_SOURCE
        if molecule.ok and molecule.parent_smiles in prediction.index:
            row |= prediction.loc[molecule.parent_smiles].to_dict()
        elif molecule.error:  # unreadable, or a known drug without a structure
            row["error"] = molecule.error
            if drug_index is None:
                row |= {"source": "", "label_band": ""}
        rows.append(row)
    columns = [c for c in WHICH_COLUMNS if c not in ("rank", "reason")]
    return rank_answers(pd.DataFrame(rows, columns=columns))


def _predicted(smiles: list[str], side_effect_index: int, predict) -> pd.DataFrame:
    """The model's view of one side effect for each parent SMILES (index: the SMILES)."""
    columns = ["p_reported_pct", "uncertainty_pct", "predicted_band", "conformal_bands"]
    if not smiles:
        return pd.DataFrame(columns=[*columns, "in_domain"])
    if predict is None:
        from sefreq.model.predictor import Predictor

        predict = Predictor.from_bundled().predict
    elif hasattr(predict, "predict"):
        predict = predict.predict
    table = predict(list(smiles), [str(k) for k in range(len(smiles))])
    rows = table[table["side_effect_index"] == side_effect_index]
    out = pd.DataFrame(
        {
            "p_reported_pct": (100 * rows["p_association"]).to_numpy(float),
            "uncertainty_pct": 100 * shown_spread(rows),
            # The SmPC word, as every page says it (the model's own band column keeps
            # the CIOMS label: "frequent" for "common").
            "predicted_band": [band_word(c) for c in rows["frequency_class"]],
            "conformal_bands": [conformal_bands(s) for s in rows["conformal_set"]],
            "in_domain": rows["in_domain"].astype(bool).to_numpy(),
        },
        index=[smiles[int(i)] for i in rows["id"]],
    )
    return out[~out.index.duplicated()]


def rank_answers(table: pd.DataFrame) -> pd.DataFrame:
    """Order the rows of an answer as :func:`which_drugs` promises, number them and say
    why each stands where it does (``reason``).

    Label rows: by label band, then label statements with a frequency, then post-marketing
    reports, then the model's chance (three labels that all list tinnitus without a
    frequency are told apart by their reports and the model, not left in typing order).
    """
    on_label = table["source"] == LABEL_SOURCE
    chance = pd.to_numeric(table["p_reported_pct"], errors="coerce")
    group = np.where(on_label, 0, np.where(chance.notna(), 1, 2))
    for column in ("label_class", "n_labels", "n_postmarketing"):
        table[column] = pd.to_numeric(table[column], errors="coerce").fillna(0).astype(int)
    table = table.assign(
        _group=group,
        _class=np.where(on_label, table["label_class"], 0),
        _labels=np.where(on_label, table["n_labels"], 0),
        _reports=np.where(on_label, table["n_postmarketing"], 0),
        _chance=chance.fillna(-1),
    ).sort_values(
        ["_group", "_class", "_labels", "_reports", "_chance"],
        ascending=[True, False, False, False, False],
        kind="stable",
    )
    table = table.drop(columns=["_group", "_class", "_labels", "_reports", "_chance"])
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["reason"] = [_reason(row) for row in table.itertuples()]
    for column in ("placebo_at_least_drug", "in_domain"):
        table[column] = table[column].astype("boolean")
    text_columns = ("label_band", "placebo_band", "predicted_band", "conformal_bands", "source")
    for column in (*text_columns, "severity", "severity_reason"):
        table[column] = table[column].astype(object).fillna("").astype(str)
    return table[list(WHICH_COLUMNS)].reset_index(drop=True)


def _reason(row) -> str:
    """Why an answer row stands where it does, in a few words."""
    if row.error and row.source != LABEL_SOURCE:
        return ""
    parts = []
    if row.source == LABEL_SOURCE:
        parts.append(f"labels: {row.label_band}")
        parts.append(
            f"{row.n_labels} statement{'s' if row.n_labels != 1 else ''} with a frequency"
            if row.n_labels
            else "no label statement gives a frequency"
        )
        if row.n_postmarketing:
            parts.append(f"{row.n_postmarketing} post-marketing report(s)")
    elif row.label_band:
        parts.append(str(row.label_band))
    if pd.notna(row.p_reported_pct):
        parts.append(f"model: {row.p_reported_pct:.0f}%")
    return "; ".join(parts)


def severity_note(side_effect: str) -> str:
    """How serious ``side_effect`` is, in one line, as the answer states it beside the
    matched term: "⚠ Agranulocytosis is serious: <why> (source: <list or review>)", or
    "Headache is not among the serious side effects (tier: moderate)."."""
    tier = severity_of([side_effect]).iloc[0]
    if tier["tier"] == SERIOUS:
        return (
            f"{SERIOUS_MARK} {side_effect} is serious or medically important: "
            f"{tier['reason']} (source: {tier['source']})."
        )
    return f"{side_effect} is not among the serious side effects (tier: {tier['tier']})."


def tie_note(table: pd.DataFrame) -> str:
    """A sentence when the drugs whose labels list the symptom cannot be told apart by their
    labels ("" otherwise): e.g. all list it, none with a frequency."""
    labelled = table[table["source"] == LABEL_SOURCE]
    if len(labelled) < 2 or labelled[["label_class", "n_labels"]].nunique().max() > 1:
        return ""
    how = "none states a frequency" if (labelled["label_class"] == 0).all() else "at one band"
    return (
        f"All {len(labelled)} labels list it; {how}: they are ordered by post-marketing "
        "reports, then by the model's chance."
    )


def drugs_reporting(
    symptom: str | int | SymptomMatch, dataset: Dataset | None = None, n: int | None = 20
) -> pd.DataFrame:
    """The known drugs whose labels report ``symptom`` most often (:data:`REPORTING_COLUMNS`,
    severity and severity_reason the side effect's, on every row).

    Sorted by label band (most frequent first; listed without a frequency last), then by
    label statements, then name; the first ``n`` (all with None). Raises
    :class:`UnknownSymptomError` when no side effect matches ``symptom``.
    """
    if dataset is None:
        from sefreq.data import load_dataset

        dataset = load_dataset()
    match = resolve_symptom(symptom, dataset)
    table = _listing_drugs(dataset, int(match.side_effect_index)).reset_index()
    table["drug"] = dataset.catalogue["name"].reindex(table["drug_index"]).to_numpy()
    table["side_effect"] = match.side_effect
    tier = severity_of([match.side_effect]).iloc[0]
    table["severity"], table["severity_reason"] = tier["tier"], tier["reason"]
    table = table.sort_values(
        ["label_class", "n_labels", "drug"], ascending=[False, False, True], kind="stable"
    )
    if n is not None:
        table = table.head(n)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[list(REPORTING_COLUMNS)].reset_index(drop=True)
