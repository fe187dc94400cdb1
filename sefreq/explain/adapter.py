"""The one place that knows the model's insides: inputs, and the ensemble output to explain.

Everything model-specific of the explanations lives here, so a change of
:mod:`sefreq.model` touches this module only. It provides

- :func:`model_inputs`: one molecule -> the flat input vector the explanations work on,
  ``[fingerprint bits | scaled descriptors | kNN association prior | kNN frequency prior]``;
- :class:`EnsembleOutputModule`: a ``torch.nn.Module`` from that vector to the selected
  side effects' output, computed as the *ensemble* (all members) the way the
  :class:`~sefreq.model.predictor.Predictor` reports it:

  - ``association``: calibrated P(reported) = sigmoid(mean member logit / temperature);
  - ``frequency``: expected frequency class 1..5 = mean over members of
    ``1 + sum_k sigmoid(score - theta_k)`` (CORAL; equal to sum_c c P(c)).

The module is written with ``nn.Linear``/``nn.ReLU``/``nn.Sigmoid`` leaves, each used once
per forward pass, and constant matrices elsewhere, so DeepLIFT (``shap.DeepExplainer``)
sees every non-linearity and its attributions add up. Only the selected side effects and
their sparse-transfer sources are computed, which is what makes an explanation fast.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sefreq.chem.standardize import model_structure
from sefreq.model.artifact import WEIGHTS_FILE
from sefreq.model.bundle import SEFreqEnsemble
from sefreq.model.inputs import ModelInputs
from sefreq.model.mechanism import MechanismModel
from sefreq.model.network import SEFreqNet

OUTPUTS = ("association", "frequency")


@dataclass(frozen=True)
class InputLayout:
    """Where each kind of input sits in the flat input vector."""

    n_bits: int
    n_descriptors: int
    n_side_effects: int
    use_knn: bool
    descriptor_labels: tuple[str, ...] = ()  # the model's descriptor names, in input order

    @property
    def n_features(self) -> int:
        return self.n_bits + self.n_descriptors + 2 * self.n_side_effects

    @property
    def bits(self) -> slice:
        return slice(0, self.n_bits)

    @property
    def descriptors(self) -> slice:
        return slice(self.n_bits, self.n_bits + self.n_descriptors)

    @property
    def knn_association(self) -> slice:
        start = self.n_bits + self.n_descriptors
        return slice(start, start + self.n_side_effects)

    @property
    def knn_frequency(self) -> slice:
        start = self.n_bits + self.n_descriptors + self.n_side_effects
        return slice(start, start + self.n_side_effects)

    def descriptor_names(self) -> list[str]:
        names = list(self.descriptor_labels)
        if len(names) != self.n_descriptors:  # names unknown: number them
            names = [f"descriptor_{i}" for i in range(self.n_descriptors)]
        return names


def layout(ensemble: SEFreqEnsemble) -> InputLayout:
    """The input layout of ``ensemble``."""
    config = ensemble.config
    return InputLayout(
        config.n_fingerprint_bits,
        config.n_descriptors,
        config.n_side_effects,
        config.use_knn_prior,
        tuple(ensemble.descriptor_names),
    )


def parent_smiles(smiles: str) -> str:
    """The structure the model scores for ``smiles`` (salts stripped, charges neutralised).

    Raises ``ValueError`` with a user-facing message when the SMILES cannot be used.
    """
    parent, error = model_structure(smiles)
    if parent is None:
        raise ValueError(error)
    return parent


def model_inputs(
    ensemble: SEFreqEnsemble, smiles: list[str], exclude: np.ndarray | None = None
) -> np.ndarray:
    """(n, n_features) float32 flat inputs of parent SMILES (see :class:`InputLayout`).

    ``exclude`` (n,): reference row to leave out of each molecule's kNN prior (-1 none).
    Explanations are of the structure-only prediction: the predicted mechanism.
    """
    inputs = ensemble.featurize(list(smiles), structure_only=True)
    return flat_inputs(ensemble, inputs, exclude)


def flat_inputs(
    ensemble: SEFreqEnsemble, inputs: ModelInputs, exclude: np.ndarray | None = None
) -> np.ndarray:
    """Flat inputs (see :class:`InputLayout`) of ``inputs``; the kNN prior computed here.

    ``inputs`` may be built from arrays rather than molecules (training drugs' stored
    fingerprints, masked bits): a mechanism view it lacks is predicted from its
    fingerprints (:meth:`SEFreqEnsemble.with_mechanism`), and ``inputs.kernel`` must hold
    the kernel fingerprints when the model's prior uses the five-fingerprint similarity.
    """
    lay = layout(ensemble)
    n = len(inputs)
    if lay.use_knn:
        if inputs.mechanism is None:
            inputs = ensemble.with_mechanism(inputs)
        knn_a, knn_f, _ = ensemble.knn_features(inputs, exclude)
    else:
        knn_a = knn_f = np.zeros((n, lay.n_side_effects), np.float32)
    return np.concatenate(
        [
            inputs.fingerprints.astype(np.float32),
            inputs.descriptors.astype(np.float32),
            knn_a,
            knn_f,
        ],
        axis=1,
    )


def bundle_sha(ensemble: SEFreqEnsemble, directory: str | Path | None = None) -> str:
    """sha256 of the bundle's weights file, or of the in-memory weights when not saved."""
    digest = hashlib.sha256()
    path = Path(directory) / WEIGHTS_FILE if directory is not None else None
    if path is not None and path.is_file():
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    for member in ensemble.members:
        for key, value in sorted(member.state_dict().items()):
            digest.update(key.encode())
            digest.update(value.detach().cpu().numpy().tobytes())
    digest.update(np.ascontiguousarray(ensemble.reference_fingerprints).tobytes())
    return digest.hexdigest()


