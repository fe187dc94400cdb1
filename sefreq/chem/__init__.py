"""Chemistry, the lowest layer: every structure passes through here first.

- :mod:`~sefreq.chem.standardize`: the one gate in front of the model
  (:func:`~sefreq.chem.standardize.model_structure`) and standardisation to the parent,
  with typed errors;
- :mod:`~sefreq.chem.features`: the one featuriser (:func:`~sefreq.chem.features.featurize`)
  of training, prediction, baselines and explanations;
- :mod:`~sefreq.chem.budget`: each molecule's time (and memory) to featurise, read
  between stages (:class:`~sefreq.chem.budget.MoleculeBudget`);
- :mod:`~sefreq.chem.similarity`: Tanimoto of bit and count fingerprints;
- :mod:`~sefreq.chem.drawing`: 2D SVG/PNG and 3D views of a molecule.

Imports nothing of sefreq but :mod:`sefreq.constants` (docs/ARCHITECTURE.md).
"""

from rdkit import RDLogger as _RDLogger

# RDKit's own messages (parse warnings, MolStandardize's "Running Normalizer" lines) are
# off for the whole of SEFreq: every refusal is reported by SEFreq itself, with the reason.
# Nothing may turn them back on (#25: a re-enable in the catalogue build made the first
# dataset build print about 2,650 lines).
_RDLogger.DisableLog("rdApp.*")
