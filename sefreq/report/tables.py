"""The long-form CSV report: one row per side effect, with provenance on every row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from sefreq.chem.io import neutralise_formulas
from sefreq.constants import CLASS_LABELS
from sefreq.model.artifact import model_version as card_model_version
from sefreq.present.profile import UNSTATED_BAND, band_range

#: Where known frequencies come from, written on every row that has one.
KNOWN_SOURCE = "SIDER 4.1 (CC BY-NC-SA 4.0), median of label statements"


@dataclass
class ReportInput:
    """What a report is made of.

    ``prediction``: the predictor's rows of one molecule. ``entered``: what the user gave
    (SMILES or name); ``source``: drawn / pasted / look-up / upload. ``known``: optional
    per-side-effect SIDER summary (:func:`sefreq.present.profile.known_frequencies`), for a
    known drug. ``card``: the model card.
    """

    molecule_id: str
    entered: str
    source: str
    input_smiles: str
    parent_smiles: str
    prediction: pd.DataFrame
    card: dict = field(default_factory=dict)
    drug_name: str | None = None
    standardisation: tuple[str, ...] = ()
    known: pd.DataFrame | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def model_version(self) -> str:
        return card_model_version(self.card)


def report_table(report: ReportInput) -> pd.DataFrame:
    """One row per side effect, most likely reported first.

    Prediction columns: side_effect, organ_classes, p_reported (0-1), uncertainty (sd of
    p_reported across members), predicted_class (1-5) and predicted_band with
    band_range (share of patients), expected_frequency (1-5 scale), conformal_set,
    in_domain, max_similarity (Tanimoto), nearest_drug. Known columns (empty for a new
    molecule): known_class, known_band, known_median_share (0-1), n_label_statements,
    known_source. Provenance on every row: molecule_id, input, input_source, input_smiles,
    standardised_smiles, standardisation, model_version, created.
    """
    rows = report.prediction[report.prediction["side_effect_index"] >= 0]
    table = pd.DataFrame(
        {
            "side_effect_index": rows["side_effect_index"].astype(int).to_numpy(),
            "side_effect": rows["side_effect"].to_numpy(),
            "organ_classes": rows["organ_classes"].to_numpy(),
            "p_reported": rows["p_association"].astype(float).round(4).to_numpy(),
            "uncertainty": rows["uncertainty"].astype(float).round(4).to_numpy(),
            "predicted_class": rows["frequency_class"].astype(int).to_numpy(),
            "predicted_band": rows["band"].to_numpy(),
            "band_range": [band_range(c) for c in rows["frequency_class"]],
            "expected_frequency": rows["expected_frequency"].astype(float).round(3).to_numpy(),
            "conformal_set": rows["conformal_set"].to_numpy(),
            "in_domain": rows["in_domain"].astype(bool).to_numpy(),
            "max_similarity": rows["max_similarity"].astype(float).round(3).to_numpy(),
            "nearest_drug": rows["nearest_drug"].to_numpy(),
        }
    )
    if report.known is not None and len(report.known):
        columns = ["side_effect_index", "known_class", "known_median_pct", "n_labels"]
        known = report.known[[*columns, *(["on_label"] if "on_label" in report.known else [])]]
        table = table.merge(known, on="side_effect_index", how="left")
        table["known_class"] = table["known_class"].fillna(0).astype(int)
        listed = (
            table.pop("on_label").fillna(False).astype(bool)
            if "on_label" in table
            else pd.Series(False, index=table.index)
        )
        table["known_band"] = (
            table["known_class"]
            .map(CLASS_LABELS)
            .where((table["known_class"] > 0) | ~listed, UNSTATED_BAND)
        )
        table["known_median_share"] = (table.pop("known_median_pct") / 100).round(4)
        table["n_label_statements"] = table.pop("n_labels").fillna(0).astype(int)
        table["known_source"] = KNOWN_SOURCE
    else:
        for column in ("known_class", "known_band", "known_median_share", "n_label_statements"):
            table[column] = pd.NA
        table["known_source"] = ""
    table = table.sort_values("p_reported", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
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


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``table`` with :func:`neutralise_formulas` applied: what every export writes."""
    return neutralise_formulas(table).to_csv(index=False).encode("utf-8")


def safe_filename(label: str, default: str = "molecule", limit: int = 80) -> str:
    """``label`` as a file-name part: letters, digits, ``_ . -`` only, no leading dots or
    separators, at most ``limit`` characters; ``default`` when nothing is left."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(label)).strip("_.-")[:limit]
    return name or default


def report_csv(report: ReportInput) -> bytes:
    """:func:`report_table` as UTF-8 CSV bytes (formulas neutralised)."""
    return csv_bytes(report_table(report))


def batch_report_table(molecules: list, prediction: pd.DataFrame, card: dict) -> pd.DataFrame:
    """Long form for a batch: one row per molecule x side effect, ids carried through.

    ``molecules``: :class:`sefreq.present.molecules.Molecule` objects in input order;
    ``prediction``: the predictor's rows for the usable ones (``id`` = molecule id). A
    molecule that cannot be scored gets one row holding its ``error``. Columns: molecule_id,
    input_source, input_smiles, standardised_smiles, known_drug, side_effect, p_reported
    (0-1), uncertainty, predicted_class, predicted_band, band_range, in_domain,
    max_similarity, nearest_drug, error, model_version.
    """
    version = card_model_version(card)
    rows = prediction[prediction["side_effect_index"] >= 0]
    by_id = {m.id: m for m in molecules}
    scored = pd.DataFrame(
        {
            "molecule_id": rows["id"].astype(str).to_numpy(),
            "side_effect": rows["side_effect"].to_numpy(),
            "p_reported": rows["p_association"].astype(float).round(4).to_numpy(),
            "uncertainty": rows["uncertainty"].astype(float).round(4).to_numpy(),
            "predicted_class": rows["frequency_class"].astype(int).to_numpy(),
            "predicted_band": rows["band"].to_numpy(),
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
