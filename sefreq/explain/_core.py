"""SHAP attributions of one molecule's predicted side effects, mapped to atoms.

The explained function is the ensemble's output for the chosen side effects (see
:mod:`sefreq.explain.adapter`) over the flat model input: fingerprint bits, scaled
descriptors and the similarity (label) prior. Attributions are DeepLIFT-SHAP values
(``shap.DeepExplainer``) against a fixed background of training drugs, so for every side
effect ``sum(attributions) = output - expected output`` (checked here, not by shap).
"""

from __future__ import annotations

import difflib
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rdkit import Chem

from sefreq.chem.features import descriptors
from sefreq.data.cachefiles import read_verified, write_verified
from sefreq.data.registry import cache_dir
from sefreq.explain import adapter
from sefreq.explain.atoms import BitMap, bit_map, environment_smarts, share_matrix
from sefreq.model.artifact import model_dir
from sefreq.model.inputs import ModelInputs
from sefreq.model.predictor import Predictor

#: Background: this many training drugs, drawn once with this seed.
N_BACKGROUND = 50
BACKGROUND_SEED = 0
#: |sum(attributions) - (output - expected)| above this fails :meth:`Explanation.check`.
#: Outputs are probabilities (0..1) or expected classes (1..5); float32 DeepLIFT error is
#: ~1e-6 of that.
ADDITIVITY_TOLERANCE = 1e-4
#: Seconds one explanation may take; side effects are explained this many at a time, and
#: the clock is read between groups (a group that has started always finishes).
EXPLAIN_TIME_LIMIT_S = 30.0
EXPLAIN_GROUP = 3


class ExplainInputError(ValueError):
    """A user-caused problem (bad SMILES, unknown side effect); the message says what to do."""


class UnknownSideEffectError(ExplainInputError):
    """A side-effect name the model does not know."""


class ExplainTimeoutError(ExplainInputError):
    """An explanation that ran past its time limit (a busy server, many side effects)."""


