"""One report builder for the Report page and ``sefreq report``: a molecule and its
prediction in, the :class:`~sefreq.report.tables.ReportInput` and the files out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sefreq.model.artifact import ModelCard
from sefreq.present.evidence import label_evidence
from sefreq.present.known import (
    agreement,
    comparison_table,
    predicted_not_reported,
    reported_predicted_low,
)
from sefreq.present.molecules import Molecule
from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT
from sefreq.present.standout import CatalogueReference
from sefreq.report.pdf import build_pdf
from sefreq.report.tables import ReportInput, smpc_csv

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: How many side effects the PDF names as predicted-but-not-reported and the reverse.
DISAGREEMENTS = 10


def report_input(
    molecule: Molecule,
    prediction: pd.DataFrame,
    dataset: Dataset | None = None,
    card: ModelCard | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    reference: CatalogueReference | None = None,
    mechanism=None,
    serious_only: bool = False,
) -> ReportInput:
    """What a report of ``molecule`` holds: its ``prediction`` (the predictor's long rows),
    its label data when ``dataset`` has some for it, the model ``card``, the chance (%) from
    which a prediction enters the SmPC table, the approved drugs to place it among, and the
    mechanism behind its top side effects (:func:`mechanism_side_effects`); with
    ``serious_only`` its tables hold the serious side effects alone."""
    known_drug = dataset is not None and molecule.drug_index is not None
    return ReportInput(
        molecule_id=molecule.id,
        entered=molecule.entered,
        source=molecule.source,
        input_smiles=molecule.smiles,
        parent_smiles=molecule.parent_smiles,
        prediction=prediction,
        card=card or ModelCard(),
        drug_name=molecule.drug_name,
        standardisation=molecule.changes,
        known=label_evidence(dataset, molecule.drug_index) if known_drug else None,
        dataset=dataset if known_drug else None,
        drug_index=molecule.drug_index if known_drug else None,
        threshold_pct=threshold_pct,
        reference=reference,
        mechanism=mechanism,
        serious_only=serious_only,
    )


#: How many of the most likely side effects the report's mechanism section explains.
MECHANISM_SIDE_EFFECTS = 3


def mechanism_side_effects(prediction: pd.DataFrame) -> list[int]:
    """The indices of the side effects a report's mechanism section explains: the most
    likely ones of the prediction."""
    rows = prediction[prediction["side_effect_index"] >= 0]
    top = rows.nlargest(MECHANISM_SIDE_EFFECTS, "p_association")
    return [int(i) for i in top["side_effect_index"]]


def profile_pdf(report: ReportInput) -> bytes:
    """The profile PDF of ``report``, with the labels-vs-model agreement of a known drug."""
    if report.dataset is None or report.drug_index is None:
        return build_pdf(report)
    table = comparison_table(report.prediction, report.dataset, report.drug_index)
    return build_pdf(
        report,
        agreement(table),
        predicted_not_reported(table, DISAGREEMENTS)["side_effect"].tolist(),
        reported_predicted_low(table, DISAGREEMENTS)["side_effect"].tolist(),
    )


def write_report(report: ReportInput, path: Path) -> Path:
    """Write ``report`` as a PDF or as the SmPC CSV, by ``path``'s suffix (.pdf, .csv)."""
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise ValueError(f"{path.name}: a report is a .pdf or a .csv file")
    path.write_bytes(profile_pdf(report) if suffix == ".pdf" else smpc_csv(report))
    return path
