"""The CSV reports: the SmPC 4.8 table of a molecule and its full long-form profile, and
any table a page exports, each with provenance on every row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from sefreq.chem.io import neutralise_formulas
from sefreq.data.severity import severity_of
from sefreq.model.artifact import ModelCard
from sefreq.present.organs import predicted_organ_classes
from sefreq.present.profile import (
    band_range,
    domain_summary,
    filter_profile,
    shown_spread,
)
from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT, LABEL, SMPC_COLUMNS, smpc_table
from sefreq.present.standout import STANDOUT_COLUMNS, CatalogueReference, stands_out
from sefreq.present.vocabulary import NOT_REPORTED, band_word, rounded

#: The label data every report's known frequencies come from.
SIDER_VERSION = "SIDER 4.1"
#: Where known frequencies come from, written on every row that has one.
KNOWN_SOURCE = f"{SIDER_VERSION} (CC BY-NC-SA 4.0), median of label statements"


def timestamp() -> str:
    """Now, as every report prints when it was generated ("2025-05-01 14:03 UTC")."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class ReportInput:
    """What a report is made of.

    ``prediction``: the predictor's rows of one molecule. ``entered``: what the user gave
    (SMILES or name); ``source``: drawn / pasted / look-up / upload. ``known``: optional
    label evidence (:func:`sefreq.present.evidence.label_evidence`), for a
    known drug. ``card``: the model card. ``dataset`` and ``drug_index``: the drug's label
    data for the SmPC table (:func:`smpc_report_table`); without them the table holds the
    model's predictions alone, as for a new molecule. ``threshold_pct``: the chance (%) at
    or above which a prediction enters the SmPC table. ``mechanism``: optional
    :class:`sefreq.explain.mechanism.MechanismExplanation` of the top side effects.
    ``serious_only``: the report's tables hold the serious side effects alone
    (:mod:`sefreq.data.severity`).
    """

    molecule_id: str
    entered: str
    source: str
    input_smiles: str
    parent_smiles: str
    prediction: pd.DataFrame
    card: ModelCard = field(default_factory=ModelCard)
    drug_name: str | None = None
    standardisation: tuple[str, ...] = ()
    known: pd.DataFrame | None = None
    created: str = field(default_factory=timestamp)
    dataset: Any = field(default=None, repr=False)
    drug_index: int | None = None
    threshold_pct: float = DEFAULT_THRESHOLD_PCT
    reference: CatalogueReference | None = field(default=None, repr=False)
    mechanism: Any = field(default=None, repr=False)
    serious_only: bool = False

    @property
    def model_version(self) -> str:
        return self.card.version


