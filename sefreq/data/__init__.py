"""Data: the upstream registry and fetch, SIDER parsing, curation, names, the curated dataset.

:func:`load_dataset` builds (or reads from the cache) everything the layers above use;
:mod:`~sefreq.data.types` holds the types it hands them. Imports only :mod:`sefreq.chem`
and :mod:`sefreq.constants`.
"""

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
    """Build (or load from the cache) the curated dataset; see :mod:`sefreq.data.cache`."""
    from sefreq.data.cache import load_dataset as _load

    return _load(*args, **kwargs)
