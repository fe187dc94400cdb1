"""The model card (card.json of the bundle) as tables a page can draw."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sefreq.bench.protocols import PROTOCOLS
from sefreq.constants import DRUG_NAMES_LICENCE, SIDER_LICENCE
from sefreq.model.artifact import ModelCard

INTENDED_USE = (
    "Research and hypothesis generation: ranking which side effects a new or existing small "
    "molecule is likely to have reported on its label, and roughly how often (CIOMS band). "
    "Not for clinical decisions, prescribing, or regulatory safety assessment."
)
LIMITATIONS = (
    "Trained on the 1,226 SIDER 4.1 drugs with a usable structure and side effects on the 994 "
    "terms (Galeano's 759 and SIDER's others: their complete label listings, and the "
    "frequency bands the labels state), from labels before 2015, mostly clinical-trial "
    "statements; a side effect not listed means 'not reported', never 'does not happen'.",
    "What a drug acts on is learnt from the proteins and ATC classes of 5,157 DrugBank and "
    "DrugCentral compounds; a drug absent from both is read with the proteins the model "
    "predicts from its structure, which add nothing measurable to the structure itself.",
    "Frequencies on labels are noisy: one drug-term pair can carry different numbers on "
    "different labels; SEFreq learns their median.",
    "Structure alone cannot see dose, route, formulation, patient population or drug interactions.",
    "Molecules unlike any training drug (low Tanimoto similarity, flagged 'outside the "
    "applicability domain') get predictions close to side-effect base rates.",
    "Proteins and biologics (10 of the 759 drugs) are out of scope.",
)


#: How the card names a published figure's metric. Overlap is left out: HSTrans's
#: normalisation differs from ours (H5's note in results.md), so the card would mislead.
_FIGURE_NAMES = {
    "auroc": "AUROC",
    "aupr": "AUPR",
    "auroc_per_drug": "per-drug AUROC",
    "rmse": "RMSE",
    "mae": "MAE",
    "spearman": "Spearman",
    "p@15": "P@15",
    "r@15": "R@15",
}


def published() -> pd.DataFrame:
    """Published results to beat, one row each: method, protocol, figures, whether it
    scores a new molecule. The figures are the ones ``sefreq bench`` prints beside ours
    (:data:`sefreq.bench.protocols.PROTOCOLS`); protocols differ, never compare across them.
    """
    rows = sorted(
        ((result, name) for name, protocol in PROTOCOLS.items() for result in protocol.published),
        key=lambda pair: pair[0].card_row,
    )
    return pd.DataFrame(
        [
            (
                result.card_method,
                result.card_protocol or name,
                ", ".join(
                    f"{_FIGURE_NAMES[metric]} {_as_published(value)}"
                    for metric, value in result.figures.items()
                    if metric in _FIGURE_NAMES
                ),
                result.scores_new_molecule,
            )
            for result, name in rows
        ],
        columns=["method", "protocol", "published figures", "scores a new molecule?"],
    )


def _as_published(value: float) -> str:
    """Three decimals, or the published digits where there are more (MultiFG's 0.9285)."""
    text = f"{value:.3f}"
    return text if float(text) == value else repr(value)


def overview(card: ModelCard) -> pd.DataFrame:
    """Name, versions, training size, calibration and domain settings, one row each (a
    card in the making, with no members yet, shows no settings)."""
    model = bool(card.n_members)  # the settings below are a trained model's
    rows: list[tuple[str, Any]] = [
        ("model", card.name),
        ("model version", card.version),
        ("sefreq version", card.sefreq_version),
        ("ensemble members", card.n_members if model else None),
        ("training drugs", card.n_training_drugs),
        ("validation drugs", card.n_validation_drugs),
        ("reference drugs (similarity prior, domain)", len(card.reference_drugs)),
        ("side effects", len(card.side_effects)),
        ("temperature (association calibration)", card.temperature if model else None),
        (
            "applicability domain: min Tanimoto to a training drug",
            card.ad_threshold if model else None,
        ),
    ]
    for key, value in card.calibration.items():
        if isinstance(value, int | float | str):
            rows.append((f"calibration: {key}", value))
    return pd.DataFrame(
        [(k, f"{v:.4g}" if isinstance(v, float) else str(v)) for k, v in rows
         if v not in ("", None)],
        columns=["item", "value"],
    )  # fmt: skip


#: The held-out figures a reader looks for first (:func:`held_out_summary`): key in the
#: report's ``mean`` blocks, and what it is called.
HELD_OUT_KEY_FIGURES = {
    "aupr_per_drug": "per-drug AUPR (ranking within a drug)",
    "auroc_per_drug": "per-drug AUROC",
    "aupr": "AUPR (all pairs)",
    "rmse": "RMSE of the frequency class (stated classes)",
}


def held_out_summary(evaluation: dict) -> pd.DataFrame:
    """The key held-out figures of a bundle's evaluation (``sefreq bench confidence``), one
    row each: the model read as a new molecule (structure only), with its known targets,
    and the Morgan-neighbour baseline of the same folds. Empty without them."""
    if not evaluation.get("mean"):
        return pd.DataFrame(columns=["figure", "structure only", "known targets", "knn-listed"])
    blocks = {
        "structure only": evaluation.get("mean", {}),
        "known targets": evaluation.get("mean_with_known_targets", {}),
        "knn-listed": evaluation.get("mean_knn_listed_same_folds", {}),
    }
    rows = [
        {"figure": label, **{name: block.get(key) for name, block in blocks.items()}}
        for key, label in HELD_OUT_KEY_FIGURES.items()
    ]
    known = evaluation.get("known_targets", {})
    for key, label in (
        ("pooled_ece_after", "calibration error (ECE) of the chance shown"),
        ("pooled_conformal_coverage", "90% class sets: share holding the stated band"),
        ("pooled_conformal_mean_set_size", "90% class sets: mean size (classes)"),
    ):
        rows.append({"figure": label, "structure only": evaluation.get(key),
                     "known targets": known.get(key), "knn-listed": None})  # fmt: skip

    def shown(value: Any) -> str:  # text: a blank cell is no figure, never "nan"
        return "" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    return pd.DataFrame([{k: v if k == "figure" else shown(v) for k, v in r.items()} for r in rows])


def benchmark_table(card: ModelCard, evaluation: dict | None = None) -> pd.DataFrame:
    """Benchmark figures, flattened to section, figure, value: the bundle's held-out
    ``evaluation`` (:attr:`Predictor.evaluation <sefreq.model.predictor.Predictor.evaluation>`)
    where given, else those recorded in the card when it was trained. A list of rows (error
    by similarity) is one section a row, named by its first text."""
    figures = evaluation if evaluation else card.benchmark
    rows = []

    def walk(prefix: list[str], value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk([*prefix, str(key)], item)
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            for i, item in enumerate(value):
                label = next((v for v in item.values() if isinstance(v, str)), str(i))
                walk([*prefix, label], {k: v for k, v in item.items() if v != label})
        elif isinstance(value, int | float | str):
            rows.append((" / ".join(prefix[:-1]) or "-", prefix[-1] if prefix else "", value))

    walk([], figures)
    table = pd.DataFrame(rows, columns=["section", "figure", "value"])
    # Mixed numbers and words in one column: text, so every table shows it the same way.
    table["value"] = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in table["value"]]
    return table


def provenance(card: ModelCard) -> pd.DataFrame:
    """Upstream files the model was trained from, with their sha256."""
    sums = card.data_sha256
    return pd.DataFrame(
        [(key, value) for key, value in sums.items()], columns=["upstream file", "sha256"]
    )


def licences(card: ModelCard) -> list[str]:
    """Licence statements: the model's (from the card) and SIDER's."""
    texts = [SIDER_LICENCE, DRUG_NAMES_LICENCE]
    if card.licence and card.licence != SIDER_LICENCE:
        texts.append(card.licence)
    texts.append(
        "SEFreq code: MIT licence. 3Dmol.js (3D viewer): BSD 3-Clause. "
        "Ketcher (structure editor): Apache 2.0. RDKit: BSD 3-Clause."
    )
    return texts


#: Where each kind of catalogue drug comes from, and the licence of what SEFreq shows.
SOURCES = {
    "sider": "SIDER 4.1 labels (CC BY-NC-SA 4.0); structures from DrugBank or DrugCentral",
    "drugbank": "DrugBank open data (CC BY-NC 4.0): approved, not in SIDER",
    "drugcentral": "DrugCentral (CC BY-SA 4.0): approved, in neither SIDER nor DrugBank",
}


def catalogue_summary(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Drugs a person can look up, by source: how many, with a usable structure, with
    side effects on their labels, with label frequencies, and where they come from."""
    rows = []
    for source, part in catalogue.groupby("source", sort=False):
        rows.append(
            {
                "source": str(source),
                "drugs": len(part),
                "with a structure": int(part["has_structure"].astype(bool).sum()),
                "with label side effects": int(part["in_sider"].astype(bool).sum()),
                "with label frequencies": int(part["has_frequencies"].astype(bool).sum()),
                "from": SOURCES.get(str(source), ""),
            }
        )
    return pd.DataFrame(rows)
