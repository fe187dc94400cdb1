"""The shipped SEFreq model: ``weights.safetensors`` and ``card.json``, as package data.

Installed as ``sefreq.bundled`` (``sefreq/bundled`` links here); found through
:func:`sefreq.model.artifact.bundled_model_dir`. Rebuild with ``sefreq train --out models``.
"""
