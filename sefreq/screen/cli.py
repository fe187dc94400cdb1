"""`sefreq predict`: screen a list or a whole library of molecules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sefreq.model.artifact import MODEL_DIR_ENV


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (else argparse's own error line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def register(subparsers, formatter) -> None:
    predict = subparsers.add_parser(
        "predict",
        help="predict side-effect profiles of molecules (a list or a whole library)",
        description="Predict, for every molecule of INPUT, all 994 side effects: probability "
        "that a label lists it (p_association), frequency class probabilities, expected "
        "frequency, uncertainty, conformal set, applicability domain, and whether the model "
        "read the compound's known proteins or predicted ones (known_mechanism). The input "
        "is read in chunks and the output "
        "written as it goes, so memory does not grow with the library; unreadable molecules "
        "are written with their `error` and never stop the run. Forms (--format): long (one "
        "row per molecule x side effect, as `Predictor.predict` returns it), wide (one row "
        "per molecule: p_association:<side effect> and frequency_class:<side effect> "
        "columns), top-k (the K most likely side effects of each molecule, ranked).",
        epilog="Example:\n  sefreq predict molecules.csv -o profile.csv\n"
        "  sefreq predict library.smi.gz -o hits.parquet --format top-k -k 20 --jobs 2\n"
        "  sefreq predict library.csv -o wide.parquet --format wide --columns p_association\n"
        "  sefreq predict library.sdf -o out.parquet --resume     # after an interruption\n"
        "  sefreq predict library.csv -o out.parquet --scheduler tcp://host:8786\n\n"
        "INPUT: a CSV/TSV with a `smiles` column (an `id` or `name` column is carried\n"
        "through), a .smi file (SMILES, optionally followed by an id, one molecule a line),\n"
        "or an SDF (the title line is the id); any of them gzip-compressed (.gz). Every\n"
        "output row has `input_row`, the molecule's 0-based position in INPUT.",
        formatter_class=formatter,
    )
    predict.add_argument(
        "input", type=Path, metavar="INPUT", help=".csv/.tsv, .smi or .sdf, optionally .gz"
    )
    predict.add_argument("-o", "--output", type=Path, required=True, help=".csv or .parquet")
    predict.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"bundle folder (default: ${MODEL_DIR_ENV} or the shipped one)",
    )
    predict.add_argument(
        "--format", default="long", choices=("long", "wide", "top-k"), help="output form"
    )
    predict.add_argument("-k", "--top-k", type=positive_int, default=10, help="K of --format top-k")
    predict.add_argument(
        "--columns", default="", help="output columns to keep, comma-separated (id and "
        "input_row always stay; in wide form `p_association` keeps all 994 of them)"
    )  # fmt: skip
    predict.add_argument(
        "--keep", default="", help="input columns (SDF: properties) to carry through"
    )
    predict.add_argument("--smiles-column", default=None, help="the SMILES column of a table")
    predict.add_argument("--id-column", default=None, help="the id column of a table")
    predict.add_argument(
        "--chunk-size", type=positive_int, default=None,
        help="molecules per chunk (default: 200 for long, 1000 for wide and top-k)",
    )  # fmt: skip
    predict.add_argument(
        "--jobs", type=positive_int, default=None, help="worker processes (default: the cores)"
    )
    predict.add_argument(
        "--resume", action="store_true",
        help="continue an interrupted run: predict only the chunks not yet written",
    )  # fmt: skip
    predict.add_argument(
        "--dask", action="store_true",
        help="run on a local Dask cluster (pip install sefreq[distributed])",
    )  # fmt: skip
    predict.add_argument(
        "--scheduler", default=None,
        help="a Dask scheduler address (tcp://host:8786); workers need SEFreq, the same "
        "model bundle and the output folder",
    )  # fmt: skip
    predict.add_argument(
        "--dask-workers", type=positive_int, default=2, help="workers of the local Dask cluster"
    )
    predict.add_argument(
        "--structure-only", action="store_true",
        help="read every molecule as new: its predicted proteins, even where they are known "
        "(by default a known compound reads its DrugBank/DrugCentral ones; the "
        "`known_mechanism` column says which)",
    )  # fmt: skip
    predict.add_argument("--no-progress", action="store_true", help="hide progress bars")
    predict.set_defaults(handler=_predict)


def _predict(args: argparse.Namespace) -> int:
    import csv

    from sefreq.chem.io import MoleculeInputError
    from sefreq.screen.lifetime import ChunkMemoryError, ScreenInterrupted, WorkerDiedError
    from sefreq.screen.run import screen

    def names(text: str) -> tuple[str, ...]:
        return tuple(t.strip() for t in text.split(",") if t.strip())

    try:
        summary = screen(
            args.input,
            args.output,
            model_dir=args.model,
            format=args.format,
            k=args.top_k,
            columns=names(args.columns),
            keep=names(args.keep),
            smiles_column=args.smiles_column,
            id_column=args.id_column,
            chunk_size=args.chunk_size,
            jobs=args.jobs,
            resume=args.resume,
            progress=not args.no_progress,
            scheduler=args.scheduler,
            dask=args.dask,
            dask_workers=args.dask_workers,
            structure_only=args.structure_only,
        )
    except (MoleculeInputError, csv.Error, UnicodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (MemoryError, WorkerDiedError) as error:  # a chunk's: one molecule's is its row
        detail = str(error) if isinstance(error, ChunkMemoryError | WorkerDiedError) else (
            f"out of memory ({error or 'no detail'}); run again with a smaller --chunk-size"
        )  # fmt: skip
        print(f"error: {detail}", file=sys.stderr)
        return 1
    except ScreenInterrupted as interrupted:
        print(_interrupted_line(interrupted, getattr(args, "argv", None)), file=sys.stderr)
        return 130
    resumed = f", {summary.n_resumed} from the interrupted run" if summary.n_resumed else ""
    bad = (
        f" {summary.n_errors} could not be read: see the `error` column."
        if summary.n_errors
        else ""
    )
    print(
        f"Wrote {summary.n_molecules} molecules ({args.format}{resumed}) to {args.output}, "
        f"{summary.output_bytes / 1e6:.1f} MB, in {summary.seconds:.1f} s "
        f"({summary.rate:.0f} molecules/s).{bad}"
    )
    return 0


def _interrupted_line(interrupted, argv: list[str] | None) -> str:
    """The one line Ctrl-C leaves: what is written, and the command that continues."""
    chunks = f"{interrupted.chunks} chunk{'' if interrupted.chunks == 1 else 's'}"
    line = (
        f"interrupted: {interrupted.molecules} molecules in {chunks} are written "
        f"(in {interrupted.parts})"
    )
    if argv is None:  # called without main(): the command line is not known
        return f"{line}; continue with the same command and --resume"
    import shlex

    words = ["sefreq", *argv, *([] if "--resume" in argv else ["--resume"])]
    return f"{line}; continue with: {shlex.join(words)}"
