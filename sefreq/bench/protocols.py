"""The evaluation protocols (WS, ICS, IND, M10, H5, ICS-all) as seeded, saved fold assignments.

Each protocol is one :class:`Protocol` entry of :data:`PROTOCOLS`: its folds, how they are
drawn and built, and how ``sefreq bench`` and the model card report it. A protocol turns a
:class:`BenchData` into folds; each :class:`Fold` holds the
:class:`TrainView` a model fits on, a validation :class:`EvalView` carved out of the
training part (the only thing model selection may look at), and the test
:class:`EvalView`. The fold assignment is written once to ``benchmarks/folds/`` and
re-read on every run, so every model is scored on identical folds; the file records a
sha256 of the data it was made for and refuses to be applied to other data.

Drugs: the 750 drugs that are not ``is_independent``, restricted to ``has_structure``
(the drugs without a usable structure, proteins, cannot be scored by a structure model,
so they are left out of every protocol; :attr:`BenchData.n_excluded_no_structure` says
how many). IND tests the independent drugs that have a structure. ``ICS-all`` is ICS over
every drug with a structure and side effects, the 759 and SIDER's others
(:meth:`BenchData.all_drugs`), with drugs that share a parent skeleton or a name kept in
one fold (:func:`drug_groups`).

``+sider`` (every protocol but ICS-all) keeps a protocol's folds and adds SIDER's other
drugs to each fold's training side only (:func:`with_extra_drugs`).

Derived parts (validation cells, M10's sampled training zeros) are not stored: they come
from ``numpy.random.default_rng([seed, fold, stream])`` so they are identical for every
model and every run with the same seed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sefreq.bench.interface import EvalView, QueryView, TrainView
from sefreq.data.types import SideEffectInfo

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

if TYPE_CHECKING:  # imported where used: `sefreq --help` must not import torch
    from sefreq.model.mechanism import MechanismTask

#: The training condition that adds SIDER's other drugs to the training side of every fold:
#: ``ICS+sider`` has ICS's test drugs, folds and validation drugs.
SIDER_SUFFIX = "+sider"
VALIDATION_SHARE = 0.10
FOLD_FORMAT_VERSION = 1

# Streams of the per-fold random generator: one per derived quantity, so adding one never
# changes another.
_STREAM_VALIDATION = 1
_STREAM_BALANCE = 2
_STREAM_EXTRA_BALANCE = 3


class FoldMismatchError(ValueError):
    """A saved fold file was made for other data (or another protocol, seed or version)."""


@dataclass(frozen=True)
class ExtraDrugs:
    """SIDER drugs beyond the 759, as extra training drugs (the ``+sider`` condition).

    ``frequency`` (m, 994) uint8: the derived class where the labels state one,
    :data:`sefreq.constants.UNSTATED` where SIDER lists the side effect without a
    frequency, 0 where it does not list it (or its placebo arms report it as often).
    ``skeletons``: the first InChIKey block of each parent; ``names``: name keys.
    """

    smiles: list[str]
    frequency: np.ndarray
    names: list[str]
    skeletons: list[str]
    catalogue_ids: np.ndarray

    @classmethod
    def from_dataset(cls, dataset: Dataset, listed: bool = True) -> ExtraDrugs | None:
        """The extra drugs of ``dataset`` (:meth:`Dataset.extra_training_drugs`); None when
        it has no catalogue."""
        from sefreq.data.names import name_key

        rows, frequency = dataset.extra_training_drugs(listed=listed)
        if not len(rows):
            return None
        return cls(
            smiles=[str(s) for s in rows["parent_smiles"]],
            frequency=frequency,
            names=[name_key(n) for n in rows["name"]],
            skeletons=[str(k).split("-")[0] for k in rows["inchikey"]],
            catalogue_ids=rows.index.to_numpy(dtype=np.int64),
        )


@dataclass(frozen=True)
class BenchData:
    """What the protocols need of the dataset, in dataset row order.

    ``frequency``: (n_drugs, 994) uint8 classes 0..5, Galeano order.
    ``smiles``: one standardised structure per drug (None where there is none).
    """

    frequency: np.ndarray
    smiles: list[str | None]
    names: list[str]
    independent_mask: np.ndarray  # (n_drugs,) bool
    structure_mask: np.ndarray  # (n_drugs,) bool
    side_effects: SideEffectInfo
    skeletons: list[str] | None = None  # first InChIKey block of each drug's parent
    extra: ExtraDrugs | None = None  # the ``+sider`` training drugs
    #: (n_drugs, 994) uint8 complete listings (:meth:`Dataset.listed_labels`): what
    #: ``ICS-all`` scores and trains on; None keeps ``frequency``.
    listed: np.ndarray | None = None
    #: The dense mechanism task (every compound with known proteins or ATC classes).
    mechanism: MechanismTask | None = None

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> BenchData:
        """Adapt a :class:`sefreq.data.dataset.Dataset` (``sefreq.load_dataset()``)."""
        drugs = dataset.drugs
        smiles = [s if isinstance(s, str) and s else None for s in drugs["parent_smiles"]]
        structure = np.asarray(dataset.structure_mask, dtype=bool)
        smiles = [s if ok else None for s, ok in zip(smiles, structure, strict=True)]
        return cls(
            frequency=np.asarray(dataset.frequency, dtype=np.uint8),
            smiles=smiles,
            names=[str(n) for n in drugs["name"]],
            independent_mask=np.asarray(dataset.independent_mask, dtype=bool),
            structure_mask=structure,
            side_effects=dataset.side_effect_info(),
            skeletons=[
                str(k).split("-")[0] if isinstance(k, str) else ""
                for k in drugs.get("inchikey", [None] * len(drugs))
            ],
            extra=ExtraDrugs.from_dataset(dataset),
            listed=dataset.listed_labels(),
            mechanism=_mechanism_task(dataset),
        )

    def all_drugs(self) -> BenchData:
        """The 759 followed by the extra drugs, as one benchmark world (``ICS-all``).

        Every drug with a structure is a pool drug (the independent ones too); there are no
        extra drugs left to add. Every drug's labels are its complete listing (a side
        effect any label lists is positive; the class where one is stated). Without extra
        drugs, this data unchanged.
        """
        if self.extra is None:
            return self
        extra = self.extra
        n_extra = len(extra.smiles)
        own = self.frequency if self.listed is None else self.listed
        return BenchData(
            frequency=np.vstack([own, extra.frequency]).astype(np.uint8),
            smiles=[*self.smiles, *extra.smiles],
            names=[*self.names, *extra.names],
            independent_mask=np.zeros(len(self.names) + n_extra, dtype=bool),
            structure_mask=np.concatenate([self.structure_mask, np.ones(n_extra, dtype=bool)]),
            side_effects=self.side_effects,
            skeletons=[*(self.skeletons or [""] * len(self.names)), *extra.skeletons],
            extra=None,
            mechanism=self.mechanism,
        )

    @property
    def pool_ids(self) -> np.ndarray:
        """(n_pool,) int row ids of the benchmark drugs: not independent, with a structure."""
        return np.flatnonzero(~self.independent_mask & self.structure_mask)

    @property
    def independent_ids(self) -> np.ndarray:
        """(n_ind,) int row ids of the independent test drugs that have a structure."""
        return np.flatnonzero(self.independent_mask & self.structure_mask)

    @property
    def n_excluded_no_structure(self) -> int:
        """Non-independent drugs left out of every protocol for lack of a structure."""
        return int((~self.independent_mask & ~self.structure_mask).sum())

    def fingerprint(self) -> str:
        """sha256 of the matrix and the drug selection: what a fold file is bound to."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.frequency, dtype=np.uint8).tobytes())
        digest.update(np.asarray(self.frequency.shape, dtype=np.int64).tobytes())
        digest.update(self.independent_mask.astype(np.uint8).tobytes())
        digest.update(self.structure_mask.astype(np.uint8).tobytes())
        return digest.hexdigest()


