"""Screening a library: stream molecules from a file, predict them chunk by chunk on several
processes (or a Dask cluster), and write the result as it comes, with bounded memory.

:func:`screen` is what ``sefreq predict`` runs. Each chunk of the input
(:func:`sefreq.chem.stream.read_chunks`) becomes one *part* file, written whole and then
renamed into ``.<output>.parts/``; when every part exists they are joined into the output
(parquet row groups, or CSV), and the parts folder is removed. An interrupted run leaves
its finished parts behind, so ``resume=True`` predicts only the chunks that are missing,
after checking that the input, the settings and the model are the ones the parts were
made with (the folder's ``manifest.json``). Memory is set by the chunk size, never by the
length of the input.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sefreq.chem.io import MoleculeInputError, neutralise_cell
from sefreq.chem.standardize import model_molecule
from sefreq.chem.stream import MoleculeChunk, count_molecules, read_chunks
from sefreq.model.columns import (
    BAND_LABELS,
    COLUMNS,
    MOLECULE_COLUMNS,
    SET_LABELS,
    TOP_K_COLUMNS,
    long_arrays,
    top_k_arrays,
    wide_arrays,
)
from sefreq.model.workers import without_main_script

MANIFEST = "manifest.json"


class ResumeError(MoleculeInputError):
    """The parts of an interrupted run were made from another input, settings or model."""


@dataclass(frozen=True)
class ScreenSettings:
    """What every chunk is predicted and written with (the same on every worker)."""

    format: str = "long"
    k: int = 10
    columns: tuple[str, ...] = ()  # output columns to keep; empty: all
    keep: tuple[str, ...] = ()  # input columns carried through
    suffix: str = ".parquet"  # the output's file type, an entry of FILE_TYPES

    @property
    def neutralise(self) -> bool:
        """Text cells a spreadsheet would run as formulas are quoted (:class:`FileType`)."""
        return FILE_TYPES[self.suffix].neutralise


@dataclass
class ScreenSummary:
    """What a run did: molecules predicted now and before (resumed), unreadable ones, time."""

    output: Path
    n_molecules: int = 0
    n_resumed: int = 0
    n_errors: int = 0
    seconds: float = 0.0
    output_bytes: int = 0
    parts: int = 0
    engine: str = "processes"
    details: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Molecules per second predicted in this run (resumed ones not counted)."""
        return (self.n_molecules - self.n_resumed) / self.seconds if self.seconds else 0.0


def file_type(output: Path) -> FileType:
    """The :class:`FileType` of ``output`` by its suffix; MoleculeInputError for any other."""
    suffix = Path(output).suffix.lower()
    if suffix not in FILE_TYPES:
        raise MoleculeInputError(
            f"output must end in {' or '.join(sorted(FILE_TYPES))}, not {suffix or 'nothing'!r}"
        )
    return FILE_TYPES[suffix]


@dataclass(frozen=True)
class OutputForm:
    """An output form of ``sefreq predict``; a new form is one entry of :data:`FORMS`.

    ``arrays(predictor, output, settings)``: its columns for the readable molecules of a
    chunk, as flat numpy arrays with ``molecule`` (row -> molecule) among them
    (:mod:`sefreq.model.columns`); ``columns(side_effect_names)``: the output columns
    after ``id`` and ``smiles``, in order; ``chunk_size``: molecules per chunk by default.
    """

    name: str
    arrays: Callable[..., dict[str, np.ndarray]]
    columns: Callable[[Sequence[str]], tuple[str, ...]]
    chunk_size: int


