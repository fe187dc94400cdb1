"""Baselines every SEFreq table shows: prevalence, Galeano's WNMF, fingerprint kNN, and MLP.

Each implements :class:`sefreq.bench.interface.BenchModel`. Model selection (k, epochs,
calibration) looks only at the validation view a protocol hands to ``fit``.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.special import expit

from sefreq.bench.interface import EvalView, Prediction, QueryView, TrainView
from sefreq.chem.features import morgan_fingerprints
from sefreq.chem.similarity import tanimoto_bits
from sefreq.constants import UNSTATED, stated
from sefreq.metrics import aupr
from sefreq.priors import top_k_columns

#: Galeano et al.'s score-to-class cut-offs: a score below 0.42 is class 0, and so on.
GALEANO_CUTOFFS: tuple[float, ...] = (0.42, 1.26, 2.43, 3.25, 3.93)


def side_effect_prevalence(train: TrainView) -> tuple[np.ndarray, np.ndarray]:
    """Per side effect: share of positives among label cells, and mean class of positives.

    Returns ``(association, frequency)``, each (994,) float64; a side effect without label
    cells gets prevalence 0 and one without positives the global mean class.
    """
    labelled = train.label_mask
    positive = labelled & (train.frequency > 0)
    n_labelled = labelled.sum(axis=0)
    n_positive = positive.sum(axis=0)
    association = np.divide(
        n_positive, n_labelled, out=np.zeros(n_labelled.shape, float), where=n_labelled > 0
    )
    classified = labelled & stated(train.frequency)  # UNSTATED cells have no class
    n_classified = classified.sum(axis=0)
    class_sum = np.where(classified, train.frequency, 0).sum(axis=0, dtype=np.float64)
    global_mean = class_sum.sum() / max(n_classified.sum(), 1) if n_classified.any() else 3.0
    frequency = np.divide(
        class_sum,
        n_classified,
        out=np.full(n_classified.shape, global_mean),
        where=n_classified > 0,
    )
    return association, frequency


def refuse_unstated(train: TrainView, model) -> None:
    """Models that read every positive as a class cannot train with the ``+sider`` drugs."""
    if (np.asarray(train.frequency) == UNSTATED).any():
        raise ValueError(
            f"{getattr(model, 'name', type(model).__name__)} reads every reported cell as a "
            "frequency class and cannot train on side effects without one (+sider)"
        )


def galeano_class(score: np.ndarray) -> np.ndarray:
    """Frequency class 0..5 from a WNMF score via Galeano's cut-offs (same shape, uint8)."""
    return np.searchsorted(np.asarray(GALEANO_CUTOFFS), score, side="right").astype(np.uint8)


def _validation_aupr(validation: EvalView, association: np.ndarray) -> float:
    """AUPR of association scores over the validation cells: the selection criterion."""
    labels = validation.frequency[validation.mask] > 0
    if not labels.any() or labels.all():
        return math.nan
    return aupr(association, validation.frequency, validation.mask)


def _rows_for(query: QueryView, train: TrainView) -> np.ndarray:
    """Training-row index of every query drug (warm protocols), (n_query,) int."""
    if query.drug_ids is None:
        raise ValueError("this model needs drug_ids in the query (warm protocols only)")
    lookup = {int(d): i for i, d in enumerate(train.drug_ids)}
    missing = [int(d) for d in query.drug_ids if int(d) not in lookup]
    if missing:
        raise ValueError(f"query drugs {missing[:5]} have no row in the training view")
    return np.array([lookup[int(d)] for d in query.drug_ids], dtype=np.int64)


class PrevalenceModel:
    """Every drug gets each side effect's training prevalence and mean class: the floor."""

    name = "prevalence"
    structure_only = True

    def __init__(self, **_: object) -> None:
        self.association: np.ndarray | None = None
        self.frequency: np.ndarray | None = None

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        self.association, self.frequency = side_effect_prevalence(train)

    def predict(self, query: QueryView) -> Prediction:
        n = len(query.smiles)
        return Prediction(
            association=np.tile(self.association, (n, 1)),
            frequency=np.tile(self.frequency, (n, 1)),
        )