def _mechanism_task(dataset: Dataset) -> MechanismTask | None:
    """The dataset's dense mechanism task (None when it has none)."""
    from sefreq.model.mechanism import MechanismTask

    table = dataset.mechanism_drugs
    return MechanismTask.from_table(table) if len(table) else None


@dataclass(frozen=True)
class Fold:
    """One fold of a protocol: fit on ``train`` (select on ``validation``), score ``test``."""

    protocol: str
    index: int
    train: TrainView
    validation: EvalView
    test: EvalView
    # Drugs whose labels are (partly) held out: cold protocols, the validation and test
    # drugs; warm ones, every pool drug. An extra drug like one of them stays out (+sider).
    held_out_ids: np.ndarray | None = None


@dataclass(frozen=True)
class FoldAssignment:
    """The saved part of a protocol's split.

    Drug protocols (ICS, IND): ``drug_fold`` (n_pool,) int8, fold of each pool drug
    (IND: -1 for all, its test drugs are ``test_ids``). Cell protocols (WS, M10, H5):
    ``cell_fold`` (n_pool, 994) int8, fold of each cell, -1 where the cell is in no fold
    (WS: the zeros, always negatives; H5: the cells not sampled).
    """

    protocol: str
    seed: int
    n_folds: int
    pool_ids: np.ndarray
    data_sha256: str
    drug_fold: np.ndarray | None = None
    cell_fold: np.ndarray | None = None
    test_ids: np.ndarray | None = None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"pool_ids": self.pool_ids}
        for name in ("drug_fold", "cell_fold", "test_ids"):
            value = getattr(self, name)
            if value is not None:
                arrays[name] = value
        meta = {
            "protocol": self.protocol,
            "seed": self.seed,
            "n_folds": self.n_folds,
            "data_sha256": self.data_sha256,
            "format_version": FOLD_FORMAT_VERSION,
        }
        with open(path, "wb") as handle:
            np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: Path) -> FoldAssignment:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            arrays = {k: archive[k] for k in archive.files if k != "meta"}
        if meta.get("format_version") != FOLD_FORMAT_VERSION:
            raise FoldMismatchError(f"{path}: fold format {meta.get('format_version')} is old")
        return cls(
            protocol=meta["protocol"],
            seed=int(meta["seed"]),
            n_folds=int(meta["n_folds"]),
            data_sha256=meta["data_sha256"],
            pool_ids=arrays["pool_ids"],
            drug_fold=arrays.get("drug_fold"),
            cell_fold=arrays.get("cell_fold"),
            test_ids=arrays.get("test_ids"),
        )

    def check(self, data: BenchData, protocol: str, seed: int, path: Path | str = "") -> None:
        """Raise :class:`FoldMismatchError` unless this assignment was made for ``data``."""
        problems = []
        if self.protocol != protocol:
            problems.append(f"protocol {self.protocol} != {protocol}")
        if self.seed != seed:
            problems.append(f"seed {self.seed} != {seed}")
        if self.data_sha256 != data.fingerprint():
            problems.append("the data's sha256 differs (the dataset changed)")
        if not np.array_equal(self.pool_ids, data.pool_ids):
            problems.append("the benchmark drugs differ")
        if problems:
            raise FoldMismatchError(
                f"fold file {path} does not match: {'; '.join(problems)}. Delete it (or run "
                "`sefreq bench --refresh-folds`) to make new folds; scores made on the old "
                "folds are then no longer comparable."
            )


