"""Batch screening speed: `sefreq predict` end to end against the speed of the chemistry.

In one run, on the same molecules (a generated library, ``make_library.py``; 20,000 by
default): the floor, a bare RDKit parse + Morgan count fingerprint loop in one process
(median of ``--repeats``), and ``sefreq predict`` end to end as a user runs it (a fresh
process: imports, model load, reading, prediction, writing), for each ``--formats`` and
engine. Prints molecules per second, the ratio to the floor, the peak memory of the
largest process, and the output size (and per molecule).

    python benchmarks/batch_speed.py                       # 20,000 molecules, default settings
    python benchmarks/batch_speed.py --n 200000 --formats top-k,wide --engines processes,dask
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
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


def run_predict(library: Path, out: Path, form: str, engine: str, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "sefreq.cli", "predict", str(library), "-o", str(out),
               "--format", form, "--no-progress", *extra]  # fmt: skip
    if engine == "dask":
        command.append("--dask")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"sefreq predict failed:\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "peak_mb": max(peak, before) / 1024,
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
    parser.add_argument("predict_args", nargs="*", help="extra `sefreq predict` options")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sefreq_batch_"))
    library = args.library or work / f"library_{args.n}.smi"
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
    for engine in args.engines.split(","):
        for form in args.formats.split(","):
            runs = []
            for _ in range(args.runs):
                out = work / f"out_{engine}_{form}{args.suffix}"
                runs.append(run_predict(library, out, form, engine, args.predict_args))
            seconds = statistics.median(r["seconds"] for r in runs)
            rate = n / seconds
            print(
                f"sefreq predict --format {form} ({engine}): {rate:,.0f} molecules/s, "
                f"{seconds:.1f} s, {rate / floor_rate:.3f} of the floor; peak RSS "
                f"{max(r['peak_mb'] for r in runs):,.0f} MB (largest process); output "
                f"{runs[-1]['bytes'] / 1e6:,.1f} MB, {runs[-1]['bytes'] / n:,.0f} bytes/molecule"
            )
            print(f"    it said: {runs[-1]['said']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
