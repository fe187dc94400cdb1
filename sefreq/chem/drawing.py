"""Pictures of a molecule: a 2D SVG (RDKit) and a 3D viewer (py3Dmol, offline 3Dmol.js)."""

from __future__ import annotations

import contextlib
import math
import re
import time

from rdkit import Chem
from rdkit.Chem import AllChem
from rdkit.Chem.Draw import rdMolDraw2D

#: Largest molecule (heavy atoms) given a 3D conformer.
MAX_3D_HEAVY_ATOMS = 150
#: Seconds allowed to embed and optimise one conformer.
CONFORMER_TIME_LIMIT_S = 5.0
#: MMFF runs in steps of this many iterations (at most 200 in all), checking the time between.
MMFF_STEP_ITERATIONS = 20
MMFF_STEPS = 10
# A MOL block has no use for markup characters: they could only close the viewer's script.
_NOT_MOLBLOCK = re.compile(r"[<>&]")

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


def molblock_3d(smiles: str, seed: int = 7, time_limit: float = CONFORMER_TIME_LIMIT_S) -> str:
    """A 3D conformer (ETKDG, then MMFF) as a MOL block; "" when none can be embedded.

    Molecules over :data:`MAX_3D_HEAVY_ATOMS` get none. ``time_limit`` (seconds) bounds the
    work: RDKit's embedding timeout (it checks it between stages, so a hard case may run
    about a second over), then MMFF in short steps until it converges or time is up, when
    the geometry reached so far is kept. An embedding that ends past the limit gives "".
    """
    deadline = time.monotonic() + time_limit
    mol = Chem.MolFromSmiles(smiles or "")
    if mol is None or mol.GetNumHeavyAtoms() > MAX_3D_HEAVY_ATOMS:
        return ""
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    params.maxIterations = 200
    params.timeout = max(1, math.ceil(time_limit))
    if AllChem.EmbedMolecule(mol, params) != 0 or time.monotonic() > deadline:
        return ""
    # Without MMFF parameters for some atom, the embedded geometry is kept.
    with contextlib.suppress(ValueError, RuntimeError):
        properties = AllChem.MMFFGetMoleculeProperties(mol)
        field = AllChem.MMFFGetMoleculeForceField(mol, properties) if properties else None
        if field is not None:
            field.Initialize()
            for _ in range(MMFF_STEPS):
                if field.Minimize(maxIts=MMFF_STEP_ITERATIONS) == 0 or time.monotonic() > deadline:
                    break
    mol.SetProp("_Name", "")
    return Chem.MolToMolBlock(mol)


def viewer_html(
    molblock: str, js_url: str = THREEDMOL_URL, width: int = 360, height: int = 260
) -> str:
    """HTML of a py3Dmol viewer (sticks) loading 3Dmol.js from ``js_url`` (no CDN).

    The MOL block's title line is blanked and ``< > &`` removed from it: py3Dmol writes the
    block into a script as JSON, where ``</script>`` would still end the script.
    """
    import py3Dmol

    lines = molblock.split("\n")
    molblock = "\n".join(["", *(_NOT_MOLBLOCK.sub("", line) for line in lines[1:])])
    view = py3Dmol.view(width=width, height=height, js=js_url)
    view.addModel(molblock, "mol")
    view.setStyle({"stick": {"radius": 0.15}, "sphere": {"scale": 0.22}})
    view.setBackgroundColor("white")
    view.zoomTo()
    return view._make_html()