@dataclass(frozen=True)
class Published:
    """A published result on one protocol (docs/SCIENCE.md): a row of the protocol's table
    in results.md (``method``) and of the model card's table (``card_method``).

    ``figures``: {metric: value as published}. ``card_row``: its place on the card (equal
    ones in registry order); the card keeps a paper's rows together and the structure-free
    floor last, so its order is not the protocols'. ``card_protocol``: the card's protocol
    column where the authors' split is only like ours (MultiFG's cold start drew its own
    drug split); None: the protocol's name. ``scores_new_molecule``: the card's answer,
    "yes", "no" or "mostly".
    """

    method: str
    figures: Mapping[str, float]
    card_method: str
    scores_new_molecule: str
    card_row: int
    card_protocol: str | None = None


#: ``assign(data, n_folds, rng)``: a protocol's saved arrays of :class:`FoldAssignment`
#: (``drug_fold``, ``cell_fold``, ``test_ids``), drawn over ``data.pool_ids``.
Assign = Callable[[BenchData, int, np.random.Generator], dict[str, np.ndarray]]
#: ``build(data, assignment, index, rng)``: fold ``index``; ``rng`` draws its validation part.
Build = Callable[[BenchData, FoldAssignment, int, np.random.Generator], Fold]


@dataclass(frozen=True)
class Protocol:
    """Everything about one protocol, so that a new protocol is one entry of
    :data:`PROTOCOLS` (at its end: a protocol's position there seeds its fold draw).

    ``cold``: its test drugs are unseen, so a model must score them from structure alone.
    ``balanced``: it trains on the positives plus as many sampled zeros, and the extra
    drugs of ``+sider`` are sampled the same way, or they would tilt the balance.
    ``all_pairs``: its regression is on every test pair (class 0..5), not on the positives
    (its builder's views say so too; :func:`sefreq.bench.scoring.score` checks they agree).
    ``all_drugs``: drawn over :meth:`BenchData.all_drugs`, so it has no ``+sider``.
    ``key_metrics``, ``title``, ``note``, ``published``: its table in results.md (columns
    in order, heading, the paragraph under it, the published rows under ours).
    """

    name: str
    n_folds: int
    assign: Assign
    build: Build
    key_metrics: tuple[str, ...]
    title: str
    note: str
    cold: bool = False
    balanced: bool = False
    all_pairs: bool = False
    all_drugs: bool = False
    published: tuple[Published, ...] = ()


def fold_path(folds_dir: Path, protocol: str, seed: int) -> Path:
    """Where a protocol's fold assignment lives: ``folds_dir/{protocol}_seed{seed}.npz``."""
    return Path(folds_dir) / f"{protocol}_seed{seed}.npz"


def make_assignment(data: BenchData, protocol: str, seed: int = 0) -> FoldAssignment:
    """Draw a protocol's fold assignment (deterministic in ``seed``)."""
    protocol = canonical_protocol(protocol)
    entry = PROTOCOLS[protocol]
    data = protocol_data(data, protocol)
    rng = np.random.default_rng([seed, list(PROTOCOLS).index(protocol)])
    return FoldAssignment(
        protocol=protocol,
        seed=seed,
        n_folds=entry.n_folds,
        pool_ids=data.pool_ids,
        data_sha256=data.fingerprint(),
        **entry.assign(data, entry.n_folds, rng),
    )


def load_or_make_assignment(
    data: BenchData, protocol: str, seed: int, folds_dir: Path | None, refresh: bool = False
) -> FoldAssignment:
    """Reload the saved assignment (checked against ``data``), or draw and save it."""
    protocol = canonical_protocol(protocol)
    if folds_dir is None:
        return make_assignment(data, protocol, seed)
    path = fold_path(folds_dir, protocol, seed)
    if path.exists() and not refresh:
        assignment = FoldAssignment.load(path)
        assignment.check(protocol_data(data, protocol), protocol, seed, path)
        return assignment
    assignment = make_assignment(data, protocol, seed)
    assignment.save(path)
    return assignment


def iter_folds(
    data: BenchData, assignment: FoldAssignment, folds: int | None = None, with_sider: bool = False
) -> Iterator[Fold]:
    """Yield the first ``folds`` folds (all when None) of a checked assignment."""
    n = assignment.n_folds if folds is None else min(folds, assignment.n_folds)
    for index in range(n):
        yield build_fold(data, assignment, index, with_sider)


def build_fold(
    data: BenchData, assignment: FoldAssignment, index: int, with_sider: bool = False
) -> Fold:
    """Materialise fold ``index``: training view, validation view and test view.

    ``with_sider``: the ``+sider`` condition (cold protocols), :func:`with_extra_drugs`.
    """
    rng = np.random.default_rng([assignment.seed, index, _STREAM_VALIDATION])
    world = protocol_data(data, assignment.protocol)
    fold = PROTOCOLS[assignment.protocol].build(world, assignment, index, rng)
    fold = with_extra_drugs(data, fold) if with_sider else fold
    return _with_mechanism(world, fold)


