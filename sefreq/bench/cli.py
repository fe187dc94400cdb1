"""`sefreq bench`: run models over the evaluation protocols and write the result tables."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

QUICK_FOLDS = 2


def register(subparsers, formatter) -> None:
    from sefreq.bench.registry import BASELINES, available_models

    bench = subparsers.add_parser(
        "bench",
        help="benchmark models on the WS, ICS, IND, M10 and H5 protocols",
        description="Fit and score models on seeded folds saved under OUT/folds (re-used by "
        "every later run, so all models meet the same folds), then merge the scores into "
        "OUT/results.csv and re-render OUT/results.md. Re-running a model on a protocol "
        "replaces only its rows. --quick runs 2 folds of reduced models and writes to "
        f"OUT/quick/ instead. Models: {', '.join(available_models())}.",
        epilog="Examples:\n"
        "  sefreq bench --quick\n"
        "  sefreq bench --protocol ICS --model prevalence,knn\n"
        "  sefreq bench --protocol ICS,ICS+sider --model prevalence,kernel,sefreq\n"
        "  sefreq bench --protocol ICS --model sefreq,kernel   # shipped network, kernel baseline\n"
        "  SEFREQ_DATA_DIR=/path/to/upstream sefreq bench --protocol all --model "
        + ",".join(BASELINES),
        formatter_class=formatter,
    )
    bench.add_argument(
        "--protocol",
        default="all",
        help="comma-separated WS,ICS,IND,M10,H5, or 'all'; ICS+sider and IND+sider add "
        "SIDER's other drugs to every fold's training side",
    )
    bench.add_argument(
        "--model",
        default=",".join(BASELINES),
        help="comma-separated registered model keys, or 'all' (every importable one)",
    )
    bench.add_argument(
        "--folds", type=int, default=None, help="run only the first N folds (None: all)"
    )
    bench.add_argument(
        "--all", action="store_true", help="every protocol and every baseline (the full run)"
    )
    bench.add_argument("--quick", action="store_true", help="2 folds, reduced models, OUT/quick/")
    bench.add_argument("--seed", type=int, default=0, help="seed of the folds and the models")
    bench.add_argument("--out", type=Path, default=Path("benchmarks"), help="results folder")
    bench.add_argument(
        "--refresh-folds", action="store_true", help="draw and overwrite the saved fold files"
    )
    bench.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    bench.set_defaults(handler=_bench)

    commands = bench.add_subparsers(dest="bench_command", metavar="SUBCOMMAND")
    confidence = commands.add_parser(
        "confidence",
        help="held-out calibration, conformal coverage and error by similarity",
        description="Fit SEFreq's network on every fold of a protocol and measure, on the "
        "held-out drugs, ECE before and after temperature scaling, coverage and size of the "
        "90%% conformal sets, and error against max Tanimoto to the training drugs (the "
        "applicability-domain evidence). Writes a JSON report.",
        epilog="Examples:\n"
        "  sefreq bench confidence --protocol ICS-all --out models/evaluation.json\n"
        "  sefreq bench confidence --protocol ICS-all --known-targets --out /tmp/known.json\n"
        "  sefreq bench confidence --folds 2 --members 2 --out /tmp/confidence.json",
        formatter_class=formatter,
    )
    confidence.add_argument(
        "--protocol",
        default="ICS",
        help="a protocol (WS, ICS, IND, M10, H5, ICS-all), or one with +sider",
    )
    confidence.add_argument("--folds", type=int, default=None, help="first N folds only")
    confidence.add_argument("--variant", default="asym_i_ii", help="network variant")
    confidence.add_argument("--members", type=int, default=None, help="ensemble size per fold")
    confidence.add_argument(
        "--recipe",
        choices=("shipped", "variant"),
        default="shipped",
        help="the shipped recipe, or the plain --variant of the ablation tables",
    )
    confidence.add_argument(
        "--known-targets",
        action="store_true",
        help="a test drug with known proteins or ATC classes reads them (the shipped recipe)",
    )
    confidence.add_argument(
        "--out", type=Path, default=Path("models/evaluation.json"), help="JSON report"
    )
    confidence.set_defaults(handler=_confidence)


def _parse_list(text: str, allowed: tuple[str, ...] | list[str], what: str) -> list[str]:
    if text.strip().lower() == "all":
        return list(allowed)
    items = [t.strip() for t in text.split(",") if t.strip()]
    lookup = {a.lower(): a for a in allowed}
    unknown = [t for t in items if t.lower() not in lookup]
    if unknown:
        raise SystemExit(f"error: unknown {what} {', '.join(unknown)}; choose from "
                         f"{', '.join(allowed)}")  # fmt: skip
    return [lookup[t.lower()] for t in items]


def _bench(args: argparse.Namespace) -> int:
    from sefreq.bench.protocols import PROTOCOLS, sider_conditions
    from sefreq.bench.registry import BASELINES, available_models
    from sefreq.bench.runner import (
        RunInfo,
        command_line,
        git_commit,
        load_bench_data,
        now_utc,
        run_benchmark,
        write_outputs,
    )

    protocols = (
        list(PROTOCOLS)
        if args.all or args.protocol.strip().lower() == "all"
        else _parse_list(args.protocol, (*PROTOCOLS, *sider_conditions()), "protocol")
    )
    models = _parse_list(",".join(BASELINES) if args.all else args.model, available_models(),
                         "model")  # fmt: skip
    if args.model.strip().lower() == "all" and not args.all:
        models = [m for m in models if _resolvable(m)]
    folds = args.folds if args.folds is not None else (QUICK_FOLDS if args.quick else None)
    out_dir = args.out / "quick" if args.quick else args.out
    start = time.perf_counter()
    data = load_bench_data()
    print(
        f"{len(data.pool_ids)} benchmark drugs ({data.n_excluded_no_structure} without a "
        f"structure left out), {len(data.independent_ids)} independent test drugs."
    )
    info = RunInfo(command=command_line(), commit=git_commit(), date=now_utc())
    results = run_benchmark(
        data, protocols, models, folds=folds, seed=args.seed, quick=args.quick,
        folds_dir=args.out / "folds", refresh_folds=args.refresh_folds,
        progress=not args.no_progress, info=info,
    )  # fmt: skip
    title = "SEFreq benchmark results (quick run: reduced, not for citing)" if args.quick else (
        "SEFreq benchmark results")  # fmt: skip
    csv_path, md_path = write_outputs(results, out_dir, title)
    print(f"Wrote {csv_path} and {md_path} in {time.perf_counter() - start:.0f} s.")
    return 0


def _confidence(args: argparse.Namespace) -> int:
    import json

    from sefreq.bench.confidence import SHIPPED_OPTIONS, held_out_report

    options = dict(SHIPPED_OPTIONS) if args.recipe == "shipped" else {}
    if args.known_targets:
        if args.recipe != "shipped":
            raise SystemExit("error: --known-targets needs the shipped recipe (its mechanism view)")
        options["known_mechanism"] = True
    if args.members is not None:
        options["n_members"] = args.members
    report = held_out_report(args.protocol, args.folds, args.variant, **options)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    from sefreq.model.artifact import MANIFEST_FILE, write_manifest

    if (args.out.parent / MANIFEST_FILE).is_file():  # written into a bundle: list it there
        write_manifest(args.out.parent)
    print(json.dumps({k: v for k, v in report.items() if k != "per_fold"}, indent=1))
    return 0


def _resolvable(key: str) -> bool:
    """True when a registered model's module can be imported (lazy entries may not be)."""
    from sefreq.bench.registry import resolve_factory

    try:
        resolve_factory(key)
    except KeyError:
        return False
    return True
