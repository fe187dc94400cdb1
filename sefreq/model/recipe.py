"""The recipe: an ensemble from arrays (:func:`fit_ensemble`), the shipped bundle from the
dataset (:func:`train_bundle`, what ``sefreq train`` calls).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.special import logit

from sefreq.chem.features import DescriptorScaler, MoleculeFeatures, featurize, mol_from_smiles
from sefreq.chem.similarity import kernel_similarity, tanimoto_bits
from sefreq.chem.standardize import skeleton_of
from sefreq.constants import N_DRUGS, SIDER_LICENCE, __version__, stated
from sefreq.data.types import SideEffectInfo
from sefreq.model import confidence
from sefreq.model.artifact import bundled_model_dir
from sefreq.model.bundle import KNN_SIMILARITIES, MODEL_VERSION, SEFreqEnsemble
from sefreq.model.confidence import DEFAULT_AD_THRESHOLD
from sefreq.model.config import TrainConfig
from sefreq.model.data import (
    TrainingSet,
    exclusions,
    load_bundle_data,
    split_calibrated,
    split_validation,
    usable,
)
from sefreq.model.features import (
    association_prior,
    class_thresholds,
    frequency_bias,
    mean_class_prior,
    similarity_components,
    transfer_edges,
)
from sefreq.model.inputs import ModelInputs
from sefreq.model.loop import member_tensors, train_member
from sefreq.model.mechanism import (
    CrossFitted,
    MechanismTask,
    mechanism_similarity,
    mix_similarity,
    train_mechanism,
)
from sefreq.model.network import NetworkConfig, SEFreqNet
from sefreq.model.selection import association_score, select_knn, select_smoothing
from sefreq.priors import knn_profiles, smoothed_profiles, smoothing_reference


@dataclass
class SideEffectInputs:
    """What the network needs to know about side effects (all (994, ...) arrays)."""

    names: list[str]
    organ_classes: np.ndarray
    group_terms: np.ndarray
    similarity: np.ndarray | None


def fit_ensemble(
    train: TrainingSet,
    validation: TrainingSet | None,
    side_effects: SideEffectInfo,
    network: NetworkConfig | None = None,
    config: TrainConfig | None = None,
    mechanism: MechanismTask | None = None,
    known_mechanism: MechanismTask | None = None,
) -> SEFreqEnsemble:
    """Train ``config.n_members`` networks, then calibrate on the validation set.

    ``validation`` holds held-out cells (its ``label_mask`` says which are scored); when
    None, a share of the training drugs is carved out. Only usable structures should be
    passed (rows whose SMILES does not parse are dropped here).

    ``mechanism``: the dense task (:class:`~sefreq.model.mechanism.MechanismTask`), less
    any held-out drug's compound; given, the listing head reads the mechanism profile
    (mechanism -> listing -> frequency). The validation drugs' compounds are removed here.
    ``known_mechanism``: the compounds whose known profile a query may read (default
    ``mechanism``).
    """
    network = copy.deepcopy(network) if network else NetworkConfig()
    config = config or TrainConfig()
    torch.set_num_threads(max(1, config.threads))
    if validation is None:
        train, validation = split_validation(train, config.validation_share, config.seed)
    train = usable(train)
    validation = usable(validation)
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

    if config.knn_similarity not in KNN_SIMILARITIES:
        raise ValueError(f"knn_similarity must be one of {KNN_SIMILARITIES}")
    use_kernel = network.use_knn_prior and config.knn_similarity == "kernel"
    kernel = tuple(config.kernel_fingerprints) if use_kernel else False
    descriptor_names = tuple(config.descriptors)
    fit_features = featurize(train.smiles, network.n_fingerprint_bits, kernel, descriptor_names)
    val_features = featurize(
        validation.smiles, network.n_fingerprint_bits, kernel, descriptor_names
    )
    fit_fp, val_fp = fit_features.fingerprints, val_features.fingerprints
    raw_fit, raw_val = fit_features.descriptors, val_features.descriptors
    network.n_descriptors = raw_fit.shape[1]
    scaler = DescriptorScaler.fit(raw_fit)
    fit_desc, val_desc = scaler.transform(raw_fit), scaler.transform(raw_val)

    fit_mechanism, val_mechanism, mechanism_model, profiles = None, None, None, None
    if mechanism is not None:
        fitted = _mechanism_inputs(mechanism, known_mechanism, train, validation, fit_fp, config)
        mechanism_model = fitted.model
        network.n_mechanism = mechanism_model.n_outputs
        rng = np.random.default_rng([config.seed, 13])
        share = config.mechanism_known_share
        reads_known = fitted.train_has_known & (rng.random(len(fit_fp)) < share)
        fit_mechanism = np.where(reads_known[:, None], fitted.train_known, fitted.train_profiles)
        val_mechanism = mechanism_model.predict(val_fp)
        as_neighbour = fitted.train_has_known[:, None]
        val_known, val_has_known = mechanism_model.known(skeletons_of(validation.smiles))
        profiles = MechanismProfiles(
            fit=fit_mechanism,
            validation=val_mechanism,
            reference=np.where(as_neighbour, fitted.train_known, fitted.train_profiles),
            weights=tuple(config.mechanism_similarity_weights),
            validation_known=val_known[val_has_known],
            validation_known_rows=np.flatnonzero(val_has_known),
        )

    priors = _prior_inputs(
        config, network.use_knn_prior, train, validation, fit_features, val_features,
        prevalence, mean_class, profiles,
    )  # fmt: skip
    fit_knn, val_knn = priors.fit, priors.validation
    knn_a_params, knn_f_params = priors.association_params, priors.frequency_params
    smoothing = priors.smoothing
    # The inputs as the network reads them in training: a training drug's mechanism
    # profile is cross-fitted (read known at random), its prior leaves it out.
    fit_inputs = ModelInputs(
        fit_fp, fit_desc, fit_features.valid, fit_features.kernel, fit_mechanism
    ).with_prior(*fit_knn)
    val_inputs = ModelInputs(
        val_fp, val_desc, val_features.valid, val_features.kernel, val_mechanism
    ).with_prior(*val_knn)
    fit_t = member_tensors(fit_inputs, train.frequency, train.label_mask)
    val_t = member_tensors(val_inputs, validation.frequency, validation.label_mask)

    floors = floors_of(validation, prevalence, mean_class)
    members, logs = [], []
    for m in range(config.n_members):
        seed = config.seed * 1000 + m
        torch.manual_seed(seed)
        net = _new_member(network, se, components, prevalence, f_bias, (sources, valid), thresholds)
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
        reference_kernel_fingerprints=fit_features.kernel,
        descriptor_names=descriptor_names,
        reference_ids=None if train.drug_ids is None else np.asarray(train.drug_ids),
        smoothing=smoothing,
        mechanism=mechanism_model,
        reference_mechanism=None if profiles is None else profiles.reference,
        mechanism_weight=priors.mechanism_weight,
        mechanism_weight_known=priors.mechanism_weight_known,
    )
    calibration = confidence.calibrate(
        ensemble, validation, exclusions(validation.drug_ids, train.drug_ids)
    )
    ensemble.card = ensemble.card.updated(
        training=config.to_dict(),
        training_log=logs,
        calibration=calibration,
        training_seconds=round(time.perf_counter() - started, 1),
        n_training_drugs=len(train.smiles),
        n_validation_drugs=len(validation.smiles),
    )
    return ensemble


def skeletons_of(smiles: list[str | None]) -> list[str | None]:
    """The first InChIKey block of each structure (None where it does not parse)."""
    return [skeleton_of(mol_from_smiles(s)) for s in smiles]


def _mechanism_inputs(
    mechanism: MechanismTask,
    known: MechanismTask | None,
    train: TrainingSet,
    validation: TrainingSet,
    fit_fp: np.ndarray,
    config: TrainConfig,
) -> CrossFitted:
    """The cross-fitted mechanism model, trained without the validation drugs' compounds
    (they stand for new molecules)."""
    held_out = {s for s in skeletons_of(validation.smiles) if s}

    def bits(smiles: list[str]) -> np.ndarray:
        return featurize(smiles, fit_fp.shape[1], False, ()).fingerprints

    return train_mechanism(
        mechanism.without(held_out),
        bits,
        fit_fp,
        skeletons_of(train.smiles),
        seed=config.seed,
        n_parts=config.mechanism_parts,
        epochs=config.mechanism_epochs,
        known_task=known or mechanism,
    )


@dataclass
class PriorInputs:
    """The similarity prior's residual features of the training and validation drugs
    (each ``(association, frequency)``, (n, 994) float32) and the settings chosen."""

    fit: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    association_params: tuple[int, float]
    frequency_params: tuple[int, float]
    smoothing: dict | None = None
    mechanism_weight: float = 0.0
    mechanism_weight_known: float = 0.0


@dataclass
class MechanismProfiles:
    """Mechanism profiles behind the prior's similarity: how the fit and validation drugs
    look as queries (validation: predicted, as new molecules) and the fit drugs as
    neighbours (known where known, else predicted); the known profiles of the validation
    drugs that have one, at ``validation_known_rows``, choose the weight a query with a
    known mechanism gets."""

    fit: np.ndarray
    validation: np.ndarray
    reference: np.ndarray
    weights: tuple[float, ...]
    validation_known: np.ndarray | None = None
    validation_known_rows: np.ndarray | None = None


def _prior_inputs(
    config: TrainConfig,
    use_prior: bool,
    train: TrainingSet,
    validation: TrainingSet,
    fit_features: MoleculeFeatures,
    val_features: MoleculeFeatures,
    prevalence: np.ndarray,
    mean_class: np.ndarray,
    mechanism: MechanismProfiles | None = None,
) -> PriorInputs:
    """The prior the network reads, its settings chosen on the validation drugs only.

    A training drug is always left out of its own profile; a validation drug that is also
    a training drug (warm protocols) too. With ``mechanism`` and the smoothed prior, the
    similarity behind the prior is ``(1 - w) * structure + w * mechanism``
    (:func:`mechanism_similarity`), ``w`` chosen on the validation drugs among
    ``mechanism.weights``; the kNN prior stays on structure.
    """
    n_se = train.frequency.shape[1]
    knn_params = (config.knn_k, config.knn_power)
    if config.prior not in ("knn", "smoothed"):
        raise ValueError("prior must be 'knn' or 'smoothed'")
    if not use_prior:
        zero_fit = np.zeros((len(train.smiles), n_se), np.float32)
        zero_val = np.zeros((len(validation.smiles), n_se), np.float32)
        return PriorInputs((zero_fit, zero_fit), (zero_val, zero_val), knn_params, knn_params)
    use_kernel = config.knn_similarity == "kernel"
    fit_kfp = fit_features.kernel
    val_exclude = exclusions(validation.drug_ids, train.drug_ids)
    leave_out = np.arange(len(train.smiles))

    def structure(query: MoleculeFeatures) -> np.ndarray:
        if use_kernel:
            return kernel_similarity(query.kernel, fit_kfp)
        return tanimoto_bits(query.fingerprints, fit_features.fingerprints)

    weights = (0.0,) if mechanism is None else tuple(mechanism.weights)

    def mixed(base: np.ndarray, profiles: np.ndarray | None, weight: float) -> np.ndarray:
        if not weight:
            return base
        return mix_similarity(base, mechanism_similarity(profiles, mechanism.reference), weight)

    val_base = structure(val_features)
    val_profiles = None if mechanism is None else mechanism.validation
    fit_profiles = None if mechanism is None else mechanism.fit

    if config.prior == "smoothed":
        if not use_kernel:
            raise ValueError("the smoothed prior needs knn_similarity='kernel'")
        reference = smoothing_reference(train.frequency, train.label_mask)

        def smoothed(sim, exclude, settings):
            return smoothed_profiles(sim, reference, prevalence, mean_class, settings, exclude)

        best = None
        for weight in weights:
            val_sim = mixed(val_base, val_profiles, weight)
            settings = select_smoothing(
                lambda s, sim=val_sim: smoothed(sim, val_exclude, s),
                validation,
                prevalence,
                mean_class,
            )
            score = association_score(
                smoothed(val_sim, val_exclude, settings)[0], validation, prevalence
            )
            if best is None or score > best[0]:
                best = (score, weight, settings, val_sim)
        _, weight, smoothing, val_sim = best
        fit_sim = mixed(structure(fit_features), fit_profiles, weight)
        weight_known = weight
        rows = None if mechanism is None else mechanism.validation_known_rows
        if rows is not None and len(rows):
            # The weight for a query that reads its known mechanism: chosen on the
            # validation drugs that have one, reading it (settings kept).
            subset = validation.take(rows)
            exclude = None if val_exclude is None else val_exclude[rows]

            def known_score(w: float) -> float:
                sim = mixed(val_base[rows], mechanism.validation_known, w)
                return association_score(smoothed(sim, exclude, smoothing)[0], subset, prevalence)

            weight_known = max(weights, key=known_score)
        return PriorInputs(
            smoothed(fit_sim, leave_out, smoothing),
            smoothed(val_sim, val_exclude, smoothing),
            knn_params,
            knn_params,
            smoothing,
            weight,
            weight_known,
        )

    # The kNN prior (not the shipped one) stays on structure: the weight is chosen only
    # for the smoothed prior above.
    weight = 0.0
    fit_sim, val_sim = structure(fit_features), val_base

    def knn(sim, exclude, k, power):
        return knn_profiles(
            sim, train.frequency, train.label_mask, prevalence, mean_class, k, power, exclude
        )

    a_params = f_params = knn_params
    if config.knn_grid:
        a_params, f_params = select_knn(
            [(int(k), float(p)) for k, p in config.knn_grid],
            lambda k, p: knn(val_sim, val_exclude, k, p),
            validation,
            prevalence,
            mean_class,
        )
    fit_knn = knn(fit_sim, leave_out, *a_params)
    val_knn = knn(val_sim, val_exclude, *a_params)
    if f_params != a_params:
        fit_knn = (fit_knn[0], knn(fit_sim, leave_out, *f_params)[1])
        val_knn = (val_knn[0], knn(val_sim, val_exclude, *f_params)[1])
    return PriorInputs(
        fit_knn, val_knn, a_params, f_params, mechanism_weight=weight, mechanism_weight_known=weight
    )


def _new_member(
    network: NetworkConfig,
    se: SideEffectInputs,
    components: np.ndarray,
    prevalence: np.ndarray,
    frequency_bias_: np.ndarray,
    transfer: tuple[np.ndarray, np.ndarray],
    thresholds: np.ndarray,
) -> SEFreqNet:
    """A fresh network whose biases start at the priors and thresholds at the class shares."""
    net = SEFreqNet(
        network,
        se.organ_classes,
        se.group_terms,
        components,
        logit(prevalence),
        frequency_bias_,
        *transfer,
    )
    with torch.no_grad():
        net.threshold_start.fill_(float(thresholds[0]))
        steps = np.maximum(np.diff(thresholds), 0.05)
        net.threshold_steps.copy_(torch.log(torch.expm1(torch.tensor(steps, dtype=torch.float32))))
    return net


def floors_of(
    validation: TrainingSet, prevalence: np.ndarray, mean_class: np.ndarray
) -> tuple[float, float]:
    """Validation BCE and RMSE of the prevalence prior (the scale of each head's loss)."""
    mask = validation.label_mask
    y = (validation.frequency > 0).astype(np.float64)
    p = np.clip(np.broadcast_to(prevalence, y.shape), 1e-6, 1 - 1e-6)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    floor_bce = float((bce * mask).sum() / max(mask.sum(), 1))
    reported = mask & stated(validation.frequency)
    err = (np.broadcast_to(mean_class, y.shape) - validation.frequency) ** 2
    floor_rmse = float(np.sqrt((err * reported).sum() / max(reported.sum(), 1)))
    return max(floor_bce, 1e-3), max(floor_rmse, 1e-2)


def extend_reference(ensemble: SEFreqEnsemble, extra: TrainingSet) -> None:
    """Add ``extra``'s drugs to the reference set behind the similarity prior and the domain.

    Used once the validation drugs have done their job (early stopping, calibration): they
    then become neighbours like any training drug, as the kernel baseline refits on them.
    """
    reference_kernel = ensemble.reference_kernel_fingerprints
    added_kernel = reference_kernel is not None
    features = featurize(
        extra.smiles,
        ensemble.config.n_fingerprint_bits,
        kernel=tuple(reference_kernel) if added_kernel else False,
        descriptor_names=ensemble.descriptor_names,
    )
    ensemble.reference_fingerprints = np.concatenate(
        [ensemble.reference_fingerprints, features.fingerprints]
    )
    if added_kernel:
        added = features.kernel
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
    if ensemble.reference_mechanism is not None and ensemble.mechanism is not None:
        known, found = ensemble.mechanism.known(skeletons_of(extra.smiles))
        predicted = ensemble.mechanism.predict(features.fingerprints)
        profiles = np.where(found[:, None], known, predicted)
        ensemble.reference_mechanism = np.concatenate([ensemble.reference_mechanism, profiles])
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
    with_sider: bool = False,
) -> Path:
    """Train the shipped model on every drug with a usable structure and save it.

    10% of the drugs (seeded) are held out for early stopping, temperature and conformal
    calibration; afterwards they join the reference set used for the kNN prior and the
    applicability domain, so every usable drug can be a nearest neighbour.
    ``with_sider``: also train on SIDER's other drugs (always fitted, never held out).
    Returns the bundle directory.
    """
    data = load_bundle_data(with_sider=with_sider)
    config = config or TrainConfig(seed=seed, n_members=n_members, progress=progress)
    n_galeano = int((data.training.drug_ids < N_DRUGS).sum())
    fit, validation = split_calibrated(
        data.training, config.validation_share, config.seed, n_galeano
    )
    ensemble = fit_ensemble(
        fit, validation, data.side_effects, network, config, mechanism=data.mechanism
    )
    extend_reference(ensemble, validation)
    ensemble.ad_threshold = DEFAULT_AD_THRESHOLD
    ensemble.card = ensemble.card.updated(
        name="sefreq",
        model_version=MODEL_VERSION,
        sefreq_version=__version__,
        data_sha256=data.data_sha256,
        n_excluded_no_structure=data.n_excluded_no_structure,
        n_training_drugs=len(data.training.smiles),
        with_sider=with_sider,
        side_effect_organ_classes=data.organ_class_names,
        licence=SIDER_LICENCE,
        applicability_domain={
            "measure": "max Tanimoto (Morgan r=2, 2048 bits) to a training drug",
            "threshold": DEFAULT_AD_THRESHOLD,
            "evidence": "docs/MODEL.md, error by similarity on held-out ICS drugs",
        },
        benchmark=_benchmark_figures(),
    )
    return ensemble.save(out_dir)


def _benchmark_figures() -> dict:
    """Held-out figures recorded beside the model (``models/evaluation.json``, written by
    ``sefreq bench confidence``), summarised for the card."""
    path = bundled_model_dir() / "evaluation.json"
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
    protocol = summary.get("protocol", "ICS")
    summary["command"] = (
        f"sefreq bench confidence --protocol {protocol} --out models/evaluation.json"
    )
    return summary
