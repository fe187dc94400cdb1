"""Depictions of explanations: atoms coloured by contribution, and substructure images.

One diverging scale (blue = lowers the output, white = none, red = raises it) is shared by
every side effect drawn for one molecule, symmetric around zero, and drawn as a legend
under the panels. Drawings come from ``rdMolDraw2D`` with per-atom highlight colours, so
an SVG stays a few tens of kB.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rdkit import Chem, Geometry
from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D

# Ends and middle of the diverging scale (ColorBrewer RdBu).
_NEGATIVE = np.array([0.129, 0.400, 0.675])
_MIDDLE = np.array([0.969, 0.969, 0.969])
_POSITIVE = np.array([0.698, 0.094, 0.169])
_LEGEND_HEIGHT = 56
_OUTPUT_LABELS = {
    "association": "contribution to P(association)",
    "frequency": "contribution to expected frequency class",
}


def diverging_color(value: float, vmax: float) -> tuple[float, float, float]:
    """RGB in 0..1 of ``value`` on the symmetric scale [-vmax, vmax]."""
    t = 0.0 if vmax <= 0 else float(np.clip(value / vmax, -1.0, 1.0))
    end = _POSITIVE if t > 0 else _NEGATIVE
    rgb = _MIDDLE + abs(t) * (end - _MIDDLE)
    return tuple(float(c) for c in rgb)


def shared_scale(contributions: np.ndarray) -> float:
    """The scale's half-range: the largest |atom contribution| (a tiny floor keeps it > 0)."""
    values = np.abs(np.asarray(contributions, dtype=np.float64))
    return float(max(values.max(initial=0.0), 1e-12))


