"""How long the slowest bad input takes to be answered (target: every one within 2 s).

Each SMILES of the corpus (tests/support/bad_inputs.py) goes through the bundled model's
``Predictor.predict`` as a batch of one, and through the dashboard's preparation
(``sefreq.present.molecules.prepare``); each file through the upload reader and the batch
preparation. Prints the five slowest cases of each, and the slowest overall.

    python benchmarks/bad_input_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "support" / "bad_inputs.py"


def _corpus():
    spec = importlib.util.spec_from_file_location("bad_inputs", CORPUS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            action()
        except Exception as error:  # a refusal is an answer; report anything else loudly
            from sefreq.chem.io import MoleculeInputError

            if not isinstance(error, MoleculeInputError):
                raise
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (median)")
    args = parser.parse_args()
    from sefreq import Predictor
    from sefreq.present import molecules

    corpus = _corpus()
    predictor = Predictor.from_bundled()
    predictor.predict("CCO")  # the first call pays lazy set-up; time the answers after it
    rows = []
    for name, smiles in corpus.SMILES_CASES:
        rows.append(("api", name, _timed(lambda s=smiles: predictor.predict([s]), args.repeats)))
        prepare = lambda s=smiles: molecules.prepare(s, "x", molecules.PASTED)  # noqa: E731
        rows.append(("prepare", name, _timed(prepare, args.repeats)))
    for name, filename, content in corpus.file_cases():

        def read(filename=filename, content=content):
            entries = molecules.read_upload(filename, content)
            molecules.prepare_batch(entries, molecules.UPLOAD)

        rows.append(("upload", name, _timed(read, args.repeats)))
    for path in ("api", "prepare", "upload"):
        slowest = sorted((r for r in rows if r[0] == path), key=lambda r: -r[2])[:5]
        print(f"{path}: " + ", ".join(f"{name!r} {seconds:.3f} s" for _, name, seconds in slowest))
    worst = max(rows, key=lambda r: r[2])
    verdict = "ok" if worst[2] <= 2.0 else "MISSED"
    print(f"slowest of {len(rows)} answers: {worst[0]} {worst[1]!r} {worst[2]:.3f} s "
          f"(target <= 2 s: {verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
