"""Benchmarked models by string key (as chemprop registers its pluggable parts).

An entry is a factory or a lazy ``"module:callable"`` path, imported only when the model
is built, so ``sefreq --help`` never imports torch. A factory takes keyword options and
returns a :class:`~sefreq.bench.interface.BenchModel`; it is passed only the options its
signature accepts among ``seed`` (int) and ``quick`` (bool: a reduced, fast variant).

Adding a model::

    from sefreq.bench.registry import register_model
    register_model("asym", "sefreq.bench.models.sefreq_net:make_asym")
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from sefreq.bench.interface import BenchModel

Factory = Callable[..., BenchModel]

MODEL_REGISTRY: dict[str, Factory | str] = {
    "prevalence": "sefreq.bench.models.baselines:PrevalenceModel",
    "wnmf": "sefreq.bench.models.baselines:WNMFModel",
    "knn": "sefreq.bench.models.baselines:KNNModel",
    "mlp": "sefreq.bench.models.baselines:MLPModel",
    "kernel": "sefreq.bench.models.kernel:KernelPriorModel",
    "knn-listed": "sefreq.bench.models.listing_knn:ListedKNNModel",
    "knn-targets": "sefreq.bench.models.listing_knn:TargetKNNModel",
    # SEFreq's own models and their ablations (docs/MODEL.md); resolved lazily.
    "sefreq": "sefreq.bench.models.sefreq_net:make_shipped",  # the recipe `sefreq train` ships
    "sefreq-mechanism": "sefreq.bench.models.sefreq_net:make_mechanism",
    "sefreq-known": "sefreq.bench.models.sefreq_net:make_mechanism_known",
    "asym": "sefreq.bench.models.sefreq_net:make_asym",
    "sefreq_single_task": "sefreq.bench.models.sefreq_net:make_single_task",
    "sefreq_symmetric": "sefreq.bench.models.sefreq_net:make_symmetric",
    "sefreq_asym_i": "sefreq.bench.models.sefreq_net:make_asym_i",
    "sefreq_asym_i_ii": "sefreq.bench.models.sefreq_net:make_asym_i_ii",
    "sefreq_asym_i_ii_kernel": "sefreq.bench.models.sefreq_net:make_asym_i_ii_kernel",
    "sefreq_asym_i_ii_kernel_select": "sefreq.bench.models.sefreq_net:make_asym_i_ii_kernel_select",
    "sefreq_asym_i_ii_kernel_pool": "sefreq.bench.models.sefreq_net:make_asym_i_ii_kernel_pool",
    "sefreq_asym_i_ii_smoothed": "sefreq.bench.models.sefreq_net:make_asym_i_ii_smoothed",
}

#: The baselines every table shows, in table order.
BASELINES: tuple[str, ...] = ("prevalence", "wnmf", "knn", "mlp", "kernel")


def register_model(key: str, factory: Factory | str, *, replace: bool = False) -> None:
    """Add a model under ``key``: a factory, or a lazy ``"module:callable"`` path."""
    if key in MODEL_REGISTRY and not replace:
        raise KeyError(f"model {key!r} is already registered; pass replace=True to override")
    if isinstance(factory, str) and ":" not in factory:
        raise ValueError(f"lazy entry {factory!r} must read 'module:callable'")
    MODEL_REGISTRY[key] = factory


def available_models() -> list[str]:
    """Registered keys, in registration order."""
    return list(MODEL_REGISTRY)


def resolve_factory(key: str) -> Factory:
    """The factory registered under ``key``, importing a lazy entry's module."""
    try:
        entry = MODEL_REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown model {key!r}; choose from {', '.join(MODEL_REGISTRY)}") from None
    if not isinstance(entry, str):
        return entry
    module_name, _, attribute = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise KeyError(f"model {key!r} needs {module_name}, which is not available") from error
    return getattr(module, attribute)


def make_model(key: str, **options: object) -> BenchModel:
    """Build the model registered under ``key`` with the options its factory accepts."""
    factory = resolve_factory(key)
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable: pass nothing
        parameters = {}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    accepted = {k: v for k, v in options.items() if takes_any or k in parameters}
    model = factory(**accepted)
    if not isinstance(model, BenchModel):
        raise TypeError(f"factory of {key!r} returned {type(model).__name__}, not a BenchModel")
    return model