def draw_atom_contributions(
    mol: Chem.Mol,
    contributions: np.ndarray,
    legends: Sequence[str] | None = None,
    vmax: float | None = None,
    caption: str = "atom contribution",
    fmt: str = "svg",
    panel_size: tuple[int, int] = (360, 300),
    columns: int = 3,
) -> str | bytes:
    """One panel per row of ``contributions`` (n_panels, n_atoms), a shared colour legend.

    ``fmt``: ``svg`` (returns text) or ``png`` (returns bytes). ``vmax`` defaults to the
    largest |contribution| over all panels.
    """
    contributions = np.atleast_2d(np.asarray(contributions, dtype=np.float64))
    n_panels, n_atoms = contributions.shape
    if n_atoms != mol.GetNumAtoms():
        raise ValueError(f"{n_atoms} contributions for {mol.GetNumAtoms()} atoms")
    vmax = shared_scale(contributions) if vmax is None else float(vmax)
    legends = list(legends) if legends is not None else [""] * n_panels
    columns = max(1, min(columns, n_panels))
    rows = -(-n_panels // columns)
    width, height = panel_size[0] * columns, panel_size[1] * rows + _LEGEND_HEIGHT
    drawer = _drawer(fmt, width, height, *panel_size)
    drawer.drawOptions().legendFontSize = 15
    drawer.drawOptions().fillHighlights = True
    drawer.drawOptions().continuousHighlight = True
    depiction = Chem.Mol(mol)
    rdDepictor.Compute2DCoords(depiction)
    atom_colors, bond_colors = [], []
    for row in contributions:
        colors = {i: diverging_color(v, vmax) for i, v in enumerate(row)}
        atom_colors.append(colors)
        bond_colors.append(
            {
                b.GetIdx(): _mean_color(colors[b.GetBeginAtomIdx()], colors[b.GetEndAtomIdx()])
                for b in depiction.GetBonds()
            }
        )
    all_atoms = list(range(n_atoms))
    all_bonds = list(range(depiction.GetNumBonds()))
    drawer.DrawMolecules(
        [depiction] * n_panels,
        highlightAtoms=[all_atoms] * n_panels,
        highlightAtomColors=atom_colors,
        highlightBonds=[all_bonds] * n_panels,
        highlightBondColors=bond_colors,
        legends=legends,
    )
    _draw_legend(drawer, width, height, vmax, caption)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def draw_explanation(
    explanation,
    fmt: str = "svg",
    panel_size: tuple[int, int] = (360, 300),
    vmax: float | None = None,
) -> str | bytes:
    """An :class:`~sefreq.explain.Explanation` drawn: one panel per side effect, one scale.

    Panel legends give the side effect, the output and its background mean.
    """
    contributions = explanation.atom_contributions()
    unit = "P" if explanation.output == "association" else "E[class]"
    legends = [
        f"{name}: {unit} = {value:.2f} (mean {expected:.2f})"
        for name, value, expected in zip(
            explanation.side_effects,
            explanation.values,
            explanation.expected_values,
            strict=True,
        )
    ]
    return draw_atom_contributions(
        explanation.mol,
        contributions,
        legends=legends,
        vmax=vmax,
        caption=_OUTPUT_LABELS[explanation.output],
        fmt=fmt,
        panel_size=panel_size,
    )


def save_drawing(drawing: str | bytes, path: str | Path) -> Path:
    """Write an SVG (text) or PNG (bytes) drawing to ``path``."""
    path = Path(path)
    if isinstance(drawing, bytes):
        path.write_bytes(drawing)
    else:
        path.write_text(drawing)
    return path


def substructure_image(
    mol: Chem.Mol,
    atoms: Sequence[int],
    bonds: Sequence[int],
    center: int,
    contribution: float,
    vmax: float,
    fmt: str = "svg",
    size: tuple[int, int] = (160, 130),
) -> str | bytes:
    """A small drawing of one atom environment cut out of ``mol``, in its contribution colour.

    The centre atom and the environment's bonds are filled in the (lightened) colour.
    """
    if bonds:
        atom_map: dict[int, int] = {}
        fragment = Chem.PathToSubmol(mol, list(bonds), atomMap=atom_map)
        highlight_center = atom_map.get(center, 0)
    else:
        fragment = Chem.RWMol()
        fragment.AddAtom(Chem.Atom(mol.GetAtomWithIdx(center).GetAtomicNum()))
        fragment = fragment.GetMol()
        highlight_center = 0
    fragment.UpdatePropertyCache(strict=False)
    # Lightened so that atom labels stay readable on the fill.
    color = _mean_color(diverging_color(contribution, vmax), (1.0, 1.0, 1.0))
    drawer = _drawer(fmt, *size)
    options = drawer.drawOptions()
    options.prepareMolsBeforeDrawing = False
    options.fillHighlights = True
    fragment = rdMolDraw2D.PrepareMolForDrawing(fragment, kekulize=False)
    n_bonds = fragment.GetNumBonds()
    # Atoms other than the centre are not filled: a filled circle hides an atom's label.
    drawer.DrawMolecule(
        fragment,
        highlightAtoms=[highlight_center],
        highlightAtomColors={highlight_center: color},
        highlightBonds=list(range(n_bonds)),
        highlightBondColors={i: color for i in range(n_bonds)},
        highlightAtomRadii={highlight_center: 0.4},
    )
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def top_substructures(
    explanation,
    side_effect: str | None = None,
    top: int = 5,
    images: bool = True,
    fmt: str = "svg",
):
    """The ``top`` most positive and ``top`` most negative substructures of one side effect.

    A DataFrame of :meth:`Explanation.substructures` rows (positive first, then negative,
    each by |contribution|) with an ``image`` column (SVG text or PNG bytes) when
    ``images``. Colours use the explanation's shared atom scale.
    """
    side_effect = side_effect or explanation.side_effects[0]
    table = explanation.substructures()
    table = table[table["side_effect"] == side_effect]
    positive = table[table["contribution"] > 0].head(top)
    negative = table[table["contribution"] < 0].head(top)
    import pandas as pd

    chosen = pd.concat([positive, negative]).reset_index(drop=True)
    if images:
        vmax = float(chosen["contribution"].abs().max()) if len(chosen) else 1.0
        chosen["image"] = [
            substructure_image(
                explanation.mol, r.atoms, r.bonds, r.center, r.contribution, vmax, fmt=fmt
            )
            for r in chosen.itertuples()
        ]
    return chosen


def _drawer(fmt: str, width: int, height: int, panel_w: int = -1, panel_h: int = -1):
    if fmt == "svg":
        return rdMolDraw2D.MolDraw2DSVG(width, height, panel_w, panel_h)
    if fmt == "png":
        return rdMolDraw2D.MolDraw2DCairo(width, height, panel_w, panel_h)
    raise ValueError(f"format must be 'svg' or 'png', not {fmt!r}")


def _mean_color(a: tuple, b: tuple) -> tuple[float, float, float]:
    return tuple((x + y) / 2 for x, y in zip(a, b, strict=True))


def _draw_legend(drawer, width: int, height: int, vmax: float, caption: str) -> None:
    """A colour bar with -vmax, 0, +vmax ticks and a caption, in the bottom strip."""
    drawer.SetOffset(0, 0)
    drawer.SetFillPolys(True)
    bar_left, bar_right = width * 0.2, width * 0.8
    top, bottom = height - _LEGEND_HEIGHT + 6, height - _LEGEND_HEIGHT + 20
    steps = 41
    step = (bar_right - bar_left) / steps
    for i in range(steps):
        value = vmax * (2 * (i + 0.5) / steps - 1)
        drawer.SetColour(diverging_color(value, vmax))
        drawer.DrawRect(
            Geometry.Point2D(bar_left + i * step, top),
            Geometry.Point2D(bar_left + (i + 1) * step + 0.5, bottom),
            rawCoords=True,
        )
    drawer.SetColour((0.1, 0.1, 0.1))
    drawer.SetFontSize(12)
    text_y = bottom + 10
    drawer.DrawString(f"{-vmax:+.3g}", Geometry.Point2D(bar_left, text_y), 0, rawCoords=True)
    drawer.DrawString("0", Geometry.Point2D((bar_left + bar_right) / 2, text_y), 0, rawCoords=True)
    drawer.DrawString(f"{vmax:+.3g}", Geometry.Point2D(bar_right, text_y), 0, rawCoords=True)
    drawer.DrawString(
        f"{caption} (blue lowers, red raises)",
        Geometry.Point2D(width / 2, text_y + 15),
        0,
        rawCoords=True,
    )
