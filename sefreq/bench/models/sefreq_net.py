"""SEFreq's network as a :class:`~sefreq.bench.interface.BenchModel`, in its ablation variants.

Register with the harness as ``"sefreq.bench.models.sefreq_net:make_model"`` plus a variant,
e.g. ``functools.partial(make_model, "asym_i_ii")``, or use the per-variant factories
``make_single_task``, ``make_symmetric``, ``make_asym_i``, ``make_asym_i_ii``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sefreq.bench.interface import EvalView, Prediction, QueryView, TrainView
from sefreq.model.config import BUNDLE_PRIOR, KERNEL_KNN_GRID, TrainConfig
from sefreq.model.data import TrainingSet, exclusions
from sefreq.model.network import NetworkConfig, variant_spec
from sefreq.model.recipe import extend_reference, fit_ensemble

#: Ensemble size per fold in benchmarks: the 10-fold ablation of four variants has to fit
#: a 2-core CPU; the shipped model uses 5 members (TrainConfig.n_members).
BENCH_MEMBERS = 3

#: Ensembles fitted in this process, by what they were fitted on: ``sefreq-known`` differs
#: from ``sefreq-mechanism`` only in what a test drug reads, so when both run, the second
#: re-uses the first's ensemble of each fold instead of training it again.
_FITTED: dict[tuple, object] = {}
_NETWORK_FIELDS = set(NetworkConfig.__dataclass_fields__)
_TRAIN_FIELDS = set(TrainConfig.__dataclass_fields__)


class SEFreqBenchModel:
    """An ensemble of SEFreq networks, trained per fold; epochs chosen on validation only."""

    structure_only = True

    def __init__(
        self,
        variant: str = "asym_i_ii",
        quick: bool = False,
        pool_validation: bool = False,
        mechanism: bool = False,
        known_mechanism: bool = False,
        **kwargs,
    ) -> None:
        if quick:  # the harness's reduced, fast variant (`sefreq bench --quick`)
            kwargs = {"n_members": 2, "max_epochs": 40, **kwargs}
        variant_spec(variant)  # ValueError naming the choices for an unknown one
        unknown = set(kwargs) - _NETWORK_FIELDS - _TRAIN_FIELDS
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}")
        self.variant = variant
        self.name = f"sefreq_{variant}"
        # Cold protocols: once early stopping and calibration are done, the validation
        # drugs join the kNN reference set, as `sefreq train` does for the shipped model
        # (and as the kernel baseline refits on them).
        self.pool_validation = pool_validation
        # The mechanism view (trained on the fold's mechanism task), and whether a test
        # drug reads its known proteins and ATC classes ("known targets" condition) or,
        # as a new molecule, its predicted ones.
        self.mechanism = mechanism or known_mechanism
        self.known_mechanism = known_mechanism
        self.network = NetworkConfig(
            variant=variant, **{k: v for k, v in kwargs.items() if k in _NETWORK_FIELDS}
        )
        self._train_kwargs = {k: v for k, v in kwargs.items() if k in _TRAIN_FIELDS}
        self._train_kwargs.setdefault("progress", False)
        self._train_kwargs.setdefault("n_members", BENCH_MEMBERS)
        self.ensemble = None

    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        training = TrainingSet(
            smiles=list(train.smiles),
            frequency=np.asarray(train.frequency),
            label_mask=np.asarray(train.label_mask, dtype=bool),
            names=[f"drug {int(i)}" for i in train.drug_ids],
            drug_ids=np.asarray(train.drug_ids),
        )
        held_out = None
        if validation is not None:
            held_out = TrainingSet(
                smiles=list(validation.query.smiles),
                frequency=np.asarray(validation.frequency),
                label_mask=np.asarray(validation.mask, dtype=bool),
                drug_ids=validation.query.drug_ids,
            )
        # The harness may pass a model seed; by default the fold's seed is used.
        config = TrainConfig(**{"seed": int(train.seed), **self._train_kwargs})
        key = (
            repr(self.network), repr(config), self.mechanism, self.pool_validation,
            hashlib.sha256(np.asarray(train.drug_ids).tobytes()).hexdigest(),
            hashlib.sha256(np.asarray(train.frequency).tobytes()).hexdigest(),
            None if held_out is None else hashlib.sha256(
                np.asarray(held_out.frequency).tobytes() + repr(held_out.smiles).encode()
            ).hexdigest(),
        )  # fmt: skip
        if self.mechanism and key in _FITTED:
            self.ensemble = _FITTED[key]
            return
        self.ensemble = fit_ensemble(
            training,
            held_out,
            train.side_effects,
            self.network,
            config,
            mechanism=train.mechanism if self.mechanism else None,
            known_mechanism=train.known_mechanism,
        )
        if self.pool_validation and held_out is not None and held_out.drug_ids is None:
            extend_reference(self.ensemble, held_out)
        if self.mechanism:
            _FITTED[key] = self.ensemble

    def predict(self, query: QueryView) -> Prediction:
        if self.ensemble is None:
            raise RuntimeError("fit the model before predicting")
        exclude = exclusions(query.drug_ids, self.ensemble.reference_ids)
        out = self.ensemble.predict_arrays(
            list(query.smiles), exclude=exclude, structure_only=not self.known_mechanism
        )
        association = out.p_association.copy()
        frequency = out.expected_frequency.copy()
        # A structure that cannot be read is scored by the prevalence prior.
        missing = ~out.valid
        association[missing] = self.ensemble.prevalence
        frequency[missing] = self.ensemble.mean_class
        return Prediction(
            association=association,
            frequency=frequency,
            extras={
                "p_association_raw": np.where(missing[:, None], association, out.p_association_raw),
                "uncertainty": out.uncertainty,
                "frequency_spread": out.frequency_spread,
                "class_probabilities": out.class_probabilities,
                "conformal_sets": out.conformal_sets,
                "max_similarity": out.max_similarity,
            },
        )


def make_model(variant: str = "asym_i_ii", **kwargs) -> SEFreqBenchModel:
    """A fresh SEFreq bench model of ``variant`` (one of :data:`sefreq.model.network.VARIANTS`).

    Keyword options are :class:`NetworkConfig` / :class:`TrainConfig` fields, plus the
    harness's ``seed`` and ``quick``.
    """
    return SEFreqBenchModel(variant, **kwargs)


def make_single_task(**kwargs) -> SEFreqBenchModel:
    """Separate networks per head."""
    return make_model("single_task", **kwargs)


def make_symmetric(**kwargs) -> SEFreqBenchModel:
    """Shared encoder, equal heads; frequency gradient flows into the shared part."""
    return make_model("symmetric", **kwargs)


def make_asym_i(**kwargs) -> SEFreqBenchModel:
    """Asymmetry (i) only: association -> frequency."""
    return make_model("asym_i", **kwargs)


def make_asym_i_ii(**kwargs) -> SEFreqBenchModel:
    """Both asymmetries: association -> frequency, reliable -> sparse side effects."""
    return make_model("asym_i_ii", **kwargs)


def make_asym_i_ii_kernel(**kwargs) -> SEFreqBenchModel:
    """``asym_i_ii`` whose kNN prior uses the kernel baseline's five-fingerprint similarity."""
    model = make_model("asym_i_ii", **{"knn_similarity": "kernel", **kwargs})
    model.name = "sefreq_asym_i_ii_kernel"
    return model


