"""Screening's worker processes: each loads the model once and predicts and writes the
chunks it is handed; started without re-running the host program's main script."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import types
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sefreq.screen.forms import ScreenSettings, chunk_table
from sefreq.screen.lifetime import (
    MOLECULE_MEMORY_MB,
    ChunkMemoryError,
    WorkerDiedError,
    limit_memory,
    stop_workers,
    worker_context,
    worker_started,
)
from sefreq.screen.reader import MoleculeChunk
from sefreq.screen.writer import Parts, write_part


@contextlib.contextmanager
def without_main_script():
    """Start worker processes without re-running the host's main script.

    A spawned worker first runs the parent's ``__main__`` file; when SEFreq is called from
    a Streamlit app, a notebook kernel or a test runner that file is not this command and
    must not run again. The workers need only importable SEFreq functions, so the main
    module is hidden while they start.
    """
    main = sys.modules.get("__main__")
    if main is None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@functools.cache
def worker_predictor(model_dir: str, threads: int):
    """The model, loaded once per worker process (and per Dask worker), and run once: its
    lazy set-up (references, allocator pools, 0.3 GB) is part of what the worker holds
    before a chunk's memory limit is set (:func:`~sefreq.screen.lifetime.limit_memory`)."""
    import torch

    from sefreq.model.predictor import Predictor

    torch.set_num_threads(max(1, threads))
    predictor = Predictor.from_directory(model_dir)
    # What a chunk runs (Predictor.predict's progress bar would make a multiprocessing
    # lock, which a worker stopped by Ctrl-C leaves to the resource tracker as leaked).
    predictor.ensemble.predict_arrays(["CCO"])
    return predictor


def predict_part(
    chunk: MoleculeChunk, settings: ScreenSettings, model_dir: str, part: str, threads: int = 1
) -> dict:
    """Predict one chunk and write its part (runs in a worker). Returns its summary.

    BLAS (the similarity and the prior's products) runs on ``threads`` too: left at its
    default of one thread per core, every worker's BLAS spins up threads that fight the
    other workers for the same cores (1.4x slower on 2 cores, benchmarks/batch_speed.py).
    """
    from threadpoolctl import threadpool_limits

    predictor = worker_predictor(model_dir, threads)
    limit = limit_memory(len(chunk))  # a screening worker's: None in the run's own process
    try:
        with threadpool_limits(limits=max(1, threads)):
            table, n_errors = chunk_table(predictor, chunk, settings)
    except MemoryError as error:  # one molecule's is its refusal: this is the chunk's own
        raise ChunkMemoryError(_out_of_memory(chunk, limit)) from error
    summary = {"index": chunk.index, "molecules": len(chunk), "errors": n_errors}
    write_part(table, Path(part), summary)
    return summary


def _out_of_memory(chunk: MoleculeChunk, limit: int | None) -> str:
    rows = f"input rows {chunk.first_row + 1}-{chunk.first_row + len(chunk)}"
    where = f"the worker's limit of {limit / 2**20:,.0f} MB" if limit else "this machine's memory"
    return (
        f"chunk {chunk.index} ({rows}) needed more than {where}, outside any one molecule. "
        "Run again with a smaller --chunk-size (without --resume), or free memory."
    )


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def run_processes(
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
    # Workers start deaf to Ctrl-C and die with this process (sefreq.screen.lifetime);
    # they are spawned at the first submits, inside without_main_script().
    pool = ProcessPoolExecutor(jobs, mp_context=worker_context(), initializer=worker_started)
    with without_main_script(), pool:
        try:
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
        except BrokenProcessPool:
            stop_workers(pool)
            raise WorkerDiedError(
                "a worker process died while predicting (killed by the system, or crashed in "
                "RDKit, which does not always survive a structure that runs past a worker's "
                f"memory limit of {MOLECULE_MEMORY_MB} MB over its chunk). The finished chunks "
                "are kept: continue with --resume, or run with --jobs 1 to find the structure."
            ) from None
        except BaseException:  # Ctrl-C above all: the pool's exit would wait for every chunk
            stop_workers(pool)
            raise
    return {"jobs": jobs, "torch_threads": threads}
