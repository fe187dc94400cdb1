"""Pictures of a molecule: a 2D SVG (RDKit) and a 3D viewer (py3Dmol, offline 3Dmol.js)."""

from __future__ import annotations

import contextlib

from rdkit import Chem
from rdkit.Chem import AllChem
from rdkit.Chem.Draw import rdMolDraw2D

#: Where Streamlit serves the vendored 3Dmol.js (``static/`` beside app.py, static serving on).
THREEDMOL_URL = "/app/static/vendor/3Dmol-min.js"


def molecule_svg(smiles: str, width: int = 360, height: int = 260) -> str:
    """2D depiction of ``smiles`` as SVG text ("" when RDKit cannot read it)."""
    mol = Chem.MolFromSmiles(smiles or "")
    if mol is None:
        return ""
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def molecule_png(smiles: str, size: int = 400) -> bytes:
    """2D depiction as PNG bytes (for the PDF report); b"" when RDKit cannot read it."""
    mol = Chem.MolFromSmiles(smiles or "")
    if mol is None:
        return b""
    drawer = rdMolDraw2D.MolDraw2DCairo(size, size)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def molblock_3d(smiles: str, seed: int = 7) -> str:
    """A 3D conformer (ETKDG, then MMFF) as a MOL block; "" when none can be embedded."""
    mol = Chem.MolFromSmiles(smiles or "")
    if mol is None or mol.GetNumHeavyAtoms() > 150:
        return ""
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    params.maxIterations = 200
    if AllChem.EmbedMolecule(mol, params) != 0:
        return ""
    # Without MMFF parameters for some atom, the embedded geometry is kept.
    with contextlib.suppress(ValueError, RuntimeError):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=200)
    return Chem.MolToMolBlock(mol)


def viewer_html(
    molblock: str, js_url: str = THREEDMOL_URL, width: int = 360, height: int = 260
) -> str:
    """HTML of a py3Dmol viewer (sticks) loading 3Dmol.js from ``js_url`` (no CDN)."""
    import py3Dmol

    view = py3Dmol.view(width=width, height=height, js=js_url)
    view.addModel(molblock, "mol")
    view.setStyle({"stick": {"radius": 0.15}, "sphere": {"scale": 0.22}})
    view.setBackgroundColor("white")
    view.zoomTo()
    return view._make_html()
