"""Screening libraries of molecules with the model: ``sefreq predict``.

:mod:`~sefreq.screen.reader` streams molecule files in chunks, :mod:`~sefreq.screen.forms`
turns a chunk into an output form, :mod:`~sefreq.screen.writer` writes and joins the
parts, :mod:`~sefreq.screen.workers` and :mod:`~sefreq.screen.distributed` run the
chunks on processes or a Dask cluster, and :func:`~sefreq.screen.run.screen` is the run.
"""
