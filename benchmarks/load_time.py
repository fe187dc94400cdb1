"""How long the dataset takes to build from upstream files, and to load from the cache.

Prints the median (and min / max) of ``--runs`` timings of each. Run with the upstream
files available::

    SEFREQ_DATA_DIR=/path/to/upstream .venv/bin/python benchmarks/load_time.py --runs 5

The cold build goes to a fresh temporary cache every run; the cached load reads the cache
that the last build wrote (no file is re-hashed beyond resolve()'s checks).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sefreq.data.cache import load_dataset


def _time(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _summary(label: str, seconds: list[float]) -> str:
    return (
        f"{label:12s} median {statistics.median(seconds):8.3f} s   "
        f"min {min(seconds):.3f}   max {max(seconds):.3f}   (n={len(seconds)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timings of each (>= 5)")
    parser.add_argument("--data-dir", type=Path, default=None, help="upstream files")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as root:
        cold = []
        for run in range(args.runs):
            cache = Path(root) / f"cold-{run}"
            cold.append(_time(lambda c=cache: load_dataset(args.data_dir, c, rebuild=True)))
        cached = [
            _time(lambda: load_dataset(args.data_dir, Path(root) / f"cold-{args.runs - 1}"))
            for _ in range(args.runs)
        ]
    print(_summary("cold build", cold))
    print(_summary("cached load", cached))


if __name__ == "__main__":
    main()
