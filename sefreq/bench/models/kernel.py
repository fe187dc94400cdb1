"""A similarity-kernel baseline: neighbours' labels shrunk toward each side effect's prior.

The strongest structure-only recipe a feature study found on ICS validation parts (five
fingerprint kinds, count Tanimoto); kept as the baseline our network must beat.

Association:  multi-fingerprint Tanimoto similarity s(q, j) (mean of 5 fingerprints),
  kernel smoothing shrunk to the per-SE prior:
      P_ks[q, s] = (sum_j w_qj y_js + alpha * prior_s) / (sum_j w_qj + alpha),  w = s^gamma
  multi-output kernel ridge on the residual (kernel s^3):
      P_krr = prior + K_q^3 (K^3 + lam I)^-1 (Y - prior)
  blend P = (1 - mix) P_ks + mix * clip(P_krr, 1e-4, 1)
  side-effect co-occurrence smoothing of the residual R = P - prior:
      P' = prior + (1 - m) R + m R T^T,
      T = top-10 positive co-occurrence correlations, row-normalised
Frequency (class 1..5 given reported):
      ms_s = (sum_j y_js c_js + gm) / (n_s + 1)      (per-SE mean, shrunk to global mean gm)
      o_j  = sum_s y_js (c_js - ms_s) / (n_j + 5)              (drug offset of training drug j)
      base = ms_s + sum_j w_qj o_j / (sum_j w_qj + 1)          (w = s^g_f)
      F    = (sum_j w_qj y_js c_js + a_f * base) / (sum_j w_qj y_js + a_f)
All hyper-parameters are chosen on the protocol's validation view only (grid below), then
the model is refitted on training + validation drugs (validation is part of training).
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from sefreq.bench.interface import EvalView, Prediction, QueryView, TrainView
from sefreq.chem.features import KERNEL_FINGERPRINTS as FINGERPRINTS
from sefreq.chem.features import kernel_fingerprints as fingerprint_arrays
from sefreq.chem.similarity import kernel_similarity as similarity
from sefreq.metrics import aupr, auroc, auroc_per_drug, rmse
from sefreq.priors import (
    Grid,
    co_reporting,
    grid_search,
    kernel_smoothing,
    smoothed_frequency,
    smoothing_reference,
)

__all__ = ["FINGERPRINTS", "KernelPriorModel", "fingerprint_arrays", "similarity"]


class KernelPriorModel:
    """Kernel smoothing + kernel ridge toward the prior; hyper-parameters by validation grid."""

    name = "kernel"
    structure_only = True

    ASSOC_GRID: ClassVar[Grid] = Grid(
        dict(alpha=(0.03, 0.1, 0.3, 1.0), gamma=(2, 3, 5), mix=(0.0, 0.5), m=(0.0, 0.4))
    )
    KRR_GAMMA, KRR_LAMBDA = 3, 1.0
    FREQ_GRID: ClassVar[Grid] = Grid(dict(gamma=(2, 3, 5, 8), alpha=(0.03, 0.1, 0.3, 1.0)))

    def __init__(self) -> None:
        self.params: dict = {}
        self.fit_seconds = 0.0

    # -- pieces ------------------------------------------------------------------------
    @staticmethod
    def _stats(y, c, labelled):
        n = len(y)
        g = y.mean()
        prior = (y.sum(0) + g) / (n + 1.0)
        # Per-SE mean class, drug offsets and the co-reporting transfer: the statistics of
        # SEFreq's smoothed prior (sefreq.priors), top-10 partners per side effect.
        return dict(prior=prior, reference=smoothing_reference(c, labelled))

    def _assoc(self, kq, k, st, alpha, gamma, mix, m, krr_cache):
        prior, reference = st["prior"], st["reference"]
        kq = np.clip(kq, 0, None)
        p = kernel_smoothing(kq**gamma, reference, prior, alpha)
        if mix > 0:
            if "pk" not in krr_cache:
                kg = np.clip(k, 0, None) ** self.KRR_GAMMA
                residual = reference["positive"] - prior[None]
                a = np.linalg.solve(kg + self.KRR_LAMBDA * np.eye(len(kg)), residual)
                krr_cache["pk"] = np.clip(kq**self.KRR_GAMMA @ a + prior[None], 1e-4, 1)
            p = (1 - mix) * p + mix * krr_cache["pk"]
        if m > 0:
            p = np.clip(co_reporting(p, prior, reference["transfer"], m), 1e-5, 1)
        return p

    @staticmethod
    def _freq(kq, st, gamma, alpha):
        return smoothed_frequency(np.clip(kq, 0, None), st["reference"], alpha, gamma)

    # -- BenchModel --------------------------------------------------------------------
    def fit(self, train: TrainView, validation: EvalView | None = None) -> None:
        start = time.perf_counter()
        labelled = np.asarray(train.label_mask, dtype=bool)
        y = ((train.frequency > 0) & labelled).astype(np.float64)
        c = train.frequency.astype(np.float64)
        ftr = fingerprint_arrays(train.smiles)
        a_best = dict(alpha=0.1, gamma=3, mix=0.0, m=0.0)
        f_best = dict(gamma=5, alpha=0.1)
        if validation is not None:
            k = similarity(ftr, ftr)
            fv = fingerprint_arrays(validation.query.smiles)
            kq = similarity(fv, ftr)
            st = self._stats(y, c, labelled)
            truth, mask = validation.frequency, validation.mask
            cache: dict = {}

            def association_score(settings: dict) -> float:
                p = self._assoc(kq, k, st, **settings, krr_cache=cache)
                return (
                    auroc(p, truth, mask)
                    + aupr(p, truth, mask)
                    + auroc_per_drug(p, truth, mask).mean
                )

            a_best = grid_search(self.ASSOC_GRID, association_score) or a_best
            f_best = (
                grid_search(
                    self.FREQ_GRID,
                    lambda f: rmse(self._freq(kq, st, **f), truth, mask),
                    maximise=False,
                )
                or f_best
            )
        if validation is not None and validation.query.drug_ids is None:
            # Cold protocols: the validation drugs are extra training drugs once selection is done.
            y = np.vstack([y, (validation.frequency > 0) & validation.mask]).astype(np.float64)
            c = np.vstack([c, validation.frequency.astype(np.float64)])
            labelled = np.vstack([labelled, np.asarray(validation.mask, dtype=bool)])
            ftr = {key: np.vstack([ftr[key], fv[key]]) for key in ftr}
        self.params = dict(assoc=a_best, freq=f_best)
        self._f = ftr
        self._k = similarity(ftr, ftr) if a_best["mix"] > 0 else None
        self._st = self._stats(y, c, labelled)
        self.fit_seconds = time.perf_counter() - start

    def predict(self, query: QueryView) -> Prediction:
        kq = similarity(fingerprint_arrays(query.smiles), self._f)
        p = self._assoc(kq, self._k, self._st, **self.params["assoc"], krr_cache={})
        f = self._freq(kq, self._st, **self.params["freq"])
        return Prediction(association=p, frequency=f)
