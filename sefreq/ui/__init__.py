"""What the dashboard's pages share: session state, cached resources, look-up, tables, widgets.

:mod:`~sefreq.ui.lookup`, :mod:`~sefreq.ui.molecules`, :mod:`~sefreq.ui.profile`,
:mod:`~sefreq.ui.known`, :mod:`~sefreq.ui.compare`, :mod:`~sefreq.ui.drawing` and
:mod:`~sefreq.ui.card` are plain Python (pandas, RDKit) usable without a running app;
:mod:`~sefreq.ui.state`, :mod:`~sefreq.ui.resources` and :mod:`~sefreq.ui.widgets` are the
Streamlit side.
"""