def _with_mechanism(data: BenchData, fold: Fold) -> Fold:
    """``fold`` whose training view carries the mechanism task. In a cold protocol the
    compounds of its validation and test drugs are taken out of what can be learnt (a new
    molecule's proteins are unknown); the known table keeps them for the "known targets"
    condition."""
    if data.mechanism is None:
        return fold
    held: set[str] = set()
    if is_cold(fold.protocol) and fold.held_out_ids is not None and data.skeletons:
        held = {data.skeletons[i] for i in fold.held_out_ids if data.skeletons[i]}
    train = replace(
        fold.train, mechanism=data.mechanism.without(held), known_mechanism=data.mechanism
    )
    return replace(fold, train=train)


def protocol_data(data: BenchData, protocol: str) -> BenchData:
    """The world a protocol's folds are drawn over: :meth:`BenchData.all_drugs` for
    ``ICS-all``, ``data`` for the others."""
    return data.all_drugs() if PROTOCOLS[canonical_protocol(protocol)].all_drugs else data


def drug_groups(data: BenchData) -> np.ndarray:
    """(n_drugs,) int group of each drug: drugs linked by a shared parent skeleton (first
    InChIKey block) or name key, transitively, share a group."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from sefreq.data.names import name_key

    n = len(data.names)
    skeletons = data.skeletons or [""] * n
    keys: dict[str, int] = {}
    rows, cols = [], []
    for i in range(n):
        for key in (f"s:{skeletons[i]}" if skeletons[i] else "", f"n:{name_key(data.names[i])}"):
            if key and key != "n:":
                rows.append(i)
                cols.append(keys.setdefault(key, len(keys)))
    links = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, max(len(keys), 1)))
    # Two drugs are linked when they share a key: components of the drug-drug graph.
    graph = (links @ links.T).tocsr()
    return connected_components(graph, directed=False)[1]


def with_extra_drugs(data: BenchData, fold: Fold) -> Fold:
    """``fold`` with SIDER's other drugs added to its training side (``+sider``).

    An extra drug is left out when its parent has the skeleton (first InChIKey block) or
    the name of one of the fold's held-out drugs (cold protocols: its test and validation
    drugs; warm ones: every benchmark drug, since each has hidden cells): a salt or stereo
    form of a test drug would hand its labels to training. Test and validation views are
    unchanged.
    """
    if data.extra is None or data.skeletons is None:
        raise ValueError("the +sider condition needs the catalogue (load_dataset() builds it)")
    entry = PROTOCOLS[fold.protocol]
    if entry.all_drugs:
        raise ValueError(f"{fold.protocol} already holds every drug; it has no +sider")
    from sefreq.data.names import name_key

    held = [int(i) for i in fold.held_out_ids]

    skeletons = {data.skeletons[i] for i in held} - {""}
    names = {name_key(data.names[i]) for i in held}
    extra = data.extra
    keep = np.array(
        [
            s not in skeletons and n not in names
            for s, n in zip(extra.skeletons, extra.names, strict=True)
        ],
        dtype=bool,
    )
    train = fold.train
    frequency = np.vstack([train.frequency, extra.frequency[keep]])
    # Extra drugs are numbered after the 759 (ids >= len(data.names)): never a dataset row.
    ids = np.concatenate([train.drug_ids, len(data.names) + np.flatnonzero(keep)])
    # The fold's own mask (warm: held-out cells out) stays as it is. Every label of an
    # extra drug is known; M10 and H5 train on the positives plus as many random zeros, so
    # the extra drugs' zeros are sampled to match.
    extra_mask = np.ones((int(keep.sum()), frequency.shape[1]), dtype=bool)
    if entry.balanced:
        positive = extra.frequency[keep] > 0
        zeros = np.flatnonzero(~positive.ravel())
        rng = np.random.default_rng([train.seed, fold.index, _STREAM_EXTRA_BALANCE])
        extra_mask = positive.copy()
        n_zeros = min(int(positive.sum()), len(zeros))
        extra_mask.ravel()[rng.choice(zeros, size=n_zeros, replace=False)] = True
    label_mask = np.vstack([train.label_mask, extra_mask])
    extended = TrainView(
        frequency=frequency,
        label_mask=label_mask,
        smiles=[*train.smiles, *(s for s, k in zip(extra.smiles, keep, strict=True) if k)],
        drug_ids=ids,
        side_effects=train.side_effects,
        seed=train.seed,
    )
    return Fold(
        f"{fold.protocol}{SIDER_SUFFIX}",
        fold.index,
        extended,
        fold.validation,
        fold.test,
        held_out_ids=fold.held_out_ids,
    )


# --- drug (cold) protocols -------------------------------------------------------------


def _assign_drugs(data: BenchData, n_folds: int, rng: np.random.Generator) -> dict:
    return {"drug_fold": _balanced_folds(len(data.pool_ids), n_folds, rng)}


def _assign_drug_groups(data: BenchData, n_folds: int, rng: np.random.Generator) -> dict:
    return {"drug_fold": _grouped_folds(drug_groups(data)[data.pool_ids], n_folds, rng)}


def _assign_independent(data: BenchData, n_folds: int, rng: np.random.Generator) -> dict:
    # One fold: every pool drug trains, the independent drugs are its test.
    return {
        "drug_fold": np.full(len(data.pool_ids), -1, np.int8),
        "test_ids": data.independent_ids,
    }


def _ics_fold(data: BenchData, a: FoldAssignment, index: int, rng: np.random.Generator) -> Fold:
    test_ids = a.pool_ids[a.drug_fold == index]
    train_ids = a.pool_ids[a.drug_fold != index]
    return _cold_fold(data, a, index, train_ids, test_ids, rng)


def _ind_fold(data: BenchData, a: FoldAssignment, index: int, rng: np.random.Generator) -> Fold:
    return _cold_fold(data, a, index, a.pool_ids, a.test_ids, rng)


def _ics_all_fold(data: BenchData, a: FoldAssignment, index: int, rng: np.random.Generator) -> Fold:
    test_ids = a.pool_ids[a.drug_fold == index]
    train_ids = a.pool_ids[a.drug_fold != index]
    return _cold_fold(data, a, index, train_ids, test_ids, rng, groups=drug_groups(data))


def _cold_fold(
    data: BenchData,
    a: FoldAssignment,
    index: int,
    train_ids: np.ndarray,
    test_ids: np.ndarray,
    rng: np.random.Generator,
    groups: np.ndarray | None = None,
) -> Fold:
    n_validation = max(1, round(VALIDATION_SHARE * len(train_ids)))
    if groups is None:
        shuffled = rng.permutation(train_ids)
        validation_ids = np.sort(shuffled[:n_validation])
        fit_ids = np.sort(shuffled[n_validation:])
    else:  # whole groups to validation, so no training drug is a validation drug's twin
        order = rng.permutation(np.unique(groups[train_ids]))
        sizes = np.bincount(groups[train_ids], minlength=groups.max() + 1)[order]
        chosen = order[: int(np.searchsorted(np.cumsum(sizes), n_validation)) + 1]
        in_validation = np.isin(groups[train_ids], chosen)
        validation_ids = np.sort(train_ids[in_validation])
        fit_ids = np.sort(train_ids[~in_validation])
    frequency = data.frequency[fit_ids].copy()
    train = TrainView(
        frequency=frequency,
        label_mask=np.ones(frequency.shape, dtype=bool),
        smiles=[data.smiles[i] for i in fit_ids],
        drug_ids=fit_ids,
        side_effects=data.side_effects,
        seed=a.seed,
    )
    return Fold(
        a.protocol,
        index,
        train,
        _cold_view(data, validation_ids),
        _cold_view(data, test_ids),
        held_out_ids=np.concatenate([validation_ids, test_ids]),
    )


def _cold_view(data: BenchData, ids: np.ndarray) -> EvalView:
    # drug_ids None: a cold model gets nothing of these drugs but their structures.
    truth = data.frequency[ids].copy()
    return EvalView(
        query=QueryView(smiles=[data.smiles[i] for i in ids], drug_ids=None),
        frequency=truth,
        mask=np.ones(truth.shape, dtype=bool),
    )


# --- cell (warm) protocols -------------------------------------------------------------


def _assign_positive_cells(data: BenchData, n_folds: int, rng: np.random.Generator) -> dict:
    truth = data.frequency[data.pool_ids]
    return _cell_folds(truth, np.flatnonzero(truth.ravel() > 0), n_folds, rng)


def _assign_all_cells(data: BenchData, n_folds: int, rng: np.random.Generator) -> dict:
    truth = data.frequency[data.pool_ids]
    return _cell_folds(truth, np.arange(truth.size), n_folds, rng)


def _assign_balanced_cells(data: BenchData, n_folds: int, rng: np.random.Generator) -> dict:
    # The positives plus as many zeros drawn at random.
    truth = data.frequency[data.pool_ids]
    positives = np.flatnonzero(truth.ravel() > 0)
    zeros = np.flatnonzero(truth.ravel() == 0)
    cells = np.concatenate([positives, rng.choice(zeros, size=len(positives), replace=False)])
    return _cell_folds(truth, cells, n_folds, rng)


def _cell_folds(
    truth: np.ndarray, cells: np.ndarray, n_folds: int, rng: np.random.Generator
) -> dict:
    """``cell_fold``: ``cells`` (flat indices) spread over the folds, -1 elsewhere."""
    cell_fold = np.full(truth.shape, -1, dtype=np.int8)
    cell_fold.ravel()[cells] = _balanced_folds(len(cells), n_folds, rng)
    return {"cell_fold": cell_fold}


def _ws_fold(data: BenchData, a: FoldAssignment, index: int, rng: np.random.Generator) -> Fold:
    truth = data.frequency[a.pool_ids]
    test_cells = a.cell_fold == index
    # Validation mirrors the test: 10% of the training positives, zeroed like the test fold.
    train_positive = (a.cell_fold >= 0) & ~test_cells
    validation_cells = _sample_cells(train_positive, VALIDATION_SHARE, rng)
    hidden = test_cells | validation_cells
    train_frequency = np.where(hidden, 0, truth).astype(np.uint8)
    label_mask = np.ones(truth.shape, dtype=bool)
    train = _warm_train(data, a, train_frequency, label_mask)
    # WS negatives: every zero of the matrix; for validation, every zero the model sees.
    validation = _warm_view(data, a, truth, validation_cells | (train_frequency == 0) & ~test_cells)
    test = _warm_view(data, a, truth, test_cells | (truth == 0))
    return Fold(a.protocol, index, train, validation, test, held_out_ids=a.pool_ids)


def _m10_fold(data: BenchData, a: FoldAssignment, index: int, rng: np.random.Generator) -> Fold:
    truth = data.frequency[a.pool_ids]
    test_cells = a.cell_fold == index
    train_cells = (a.cell_fold >= 0) & ~test_cells
    # Validation at natural imbalance, like the test fold; the rest is balanced 1:1.
    validation_cells = _sample_cells(train_cells, VALIDATION_SHARE, rng)
    remaining = train_cells & ~validation_cells
    positives = remaining & (truth > 0)
    zeros = np.flatnonzero((remaining & (truth == 0)).ravel())
    balance_rng = np.random.default_rng([a.seed, index, _STREAM_BALANCE])
    n_zeros = min(int(positives.sum()), len(zeros))
    label_mask = positives.copy()
    label_mask.ravel()[balance_rng.choice(zeros, size=n_zeros, replace=False)] = True
    train = _warm_train(data, a, np.where(label_mask, truth, 0).astype(np.uint8), label_mask)
    validation = _warm_view(data, a, truth, validation_cells)
    test = _warm_view(data, a, truth, test_cells)
    return Fold(a.protocol, index, train, validation, test, held_out_ids=a.pool_ids)


def _h5_fold(data: BenchData, a: FoldAssignment, index: int, rng: np.random.Generator) -> Fold:
    truth = data.frequency[a.pool_ids]
    test_cells = a.cell_fold == index
    train_cells = (a.cell_fold >= 0) & ~test_cells
    validation_cells = _sample_cells(train_cells, VALIDATION_SHARE, rng)
    label_mask = train_cells & ~validation_cells
    train = _warm_train(data, a, np.where(label_mask, truth, 0).astype(np.uint8), label_mask)
    validation = _warm_view(data, a, truth, validation_cells, positive_only_regression=False)
    test = _warm_view(data, a, truth, test_cells, positive_only_regression=False)
    return Fold(a.protocol, index, train, validation, test, held_out_ids=a.pool_ids)


def _warm_train(
    data: BenchData, a: FoldAssignment, frequency: np.ndarray, label_mask: np.ndarray
) -> TrainView:
    # Cells outside the label mask are zeroed too, so no model can read a held-out class.
    return TrainView(
        frequency=np.where(label_mask, frequency, 0).astype(np.uint8),
        label_mask=label_mask,
        smiles=[data.smiles[i] for i in a.pool_ids],
        drug_ids=a.pool_ids.copy(),
        side_effects=data.side_effects,
        seed=a.seed,
    )


def _warm_view(
    data: BenchData,
    a: FoldAssignment,
    truth: np.ndarray,
    mask: np.ndarray,
    positive_only_regression: bool = True,
) -> EvalView:
    # Only the scored cells carry their truth; every other cell reads 0.
    return EvalView(
        query=QueryView(smiles=[data.smiles[i] for i in a.pool_ids], drug_ids=a.pool_ids.copy()),
        frequency=np.where(mask, truth, 0).astype(np.uint8),
        mask=mask.copy(),
        positive_only_regression=positive_only_regression,
    )


# --- helpers ---------------------------------------------------------------------------


def _balanced_folds(n: int, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) int8 fold labels, sizes differing by at most one, in random order."""
    folds = np.arange(n) % max(n_folds, 1)
    return rng.permutation(folds).astype(np.int8)


