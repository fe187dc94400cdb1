"""The SEFreq network: a drug encoder from structure, side-effect representations, two heads.

Every forward pass scores all 994 side effects of a batch of drugs at once, so a training
step costs a few small matrix products: the model is built for a CPU.

Variants (``NetworkConfig.variant``):

- ``single_task``: two disjoint networks, one per head; nothing is shared.
- ``symmetric``: one shared drug encoder, two equal heads; the frequency loss trains the
  shared encoder just as the association loss does.
- ``asym_i``: asymmetry (i), association -> frequency. The frequency head consumes the
  association representation through ``detach()`` scaled by a learned reliability gate,
  so no frequency-loss gradient reaches any association parameter.
- ``asym_i_ii``: (i) plus asymmetry (ii), reliable -> sparse side effects: a learned
  sparse directed transfer among side effects (``SparseTransfer``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from types import MappingProxyType

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sefreq.constants import N_CLASSES
from sefreq.model.inputs import ModelInputs


@dataclass(frozen=True)
class Variant:
    """What sets an ablation variant apart; every branch of the code reads these flags.

    - ``shared_encoder``: the frequency head reads the association encoder itself, so its
      loss trains it (``symmetric``);
    - ``borrows_association``: asymmetry (i), the frequency head reads the association
      representation through ``detach()`` and a learned reliability gate;
    - ``sparse_transfer``: asymmetry (ii), learned transfer from reliable to sparse side
      effects (:class:`SparseTransfer`);
    - ``per_head_stopping``: the heads share nothing, so each keeps its own best epoch.
    """

    name: str
    shared_encoder: bool = False
    borrows_association: bool = False
    sparse_transfer: bool = False
    per_head_stopping: bool = False

    @property
    def own_frequency_encoder(self) -> bool:
        """The frequency head has an encoder of its own."""
        return not self.shared_encoder


#: The ablation variants by name (``NetworkConfig.variant``), in table order.
VARIANT_SPECS: MappingProxyType[str, Variant] = MappingProxyType(
    {
        "single_task": Variant("single_task", per_head_stopping=True),
        "symmetric": Variant("symmetric", shared_encoder=True),
        "asym_i": Variant("asym_i", borrows_association=True),
        "asym_i_ii": Variant("asym_i_ii", borrows_association=True, sparse_transfer=True),
    }
)
VARIANTS: tuple[str, ...] = tuple(VARIANT_SPECS)


def variant_spec(name: str) -> Variant:
    """The :class:`Variant` called ``name``; ValueError naming the choices otherwise."""
    try:
        return VARIANT_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; choose one of {VARIANTS}") from None


@dataclass
class NetworkConfig:
    """Sizes and switches of :class:`SEFreqNet`. Stored verbatim in the bundle card."""

    variant: str = "asym_i_ii"
    n_fingerprint_bits: int = 2048
    n_descriptors: int = 19
    n_side_effects: int = 994
    n_organ_classes: int = 26
    n_group_terms: int = 217
    n_similarity_components: int = 32
    hidden: int = 256
    embedding: int = 64
    input_dropout: float = 0.2
    dropout: float = 0.4
    use_knn_prior: bool = True
    transfer_k: int = 8
    #: Width of the mechanism profile (:mod:`sefreq.model.mechanism`); 0: no mechanism
    #: view. With one, the association encoder reads the profile and the descriptors
    #: (not the fingerprint bits), and the frequency encoder the structure.
    n_mechanism: int = 0

    @property
    def spec(self) -> Variant:
        """The flags of :attr:`variant`."""
        return variant_spec(self.variant)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> NetworkConfig:
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _mlp_encoder(config: NetworkConfig, reads_mechanism: bool = False) -> nn.Sequential:
    """Drug encoder of the structure (bits + descriptors), or of the mechanism profile +
    descriptors when ``reads_mechanism``."""
    first = config.n_mechanism if reads_mechanism else config.n_fingerprint_bits
    n_in = first + config.n_descriptors
    return nn.Sequential(
        nn.Dropout(config.input_dropout),
        nn.Linear(n_in, config.hidden),
        nn.ReLU(),
        nn.Dropout(config.dropout),
        nn.Linear(config.hidden, config.embedding),
        nn.ReLU(),
    )


class SideEffectEmbedding(nn.Module):
    """(994, d) side-effect vectors: a free embedding plus projections of what is known.

    The organ-class and group-term multi-hots and the SVD of the ADReCS similarity are
    buffers (saved with the weights), so a loaded model needs no data files.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        d = config.embedding
        self.free = nn.Parameter(torch.randn(config.n_side_effects, d) * 0.01)
        self.from_organ = nn.Linear(config.n_organ_classes, d, bias=False)
        self.from_group = nn.Linear(config.n_group_terms, d, bias=False)
        self.from_similarity = nn.Linear(config.n_similarity_components, d, bias=False)
        for layer in (self.from_organ, self.from_group, self.from_similarity):
            nn.init.normal_(layer.weight, std=0.02)

    def forward(self, organ: torch.Tensor, group: torch.Tensor, sim: torch.Tensor) -> torch.Tensor:
        return (
            self.free + self.from_organ(organ) + self.from_group(group) + self.from_similarity(sim)
        )


