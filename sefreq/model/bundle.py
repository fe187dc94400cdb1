"""The trained artifact: an ensemble of networks plus what inference needs, saved safely.

A bundle directory holds ``weights.safetensors`` (every tensor: member weights, side-effect
feature buffers, priors, the training drugs' packed fingerprints and label matrix for the
kNN prior and the applicability domain) and ``card.json`` (version, data sums, configs,
vocabulary, calibration and applicability-domain figures, benchmark results). Loading reads
only these two files: nothing is unpickled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from sefreq.chem.budget import MoleculeBudget, attempt, each_molecule
from sefreq.chem.features import (
    DESCRIPTOR_NAMES,
    DescriptorScaler,
    featurize_mols,
    mol_from_smiles,
)
from sefreq.chem.similarity import (
    BitsReference,
    kernel_similarity,
    prepare_bits,
    prepare_kernel_reference,
    tanimoto_bits,
)
from sefreq.model.artifact import (
    BUNDLE_FORMAT,
    CARD_FILE,
    WEIGHTS_FILE,
    BundleIntegrityError,
    ModelCard,
    check_bundle,
    file_sha256,
    write_manifest,
)
from sefreq.model.inference import FusedEnsemble, class_probabilities
from sefreq.model.inputs import ModelInputs
from sefreq.model.mechanism import MechanismModel, mechanism_similarity, mix_similarity
from sefreq.model.network import NetworkConfig, SEFreqNet
from sefreq.priors import knn_profiles, knn_reference, smoothed_profiles, smoothing_reference

#: Version of the shipped model; bump when retraining changes its predictions.
# 1.2: 16 descriptors (no QED, BertzCT, NumValenceElectrons), the prior on four count fingerprints
# 1.3: 14 descriptors (no MolLogP, MolMR either)
# 2.0: trained on complete label listings, with the mechanism view (targets and ATC classes
#      as the dense task; the listing head reads them, the prior mixes them in)
MODEL_VERSION = "2.0.1"
# Buffers every member holds identically: stored once, under "shared.".
SHARED_BUFFERS = (
    "organ_classes",
    "group_terms",
    "similarity_components",
    "association_transfer.sources",
    "association_transfer.valid",
    "frequency_transfer.sources",
    "frequency_transfer.valid",
)
#: Similarities the kNN prior can use (``TrainConfig.knn_similarity``).
KNN_SIMILARITIES = ("morgan", "kernel")


@dataclass
class EnsembleOutput:
    """Arrays for n molecules x 994 side effects (Galeano order)."""

    p_association: np.ndarray  # (n, 994) calibrated probability of being reported
    p_association_raw: np.ndarray  # (n, 994) before temperature scaling
    class_probabilities: np.ndarray  # (n, 994, 5) P(class = 1..5 | reported)
    expected_frequency: np.ndarray  # (n, 994) sum_c c * P(c), on 1..5
    uncertainty: np.ndarray  # (n, 994) spread of p_association across members (std)
    frequency_spread: np.ndarray  # (n, 994) std of expected frequency across members
    conformal_sets: np.ndarray  # (n, 994) uint8 bitmask: bit c-1 set = class c in the set
    max_similarity: np.ndarray  # (n,) max Tanimoto to a training drug
    nearest_index: np.ndarray  # (n,) index of that training drug
    valid: np.ndarray  # (n,) bool: the SMILES parsed
    # (n,) bool: the mechanism view read the compound's known proteins and ATC classes
    # (False: the predicted ones, or a model without the view)
    mechanism_known: np.ndarray

    def take(self, rows: np.ndarray) -> EnsembleOutput:
        """The outputs of molecules ``rows`` (indices or a boolean mask), in that order."""
        return EnsembleOutput(
            *[getattr(self, f)[rows] for f in EnsembleOutput.__dataclass_fields__]
        )


@dataclass
class SEFreqEnsemble:
    """Members plus the reference data inference needs."""

    config: NetworkConfig
    members: list[SEFreqNet]
    scaler: DescriptorScaler
    prevalence: np.ndarray  # (994,)
    mean_class: np.ndarray  # (994,)
    reference_fingerprints: np.ndarray  # (n_ref, 2048) uint8 0/1
    reference_frequency: np.ndarray  # (n_ref, 994) uint8
    reference_mask: np.ndarray  # (n_ref, 994) bool
    reference_names: list[str]
    side_effect_names: list[str]
    knn_k: int = 20
    knn_power: float = 3.0
    knn_frequency_k: int | None = None  # frequency prior's k and power (None: knn_k/power)
    knn_frequency_power: float | None = None
    knn_similarity: str = "morgan"  # one of KNN_SIMILARITIES
    # "kernel": the reference drugs' kernel fingerprints (of KERNEL_FINGERPRINTS): their names
    # are the ones the prior reads
    reference_kernel_fingerprints: dict[str, np.ndarray] | None = None
    # RDKit descriptors the network reads (sefreq.chem.features), in order: the training
    # default; a card names its own
    descriptor_names: tuple[str, ...] = DESCRIPTOR_NAMES
    temperature: float = 1.0
    conformal_threshold: float = 1.0  # a class is in the set when 1 - p_c <= this
    ad_threshold: float = 0.0
    # The card (the training record until saved; as checked on load)
    card: ModelCard = field(default_factory=ModelCard)
    reference_ids: np.ndarray | None = None  # dataset rows of the reference drugs (not saved)
    # Settings of the smoothed prior (TrainConfig.prior == "smoothed"); None: the kNN prior.
    smoothing: dict | None = None
    # The dense task's networks and known profiles (sefreq.model.mechanism); None: the
    # network has no mechanism view.
    mechanism: MechanismModel | None = None
    # (n_ref, V) the reference drugs' mechanism profiles (known where known, else
    # predicted) and the mechanism's weight in the prior's similarity (0: structure only)
    reference_mechanism: np.ndarray | None = None
    mechanism_weight: float = 0.0
    mechanism_weight_known: float = 0.0  # the weight for a molecule read with its known one

    # -- inference ------------------------------------------------------------------------

    def featurize(
        self,
        smiles: list[str | None],
        mols: list | None = None,
        structure_only: bool = False,
        budget: MoleculeBudget | None = None,
    ) -> ModelInputs:
        """:func:`sefreq.chem.features.featurize` as this model reads it: every view of the
        molecules (:class:`~sefreq.model.inputs.ModelInputs`, the prior not yet computed):
        fingerprints, scaled descriptors, valid, the kernel fingerprints its prior needs
        (None unless ``knn_similarity == "kernel"``) and, with a mechanism view, the
        mechanism profile (:meth:`with_mechanism`).

        ``mols``: the molecules of ``smiles`` already parsed (``None`` where invalid), so
        that none is parsed twice. ``structure_only``: read the predicted mechanism even
        for a compound whose proteins are known. ``budget``
        (:class:`~sefreq.chem.budget.MoleculeBudget`, one per molecule): every stage is
        timed per molecule, and one past its budget or out of memory is not valid.
        """
        if mols is None:
            mols = [mol_from_smiles(s) for s in smiles]
        kernel = self.knn_similarity == "kernel"
        if kernel and self.reference_kernel_fingerprints is not None:
            kernel = tuple(self.reference_kernel_fingerprints)
        features = featurize_mols(
            mols, self.config.n_fingerprint_bits, kernel, self.descriptor_names, budget
        )
        inputs = ModelInputs(
            fingerprints=features.fingerprints,
            descriptors=self.scaler.transform(features.descriptors),
            valid=features.valid,
            kernel=features.kernel,
        )
        inputs = self.with_mechanism(inputs, None if structure_only else mols, budget)
        if budget is not None:  # the InChIKey stage may have refused some
            inputs = replace(inputs, valid=inputs.valid & ~budget.refused())
        return inputs

    def with_mechanism(
        self, inputs: ModelInputs, mols: list | None = None, budget: MoleculeBudget | None = None
    ) -> ModelInputs:
        """``inputs`` with the mechanism view filled (unchanged without the view): the
        profile predicted from the fingerprints, or the known one of a compound among
        ``mols`` (its first InChIKey block matched; None: structure only, every profile
        predicted). ``budget``: the InChIKeys timed per molecule (:meth:`featurize`)."""
        if self.mechanism is None:
            return inputs
        skeletons = (
            None
            if mols is None
            else attempt(budget, lambda: _skeletons(self.mechanism, mols, budget))
        )
        profiles, known = self.mechanism.profiles(inputs.fingerprints, skeletons)
        return replace(inputs, mechanism=profiles, mechanism_known=known)

    def knn_features(
        self, inputs: ModelInputs, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """kNN association / frequency features and the Morgan Tanimoto matrix to the reference
        (:meth:`ModelInputs.with_prior <sefreq.model.inputs.ModelInputs.with_prior>` takes
        the first two).

        With a model whose prior mixes in the mechanism view, the prior's similarity is
        :func:`~sefreq.model.mechanism.mix_similarity` of structure and ``inputs.mechanism``,
        with ``mechanism_weight_known`` for the rows whose profile is their known one
        (``inputs.mechanism_known``) and ``mechanism_weight`` else.

        The returned similarity (applicability domain, nearest drug) is always the Morgan
        Tanimoto; the kNN profiles use the five-fingerprint similarity when
        ``knn_similarity == "kernel"``, which needs ``inputs.kernel`` (:meth:`featurize`).
        """
        fingerprints, mechanism = inputs.fingerprints, inputs.mechanism
        similarity = tanimoto_bits(fingerprints, None, self._bits_reference())
        knn_similarity = similarity
        if self.knn_similarity == "kernel":
            if inputs.kernel is None:
                raise ValueError("this model's kNN prior needs the kernel_fingerprints")
            knn_similarity = kernel_similarity(inputs.kernel, None, self._kernel_reference())
        weights = (self.mechanism_weight, self.mechanism_weight_known)
        if any(weights) and self.reference_mechanism is not None:
            if mechanism is None:
                raise ValueError("this model's prior needs the molecules' mechanism profiles")
            weight = np.where(inputs.known, weights[1], weights[0]).astype(np.float32)[:, None]
            knn_similarity = mix_similarity(
                knn_similarity, mechanism_similarity(mechanism, self.reference_mechanism), weight
            )

        if self.smoothing is not None:
            association, frequency = smoothed_profiles(
                knn_similarity,
                self._smoothing_reference(),
                self.prevalence,
                self.mean_class,
                self.smoothing,
                exclude,
            )
            return association, frequency, similarity

        def profiles(k: int, power: float) -> tuple[np.ndarray, np.ndarray]:
            return knn_profiles(
                knn_similarity,
                self.reference_frequency,
                self.reference_mask,
                self.prevalence,
                self.mean_class,
                k=k,
                power=power,
                exclude=exclude,
                reference=self._knn_reference(),
            )

        association, frequency = profiles(self.knn_k, self.knn_power)
        frequency_params = (
            self.knn_frequency_k if self.knn_frequency_k is not None else self.knn_k,
            self.knn_frequency_power if self.knn_frequency_power is not None else self.knn_power,
        )
        if frequency_params != (self.knn_k, self.knn_power):
            frequency = profiles(*frequency_params)[1]
        return association, frequency, similarity

    def _derived(self, name: str, build: Callable, *inputs):
        """``build(*inputs)``, computed once per reference set.

        The input arrays themselves are held, so replacing one (``extend_reference`` does)
        recomputes the result, and a new array is never mistaken for an old one.
        """
        cache = self.__dict__.setdefault("_derived_cache", {})
        hit = cache.get(name)
        if hit is None or any(old is not new for old, new in zip(hit[0], inputs, strict=True)):
            hit = (inputs, build(*inputs))
            cache[name] = hit
        return hit[1]

    def _bits_reference(self) -> BitsReference:
        return self._derived("bits", prepare_bits, self.reference_fingerprints)

    def _kernel_reference(self) -> dict:
        return self._derived("kernel", prepare_kernel_reference, self.reference_kernel_fingerprints)

    def _knn_reference(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._derived("knn", knn_reference, self.reference_frequency, self.reference_mask)

    def _smoothing_reference(self) -> dict:
        return self._derived(
            "smoothing", smoothing_reference, self.reference_frequency, self.reference_mask
        )

    @torch.no_grad()
    def raw_outputs(self, inputs: ModelInputs) -> tuple[np.ndarray, np.ndarray]:
        """Per-member association logits (m, n, 994) and CORAL probabilities P(class > k)
        (m, n, 994, 4) of ``inputs`` (with the prior, when the network reads it), all
        members at once (:class:`sefreq.model.inference.FusedEnsemble`;
        :func:`sefreq.model.inference.class_probabilities` gives the classes)."""
        fused = self._derived("fused", lambda *members: FusedEnsemble(members), *self.members)
        # The products are small: one thread avoids hand-off costs that dominate them (3x on
        # a shared 2-core machine); the caller's setting is restored afterwards.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fused(inputs)
        finally:
            torch.set_num_threads(threads)

    def predict_arrays(
        self,
        smiles: list[str | None],
        exclude: np.ndarray | None = None,
        batch_size: int = 256,
        mols: list | None = None,
        structure_only: bool = False,
        budget: MoleculeBudget | None = None,
    ) -> EnsembleOutput:
        """Score every side effect of every molecule. Invalid SMILES give NaN rows.

        ``mols``: the molecules already parsed, aligned with ``smiles`` (see :meth:`featurize`).
        ``structure_only``: treat every molecule as new (the predicted mechanism, even for
        a compound whose proteins are known). ``budget``: one per molecule, each timed
        through featurisation; a molecule it refuses gives a NaN row (the reason in it).
        """
        parts = [
            self._predict_batch(
                smiles[i : i + batch_size],
                None if exclude is None else exclude[i : i + batch_size],
                None if mols is None else mols[i : i + batch_size],
                structure_only,
                None if budget is None else budget.subset(slice(i, i + batch_size)),
            )
            for i in range(0, max(len(smiles), 1), batch_size)
        ]
        if not smiles:
            return parts[0]
        return EnsembleOutput(
            *[
                np.concatenate([getattr(p, f) for p in parts])
                for f in EnsembleOutput.__dataclass_fields__
            ]
        )

    def _predict_batch(
        self,
        smiles: list[str | None],
        exclude: np.ndarray | None,
        mols: list | None = None,
        structure_only: bool = False,
        budget: MoleculeBudget | None = None,
    ) -> EnsembleOutput:
        from scipy.special import expit  # here, not at the top: loading stays fast

        if mols is None:
            mols = [mol_from_smiles(s) for s in smiles]
        inputs = self.featurize(list(smiles), mols, structure_only, budget)
        knn_a, knn_f, similarity = self.knn_features(inputs, exclude)
        logits, greater = self.raw_outputs(inputs.with_prior(knn_a, knn_f))
        valid = inputs.valid
        mean_logit = logits.mean(0)
        p_raw = expit(mean_logit)
        p_cal = expit(mean_logit / self.temperature)
        member_p = expit(logits)
        mean_greater = greater.mean(0)
        probabilities = class_probabilities(mean_greater)  # the members' mean
        # E[class] = 1 + sum_k P(class > k); the four terms added by hand, as numpy's
        # reduction over a last axis of 4 is ten times slower than these adds.
        expected = 1.0 + _sum_last4(mean_greater)
        member_expected = 1.0 + _sum_last4(greater)
        # bit c-1 set for class c in the set
        sets = np.zeros(probabilities.shape[:-1], dtype=np.uint8)
        for c in range(probabilities.shape[-1]):
            in_set = (1.0 - probabilities[..., c]) <= self.conformal_threshold
            sets |= in_set.astype(np.uint8) << c
        if similarity.shape[1]:
            if exclude is not None:
                rows = np.flatnonzero(exclude >= 0)
                similarity[rows, exclude[rows]] = -1.0
            nearest = similarity.argmax(1)
            max_similarity = similarity[np.arange(len(smiles)), nearest]
        else:
            nearest = np.zeros(len(smiles), dtype=np.int64)
            max_similarity = np.zeros(len(smiles), dtype=np.float32)
        output = EnsembleOutput(
            p_association=p_cal.astype(np.float32),
            p_association_raw=p_raw.astype(np.float32),
            class_probabilities=probabilities.astype(np.float32),
            expected_frequency=expected.astype(np.float32),
            uncertainty=member_p.std(0).astype(np.float32),
            frequency_spread=member_expected.std(0).astype(np.float32),
            conformal_sets=sets,
            max_similarity=max_similarity.astype(np.float32),
            nearest_index=nearest.astype(np.int64),
            valid=valid,
            mechanism_known=inputs.known & valid,
        )
        for name in (
            "p_association",
            "p_association_raw",
            "expected_frequency",
            "uncertainty",
            "frequency_spread",
        ):
            getattr(output, name)[~valid] = np.nan
        output.class_probabilities[~valid] = np.nan
        output.conformal_sets[~valid] = 0
        output.max_similarity[~valid] = np.nan
        return output

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write ``weights.safetensors`` and ``card.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors: dict[str, np.ndarray] = {}
        for i, member in enumerate(self.members):
            for key, value in member.state_dict().items():
                array = value.detach().cpu().numpy().copy()
                if key in SHARED_BUFFERS:
                    tensors.setdefault(f"shared.{key}", array)
                    if not np.array_equal(tensors[f"shared.{key}"], array):
                        raise ValueError(f"members differ in the shared buffer {key}")
                else:
                    tensors[f"member{i}.{key}"] = array
        tensors["scaler.center"] = self.scaler.center
        tensors["scaler.scale"] = self.scaler.scale
        tensors["prior.prevalence"] = self.prevalence.astype(np.float64)
        tensors["prior.mean_class"] = self.mean_class.astype(np.float64)
        n_bits = self.reference_fingerprints.shape[1]
        tensors["reference.fingerprints_packed"] = np.packbits(
            self.reference_fingerprints.astype(bool), axis=1
        )
        if self.reference_kernel_fingerprints is not None:
            tensors.update(_pack_kernel_fingerprints(self.reference_kernel_fingerprints))
        tensors["reference.frequency"] = self.reference_frequency.astype(np.uint8)
        tensors["reference.mask_packed"] = np.packbits(self.reference_mask.astype(bool), axis=1)
        if self.mechanism is not None:
            tensors.update(self.mechanism.state())
        if self.reference_mechanism is not None:
            tensors["reference.mechanism"] = self.reference_mechanism.astype(np.float16)
        save_file(
            {k: np.ascontiguousarray(v) for k, v in tensors.items()}, directory / WEIGHTS_FILE
        )
        card = self.card.to_dict()
        card.update(
            {
                "bundle_format": BUNDLE_FORMAT,
                "weights_sha256": file_sha256(directory / WEIGHTS_FILE),
                "network": self.config.to_dict(),
                "n_members": len(self.members),
                "n_fingerprint_bits": int(n_bits),
                "knn_k": self.knn_k,
                "knn_power": self.knn_power,
                "knn_similarity": self.knn_similarity,
                "knn_frequency_k": self.knn_frequency_k,
                "knn_frequency_power": self.knn_frequency_power,
                "prior_smoothing": self.smoothing,
                "temperature": float(self.temperature),
                "conformal_threshold": float(self.conformal_threshold),
                "ad_threshold": float(self.ad_threshold),
                "descriptors": list(self.descriptor_names),
                "reference_drugs": list(self.reference_names),
                "side_effects": list(self.side_effect_names),
                "mechanism_weight": float(self.mechanism_weight),
                "mechanism_weight_known": float(self.mechanism_weight_known),
                "mechanism": None
                if self.mechanism is None
                else {
                    "vocabulary": self.mechanism.vocabulary,
                    "known_skeletons": self.mechanism.known_skeletons,
                    **(
                        {}
                        if self.mechanism.known_formulas is None
                        else {"known_formulas": sorted(self.mechanism.known_formulas)}
                    ),
                },
            }
        )
        (directory / CARD_FILE).write_text(json.dumps(card, indent=1, default=_json_default))
        write_manifest(directory)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> SEFreqEnsemble:
        """Rebuild an ensemble from a bundle directory (safetensors + JSON only), once
        :func:`~sefreq.model.artifact.check_bundle` has accepted it."""
        directory = Path(directory)
        card = check_bundle(directory)
        tensors = _read_weights(directory / WEIGHTS_FILE)
        config = NetworkConfig.from_dict(card.network)
        members = []
        for i in range(card.n_members):
            prefix = f"member{i}."
            state = {
                k[len(prefix) :]: torch.from_numpy(v)
                for k, v in tensors.items()
                if k.startswith(prefix)
            }
            state.update(
                {
                    k[len("shared.") :]: torch.from_numpy(v)
                    for k, v in tensors.items()
                    if k.startswith("shared.")
                }
            )
            member = _empty_network(config, state)
            member.load_state_dict(state)
            member.eval()
            members.append(member)
        n_bits = card.n_fingerprint_bits
        n_se = config.n_side_effects
        return cls(
            config=config,
            members=members,
            scaler=DescriptorScaler(tensors["scaler.center"], tensors["scaler.scale"]),
            prevalence=tensors["prior.prevalence"],
            mean_class=tensors["prior.mean_class"],
            reference_fingerprints=np.unpackbits(tensors["reference.fingerprints_packed"], axis=1)[
                :, :n_bits
            ],
            reference_frequency=tensors["reference.frequency"],
            reference_mask=np.unpackbits(tensors["reference.mask_packed"], axis=1)[:, :n_se].astype(
                bool
            ),
            reference_names=list(card.reference_drugs),
            side_effect_names=list(card.side_effects),
            knn_k=card.knn_k,
            knn_power=card.knn_power,
            knn_similarity=card.knn_similarity,
            knn_frequency_k=card.knn_frequency_k,
            knn_frequency_power=card.knn_frequency_power,
            reference_kernel_fingerprints=_unpack_kernel_fingerprints(tensors),
            descriptor_names=tuple(card.descriptors),
            smoothing=card.prior_smoothing,
            temperature=card.temperature,
            conformal_threshold=card.conformal_threshold,
            ad_threshold=card.ad_threshold,
            card=card,
            reference_mechanism=tensors["reference.mechanism"].astype(np.float32)
            if "reference.mechanism" in tensors
            else None,
            mechanism_weight=card.mechanism_weight,
            mechanism_weight_known=card.mechanism_weight_known,
            mechanism=None
            if card.mechanism is None
            else MechanismModel.from_state(
                tensors,
                card.mechanism.vocabulary,
                card.mechanism.known_skeletons,
                card.mechanism.known_formulas,
            ),
        )


def _skeletons(
    mechanism: MechanismModel, mols: list, budget: MoleculeBudget | None
) -> list[str | None]:
    """Each molecule's first InChIKey block where it can name a compound of ``mechanism``
    (:meth:`MechanismModel.skeleton_of <sefreq.model.mechanism.MechanismModel.skeleton_of>`),
    timed by ``budget``."""
    skeletons: list[str | None] = [None] * len(mols)
    for i, mol in each_molecule(mols, budget, "InChIKey"):
        skeletons[i] = mechanism.skeleton_of(mol)
    return skeletons


def _read_weights(path: Path) -> dict[str, np.ndarray]:
    """The weights (safetensors only: nothing is unpickled), once the manifest's sha256 of
    them is checked (:func:`~sefreq.model.artifact.check_bundle`)."""
    try:
        return load_file(path)
    except Exception as error:  # safetensors' own error types; the sum matched, so rare
        raise BundleIntegrityError(f"{path} cannot be read as safetensors ({error})") from None


_KERNEL_PREFIX = "reference.kernel."


def _pack_kernel_fingerprints(fingerprints: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Compact tensors of the five reference fingerprints: counts as sparse rows (CSR: row
    offsets int64, bit indices uint16, counts uint8 clipped at 255), bits packed."""
    out = {}
    for name, values in fingerprints.items():
        prefix = f"{_KERNEL_PREFIX}{name}."
        out[prefix + "shape"] = np.array(values.shape, dtype=np.int64)
        if name.endswith("_bits"):
            out[prefix + "packed"] = np.packbits(values > 0, axis=1)
            continue
        rows, cols = np.nonzero(values)
        per_row = np.bincount(rows, minlength=len(values))
        out[prefix + "indptr"] = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64)
        out[prefix + "indices"] = cols.astype(np.uint16)
        out[prefix + "counts"] = np.clip(values[rows, cols], 0, 255).astype(np.uint8)
    return out