def _grouped_folds(groups: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) int8 fold labels with every group in one fold: groups in random order, each to
    the fold with the fewest drugs so far (largest groups first, so sizes stay even)."""
    labels, sizes = np.unique(groups, return_counts=True)
    order = rng.permutation(len(labels))
    order = order[np.argsort(-sizes[order], kind="stable")]
    fold_of_group = np.empty(len(labels), dtype=np.int8)
    load = np.zeros(n_folds, dtype=np.int64)
    for g in order:
        fold = int(np.argmin(load))
        fold_of_group[g] = fold
        load[fold] += sizes[g]
    return fold_of_group[np.searchsorted(labels, groups)]


def _sample_cells(cells: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A bool mask of ``round(share * cells.sum())`` cells drawn from ``cells``."""
    candidates = np.flatnonzero(cells.ravel())
    chosen = rng.choice(candidates, size=round(share * len(candidates)), replace=False)
    out = np.zeros(cells.shape, dtype=bool)
    out.ravel()[chosen] = True
    return out


# --- the registry ----------------------------------------------------------------------

_COLD_METRICS = ("auroc", "aupr", "auroc_per_drug", "aupr_per_drug", "rmse", "mae", "spearman",
                 "p@15", "r@15")  # fmt: skip

#: Every protocol by name. New protocols go at the end: a protocol's position seeds its
#: fold draw, so moving one would redraw its folds.
PROTOCOLS: dict[str, Protocol] = {
    protocol.name: protocol
    for protocol in (
        Protocol(
            "WS",
            n_folds=10,
            assign=_assign_positive_cells,
            build=_ws_fold,
            key_metrics=(
                "auroc",
                "aupr",
                "auroc_per_drug",
                "aupr_per_drug",
                "rmse",
                "mae",
                "spearman",
                "ndcg@10",
            ),
            title="WS: warm, 10 folds over the known entries (held-out entries zeroed in training)",
            note="AUROC/AUPR over the held-out positives plus every zero of the matrix; "
            "regression on the held-out positives. No verified published number on this "
            "protocol.",
        ),
        Protocol(
            "ICS",
            n_folds=10,
            assign=_assign_drugs,
            build=_ics_fold,
            key_metrics=_COLD_METRICS,
            title="ICS: cold drugs, 10 folds over the drugs (a test drug's whole row hidden)",
            note="All 994 side effects of each test drug scored; regression on their reported "
            "entries.",
            cold=True,
            published=(
                Published(
                    "prevalence floor (docs/SCIENCE.md, 10 random drug folds)",
                    {"auroc": 0.824, "aupr": 0.294, "auroc_per_drug": 0.875, "rmse": 0.812},
                    card_method="Prevalence baseline (no structure)",
                    scores_new_molecule="no",
                    card_row=6,
                ),
                Published(
                    "MultiFG, cold-start result file",
                    {"auroc": 0.820, "aupr": 0.296, "rmse": 0.787},
                    card_method="MultiFG, cold start",
                    scores_new_molecule="yes",
                    card_row=1,
                    card_protocol="cold drugs",
                ),
            ),
        ),
        Protocol(
            "IND",
            n_folds=1,
            assign=_assign_independent,
            build=_ind_fold,
            key_metrics=_COLD_METRICS,
            title="IND: train on the benchmark drugs, test the independent drugs",
            note="One split of 9 test drugs, so no ± spread and a noisy estimate. No verified "
            "published number.",
            cold=True,
        ),
        Protocol(
            "M10",
            n_folds=10,
            assign=_assign_all_cells,
            build=_m10_fold,
            key_metrics=(
                "auroc",
                "aupr",
                "auroc_per_drug",
                "rmse",
                "mae",
                "p@15",
                "r@15",
                "ndcg@10",
            ),
            title="M10: 10 folds over all pairs, training balanced 1:1, test at natural imbalance",
            note="Regression on the test fold's positives. MultiFG picks its best epoch on the "
            "test fold; ours select on a validation part of the training folds.",
            balanced=True,
            published=(
                Published(
                    "MultiFG (Sci Rep 2025), repository result files",
                    {
                        "auroc": 0.9285,
                        "aupr": 0.527,
                        "rmse": 0.632,
                        "mae": 0.471,
                        "p@15": 0.206,
                        "r@15": 0.642,
                    },
                    card_method="MultiFG (Sci Rep 2025)",
                    scores_new_molecule="mostly",
                    card_row=0,
                ),
            ),
        ),
        Protocol(
            "H5",
            n_folds=5,
            assign=_assign_balanced_cells,
            build=_h5_fold,
            key_metrics=(
                "rmse",
                "mae",
                "spearman",
                "overlap@1%",
                "overlap@5%",
                "overlap@10%",
                "overlap@20%",
                "auroc",
                "aupr",
            ),
            title="H5: 5 folds over the positives plus as many random zeros; regression on "
            "all pairs",
            note="RMSE/MAE/Spearman of the expected score association × frequency against the "
            "class 0..5 on every test pair. HSTrans tuned its baselines on the test set. "
            "Overlap@N% is computed as sefreq.metrics defines it (hits in the top N% / "
            "(positives × N%), up to 2 on these balanced folds); HSTrans's published Overlap "
            "values are all below 1, so their normalisation evidently differs: compare "
            "Overlap only within this table's own rows.",
            balanced=True,
            all_pairs=True,
            published=(
                Published(
                    "HSTrans (Neural Networks 2025)",
                    {
                        "rmse": 1.390,
                        "mae": 0.725,
                        "spearman": 0.527,
                        "overlap@1%": 0.129,
                        "overlap@5%": 0.463,
                        "overlap@10%": 0.436,
                        "overlap@20%": 0.579,
                    },
                    card_method="HSTrans (Neural Networks 2025)",
                    scores_new_molecule="yes",
                    card_row=2,
                ),
                Published(
                    "DSGAT as re-run in HSTrans",
                    {"rmse": 1.300, "mae": 0.959, "spearman": 0.485},
                    card_method="DSGAT (re-run by HSTrans)",
                    scores_new_molecule="yes",
                    card_row=3,
                ),
                Published(
                    "MGPred as re-run in HSTrans",
                    {"rmse": 1.389, "mae": 0.975, "spearman": 0.412},
                    card_method="MGPred (re-run by HSTrans)",
                    scores_new_molecule="no",
                    card_row=4,
                ),
                Published(
                    "A3Net as re-run in HSTrans",
                    {"rmse": 1.437, "mae": 1.053, "spearman": 0.423},
                    card_method="A3Net (re-run by HSTrans)",
                    scores_new_molecule="yes",
                    card_row=5,
                ),
            ),
        ),
        Protocol(
            "ICS-all",
            n_folds=10,
            assign=_assign_drug_groups,
            build=_ics_all_fold,
            key_metrics=_COLD_METRICS,
            title="ICS-all: cold drugs, 10 folds over every drug with a structure (the 759 "
            "and SIDER's others)",
            note="As ICS, over the 759 (the independent ones too) and SIDER's drugs beyond "
            "them that have a structure and side effects on the 994 terms. Drugs that share a "
            "parent skeleton or a name are kept in one fold (and whole groups go to "
            "validation). Every drug is scored and trained on its complete listing: a side "
            "effect any of its SIDER labels lists counts as reported for AUROC/AUPR (the "
            "759's included, where Galeano's matrix marks only those with a stated "
            "frequency); the regression is on the stated classes. Not comparable with ICS: "
            "other test drugs and another truth. In the cold folds a model learns no "
            "held-out drug's mechanism (its compound is taken out of the mechanism task).",
            cold=True,
            all_drugs=True,
        ),
    )
}