class SparseTransfer(nn.Module):
    """Learned sparse directed transfer from reliable to sparse side effects.

    ``sources[j]`` lists at most k candidate source side effects of target ``j``; every
    candidate has strictly more labelled drugs than ``j`` (edges with ``valid == False``
    are padding). A target's score receives

        sum_k softplus(a_jk) * reliability_k * detach(u_source_k)

    where ``u`` is the drug-specific part of a score and ``reliability_k = exp(-ema_k /
    median(ema))`` falls as the source's running (EMA) training loss grows. The source is
    detached, so a hard target never drags its sources; the weights also carry an L1
    penalty scaled by ``1 + ema_k`` (:meth:`penalty`), the loss-weighted sparsity of
    asymmetric multi-task learning (Lee, Yang and Hwang, 2016).
    """

    def __init__(self, sources: torch.Tensor, valid: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("sources", sources.long())
        self.register_buffer("valid", valid.bool())
        self.register_buffer("ema_loss", torch.ones(sources.shape[0]))
        self.raw_weight = nn.Parameter(torch.full(sources.shape, -3.0))

    def reliability(self) -> torch.Tensor:
        """(994,) in (0, 1]: exp(-ema / median(ema)); low loss -> reliable."""
        scale = self.ema_loss.median().clamp_min(1e-6)
        return torch.exp(-self.ema_loss / scale)

    def edge_weights(self) -> torch.Tensor:
        """(994, k) effective weights target <- source (zero on padding edges)."""
        weight = F.softplus(self.raw_weight) * self.reliability()[self.sources]
        return weight * self.valid

    def dense_matrix(self) -> torch.Tensor:
        """(994, 994) transfer matrix T[target, source] (for fast inference)."""
        n = self.sources.shape[0]
        matrix = torch.zeros(n, n, dtype=self.ema_loss.dtype)
        targets = torch.arange(n).unsqueeze(1).expand_as(self.sources)
        matrix.index_put_((targets, self.sources), self.edge_weights(), accumulate=True)
        return matrix

    def forward(
        self, drug_specific: torch.Tensor, weights: torch.Tensor | None = None, dense: bool = False
    ) -> torch.Tensor:
        """Add transferred evidence to ``drug_specific`` (batch, 994).

        ``weights``: precomputed :meth:`edge_weights` (n, k), or with ``dense`` the
        :meth:`dense_matrix` (n, n) for inference; computed when None.
        """
        if weights is None:
            weights = self.dense_matrix() if dense else self.edge_weights()
        if dense:
            return drug_specific + drug_specific.detach() @ weights.T
        source_scores = drug_specific.detach()[:, self.sources]  # (batch, 994, k)
        return drug_specific + (source_scores * weights).sum(-1)

    def penalty(self) -> torch.Tensor:
        weight = F.softplus(self.raw_weight) * self.valid
        return (weight * (1.0 + self.ema_loss[self.sources])).sum() / self.valid.sum().clamp_min(1)

    @torch.no_grad()
    def update_ema(self, per_side_effect_loss: torch.Tensor, seen: torch.Tensor, momentum=0.9):
        """Fold this batch's mean loss per side effect into the running estimate."""
        updated = momentum * self.ema_loss + (1 - momentum) * per_side_effect_loss
        self.ema_loss.copy_(torch.where(seen, updated, self.ema_loss))


def coral_class_probabilities(cumulative_logits: torch.Tensor) -> torch.Tensor:
    """(..., 4) logits of P(class > k), k = 1..4 -> (..., 5) class probabilities 1..5."""
    greater = torch.sigmoid(cumulative_logits)
    ones = torch.ones_like(greater[..., :1])
    zeros = torch.zeros_like(greater[..., :1])
    upper = torch.cat([ones, greater], dim=-1)
    lower = torch.cat([greater, zeros], dim=-1)
    return (upper - lower).clamp_min(0.0)


@dataclass(frozen=True)
class NetworkInputs:
    """:class:`~sefreq.model.inputs.ModelInputs` as the network's tensors (rows aligned):
    what :meth:`SEFreqNet.forward` reads, and a training batch's inputs."""

    fingerprints: torch.Tensor  # (n, n_bits) float32 0/1
    descriptors: torch.Tensor  # (n, d) float32, scaled
    knn_association: torch.Tensor | None = None  # (n, 994) float32; None: no prior
    knn_frequency: torch.Tensor | None = None
    mechanism: torch.Tensor | None = None  # (n, V) float32; None: no mechanism view

    @classmethod
    def of(cls, inputs: ModelInputs) -> NetworkInputs:
        """The tensors of ``inputs`` (float32)."""

        def tensor(values: np.ndarray | None) -> torch.Tensor | None:
            return None if values is None else torch.from_numpy(np.asarray(values, np.float32))

        return cls(
            tensor(inputs.fingerprints),
            tensor(inputs.descriptors),
            tensor(inputs.knn_association),
            tensor(inputs.knn_frequency),
            tensor(inputs.mechanism),
        )

    def take(self, rows: torch.Tensor) -> NetworkInputs:
        """The rows ``rows`` of every tensor."""
        return NetworkInputs(
            *(None if t is None else t[rows] for t in (getattr(self, f.name) for f in fields(self)))
        )


class SEFreqNet(nn.Module):
    """Scores of every side effect for a batch of drugs.

    ``forward`` returns a dict with ``association_logit`` (batch, 994) and
    ``cumulative_logit`` (batch, 994, 4): logits of P(class > k | reported), k = 1..4
    (CORAL: one score per cell minus increasing thresholds).
    """

    def __init__(
        self,
        config: NetworkConfig,
        organ_classes: np.ndarray,
        group_terms: np.ndarray,
        similarity_components: np.ndarray,
        association_prior: np.ndarray,
        frequency_prior: np.ndarray,
        transfer_sources: np.ndarray | None = None,
        transfer_valid: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        spec = config.spec
        self.config = config
        as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        self.register_buffer("organ_classes", as_tensor(organ_classes))
        self.register_buffer("group_terms", as_tensor(group_terms))
        self.register_buffer("similarity_components", as_tensor(similarity_components))

        d = config.embedding
        self.association_encoder = _mlp_encoder(config, self.reads_mechanism)
        self.association_side_effects = SideEffectEmbedding(config)
        # Per-side-effect bias starts at logit(prevalence): the structure part is a residual.
        self.association_bias = nn.Parameter(as_tensor(association_prior).clone())
        self.frequency_side_effects = SideEffectEmbedding(config)
        self.frequency_bias = nn.Parameter(as_tensor(frequency_prior).clone())
        # Thresholds of the 4 cumulative logits: first one free, then positive increments.
        self.threshold_start = nn.Parameter(torch.tensor(-3.0))
        self.threshold_steps = nn.Parameter(torch.log(torch.expm1(torch.tensor([1.5, 1.5, 2.0]))))

        if spec.own_frequency_encoder:
            self.frequency_encoder = _mlp_encoder(config)
        if spec.borrows_association:
            # How much the frequency head trusts the association representation.
            self.reliability_gate = nn.Parameter(torch.tensor(0.0))
            self.frequency_mix = nn.Linear(2 * d, d)
            # A module (not F.relu), so DeepLIFT sees this non-linearity (sefreq.explain).
            self.frequency_mix_relu = nn.ReLU()
        if config.use_knn_prior:
            self.knn_association_weight = nn.Parameter(torch.tensor(1.0))
            self.knn_frequency_weight = nn.Parameter(torch.tensor(0.5))
        if spec.sparse_transfer:
            if transfer_sources is None or transfer_valid is None:
                raise ValueError("asym_i_ii needs transfer_sources and transfer_valid")
            sources = torch.as_tensor(transfer_sources)
            valid = torch.as_tensor(transfer_valid)
            self.association_transfer = SparseTransfer(sources, valid)
            self.frequency_transfer = SparseTransfer(sources, valid)

    @property
    def reads_mechanism(self) -> bool:
        """The association encoder reads the mechanism profile (``n_mechanism > 0``)."""
        return self.config.n_mechanism > 0

    def association_input(
        self, x: torch.Tensor, descriptors: torch.Tensor, mechanism: torch.Tensor | None
    ) -> torch.Tensor:
        """What the association encoder reads: ``x`` (bits + descriptors), or the
        mechanism profile + descriptors."""
        if not self.reads_mechanism:
            return x
        if mechanism is None:
            raise ValueError("this network reads a mechanism profile: pass mechanism=")
        return torch.cat([mechanism, descriptors], dim=1)

    def train(self, mode: bool = True) -> SEFreqNet:
        if mode:
            self._side_effect_cache = None  # parameters will change: recompute when needed
        return super().train(mode)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        self._side_effect_cache = None
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def side_effect_vectors(self) -> tuple[torch.Tensor, ...]:
        """Association and frequency side-effect vectors (994, d) and transfer weights.

        They depend on parameters only, so in eval mode without gradients they are computed
        once and cached (a prediction then costs a few small products per drug).
        """
        cache = getattr(self, "_side_effect_cache", None)
        if cache is not None and not self.training and not torch.is_grad_enabled():
            return cache
        features = (self.organ_classes, self.group_terms, self.similarity_components)
        vectors = (self.association_side_effects(*features), self.frequency_side_effects(*features))
        inference = not self.training and not torch.is_grad_enabled()
        if self.config.spec.sparse_transfer:
            transfers = (self.association_transfer, self.frequency_transfer)
            if inference:  # (994, 994) matrices: one product per batch instead of a gather
                vectors += tuple(t.dense_matrix() for t in transfers)
            else:
                vectors += tuple(t.edge_weights() for t in transfers)
        if inference:
            self._side_effect_cache = vectors
        return vectors

    def thresholds(self) -> torch.Tensor:
        steps = F.softplus(self.threshold_steps)
        return torch.cat([self.threshold_start.view(1), self.threshold_start + steps.cumsum(0)])

    def association_parameters(self) -> list[nn.Parameter]:
        """Parameters of the association head (what the frequency loss must never touch)."""
        params = [
            *self.association_encoder.parameters(),
            *self.association_side_effects.parameters(),
            self.association_bias,
        ]
        if self.config.use_knn_prior:
            params.append(self.knn_association_weight)
        if self.config.spec.sparse_transfer:
            params.extend(self.association_transfer.parameters())
        return params

    def encode_frequency(
        self, x: torch.Tensor, z_association: torch.Tensor, detach: bool = True
    ) -> torch.Tensor:
        """(batch, d) drug representation of the frequency head from the structure input
        ``x`` and the association representation ``z_association`` of the same drugs.

        ``detach`` (training: always) keeps frequency-loss gradients out of the association
        encoder under asymmetry (i); the explainer turns it off to follow every path.
        """
        spec = self.config.spec
        if spec.shared_encoder:
            return z_association  # shared: frequency gradient flows into the encoder
        if not spec.borrows_association:
            return self.frequency_encoder(x)
        borrowed = z_association.detach() if detach else z_association
        borrowed = torch.sigmoid(self.reliability_gate) * borrowed
        mixed = self.frequency_mix(torch.cat([self.frequency_encoder(x), borrowed], dim=1))
        return self.frequency_mix_relu(mixed)

    def forward(self, inputs: NetworkInputs) -> dict[str, torch.Tensor]:
        config = self.config
        x = torch.cat([inputs.fingerprints, inputs.descriptors], dim=1)
        z_association = self.association_encoder(
            self.association_input(x, inputs.descriptors, inputs.mechanism)
        )
        z_frequency = self.encode_frequency(x, z_association)
        knn_association, knn_frequency = inputs.knn_association, inputs.knn_frequency

        vectors = self.side_effect_vectors()
        e_association, e_frequency = vectors[:2]
        u_association = z_association @ e_association.T
        u_frequency = z_frequency @ e_frequency.T
        if config.use_knn_prior and knn_association is not None:
            u_association = u_association + self.knn_association_weight * knn_association
            u_frequency = u_frequency + self.knn_frequency_weight * knn_frequency
        if config.spec.sparse_transfer:
            dense = not self.training and not torch.is_grad_enabled()
            u_association = self.association_transfer(u_association, vectors[2], dense)
            u_frequency = self.frequency_transfer(u_frequency, vectors[3], dense)

        association_logit = u_association + self.association_bias
        score = u_frequency + self.frequency_bias
        cumulative_logit = score.unsqueeze(-1) - self.thresholds()
        return {"association_logit": association_logit, "cumulative_logit": cumulative_logit}


def coral_loss(cumulative_logit: torch.Tensor, frequency_class: torch.Tensor) -> torch.Tensor:
    """Per-cell CORAL loss: sum of the 4 binary cross-entropies of ``class > k``.

    ``cumulative_logit`` (n, 4); ``frequency_class`` (n,) in 1..5. Returns (n,).
    """
    levels = torch.arange(1, N_CLASSES, device=frequency_class.device)
    targets = (frequency_class.unsqueeze(-1) > levels).float()
    return F.binary_cross_entropy_with_logits(cumulative_logit, targets, reduction="none").sum(-1)
