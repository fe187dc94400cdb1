"""The plain tables a page or a report draws, built with pandas from what the library returns.

:mod:`~sefreq.present.evidence` (what the labels say: the one label-evidence function),
:mod:`~sefreq.present.profile` (a ranked profile, label frequencies, bands),
:mod:`~sefreq.present.known` (known vs predicted, nearest known drugs),
:mod:`~sefreq.present.compare` (drugs side by side), :mod:`~sefreq.present.lookup` (a drug
by any name), :mod:`~sefreq.present.molecules` (typed, pasted and uploaded molecules) and
:mod:`~sefreq.present.card` (the model card as tables). No Streamlit here: everything is
usable from Python and tested without a running app.
"""