class _Member(nn.Module):
    """One member restricted to the selected side effects.

    The drug encoders are the network's own (:meth:`SEFreqNet.encode_frequency` holds the
    variant logic); only the head is restricted to the side effects needed, with constant
    matrices precomputed.
    """

    def __init__(
        self,
        net: nn.Module,
        layout_: InputLayout,
        selected: np.ndarray,
        output: str,
        mechanism: MechanismModel | None = None,
    ) -> None:
        super().__init__()
        spec = net.config.spec
        self.output = output
        self.n_in = layout_.n_bits + layout_.n_descriptors
        features = (net.organ_classes, net.group_terms, net.similarity_components)
        with torch.no_grad():
            if output == "association":
                vectors = net.association_side_effects(*features)
                transfer = net.association_transfer if spec.sparse_transfer else None
            else:
                vectors = net.frequency_side_effects(*features)
                transfer = net.frequency_transfer if spec.sparse_transfer else None
            self._head(vectors, transfer, selected, layout_)
        self.encoders = _Encoders(net, output, mechanism, layout_.n_bits)
        if output == "association":
            self.register_buffer("bias", net.association_bias.detach()[selected].clone())
            self.register_buffer("knn_weight", _knn_weight(net, "knn_association_weight"))
        else:
            self.register_buffer("bias", net.frequency_bias.detach()[selected].clone())
            self.register_buffer("knn_weight", _knn_weight(net, "knn_frequency_weight"))
            self.register_buffer("thresholds", net.thresholds().detach().clone())
            self.class_sigmoid = nn.Sigmoid()

    def _head(
        self,
        side_effect_vectors: torch.Tensor,
        transfer: nn.Module | None,
        selected: np.ndarray,
        layout_: InputLayout,
    ) -> None:
        """Score = u[needed] @ mixing, with u = z @ E[needed].T + w * knn[needed].

        The sparse transfer adds sum_source T[target, source] * u[source] to a target, so
        ``needed`` is the selected side effects plus their sources, and ``mixing`` is the
        identity on the selected ones plus the transfer weights.
        """
        selected_t = torch.as_tensor(selected, dtype=torch.long)
        n_side_effects = side_effect_vectors.shape[0]
        transfer_rows = torch.zeros(len(selected), n_side_effects)
        if transfer is not None:
            sources = transfer.sources[selected_t]  # (s, k)
            weights = transfer.edge_weights().detach()[selected_t]  # (s, k), 0 on padding
            targets = torch.arange(len(selected)).unsqueeze(1).expand_as(sources)
            transfer_rows.index_put_((targets, sources), weights.float(), accumulate=True)
        sources_used = torch.nonzero(transfer_rows.abs().sum(0)).flatten()
        needed = torch.unique(torch.cat([selected_t, sources_used]))
        mixing = transfer_rows[:, needed].T.clone()  # (needed, s)
        position = {int(j): i for i, j in enumerate(needed.tolist())}
        for column, target in enumerate(selected.tolist()):
            mixing[position[int(target)], column] += 1.0
        self.register_buffer("needed", needed)
        self.register_buffer("vectors", side_effect_vectors.detach()[needed].clone())
        self.register_buffer("mixing", mixing)
        self.knn_offset = layout_.knn_association.start
        if self.output == "frequency":
            self.knn_offset = layout_.knn_frequency.start

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoders(x[:, : self.n_in])
        u = z @ self.vectors.T
        if self.knn_weight is not None:
            u = u + self.knn_weight * x[:, self.knn_offset + self.needed]
        score = u @ self.mixing + self.bias  # (batch, selected)
        if self.output == "association":
            return score  # logit; the ensemble averages logits
        shifted = score.unsqueeze(-1) - self.thresholds  # (batch, selected, 4)
        return 1.0 + self.class_sigmoid(shifted).sum(-1)


