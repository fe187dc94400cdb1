"""A protocol's metric set on a held-out view: :func:`score`, on top of :mod:`sefreq.metrics`."""

from __future__ import annotations

import numpy as np

from sefreq.bench.interface import EvalView, Prediction
from sefreq.bench.protocols import canonical_protocol
from sefreq.metrics import ALL_PAIR_KEYS, RANKED_KEYS, score_cells

#: The protocol that regresses every pair (0..5) instead of ranking (HSTrans).
ALL_PAIR_PROTOCOL = "H5"


def protocol_key(protocol: str) -> str:
    """The canonical name of ``protocol``; ValueError for an unknown one."""
    return canonical_protocol(protocol)


def metric_keys(protocol: str) -> tuple[str, ...]:
    """Return the keys that :func:`score` returns for ``protocol``, in a stable order."""
    return ALL_PAIR_KEYS if protocol_key(protocol) == ALL_PAIR_PROTOCOL else RANKED_KEYS


def score(view: EvalView, prediction: Prediction, protocol: str) -> dict[str, float]:
    """Score a prediction on held-out cells with the protocol's metric set.

    H5 regresses the expected score on every pair; the other protocols rank
    (:func:`sefreq.metrics.score_cells` says what each set holds). Returns
    ``{key: value}`` with exactly the keys of :func:`metric_keys`.
    """
    all_pairs = protocol_key(protocol) == ALL_PAIR_PROTOCOL
    if all_pairs == view.positive_only_regression:
        raise ValueError(
            f"protocol {protocol.upper()} does not match the view "
            f"(positive_only_regression={view.positive_only_regression}); H5 and only H5 "
            "regresses on all pairs"
        )
    return score_cells(
        np.asarray(view.frequency),
        view.mask,
        prediction.association,
        prediction.frequency,
        all_pairs=all_pairs,
    )
