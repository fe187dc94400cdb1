"""Batch screening speed: `sefreq predict` end to end against the speed of the chemistry.

In one run, on the same molecules (a generated library, ``make_library.py``; 20,000 by
default): the floor, a bare RDKit parse + Morgan count fingerprint loop in one process
(median of ``--repeats``), and ``sefreq predict`` end to end as a user runs it (a fresh
process: imports, model load, reading, prediction, writing), for each ``--formats`` and
engine. Prints molecules per second, the ratio to the floor, the peak memory of the
largest process, and the output size (and per molecule).

    python benchmarks/batch_speed.py                       # 20,000 molecules, default settings
    python benchmarks/batch_speed.py --n 200000 --formats top-k,wide --engines processes,dask

Before and after a change, in one run: ``--baseline DIR`` runs the sefreq of another
source tree (``git archive COMMIT | tar -x -C DIR``) in turn with this one, run for run,
so both meet the same load on a shared machine. A form may name its file type:
``--formats long,long.csv``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdkit import Chem, RDLogger
from rdkit.Chem import rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")
HERE = Path(__file__).resolve().parent


def floor_seconds(smiles: list[str]) -> float:
    """Parse + Morgan r=2 count fingerprint of every molecule, one process."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    started = time.perf_counter()
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            generator.GetCountFingerprintAsNumPy(mol)
    return time.perf_counter() - started


# Runs a command and prints, last on stderr, the peak RSS (KB) of its largest process.
_PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
         "sys.exit(code)")  # fmt: skip


def run_predict(
    library: Path, out: Path, form: str, engine: str, extra: list[str], source: Path | None
) -> dict:
    """``sefreq predict`` in a fresh process (of the sefreq in ``source`` when given)."""
    command = [sys.executable, "-c", _PEAK, sys.executable, "-m", "sefreq.cli", "predict",
               str(library), "-o", str(out), "--format", form, "--no-progress", *extra]  # fmt: skip
    if engine == "dask":
        command.append("--dask")
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    # `python -m` puts the working directory first on the path, before PYTHONPATH: run in
    # the tree whose sefreq is meant (run from this repository, a baseline ran this tree).
    tree = source if source is not None else HERE.parent
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=tree)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"sefreq predict failed:\n{done.stderr[-2000:]}")
    return {
        "seconds": seconds,
        "peak_mb": int(done.stderr.strip().splitlines()[-1]) / 1024,
        "bytes": out.stat().st_size,
        "said": done.stdout.strip().splitlines()[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="molecules in the library")
    parser.add_argument("--library", type=Path, default=None, help="an existing .smi library")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the floor loop")
    parser.add_argument("--runs", type=int, default=1, help="runs of each sefreq predict")
    parser.add_argument("--formats", default="long,wide,top-k", help="output forms to time")
    parser.add_argument("--engines", default="processes", help="processes and/or dask")
    parser.add_argument("--suffix", default=".parquet", help=".parquet or .csv")
    parser.add_argument(
        "--baseline", type=Path, default=None, help="another source tree, run in turn with this"
    )
    parser.add_argument("predict_args", nargs="*", help="extra `sefreq predict` options")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sefreq_batch_"))
    library = (args.library or work / f"library_{args.n}.smi").resolve()
    if args.library is None:
        subprocess.run([sys.executable, str(HERE / "make_library.py"), "--n", str(args.n),
                        "-o", str(library)], check=True)  # fmt: skip
    opener = gzip.open if library.suffix == ".gz" else open
    with opener(library, "rt") as handle:
        smiles = [line.split()[0] for line in handle if line.strip()]
    n = len(smiles)
    floors = [floor_seconds(smiles) for _ in range(args.repeats)]
    floor_rate = n / statistics.median(floors)
    print(f"{n} molecules, {os.cpu_count()} cores")
    print(f"floor (parse + Morgan counts, 1 process): {floor_rate:,.0f} molecules/s "
          f"(median of {args.repeats}: {statistics.median(floors):.2f} s)")  # fmt: skip
    sources = {"": None} if args.baseline is None else {
        "baseline ": args.baseline.resolve(), "this tree ": None}  # fmt: skip
    for engine in args.engines.split(","):
        for spec in args.formats.split(","):
            form, _, kind = spec.partition(".")
            suffix = f".{kind}" if kind else args.suffix
            runs: dict[str, list[dict]] = {label: [] for label in sources}
            for _ in range(args.runs):
                for label, source in sources.items():  # in turn, run for run
                    out = work / f"out_{engine}_{form}_{label.strip().replace(' ', '_')}{suffix}"
                    runs[label].append(run_predict(library, out, form, engine,
                                                   args.predict_args, source))  # fmt: skip
            for label, done in runs.items():
                seconds = statistics.median(r["seconds"] for r in done)
                rate = n / seconds
                print(
                    f"{label}sefreq predict --format {form} -o *{suffix} ({engine}): "
                    f"{rate:,.0f} molecules/s, {seconds:.1f} s, {rate / floor_rate:.3f} of the "
                    f"floor; peak RSS {max(r['peak_mb'] for r in done):,.0f} MB (largest "
                    f"process); output {done[-1]['bytes'] / 1e6:,.1f} MB, "
                    f"{done[-1]['bytes'] / n:,.0f} bytes/molecule"
                )
                print(f"    it said: {done[-1]['said']}")
    floors.append(floor_seconds(smiles))  # the load may have changed: the floor again
    print(f"floor again at the end: {n / floors[-1]:,.0f} molecules/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
