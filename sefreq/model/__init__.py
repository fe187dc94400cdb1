"""The model: torch modules, training, the bundled artifact and the Predictor.

- :mod:`~sefreq.model.network` (SEFreqNet, variants as typed flags) and
  :mod:`~sefreq.model.features` (side-effect inputs and priors of the heads);
- training: :mod:`~sefreq.model.data` (TrainingSet, splits), :mod:`~sefreq.model.selection`
  (prior settings on validation drugs), :mod:`~sefreq.model.loop` (one member),
  :mod:`~sefreq.model.recipe` (the ensemble, ``sefreq train``), :mod:`~sefreq.model.config`;
- :mod:`~sefreq.model.confidence` (temperature, conformal sets, error by similarity);
- :mod:`~sefreq.model.bundle` (safetensors + JSON card), found by
  :mod:`~sefreq.model.artifact` (``$SEFREQ_MODEL_DIR`` or the packaged bundle);
- :mod:`~sefreq.model.predictor` (``Predictor``, the public face).

Imports priors, metrics, data and chem, never the benchmark or anything above. Heavy imports
(torch) happen in the submodules; ``from sefreq.model import Predictor`` loads them lazily.
"""

from __future__ import annotations

__all__ = ["Predictor"]


def __getattr__(name: str):
    if name == "Predictor":
        from sefreq.model.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'sefreq.model' has no attribute {name!r}")
