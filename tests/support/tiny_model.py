"""The tiny synthetic model world of the unit tests: 48 small molecules x 30 side effects
with random frequencies, and the network and training settings that fit it in seconds.

``tiny_data`` and ``tiny_ensemble`` (tests/unit/conftest.py) are built from these.
"""

from __future__ import annotations

import numpy as np
import torch

from sefreq.data.types import SideEffectInfo
from sefreq.model.config import TrainConfig
from sefreq.model.data import TrainingSet
from sefreq.model.features import transfer_edges
from sefreq.model.inputs import ModelInputs
from sefreq.model.network import NetworkConfig, NetworkInputs, SEFreqNet

N_SE = 30


def tiny_smiles(n: int) -> list[str]:
    """n distinct small molecules."""
    cores = ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCOC1", "c1ccoc1"]
    tails = ["", "O", "N", "C(=O)O", "Cl", "CO", "CN", "C(F)(F)F"]
    out = []
    for chain in range(1, 5):
        for core in cores:
            for tail in tails:
                out.append("C" * chain + core + tail)
    return out[:n]


def tiny_side_effects(rng: np.random.Generator) -> SideEffectInfo:
    organ = (rng.random((N_SE, 5)) < 0.3).astype(np.float32)
    organ[np.arange(N_SE), rng.integers(0, 5, N_SE)] = 1
    group = (rng.random((N_SE, 8)) < 0.2).astype(np.float32)
    sim = rng.random((N_SE, N_SE)).astype(np.float32)
    sim = (sim + sim.T) / 2
    np.fill_diagonal(sim, 1)
    return SideEffectInfo([f"effect {j}" for j in range(N_SE)], organ, group, sim)


def tiny_frequency(n: int, rng: np.random.Generator) -> np.ndarray:
    prevalence = np.linspace(0.05, 0.6, N_SE)
    reported = rng.random((n, N_SE)) < prevalence
    classes = rng.integers(1, 6, (n, N_SE))
    return np.where(reported, classes, 0).astype(np.uint8)


def tiny_network(variant: str = "asym_i_ii") -> NetworkConfig:
    return NetworkConfig(
        variant=variant, hidden=32, embedding=8, n_similarity_components=4, transfer_k=3
    )


def tiny_train(seed: int = 0) -> TrainConfig:
    return TrainConfig(
        n_members=2, max_epochs=4, patience=2, batch_size=16, seed=seed, progress=False
    )


def tiny_training_set(seed: int = 0, n: int = 48) -> tuple[TrainingSet, SideEffectInfo]:
    """``n`` tiny molecules with random frequencies, and the side effects' information."""
    rng = np.random.default_rng(seed)
    smiles = tiny_smiles(n)
    frequency = tiny_frequency(n, rng)
    data = TrainingSet(
        smiles=smiles,
        frequency=frequency,
        label_mask=np.ones(frequency.shape, dtype=bool),
        names=[f"mol{i}" for i in range(n)],
        drug_ids=np.arange(n),
    )
    return data, tiny_side_effects(rng)


def tiny_net(
    variant: str, rng: np.random.Generator | None = None, n_mechanism: int = 0
) -> SEFreqNet:
    rng = rng or np.random.default_rng(1)
    se = tiny_side_effects(rng)
    counts = rng.integers(1, 50, N_SE)
    sources, valid = transfer_edges(
        counts, se.organ_classes, se.similarity, rng.random((10, N_SE)) < 0.3, 3
    )
    config = tiny_network(variant)
    config.n_side_effects, config.n_organ_classes, config.n_group_terms = N_SE, 5, 8
    config.n_fingerprint_bits, config.n_descriptors = 64, 3
    config.n_mechanism = n_mechanism
    return SEFreqNet(
        config,
        se.organ_classes,
        se.group_terms,
        rng.standard_normal((N_SE, 4)),
        np.full(N_SE, -1.0),
        np.zeros(N_SE),
        sources,
        valid,
    )


def tiny_batch(n: int = 6, seed: int = 0) -> NetworkInputs:
    """Random network inputs of ``n`` drugs for :func:`tiny_net` (no mechanism profile)."""
    g = torch.Generator().manual_seed(seed)
    fp = (torch.rand(n, 64, generator=g) < 0.2).float()
    desc = torch.randn(n, 3, generator=g)
    knn_a = torch.randn(n, N_SE, generator=g)
    knn_f = torch.randn(n, N_SE, generator=g)
    return NetworkInputs(fp, desc, knn_a, knn_f)


def as_model_inputs(batch: NetworkInputs) -> ModelInputs:
    """``batch`` as the numpy :class:`ModelInputs` prediction reads (bits as uint8)."""
    return ModelInputs(
        fingerprints=batch.fingerprints.numpy().astype(np.uint8),
        descriptors=batch.descriptors.numpy(),
        valid=np.ones(len(batch.fingerprints), dtype=bool),
        mechanism=None if batch.mechanism is None else batch.mechanism.numpy(),
        knn_association=batch.knn_association.numpy(),
        knn_frequency=batch.knn_frequency.numpy(),
    )
