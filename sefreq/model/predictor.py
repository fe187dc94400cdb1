"""The public face of the model: ``Predictor.from_bundled().predict(smiles)``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sefreq.chem.standardize import model_structure
from sefreq.constants import FREQUENCY_BANDS
from sefreq.model.artifact import model_dir
from sefreq.model.bundle import EnsembleOutput, SEFreqEnsemble

#: Columns of :meth:`Predictor.predict`, in order.
COLUMNS = (
    "id",
    "smiles",
    "side_effect_index",
    "side_effect",
    "organ_classes",
    "p_association",
    "p_class_1",
    "p_class_2",
    "p_class_3",
    "p_class_4",
    "p_class_5",
    "expected_frequency",
    "frequency_class",
    "band",
    "uncertainty",
    "frequency_spread",
    "conformal_set",
    "in_domain",
    "max_similarity",
    "nearest_drug",
    "error",
)

# Conformal sets are 5-bit masks (bit c-1 = class c); their labels, precomputed.
_SET_LABELS = np.array(
    [",".join(str(c) for c in range(1, 6) if mask >> (c - 1) & 1) for mask in range(32)],
    dtype=object,
)
_BAND_LABELS = np.array([""] + [FREQUENCY_BANDS[c].label for c in range(1, 6)], dtype=object)


class Predictor:
    """Side-effect profiles of molecules from their structure alone.

    Build it from the bundled model (:meth:`from_bundled`) or from any bundle directory
    (:meth:`from_directory`), then call :meth:`predict`.
    """

    def __init__(self, ensemble: SEFreqEnsemble) -> None:
        self.ensemble = ensemble
        card = ensemble.card
        names = ensemble.side_effect_names
        organs = card.get("side_effect_organ_classes") or [[] for _ in names]
        self._side_effect_names = np.array(names, dtype=object)
        self._organ_text = np.array(["|".join(o) for o in organs], dtype=object)
        self._reference_names = np.array(ensemble.reference_names, dtype=object)
        # Side-effect names are unique: a fixed categorical vocabulary in Galeano order.
        self._side_effect_categories = pd.Index(names)

    @classmethod
    def from_bundled(cls) -> Predictor:
        """The model to use: ``$SEFREQ_MODEL_DIR`` if set, else the one shipped with the package
        (:func:`sefreq.model.artifact.model_dir`)."""
        return cls.from_directory(model_dir())

    @classmethod
    def from_directory(cls, directory: str | Path) -> Predictor:
        """A model from any bundle directory (``weights.safetensors`` + ``card.json``)."""
        return cls(SEFreqEnsemble.load(directory))

    @property
    def card(self) -> dict:
        """The bundle card: version, data sums, configs, calibration, benchmark figures."""
        return self.ensemble.card

    @property
    def side_effects(self) -> pd.DataFrame:
        """The 994 side effects in Galeano order: index, name, organ classes."""
        return pd.DataFrame(
            {
                "side_effect_index": np.arange(len(self._side_effect_names)),
                "side_effect": self._side_effect_names,
                "organ_classes": self._organ_text,
            }
        )

    @property
    def ad_threshold(self) -> float:
        """Max Tanimoto to a training drug below which a molecule is out of domain."""
        return self.ensemble.ad_threshold

    def predict(
        self,
        smiles: str | Sequence[str],
        ids: Sequence | None = None,
        batch_size: int = 256,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Long table: one row per molecule x side effect (Galeano order), columns :data:`COLUMNS`.

        ``ids`` (one per molecule) are carried through; default 0..n-1. A SMILES that
        cannot be read gives one row with ``side_effect_index`` -1, NaN scores and the
        reason in ``error`` instead of raising for the whole batch.
        """
        if isinstance(smiles, str):
            smiles = [smiles]
        smiles = list(smiles)
        ids = list(range(len(smiles))) if ids is None else list(ids)
        if len(ids) != len(smiles):
            raise ValueError(
                f"{len(ids)} ids for {len(smiles)} molecules: give one id per molecule"
            )
        parents, errors = (
            zip(*(model_structure(s) for s in smiles), strict=True) if smiles else ((), ())
        )
        ok = [i for i, e in enumerate(errors) if e is None]
        frames = []
        starts = range(0, len(ok), batch_size)
        for start in tqdm(starts, desc="predicting", disable=not progress or len(starts) < 2):
            rows = ok[start : start + batch_size]
            output = self.ensemble.predict_arrays([parents[i] for i in rows], batch_size=batch_size)
            frames.append(
                self._long_table(output, [ids[i] for i in rows], [smiles[i] for i in rows])
            )
        bad = [i for i, e in enumerate(errors) if e is not None]
        if bad:
            frames.append(
                self._error_rows(
                    [ids[i] for i in bad], [smiles[i] for i in bad], [errors[i] for i in bad]
                )
            )
        if not frames:
            return pd.DataFrame({c: [] for c in COLUMNS})
        table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if bad and ok:  # back to input order (ids may repeat, so order by position)
            n_se = len(self._side_effect_names)
            position = np.concatenate([np.repeat(np.array(ok), n_se), np.array(bad)])
            table = table.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
        return table

    def _long_table(self, out: EnsembleOutput, ids: list, smiles: list[str]) -> pd.DataFrame:
        n, n_se = out.p_association.shape
        probabilities = out.class_probabilities.reshape(n * n_se, 5)
        frequency_class = probabilities.argmax(1) + 1
        in_domain = out.max_similarity >= self.ensemble.ad_threshold
        # Repeated text as categoricals: building a million-row table stays fast.
        molecule = np.repeat(np.arange(n), n_se)
        side_effect = np.tile(np.arange(n_se), n)
        columns = {
            "id": _categorical(molecule, ids),
            "smiles": _categorical(molecule, smiles),
            "side_effect_index": side_effect,
            "side_effect": pd.Categorical.from_codes(side_effect, self._side_effect_categories),
            "organ_classes": _categorical(side_effect, self._organ_text),
            "p_association": out.p_association.ravel(),
        }
        for c in range(5):
            columns[f"p_class_{c + 1}"] = probabilities[:, c]
        columns.update(
            {
                "expected_frequency": out.expected_frequency.ravel(),
                "frequency_class": frequency_class,
                "band": _categorical(frequency_class, _BAND_LABELS),
                "uncertainty": out.uncertainty.ravel(),
                "frequency_spread": out.frequency_spread.ravel(),
                "conformal_set": _categorical(out.conformal_sets.ravel(), _SET_LABELS),
                "in_domain": np.repeat(in_domain, n_se),
                "max_similarity": np.repeat(out.max_similarity, n_se),
                "nearest_drug": _categorical(molecule, self._reference_names[out.nearest_index]),
                "error": pd.Series(np.full(n * n_se, None, dtype=object), dtype=object),
            }
        )
        return pd.DataFrame(columns, copy=False)

    def _error_rows(self, ids: list, smiles: list, errors: list[str]) -> pd.DataFrame:
        n = len(ids)
        frame = pd.DataFrame({c: np.full(n, np.nan) for c in COLUMNS})
        frame["id"] = pd.Series(ids, dtype=object)
        frame["smiles"] = pd.Series(smiles, dtype=object)
        frame["side_effect_index"] = -1
        frame["frequency_class"] = 0
        for column in ("side_effect", "organ_classes", "band", "conformal_set", "nearest_drug"):
            frame[column] = ""
        frame["in_domain"] = False
        frame["error"] = errors
        return frame


def _categorical(codes: np.ndarray, values) -> pd.Categorical:
    """``values[codes]`` as a categorical (values may repeat, so they are de-duplicated)."""
    values = list(values)
    try:
        categories, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    except TypeError:  # mixed types (e.g. int and str ids): compare as text
        categories, inverse = np.unique(np.array([str(v) for v in values], dtype=object),
                                        return_inverse=True)  # fmt: skip
    return pd.Categorical.from_codes(
        inverse.ravel()[codes], pd.Index(list(categories), dtype=object)
    )
