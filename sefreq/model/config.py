"""Optimisation and prior settings of training (:class:`TrainConfig`), and the shipped recipe's."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sefreq.chem.features import DESCRIPTOR_NAMES, MODEL_KERNEL_FINGERPRINTS


@dataclass
class TrainConfig:
    """Optimisation settings. Stored verbatim in the bundle card."""

    n_members: int = 5
    seed: int = 0
    max_epochs: int = 150
    patience: int = 15
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    frequency_weight: float = 1.0
    transfer_penalty: float = 1e-3
    mse_weight: float = 0.0  # extra squared error of the expected class, beside CORAL
    phase2_lr_scale: float = 1.0
    two_phase: bool = False  # asym_*: association first, then frequency on the frozen part
    knn_k: int = 20
    knn_power: float = 3.0
    # Similarity behind the kNN prior input: "morgan" (Tanimoto of the Morgan r=2 bits the
    # network reads) or "kernel" (mean of five fingerprints' count Tanimoto, as the
    # similarity-kernel baseline). The applicability domain stays on Morgan Tanimoto.
    knn_similarity: str = "morgan"
    # Non-empty: (k, power) pairs among which each head's kNN prior is chosen on the
    # validation drugs (association: AUROC + AUPR + per-drug AUROC of the prior alone;
    # frequency: its RMSE); knn_k / knn_power are then ignored.
    knn_grid: tuple = ()
    # "knn": the kNN profile above; "smoothed": the similarity-kernel baseline's smoothing
    # (every reference drug weighted by sim**gamma, shrinkage to the prevalence, co-reporting
    # transfer; features.smoothed_profiles), its settings chosen on validation from
    # features.SMOOTHING_GRID. "smoothed" needs knn_similarity="kernel".
    prior: str = "knn"
    # What the network and the kernel prior read of a molecule (sefreq.chem.features);
    # recorded in the bundle, so a model always reads what it was trained on.
    descriptors: tuple[str, ...] = DESCRIPTOR_NAMES
    kernel_fingerprints: tuple[str, ...] = MODEL_KERNEL_FINGERPRINTS
    # The mechanism view (sefreq.model.mechanism), when a MechanismTask is given:
    # cross-fitted parts, epochs of each network, and the share of training drugs with a
    # known mechanism that read it instead of their predicted one (so the network learns
    # both inputs; validation drugs always read the predicted one, as a new molecule).
    mechanism_parts: int = 3
    mechanism_epochs: int = 15
    mechanism_known_share: float = 0.5
    # Weights w of the mechanism in the prior's similarity, (1 - w) structure + w
    # mechanism (Tanimoto of the profiles), chosen on the validation drugs.
    mechanism_similarity_weights: tuple[float, ...] = (0.0, 0.3, 0.5)
    validation_share: float = 0.1  # used only when no validation set is given
    threads: int = 1
    progress: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


#: (k, power) pairs of the five-fingerprint kNN prior chosen on validation, per head.
KERNEL_KNN_GRID = ((20, 3.0), (20, 5.0), (20, 8.0), (100000, 3.0), (100000, 5.0), (100000, 8.0))
#: Prior settings of the shipped model (`sefreq train`, the registry's ``sefreq``): the
#: smoothed prior on the five-fingerprint similarity, its settings chosen on validation
#: drugs. Confirmed on fresh ICS folds (seed 1) against the kNN prior before it was
#: shipped (docs/MODEL.md).
BUNDLE_PRIOR: dict = {"knn_similarity": "kernel", "prior": "smoothed"}