def weighted_nmf(
    matrix: np.ndarray,
    weights: np.ndarray,
    rank: int = 10,
    tolerance: float = 1e-3,
    max_iterations: int = 2000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Weighted NMF ``matrix ~ W @ H`` by multiplicative updates (Lee-Seung, weighted).

    Minimises ``sum(weights * (matrix - W H)^2)``; stops when the relative loss change
    falls below ``tolerance`` or after ``max_iterations``. Returns ``(W (n, rank),
    H (rank, m), iterations)``, float64.
    """
    rng = np.random.default_rng(seed)
    matrix = np.asarray(matrix, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    n, m = matrix.shape
    # Start near the weighted mean so the first updates are not dominated by scale.
    scale = math.sqrt(max((weights * matrix).sum() / max(weights.sum(), 1e-12), 1e-3) / rank)
    w = rng.uniform(0.5, 1.5, size=(n, rank)) * scale
    h = rng.uniform(0.5, 1.5, size=(rank, m)) * scale
    weighted_matrix = weights * matrix
    eps = 1e-12
    previous = math.inf
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        w *= (weighted_matrix @ h.T) / ((weights * (w @ h)) @ h.T + eps)
        h *= (w.T @ weighted_matrix) / (w.T @ (weights * (w @ h)) + eps)
        loss = float((weights * (matrix - w @ h) ** 2).sum())
        if previous < math.inf and abs(previous - loss) / max(previous, eps) < tolerance:
            break
        previous = loss
    return w, h, iterations


class WNMFModel:
    """Galeano et al.'s weighted non-negative matrix decomposition (warm protocols only).

    Known entries weigh 1, zeros among the label cells ``zero_weight``, cells outside the
    label mask 0. The score ``W H`` is the association score and, clipped to [1, 5], the
    frequency; ``extras["frequency_class"]`` holds Galeano's class 0..5 from the cut-offs.
    ``association`` is the score mapped to a probability by a logistic fit on the
    validation cells (monotone, so rankings and AUROC are those of the raw score).
    """

    name = "wnmf"
    structure_only = False
    stated_classes_only = True  # refuse_unstated: the harness skips it where SIDER adds drugs

    def __init__(
        self,
        rank: int = 10,
        zero_weight: float = 0.05,
        tolerance: float = 1e-3,
        max_iterations: int = 2000,
        seed: int = 0,
        unlabelled_as_zero: bool = True,
        **_: object,
    ) -> None:
        self.rank = rank
        self.unlabelled_as_zero = unlabelled_as_zero
        self.zero_weight = zero_weight
        self.tolerance = tolerance
        self.max_iterations = max_iterations
        self.seed = seed
        self.iterations = 0
        self._train: TrainView | None = None
        self._scores: np.ndarray | None = None
        self._calibration = (1.0, 0.0)

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        refuse_unstated(train, self)
        known = train.label_mask & (train.frequency > 0)
        # Galeano's model reads every cell that is not a known entry as a zero of low weight;
        # unlabelled_as_zero=False instead gives cells outside the label mask weight 0.
        zero_weight = (
            self.zero_weight
            if self.unlabelled_as_zero
            else np.where(train.label_mask, self.zero_weight, 0.0)
        )
        weights = np.where(known, 1.0, zero_weight)
        w, h, self.iterations = weighted_nmf(
            train.frequency, weights, self.rank, self.tolerance, self.max_iterations, self.seed
        )
        self._train = train
        self._scores = w @ h
        self._calibration = (1.0, -1.0)
        if validation is not None and validation.query.drug_ids is not None:
            self._calibrate(validation)

    def _calibrate(self, validation: EvalView) -> None:
        from sklearn.linear_model import LogisticRegression

        scores = self._scores[_rows_for(validation.query, self._train)][validation.mask]
        labels = validation.frequency[validation.mask] > 0
        if labels.all() or not labels.any():
            return
        fit = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), labels)
        slope = float(fit.coef_[0, 0])
        if slope > 0:  # keep the map increasing, so AUROC is that of the raw score
            self._calibration = (slope, float(fit.intercept_[0]))

    def predict(self, query: QueryView) -> Prediction:
        if self._scores is None:
            raise RuntimeError("fit the model before predicting")
        if query.drug_ids is None:
            raise ValueError(
                "WNMF cannot score a new molecule: it needs known frequencies of the drug. "
                "Use it in warm protocols (WS, M10, H5) only."
            )
        scores = self._scores[_rows_for(query, self._train)]
        slope, intercept = self._calibration
        association = expit(slope * scores + intercept)
        return Prediction(
            association=association,
            frequency=np.clip(scores, 1.0, 5.0),
            extras={"score": scores, "frequency_class": galeano_class(scores)},
        )


class KNNModel:
    """Similarity-weighted k nearest training drugs on Morgan-fingerprint Tanimoto.

    association[q, j] = sum_k s_k y_kj / sum_k s_k over neighbours whose cell j is a
    label; frequency[q, j] = the same mean of classes over neighbours reporting j. Missing
    evidence falls back to the prevalence baseline. k is chosen on the validation view.
    In warm protocols a drug is never its own neighbour.
    """

    name = "knn"
    structure_only = True

    def __init__(self, k_grid: tuple[int, ...] = (5, 10, 20, 40, 80), **_: object) -> None:
        self.k_grid = tuple(k_grid)
        self.k = self.k_grid[0]
        self.validation_aupr: dict[int, float] = {}
        self._train: TrainView | None = None
        self._fingerprints: np.ndarray | None = None

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        self._train = train
        self._fingerprints = morgan_fingerprints(train.smiles)
        self._prevalence = side_effect_prevalence(train)
        self.validation_aupr = {}
        if validation is None or len(self.k_grid) == 1:
            self.k = self.k_grid[0]
            return
        similarity = self._similarity(validation.query)
        for k in self.k_grid:
            association, _ = self._neighbour_means(similarity, k)
            self.validation_aupr[k] = _validation_aupr(validation, association)
        scored = {k: v for k, v in self.validation_aupr.items() if not math.isnan(v)}
        self.k = max(scored, key=scored.get) if scored else self.k_grid[0]

    def _similarity(self, query: QueryView) -> np.ndarray:
        similarity = tanimoto_bits(morgan_fingerprints(query.smiles), self._fingerprints)
        if query.drug_ids is not None:
            # Warm: the query drug's own row holds its held-out cells as zeros; skip it.
            own = np.asarray(query.drug_ids)[:, None] == np.asarray(self._train.drug_ids)[None]
            similarity[own] = -1.0
        return similarity

    def _neighbour_means(self, similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(n_query, 994) association and frequency from the top-k neighbours."""
        # Chunks keep the (chunk, k, 994) neighbour arrays small.
        parts = [
            self._neighbour_means_chunk(similarity[start : start + 64], k)
            for start in range(0, len(similarity), 64)
        ]
        if not parts:
            empty = np.zeros((0, self._train.frequency.shape[1]))
            return empty, empty.copy()
        return np.concatenate([a for a, _ in parts]), np.concatenate([f for _, f in parts])

    def _neighbour_means_chunk(
        self, similarity: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        train = self._train
        k = min(k, similarity.shape[1])
        neighbours = top_k_columns(similarity, k)  # (n_query, k)
        weights = np.take_along_axis(similarity, neighbours, axis=1).clip(min=0.0)
        weights = weights[:, :, None] + 1e-6  # a tiny floor so all-dissimilar still averages
        labelled = train.label_mask[neighbours]  # (n_query, k, 994)
        classes = train.frequency[neighbours].astype(np.float64)
        positive = labelled & (classes > 0)
        prevalence, mean_class = self._prevalence
        label_weight = (weights * labelled).sum(axis=1)
        association = np.divide(
            (weights * positive).sum(axis=1),
            label_weight,
            out=np.tile(prevalence, (len(similarity), 1)),
            where=label_weight > 0,
        )
        classified = labelled & stated(classes)  # UNSTATED cells have no class
        positive_weight = (weights * classified).sum(axis=1)
        frequency = np.divide(
            (weights * classified * classes).sum(axis=1),
            positive_weight,
            out=np.tile(mean_class, (len(similarity), 1)),
            where=positive_weight > 0,
        )
        return association, frequency

    def predict(self, query: QueryView) -> Prediction:
        if self._train is None:
            raise RuntimeError("fit the model before predicting")
        association, frequency = self._neighbour_means(self._similarity(query), self.k)
        return Prediction(association=association, frequency=frequency)


class MLPModel:
    """Two single-task fingerprint MLPs (torch, CPU): one for association, one for frequency.

    Input: Morgan radius-2 2048-bit vector; one hidden layer. Association: sigmoid output,
    BCE on label cells. Frequency: 1 + 4 sigmoid output, MSE on labelled positives. Each
    net keeps the epoch with the lowest validation loss (early stopping, patience).
    """

    name = "mlp"
    structure_only = True
    stated_classes_only = True  # refuse_unstated: the harness skips it where SIDER adds drugs

    def __init__(
        self,
        hidden: int = 512,
        dropout: float = 0.3,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-5,
        max_epochs: int = 80,
        patience: int = 8,
        batch_size: int = 64,
        seed: int = 0,
        threads: int = 1,
        quick: bool = False,
        **_: object,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_epochs = 6 if quick else max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.seed = seed
        self.threads = threads
        self.best_epochs: dict[str, int] = {}
        self.fit_seconds = 0.0

    def _net(self):
        import torch

        return torch.nn.Sequential(
            torch.nn.Linear(2048, self.hidden),
            torch.nn.ReLU(),
            torch.nn.Dropout(self.dropout),
            torch.nn.Linear(self.hidden, 994),
        )

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        import torch

        refuse_unstated(train, self)
        start = time.perf_counter()
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)  # small nets: one thread each is enough
        try:
            self._fit(train, validation)
        finally:
            torch.set_num_threads(threads)
        self.fit_seconds = time.perf_counter() - start

    def _fit(self, train: TrainView, validation: EvalView | None) -> None:
        import torch

        torch.manual_seed(self.seed)
        x = torch.from_numpy(morgan_fingerprints(train.smiles).astype(np.float32))
        labels = torch.from_numpy(train.frequency.astype(np.float32))
        label_mask = torch.from_numpy(train.label_mask)
        if validation is not None:
            x_val = torch.from_numpy(
                morgan_fingerprints(validation.query.smiles).astype(np.float32)
            )
            y_val = torch.from_numpy(validation.frequency.astype(np.float32))
            m_val = torch.from_numpy(validation.mask)
        else:
            x_val = y_val = m_val = None
        prevalence, mean_class = side_effect_prevalence(train)
        self._association = self._train_net(
            "association", x, labels, label_mask, x_val, y_val, m_val, prevalence
        )
        positive_val = m_val & (y_val > 0) if m_val is not None else None
        self._frequency = self._train_net(
            "frequency", x, labels, label_mask & (labels > 0), x_val, y_val, positive_val,
            (mean_class - 1.0) / 4.0,
        )  # fmt: skip

    @staticmethod
    def _loss(task: str, logits, labels, mask):
        import torch

        if task == "association":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, (labels > 0).float(), reduction="none"
            )
        else:
            loss = (1.0 + 4.0 * torch.sigmoid(logits) - labels) ** 2
        weight = mask.float()
        return (loss * weight).sum() / weight.sum().clamp(min=1.0)

    def _train_net(self, task, x, labels, mask, x_val, y_val, m_val, prior):
        import torch

        net = self._net()
        # Start from the prevalence baseline: the output bias is the prior's logit, so the
        # hidden layer only has to learn how a structure departs from it.
        with torch.no_grad():
            net[-1].bias.copy_(torch.logit(torch.as_tensor(prior, dtype=torch.float32), 1e-4))
        optimiser = torch.optim.Adam(
            net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        generator = torch.Generator().manual_seed(self.seed)
        best_loss, best_state, best_epoch, waited = math.inf, None, 0, 0
        for epoch in range(1, self.max_epochs + 1):
            net.train()
            for batch in torch.randperm(len(x), generator=generator).split(self.batch_size):
                optimiser.zero_grad()
                loss = self._loss(task, net(x[batch]), labels[batch], mask[batch])
                loss.backward()
                optimiser.step()
            if x_val is None:
                continue
            net.eval()
            with torch.no_grad():
                val_loss = float(self._loss(task, net(x_val), y_val, m_val))
            if val_loss < best_loss - 1e-6:
                best_loss, best_epoch, waited = val_loss, epoch, 0
                best_state = {k: v.clone() for k, v in net.state_dict().items()}
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.best_epochs[task] = best_epoch or self.max_epochs
        net.eval()
        return net

    def predict(self, query: QueryView) -> Prediction:
        import torch

        x = torch.from_numpy(morgan_fingerprints(query.smiles).astype(np.float32))
        with torch.no_grad():
            association = torch.sigmoid(self._association(x)).numpy().astype(np.float64)
            frequency = (1.0 + 4.0 * torch.sigmoid(self._frequency(x))).numpy()
        return Prediction(association=association, frequency=frequency.astype(np.float64))
