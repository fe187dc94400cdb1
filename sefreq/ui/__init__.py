"""The Streamlit side of the dashboard, and only that: session state, cached resources, widgets.

:mod:`~sefreq.ui.state` (what a session remembers), :mod:`~sefreq.ui.resources` (the
dataset, model and explainer loaded once per server process, predictions cached per
molecule) and :mod:`~sefreq.ui.widgets` (pieces several pages draw). The tables a page
shows come from :mod:`sefreq.present`; a page in ``views/`` reads state, calls the library
and draws. Nothing below this package imports Streamlit.
"""
