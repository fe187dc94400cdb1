"""``sefreq predict --dask``: the chunks of a library on a Dask cluster (the ``distributed``
extra, ``pip install sefreq[distributed]``).

The client reads the input in partitions (the chunks of :mod:`sefreq.screen.run`) and
submits each to a worker, at most two per worker thread in flight; each worker loads the
model once (:func:`sefreq.screen.workers.predict_part` caches it per process) and writes
its partition's parquet or CSV part into the run's parts folder, which the client joins
at the end. So every worker needs the same SEFreq and model bundle at the same path, and
the output folder on storage all of them reach (a shared filesystem).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterable

from sefreq.chem.io import MoleculeInputError
from sefreq.screen.lifetime import interrupts_held
from sefreq.screen.workers import without_main_script


def run_on_dask(
    chunks: Iterable,
    parts,
    settings,
    model: str,
    finished: Callable[[dict], None],
    predict_part: Callable[..., dict],
    scheduler: str | None = None,
    n_workers: int = 2,
) -> dict:
    """Predict ``chunks`` on the cluster at ``scheduler`` (``tcp://host:8786``), or on a
    local cluster of ``n_workers`` single-threaded worker processes, each chunk by
    ``predict_part`` (:func:`sefreq.screen.workers.predict_part`). Returns what ran."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MoleculeInputError(
            "Dask is not installed: `pip install sefreq[distributed]` (dask.distributed)"
        ) from None
    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="20s")
    else:
        import dask

        # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which also freezes
        # glibc's mmap threshold: every array over 128 KB is then mapped and unmapped anew,
        # and prediction runs 1.3x slower (benchmarks/batch_speed.py). Left unset here.
        no_trim = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
        # Started with Ctrl-C held, the cluster's threads and so its worker processes keep
        # it held: the terminal's SIGINT reaches this process alone, which stops them all.
        # (A Ctrl-C during these seconds of start-up comes through when they end.)
        with without_main_script(), dask.config.set(no_trim), interrupts_held():
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        client = Client(cluster)
    try:
        threads = sum(client.nthreads().values()) or 1
        queue = as_completed()
        in_flight = 0
        for chunk in chunks:
            part = str(parts.path(chunk.index, settings.suffix))
            # pure=False: a chunk is never deduplicated with another by its hash.
            queue.add(client.submit(predict_part, chunk, settings, model, part, 1, pure=False))
            in_flight += 1
            if in_flight >= 2 * threads:
                finished(next(queue).result())
                in_flight -= 1
        for future in queue:
            finished(future.result())
        return {"scheduler": scheduler or "LocalCluster", "worker_threads": threads}
    except KeyboardInterrupt:
        # Ctrl-C leaves one line: the workers' and nannies' complaints about the closing
        # are not news. A remote cluster's workers finish the chunk they run.
        with interrupts_held(), _silenced(logging.getLogger("distributed")):
            if cluster is not None:
                _kill_local_workers(cluster)
            client.close()
            if cluster is not None:
                cluster.close()
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _kill_local_workers(cluster) -> None:
    """End a local cluster's worker processes now: a graceful close waits for the chunks
    they run, which may take minutes."""
    for nanny in cluster.workers.values():
        nanny.close_gracefully(reason="interrupted")  # a nanny must not restart its worker
        if nanny.pid:
            os.kill(nanny.pid, signal.SIGKILL)


@contextlib.contextmanager
def _silenced(logger: logging.Logger):
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