class _Encoders(nn.Module):
    """Copies of one member's drug encoders, run by the network's own code.

    Copies, because DeepLIFT hooks every module it runs, and the Predictor's networks must
    never carry those hooks; only the encoders the output needs are copied (the
    side-effect tables and transfers are folded into the head's constant matrices).
    """

    def __init__(
        self,
        net: SEFreqNet,
        output: str,
        mechanism: MechanismModel | None = None,
        n_bits: int = 0,
    ) -> None:
        super().__init__()
        self.config = net.config
        self.output = output
        self.n_bits = n_bits
        self.association_encoder = copy.deepcopy(net.association_encoder).eval()
        # With the mechanism view, the structure reaches the listing head through the
        # predicted mechanism: explanations are of the structure-only prediction.
        self.mechanism = (
            _PredictedMechanism(mechanism) if net.config.n_mechanism and mechanism else None
        )
        if output == "frequency":
            for name in ("frequency_encoder", "frequency_mix", "frequency_mix_relu"):
                if hasattr(net, name):
                    setattr(self, name, copy.deepcopy(getattr(net, name)).eval())
            if hasattr(net, "reliability_gate"):
                self.register_buffer("reliability_gate", net.reliability_gate.detach().clone())

    def forward(self, structure: torch.Tensor) -> torch.Tensor:
        association_input = structure
        if self.mechanism is not None:
            bits, descriptors = structure[:, : self.n_bits], structure[:, self.n_bits :]
            association_input = torch.cat([self.mechanism(bits), descriptors], dim=1)
        z = self.association_encoder(association_input)
        if self.output == "association":
            return z
        # The network's variant logic, on these copies; no detach, so attributions follow
        # every path from the input to the output.
        return SEFreqNet.encode_frequency(self, structure, z, detach=False)


class _PredictedMechanism(nn.Module):
    """Copies of the mechanism networks: bits -> the mean of their probabilities (a
    sigmoid module per network, as DeepLIFT needs one module per non-linearity call)."""

    def __init__(self, mechanism: MechanismModel) -> None:
        super().__init__()
        self.nets = nn.ModuleList(copy.deepcopy(net).eval() for net in mechanism.nets)
        self.sigmoids = nn.ModuleList(nn.Sigmoid() for _ in mechanism.nets)

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        total = sum(s(net(bits)) for net, s in zip(self.nets, self.sigmoids, strict=True))
        return total / len(self.nets)


def _knn_weight(net: nn.Module, name: str) -> torch.Tensor | None:
    if not net.config.use_knn_prior:
        return None
    return getattr(net, name).detach().clone()


class EnsembleOutputModule(nn.Module):
    """Flat inputs (batch, n_features) -> the ensemble's output for the selected side effects.

    ``output="association"``: calibrated probability (batch, s) in [0, 1];
    ``output="frequency"``: expected frequency class (batch, s) on 1..5.
    """

    def __init__(
        self, ensemble: SEFreqEnsemble, side_effect_indices: list[int], output: str
    ) -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, not {output!r}")
        selected = np.asarray(side_effect_indices, dtype=np.int64)
        lay = layout(ensemble)
        self.output = output
        self.members = nn.ModuleList(
            _Member(net, lay, selected, output, ensemble.mechanism) for net in ensemble.members
        )
        self.register_buffer("inverse_temperature", torch.tensor(1.0 / ensemble.temperature))
        self.probability = nn.Sigmoid()
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = torch.stack([member(x) for member in self.members]).mean(0)
        if self.output == "association":
            return self.probability(outputs * self.inverse_temperature)
        return outputs
