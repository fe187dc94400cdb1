"""How long screening's worker processes live: no longer than the run that started them.

Ctrl-C: a terminal sends SIGINT to every process of its foreground group, so each worker
raised KeyboardInterrupt too, printed its traceback, and the pool's shutdown then waited
for the chunks still running, or hung (#25). Here the parent alone decides: workers start
with SIGINT blocked (the mask survives the spawn's fork and exec, the way CPython's own
resource tracker starts, because a worker imports torch and RDKit for seconds before any
SEFreq code runs in it), then ignore it; on KeyboardInterrupt the parent cancels what is
queued and ends the workers at once (:func:`stop_workers`), and the finished parts stay
for ``--resume`` (:class:`ScreenInterrupted` says how many).

Parent death: a worker whose parent is killed (kill -9, the OOM killer) would wait for
work forever, holding the model's memory (about 860 MB). On Linux the kernel sends it
SIGKILL when its parent dies (``PR_SET_PDEATHSIG``); everywhere a watchdog thread ends it
when its parent process id changes (:func:`die_with_parent`). Neither the standard library
nor loky (vendored in joblib) does this for a ``ProcessPoolExecutor``; Dask's worker
processes already exit when their nanny's pipe closes.

Memory: a structure whose featurisation runs away (#25: a cage passed 3 GB) would grow a
worker until the kernel's OOM killer ends it, or another process. Each worker runs under a
data limit (``RLIMIT_DATA``: the heap and private mappings, which ``malloc`` and numpy
draw on; not ``RLIMIT_AS``, which counts the address space torch and the thread stacks
reserve without using) set for every chunk (:func:`limit_memory`): what the worker holds
when the chunk starts, plus the chunk's working set, plus :data:`MOLECULE_MEMORY_MB`.
Past it an allocation fails and raises ``MemoryError`` (RDKit's ``std::bad_alloc`` too)
instead of growing: inside one molecule's featurisation that molecule is refused
(:class:`sefreq.chem.budget.MoleculeBudget`); anywhere else the chunk fails with
:class:`ChunkMemoryError`, and the run ends with one line. Linux only; the run's own process
(``--jobs 1``, the API) is never limited.

Only the standard library is imported here: the spawn unpickles :class:`_SpawnProcess`
in every worker before anything else runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5  # the watchdog's period, where no parent-death signal exists
STOP_GRACE_SECONDS = 1.0  # SIGTERM, then SIGKILL after this (a worker holds no open output)
#: Memory (MB) one molecule may take in a screening worker beyond the chunk's working set.
#: A drug-sized molecule takes under 10 MB to featurise, the largest the structural caps
#: let through tens; the cage of #25 took 3 GB.
MOLECULE_MEMORY_MB = 512
#: A chunk's own working set (MB) per molecule: its arrays over the 994 side effects, the
#: members' outputs, the table. Measured with the bundled model 2.0 (benchmarks, 2 cores):
#: a worker holds 1.43 GB of data (VmData; 0.55 GB resident) once the model is loaded,
#: 1.76 GB once it has predicted one molecule (lazy references, allocator pools; paid at
#: load, :func:`sefreq.screen.workers.worker_predictor`), and 1.9-2.0 GB (1.0 GB resident)
#: chunk after chunk at the default chunk sizes; a first chunk peaked 0.15 MB a molecule
#: above that (wide, 3,000: +439 MB), 0.41 with the long form's rows (200: +82 MB). So a
#: default top-k or wide chunk runs under about 2.9 GB, a long one under 2.6 GB, and no
#: ``--chunk-size`` reaches the limit by itself.
CHUNK_MEMORY_MB_PER_MOLECULE = 0.5
_MB = 2**20
_memory_limited = False  # set in a screening worker by worker_started()


class ScreenInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (still a KeyboardInterrupt): ``molecules`` in ``chunks``
    finished parts stay in ``parts``, and ``resume=True`` predicts only the rest."""

    def __init__(self, parts: Path, molecules: int, chunks: int) -> None:
        super().__init__(f"interrupted: {molecules} molecules in {chunks} chunks written")
        self.parts, self.molecules, self.chunks = Path(parts), molecules, chunks

    @classmethod
    def from_parts(cls, folder: Path) -> ScreenInterrupted:
        """What the parts folder holds whole (a part counts once its summary is written)."""
        summaries = [json.loads(p.read_text()) for p in Path(folder).glob("part-*.json")]
        return cls(folder, sum(s["molecules"] for s in summaries), len(summaries))


