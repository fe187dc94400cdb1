"""The public face of the model: ``Predictor.from_bundled().predict(smiles)``."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sefreq.chem.budget import MoleculeBudget
from sefreq.model.artifact import ModelCard, held_out_evaluation, model_dir
from sefreq.model.bundle import EnsembleOutput, SEFreqEnsemble
from sefreq.model.columns import (
    BAND_LABELS,
    COLUMNS,
    FORM_COLUMNS,
    SET_LABELS,
    TOP_K_COLUMNS,
    long_arrays,
    top_k_arrays,
)


@dataclass(frozen=True)
class FrameForm:
    """A form :meth:`Predictor.predict` returns. A new form is one entry of :data:`FORMATS`
    (its columns one entry of :data:`sefreq.model.columns.FORM_COLUMNS`).

    ``build(predictor, output, ids, smiles, k)``: the DataFrame of a batch's predictions;
    ``takes_k``: the form keeps the ``k`` most likely side effects of each molecule.
    """

    name: str
    build: Callable[..., pd.DataFrame]
    takes_k: bool = False


#: The output forms of :meth:`Predictor.predict`, by name.
FORMATS: dict[str, FrameForm] = {
    form.name: form
    for form in (
        FrameForm("long", lambda p, out, ids, smiles, k: p._long_table(out, ids, smiles)),
        FrameForm("wide", lambda p, out, ids, smiles, k: p._wide_table(out, ids, smiles)),
        FrameForm(
            "top_k", lambda p, out, ids, smiles, k: p._top_k_table(out, ids, smiles, k), True
        ),
    )
}


def form_key(format: object) -> str:
    """A form's name as :data:`FORMATS` keys it: "top-k", "TOP_K" -> "top_k"."""
    return str(format).replace("-", "_").lower()


