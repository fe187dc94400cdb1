"""Ctrl-C and a killed parent during `sefreq predict --jobs 2` (issue #25, item 6): the run
stops its workers, leaves one line with the resume command, and no worker outlives it.

The slow tests start the real command in a subprocess, in a process group of its own (as a
terminal's foreground job), on the tiny bundle and a library of a few large chunks, so
that when the signal comes both workers are seconds into a chunk. Their time limits only
guard against a hang; the figures are in benchmarks/interrupt_speed.py.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sefreq
from sefreq.cli import main
from sefreq.screen import workers as workers_module
from sefreq.screen.lifetime import ScreenInterrupted
from sefreq.screen.run import screen
from tests.support.tiny_model import tiny_smiles

CHUNK = 2500  # molecules: a few seconds of one worker on the tiny bundle
N_MOLECULES = 6 * CHUNK
HANG_GUARD_SECONDS = 60  # not a timing under test: only how long to wait before failing


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    smiles = tiny_smiles(160)
    path = tmp_path_factory.mktemp("library") / "library.smi"
    path.write_text("".join(f"{smiles[i % len(smiles)]} m{i}\n" for i in range(N_MOLECULES)))
    return path


def _command(library: Path, bundle_dir: Path, *extra: str) -> list[str]:
    return ["predict", library.name, "-o", "out.parquet", "--model", str(bundle_dir),
            "--format", "top-k", "-k", "1", "--chunk-size", str(CHUNK), "--no-progress",
            *extra]  # fmt: skip


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    """`sefreq ARGS` in its own process group, on this checkout's SEFreq."""
    source = str(Path(sefreq.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (source, os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
    # Run in the background (`&`, nohup), pytest ignores SIGINT and the command would too.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen([sys.executable, "-m", "sefreq.cli", *args], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def _finished_parts(cwd: Path) -> int:
    return len(list((cwd / ".out.parquet.parts").glob("part-*.json")))


def _wait_for_parts(process: subprocess.Popen, cwd: Path, n: int) -> None:
    deadline = time.monotonic() + 3 * HANG_GUARD_SECONDS
    while _finished_parts(cwd) < n:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no part was written"
        time.sleep(0.02)


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (its workers and the resource tracker), from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds no memory; only its parent can reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + HANG_GUARD_SECONDS / 4
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _running(p)]


def _kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytest.mark.slow
@needs_proc
@pytest.mark.parametrize("to", ["group", "parent"])
def test_ctrl_c_stops_the_workers_and_says_how_to_resume(tmp_path, library, bundle_dir, to):
    """``group``: a terminal's Ctrl-C (every process of the job gets SIGINT); ``parent``:
    `kill -INT` of the command alone."""
    (tmp_path / library.name).symlink_to(library)
    args = _command(library, bundle_dir, "--jobs", "2")
    process = _start(args, tmp_path)
    workers: list[int] = []
    try:
        # Two parts written: both workers have just begun their second chunk, seconds long.
        _wait_for_parts(process, tmp_path, 2)
        before = _finished_parts(tmp_path)
        workers = _descendants(process.pid)
        assert len(workers) >= 2
        if to == "group":
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=HANG_GUARD_SECONDS)
        assert process.returncode == 130, err
        assert len(err.splitlines()) == 1, err  # no worker traceback, no leaked semaphore
        after = _finished_parts(tmp_path)
        assert err.startswith(f"interrupted: {after * CHUNK} molecules in {after} chunks")
        resume = ["sefreq", *args, "--resume"]
        assert err.rstrip().endswith(f"continue with: {shlex.join(resume)}"), err
        # The running chunks were stopped, not waited for (a chunk may finish meanwhile).
        assert after <= before + 1, (before, after)
        assert _wait_gone(workers) == []
    finally:
        process.kill()
        _kill_leftovers(workers)
    resumed = _start(shlex.split(err.rstrip().rsplit("continue with: ", 1)[1])[1:], tmp_path)
    out, err = resumed.communicate(timeout=3 * HANG_GUARD_SECONDS)
    assert resumed.returncode == 0, err
    assert f"{after * CHUNK} from the interrupted run" in out
    table = pd.read_parquet(tmp_path / "out.parquet")
    assert table["input_row"].tolist() == list(range(N_MOLECULES))


@pytest.mark.slow
@needs_proc
def test_workers_die_with_a_killed_parent(tmp_path, library, bundle_dir):
    (tmp_path / library.name).symlink_to(library)
    process = _start(_command(library, bundle_dir, "--jobs", "2"), tmp_path)
    workers: list[int] = []
    try:
        _wait_for_parts(process, tmp_path, 1)
        workers = _descendants(process.pid)
        assert len(workers) >= 2
        process.kill()  # kill -9: no handler, no atexit, nothing of the parent's runs
        process.wait(timeout=HANG_GUARD_SECONDS)
        assert _wait_gone(workers) == []
    finally:
        process.kill()
        _kill_leftovers(workers)


@pytest.mark.slow
@needs_proc
def test_ctrl_c_stops_a_local_dask_cluster_too(tmp_path, library, bundle_dir):
    pytest.importorskip("dask.distributed")
    (tmp_path / library.name).symlink_to(library)
    args = _command(library, bundle_dir, "--dask", "--dask-workers", "2")
    process = _start(args, tmp_path)
    workers: list[int] = []
    try:
        _wait_for_parts(process, tmp_path, 1)
        workers = _descendants(process.pid)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=HANG_GUARD_SECONDS)
        assert process.returncode == 130, err
        line = err.splitlines()[-1]
        assert "Traceback" not in err and line.startswith("interrupted: "), err
        assert line.endswith(shlex.join(["sefreq", *args, "--resume"])), err
        assert _wait_gone(workers) == []
    finally:
        process.kill()
        _kill_leftovers(workers)


