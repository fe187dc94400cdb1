"""Screening a library: stream molecules from a file, predict them chunk by chunk on several
processes (or a Dask cluster), and write the result as it comes, with bounded memory.

:func:`screen` is what ``sefreq predict`` runs. Each chunk of the input
(:func:`sefreq.screen.reader.read_chunks`) becomes one *part* file, written whole and then
renamed into ``.<output>.parts/``; when every part exists they are joined into the output
(parquet row groups, or CSV), and the parts folder is removed. An interrupted run leaves
its finished parts behind, so ``resume=True`` predicts only the chunks that are missing,
after checking that the input, the settings and the model are the ones the parts were
made with (the folder's ``manifest.json``). Memory is set by the chunk size, never by the
length of the input.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sefreq.chem.io import MoleculeInputError, check_output
from sefreq.screen.forms import FORMS, ScreenSettings
from sefreq.screen.lifetime import ScreenInterrupted
from sefreq.screen.reader import MoleculeChunk, count_molecules, read_chunks
from sefreq.screen.workers import default_jobs, predict_part, run_processes, worker_predictor
from sefreq.screen.writer import OutputLock, Parts, file_type


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
    structure_only: bool = False,
) -> ScreenSummary:
    """Predict every molecule of ``input`` into ``output`` (.parquet or .csv).

    ``format``: ``long``, ``wide`` or ``top_k`` (:meth:`Predictor.predict`); ``columns``:
    output columns to keep; ``keep``: input columns carried through. ``jobs`` processes
    (default: the cores), each holding the model once. ``dask`` or a ``scheduler`` address
    runs the chunks on a Dask cluster instead (``pip install sefreq[distributed]``; default
    a local cluster of ``dask_workers``). Unreadable molecules are written with their
    ``error``; they never stop the run. ``structure_only``: every molecule read as new
    (its predicted mechanism, even where its proteins are known). Ctrl-C stops the workers
    at once and raises :class:`~sefreq.screen.lifetime.ScreenInterrupted` (a
    KeyboardInterrupt that says what is written); ``resume=True`` continues.
    """
    from sefreq.model.artifact import CARD_FILE, check_bundle, file_sha256
    from sefreq.model.artifact import model_dir as default_model_dir

    input, output = Path(input), Path(output)
    key = str(format).replace("-", "_").lower()
    if key not in FORMS:
        raise MoleculeInputError(f"unknown format {format!r}; choose from long, wide, top-k")
    for name, value in (("k", k), ("chunk_size", chunk_size), ("jobs", jobs),
                        ("dask_workers", dask_workers)):  # fmt: skip
        if value is not None and (type(value) is not int or value < 1):
            raise MoleculeInputError(f"{name} must be a whole number of at least 1, not {value!r}")
    settings = ScreenSettings(
        key, int(k), tuple(columns), tuple(keep), file_type(output).suffix, structure_only
    )
    if not input.is_file():
        raise MoleculeInputError(f"no input file {input}")
    check_output(output, input)  # before any work: never the input, never a folder
    chunk_size = chunk_size or FORMS[key].chunk_size
    model = str(Path(model_dir or default_model_dir()).resolve())
    card = Path(model) / CARD_FILE
    if not card.is_file():
        raise MoleculeInputError(f"no model bundle in {model} (it has no {CARD_FILE})")
    with OutputLock(output):  # a second run on the same output is refused at once
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
        try:
            total = count_molecules(input) if progress else None
        except KeyboardInterrupt:  # before any part: nothing to resume
            raise KeyboardInterrupt(
                f"while counting the molecules of {input.name}; nothing was predicted or written"
            ) from None
        engine = "dask" if (dask or scheduler) else "processes"
        jobs = jobs or default_jobs()
        # A broken bundle fails here once, not in every worker. With workers, only its files
        # are checked here: loading it in this process too would hold up their start.
        if engine == "processes" and jobs <= 1:
            worker_predictor(model, 1)
        else:
            check_bundle(model)  # no torch in this process: the workers start sooner
        parts = Parts(output, manifest, resume)
        done = parts.done() if resume else {}
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
            parts.join_ready(results)  # joined as the run goes, not after it

        head = [first] if second is None else [first, second]
        read = {"chunks": 0, "molecules": 0}  # what the input holds, counted as it is read

        def counted(chunk: MoleculeChunk) -> MoleculeChunk:
            read["chunks"] = chunk.index + 1
            read["molecules"] = chunk.first_row + len(chunk)
            return chunk

        todo = (c for c in map(counted, _chain(head, chunks)) if c.index not in done)
        run = (
            functools.partial(_run_dask, scheduler=scheduler, n_workers=dask_workers)
            if engine == "dask"
            else functools.partial(run_processes, jobs=jobs)
        )
        try:
            parts.join_ready(results)  # a resumed run's parts first
            summary.details = run(todo, parts, settings, model, finished) or {}
        except KeyboardInterrupt:  # the finished parts stay for --resume
            parts.abandon_join()
            bar.leave = False  # the interrupt's one line takes the bar's place
            raise ScreenInterrupted.from_parts(parts.folder) from None
        except BaseException:
            parts.abandon_join()
            if len(results) == len(done) == 0:
                parts.discard()  # nothing written: nothing to resume
            raise
        finally:
            bar.close()
        summary.parts = len(results)
        summary.n_molecules = sum(r["molecules"] for r in results.values())
        summary.n_errors = sum(r["errors"] for r in results.values())
        try:
            summary.output_bytes = parts.join(settings.suffix, read["chunks"], read["molecules"])
        except KeyboardInterrupt:  # every part is written: --resume only joins them
            parts.abandon_join()
            raise ScreenInterrupted.from_parts(parts.folder) from None
        except BaseException:
            parts.abandon_join()
            raise
        summary.seconds = time.perf_counter() - started
        return summary


def _chain(head: list[MoleculeChunk], rest: Iterable[MoleculeChunk]):
    yield from head
    yield from rest


def _run_dask(
    chunks: Iterable[MoleculeChunk],
    parts: Parts,
    settings: ScreenSettings,
    model: str,
    finished: Callable[[dict], None],
    scheduler: str | None,
    n_workers: int,
) -> dict:
    from sefreq.screen.distributed import run_on_dask

    return run_on_dask(chunks, parts, settings, model, finished, predict_part, scheduler,
                       n_workers)  # fmt: skip