@dataclass
class Explanation:
    """Attributions of one molecule's outputs for ``side_effects``.

    ``attributions`` (n_side_effects, n_features): SHAP value of every model input, in
    output units (probability or frequency class). Tables: :meth:`atoms`,
    :meth:`substructures`, :meth:`non_structural`, :meth:`summary`.
    """

    smiles: str
    parent_smiles: str
    mol: Chem.Mol
    output: str
    side_effects: list[str]
    side_effect_indices: list[int]
    values: np.ndarray  # (s,) model output
    expected_values: np.ndarray  # (s,) mean output over the background
    attributions: np.ndarray  # (s, n_features)
    inputs: np.ndarray  # (n_features,)
    layout: adapter.InputLayout
    bits: BitMap
    all_side_effects: list[str]
    raw_descriptors: np.ndarray | None = None

    @property
    def additivity_error(self) -> np.ndarray:
        """(s,) sum of attributions minus (output - expected output)."""
        return self.attributions.sum(1) - (self.values - self.expected_values)

    def check(self, tolerance: float = ADDITIVITY_TOLERANCE) -> None:
        """Raise ``AssertionError`` when attributions do not add up within ``tolerance``."""
        worst = float(np.abs(self.additivity_error).max())
        if worst > tolerance:
            raise AssertionError(f"SHAP values miss the output by {worst:.2e} > {tolerance:.0e}")

    def atom_contributions(self) -> np.ndarray:
        """(s, n_atoms) float64: each set bit's attribution shared over its atoms."""
        share = share_matrix(self.mol, self.bits)
        return self.attributions[:, self.layout.bits].astype(np.float64) @ share.T

    def atoms(self) -> pd.DataFrame:
        """One row per side effect x atom: atom_index, element, contribution."""
        contributions = self.atom_contributions()
        elements = [a.GetSymbol() for a in self.mol.GetAtoms()]
        n_atoms = len(elements)
        return pd.DataFrame(
            {
                "side_effect": np.repeat(self.side_effects, n_atoms),
                "output": self.output,
                "atom_index": np.tile(np.arange(n_atoms), len(self.side_effects)),
                "element": np.tile(elements, len(self.side_effects)),
                "contribution": contributions.ravel(),
            }
        )

    def substructures(self) -> pd.DataFrame:
        """One row per side effect x (set bit, distinct environment), by |contribution|.

        ``contribution``: the bit's attribution times the share of its occurrences that
        have this SMARTS (so rows sum to the summed set-bit attributions);
        ``atoms``: atoms of the first occurrence; ``center``/``radius`` of that occurrence.
        """
        rows = []
        for bit, occurrences in self.bits.environments.items():
            by_smarts: dict[str, list] = {}
            for env in occurrences:
                by_smarts.setdefault(environment_smarts(self.mol, env), []).append(env)
            for smarts, envs in by_smarts.items():
                share = len(envs) / len(occurrences)
                for k, name in enumerate(self.side_effects):
                    rows.append(
                        {
                            "side_effect": name,
                            "output": self.output,
                            "bit": bit,
                            "smarts": smarts,
                            "radius": envs[0].radius,
                            "center": envs[0].center,
                            "atoms": envs[0].atoms,
                            "bonds": envs[0].bonds,
                            "n_occurrences": len(envs),
                            "contribution": float(self.attributions[k, bit]) * share,
                        }
                    )
        table = pd.DataFrame(rows)
        if table.empty:
            return table
        order = table["contribution"].abs().sort_values(ascending=False, kind="stable").index
        table = table.loc[order]
        table = table.sort_values("side_effect", kind="stable", key=_order_of(self.side_effects))
        return table.reset_index(drop=True)

    def non_structural(self) -> pd.DataFrame:
        """Inputs that are not atoms: descriptors by name, the similarity prior, absent bits.

        ``kind``: ``descriptor`` (``value`` raw, ``scaled`` as the model sees it),
        ``knn_prior`` (label prior from the nearest training drugs, one row per side
        effect whose prior column moves this output), ``absent_bits`` (the summed
        attribution of fingerprint bits this molecule does not set).
        """
        lay = self.layout
        names = lay.descriptor_names()
        raw = self.raw_descriptors
        knn = lay.knn_association if self.output == "association" else lay.knn_frequency
        absent = self.bits.fingerprint == 0
        rows = []
        for k, side_effect in enumerate(self.side_effects):
            phi = self.attributions[k]
            for j, name in enumerate(names):
                column = lay.descriptors.start + j
                rows.append(
                    {
                        "side_effect": side_effect,
                        "output": self.output,
                        "feature": name,
                        "kind": "descriptor",
                        "value": float(raw[j]) if raw is not None else np.nan,
                        "scaled": float(self.inputs[column]),
                        "contribution": float(phi[column]),
                    }
                )
            if lay.use_knn:
                prior = phi[knn]
                for j in np.flatnonzero(prior):
                    rows.append(
                        {
                            "side_effect": side_effect,
                            "output": self.output,
                            "feature": f"similarity prior: {self.all_side_effects[j]}",
                            "kind": "knn_prior",
                            "value": float(self.inputs[knn.start + j]),
                            "scaled": float(self.inputs[knn.start + j]),
                            "contribution": float(prior[j]),
                        }
                    )
            rows.append(
                {
                    "side_effect": side_effect,
                    "output": self.output,
                    "feature": f"fingerprint bits not set ({int(absent.sum())})",
                    "kind": "absent_bits",
                    "value": 0.0,
                    "scaled": 0.0,
                    "contribution": float(phi[lay.bits][absent].sum()),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """Per side effect: output, expected output, and where the difference goes."""
        lay = self.layout
        present = self.bits.fingerprint.astype(bool)
        bit_phi = self.attributions[:, lay.bits]
        knn_phi = self.attributions[:, lay.knn_association.start :].sum(1)
        return pd.DataFrame(
            {
                "side_effect": self.side_effects,
                "side_effect_index": self.side_effect_indices,
                "output": self.output,
                "value": self.values,
                "expected_value": self.expected_values,
                "atoms": bit_phi[:, present].sum(1),
                "absent_bits": bit_phi[:, ~present].sum(1),
                "descriptors": self.attributions[:, lay.descriptors].sum(1),
                "knn_prior": knn_phi,
                "additivity_error": self.additivity_error,
            }
        )

    def to_json(self) -> dict:
        """Per-atom contributions and the summary, as plain JSON-able data."""
        contributions = self.atom_contributions()
        summary = self.summary()
        return {
            "smiles": self.smiles,
            "parent_smiles": self.parent_smiles,
            "output": self.output,
            "atoms": [{"index": a.GetIdx(), "element": a.GetSymbol()} for a in self.mol.GetAtoms()],
            "side_effects": [
                {
                    "name": name,
                    "index": int(self.side_effect_indices[k]),
                    "value": float(self.values[k]),
                    "expected_value": float(self.expected_values[k]),
                    "absent_bits": float(summary["absent_bits"].iloc[k]),
                    "descriptors": float(summary["descriptors"].iloc[k]),
                    "knn_prior": float(summary["knn_prior"].iloc[k]),
                    "additivity_error": float(summary["additivity_error"].iloc[k]),
                    "atom_contributions": [float(v) for v in contributions[k]],
                }
                for k, name in enumerate(self.side_effects)
            ],
        }


def _order_of(names: list[str]):
    rank = {name: i for i, name in enumerate(names)}
    return lambda column: column.map(rank)


class Explainer:
    """Explains a :class:`~sefreq.model.predictor.Predictor`'s outputs; reuse it.

    Build from a predictor, or from a bundle directory (default: the bundled model).
    """

    def __init__(
        self,
        predictor=None,
        bundle_dir: str | Path | None = None,
        n_background: int = N_BACKGROUND,
        seed: int = BACKGROUND_SEED,
        cache: bool = True,
    ) -> None:
        if predictor is None:
            bundle_dir = Path(bundle_dir) if bundle_dir is not None else model_dir()
            predictor = Predictor.from_directory(bundle_dir)
        self.predictor = predictor
        self.ensemble = predictor.ensemble
        self.layout = adapter.layout(self.ensemble)
        self.side_effect_names = list(self.ensemble.side_effect_names)
        self._bundle_dir = bundle_dir
        self.n_background = n_background
        self.seed = seed
        self._cache = cache
        self._background: np.ndarray | None = None

    @functools.cached_property
    def bundle_sha(self) -> str:
        """sha256 of the model's weights (keys the background cache)."""
        return adapter.bundle_sha(self.ensemble, self._bundle_dir)

    @property
    def background(self) -> np.ndarray:
        """(n_background, n_features) float32 inputs of the background training drugs."""
        if self._background is None:
            self._background = self._load_background()
        return self._background

    def _load_background(self) -> np.ndarray:
        path = None
        if self._cache:
            name = f"background-{self.bundle_sha[:16]}-n{self.n_background}-s{self.seed}.npy"
            path = cache_dir() / "explain" / name
            cached = read_verified(path, np.load)  # a damaged file is rebuilt below
            if cached is not None and cached.shape[1] == self.layout.n_features:
                return cached
        background = background_inputs(self.ensemble, self.n_background, self.seed)
        if path is not None:
            write_verified(path, lambda tmp: np.save(tmp, background))
        return background

    def resolve(self, side_effects: str | int | Sequence[str | int]) -> list[int]:
        """Side-effect indices (Galeano order) of names (any case) or indices."""
        return resolve_side_effects(side_effects, self.side_effect_names)

    def top_side_effects(self, smiles: str, k: int = 1) -> list[int]:
        """Indices of the ``k`` side effects with the highest P(association) for ``smiles``."""
        parent = _parent_or_raise(smiles)
        output = self.ensemble.predict_arrays([parent], structure_only=True)
        return [int(j) for j in np.argsort(-output.p_association[0], kind="stable")[:k]]

    def attributions(
        self,
        inputs: np.ndarray,
        side_effect_indices: Sequence[int],
        output: str = "association",
        time_limit: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SHAP values of flat ``inputs`` (n, n_features) for the selected outputs.

        Returns ``(values (n, s), expected (s,), attributions (n, s, n_features))``. Side
        effects are explained :data:`EXPLAIN_GROUP` at a time (DeepLIFT treats each output
        on its own, so grouping changes no value); past ``time_limit`` seconds the next group
        is not started and :class:`ExplainTimeoutError` says how far it got.
        """
        indices = list(side_effect_indices)
        start = time.monotonic()
        parts = []
        for first in range(0, len(indices), EXPLAIN_GROUP):
            elapsed = time.monotonic() - start
            if parts and time_limit is not None and elapsed > time_limit:
                raise ExplainTimeoutError(
                    f"The explanation stopped after {elapsed:.0f} s, the limit being "
                    f"{time_limit:.0f} s ({first} of {len(indices)} side effects done). The "
                    "server may be busy: try again, or explain fewer side effects at once."
                )
            group = indices[first : first + EXPLAIN_GROUP]
            module = adapter.EnsembleOutputModule(self.ensemble, group, output)
            parts.append(deep_shap(module, inputs, self.background))
        return (
            np.concatenate([p[0] for p in parts], axis=1),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts], axis=1),
        )

    def explain(
        self,
        smiles: str,
        side_effects: str | int | Sequence[str | int] | None = None,
        output: str = "association",
        time_limit: float | None = EXPLAIN_TIME_LIMIT_S,
    ) -> Explanation:
        """Explain ``output`` (``association`` or ``frequency``) of ``smiles``.

        ``side_effects``: names or indices; default the top predicted side effect.
        ``time_limit``: seconds after which no further side effect is started
        (:class:`ExplainTimeoutError`); None for no limit.
        """
        if output not in adapter.OUTPUTS:
            raise ExplainInputError(f"output must be one of {adapter.OUTPUTS}, not {output!r}")
        parent = _parent_or_raise(smiles)
        indices = (
            self.top_side_effects(parent) if side_effects is None else self.resolve(side_effects)
        )
        mol = Chem.MolFromSmiles(parent)
        bits = bit_map(mol, n_bits=self.layout.n_bits)
        inputs = adapter.model_inputs(self.ensemble, [parent])
        if not np.array_equal(inputs[0, self.layout.bits], bits.fingerprint):
            raise RuntimeError("explanation fingerprint differs from the model's fingerprint")
        values, expected, phi = self.attributions(inputs, indices, output, time_limit)

        names = self.ensemble.descriptor_names
        raw = descriptors([parent], names)[0] if self.layout.n_descriptors == len(names) else None
        return Explanation(
            smiles=smiles,
            parent_smiles=parent,
            mol=mol,
            output=output,
            side_effects=[self.side_effect_names[j] for j in indices],
            side_effect_indices=indices,
            values=values[0],
            expected_values=expected,
            attributions=phi[0],
            inputs=inputs[0],
            layout=self.layout,
            bits=bits,
            all_side_effects=self.side_effect_names,
            raw_descriptors=raw,
        )


def deep_shap(
    module: torch.nn.Module, inputs: np.ndarray, background: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DeepLIFT-SHAP of ``module`` at ``inputs`` (n, F) against ``background`` (b, F).

    Returns ``(values (n, s), expected (s,), attributions (n, s, F))``. shap's own
    additivity check is off (see :meth:`Explanation.check`).
    """
    import warnings

    with warnings.catch_warnings():  # shap's colour maps warn on import with new matplotlib
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap

    x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32))
    reference = torch.from_numpy(np.ascontiguousarray(background, dtype=np.float32))
    explainer = shap.DeepExplainer(module, reference)
    phi = explainer.shap_values(x, check_additivity=False)  # (n, F, s) or (n, F)
    phi = np.asarray(phi)
    if phi.ndim == 2:
        phi = phi[:, :, None]
    with torch.no_grad():
        values = module(x).numpy()
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))
    return values.astype(np.float64), expected, np.moveaxis(phi, 2, 1).astype(np.float64)