def _unpack_kernel_fingerprints(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    keys = [k[len(_KERNEL_PREFIX) :] for k in tensors if k.startswith(_KERNEL_PREFIX)]
    names = {k.rsplit(".", 1)[0] for k in keys}
    if not names:
        return None
    out = {}
    for name in sorted(names):
        prefix = f"{_KERNEL_PREFIX}{name}."
        n, width = (int(x) for x in tensors[prefix + "shape"])
        if name.endswith("_bits"):
            bits = np.unpackbits(tensors[prefix + "packed"], axis=1)[:, :width]
            out[name] = bits.astype(np.float32)
            continue
        dense = np.zeros((n, width), dtype=np.float32)
        rows = np.repeat(np.arange(n), np.diff(tensors[prefix + "indptr"]))
        dense[rows, tensors[prefix + "indices"].astype(np.int64)] = tensors[prefix + "counts"]
        out[name] = dense
    return out


def _empty_network(config: NetworkConfig, state: dict[str, torch.Tensor]) -> SEFreqNet:
    """A network with the right buffer shapes, ready for ``load_state_dict``."""
    n_se = config.n_side_effects
    sources = state.get("frequency_transfer.sources")
    valid = state.get("frequency_transfer.valid")
    return SEFreqNet(
        config,
        organ_classes=np.zeros((n_se, config.n_organ_classes), dtype=np.float32),
        group_terms=np.zeros((n_se, config.n_group_terms), dtype=np.float32),
        similarity_components=np.zeros((n_se, config.n_similarity_components), dtype=np.float32),
        association_prior=np.zeros(n_se, dtype=np.float32),
        frequency_prior=np.zeros(n_se, dtype=np.float32),
        transfer_sources=None if sources is None else sources.numpy(),
        transfer_valid=None if valid is None else valid.numpy(),
    )


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to the card")


def _sum_last4(x: np.ndarray) -> np.ndarray:
    """``x.sum(-1)`` of a last axis of 4, in the same order of additions."""
    return ((x[..., 0] + x[..., 1]) + x[..., 2]) + x[..., 3]
