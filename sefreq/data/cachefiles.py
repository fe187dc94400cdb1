"""Cache files that are verified, not trusted: each is written whole beside a record of its
sha256, and read back only when the file is there and matches it. Anything else (a flipped
byte, a truncated or deleted file, a missing record) reads as "not cached", so the caller
rebuilds it; a cache can only cost time, never change an answer.

Used for the SHAP background and the approved drugs' reference; the dataset folder keeps
the same record for its many files in its ``meta.json`` (:mod:`sefreq.data.dataset`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sefreq.data.registry import sha256_of

T = TypeVar("T")


def _record(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_verified(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` a new file, then put it and its sha256 record in place (the record
    last: a file without its record is never read). A cache that cannot be written only
    costs a rebuild next time, so an OSError is swallowed."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        _record(path).unlink(missing_ok=True)
        write(tmp)
        digest = sha256_of(tmp)
        os.replace(tmp, path)
        _record(path).write_text(digest + "\n")
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def read_verified(path: Path, read: Callable[[Path], T]) -> T | None:
    """``read(path)`` when ``path`` matches its sha256 record; None (and both removed) when
    either is missing, they differ, or reading fails."""
    path = Path(path)
    try:
        expected = _record(path).read_text().strip()
        if sha256_of(path) == expected:
            return read(path)
    except (OSError, ValueError, KeyError):
        pass
    for stale in (path, _record(path)):
        with contextlib.suppress(OSError):
            stale.unlink(missing_ok=True)
    return None
