"""Faithfulness of SHAP explanations: deletion curves of top-attributed vs random bits.

The bundled model was trained on every usable drug, the 9 independent drugs included, so
it has no held-out drugs. This script therefore trains (once; cached under the user cache)
a quick ensemble on the training part of ICS fold 0 (seed 0, benchmarks/folds/) through
the model's public :func:`sefreq.model.recipe.fit_ensemble`, and explains the drugs it never
saw: the fold's test drugs plus the 9 independent drugs.

For each drug x its top predicted side effects (by P(association)), the explained output
is P(association) (and, second, the expected frequency class). Fingerprint bits the drug
sets are masked (set to 0) in order of decreasing SHAP value, k = 0..K, and the drop of the
output is compared with masking k random set bits (mean of R random orders). Two settings:

- ``inputs fixed``: only the bits change; descriptors and the kNN label prior stay as they
  were (this is the function SHAP explains);
- ``kNN recomputed``: the kNN prior is recomputed from the masked fingerprint (what the
  whole pipeline would predict for a structure without those bits).

Area between the curves = mean over k = 1..K of (SHAP drop - random drop), output units.

    SEFREQ_DATA_DIR=/path/to/upstream python benchmarks/explain_faithfulness.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
OUT_MD = ROOT / "benchmarks" / "explain_faithfulness.md"


def heldout_bundle(folds_dir: Path, out_dir: Path, threads: int = 1):
    """(bundle dir, held-out drugs [(name, parent SMILES, group)]); trains when missing."""
    import sefreq
    from sefreq.bench.protocols import BenchData, build_fold, load_or_make_assignment
    from sefreq.model.config import TrainConfig
    from sefreq.model.data import TrainingSet, load_bundle_data
    from sefreq.model.network import NetworkConfig
    from sefreq.model.recipe import fit_ensemble

    data = BenchData.from_dataset(sefreq.load_dataset())
    assignment = load_or_make_assignment(data, "ICS", 0, folds_dir)
    fold = build_fold(data, assignment, 0)
    test_ids = [int(i) for i in assignment.pool_ids[assignment.drug_fold == 0]]
    heldout = [(data.names[i], data.smiles[i], "ICS fold 0 test") for i in test_ids]
    heldout += [(data.names[i], data.smiles[i], "independent") for i in data.independent_ids]
    if not (out_dir / "card.json").is_file():
        train = TrainingSet(
            smiles=list(fold.train.smiles),
            frequency=np.asarray(fold.train.frequency),
            label_mask=np.asarray(fold.train.label_mask, dtype=bool),
            names=[data.names[i] for i in fold.train.drug_ids],
            drug_ids=np.asarray(fold.train.drug_ids),
        )
        validation = TrainingSet(
            smiles=list(fold.validation.query.smiles),
            frequency=np.asarray(fold.validation.frequency),
            label_mask=np.asarray(fold.validation.mask, dtype=bool),
        )
        config = TrainConfig(n_members=3, max_epochs=60, seed=0, threads=threads, progress=False)
        ensemble = fit_ensemble(train, validation, data.side_effects, NetworkConfig(), config)
        ensemble.card = ensemble.card.updated(
            side_effect_organ_classes=load_bundle_data().organ_class_names,
            heldout={"protocol": "ICS", "seed": 0, "fold": 0},
        )
        ensemble.save(out_dir)
    return out_dir, heldout


def deletion_curves(explainer, smiles: str, n_top: int, output: str, k_max: int, repeats: int, rng):
    """Per side effect: drops of the output for SHAP order and random order, two settings.

    Returns a list of dicts with arrays ``shap_fixed``, ``random_fixed``, ``shap_knn``,
    ``random_knn`` (each (k_max + 1,)), and the additivity error.
    """
    from sefreq.explain.adapter import EnsembleOutputModule, flat_inputs, model_inputs
    from sefreq.model.inputs import ModelInputs

    ensemble = explainer.ensemble
    lay = explainer.layout
    indices = explainer.top_side_effects(smiles, n_top)
    x = model_inputs(ensemble, [smiles])
    values, expected, phi = explainer.attributions(x, indices, output)
    additivity = phi[0].sum(1) - (values[0] - expected)
    module = EnsembleOutputModule(ensemble, indices, output)
    present = np.flatnonzero(x[0, lay.bits])
    fingerprint = x[0, lay.bits]
    scaled = x[:, lay.descriptors]
    results = []
    for column in range(len(indices)):
        bit_phi = phi[0, column, lay.bits][present]
        orders = [present[np.argsort(-bit_phi, kind="stable")]]
        orders += [rng.permutation(present) for _ in range(repeats)]
        masked = []
        for order in orders:
            for k in range(k_max + 1):
                fp = fingerprint.copy()
                fp[order[:k]] = 0  # beyond the set bits, the curve stays at "all masked"
                masked.append(fp)
        masked = np.asarray(masked, dtype=np.float32)
        fixed = np.repeat(x, len(masked), axis=0)
        fixed[:, lay.bits] = masked
        recomputed = flat_inputs(
            ensemble,
            ModelInputs(
                masked.astype(np.uint8),
                np.repeat(scaled, len(masked), axis=0),
                np.ones(len(masked), dtype=bool),
            ),
        )
        with torch.no_grad():
            out_fixed = module(torch.from_numpy(fixed)).numpy()[:, column]
            out_knn = module(torch.from_numpy(recomputed)).numpy()[:, column]
        drop_fixed = (values[0, column] - out_fixed).reshape(len(orders), k_max + 1)
        drop_knn = (out_knn[0] - out_knn).reshape(len(orders), k_max + 1)
        results.append(
            {
                "side_effect": explainer.side_effect_names[indices[column]],
                "shap_fixed": drop_fixed[0],
                "random_fixed": drop_fixed[1:].mean(0),
                "shap_knn": drop_knn[0],
                "random_knn": drop_knn[1:].mean(0),
                "additivity": float(additivity[column]),
                "n_present": len(present),
            }
        )
    return results


def area_between(shap_curve: np.ndarray, random_curve: np.ndarray) -> float:
    """Mean over k = 1..K of (SHAP drop - random drop)."""
    return float(np.mean(shap_curve[1:] - random_curve[1:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5, help="top predicted side effects per drug")
    parser.add_argument("--k-max", type=int, default=15, help="largest number of masked bits")
    parser.add_argument("--repeats", type=int, default=20, help="random orders per drug x effect")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT_MD)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from sefreq.data.registry import cache_dir
    from sefreq.explain import ADDITIVITY_TOLERANCE, Explainer

    started = time.perf_counter()
    bundle, heldout = heldout_bundle(
        ROOT / "benchmarks" / "folds", cache_dir() / "explain" / "heldout-ICS-seed0-fold0"
    )
    explainer = Explainer(bundle_dir=bundle)
    rng = np.random.default_rng(0)
    rows = {"association": [], "frequency": []}
    for output in rows:
        for name, smiles, group in heldout:
            for result in deletion_curves(
                explainer, smiles, args.top, output, args.k_max, args.repeats, rng
            ):
                rows[output].append({"drug": name, "group": group, **result})
    elapsed = time.perf_counter() - started

    lines = [
        "# Explanation faithfulness: deletion curves",
        "",
        "Written by `SEFREQ_DATA_DIR=... python benchmarks/explain_faithfulness.py"
        f" --top {args.top} --k-max {args.k_max} --repeats {args.repeats}`"
        f" ({elapsed:.0f} s on this CPU, 1 thread).",
        "",
        "**Model explained.** The bundled model trained on every usable drug, including the 9",
        "independent drugs, so it has no held-out drugs. These figures come from a quick",
        "ensemble (3 members, <= 60 epochs, default network) trained with",
        "`sefreq.model.recipe.fit_ensemble` on the training part of ICS fold 0 (seed 0,",
        "`benchmarks/folds/ICS_seed0.npz`) and explain drugs it never saw:",
        f"{sum(g == 'ICS fold 0 test' for _, _, g in heldout)} ICS fold-0 test drugs and "
        f"{sum(g == 'independent' for _, _, g in heldout)} independent drugs"
        f" ({len(heldout)} drugs) x their top {args.top} predicted side effects"
        " (by P(association)). Background: 50 of that model's training drugs (seed 0).",
        "",
        "**Protocol.** Bits the drug sets are masked (set to 0) in order of decreasing SHAP",
        f"value, k = 0..{args.k_max}; the random baseline masks k random set bits (mean of"
        f" {args.repeats} orders). Drop = output(unmasked) - output(masked), averaged over",
        "drug x side effect pairs. *Inputs fixed*: only bits change (the function SHAP",
        "explains). *kNN recomputed*: the kNN label prior is recomputed from the masked",
        "fingerprint (the whole pipeline). Area between curves = mean over k = 1..K of",
        "(SHAP drop - random drop), in output units. A drug with fewer set bits than k keeps",
        "its all-masked value.",
        "",
    ]
    for output, unit in (
        ("association", "P(association), 0..1"),
        ("frequency", "expected frequency class, 1..5"),
    ):
        table = rows[output]
        if not table:
            continue
        additivity = np.abs([r["additivity"] for r in table])
        lines += [f"## Output: {output} ({unit})", ""]
        lines += [
            "| setting | drugs | pairs | area between curves | SHAP drop at k=5 | random drop at "
            "k=5 | pairs where SHAP drop > random at k=5 |",
            "|---|---|---|---|---|---|---|",
        ]
        for setting in ("fixed", "knn"):
            for group in ("all", "ICS fold 0 test", "independent"):
                chosen = [r for r in table if group == "all" or r["group"] == group]
                shap_curve = np.mean([r[f"shap_{setting}"] for r in chosen], axis=0)
                random_curve = np.mean([r[f"random_{setting}"] for r in chosen], axis=0)
                wins = np.mean(
                    [r[f"shap_{setting}"][5] > r[f"random_{setting}"][5] for r in chosen]
                )
                label = "inputs fixed" if setting == "fixed" else "kNN recomputed"
                lines.append(
                    f"| {label} | {group} ({len({r['drug'] for r in chosen})}) | {len(chosen)} | "
                    f"{area_between(shap_curve, random_curve):+.4f} | {shap_curve[5]:+.4f} | "
                    f"{random_curve[5]:+.4f} | {wins:.0%} |"
                )
        lines += ["", "Mean deletion curves (all drugs):", ""]
        lines += [
            "| k | SHAP, inputs fixed | random, inputs fixed | SHAP, kNN recomputed | "
            "random, kNN recomputed |",
            "|---|---|---|---|---|",
        ]
        curves = {
            key: np.mean([r[key] for r in table], axis=0)
            for key in ("shap_fixed", "random_fixed", "shap_knn", "random_knn")
        }
        for k in range(args.k_max + 1):
            lines.append(
                f"| {k} | {curves['shap_fixed'][k]:+.4f} | {curves['random_fixed'][k]:+.4f} | "
                f"{curves['shap_knn'][k]:+.4f} | {curves['random_knn'][k]:+.4f} |"
            )
        lines += [
            "",
            f"SHAP additivity over these {len(table)} explanations: max |sum(SHAP) - "
            f"(output - expected)| = {additivity.max():.1e} (tolerance "
            f"{ADDITIVITY_TOLERANCE:.0e}); median set bits per drug "
            f"{int(np.median([r['n_present'] for r in table]))}.",
            "",
        ]
    lines += [
        "Drugs: " + ", ".join(f"{name}" for name, _, _ in heldout) + ".",
        "",
    ]
    text = "\n".join(lines)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