def report_table(report: ReportInput) -> pd.DataFrame:
    """One row per side effect, most likely reported first.

    Prediction columns: side_effect, severity and severity_reason (its tier and why it is
    serious, :mod:`sefreq.data.severity`), organ_class (the primary one) and
    secondary_organ_classes (:mod:`sefreq.present.organs`), p_reported (0-1), uncertainty (sd of
    p_reported across members, widened outside the applicability domain:
    :func:`sefreq.present.profile.shown_spread`), predicted_class (1-5) and predicted_band with
    band_range (share of patients), expected_frequency (1-5 scale), conformal_set,
    in_domain, max_similarity (Tanimoto), nearest_drug. Known columns (empty for a new
    molecule): known_class, known_band, known_median_share (0-1), n_label_statements,
    known_source. Provenance on every row: molecule_id, input, input_source, input_smiles,
    standardised_smiles, standardisation, model_version, created. Only the serious side
    effects with ``report.serious_only``.
    """
    rows = report.prediction[report.prediction["side_effect_index"] >= 0]
    table = pd.DataFrame(
        {
            "side_effect_index": rows["side_effect_index"].astype(int).to_numpy(),
            "side_effect": rows["side_effect"].to_numpy(),
            "p_reported": rows["p_association"].astype(float).round(4).to_numpy(),
            "uncertainty": shown_spread(rows).round(4),
            "predicted_class": rows["frequency_class"].astype(int).to_numpy(),
            "predicted_band": [band_word(c) for c in rows["frequency_class"]],
            "band_range": [band_range(c) for c in rows["frequency_class"]],
            "expected_frequency": rows["expected_frequency"].astype(float).round(3).to_numpy(),
            "conformal_set": rows["conformal_set"].to_numpy(),
            "in_domain": rows["in_domain"].astype(bool).to_numpy(),
            "max_similarity": rows["max_similarity"].astype(float).round(3).to_numpy(),
            "nearest_drug": rows["nearest_drug"].to_numpy(),
        }
    )
    severity = severity_of(table["side_effect"])
    table.insert(2, "severity", severity["tier"].to_numpy())
    table.insert(3, "severity_reason", severity["reason"].to_numpy())
    organs = predicted_organ_classes(rows, report.dataset)
    table.insert(
        4, "organ_class", organs["organ_class"].reindex(table["side_effect_index"]).to_numpy()
    )
    table.insert(
        5,
        "secondary_organ_classes",
        organs["secondary_organ_classes"].reindex(table["side_effect_index"]).to_numpy(),
    )
    if report.known is not None and len(report.known):
        columns = {
            "side_effect_index": "side_effect_index",
            "label_class": "known_class",
            "label_band": "known_band",
            "label_median_pct": "known_median_pct",
            "n_labels": "n_labels",
        }
        known = report.known[list(columns)].rename(columns=columns)
        table = table.merge(known, on="side_effect_index", how="left")
        table["known_class"] = table["known_class"].fillna(0).astype(int)
        table["known_band"] = table["known_band"].fillna(NOT_REPORTED).astype(str)
        table["known_median_share"] = (table.pop("known_median_pct") / 100).round(4)
        table["n_label_statements"] = table.pop("n_labels").fillna(0).astype(int)
        table["known_source"] = KNOWN_SOURCE
    else:
        for column in ("known_class", "known_band", "known_median_share", "n_label_statements"):
            table[column] = pd.NA
        table["known_source"] = ""
    table = table.sort_values("p_reported", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    table = filter_profile(table, serious_only=report.serious_only).reset_index(drop=True)
    provenance = {
        "molecule_id": report.molecule_id,
        "input": report.entered,
        "input_source": report.source,
        "input_smiles": report.input_smiles,
        "standardised_smiles": report.parent_smiles,
        "standardisation": "; ".join(report.standardisation) or "none",
        "model_version": report.model_version,
        "created": report.created,
    }
    for column, value in provenance.items():
        table[column] = value
    return table


#: Provenance columns :func:`smpc_report_table` adds to :data:`SMPC_COLUMNS`.
SMPC_PROVENANCE = (
    "max_similarity",
    "nearest_drug",
    "known_source",
    "sider_version",
    "model_version",
    "molecule_id",
    "input",
    "input_source",
    "input_smiles",
    "standardised_smiles",
    "generated_at",
)


def smpc_report_table(report: ReportInput) -> pd.DataFrame:
    """The molecule's SmPC 4.8 table, as the page, the CSV and the PDF all show it.

    The rows and columns of :func:`sefreq.present.smpc.smpc_table` (same order), then
    provenance on every row (:data:`SMPC_PROVENANCE`): the molecule's applicability
    domain (max_similarity, Tanimoto 0-1, and nearest_drug; ``in_domain`` is already a
    column), known_source (where a label row's band comes from; "" for a prediction), the
    label data's version, the model version, what was entered and how it was standardised,
    and when the report was generated. ``source`` says label or prediction; ``n_labels``
    how many label statements a label row rests on; ``p_reported_pct`` and
    ``uncertainty_pct`` are the model's chance (%) and its spread (1 sd across members,
    percentage points, widened outside the applicability domain) for every row, label rows
    included. ``percentile`` and ``ratio_to_average`` place that chance among the approved
    drugs' (blank without ``report.reference``: :mod:`sefreq.present.standout`). Only the
    serious side effects with ``report.serious_only``.
    """
    table = smpc_table(report.prediction, report.dataset, report.drug_index, report.threshold_pct)
    table = filter_profile(table, serious_only=report.serious_only).reset_index(drop=True)
    domain = domain_summary(report.prediction)
    provenance = {
        "max_similarity": round(domain["max_similarity"], 3),
        "nearest_drug": domain["nearest_drug"],
        "known_source": [KNOWN_SOURCE if s == LABEL else "" for s in table["source"]],
        "sider_version": SIDER_VERSION,
        "model_version": report.model_version,
        "molecule_id": report.molecule_id,
        "input": report.entered,
        "input_source": report.source,
        "input_smiles": report.input_smiles,
        "standardised_smiles": report.parent_smiles,
        "generated_at": report.created,
    }
    table = stands_out(table, report.reference)
    return table.assign(**provenance)[[*SMPC_COLUMNS, *STANDOUT_COLUMNS, *SMPC_PROVENANCE]]


def smpc_csv(report: ReportInput) -> bytes:
    """:func:`smpc_report_table` as UTF-8 CSV bytes (formulas neutralised)."""
    return csv_bytes(smpc_report_table(report))


def with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a meaningful index made its first column, so an export keeps the row
    labels a page shows (a side effect, a drug); an unnamed integer index (row numbers,
    kept from filtering) is dropped."""
    names = list(frame.index.names)
    if names == [None] and pd.api.types.is_integer_dtype(frame.index):
        return frame.reset_index(drop=True)
    return frame.reset_index(names=[n or "item" for n in names])


def export_table(
    frame: pd.DataFrame,
    card: ModelCard | None = None,
    created: str | None = None,
    **provenance: str,
) -> pd.DataFrame:
    """Any table a page shows (a comparison, a medication-list answer), ready to export:
    its index as a column (:func:`with_index`), then provenance on every row: the keyword
    arguments given (e.g. ``drugs="aspirin; ibuprofen"``), sider_version, model_version
    (from ``card``) and generated_at (``created``, else now)."""
    table = with_index(frame).copy()
    for column, value in {
        **provenance,
        "sider_version": SIDER_VERSION,
        "model_version": (card or ModelCard()).version,
        "generated_at": created or timestamp(),
    }.items():
        table[column] = value
    return table


def table_csv(
    frame: pd.DataFrame,
    card: ModelCard | None = None,
    created: str | None = None,
    **provenance: str,
) -> bytes:
    """:func:`export_table` as UTF-8 CSV bytes (formulas neutralised)."""
    return csv_bytes(export_table(frame, card, created, **provenance))


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``table``, numbers rounded and blanks for missing cells
    (:func:`~sefreq.present.vocabulary.rounded`), formulas neutralised
    (:func:`neutralise_formulas`): what every export writes."""
    return neutralise_formulas(rounded(table)).to_csv(index=False).encode("utf-8")


def safe_filename(label: str, default: str = "molecule", limit: int = 80) -> str:
    """``label`` as a file-name part: letters, digits, ``_ . -`` only, no leading dots or
    separators, at most ``limit`` characters; ``default`` when nothing is left."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(label)).strip("_.-")[:limit]
    return name or default


def report_csv(report: ReportInput) -> bytes:
    """:func:`report_table` as UTF-8 CSV bytes (formulas neutralised)."""
    return csv_bytes(report_table(report))


def batch_report_table(molecules: list, prediction: pd.DataFrame, card: ModelCard) -> pd.DataFrame:
    """Long form for a batch: one row per molecule x side effect, ids carried through.

    ``molecules``: :class:`sefreq.present.molecules.Molecule` objects in input order;
    ``prediction``: the predictor's rows for the usable ones (``id`` = molecule id). A
    molecule that cannot be scored gets one row holding its ``error``. Columns: molecule_id,
    input_source, input_smiles, standardised_smiles, known_drug, side_effect, p_reported
    (0-1), uncertainty (as the pages show it), predicted_class, predicted_band (the SmPC's
    word), band_range, in_domain, max_similarity, nearest_drug, error, model_version.
    """
    version = card.version
    rows = prediction[prediction["side_effect_index"] >= 0]
    by_id = {m.id: m for m in molecules}
    scored = pd.DataFrame(
        {
            "molecule_id": rows["id"].astype(str).to_numpy(),
            "side_effect": rows["side_effect"].to_numpy(),
            "p_reported": rows["p_association"].astype(float).round(4).to_numpy(),
            "uncertainty": shown_spread(rows).round(4),
            "predicted_class": rows["frequency_class"].astype(int).to_numpy(),
            "predicted_band": [band_word(c) for c in rows["frequency_class"]],
            "band_range": [band_range(c) for c in rows["frequency_class"]],
            "in_domain": rows["in_domain"].astype(bool).to_numpy(),
            "max_similarity": rows["max_similarity"].astype(float).round(3).to_numpy(),
            "nearest_drug": rows["nearest_drug"].to_numpy(),
            "error": "",
        }
    )
    failed = pd.DataFrame(
        {
            "molecule_id": [m.id for m in molecules if not m.ok],
            "error": [m.error or "could not be scored" for m in molecules if not m.ok],
        }
    )
    table = pd.concat([scored, failed], ignore_index=True) if len(failed) else scored
    order = {m.id: k for k, m in enumerate(molecules)}
    table = table.assign(_order=table["molecule_id"].map(order))
    table = table.sort_values(["_order", "p_reported"], ascending=[True, False], kind="stable")
    table = table.drop(columns="_order").reset_index(drop=True)
    table.insert(1, "input_source", table["molecule_id"].map(lambda i: by_id[i].source))
    table.insert(2, "input_smiles", table["molecule_id"].map(lambda i: by_id[i].smiles))
    table.insert(
        3, "standardised_smiles", table["molecule_id"].map(lambda i: by_id[i].parent_smiles)
    )
    table.insert(4, "known_drug", table["molecule_id"].map(lambda i: by_id[i].drug_name or ""))
    table["model_version"] = version
    return table
