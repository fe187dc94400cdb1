"""Every model under test, each a :class:`~sefreq.bench.interface.BenchModel`.

``baselines`` (prevalence, WNMF, kNN, MLP), ``kernel`` (the similarity-kernel baseline) and
``sefreq_net`` (SEFreq's network and its ablation variants, trained per fold). The
registry (:mod:`sefreq.bench.registry`) names them by string key and imports them lazily.
"""
