"""`sefreq ...`: the command line. Each sub-command lives beside the code it drives.

A sub-command module exposes ``register(subparsers)``; heavy imports stay inside the
handlers so that ``sefreq --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sefreq.constants import __version__
from sefreq.data.registry import DataMissingError
from sefreq.model.artifact import BundleIntegrityError

# Order here is the order `sefreq --help` lists them.
COMMAND_MODULES = (
    "sefreq.data.cli",
    "sefreq.bench.cli",
    "sefreq.model.cli",
    "sefreq.screen.cli",
    "sefreq.explain.cli",
    "sefreq.present.cli",
    "sefreq.report.cli",
)


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sefreq",
        description="Predict side-effect frequencies of drugs and new molecules.",
        epilog="Example:\n  sefreq data fetch\n  sefreq predict molecules.csv -o profile.csv",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"sefreq {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers, _Formatter)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed, to repeat it
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except (DataMissingError, BundleIntegrityError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupted:  # what was under way, where the work says it
        print(f"interrupted{f': {interrupted}' if str(interrupted) else ''}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