FORMS: dict[str, OutputForm] = {
    form.name: form
    for form in (
        # A long chunk holds 994 rows per molecule.
        OutputForm(
            "long",
            lambda predictor, out, settings: long_arrays(out, predictor.ad_threshold),
            lambda names: COLUMNS[2:],
            200,
        ),
        OutputForm(
            "wide",
            lambda predictor, out, settings: wide_arrays(
                out, predictor.side_effect_names, predictor.ad_threshold
            ),
            lambda names: (
                *MOLECULE_COLUMNS[2:],
                *(f"p_association:{n}" for n in names),
                *(f"frequency_class:{n}" for n in names),
            ),
            1000,
        ),
        OutputForm(
            "top_k",
            lambda predictor, out, settings: top_k_arrays(
                out, min(settings.k, len(predictor.side_effect_names)), predictor.ad_threshold
            ),
            lambda names: TOP_K_COLUMNS[2:],
            1000,
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
    parsed = [
        model_molecule(s) if e is None else (None, None, e)
        for s, e in zip(chunk.smiles, chunk.errors, strict=True)
    ]
    ok = np.array([p[2] is None for p in parsed], dtype=bool)
    readable = np.flatnonzero(ok)
    out = predictor.ensemble.predict_arrays(
        [parsed[i][0] for i in readable], mols=[parsed[i][1] for i in readable]
    )
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
        **{name: per_molecule(values, large=True) for name, values in chunk.columns.items()},
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


# --- parts on disk ------------------------------------------------------------------------


class Parts:
    """The part files of one run, beside the output: ``.<output name>.parts/``."""

    def __init__(self, output: Path, manifest: dict, resume: bool) -> None:
        self.output = Path(output)
        self.folder = self.output.parent / f".{self.output.name}.parts"
        manifest = json.loads(json.dumps(manifest))  # as it reads back (tuples -> lists)
        self.manifest = manifest
        path = self.folder / MANIFEST
        if resume and path.is_file():
            found = json.loads(path.read_text())
            changed = sorted(
                k for k in set(found) | set(manifest) if found.get(k) != manifest.get(k)
            )
            if changed:
                raise ResumeError(
                    f"cannot resume: the unfinished run in {self.folder} was made with other "
                    f"{', '.join(changed)}; run without --resume to start again"
                )
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(manifest, indent=1))

    def path(self, index: int, suffix: str) -> Path:
        return self.folder / f"part-{index:07d}{suffix}"

    def done(self) -> dict[int, dict]:
        """{chunk index: its summary} of the parts already written whole."""
        out = {}
        for meta in self.folder.glob("part-*.json"):
            out[int(meta.stem.split("-")[1])] = json.loads(meta.read_text())
        return out

    def join(self, suffix: str) -> int:
        """Join the parts, in input order, into the output; remove the parts folder. Returns
        the output's size in bytes."""
        parts = sorted(self.folder.glob(f"part-*{suffix}"))
        tmp = self.output.with_name(f".{self.output.name}.tmp")
        if not parts:
            raise MoleculeInputError("the input holds no molecule")
        FILE_TYPES[suffix].join(parts, tmp)
        os.replace(tmp, self.output)
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.output.stat().st_size


def write_part(table: pa.Table, path: Path, summary: dict) -> None:
    """Write one part whole, then rename it into place, then its summary (the marker that
    the part is done): a killed run never leaves a half part that counts as done."""
    tmp = path.with_name(f".{path.name}.tmp")
    FILE_TYPES[path.suffix].write(table, tmp)
    os.replace(tmp, path)
    meta = path.with_suffix(".json")
    meta_tmp = meta.with_name(f".{meta.name}.tmp")
    meta_tmp.write_text(json.dumps(summary))
    os.replace(meta_tmp, meta)


def parquet_options(schema: pa.Schema) -> dict:
    """How parts and outputs are written: dictionary pages only for the columns whose
    values repeat (text, integers, flags). Tried on the float scores too, as by default,
    parquet builds a dictionary of a chunk's 200,000 distinct values and then drops it:
    a long chunk took 4x longer to write and its file was a third larger (#24)."""
    return {"use_dictionary": [f.name for f in schema if not pa.types.is_floating(f.type)]}


def _join_parquet(parts: list[Path], out: Path) -> None:
    schema = pq.read_schema(parts[0])
    with pq.ParquetWriter(out, schema, **parquet_options(schema)) as writer:
        for part in parts:  # one part in memory at a time: each becomes a row group
            table = pq.read_table(part)
            writer.write_table(table if table.schema.equals(schema) else table.cast(schema))


def _join_csv(parts: list[Path], out: Path) -> None:
    with open(out, "wb") as target:
        for number, part in enumerate(parts):
            with open(part, "rb") as source:
                if number:
                    source.readline()  # each part repeats the header
                shutil.copyfileobj(source, target, 1 << 20)


@dataclass(frozen=True)
class FileType:
    """An output file type of ``sefreq predict``; a new one is one entry of
    :data:`FILE_TYPES`. ``write(table, path)`` writes one part, ``join(parts, output)``
    joins the parts, in input order, into the output; ``neutralise``: text cells a
    spreadsheet would run as formulas are quoted."""

    suffix: str
    write: Callable[[pa.Table, Path], None]
    join: Callable[[list[Path], Path], None]
    neutralise: bool = False


FILE_TYPES: dict[str, FileType] = {
    kind.suffix: kind
    for kind in (
        FileType(
            ".parquet",
            lambda table, path: pq.write_table(table, path, **parquet_options(table.schema)),
            _join_parquet,
        ),
        # CSV opens in spreadsheets.
        FileType(".csv", lambda table, path: pa_csv.write_csv(table, path), _join_csv, True),
    )
}


# --- workers ------------------------------------------------------------------------------


@functools.cache
def _worker_predictor(model_dir: str, threads: int):
    """The model, loaded once per worker process (and per Dask worker)."""
    import torch

    from sefreq.model.predictor import Predictor

    torch.set_num_threads(max(1, threads))
    return Predictor.from_directory(model_dir)


def predict_part(
    chunk: MoleculeChunk, settings: ScreenSettings, model_dir: str, part: str, threads: int = 1
) -> dict:
    """Predict one chunk and write its part (runs in a worker). Returns its summary.

    BLAS (the similarity and the prior's products) runs on ``threads`` too: left at its
    default of one thread per core, every worker's BLAS spins up threads that fight the
    other workers for the same cores (1.4x slower on 2 cores, benchmarks/batch_speed.py).
    """
    from threadpoolctl import threadpool_limits

    predictor = _worker_predictor(model_dir, threads)
    with threadpool_limits(limits=max(1, threads)):
        table, n_errors = chunk_table(predictor, chunk, settings)
    summary = {"index": chunk.index, "molecules": len(chunk), "errors": n_errors}
    write_part(table, Path(part), summary)
    return summary


def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


# --- the run ------------------------------------------------------------------------------


def screen(
    input: Path | str,
    output: Path | str,
    *,
    model_dir: Path | str | None = None,
    format: str = "long",
    k: int = 10,
    columns: Sequence[str] = (),
    keep: Sequence[str] = (),
    smiles_column: str | None = None,
    id_column: str | None = None,
    chunk_size: int | None = None,
    jobs: int | None = None,
    resume: bool = False,
    progress: bool = True,
    scheduler: str | None = None,
    dask: bool = False,
    dask_workers: int = 2,
) -> ScreenSummary:
    """Predict every molecule of ``input`` into ``output`` (.parquet or .csv).

    ``format``: ``long``, ``wide`` or ``top_k`` (:meth:`Predictor.predict`); ``columns``:
    output columns to keep; ``keep``: input columns carried through. ``jobs`` processes
    (default: the cores), each holding the model once. ``dask`` or a ``scheduler`` address
    runs the chunks on a Dask cluster instead (``pip install sefreq[distributed]``; default
    a local cluster of ``dask_workers``). Unreadable molecules are written with their
    ``error``; they never stop the run.
    """
    from sefreq.model.artifact import CARD_FILE, check_bundle, file_sha256
    from sefreq.model.artifact import model_dir as default_model_dir

    input, output = Path(input), Path(output)
    key = str(format).replace("-", "_").lower()
    if key not in FORMS:
        raise MoleculeInputError(f"unknown format {format!r}; choose from long, wide, top-k")
    settings = ScreenSettings(key, int(k), tuple(columns), tuple(keep), file_type(output).suffix)
    chunk_size = chunk_size or FORMS[key].chunk_size
    model = str(Path(model_dir or default_model_dir()).resolve())
    card = Path(model) / CARD_FILE
    if not card.is_file():
        raise MoleculeInputError(f"no model bundle in {model} (it has no {CARD_FILE})")
    chunks = read_chunks(
        input, chunk_size, smiles_column=smiles_column, id_column=id_column, keep=keep
    )
    first = next(chunks, None)  # a bad header fails here, before any part is written
    if first is None:
        raise MoleculeInputError(f"{input.name}: the file holds no molecule")
    second = next(chunks, None)
    if second is None and not (dask or scheduler):
        jobs = 1  # one chunk: starting worker processes would cost more than it saves
    stat = input.stat()
    manifest = {
        "input": str(input.resolve()),
        "input_bytes": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "chunk_size": chunk_size,
        "settings": asdict(settings),
        "model": model,
        "model_card_sha256": file_sha256(card),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    parts = Parts(output, manifest, resume)
    done = parts.done() if resume else {}
    total = count_molecules(input) if progress else None
    engine = "dask" if (dask or scheduler) else "processes"
    jobs = jobs or _default_jobs()
    # A broken bundle fails here once, not in every worker. With workers, only its files
    # are checked here: loading it in this process too would hold up their start.
    if engine == "processes" and jobs <= 1:
        _worker_predictor(model, 1)
    else:
        check_bundle(model)  # no torch in this process: the workers start sooner
    summary = ScreenSummary(output=output, engine=engine)
    summary.n_resumed = sum(d["molecules"] for d in done.values())
    started = time.perf_counter()

    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=summary.n_resumed, unit="mol", disable=not progress,
               desc="predicting", smoothing=0.1)  # fmt: skip
    results = dict(done)

    def finished(result: dict) -> None:
        results[result["index"]] = result
        bar.update(result["molecules"])

    head = [first] if second is None else [first, second]
    todo = (c for c in _chain(head, chunks) if c.index not in done)
    run = (
        functools.partial(_run_dask, scheduler=scheduler, n_workers=dask_workers)
        if engine == "dask"
        else functools.partial(_run_processes, jobs=jobs)
    )
    try:
        summary.details = run(todo, parts, settings, model, finished) or {}
    finally:
        bar.close()
    summary.parts = len(results)
    summary.n_molecules = sum(r["molecules"] for r in results.values())
    summary.n_errors = sum(r["errors"] for r in results.values())
    summary.output_bytes = parts.join(settings.suffix)
    summary.seconds = time.perf_counter() - started
    return summary


def _chain(head: list[MoleculeChunk], rest: Iterable[MoleculeChunk]):
    yield from head
    yield from rest


def _run_processes(
    chunks: Iterable[MoleculeChunk],
    parts: Parts,
    settings: ScreenSettings,
    model: str,
    finished: Callable[[dict], None],
    jobs: int,
) -> dict:
    """Chunks on ``jobs`` worker processes (in this process when 1), at most two chunks per
    worker in flight, so reading never runs ahead of prediction."""
    # The ensemble runs its small products on one torch thread whatever this says
    # (docs/MODEL.md); one thread per worker also keeps workers from contending.
    threads = 1
    if jobs <= 1:  # the model screen() already loaded (cached) serves this process
        for chunk in chunks:
            part = str(parts.path(chunk.index, settings.suffix))
            finished(predict_part(chunk, settings, model, part, threads))
        return {"jobs": 1, "torch_threads": threads}
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no forked torch or RDKit state
    with without_main_script(), ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: set = set()
        for chunk in chunks:
            part = str(parts.path(chunk.index, settings.suffix))
            pending.add(pool.submit(predict_part, chunk, settings, model, part, threads))
            if len(pending) >= 2 * jobs:
                complete, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in complete:
                    finished(future.result())
        for future in pending:
            finished(future.result())
    return {"jobs": jobs, "torch_threads": threads}


def _run_dask(
    chunks: Iterable[MoleculeChunk],
    parts: Parts,
    settings: ScreenSettings,
    model: str,
    finished: Callable[[dict], None],
    scheduler: str | None,
    n_workers: int,
) -> dict:
    from sefreq.model.distributed import run_on_dask

    return run_on_dask(chunks, parts, settings, model, finished, predict_part, scheduler,
                       n_workers)  # fmt: skip
