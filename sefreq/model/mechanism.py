"""The dense task: what a molecule acts on (human proteins and ATC classes), learnt from
structure over every compound with a known mechanism (about 6,500, five times the drugs
with side-effect labels), and handed to the listing head as its input view.

The asymmetric chain of SEFreq runs through it one way: mechanism -> label listing ->
frequency. The mechanism networks are trained first and frozen; the listing head reads
their output, never the reverse.

A training drug's own profile must look like a new molecule's: the networks are
*cross-fitted* (``k`` networks, each trained without one part of the training drugs'
compounds), and a training drug reads the network that never saw it. A new molecule reads
the mean of the ``k`` networks. Where a molecule is a compound whose mechanism is known
(same first InChIKey block), its known profile can replace the predicted one
(:meth:`MechanismModel.profiles`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sefreq.chem.features import mol_from_smiles
from sefreq.chem.similarity import set_bit_sums
from sefreq.chem.standardize import heavy_formula, skeleton_of

#: A protein or ATC class is a label of the dense task when at least this many compounds
#: carry it (rarer ones cannot be learnt from structure, and would only bloat the input).
MIN_COMPOUNDS = 5
ATC_PREFIX = "ATC:"


@dataclass
class MechanismTask:
    """The dense task's compounds: structures, skeletons (first InChIKey block) and their
    known proteins and ATC classes (lists of UniProt ids / ATC codes)."""

    smiles: list[str]
    skeletons: list[str]
    proteins: list[list[str]]
    atc: list[list[str]]

    @classmethod
    def from_table(cls, table) -> MechanismTask:
        """From :attr:`sefreq.data.dataset.Dataset.mechanism_drugs`."""
        from sefreq.data.targets import split_lists

        return cls(
            smiles=[str(s) for s in table["smiles"]],
            skeletons=[str(s) for s in table["skeleton"]],
            proteins=split_lists(table["proteins"]),
            atc=split_lists(table["atc"]),
        )

    def without(self, skeletons: set[str]) -> MechanismTask:
        """The task less the compounds whose skeleton is in ``skeletons`` (held-out drugs:
        a new molecule's mechanism is unknown, so theirs must not be learnt)."""
        keep = [i for i, s in enumerate(self.skeletons) if s not in skeletons]
        return MechanismTask(
            [self.smiles[i] for i in keep],
            [self.skeletons[i] for i in keep],
            [self.proteins[i] for i in keep],
            [self.atc[i] for i in keep],
        )

    def heavy_formulas(self) -> frozenset[str]:
        """The compounds' heavy formulas (:func:`~sefreq.chem.standardize.heavy_formula`)."""
        return frozenset(
            f for f in (heavy_formula(mol_from_smiles(s)) for s in self.smiles) if f is not None
        )

    def vocabulary(self, min_compounds: int = MIN_COMPOUNDS) -> list[str]:
        """Proteins, then ATC classes (prefixed ``ATC:``), carried by ``min_compounds`` or
        more compounds, each group sorted."""
        proteins = Counter(p for row in self.proteins for p in set(row))
        classes = Counter(c for row in self.atc for c in set(row))
        return sorted(p for p, n in proteins.items() if n >= min_compounds) + sorted(
            ATC_PREFIX + c for c, n in classes.items() if n >= min_compounds
        )

    def labels(self, vocabulary: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(n, V) float32 labels and (n, V) bool mask: protein columns are scored for the
        compounds with a known protein, ATC columns for those with a known class."""
        from sefreq.data.targets import multi_hot

        items = [
            [*p, *(ATC_PREFIX + c for c in a)] for p, a in zip(self.proteins, self.atc, strict=True)
        ]
        labels = multi_hot(items, vocabulary)
        is_atc = np.array([v.startswith(ATC_PREFIX) for v in vocabulary])
        has_protein = np.array([bool(p) for p in self.proteins])
        has_atc = np.array([bool(a) for a in self.atc])
        mask = np.where(is_atc[None, :], has_atc[:, None], has_protein[:, None])
        return labels, mask


class MechanismNet(nn.Module):
    """Fingerprint bits -> logits of every protein and ATC class of the vocabulary."""

    def __init__(self, n_bits: int, n_outputs: int, hidden: int = 512) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Dropout(0.2),
            nn.Linear(n_bits, hidden),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(hidden, n_outputs),
        )

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        return self.layers(bits)


def fit_mechanism_net(
    bits: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    seed: int,
    epochs: int = 25,
    hidden: int = 512,
) -> MechanismNet:
    """One network trained for a fixed number of epochs (masked BCE, Adam, batches of 128).

    The settings are not tuned: an exploratory run (not in the repository) gave a per-drug
    AUROC of 0.93-0.94 on held-out drugs' known proteins with 25 epochs, an optimistic
    figure (its hold-out missed the drugs' DrugBank entries); the recipe uses 15
    (``TrainConfig.mechanism_epochs``) to fit the training-time budget."""
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    net = MechanismNet(bits.shape[1], labels.shape[1], hidden)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
    x = torch.from_numpy(np.asarray(bits, dtype=np.float32))
    y = torch.from_numpy(labels)
    m = torch.from_numpy(mask.astype(np.float32))
    net.train()
    for _ in range(epochs):
        order = torch.from_numpy(generator.permutation(len(x)))
        for start in range(0, len(x), 128):
            rows = order[start : start + 128]
            loss = F.binary_cross_entropy_with_logits(net(x[rows]), y[rows], reduction="none")
            loss = (loss * m[rows]).sum() / m[rows].sum().clamp_min(1.0)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    net.eval()
    return net


@dataclass
class MechanismModel:
    """The cross-fitted networks, their vocabulary, and the known profiles by skeleton."""

    vocabulary: list[str]
    nets: list[MechanismNet]
    known_skeletons: list[str]
    known_profiles: np.ndarray  # (n_known, V) uint8
    # The heavy formulas (sefreq.chem.standardize.heavy_formula) of the known compounds:
    # a molecule with none of them cannot match one, and skips its InChIKey. None (a
    # bundle made before 2.0.1): every molecule's key is computed.
    known_formulas: frozenset[str] | None = None

    @property
    def n_outputs(self) -> int:
        return len(self.vocabulary)

    @torch.no_grad()
    def predict(self, bits: np.ndarray) -> np.ndarray:
        """(n, V) float32: the mean over the networks of each label's probability."""
        bits = np.asarray(bits)
        n = len(bits)
        if not n:
            return np.zeros((0, self.n_outputs), dtype=np.float32)
        # The first layers of every network at once, as sums of the weight rows of the set
        # bits (as the side-effect network reads them): the dense product was 0.13 ms a
        # molecule (#24).
        weights, bias = self._first_layers()
        hidden = torch.relu(set_bit_sums(bits, weights, weighted=True) + bias)
        hidden = hidden.view(n, len(self.nets), -1)
        total = sum(torch.sigmoid(net.layers[4](hidden[:, i])) for i, net in enumerate(self.nets))
        return (total / len(self.nets)).numpy()

    def _first_layers(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(bits, nets x hidden) weights and (nets x hidden,) biases of the networks' first
        linear layers, side by side; built again only when a network's weights change."""
        first = [net.layers[1] for net in self.nets]
        key = tuple((id(layer.weight), layer.weight._version) for layer in first)
        cached = self.__dict__.get("_first")
        if cached is None or cached[0] != key:
            cached = (
                key,
                torch.cat([layer.weight.detach() for layer in first]).T.contiguous(),
                torch.cat([layer.bias.detach() for layer in first]),
            )
            self.__dict__["_first"] = cached
        return cached[1], cached[2]

    def skeleton_of(self, mol) -> str | None:
        """The molecule's first InChIKey block (:func:`~sefreq.chem.standardize.skeleton_of`)
        where it can name a known compound, else None. The InChIKey was the costliest step of
        screening (15% of the time, #24); a molecule whose heavy formula no known compound
        has is not keyed, as no key of it could match."""
        formulas = self.known_formulas
        if formulas is not None and heavy_formula(mol) not in formulas:
            return None
        return skeleton_of(mol)

    def known(self, skeletons: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """(n, V) float32 known profiles and (n,) bool: the skeleton has a known mechanism."""
        position = self.__dict__.get("_position")
        if position is None:  # built once: a dict of the ~5,000 known compounds
            position = {s: i for i, s in enumerate(self.known_skeletons)}
            self.__dict__["_position"] = position
        rows = np.array([position.get(s, -1) if s else -1 for s in skeletons], dtype=np.int64)
        found = rows >= 0
        out = np.zeros((len(skeletons), self.n_outputs), dtype=np.float32)
        out[found] = self.known_profiles[rows[found]]
        return out, found

    def profiles(
        self, bits: np.ndarray, skeletons: list[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n, V) input profiles and (n,) bool "known": the known profile where
        ``skeletons`` (None: structure only) names a compound with a known mechanism,
        else the predicted one."""
        predicted = self.predict(bits)
        if skeletons is None:
            return predicted, np.zeros(len(predicted), dtype=bool)
        known, found = self.known(skeletons)
        predicted[found] = known[found]
        return predicted, found

    def state(self) -> dict[str, np.ndarray]:
        """Tensors to save (under ``mechanism.``)."""
        out = {}
        for k, net in enumerate(self.nets):
            for name, value in net.state_dict().items():
                out[f"mechanism.net{k}.{name}"] = value.numpy().copy()
        rows, cols = np.nonzero(self.known_profiles)
        out["mechanism.known_indptr"] = np.concatenate(
            [[0], np.cumsum(np.bincount(rows, minlength=len(self.known_profiles)))]
        ).astype(np.int64)
        out["mechanism.known_indices"] = cols.astype(np.int32)
        return out

    @classmethod
    def from_state(
        cls,
        tensors: dict[str, np.ndarray],
        vocabulary: list[str],
        skeletons: list[str],
        formulas: list[str] | None = None,
    ) -> MechanismModel:
        """The model :meth:`state` saved, with the card's vocabulary, skeletons and heavy
        formulas."""
        nets = []
        k = 0
        while f"mechanism.net{k}.layers.1.weight" in tensors:
            prefix = f"mechanism.net{k}."
            state = {
                name[len(prefix) :]: torch.from_numpy(value)
                for name, value in tensors.items()
                if name.startswith(prefix)
            }
            hidden, n_bits = state["layers.1.weight"].shape
            net = MechanismNet(n_bits, len(vocabulary), hidden)
            net.load_state_dict(state)
            net.eval()
            nets.append(net)
            k += 1
        indptr = tensors["mechanism.known_indptr"]
        profiles = np.zeros((len(skeletons), len(vocabulary)), dtype=np.uint8)
        rows = np.repeat(np.arange(len(skeletons)), np.diff(indptr))
        profiles[rows, tensors["mechanism.known_indices"].astype(np.int64)] = 1
        known_formulas = None if formulas is None else frozenset(formulas)
        return cls(list(vocabulary), nets, list(skeletons), profiles, known_formulas)


def mechanism_similarity(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(n_query, n_ref) float32 Tanimoto of mechanism profiles, sum(a b) / (sum a + sum b
    - sum(a b)): Jaccard on known (0/1) profiles, its continuous form on predicted ones."""
    q = np.asarray(query, dtype=np.float32)
    r = np.asarray(reference, dtype=np.float32)
    inner = q @ r.T
    union = q.sum(1)[:, None] + r.sum(1)[None, :] - inner
    return np.where(union > 0, inner / np.maximum(union, 1e-6), 0.0).astype(np.float32)


def mix_similarity(structure: np.ndarray, mechanism: np.ndarray, weight) -> np.ndarray:
    """``(1 - weight) * structure + weight * mechanism`` (``weight`` a number, or one per
    row as an (n, 1) array); a left-out reference (negative structure similarity) stays
    left out."""
    mixed = ((1.0 - weight) * structure + weight * mechanism).astype(np.float32)
    return np.where(structure < 0, structure, mixed)


@dataclass
class CrossFitted:
    """What :func:`train_mechanism` returns: the model, and the training drugs' profiles
    (each from the network that never saw the drug's compound)."""

    model: MechanismModel
    train_profiles: np.ndarray  # (n_train, V) float32
    train_known: np.ndarray  # (n_train, V) float32 known profiles (zeros where unknown)
    train_has_known: np.ndarray  # (n_train,) bool


def train_mechanism(
    task: MechanismTask,
    fingerprint: Callable[[list[str]], np.ndarray],
    train_bits: np.ndarray,
    train_skeletons: list[str | None],
    seed: int = 0,
    n_parts: int = 3,
    epochs: int = 25,
    known_task: MechanismTask | None = None,
) -> CrossFitted:
    """Cross-fit ``n_parts`` mechanism networks on ``task`` (held-out drugs already removed).

    ``known_task``: the compounds whose known profile a query may read (default ``task``;
    a benchmark passes the full table, so that its "known targets" condition finds the
    test drugs' mechanism while the networks never learnt it).

    ``fingerprint``: smiles list -> (n, bits) 0/1 array (the model's own featuriser).
    The training drugs are split into ``n_parts`` parts by skeleton; network k is trained
    without the compounds of part k, and the drugs of part k read it.
    """
    vocabulary = task.vocabulary()
    labels, mask = task.labels(vocabulary)
    bits = fingerprint(task.smiles)
    rng = np.random.default_rng([seed, 11])
    keys = sorted({s for s in train_skeletons if s})
    part_of_key = dict(zip(keys, rng.integers(0, n_parts, len(keys)), strict=True))
    unnamed = rng.integers(0, n_parts, len(train_skeletons))
    part = np.array(
        [part_of_key.get(s, u) if s else u for s, u in zip(train_skeletons, unnamed, strict=True)]
    )
    task_part = np.array([part_of_key.get(s, -1) for s in task.skeletons])
    nets = []
    profiles = np.zeros((len(train_bits), len(vocabulary)), dtype=np.float32)
    for k in range(n_parts):
        keep = task_part != k
        net = fit_mechanism_net(bits[keep], labels[keep], mask[keep], seed * 100 + k, epochs)
        nets.append(net)
        rows = np.flatnonzero(part == k)
        with torch.no_grad():
            x = torch.from_numpy(np.asarray(train_bits[rows], dtype=np.float32))
            profiles[rows] = torch.sigmoid(net(x)).numpy()
    known_task = known_task or task
    known_rows = known_task.labels(vocabulary)[0].astype(np.uint8)
    model = MechanismModel(
        vocabulary, nets, list(known_task.skeletons), known_rows, known_task.heavy_formulas()
    )
    known, found = model.known(list(train_skeletons))
    return CrossFitted(model, profiles, known, found)