def test_an_interrupted_screen_says_what_it_wrote(tmp_path, library, bundle_dir, monkeypatch,
                                                  capsys):  # fmt: skip
    """In one process (--jobs 1): Ctrl-C during the third chunk."""
    real = workers_module.predict_part

    def interrupted(chunk, *args, **kwargs):
        if chunk.index == 2:
            raise KeyboardInterrupt
        return real(chunk, *args, **kwargs)

    monkeypatch.setattr(workers_module, "predict_part", interrupted)
    out = tmp_path / "out.parquet"
    with pytest.raises(ScreenInterrupted) as caught:
        screen(library, out, model_dir=bundle_dir, format="top_k", k=1, chunk_size=CHUNK,
               jobs=1, progress=False)  # fmt: skip
    assert isinstance(caught.value, KeyboardInterrupt)
    assert (caught.value.molecules, caught.value.chunks) == (2 * CHUNK, 2)
    assert caught.value.parts == tmp_path / ".out.parquet.parts"
    args = ["predict", str(library), "-o", str(out), "--model", str(bundle_dir), "--jobs", "1",
            "--chunk-size", str(CHUNK), "--format", "top-k", "--no-progress"]  # fmt: skip
    assert main(args) == 130
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"interrupted: {2 * CHUNK} molecules in 2 chunks are written (in {caught.value.parts});"
        f" continue with: {shlex.join(['sefreq', *args, '--resume'])}"
    ]
    assert main([*args, "--resume"]) == 130  # --resume is not repeated in the next command
    assert capsys.readouterr().err.rstrip().endswith(shlex.join(["sefreq", *args, "--resume"]))


def test_ctrl_c_while_counting_says_nothing_was_written(tmp_path, library, bundle_dir,
                                                        monkeypatch, capsys):  # fmt: skip
    from sefreq.screen import run as run_module

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "count_molecules", interrupted)
    out = tmp_path / "out.parquet"
    args = ["predict", str(library), "-o", str(out), "--model", str(bundle_dir), "--jobs", "1"]
    assert main(args) == 130
    assert capsys.readouterr().err.splitlines() == [
        f"interrupted: while counting the molecules of {library.name}; nothing was predicted "
        "or written"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_ctrl_c_during_the_join_gives_the_resume_line(tmp_path, library, bundle_dir,
                                                      monkeypatch, capsys):  # fmt: skip
    from sefreq.screen.writer import Parts

    real = Parts.join

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Parts, "join", interrupted)
    out = tmp_path / "out.parquet"
    args = ["predict", str(library), "-o", str(out), "--model", str(bundle_dir), "--jobs", "1",
            "--chunk-size", str(CHUNK), "--no-progress"]  # fmt: skip
    assert main(args) == 130
    line = capsys.readouterr().err.splitlines()[-1]
    assert line.startswith("interrupted: ") and line.endswith("--resume"), line
    assert not out.exists() and not (tmp_path / ".out.parquet.tmp").exists()
    monkeypatch.setattr(Parts, "join", real)
    assert main([*args, "--resume"]) == 0  # every part was there: the resume only joins
    assert len(pd.read_parquet(out)["input_row"].unique()) > 0
