"""Training: one member with early stopping on validation, an ensemble, calibration.

The entry points are :func:`fit_ensemble` (arrays in, :class:`SEFreqEnsemble` out; what the
benchmark adapter calls) and :func:`train_bundle` (the whole dataset in, a saved bundle
out; what ``sefreq train`` calls).
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from sefreq.chem.features import (
    DescriptorScaler,
    descriptors,
    kernel_fingerprints,
    kernel_similarity,
    morgan_fingerprints,
)
from sefreq.constants import SIDER_LICENCE
from sefreq.model import confidence
from sefreq.model.bundle import KNN_SIMILARITIES, SEFreqEnsemble, tanimoto_bits
from sefreq.model.features import (
    SMOOTHING_GRID,
    association_prior,
    class_thresholds,
    frequency_bias,
    knn_profiles,
    mean_class_prior,
    similarity_components,
    smoothed_profiles,
    smoothing_reference,
    transfer_edges,
)
from sefreq.model.network import NetworkConfig, SEFreqNet, coral_class_probabilities, coral_loss


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


@dataclass
class TrainingSet:
    """Arrays of a set of drugs: inputs and labels (rows aligned)."""

    smiles: list[str | None]
    frequency: np.ndarray  # (n, 994) uint8
    label_mask: np.ndarray  # (n, 994) bool
    names: list[str] = field(default_factory=list)
    drug_ids: np.ndarray | None = None

    def display_names(self) -> list[str]:
        """``names``, or ``drug_<row>`` when the set has none (benchmark folds)."""
        return list(self.names) if self.names else [f"drug_{i}" for i in range(len(self.smiles))]

    def take(self, rows: np.ndarray) -> TrainingSet:
        """The drugs at ``rows``, in that order."""
        return TrainingSet(
            smiles=[self.smiles[i] for i in rows],
            frequency=self.frequency[rows],
            label_mask=self.label_mask[rows],
            names=[self.names[i] for i in rows] if self.names else [],
            drug_ids=None if self.drug_ids is None else self.drug_ids[rows],
        )


@dataclass
class _Tensors:
    fingerprints: torch.Tensor
    descriptors: torch.Tensor
    knn_association: torch.Tensor
    knn_frequency: torch.Tensor
    frequency: torch.Tensor
    mask: torch.Tensor


@dataclass
class SideEffectInputs:
    """What the network needs to know about side effects (all (994, ...) arrays)."""

    names: list[str]
    organ_classes: np.ndarray
    group_terms: np.ndarray
    similarity: np.ndarray | None


def _member_loss(
    net: SEFreqNet, batch: _Tensors, config: TrainConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """(association loss, frequency loss, penalty, per-side-effect losses) of a batch."""
    out = net(batch.fingerprints, batch.descriptors, batch.knn_association, batch.knn_frequency)
    mask = batch.mask
    target = (batch.frequency > 0).float()
    bce = F.binary_cross_entropy_with_logits(out["association_logit"], target, reduction="none")
    bce = bce * mask
    association_loss = bce.sum() / mask.sum().clamp_min(1)
    reported = mask & (batch.frequency > 0)
    classes = batch.frequency.long().clamp_min(1)
    cell_coral = coral_loss(out["cumulative_logit"], classes)
    if config.mse_weight:
        expected = coral_class_probabilities(out["cumulative_logit"]) @ torch.arange(1.0, 6.0)
        cell_coral = cell_coral + config.mse_weight * (expected - classes.float()) ** 2
    cell_coral = cell_coral * reported
    frequency_loss = cell_coral.sum() / reported.sum().clamp_min(1)
    penalty = torch.zeros(())
    if net.config.variant == "asym_i_ii":
        penalty = net.association_transfer.penalty() + net.frequency_transfer.penalty()
    per_se = {
        "association": bce.sum(0) / mask.sum(0).clamp_min(1),
        "association_seen": mask.sum(0) > 0,
        "frequency": cell_coral.sum(0) / reported.sum(0).clamp_min(1),
        "frequency_seen": reported.sum(0) > 0,
    }
    return association_loss, frequency_loss, penalty, per_se


@torch.no_grad()
def _evaluate(net: SEFreqNet, data: _Tensors) -> tuple[float, float]:
    """Validation association BCE (mean over scored cells) and RMSE of expected class."""
    net.eval()
    out = net(data.fingerprints, data.descriptors, data.knn_association, data.knn_frequency)
    mask = data.mask
    target = (data.frequency > 0).float()
    bce = F.binary_cross_entropy_with_logits(out["association_logit"], target, reduction="none")
    association = float((bce * mask).sum() / mask.sum().clamp_min(1))
    reported = mask & (data.frequency > 0)
    expected = coral_class_probabilities(out["cumulative_logit"]) @ torch.arange(1.0, 6.0)
    err = ((expected - data.frequency.float()) ** 2 * reported).sum() / reported.sum().clamp_min(1)
    return association, float(err.sqrt())


def train_member(
    net: SEFreqNet,
    train: _Tensors,
    validation: _Tensors,
    config: TrainConfig,
    seed: int,
    floors: tuple[float, float],
    description: str = "member",
) -> dict:
    """Train one network in place, choosing epochs on the validation set only.

    - ``symmetric``: one run, best epoch by validation BCE / floor BCE + validation RMSE /
      floor RMSE (each head's loss relative to the prevalence prior).
    - ``single_task``: one run, each head keeps its own best epoch (the heads share no
      parameter, so this is exactly two separately early-stopped networks).
    - ``asym_*``: as ``symmetric`` by default; with ``two_phase``, association first, then
      frequency. Phase 1 trains both heads and keeps
      the epoch with the best validation BCE; phase 2 freezes every association parameter
      and trains the frequency head alone on top of it until its validation RMSE stops
      improving. The asymmetry is what makes this possible: the association head never
      depended on the frequency head.
    Returns a small training log.
    """
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    variant = net.config.variant
    association_ids = {id(p) for p in net.association_parameters()}
    association_names = {n for n, p in net.named_parameters() if id(p) in association_ids}
    frequency_parameters = [p for p in net.parameters() if id(p) not in association_ids]
    log: dict = {}

    def run(
        parameters, criterion, phase: str, train_association: bool, lr_scale: float = 1.0
    ) -> None:
        optimiser = torch.optim.AdamW(
            parameters, lr=config.learning_rate * lr_scale, weight_decay=config.weight_decay
        )
        best = {"score": np.inf, "association": np.inf, "frequency": np.inf}
        best_state = copy.deepcopy(net.state_dict())
        stale, epochs_run = 0, 0
        bar = tqdm(
            range(config.max_epochs),
            desc=f"{description} {phase}",
            disable=not config.progress,
            leave=False,
        )
        for epoch in bar:
            net.train()
            order = generator.permutation(train.fingerprints.shape[0])
            for start in range(0, len(order), config.batch_size):
                rows = torch.from_numpy(order[start : start + config.batch_size])
                batch = _Tensors(*(getattr(train, f)[rows] for f in _Tensors.__dataclass_fields__))
                association_loss, frequency_loss, penalty, per_se = _member_loss(net, batch, config)
                loss = config.frequency_weight * frequency_loss + config.transfer_penalty * penalty
                if train_association:
                    loss = loss + association_loss
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                if variant == "asym_i_ii":
                    if train_association:
                        net.association_transfer.update_ema(
                            per_se["association"], per_se["association_seen"]
                        )
                    net.frequency_transfer.update_ema(per_se["frequency"], per_se["frequency_seen"])
            epochs_run += 1
            val_association, val_rmse = _evaluate(net, validation)
            bar.set_postfix(bce=f"{val_association:.4f}", rmse=f"{val_rmse:.3f}")
            improved = False
            state = net.state_dict()
            if criterion == "per_head":
                if val_association < best["association"]:
                    best.update(association=val_association, association_epoch=epoch)
                    improved = True
                    for k in association_names:
                        best_state[k] = state[k].detach().clone()
                if val_rmse < best["frequency"]:
                    best.update(frequency=val_rmse, frequency_epoch=epoch)
                    improved = True
                    for k, v in state.items():
                        if k not in association_names:
                            best_state[k] = v.detach().clone()
            else:
                score = {
                    "joint": val_association / floors[0] + val_rmse / floors[1],
                    "association": val_association,
                    "frequency": val_rmse,
                }[criterion]
                if score < best["score"]:
                    best.update(
                        score=score, association=val_association, frequency=val_rmse, epoch=epoch
                    )
                    best_state = copy.deepcopy(state)
                    improved = True
            stale = 0 if improved else stale + 1
            if stale >= config.patience:
                break
        net.load_state_dict(best_state)
        log[phase] = {"epochs_run": epochs_run, **{k: float(v) for k, v in best.items()}}

    if variant == "single_task":
        run(list(net.parameters()), "per_head", "both heads", True)
    elif variant == "symmetric" or not config.two_phase:
        run(list(net.parameters()), "joint", "joint", True)
    else:
        run(list(net.parameters()), "association", "phase 1", True)
        for p in net.association_parameters():
            p.requires_grad_(False)
        run(frequency_parameters, "frequency", "phase 2", False, config.phase2_lr_scale)
        for p in net.association_parameters():
            p.requires_grad_(True)
    net.eval()
    log["epochs_run"] = sum(v["epochs_run"] for v in log.values() if isinstance(v, dict))
    return log


def _tensors(
    fingerprints: np.ndarray,
    scaled: np.ndarray,
    knn_a: np.ndarray,
    knn_f: np.ndarray,
    frequency: np.ndarray,
    mask: np.ndarray,
) -> _Tensors:
    return _Tensors(
        torch.from_numpy(fingerprints.astype(np.float32)),
        torch.from_numpy(scaled.astype(np.float32)),
        torch.from_numpy(knn_a),
        torch.from_numpy(knn_f),
        torch.from_numpy(frequency.astype(np.int64)),
        torch.from_numpy(mask.astype(bool)),
    )


def _exclusions(
    query_ids: np.ndarray | None, reference_ids: np.ndarray | None
) -> np.ndarray | None:
    """Per query, the reference row holding the same drug (-1 if none)."""
    if query_ids is None or reference_ids is None:
        return None
    position = {int(d): i for i, d in enumerate(reference_ids)}
    return np.array([position.get(int(d), -1) for d in query_ids], dtype=np.int64)


def split_validation(
    train: TrainingSet, share: float, seed: int
) -> tuple[TrainingSet, TrainingSet]:
    """Carve a random share of the drugs out as a validation set (cold split)."""
    rng = np.random.default_rng([seed, 7])
    n = len(train.smiles)
    order = rng.permutation(n)
    n_val = max(1, round(share * n))
    val_rows, fit_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
    return train.take(fit_rows), train.take(val_rows)


def _select_knn(grid, profiles, validation, prevalence, mean_class):
    """(k, power) of the association and of the frequency kNN prior, chosen on validation."""
    from sefreq.bench.metrics import aupr, auroc, auroc_per_drug, rmse

    truth, mask = validation.frequency, validation.label_mask
    logit_prior = np.log(prevalence / (1 - prevalence))
    best_a, best_f = (-np.inf, grid[0]), (np.inf, grid[0])
    for k, power in grid:
        association, frequency = profiles(k, power)
        p = 1.0 / (1.0 + np.exp(-(logit_prior + association)))
        score = auroc(p, truth, mask) + aupr(p, truth, mask) + auroc_per_drug(p, truth, mask).mean
        error = rmse(np.clip(mean_class + frequency, 1, 5), truth, mask)
        if score > best_a[0]:
            best_a = (score, (k, power))
        if error < best_f[0]:
            best_f = (error, (k, power))
    return best_a[1], best_f[1]


def _select_smoothing(profiles, validation, prevalence, mean_class, grid=SMOOTHING_GRID):
    """Settings of the smoothed prior, each head's chosen on validation as in _select_knn."""
    from sefreq.bench.metrics import aupr, auroc, auroc_per_drug, rmse

    truth, mask = validation.frequency, validation.label_mask
    logit_prior = np.log(prevalence / (1 - prevalence))
    a_grid, f_grid = grid["association"], grid["frequency"]
    fixed_f = {"alpha": f_grid["alpha"][0], "gamma": f_grid["gamma"][0]}
    best_a, best_f = (-np.inf, None), (np.inf, None)
    for alpha in a_grid["alpha"]:
        for gamma in a_grid["gamma"]:
            for m in a_grid["m"]:
                a = {"alpha": alpha, "gamma": gamma, "m": m}
                association, _ = profiles({"association": a, "frequency": fixed_f})
                p = 1.0 / (1.0 + np.exp(-(logit_prior + association)))
                score = auroc(p, truth, mask) + aupr(p, truth, mask)
                score += auroc_per_drug(p, truth, mask).mean
                if score > best_a[0]:
                    best_a = (score, a)
    for alpha in f_grid["alpha"]:
        for gamma in f_grid["gamma"]:
            f = {"alpha": alpha, "gamma": gamma}
            _, frequency = profiles({"association": best_a[1], "frequency": f})
            error = rmse(np.clip(mean_class + frequency, 1, 5), truth, mask)
            if error < best_f[0]:
                best_f = (error, f)
    return {"association": best_a[1], "frequency": best_f[1]}


def fit_ensemble(
    train: TrainingSet,
    validation: TrainingSet | None,
    side_effects: SideEffectInfoLike,
    network: NetworkConfig | None = None,
    config: TrainConfig | None = None,
) -> SEFreqEnsemble:
    """Train ``config.n_members`` networks, then calibrate on the validation set.

    ``validation`` holds held-out cells (its ``label_mask`` says which are scored); when
    None, a share of the training drugs is carved out. Only usable structures should be
    passed (rows whose SMILES does not parse are dropped here).
    """
    network = copy.deepcopy(network) if network else NetworkConfig()
    config = config or TrainConfig()
    torch.set_num_threads(max(1, config.threads))
    if validation is None:
        train, validation = split_validation(train, config.validation_share, config.seed)
    train = _usable(train)
    validation = _usable(validation)
    started = time.perf_counter()

    se = SideEffectInputs(
        names=list(side_effects.names),
        organ_classes=np.asarray(side_effects.organ_classes, dtype=np.float32),
        group_terms=np.asarray(side_effects.group_terms, dtype=np.float32),
        similarity=None if side_effects.similarity is None else np.asarray(side_effects.similarity),
    )
    n_se = len(se.names)
    network.n_side_effects = n_se
    network.n_organ_classes = se.organ_classes.shape[1]
    network.n_group_terms = se.group_terms.shape[1]

    prevalence = association_prior(train.frequency, train.label_mask)
    mean_class = mean_class_prior(train.frequency, train.label_mask)
    thresholds = class_thresholds(train.frequency, train.label_mask)
    f_bias = frequency_bias(mean_class, thresholds)
    components = similarity_components(se.similarity, n_se, network.n_similarity_components)
    reported = (train.frequency > 0) & train.label_mask
    sources, valid = transfer_edges(
        reported.sum(0), se.organ_classes, se.similarity, reported, network.transfer_k
    )

    fit_fp = morgan_fingerprints(train.smiles, n_bits=network.n_fingerprint_bits)
    val_fp = morgan_fingerprints(validation.smiles, n_bits=network.n_fingerprint_bits)
    raw_fit, raw_val = descriptors(train.smiles), descriptors(validation.smiles)
    network.n_descriptors = raw_fit.shape[1]
    scaler = DescriptorScaler.fit(raw_fit)
    fit_desc, val_desc = scaler.transform(raw_fit), scaler.transform(raw_val)

    if config.knn_similarity not in KNN_SIMILARITIES:
        raise ValueError(f"knn_similarity must be one of {KNN_SIMILARITIES}")
    use_kernel = network.use_knn_prior and config.knn_similarity == "kernel"
    fit_kfp = kernel_fingerprints(train.smiles) if use_kernel else None
    val_kfp = kernel_fingerprints(validation.smiles) if use_kernel else None

    def knn(
        query_fp: np.ndarray,
        query_kfp: dict | None,
        exclude: np.ndarray | None,
        k: int,
        power: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        if use_kernel:
            sim = kernel_similarity(query_kfp, fit_kfp)
        else:
            sim = tanimoto_bits(query_fp, fit_fp)
        return knn_profiles(
            sim,
            train.frequency,
            train.label_mask,
            prevalence,
            mean_class,
            k,
            power=power,
            exclude=exclude,
        )

    val_exclude = _exclusions(validation.drug_ids, train.drug_ids)
    leave_out = np.arange(len(train.smiles))  # each drug left out of its own profile
    knn_a_params = knn_f_params = (config.knn_k, config.knn_power)
    smoothing = None
    if config.prior not in ("knn", "smoothed"):
        raise ValueError("prior must be 'knn' or 'smoothed'")
    if not network.use_knn_prior:
        zero_fit = np.zeros((len(train.smiles), n_se), np.float32)
        zero_val = np.zeros((len(validation.smiles), n_se), np.float32)
        fit_knn, val_knn = (zero_fit, zero_fit), (zero_val, zero_val)
    elif config.prior == "smoothed":
        if not use_kernel:
            raise ValueError("the smoothed prior needs knn_similarity='kernel'")
        reference = smoothing_reference(train.frequency, train.label_mask)

        def smoothed(similarity, exclude, settings):
            return smoothed_profiles(
                similarity, reference, prevalence, mean_class, settings, exclude
            )

        val_sim = kernel_similarity(val_kfp, fit_kfp)
        smoothing = _select_smoothing(
            lambda settings: smoothed(val_sim, val_exclude, settings),
            validation,
            prevalence,
            mean_class,
        )
        fit_knn = smoothed(kernel_similarity(fit_kfp, fit_kfp), leave_out, smoothing)
        val_knn = smoothed(val_sim, val_exclude, smoothing)
    else:
        if config.knn_grid:
            knn_a_params, knn_f_params = _select_knn(
                [(int(k), float(p)) for k, p in config.knn_grid],
                lambda k, p: knn(val_fp, val_kfp, val_exclude, k, p),
                validation,
                prevalence,
                mean_class,
            )
        fit_knn = knn(fit_fp, fit_kfp, leave_out, *knn_a_params)
        val_knn = knn(val_fp, val_kfp, val_exclude, *knn_a_params)
        if knn_f_params != knn_a_params:
            fit_knn = (fit_knn[0], knn(fit_fp, fit_kfp, leave_out, *knn_f_params)[1])
            val_knn = (val_knn[0], knn(val_fp, val_kfp, val_exclude, *knn_f_params)[1])
    fit_t = _tensors(fit_fp, fit_desc, *fit_knn, train.frequency, train.label_mask)
    val_t = _tensors(val_fp, val_desc, *val_knn, validation.frequency, validation.label_mask)

    floors = _floors(validation, prevalence, mean_class)
    members, logs = [], []
    for m in range(config.n_members):
        seed = config.seed * 1000 + m
        torch.manual_seed(seed)
        net = SEFreqNet(
            network,
            se.organ_classes,
            se.group_terms,
            components,
            np.log(prevalence / (1 - prevalence)),
            f_bias,
            sources,
            valid,
        )
        with torch.no_grad():
            net.threshold_start.fill_(float(thresholds[0]))
            steps = np.maximum(np.diff(thresholds), 0.05)
            net.threshold_steps.copy_(
                torch.log(torch.expm1(torch.tensor(steps, dtype=torch.float32)))
            )
        log = train_member(
            net, fit_t, val_t, config, seed, floors, f"member {m + 1}/{config.n_members}"
        )
        members.append(net)
        logs.append(log)

    ensemble = SEFreqEnsemble(
        config=network,
        members=members,
        scaler=scaler,
        prevalence=prevalence,
        mean_class=mean_class,
        reference_fingerprints=fit_fp,
        reference_frequency=train.frequency.astype(np.uint8),
        reference_mask=train.label_mask.astype(bool),
        reference_names=train.display_names(),
        side_effect_names=se.names,
        knn_k=knn_a_params[0],
        knn_power=knn_a_params[1],
        knn_frequency_k=knn_f_params[0],
        knn_frequency_power=knn_f_params[1],
        knn_similarity=config.knn_similarity,
        reference_kernel_fingerprints=fit_kfp,
        reference_ids=None if train.drug_ids is None else np.asarray(train.drug_ids),
        smoothing=smoothing,
    )
    calibration = confidence.calibrate(
        ensemble, validation, _exclusions(validation.drug_ids, train.drug_ids)
    )
    ensemble.card.update(
        {
            "training": config.to_dict(),
            "training_log": logs,
            "calibration": calibration,
            "training_seconds": round(time.perf_counter() - started, 1),
            "n_training_drugs": len(train.smiles),
            "n_validation_drugs": len(validation.smiles),
        }
    )
    return ensemble


class SideEffectInfoLike:  # documentation only: anything with these attributes works
    names: list[str]
    organ_classes: np.ndarray
    group_terms: np.ndarray
    similarity: np.ndarray | None


def _usable(data: TrainingSet) -> TrainingSet:
    from sefreq.chem.features import mol_from_smiles

    keep = np.array([mol_from_smiles(s) is not None for s in data.smiles], dtype=bool)
    if keep.all():
        return data
    return data.take(np.flatnonzero(keep))


def _floors(
    validation: TrainingSet, prevalence: np.ndarray, mean_class: np.ndarray
) -> tuple[float, float]:
    """Validation BCE and RMSE of the prevalence prior (the scale of each head's loss)."""
    mask = validation.label_mask
    y = (validation.frequency > 0).astype(np.float64)
    p = np.clip(np.broadcast_to(prevalence, y.shape), 1e-6, 1 - 1e-6)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    floor_bce = float((bce * mask).sum() / max(mask.sum(), 1))
    reported = mask & (validation.frequency > 0)
    err = (np.broadcast_to(mean_class, y.shape) - validation.frequency) ** 2
    floor_rmse = float(np.sqrt((err * reported).sum() / max(reported.sum(), 1)))
    return max(floor_bce, 1e-3), max(floor_rmse, 1e-2)


def extend_reference(ensemble: SEFreqEnsemble, extra: TrainingSet) -> None:
    """Add ``extra``'s drugs to the reference set behind the similarity prior and the domain.

    Used once the validation drugs have done their job (early stopping, calibration): they
    then become neighbours like any training drug, as the kernel baseline refits on them.
    """
    n_bits = ensemble.config.n_fingerprint_bits
    ensemble.reference_fingerprints = np.concatenate(
        [ensemble.reference_fingerprints, morgan_fingerprints(extra.smiles, n_bits=n_bits)]
    )
    if ensemble.reference_kernel_fingerprints is not None:
        added = kernel_fingerprints(extra.smiles)
        reference = ensemble.reference_kernel_fingerprints
        ensemble.reference_kernel_fingerprints = {
            k: np.concatenate([v, added[k]]) for k, v in reference.items()
        }
    ensemble.reference_frequency = np.concatenate(
        [ensemble.reference_frequency, np.asarray(extra.frequency, dtype=np.uint8)]
    )
    ensemble.reference_mask = np.concatenate(
        [ensemble.reference_mask, np.asarray(extra.label_mask, dtype=bool)]
    )
    ensemble.reference_names = list(ensemble.reference_names) + extra.display_names()
    if ensemble.reference_ids is not None:
        ids = extra.drug_ids if extra.drug_ids is not None else np.full(len(extra.smiles), -1)
        ensemble.reference_ids = np.concatenate([ensemble.reference_ids, np.asarray(ids)])


def train_bundle(
    out_dir: str | Path,
    seed: int = 0,
    n_members: int = 5,
    progress: bool = True,
    network: NetworkConfig | None = None,
    config: TrainConfig | None = None,
) -> Path:
    """Train the shipped model on every drug with a usable structure and save it.

    10% of the drugs (seeded) are held out for early stopping, temperature and conformal
    calibration; afterwards they join the reference set used for the kNN prior and the
    applicability domain, so every usable drug can be a nearest neighbour.
    Returns the bundle directory.
    """
    from sefreq import __version__
    from sefreq.model.bundle import MODEL_VERSION
    from sefreq.model.confidence import DEFAULT_AD_THRESHOLD
    from sefreq.model.data import load_bundle_data

    data = load_bundle_data()
    config = config or TrainConfig(seed=seed, n_members=n_members, progress=progress)
    fit, validation = split_validation(data.training, config.validation_share, config.seed)
    ensemble = fit_ensemble(fit, validation, data.side_effects, network, config)
    extend_reference(ensemble, validation)
    ensemble.ad_threshold = DEFAULT_AD_THRESHOLD
    ensemble.card.update(
        {
            "name": "sefreq",
            "model_version": MODEL_VERSION,
            "sefreq_version": __version__,
            "data_sha256": data.data_sha256,
            "n_excluded_no_structure": data.n_excluded_no_structure,
            "side_effect_organ_classes": data.organ_class_names,
            "licence": SIDER_LICENCE,
            "applicability_domain": {
                "measure": "max Tanimoto (Morgan r=2, 2048 bits) to a training drug",
                "threshold": DEFAULT_AD_THRESHOLD,
                "evidence": "docs/MODEL.md, error by similarity on held-out ICS drugs",
            },
            "benchmark": _benchmark_figures(),
        }
    )
    return ensemble.save(out_dir)


def _benchmark_figures() -> dict:
    """Held-out figures recorded beside the model (``models/evaluation.json``, written by
    ``python -m sefreq.model.evaluate``), summarised for the card."""
    import json

    path = Path(__file__).resolve().parents[2] / "models" / "evaluation.json"
    if not path.is_file():
        return {}
    report = json.loads(path.read_text())
    keep = (
        "protocol",
        "variant",
        "model_options",
        "n_folds",
        "mean",
        "pooled_ece_before",
        "pooled_ece_after",
        "pooled_conformal_coverage",
        "pooled_conformal_mean_set_size",
        "error_by_similarity",
    )
    summary = {k: report[k] for k in keep if k in report}
    summary["command"] = (
        "python -m sefreq.model.evaluate --protocol ICS --out models/evaluation.json"
    )
    return summary