@contextlib.contextmanager
def interrupts_held():
    """Hold SIGINT back in this thread (delivered when the block ends, never lost).

    A process started meanwhile inherits the block; threads started meanwhile too. Works in
    any thread, unlike ``signal.signal``; a no-op where POSIX signal masks do not exist.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    # Started inside the block, the resource tracker would lift it: CPython unblocks
    # SIGINT after spawning its tracker instead of restoring the mask it found.
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _SpawnProcess(multiprocessing.context.SpawnProcess):
    """A spawned process that starts with SIGINT blocked."""

    @staticmethod
    def _Popen(process_obj):
        with interrupts_held():
            return multiprocessing.context.SpawnProcess._Popen(process_obj)


class _SpawnContext(multiprocessing.context.SpawnContext):
    Process = _SpawnProcess


def worker_context() -> multiprocessing.context.BaseContext:
    """The spawn context of screening's workers (no forked torch or RDKit state), whose
    processes start deaf to Ctrl-C; :func:`worker_started` is their initializer."""
    return _SpawnContext()


class ChunkMemoryError(MemoryError):
    """A chunk that ran out of memory outside any one molecule's featurisation; the message
    says which and what to do."""


class WorkerDiedError(RuntimeError):
    """A screening worker process ended while it predicted (killed, or crashed: RDKit does
    not survive running out of memory everywhere); the message says what to do."""


def worker_started() -> None:
    """First thing in every worker: ignore Ctrl-C (the parent stops the run), die with the
    parent, and run each chunk under a memory limit (:func:`limit_memory`)."""
    global _memory_limited
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # also drops one that came while held
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    die_with_parent()
    # From the first chunk on, once the model is loaded (its size is the bundle's).
    _memory_limited = sys.platform.startswith("linux")


def limit_memory(molecules: int) -> int | None:
    """In a screening worker (after :func:`worker_started`), this process's data limit for a
    chunk of ``molecules``: what it holds now (``VmData``) plus ``molecules`` x
    :data:`CHUNK_MEMORY_MB_PER_MOLECULE` plus :data:`MOLECULE_MEMORY_MB`. Returns it in
    bytes; None, and no limit, in any other process. Only the soft limit moves: a later
    chunk may need a higher one."""
    if not _memory_limited:
        return None
    import resource

    holds = _data_bytes()
    if holds is None:
        return None
    limit = holds + int((molecules * CHUNK_MEMORY_MB_PER_MOLECULE + MOLECULE_MEMORY_MB) * _MB)
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    return limit


def _data_bytes() -> int | None:
    """This process's data size (``VmData``: heap and private writable mappings, what
    ``RLIMIT_DATA`` counts), or None where /proc does not say."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def die_with_parent() -> None:
    """End this process when its parent dies: the kernel's parent-death signal on Linux,
    and a watchdog thread that polls the parent's process id everywhere."""
    parent = multiprocessing.parent_process()
    parent_pid = parent.pid if parent is not None else os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            # SIGKILL: a worker has nothing to flush (a part is written whole, then renamed)
            # and no library in it can catch or ignore it.
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the signal was set
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="sefreq-parent-watchdog", daemon=True
    ).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:  # an orphan is adopted by init or a subreaper
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def stop_workers(pool) -> None:
    """Cancel what ``pool`` (a ``ProcessPoolExecutor``) has queued and end its workers now,
    without waiting for the chunks they run (one may take minutes; ``--resume`` predicts it
    again). SIGTERM first, SIGKILL for any still alive after :data:`STOP_GRACE_SECONDS`."""
    with interrupts_held():  # a second Ctrl-C must not leave the workers half stopped
        # No public way to reach the workers before Python 3.14's terminate_workers().
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(STOP_GRACE_SECONDS)