def make_asym_i_ii_kernel_select(**kwargs) -> SEFreqBenchModel:
    """As ``make_asym_i_ii_kernel``, each head's kNN (k, power) chosen on validation."""
    model = make_asym_i_ii_kernel(**{"knn_grid": KERNEL_KNN_GRID, **kwargs})
    model.name = "sefreq_asym_i_ii_kernel_select"
    return model


def make_asym_i_ii_kernel_pool(**kwargs) -> SEFreqBenchModel:
    """As ``make_asym_i_ii_kernel_select``, the validation drugs then pooled as neighbours
    (cold protocols), as ``sefreq train`` pools them."""
    model = make_asym_i_ii_kernel_select(**{"pool_validation": True, **kwargs})
    model.name = "sefreq_asym_i_ii_kernel_pool"
    return model


def make_asym_i_ii_smoothed(**kwargs) -> SEFreqBenchModel:
    """As ``make_asym_i_ii_kernel_pool``, the prior being the kernel baseline's smoothing
    (``TrainConfig.prior = "smoothed"``), its settings chosen on validation."""
    options = {"knn_similarity": "kernel", "prior": "smoothed", "pool_validation": True}
    model = make_model("asym_i_ii", **{**options, **kwargs})
    model.name = "sefreq_asym_i_ii_smoothed"
    return model


def make_shipped(**kwargs) -> SEFreqBenchModel:
    """The recipe ``sefreq train`` ships (:data:`~sefreq.model.config.BUNDLE_PRIOR`), with
    the validation drugs pooled as neighbours afterwards. Registry key ``sefreq``."""
    model = make_model("asym_i_ii", **{**BUNDLE_PRIOR, "pool_validation": True, **kwargs})
    model.name = "sefreq"
    return model


def make_mechanism(**kwargs) -> SEFreqBenchModel:
    """The shipped recipe with the mechanism view; a test drug reads its predicted
    mechanism (structure only). Registry key ``sefreq-mechanism``."""
    model = make_shipped(**{"mechanism": True, **kwargs})
    model.name = "sefreq-mechanism"
    return model


def make_mechanism_known(**kwargs) -> SEFreqBenchModel:
    """As :func:`make_mechanism`, a test drug with known proteins or ATC classes reading
    them (the "known targets" condition). Registry key ``sefreq-known``."""
    model = make_shipped(**{"known_mechanism": True, **kwargs})
    model.name = "sefreq-known"
    return model


#: The registry's historical key ("asym") names the full model.
make_asym = make_asym_i_ii
