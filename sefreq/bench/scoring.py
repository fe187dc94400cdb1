"""A protocol's metric set on a held-out view: :func:`score`, on top of :mod:`sefreq.metrics`."""

from __future__ import annotations

import numpy as np

from sefreq.bench.interface import EvalView, Prediction
from sefreq.bench.protocols import PROTOCOLS, canonical_protocol
from sefreq.metrics import ALL_PAIR_KEYS, RANKED_KEYS, score_cells


def _all_pairs(protocol: str) -> bool:
    """Whether ``protocol`` regresses every pair (0..5) instead of ranking (its
    :attr:`~sefreq.bench.protocols.Protocol.all_pairs`); ValueError for an unknown one."""
    return PROTOCOLS[canonical_protocol(protocol)].all_pairs


def metric_keys(protocol: str) -> tuple[str, ...]:
    """Return the keys that :func:`score` returns for ``protocol``, in a stable order."""
    return ALL_PAIR_KEYS if _all_pairs(protocol) else RANKED_KEYS


def score(view: EvalView, prediction: Prediction, protocol: str) -> dict[str, float]:
    """Score a prediction on held-out cells with the protocol's metric set.

    H5 regresses the expected score on every pair; the other protocols rank
    (:func:`sefreq.metrics.score_cells` says what each set holds). Returns
    ``{key: value}`` with exactly the keys of :func:`metric_keys`.
    """
    all_pairs = _all_pairs(protocol)
    if all_pairs == view.positive_only_regression:
        regressing = ", ".join(name for name, p in PROTOCOLS.items() if p.all_pairs)
        raise ValueError(
            f"protocol {protocol.upper()} does not match the view "
            f"(positive_only_regression={view.positive_only_regression}); {regressing} and "
            f"only {regressing} regresses on all pairs"
        )
    return score_cells(
        np.asarray(view.frequency),
        view.mask,
        prediction.association,
        prediction.frequency,
        all_pairs=all_pairs,
    )
