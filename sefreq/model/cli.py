"""`sefreq train` (`sefreq predict` is :mod:`sefreq.screen.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sefreq.model.artifact import MODEL_DIR_ENV, model_dir


def register(subparsers, formatter) -> None:
    train = subparsers.add_parser(
        "train",
        help="train the bundled model on every usable drug",
        description="Train the SEFreq ensemble on every drug with a usable structure and side "
        "effects (the 759 of Galeano's matrix and SIDER's others) and save it as safetensors "
        "+ a JSON card. Reproducible for a given seed.",
        epilog="Example:\n  sefreq train\n  sefreq train --seed 0 --members 5 --out models/\n"
        "  sefreq train --no-with-sider --out /tmp/m759   # the 759 drugs only",
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
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train on SIDER's drugs beyond the 759 (the +sider condition of the "
        "benchmark), as the shipped model is; validation and calibration stay on the 759. "
        "--no-with-sider trains on the 759 only",
    )
    train.set_defaults(handler=_train)


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