class Predictor:
    """Side-effect profiles of molecules from their structure alone.

    Build it from the bundled model (:meth:`from_bundled`) or from any bundle directory
    (:meth:`from_directory`), then call :meth:`predict`.
    """

    def __init__(self, ensemble: SEFreqEnsemble, evaluation: dict | None = None) -> None:
        self.ensemble = ensemble
        #: The bundle's held-out figures (:func:`~sefreq.model.artifact.held_out_evaluation`).
        self.evaluation: dict = dict(evaluation or {})
        names = ensemble.side_effect_names
        organs = ensemble.card.side_effect_organ_classes or [[] for _ in names]
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
        """A model from any bundle directory (``weights.safetensors`` + ``card.json``), with
        its held-out figures where the bundle has them."""
        return cls(SEFreqEnsemble.load(directory), held_out_evaluation(directory))

    @property
    def card(self) -> ModelCard:
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
    def side_effect_names(self) -> np.ndarray:
        """The 994 side-effect names in Galeano order (object array)."""
        return self._side_effect_names

    @property
    def organ_texts(self) -> np.ndarray:
        """Each side effect's organ classes, joined by "|" (object array, Galeano order)."""
        return self._organ_text

    @property
    def reference_names(self) -> np.ndarray:
        """Names of the training drugs, as ``nearest_drug`` gives them (object array)."""
        return self._reference_names

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
        format: str = "long",
        k: int = 10,
        structure_only: bool = False,
    ) -> pd.DataFrame:
        """Side-effect profiles of ``smiles``, in one of three forms (:data:`FORMATS`).

        ``structure_only``: treat every molecule as new. By default a molecule that is a
        compound with known proteins (DrugBank, DrugCentral; matched by the first block of
        its InChIKey) reads them; otherwise, and with this flag, its predicted ones.

        - ``"long"``: one row per molecule x side effect (Galeano order), :data:`COLUMNS`;
        - ``"wide"``: one row per molecule: :data:`MOLECULE_COLUMNS`, then
          ``p_association:<side effect>`` (float32) and ``frequency_class:<side effect>``
          (uint8, 1..5) for each of the 994, in Galeano order;
        - ``"top_k"``: the ``k`` most likely side effects of each molecule, ranked
          (:data:`TOP_K_COLUMNS`).

        ``ids`` (one per molecule) are carried through; default 0..n-1. A SMILES that
        cannot be read gives one row with NaN scores and the reason in ``error`` (long:
        ``side_effect_index`` -1) instead of raising for the whole batch; so does a molecule
        that took longer than :data:`~sefreq.chem.budget.MOLECULE_TIME_LIMIT_S` to featurise
        or ran out of memory doing it (:class:`~sefreq.chem.budget.MoleculeBudget`). Rows
        follow the input order.
        """
        build = self._builder(format, k)
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of at least 1, not {batch_size!r}")
        if isinstance(smiles, str):
            smiles = [smiles]
        if smiles is None or isinstance(smiles, bytes | bytearray) or not _iterable(smiles):
            raise TypeError(
                "smiles must be a SMILES string or a sequence of them, not "
                f"{type(smiles).__name__}" + (" (decode bytes first)" if smiles else "")
            )
        smiles = list(smiles)
        ids = list(range(len(smiles))) if ids is None else list(ids)
        if len(ids) != len(smiles):
            raise ValueError(
                f"{len(ids)} ids for {len(smiles)} molecules: give one id per molecule"
            )
        budget = MoleculeBudget(len(smiles))
        parsed = [budget.parse(i, s) for i, s in enumerate(smiles)]
        parents, mols, errors = zip(*parsed, strict=True) if smiles else ((), (), ())
        errors = list(errors)
        ok = [i for i, e in enumerate(errors) if e is None]
        frames, rows_per_molecule = [], []
        starts = range(0, len(ok), batch_size)
        for start in tqdm(starts, desc="predicting", disable=not progress or len(starts) < 2):
            rows = ok[start : start + batch_size]
            rows_budget = budget.subset(rows)
            output = self.ensemble.predict_arrays(
                [parents[i] for i in rows],
                batch_size=batch_size,
                mols=[mols[i] for i in rows],
                structure_only=structure_only,
                budget=rows_budget,
            )
            refused = rows_budget.refused()
            if refused.any():  # past its budget in featurisation: an error row, as if unread
                for i in np.asarray(rows)[refused]:
                    errors[i] = budget.reason(i)
                output, rows = output.take(~refused), np.asarray(rows)[~refused].tolist()
                if not rows:
                    continue
            frames.append(build(output, [ids[i] for i in rows], [smiles[i] for i in rows]))
            rows_per_molecule.append(len(frames[-1]) // max(len(rows), 1))
        ok = [i for i, e in enumerate(errors) if e is None]
        bad = [i for i, e in enumerate(errors) if e is not None]
        if bad:
            frames.append(
                self._error_rows(
                    [ids[i] for i in bad], [_echo(smiles[i]) for i in bad],
                    [errors[i] for i in bad], format,
                )
            )  # fmt: skip
        if not frames:
            return self._error_rows([], [], [], format)
        table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if bad and ok:  # back to input order (ids may repeat, so order by position)
            per = rows_per_molecule[0] if rows_per_molecule else 1
            position = np.concatenate([np.repeat(np.array(ok), per), np.array(bad)])
            table = table.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
        return table

    def predict_chunks(
        self,
        smiles: Iterable[str],
        ids: Iterable | None = None,
        chunk_size: int = 1000,
        format: str = "long",
        k: int = 10,
        structure_only: bool = False,
    ) -> Iterator[pd.DataFrame]:
        """:meth:`predict` over an iterable of any length, one DataFrame per ``chunk_size``
        molecules: screen a library from Python with bounded memory.

        >>> for frame in predictor.predict_chunks(open("library.smi"), format="top_k"):
        ...     frame.to_parquet(...)
        """
        self._builder(format, k)  # an unknown format fails before any work
        if type(chunk_size) is not int or chunk_size < 1:  # 0 would hold the whole input
            raise ValueError(f"chunk_size must be a whole number of at least 1, not {chunk_size!r}")
        ids_iter = iter(ids) if ids is not None else itertools.count()
        batch_smiles: list[str] = []
        batch_ids: list = []
        for molecule in smiles:
            batch_smiles.append(molecule.strip() if isinstance(molecule, str) else molecule)
            batch_ids.append(next(ids_iter))
            if len(batch_smiles) == chunk_size:
                yield self.predict(
                    batch_smiles, batch_ids, format=format, k=k, structure_only=structure_only
                )
                batch_smiles, batch_ids = [], []
        if batch_smiles:
            yield self.predict(
                batch_smiles, batch_ids, format=format, k=k, structure_only=structure_only
            )

    def _builder(self, format: str, k: int):
        """``build(output, ids, smiles)`` of the form named ``format`` (checked, with k)."""
        form = FORMATS.get(form_key(format))
        if form is None:
            raise ValueError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
        if form.takes_k:
            if int(k) < 1:
                raise ValueError(f"k must be at least 1, got {k}")
            k = min(int(k), len(self._side_effect_names))
        return functools.partial(form.build, self, k=k)

    def _molecule_columns(self, out: EnsembleOutput, ids: list, smiles: list[str]) -> dict:
        return {
            "id": pd.Series(ids, dtype=object),
            "smiles": pd.Series(smiles, dtype=object),
            "in_domain": out.max_similarity >= self.ensemble.ad_threshold,
            "known_mechanism": out.mechanism_known,
            "max_similarity": out.max_similarity,
            "nearest_drug": self._reference_names[out.nearest_index],
            "error": pd.Series(np.full(len(ids), None, dtype=object), dtype=object),
        }

    def _wide_table(self, out: EnsembleOutput, ids: list, smiles: list[str]) -> pd.DataFrame:
        classes = (out.class_probabilities.argmax(-1) + 1).astype(np.uint8)
        names = self._side_effect_names
        p = pd.DataFrame(out.p_association, columns=[f"p_association:{n}" for n in names])
        c = pd.DataFrame(classes, columns=[f"frequency_class:{n}" for n in names])
        head = pd.DataFrame(self._molecule_columns(out, ids, smiles))
        return pd.concat([head, p, c], axis=1)

    def _top_k_table(
        self, out: EnsembleOutput, ids: list, smiles: list[str], k: int
    ) -> pd.DataFrame:
        arrays = top_k_arrays(out, k, self.ensemble.ad_threshold)
        rows, flat = arrays.pop("molecule"), arrays["side_effect_index"]
        head = self._molecule_columns(out, ids, smiles)
        text = {
            "id": head["id"].to_numpy()[rows],
            "smiles": head["smiles"].to_numpy()[rows],
            "side_effect": self._side_effect_names[flat],
            "organ_classes": self._organ_text[flat],
            "band": BAND_LABELS[arrays["frequency_class"]],
            "conformal_set": SET_LABELS[arrays["conformal_set"]],
            "in_domain": head["in_domain"][rows],
            "known_mechanism": head["known_mechanism"][rows],
            "max_similarity": head["max_similarity"][rows],
            "nearest_drug": head["nearest_drug"][rows],
            "error": pd.Series(np.full(len(rows), None, dtype=object), dtype=object),
        }
        return pd.DataFrame({c: text[c] if c in text else arrays[c] for c in TOP_K_COLUMNS})

    def _long_table(self, out: EnsembleOutput, ids: list, smiles: list[str]) -> pd.DataFrame:
        arrays = long_arrays(out, self.ensemble.ad_threshold)
        molecule, side_effect = arrays.pop("molecule"), arrays["side_effect_index"]
        # Repeated text as categoricals over the shared codes: a million-row table stays fast.
        text = {
            "id": _categorical(molecule, ids),
            "smiles": _categorical(molecule, smiles),
            "side_effect": pd.Categorical.from_codes(side_effect, self._side_effect_categories),
            "organ_classes": _categorical(side_effect, self._organ_text),
            "band": _categorical(arrays["frequency_class"], BAND_LABELS),
            "conformal_set": _categorical(arrays["conformal_set"], SET_LABELS),
            "nearest_drug": _categorical(molecule, self._reference_names[out.nearest_index]),
            "error": pd.Series(np.full(len(molecule), None, dtype=object), dtype=object),
        }
        return pd.DataFrame({c: text[c] if c in text else arrays[c] for c in COLUMNS}, copy=False)

    def _error_rows(self, ids: list, smiles: list, errors: list[str], format: str = "long"):
        """One row per unreadable molecule in the columns of ``format``: NaN scores, no
        side effect, the reason in ``error``."""
        key = form_key(format)
        names = self._side_effect_names
        columns = FORM_COLUMNS[key](names)
        n = len(ids)
        frame = pd.DataFrame({c: np.full(n, np.nan, dtype=np.float32) for c in columns})
        frame["id"] = pd.Series(ids, dtype=object)
        frame["smiles"] = pd.Series(smiles, dtype=object)
        for column in ("side_effect", "organ_classes", "band", "conformal_set", "nearest_drug"):
            if column in frame:
                frame[column] = ""
        if "side_effect_index" in frame:
            frame["side_effect_index"] = -1
        if "frequency_class" in frame:
            frame["frequency_class"] = 0
        if "rank" in frame:
            frame["rank"] = 0
        if key == "wide":
            for name in names:
                frame[f"frequency_class:{name}"] = np.zeros(n, dtype=np.uint8)
        frame["in_domain"] = False
        frame["known_mechanism"] = False
        frame["error"] = pd.Series(errors, dtype=object)
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


def _iterable(value: object) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _echo(value: object) -> str | None:
    """A refused input as it can be written back (the ``smiles`` of its error row): text
    with any lone surrogate escaped (no file format can hold one), anything else as repr."""
    if value is None or isinstance(value, str):
        return value if value is None else value.encode("utf-8", "backslashreplace").decode()
    return repr(value)