def canonical_protocol(protocol: str) -> str:
    """The canonical spelling of a base protocol (``ics-ALL`` -> ``ICS-all``); ValueError
    for an unknown one."""
    key = {p.upper(): p for p in PROTOCOLS}.get(protocol.strip().upper())
    if key is None:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    return key


def split_condition(protocol: str) -> tuple[str, bool]:
    """(base protocol, +sider?) of a protocol name such as ``ics+sider``."""
    name = protocol.strip()
    with_sider = name.lower().endswith(SIDER_SUFFIX)
    base = canonical_protocol(name[: -len(SIDER_SUFFIX)] if with_sider else name)
    if with_sider and PROTOCOLS[base].all_drugs:
        raise ValueError(f"{base} already trains on every drug; it has no {SIDER_SUFFIX}")
    return base, with_sider


def sider_conditions() -> list[str]:
    """``WS+sider``, ``ICS+sider``, ...: every protocol with the ``+sider`` condition, in
    the order of :data:`PROTOCOLS`."""
    return [f"{name}{SIDER_SUFFIX}" for name, p in PROTOCOLS.items() if not p.all_drugs]


def has_unstated_labels(data: BenchData, protocol: str) -> bool:
    """True when a protocol's training side may hold :data:`~sefreq.constants.UNSTATED`
    cells (side effects SIDER lists without a frequency): ICS-all, and any ``+sider``."""
    from sefreq.constants import UNSTATED

    base, with_sider = split_condition(protocol)
    frequency = [protocol_data(data, base).frequency]
    if with_sider and data.extra is not None:
        frequency.append(data.extra.frequency)
    return any(bool((np.asarray(f) == UNSTATED).any()) for f in frequency)


