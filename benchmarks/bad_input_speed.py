"""How long the slowest bad input takes to be answered (target: every one within 2 s).

Each SMILES of the corpus (tests/support/bad_inputs.py) goes through the bundled model's
``Predictor.predict`` as a batch of one, and through the dashboard's preparation
(``sefreq.present.molecules.prepare``); each file through the upload reader and the batch
preparation; each hostile screening file (bombs, huge SDF records, cages, encodings:
``hostile_files``) through ``sefreq predict`` (:func:`sefreq.screen.run.screen`, one
process). Prints the five slowest cases of each, the slowest overall, and the peak memory
(RSS) of this process after loading the model and after the whole corpus.

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
    import resource

    peak_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
    import resource
    import tempfile

    from sefreq.model.artifact import model_dir
    from sefreq.screen.run import screen

    with tempfile.TemporaryDirectory() as folder:
        for name, path in corpus.hostile_files(Path(folder) / "corpus"):

            def run(path=path, folder=folder):
                screen(path, Path(folder) / "out.csv", model_dir=model_dir(), jobs=1,
                       progress=False)  # fmt: skip

            rows.append(("screen", name, _timed(run, args.repeats)))
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for path in ("api", "prepare", "upload", "screen"):
        slowest = sorted((r for r in rows if r[0] == path), key=lambda r: -r[2])[:5]
        print(f"{path}: " + ", ".join(f"{name!r} {seconds:.3f} s" for _, name, seconds in slowest))
    print(f"peak RSS: {peak_loaded:.0f} MB with the model loaded, {peak_after:.0f} MB after "
          f"the whole corpus (+{peak_after - peak_loaded:.0f} MB)")  # fmt: skip
    worst = max(rows, key=lambda r: r[2])
    verdict = "ok" if worst[2] <= 2.0 else "MISSED"
    print(f"slowest of {len(rows)} answers: {worst[0]} {worst[1]!r} {worst[2]:.3f} s "
          f"(target <= 2 s: {verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
