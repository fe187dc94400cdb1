"""How fast `sefreq predict --jobs 2` stops: Ctrl-C, and a parent killed with kill -9.

Each try starts ``sefreq predict LIBRARY -o out.parquet --jobs 2 --no-progress`` in a fresh
process group of its own (as a terminal runs a command), waits until its first part is
written (so both workers are in the middle of a chunk, each of many seconds with the
shipped model), then:

- Ctrl-C (``--tries``, default 5): SIGINT to the whole group, as a terminal sends it, or
  to the parent alone with ``--to parent``; prints the seconds from the signal to the
  command's exit, and to the last worker gone, with the exit code and the lines on stderr;
- kill -9 (``--kills``, default 3): SIGKILL to the parent alone; prints the seconds until
  every process it had started (the workers and the resource tracker) is gone, and the
  workers' memory (RSS) at the kill.

Medians over the tries. A worker still alive after ``--give-up`` seconds is killed by this
script and counted as that long. Linux only (reads /proc).

    python benchmarks/interrupt_speed.py                     # shipped model, 2,000 molecules
    python benchmarks/interrupt_speed.py --to parent --engine dask
    python benchmarks/interrupt_speed.py --baseline /tmp/main  # main's sefreq in turn

``--baseline DIR`` runs the sefreq of another source tree (``git archive main sefreq
models | tar -x -C DIR``) in turn with this one, try for try. Needs ``SEFREQ_DATA_DIR``
for the generated library (``make_library.py``), or ``--library`` an existing one.

Measured 2026-12-07 (#25), shipped model, 2,000 generated molecules (chunks of 200), on 2
CPU cores shared with other work (load 5-6), main (26e9cc6) as the baseline:

- Ctrl-C to the group: main 4.19 s (1.88-5.54; 1 or 14 lines on stderr), now 0.32 s
  (0.31-0.42), exit code 130, one line. To the parent alone: main 7.85 s, now 0.43 s.
- kill -9 of the parent: main's workers (760-800 MB each) still alive after 30 s in 3 of
  3 tries; now all gone after 0.19 s (0.12-0.25).
- ``--engine dask``: Ctrl-C to the group 0.47 s, one line; kill -9: gone after 0.20 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLL_SECONDS = 0.01


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds no memory)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def gone_after(pids: list[int], started: float, give_up: float) -> float:
    """Seconds from ``started`` until none of ``pids`` runs (``give_up`` at most: then
    they are killed here)."""
    while any(running(p) for p in pids):
        if time.perf_counter() - started > give_up:
            for pid in pids:
                if running(pid):
                    os.kill(pid, signal.SIGKILL)
            return give_up
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def start(args: argparse.Namespace, work: Path, source: Path | None) -> subprocess.Popen:
    """The command, in its own process group, once its first part is written."""
    for old in (work / ".out.parquet.parts").glob("*"):
        old.unlink()
    command = [sys.executable, "-m", "sefreq.cli", "predict", str(args.library), "-o",
               "out.parquet", "--no-progress", *args.predict_args]  # fmt: skip
    command += ["--dask", "--dask-workers", "2"] if args.engine == "dask" else ["--jobs", "2"]
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    process = subprocess.Popen(
        command,
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's job
    )
    parts = work / ".out.parquet.parts"
    while not any(parts.glob("part-*.json")):
        if process.poll() is not None:
            raise SystemExit(f"sefreq predict ended first:\n{process.stderr.read()[-2000:]}")
        time.sleep(POLL_SECONDS)
    return process


def ctrl_c(args: argparse.Namespace, work: Path, source: Path | None) -> dict:
    process = start(args, work, source)
    workers = descendants(process.pid)
    started = time.perf_counter()
    if args.to == "group":
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=args.give_up)
        exited = time.perf_counter() - started
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        exited = args.give_up
    workers_gone = gone_after(workers, started, args.give_up)
    err = process.stderr.read()
    return {"exit_s": exited, "workers_s": workers_gone, "code": process.returncode,
            "lines": len(err.splitlines()), "last": (err.splitlines() or [""])[-1]}  # fmt: skip


def kill_9(args: argparse.Namespace, work: Path, source: Path | None) -> dict:
    process = start(args, work, source)
    workers = descendants(process.pid)
    memory = sum(rss_mb(p) for p in workers)
    started = time.perf_counter()
    process.kill()
    process.wait()
    return {"gone_s": gone_after(workers, started, args.give_up), "rss_mb": memory,
            "n": len(workers)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="molecules in the library")
    parser.add_argument("--library", type=Path, default=None, help="an existing library")
    parser.add_argument("--tries", type=int, default=5, help="Ctrl-C tries")
    parser.add_argument("--kills", type=int, default=3, help="kill -9 tries")
    parser.add_argument("--to", choices=("group", "parent"), default="group",
                        help="Ctrl-C to the group (as a terminal) or the parent alone")  # fmt: skip
    parser.add_argument("--engine", choices=("processes", "dask"), default="processes")
    parser.add_argument("--give-up", type=float, default=30.0, help="seconds to wait at most")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another source tree, run in turn with this one")  # fmt: skip
    parser.add_argument("predict_args", nargs="*", help="extra `sefreq predict` options")
    args = parser.parse_args()
    # Started in the background (nohup, `&`), this script ignores SIGINT, and so would every
    # command it starts: they must get Ctrl-C as in a terminal.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    work = Path(tempfile.mkdtemp(prefix="sefreq_interrupt_"))
    if args.library is None:
        args.library = work / f"library_{args.n}.smi"
        subprocess.run([sys.executable, str(HERE / "make_library.py"), "--n", str(args.n),
                        "-o", str(args.library)], check=True)  # fmt: skip
    args.library = args.library.resolve()
    sources = {"": None} if args.baseline is None else {
        "baseline ": args.baseline.resolve(), "this tree ": None}  # fmt: skip
    extra = " ".join(args.predict_args)
    print(f"sefreq predict {args.library.name} -o out.parquet --no-progress {extra} "
          f"({args.engine}, 2 workers), {os.cpu_count()} cores")  # fmt: skip
    tries: dict[str, list[dict]] = {label: [] for label in sources}
    kills: dict[str, list[dict]] = {label: [] for label in sources}
    for _ in range(args.tries):
        for label, source in sources.items():
            tries[label].append(ctrl_c(args, work, source))
    for _ in range(args.kills):
        for label, source in sources.items():
            kills[label].append(kill_9(args, work, source))
    for label in sources:
        done = tries[label]
        exits = [d["exit_s"] for d in done]
        print(
            f"{label}Ctrl-C to the {args.to}: exit after {statistics.median(exits):.2f} s, "
            f"workers gone after {statistics.median(d['workers_s'] for d in done):.2f} s "
            f"(median of {len(done)}; each: {', '.join(f'{e:.2f}' for e in exits)} s); "
            f"exit codes {sorted({d['code'] for d in done})}, lines on stderr "
            f"{sorted({d['lines'] for d in done})}"
        )
        print(f"    last line: {done[-1]['last']}")
        if not kills[label]:
            continue
        gone = [d["gone_s"] for d in kills[label]]
        print(
            f"{label}kill -9 of the parent: its {kills[label][-1]['n']} processes gone after "
            f"{statistics.median(gone):.2f} s (median of {len(gone)}; each: "
            f"{', '.join(f'{g:.2f}' for g in gone)} s; {args.give_up:.0f} = still alive, "
            f"killed here); their RSS at the kill "
            f"{statistics.median(d['rss_mb'] for d in kills[label]):,.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
