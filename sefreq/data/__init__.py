"""Upstream registry and fetch, SIDER parsing, and the curated dataset."""

from sefreq.data.registry import (
    REGISTRY,
    DataMissingError,
    cache_dir,
    data_dir,
    fetch,
    file_status,
    resolve,
)

__all__ = [
    "REGISTRY",
    "DataMissingError",
    "cache_dir",
    "data_dir",
    "fetch",
    "file_status",
    "load_dataset",
    "resolve",
]


def load_dataset(*args, **kwargs):
    """Build (or load from the cache) the curated dataset; see :mod:`sefreq.data.dataset`."""
    from sefreq.data.dataset import load_dataset as _load

    return _load(*args, **kwargs)
