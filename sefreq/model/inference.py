"""The ensemble's forward pass for prediction, in a few batched products.

:class:`SEFreqNet` runs one member at a time, each a chain of small dense products: the
first layer multiplies a 2,048-bit fingerprint with ~50 bits set, and the sparse transfer
is applied as a dense 994 x 994 matrix. For screening, :class:`FusedEnsemble` computes the
same numbers with the members' weights stacked once:

- the first layer of every encoder of every member in one product, reading only the
  fingerprint's set bits (``embedding_bag``, a sum of weight rows) plus the descriptors;
- the second layers and the frequency mix as batched products over the members;
- the transfer folded into the side-effect vectors: ``u + u T^T`` with
  ``u = z E^T + w k`` equals ``z ((I + T) E)^T + w (k + k T^T)``, and ``k T^T`` is a gather
  over each side effect's (at most ``transfer_k``) sources.

On the shipped ensemble (five members), 256 drugs at a time on one thread, this takes
0.20 ms a molecule against 0.46 ms for the members one by one (median of 7; the network is
a small part of the whole path, which benchmarks/batch_speed.py times).

The outputs equal the members' own forward passes to float32 rounding
(``tests/unit/model/test_model.py`` checks it); training and explanations use the members.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from sefreq.chem.similarity import set_bit_sums
from sefreq.model.inputs import ModelInputs
from sefreq.model.network import SEFreqNet


def _linear(layer: torch.nn.Linear) -> tuple[torch.Tensor, torch.Tensor]:
    return layer.weight.detach(), layer.bias.detach()


class FusedEnsemble:
    """The members' association logits and class probabilities, all members at once.

    Built from members in eval mode; the weights are copied, so build a new one after a
    member changes.
    """

    @torch.no_grad()
    def __init__(self, members: Sequence[SEFreqNet]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        config = members[0].config
        if any(m.config != config for m in members):
            raise ValueError("members differ in their network configuration")
        for member in members:
            member.eval()
        spec = config.spec
        self.n_bits = config.n_fingerprint_bits
        self.n_members = len(members)
        self.shared = spec.shared_encoder
        self.borrows = spec.borrows_association
        self.knn = config.use_knn_prior
        self.transfer = spec.sparse_transfer

        encoders = [m.association_encoder for m in members]
        if spec.own_frequency_encoder:
            encoders += [m.frequency_encoder for m in members]
        # Encoders reading the mechanism profile (the association encoders of a network
        # with the view) come first; the others read the structure's bits.
        self.n_mechanism_encoders = len(members) if config.n_mechanism else 0
        mechanism_first = [_linear(e[1]) for e in encoders[: self.n_mechanism_encoders]]
        first = [_linear(e[1]) for e in encoders[self.n_mechanism_encoders :]]
        second = [_linear(e[4]) for e in encoders]
        self.hidden = second[0][0].shape[1]
        self.n_encoders = len(encoders)
        if first:
            w1 = torch.cat([w for w, _ in first])  # (E * hidden, bits + descriptors)
            self.w1_bits = w1[:, : self.n_bits].T.contiguous()  # (bits, E * hidden)
            self.w1_desc = w1[:, self.n_bits :].T.contiguous()
            self.b1 = torch.cat([b for _, b in first])
        if mechanism_first:  # (mechanism + descriptors, M * hidden)
            self.w1_mechanism = torch.cat([w for w, _ in mechanism_first]).T.contiguous()
            self.b1_mechanism = torch.cat([b for _, b in mechanism_first])
        self.w2 = torch.stack([w.T for w, _ in second])  # (E, hidden, d)
        self.b2 = torch.stack([b for _, b in second])  # (E, d)

        if self.borrows:
            gate = torch.stack([torch.sigmoid(m.reliability_gate) for m in members])
            mix = [_linear(m.frequency_mix) for m in members]
            d = members[0].config.embedding
            # [z_f, gate * z_a] @ W^T: the gate folded into the borrowed half of W.
            self.mix_own = torch.stack([w[:, :d].T for w, _ in mix])  # (M, d, d)
            self.mix_borrowed = torch.stack(
                [(g * w[:, d:]).T for g, (w, _) in zip(gate, mix, strict=True)]
            )
            self.mix_bias = torch.stack([b for _, b in mix])

        vectors = [m.side_effect_vectors() for m in members]
        e_assoc = torch.stack([v[0] for v in vectors])  # (M, 994, d)
        e_freq = torch.stack([v[1] for v in vectors])
        if self.transfer:
            t_assoc = torch.stack([v[2] for v in vectors])  # (M, 994, 994) dense
            t_freq = torch.stack([v[3] for v in vectors])
            e_assoc = e_assoc + t_assoc @ e_assoc
            e_freq = e_freq + t_freq @ e_freq
            # (M, 994, k): the same edges in every member of a trained ensemble
            self.sources_assoc = torch.stack([m.association_transfer.sources for m in members])
            self.sources_freq = torch.stack([m.frequency_transfer.sources for m in members])
            self.shared_sources = all(
                torch.equal(s, self.sources_assoc[0])
                for s in (*self.sources_assoc, *self.sources_freq)
            )
            self.edge_assoc = torch.stack([m.association_transfer.edge_weights() for m in members])
            self.edge_freq = torch.stack([m.frequency_transfer.edge_weights() for m in members])
        self.e_assoc_t = e_assoc.transpose(1, 2).contiguous()  # (M, d, 994)
        self.e_freq_t = e_freq.transpose(1, 2).contiguous()
        self.bias_assoc = torch.stack([m.association_bias.detach() for m in members])[:, None]
        self.bias_freq = torch.stack([m.frequency_bias.detach() for m in members])[:, None]
        self.thresholds = torch.stack([m.thresholds() for m in members])[:, None, None]  # (M,1,1,4)
        if self.knn:
            self.knn_assoc_w = torch.stack([m.knn_association_weight.detach() for m in members])
            self.knn_freq_w = torch.stack([m.knn_frequency_weight.detach() for m in members])

    def _prior_term(self, knn: torch.Tensor, weight: torch.Tensor, edges, sources) -> torch.Tensor:
        """(M, n, 994) ``w (k + k T^T)`` of each member."""
        term = knn.unsqueeze(0).expand(self.n_members, -1, -1)
        if self.transfer:
            if self.shared_sources:
                gathered = knn[:, sources[0]]  # (n, 994, k)
                term = term + torch.einsum("nsk,msk->mns", gathered, edges)
            else:
                gathered = knn[:, sources]  # (n, M, 994, k)
                term = term + torch.einsum("nmsk,msk->mns", gathered, edges)
        return weight[:, None, None] * term

    @torch.no_grad()
    def __call__(self, inputs: ModelInputs) -> tuple[np.ndarray, np.ndarray]:
        """Per-member association logits (M, n, 994) and CORAL probabilities P(class > k),
        k = 1..4 (M, n, 994, 4), of ``inputs``: 0/1 fingerprints, scaled descriptors, the
        kNN priors (when computed) and (a network with the view) the mechanism profile.
        :func:`class_probabilities` turns the latter into classes."""
        fingerprints = inputs.fingerprints
        n = len(fingerprints)
        desc = torch.from_numpy(np.asarray(inputs.descriptors, dtype=np.float32))
        mechanism = inputs.mechanism
        knn_association = _float32(inputs.knn_association)
        knn_frequency = _float32(inputs.knn_frequency)
        parts = []
        if self.n_mechanism_encoders:
            if mechanism is None:
                raise ValueError("this ensemble reads a mechanism profile: inputs.mechanism")
            profile = torch.from_numpy(np.asarray(mechanism, dtype=np.float32))
            first = torch.cat([profile, desc], dim=1)
            parts.append(torch.relu(first @ self.w1_mechanism + self.b1_mechanism))
        if self.n_encoders > self.n_mechanism_encoders:
            h = set_bit_sums(fingerprints, self.w1_bits)
            parts.append(torch.relu(h + desc @ self.w1_desc + self.b1))
        h = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        h = h.view(n, self.n_encoders, self.hidden).transpose(0, 1)  # (E, n, hidden)
        z = torch.relu(torch.baddbmm(self.b2[:, None], h, self.w2))  # (E, n, d)
        m = self.n_members
        z_assoc = z[:m]
        if self.shared:
            z_freq = z_assoc
        elif self.borrows:
            z_freq = torch.relu(
                torch.bmm(z[m:], self.mix_own)
                + torch.bmm(z_assoc, self.mix_borrowed)
                + self.mix_bias[:, None]
            )
        else:
            z_freq = z[m:]
        u_assoc = torch.bmm(z_assoc, self.e_assoc_t)  # (M, n, 994), transfer folded in
        u_freq = torch.bmm(z_freq, self.e_freq_t)
        if self.knn and knn_association is not None:
            assoc = (self.edge_assoc, self.sources_assoc) if self.transfer else (None, None)
            freq = (self.edge_freq, self.sources_freq) if self.transfer else (None, None)
            u_assoc = u_assoc + self._prior_term(
                torch.from_numpy(knn_association), self.knn_assoc_w, *assoc
            )
            u_freq = u_freq + self._prior_term(
                torch.from_numpy(knn_frequency), self.knn_freq_w, *freq
            )
        logits = u_assoc + self.bias_assoc
        cumulative = (u_freq + self.bias_freq).unsqueeze(-1) - self.thresholds
        return logits.numpy(), cumulative.sigmoid_().numpy()  # in place: a fresh tensor


def _float32(values: np.ndarray | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.float32)


def class_probabilities(greater: np.ndarray) -> np.ndarray:
    """(..., 4) P(class > k), k = 1..4 -> (..., 5) class probabilities 1..5 (as
    :func:`sefreq.model.network.coral_class_probabilities`). Linear, so the mean of
    members' probabilities is this of the mean of their ``greater``."""
    out = np.empty((*greater.shape[:-1], 5), dtype=greater.dtype)
    out[..., 0] = 1.0 - greater[..., 0]
    for k in range(3):  # column by column: 2.5x faster than one strided subtract
        np.subtract(greater[..., k], greater[..., k + 1], out=out[..., k + 1])
    out[..., 4] = greater[..., 3]
    return np.maximum(out, 0.0, out=out)