def background_inputs(ensemble, n: int = N_BACKGROUND, seed: int = BACKGROUND_SEED) -> np.ndarray:
    """(n, n_features) float32 flat inputs of a seeded sample of the model's training drugs.

    Fingerprints are the training drugs' own (stored in the bundle); descriptors sit at the
    training median (0 after the model's robust scaling: the bundle keeps no training
    structures); each drug's kNN prior leaves the drug itself out, as in training.
    """
    reference = ensemble.reference_fingerprints
    rows = np.sort(np.random.default_rng(seed).permutation(len(reference))[:n])
    scaled = np.zeros((len(rows), ensemble.config.n_descriptors), dtype=np.float32)
    kernel = getattr(ensemble, "reference_kernel_fingerprints", None)
    kernel = None if kernel is None else {k: v[rows] for k, v in kernel.items()}
    inputs = ModelInputs(reference[rows], scaled, np.ones(len(rows), dtype=bool), kernel)
    return adapter.flat_inputs(ensemble, inputs, rows)


def resolve_side_effects(
    side_effects: str | int | Sequence[str | int], names: Sequence[str]
) -> list[int]:
    """Indices of side effects given by name (case-insensitive) or index.

    Raises :class:`UnknownSideEffectError` naming close matches for an unknown name.
    """
    if isinstance(side_effects, str | int | np.integer):
        side_effects = [side_effects]
    lookup = {name.casefold(): i for i, name in enumerate(names)}
    indices = []
    for item in side_effects:
        if isinstance(item, int | np.integer):
            if not 0 <= int(item) < len(names):
                raise UnknownSideEffectError(
                    f"side-effect index {item} is out of range 0..{len(names) - 1}"
                )
            indices.append(int(item))
            continue
        key = str(item).strip().casefold()
        if key not in lookup:
            close = difflib.get_close_matches(key, list(lookup), n=5, cutoff=0.6)
            hint = (
                "did you mean: " + ", ".join(repr(names[lookup[c]]) for c in close) + "?"
                if close
                else "use a MedDRA preferred term the model knows (see Predictor.side_effects)."
            )
            raise UnknownSideEffectError(f"unknown side effect {str(item)!r}; {hint}")
        indices.append(lookup[key])
    if not indices:
        raise UnknownSideEffectError("no side effect given")
    return list(dict.fromkeys(indices))


def _parent_or_raise(smiles: str) -> str:
    try:
        return adapter.parent_smiles(smiles)
    except ValueError as error:
        raise ExplainInputError(str(error)) from None


@functools.lru_cache(maxsize=2)
def default_explainer() -> Explainer:
    """An :class:`Explainer` of the bundled model, built once per process."""
    return Explainer()


def explain(
    smiles: str,
    side_effects: str | int | Sequence[str | int] | None = None,
    output: str = "association",
    explainer: Explainer | None = None,
) -> Explanation:
    """Explain the bundled model's (or ``explainer``'s) ``output`` for ``smiles``."""
    return (explainer or default_explainer()).explain(smiles, side_effects, output)
