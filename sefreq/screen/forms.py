"""The output forms of ``sefreq predict`` and how a chunk becomes an Arrow table of one.

A form is one :class:`OutputForm` entry of :data:`FORMS`: its numpy columns
(:mod:`sefreq.model.columns`), its output columns and its chunk size.
:func:`chunk_table` builds any of them as Arrow columns straight from the ensemble's
arrays, without a pandas frame.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sefreq.chem.budget import MoleculeBudget
from sefreq.chem.io import MoleculeInputError, neutralise_cell
from sefreq.model.columns import (
    BAND_LABELS,
    FORM_COLUMNS,
    SET_LABELS,
    long_arrays,
    top_k_arrays,
    wide_arrays,
)
from sefreq.screen.reader import MoleculeChunk
from sefreq.screen.writer import FILE_TYPES


@dataclass(frozen=True)
class ScreenSettings:
    """What every chunk is predicted and written with (the same on every worker)."""

    format: str = "long"
    k: int = 10
    columns: tuple[str, ...] = ()  # output columns to keep; empty: all
    keep: tuple[str, ...] = ()  # input columns carried through
    suffix: str = ".parquet"  # the output's file type, an entry of FILE_TYPES
    structure_only: bool = False  # every molecule read as new (its predicted mechanism)

    @property
    def neutralise(self) -> bool:
        """Text cells a spreadsheet would run as formulas are quoted (:class:`FileType`)."""
        return FILE_TYPES[self.suffix].neutralise


@dataclass(frozen=True)
class OutputForm:
    """An output form of ``sefreq predict``; a new form is one entry of :data:`FORMS`.

    ``arrays(predictor, output, settings)``: its columns for the readable molecules of a
    chunk, as flat numpy arrays with ``molecule`` (row -> molecule) among them
    (:mod:`sefreq.model.columns`); ``chunk_size``: molecules per chunk by default. Its
    columns are those :meth:`Predictor.predict` gives the form
    (:data:`sefreq.model.columns.FORM_COLUMNS`).
    """

    name: str
    arrays: Callable[..., dict[str, np.ndarray]]
    chunk_size: int

    def columns(self, side_effect_names: Sequence[str]) -> tuple[str, ...]:
        """The output columns after ``id`` and ``smiles``, in order."""
        return FORM_COLUMNS[self.name](side_effect_names)[2:]


FORMS: dict[str, OutputForm] = {
    form.name: form
    for form in (
        # Chunk sizes keep a worker under 1 GB: its model takes about 0.75 GB, and a chunk's
        # outputs over the 994 side effects about 0.17 MB a molecule (20,000 molecules,
        # batch_speed.py: top-k at 1,000 a chunk peaked at 1,011 MB, at 500 at 932 MB, at the
        # same speed). A long chunk holds 994 rows per molecule.
        OutputForm(
            "long", lambda predictor, out, settings: long_arrays(out, predictor.ad_threshold), 200
        ),
        OutputForm(
            "wide",
            lambda predictor, out, settings: wide_arrays(
                out, predictor.side_effect_names, predictor.ad_threshold
            ),
            500,
        ),
        OutputForm(
            "top_k",
            lambda predictor, out, settings: top_k_arrays(
                out, min(settings.k, len(predictor.side_effect_names)), predictor.ad_threshold
            ),
            500,
        ),
    )
}

#: Text columns of the forms: (the column of their codes, the code of an unreadable row).
TEXT_COLUMNS = {
    "side_effect": ("side_effect_index", -1),
    "organ_classes": ("side_effect_index", -1),
    "band": ("frequency_class", 0),
    "conformal_set": ("conformal_set", 0),
}
#: The value of a number column on an unreadable molecule's row (floats: null; others 0).
FILL = {"side_effect_index": -1}


def chunk_table(predictor, chunk: MoleculeChunk, settings: ScreenSettings) -> tuple[pa.Table, int]:
    """One chunk's predictions as an Arrow table, and how many of its molecules could not
    be read. The form's columns, with ``input_row`` (0-based position in the input) after
    ``id`` and the carried columns after ``smiles``; rows and values as
    :meth:`Predictor.predict` gives them (an unreadable molecule: one row, null scores,
    empty labels, the reason in ``error``).

    Built as columns straight from the ensemble's arrays: text as dictionaries with one
    fixed vocabulary (every part of a run keeps one schema), a molecule's id and text
    taken onto its rows by index. No pandas frame and no Python loop over rows: built as
    pandas objects, the long form's 994 rows per molecule held it at 0.05 of the RDKit
    floor (#24)."""
    form = FORMS[settings.format]
    budget = MoleculeBudget(len(chunk))  # each molecule's time (and memory) to featurise
    parsed = [
        budget.parse(i, s) if e is None else (None, None, e)
        for i, (s, e) in enumerate(zip(chunk.smiles, chunk.errors, strict=True))
    ]
    ok = np.array([p[2] is None for p in parsed], dtype=bool)
    readable = np.flatnonzero(ok)
    readable_budget = budget.subset(readable)
    out = predictor.ensemble.predict_arrays(
        [parsed[i][0] for i in readable],
        mols=[parsed[i][1] for i in readable],
        structure_only=settings.structure_only,
        budget=readable_budget,
    )
    refused = readable_budget.refused()
    if refused.any():  # past its budget in featurisation: an error row, as if unread
        for i in readable[refused]:
            parsed[i] = (None, None, budget.reason(i))
        ok[readable[refused]] = False
        out, readable = out.take(~refused), readable[~refused]
    arrays = form.arrays(predictor, out, settings)
    nearest = np.full(len(chunk), "", dtype=object)
    nearest[readable] = predictor.reference_names[out.nearest_index]
    counts = np.ones(len(chunk), dtype=np.int64)
    counts[readable] = np.bincount(arrays.pop("molecule"), minlength=len(readable))
    molecule = np.repeat(np.arange(len(chunk)), counts)
    good = np.repeat(ok, counts)

    def spread(name: str, fill=None) -> np.ndarray:
        """The readable molecules' values, ``fill`` on the unreadable ones' rows."""
        values = arrays[name]
        if ok.all():
            return values
        if fill is None:
            fill = np.nan if values.dtype.kind == "f" else FILL.get(name, 0)
        full = np.full(len(molecule), fill, dtype=values.dtype)
        full[good] = values
        return full

    def per_molecule(values, large: bool = False) -> pa.Array:
        """One value per molecule, repeated on its rows by index. The input's text is
        large_string, as pandas' str columns made it."""
        array = pa.array(_cells(values, settings.neutralise), from_pandas=True)
        if pa.types.is_null(array.type) or pa.types.is_string(array.type):
            array = array.cast(pa.large_string() if large else pa.string())
        return array.take(molecule)

    vocabulary = _vocabulary(predictor, settings.neutralise)
    columns = {
        "id": per_molecule(chunk.ids, large=True),
        "input_row": pa.array(chunk.first_row + molecule),
        "smiles": per_molecule(chunk.smiles, large=True),
        # The names come from the user (--keep) and the input's header: a CSV neutralises
        # them as it does the cells.
        **{
            _cells([name], settings.neutralise)[0]: per_molecule(values, large=True)
            for name, values in chunk.columns.items()
        },
    }
    for name in form.columns(predictor.side_effect_names):
        if name == "nearest_drug":
            columns[name] = per_molecule(nearest)
        elif name == "error":
            columns[name] = per_molecule([p[2] for p in parsed])
        elif name in TEXT_COLUMNS:
            codes, fill = TEXT_COLUMNS[name]
            columns[name] = _dictionary(vocabulary[name], spread(codes, fill))
        else:  # floats: NaN (an unreadable row's) as null, as pandas wrote them
            columns[name] = pa.array(spread(name), from_pandas=True)
    table = pa.table(columns)
    if settings.columns:
        table = table.select(select_columns(table.column_names, settings.columns))
    return table, int((~ok).sum())


@functools.lru_cache(maxsize=8)
def _vocabulary(predictor, neutralise: bool) -> dict[str, tuple[pa.Array, np.ndarray]]:
    """Per text column, its dictionary and each code's entry in it, made once per model;
    the last code (-1) is an unreadable row's "" (for CSV, entries a spreadsheet would read
    as a formula are neutralised)."""
    names = np.append(predictor.side_effect_names, "")
    organs, organ_codes = np.unique(np.append(predictor.organ_texts, "").astype(str),
                                    return_inverse=True)  # fmt: skip
    plain = np.arange(len(names))
    return {
        "side_effect": (pa.array(_cells(names, neutralise), pa.string()), plain),
        "organ_classes": (pa.array(_cells(organs, neutralise), pa.string()), organ_codes),
        "band": (
            pa.array(_cells(BAND_LABELS, neutralise), pa.string()),
            np.arange(len(BAND_LABELS)),
        ),
        "conformal_set": (
            pa.array(_cells(SET_LABELS, neutralise), pa.string()),
            np.arange(len(SET_LABELS)),
        ),
    }


def _dictionary(vocabulary: tuple[pa.Array, np.ndarray], codes: np.ndarray) -> pa.Array:
    """Text as int32 indices into a fixed dictionary (every chunk has the same one)."""
    dictionary, entry = vocabulary
    return pa.DictionaryArray.from_arrays(pa.array(entry[codes].astype(np.int32)), dictionary)


def _cells(values, neutralise: bool) -> list:
    """``values`` as a list; for CSV, opened in spreadsheets, no cell may start a formula."""
    return [neutralise_cell(v) for v in values] if neutralise else list(values)


def select_columns(available: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The output columns named by ``wanted``, in output order: an exact name, or the
    group of a wide form (``p_association`` keeps every ``p_association:<side effect>``).
    ``id`` and ``input_row`` always stay (resume and joins need them)."""
    keys = {w.strip() for w in wanted if w.strip()}
    unknown = [
        w for w in keys if w not in available and not any(a.startswith(f"{w}:") for a in available)
    ]
    if unknown:
        shown = [a for a in available if ":" not in a]
        groups = sorted({a.split(":", 1)[0] for a in available if ":" in a})
        raise MoleculeInputError(
            f"unknown output column(s) {', '.join(sorted(unknown))}; choose from "
            f"{', '.join([*shown, *groups])}"
        )
    keep = {"id", "input_row"} | keys
    return [a for a in available if a in keep or a.split(":", 1)[0] in keep]
