"""Benchmark harness: protocols and saved folds, the runner, scoring, every model under test.

- :mod:`~sefreq.bench.protocols` (WS, ICS, IND, M10, H5, ICS-all: one entry each of its
  ``PROTOCOLS``) and
  :mod:`~sefreq.bench.interface` (the views a model sees, the ``BenchModel`` protocol);
- :mod:`~sefreq.bench.models` (baselines, the kernel baseline, SEFreq's network) named by
  :mod:`~sefreq.bench.registry`;
- :mod:`~sefreq.bench.runner` and :mod:`~sefreq.bench.scoring` (``sefreq bench``), and
  :mod:`~sefreq.bench.confidence` (``sefreq bench confidence``).

Sits above :mod:`sefreq.model`; the model never imports the harness that judges it.
"""
