"""`sefreq train` and `sefreq predict`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sefreq.model.artifact import MODEL_DIR_ENV, model_dir


def register(subparsers, formatter) -> None:
    train = subparsers.add_parser(
        "train",
        help="train the bundled model on every usable drug",
        description="Train the SEFreq ensemble on every drug with a usable structure and save "
        "it as safetensors + a JSON card. Reproducible for a given seed.",
        epilog="Example:\n  sefreq train\n  sefreq train --seed 0 --members 5 --out models/",
        formatter_class=formatter,
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (splits, init, order)")
    train.add_argument("--members", type=int, default=5, help="ensemble size")
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"bundle folder (default: ${MODEL_DIR_ENV} or the shipped one)",
    )
    train.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    train.add_argument("--no-progress", action="store_true", help="hide progress bars")
    train.add_argument(
        "--with-sider",
        action="store_true",
        help="also train on SIDER's drugs beyond the 759 (the +sider condition of the "
        "benchmark); validation and calibration stay on the 759",
    )
    train.set_defaults(handler=_train)

    predict = subparsers.add_parser(
        "predict",
        help="predict side-effect profiles of molecules",
        description="Predict, for every molecule of INPUT, all 994 side effects: probability "
        "of being reported, frequency class probabilities, expected frequency, uncertainty, "
        "conformal set and applicability domain. Output is long form, one row per molecule "
        "x side effect, as `Predictor.predict` returns it.",
        epilog="Example:\n  sefreq predict molecules.csv -o profile.csv\n"
        "  sefreq predict molecules.smi -o profile.parquet --model models/\n\n"
        "INPUT: a CSV with a `smiles` column (an optional `id` column is carried through) or\n"
        "a .smi file (SMILES, optionally followed by an id, one molecule a line), or an SDF;\n"
        "the same reader as the dashboard's upload (UTF-8, Latin-1 or UTF-16 text).",
        formatter_class=formatter,
    )
    predict.add_argument(
        "input", type=Path, metavar="INPUT", help=".csv/.tsv (smiles[, id]), .smi or .sdf"
    )
    predict.add_argument("-o", "--output", type=Path, required=True, help=".csv or .parquet")
    predict.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"bundle folder (default: ${MODEL_DIR_ENV} or the shipped one)",
    )
    predict.add_argument("--no-progress", action="store_true", help="hide progress bars")
    predict.set_defaults(handler=_predict)


def _train(args: argparse.Namespace) -> int:
    import time

    from sefreq.model.config import BUNDLE_PRIOR, TrainConfig
    from sefreq.model.recipe import train_bundle

    out = args.out or model_dir()
    config = TrainConfig(
        seed=args.seed,
        n_members=args.members,
        threads=args.threads,
        progress=not args.no_progress,
        **BUNDLE_PRIOR,
    )
    started = time.perf_counter()
    path = train_bundle(out, config=config, with_sider=args.with_sider)
    size = sum(p.stat().st_size for p in Path(path).iterdir()) / 1e6
    print(f"Saved the model to {path} ({size:.1f} MB) in {time.perf_counter() - started:.0f} s.")
    return 0


def read_molecules(path: Path) -> tuple[list[str], list[str]]:
    """SMILES and ids from a .csv/.tsv (``smiles`` column, optional ``id``), .smi or .sdf file,
    read by :func:`sefreq.chem.io.read_molecule_file` (the dashboard's reader)."""
    from sefreq.chem.io import read_molecule_file

    if not path.is_file():
        raise FileNotFoundError(f"no input file {path}")
    entries = read_molecule_file(path.name, path.read_bytes())
    return [smiles for _, smiles in entries], [molecule_id for molecule_id, _ in entries]


def _predict(args: argparse.Namespace) -> int:
    from sefreq.chem.io import neutralise_formulas
    from sefreq.model.predictor import Predictor

    try:
        smiles, ids = read_molecules(args.input)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    suffix = args.output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        print(f"error: output must end in .csv or .parquet, not {suffix!r}", file=sys.stderr)
        return 2
    predictor = Predictor.from_directory(args.model or model_dir())
    table = predictor.predict(smiles, ids=ids, progress=not args.no_progress)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        table.to_parquet(args.output, index=False)
    else:  # a CSV is opened in spreadsheets: no cell may start a formula
        neutralise_formulas(table).to_csv(args.output, index=False)
    n_bad = int((table["side_effect_index"] == -1).sum())
    print(
        f"Wrote {len(table)} rows for {len(smiles)} molecules to {args.output}"
        + (f" ({n_bad} could not be read: see the `error` column)." if n_bad else ".")
    )
    return 0
