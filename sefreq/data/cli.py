"""`sefreq data fetch|info`."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers, formatter) -> None:
    data = subparsers.add_parser(
        "data",
        help="fetch and check the upstream data",
        description="Fetch the public upstream files and check their sha256 sums.",
        epilog="Examples:\n  sefreq data fetch\n  sefreq data info\n"
        "  SEFREQ_DATA_DIR=/path/to/upstream sefreq data info",
        formatter_class=formatter,
    )
    commands = data.add_subparsers(dest="data_command", metavar="ACTION")
    fetch = commands.add_parser(
        "fetch",
        help="download what is missing and verify every file",
        description="Download every missing upstream file, verify its sha256, and delete a "
        "file whose sum does not match.",
        epilog="Example:\n  sefreq data fetch\n  sefreq data fetch --dir ./data",
        formatter_class=formatter,
    )
    fetch.add_argument("--dir", type=Path, default=None, help="target folder (default: data dir)")
    fetch.add_argument("--base-url", default=None, help="mirror serving the files by name")
    fetch.add_argument("--no-progress", action="store_true", help="hide progress bars")
    fetch.set_defaults(handler=_fetch)
    info = commands.add_parser(
        "info",
        help="where data was found, what is verified, what is missing",
        description="Show where upstream data is looked for and the state of each file.",
        epilog="Example:\n  sefreq data info",
        formatter_class=formatter,
    )
    info.add_argument("--dir", type=Path, default=None, help="folder to check")
    info.set_defaults(handler=_info)
    data.set_defaults(handler=lambda args: data.print_help() or 2)


def _fetch(args: argparse.Namespace) -> int:
    from sefreq.data.registry import data_dir, fetch

    directory = args.dir or data_dir()
    print(f"Fetching upstream data into {directory}")
    statuses = fetch(directory, base_url=args.base_url, progress=not args.no_progress)
    bad = [s for s in statuses if s.state != "verified"]
    print(f"{len(statuses) - len(bad)}/{len(statuses)} files verified in {directory}.")
    for status in bad:
        print(f"  {status.key}: {status.state}")
    return 1 if bad else 0


def _info(args: argparse.Namespace) -> int:
    from sefreq.data.registry import DATA_DIR_ENV, FETCH_HINT, REGISTRY, data_dir, file_status

    directory = args.dir or data_dir()
    print(f"Data folder: {directory}  (set {DATA_DIR_ENV} to use another)")
    missing = 0
    for entry in REGISTRY.values():
        status = file_status(entry, directory)
        name = status.path.name if status.path else entry.filename
        print(f"  {status.state:9s} {name:34s} {entry.licence}")
        missing += status.state != "verified"
    if missing:
        print(f"{missing} file(s) missing or corrupt. Run `{FETCH_HINT}` to fix.")
        return 1
    print(f"All {len(REGISTRY)} files verified.")
    return 0