def is_cold(protocol: str) -> bool:
    """True for protocols whose test drugs are unseen (ICS, IND, and their +sider)."""
    return PROTOCOLS[split_condition(protocol)[0]].cold


def synthetic_data(
    n_drugs: int = 40,
    n_side_effects: int = 994,
    n_independent: int = 3,
    n_without_structure: int = 2,
    density: float = 0.06,
    seed: int = 0,
    n_extra: int = 0,
) -> BenchData:
    """A small random :class:`BenchData` for tests and examples (no upstream data needed).

    Drug i's structure is a straight-chain alcohol with i + 1 carbons (all distinct); the
    last ``n_independent`` drugs are independent and the first ``n_without_structure``
    have no structure. Every side effect and every drug has at least one positive.
    ``n_extra`` SIDER-like extra drugs (amines, for ``+sider`` and ICS-all) list a quarter
    of their side effects without a frequency (:data:`~sefreq.constants.UNSTATED`), as
    SIDER does.
    """
    rng = np.random.default_rng(seed)
    positive = rng.random((n_drugs, n_side_effects)) < density
    positive[np.arange(n_side_effects) % n_drugs, np.arange(n_side_effects)] = True
    positive[np.arange(n_drugs), rng.integers(0, n_side_effects, n_drugs)] = True
    classes = rng.choice(5, size=positive.shape, p=[0.03, 0.11, 0.27, 0.48, 0.11]) + 1
    frequency = np.where(positive, classes, 0).astype(np.uint8)
    structure = np.ones(n_drugs, dtype=bool)
    structure[:n_without_structure] = False
    independent = np.zeros(n_drugs, dtype=bool)
    independent[n_drugs - n_independent :] = True
    smiles = ["C" * (i + 1) + "O" if structure[i] else None for i in range(n_drugs)]
    info = SideEffectInfo(
        names=[f"side effect {j}" for j in range(n_side_effects)],
        organ_classes=np.zeros((n_side_effects, 1), dtype=np.float32),
        group_terms=np.zeros((n_side_effects, 1), dtype=np.float32),
    )
    extra = None
    if n_extra:
        from sefreq.constants import UNSTATED

        extra_positive = rng.random((n_extra, n_side_effects)) < density
        extra_positive[:, 0] = True
        extra_frequency = np.where(extra_positive, rng.integers(1, 6, extra_positive.shape), 0)
        unstated = extra_positive & (rng.random(extra_positive.shape) < 0.25)
        extra_frequency[unstated] = UNSTATED
        extra = ExtraDrugs(
            smiles=["C" * (i + 1) + "N" for i in range(n_extra)],
            frequency=extra_frequency.astype(np.uint8),
            names=[f"extra drug {i}" for i in range(n_extra)],
            skeletons=[f"EXTRA{i}" for i in range(n_extra)],
            catalogue_ids=np.arange(n_extra, dtype=np.int64),
        )
    return BenchData(
        frequency=frequency,
        smiles=smiles,
        names=[f"drug {i}" for i in range(n_drugs)],
        independent_mask=independent,
        structure_mask=structure,
        side_effects=info,
        skeletons=[f"DRUG{i}" for i in range(n_drugs)] if n_extra else None,
        extra=extra,
    )
