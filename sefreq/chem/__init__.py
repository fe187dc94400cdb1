"""Chemistry, the lowest layer: every structure passes through here first.

- :mod:`~sefreq.chem.standardize`: the one gate in front of the model
  (:func:`~sefreq.chem.standardize.model_structure`) and standardisation to the parent,
  with typed errors;
- :mod:`~sefreq.chem.features`: the one featuriser (:func:`~sefreq.chem.features.featurize`)
  of training, prediction, baselines and explanations;
- :mod:`~sefreq.chem.similarity`: Tanimoto of bit and count fingerprints;
- :mod:`~sefreq.chem.drawing`: 2D SVG/PNG and 3D views of a molecule.

Imports nothing of sefreq but :mod:`sefreq.constants` (docs/ARCHITECTURE.md).
"""
