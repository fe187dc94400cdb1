"""The dataset cache: a built :class:`~sefreq.data.dataset.Dataset` on disk (parquet + npz),
keyed by the sha256 of every input and :data:`~sefreq.data.build.BUILD_VERSION`, so a
changed input or a changed build rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from sefreq.data.build import BUILD_VERSION, INPUT_KEYS, build_dataset
from sefreq.data.dataset import Dataset, with_none
from sefreq.data.registry import REGISTRY, resolve, sha256_of
from sefreq.data.registry import cache_dir as default_cache_dir


def load_dataset(
    data_dir: Path | None = None, cache_dir: Path | None = None, rebuild: bool = False
) -> Dataset:
    """The curated dataset, from the cache when its inputs and build version match.

    Raises :class:`~sefreq.data.registry.DataMissingError` (naming ``sefreq data fetch``)
    when an upstream file is missing or corrupt.
    """
    paths = {key: resolve(key, data_dir) for key in INPUT_KEYS}
    folder = Path(cache_dir or default_cache_dir()) / f"dataset-{_cache_key(paths)}"
    cached = None if rebuild else _cached(folder)
    if cached is not None:
        return cached
    # One process builds; another that asks meanwhile waits, then reads what it wrote.
    with _build_lock(folder):
        cached = None if rebuild else _cached(folder)
        if cached is not None:
            return cached
        dataset = build_dataset(paths)
        # A read-only or vanished cache folder only costs a rebuild next time.
        with contextlib.suppress(OSError):
            _write_cache(dataset, folder)
    return dataset


def _cached(folder: Path) -> Dataset | None:
    """The cached dataset in ``folder``, or None (absent, half-written or damaged)."""
    if not (folder / _DONE).is_file():
        return None
    try:
        return _read_cache(folder)
    except Exception:  # a damaged cache is rebuilt, never trusted
        shutil.rmtree(folder, ignore_errors=True)
        return None


@contextlib.contextmanager
def _build_lock(folder: Path):
    """A file lock beside ``folder`` (filelock); none when the cache cannot be written."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(f"{folder}.lock", timeout=BUILD_LOCK_SECONDS)
        lock.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _cache_key(paths: dict[str, Path]) -> str:
    digest = hashlib.sha256(f"build={BUILD_VERSION}".encode())
    for key in INPUT_KEYS:
        # resolve() has just verified the file against its registry sum: use that sum
        # rather than hashing every file a second time.
        sums = dict(REGISTRY[key].variants)
        digest.update(f"|{key}={sums[paths[key].name]}".encode())
    return digest.hexdigest()[:20]


_DONE = "COMPLETE"
#: How long a process waits for another one building the same dataset (a build takes ~5 s).
BUILD_LOCK_SECONDS = 600
_TABLES = (
    "drugs",
    "side_effects",
    "names",
    "labels",
    "evidence",
    "pairs",
    "catalogue",
    "associations",
    "synonyms",
    "targets",
    "mechanism_drugs",
)
_LIST_COLUMNS = ("organ_classes", "group_terms")
_LIST_SEP = "|"


def save_dataset(dataset: Dataset, folder: Path) -> None:
    """Write ``dataset`` to ``folder`` (parquet + npz), as the cache does."""
    _write_cache(dataset, Path(folder))


def read_dataset(folder: Path) -> Dataset:
    """Read a dataset that :func:`save_dataset` (or the cache) wrote to ``folder``."""
    return _read_cache(Path(folder))


def _write_cache(dataset: Dataset, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dataset-", dir=folder.parent))
    try:
        np.savez(
            staging / "arrays.npz",
            frequency=dataset.frequency,
            side_effect_similarity=dataset.side_effect_similarity,
        )
        for name in _TABLES:
            table: pd.DataFrame = getattr(dataset, name)
            if name == "side_effects":
                # '|' never occurs in SOC/HLGT names; plain strings read back faster.
                table = table.assign(**{c: table[c].map(_LIST_SEP.join) for c in _LIST_COLUMNS})
            table.to_parquet(staging / f"{name}.parquet", index=False)
        meta = {
            "build_version": BUILD_VERSION,
            "organ_class_names": dataset.organ_class_names,
            "group_term_names": dataset.group_term_names,
            # Checked at every read: a flipped byte or a missing file rebuilds the cache.
            "files": {name: sha256_of(staging / name) for name in _cache_files()},
        }
        (staging / "meta.json").write_text(json.dumps(meta))
        (staging / _DONE).write_text("")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _cache_files() -> list[str]:
    return ["arrays.npz", *(f"{name}.parquet" for name in _TABLES)]


class DamagedCacheError(ValueError):
    """A cached dataset file is missing or does not match the sha256 its folder records."""


def _read_cache(folder: Path) -> Dataset:
    meta = json.loads((folder / "meta.json").read_text())
    recorded = meta.get("files") or {}
    for name in _cache_files():  # verified, not trusted: every file, every read
        if name not in recorded or sha256_of(folder / name) != recorded[name]:
            raise DamagedCacheError(f"{folder / name} is missing or changed")
    with np.load(folder / "arrays.npz") as arrays:
        frequency = arrays["frequency"]
        similarity = arrays["side_effect_similarity"]
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in _TABLES}
    side_effects = tables["side_effects"]
    for column in _LIST_COLUMNS:
        side_effects[column] = [
            text.split(_LIST_SEP) if text else [] for text in side_effects[column]
        ]
    drugs = with_none(tables["drugs"])
    return Dataset(
        frequency=frequency,
        drugs=drugs,
        side_effects=side_effects,
        organ_class_names=list(meta["organ_class_names"]),
        group_term_names=list(meta["group_term_names"]),
        side_effect_similarity=similarity,
        names=tables["names"],
        labels=tables["labels"],
        evidence=tables["evidence"],
        pairs=tables["pairs"],
        catalogue=with_none(tables["catalogue"]),
        associations=tables["associations"],
        synonyms=tables["synonyms"],
        targets=tables["targets"],
        mechanism_drugs=tables["mechanism_drugs"],
    )
