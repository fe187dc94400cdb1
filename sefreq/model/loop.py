"""The training loop of one network: losses, validation, early stopping per variant."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from sefreq.constants import N_CLASSES, stated
from sefreq.model.config import TrainConfig
from sefreq.model.inputs import ModelInputs
from sefreq.model.network import (
    NetworkInputs,
    SEFreqNet,
    coral_class_probabilities,
    coral_loss,
)


@dataclass
class MemberTensors:
    """A set of drugs as tensors: the network's inputs and the labels (rows aligned)."""

    inputs: NetworkInputs
    frequency: torch.Tensor  # (n, 994) int64 class, 0 where not reported
    mask: torch.Tensor  # (n, 994) bool: the cell is scored

    def take(self, rows: torch.Tensor) -> MemberTensors:
        """The rows ``rows`` (a batch)."""
        return MemberTensors(self.inputs.take(rows), self.frequency[rows], self.mask[rows])


def member_tensors(inputs: ModelInputs, frequency: np.ndarray, mask: np.ndarray) -> MemberTensors:
    """``inputs`` (the prior computed, and the mechanism view of a network with it) and the
    labels of the same drugs as tensors."""
    return MemberTensors(
        NetworkInputs.of(inputs),
        torch.from_numpy(frequency.astype(np.int64)),
        torch.from_numpy(mask.astype(bool)),
    )


def _member_loss(
    net: SEFreqNet, batch: MemberTensors, config: TrainConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """(association loss, frequency loss, penalty, per-side-effect losses) of a batch."""
    out = net(batch.inputs)
    mask = batch.mask
    target = (batch.frequency > 0).float()
    bce = F.binary_cross_entropy_with_logits(out["association_logit"], target, reduction="none")
    bce = bce * mask
    association_loss = bce.sum() / mask.sum().clamp_min(1)
    # The frequency task learns from stated classes only (UNSTATED cells: association).
    reported = mask & stated(batch.frequency)
    classes = batch.frequency.long().clamp(1, N_CLASSES)
    cell_coral = coral_loss(out["cumulative_logit"], classes)
    if config.mse_weight:
        expected = coral_class_probabilities(out["cumulative_logit"]) @ torch.arange(1.0, 6.0)
        cell_coral = cell_coral + config.mse_weight * (expected - classes.float()) ** 2
    cell_coral = cell_coral * reported
    frequency_loss = cell_coral.sum() / reported.sum().clamp_min(1)
    penalty = torch.zeros(())
    if net.config.spec.sparse_transfer:
        penalty = net.association_transfer.penalty() + net.frequency_transfer.penalty()
    per_se = {
        "association": bce.sum(0) / mask.sum(0).clamp_min(1),
        "association_seen": mask.sum(0) > 0,
        "frequency": cell_coral.sum(0) / reported.sum(0).clamp_min(1),
        "frequency_seen": reported.sum(0) > 0,
    }
    return association_loss, frequency_loss, penalty, per_se


@torch.no_grad()
def _evaluate(net: SEFreqNet, data: MemberTensors) -> tuple[float, float]:
    """Validation association BCE (mean over scored cells) and RMSE of expected class."""
    net.eval()
    out = net(data.inputs)
    mask = data.mask
    target = (data.frequency > 0).float()
    bce = F.binary_cross_entropy_with_logits(out["association_logit"], target, reduction="none")
    association = float((bce * mask).sum() / mask.sum().clamp_min(1))
    reported = mask & stated(data.frequency)
    expected = coral_class_probabilities(out["cumulative_logit"]) @ torch.arange(1.0, 6.0)
    err = ((expected - data.frequency.float()) ** 2 * reported).sum() / reported.sum().clamp_min(1)
    return association, float(err.sqrt())


def train_member(
    net: SEFreqNet,
    train: MemberTensors,
    validation: MemberTensors,
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
    spec = net.config.spec
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
            order = generator.permutation(len(train.mask))
            for start in range(0, len(order), config.batch_size):
                rows = torch.from_numpy(order[start : start + config.batch_size])
                batch = train.take(rows)
                association_loss, frequency_loss, penalty, per_se = _member_loss(net, batch, config)
                loss = config.frequency_weight * frequency_loss + config.transfer_penalty * penalty
                if train_association:
                    loss = loss + association_loss
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                if spec.sparse_transfer:
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

    if spec.per_head_stopping:
        run(list(net.parameters()), "per_head", "both heads", True)
    elif spec.shared_encoder or not config.two_phase:
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
