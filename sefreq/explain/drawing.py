"""Depictions of explanations: atoms coloured by contribution, and fragments on the parent.

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

from sefreq.explain.fragments import MIN_RADIUS, ranked_fragments

# Ends and middle of the diverging scale (ColorBrewer RdBu).
_NEGATIVE = np.array([0.129, 0.400, 0.675])
_MIDDLE = np.array([0.969, 0.969, 0.969])
_POSITIVE = np.array([0.698, 0.094, 0.169])
_LEGEND_HEIGHT = 56
#: Per output: the legend's caption, and the factor and unit of its tick labels.
_OUTPUT_SCALES = {
    "association": ("each atom's change to the chance reported", 100.0, " points"),
    "frequency": ("each atom's change to the expected frequency class", 1.0, " class"),
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
    tick_scale: float = 1.0,
    tick_unit: str = "",
) -> str | bytes:
    """One panel per row of ``contributions`` (n_panels, n_atoms), a shared colour legend.

    ``fmt``: ``svg`` (returns text) or ``png`` (returns bytes). ``vmax`` defaults to the
    largest |contribution| over all panels. The legend's ends are labelled ``-vmax`` and
    ``+vmax`` times ``tick_scale``, followed by ``tick_unit`` (100 and " points" turn a
    probability into percentage points).
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
    _draw_legend(drawer, width, height, vmax, caption, tick_scale, tick_unit)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def draw_explanation(
    explanation,
    fmt: str = "svg",
    panel_size: tuple[int, int] = (360, 300),
    vmax: float | None = None,
) -> str | bytes:
    """An :class:`~sefreq.explain.Explanation` drawn: one panel per side effect, one scale.

    Panel legends give the side effect, the output and its background mean; the colour
    legend says what its ends stand for (percentage points of the chance, or a fraction of
    a frequency class).
    """
    contributions = explanation.atom_contributions()
    caption, tick_scale, tick_unit = _OUTPUT_SCALES[explanation.output]
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
        caption=caption,
        fmt=fmt,
        panel_size=panel_size,
        tick_scale=tick_scale,
        tick_unit=tick_unit,
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
    center: int | Sequence[int],
    contribution: float,
    vmax: float,
    fmt: str = "svg",
    size: tuple[int, int] = (240, 180),
) -> str | bytes:
    """``mol`` drawn whole, one environment highlighted in its contribution's colour.

    Drawn on the parent rather than cut out: a cut-out loses what the environment is
    attached to and draws a lone carbon as methane. ``center``: the centre atom of each
    occurrence, filled in the full colour; the environment's other atoms and its bonds in a
    lighter one, so their labels stay readable.
    """
    centers = [center] if isinstance(center, int | np.integer) else list(center)
    color = diverging_color(contribution, vmax)
    light = _mean_color(color, (1.0, 1.0, 1.0))
    depiction = Chem.Mol(mol)
    rdDepictor.Compute2DCoords(depiction)
    drawer = _drawer(fmt, *size)
    options = drawer.drawOptions()
    options.fillHighlights = True
    options.continuousHighlight = True
    atom_colors = {int(a): light for a in atoms}
    atom_colors.update({int(c): color for c in centers})
    drawer.DrawMolecule(
        depiction,
        highlightAtoms=list(atom_colors),
        highlightAtomColors=atom_colors,
        highlightBonds=[int(b) for b in bonds],
        highlightBondColors={int(b): light for b in bonds},
    )
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def top_substructures(
    explanation,
    side_effect: str | None = None,
    top: int = 5,
    images: bool = True,
    fmt: str = "svg",
    min_radius: int = MIN_RADIUS,
):
    """The ``top`` fragments of one side effect, by |contribution|, drawn on the parent.

    A DataFrame of :func:`~sefreq.explain.fragments.ranked_fragments` rows (radius
    ``min_radius`` or more, one row per distinct fragment, strongest first whatever its
    sign) with an ``image`` column (SVG text or PNG bytes) when ``images``: the parent
    molecule with every occurrence of the fragment highlighted, red when it raises the
    output and blue when it lowers it, full colour for the strongest fragment listed.
    """
    chosen = ranked_fragments(explanation, side_effect, top=top, min_radius=min_radius)
    if images:
        vmax = float(chosen["contribution"].abs().max()) if len(chosen) else 1.0
        chosen["image"] = [
            substructure_image(
                explanation.mol,
                r.all_atoms,
                r.all_bonds,
                r.centers,
                r.contribution,
                vmax,
                fmt=fmt,
            )
            for r in chosen.itertuples()
        ]
    return chosen


def legend_labels(
    vmax: float, caption: str, tick_scale: float = 1.0, tick_unit: str = ""
) -> tuple[str, str, str]:
    """The colour legend's words: its left end, its right end and its caption.

    The ends are ``-vmax`` and ``+vmax`` times ``tick_scale`` in ``tick_unit``; the caption
    says that they are the strongest atom (the scale stretches to it).
    """
    end = vmax * tick_scale
    return (
        f"{-end:+.2g}{tick_unit}",
        f"{end:+.2g}{tick_unit}",
        f"{caption}: blue lowers, red raises; the ends are the strongest atom",
    )


def output_legend(output: str, vmax: float) -> tuple[str, str, str]:
    """:func:`legend_labels` of an explained ``output`` (``association``: percentage points
    of the chance; ``frequency``: frequency classes)."""
    caption, tick_scale, tick_unit = _OUTPUT_SCALES[output]
    return legend_labels(vmax, caption, tick_scale, tick_unit)


def _drawer(fmt: str, width: int, height: int, panel_w: int = -1, panel_h: int = -1):
    if fmt == "svg":
        return rdMolDraw2D.MolDraw2DSVG(width, height, panel_w, panel_h)
    if fmt == "png":
        return rdMolDraw2D.MolDraw2DCairo(width, height, panel_w, panel_h)
    raise ValueError(f"format must be 'svg' or 'png', not {fmt!r}")


def _mean_color(a: tuple, b: tuple) -> tuple[float, float, float]:
    return tuple((x + y) / 2 for x, y in zip(a, b, strict=True))


def _draw_legend(
    drawer,
    width: int,
    height: int,
    vmax: float,
    caption: str,
    tick_scale: float = 1.0,
    tick_unit: str = "",
) -> None:
    """A colour bar with -vmax, 0, +vmax ticks (times ``tick_scale``, in ``tick_unit``) and a
    caption saying that the ends are the strongest atom, in the bottom strip."""
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
    left, right, words = legend_labels(vmax, caption, tick_scale, tick_unit)
    drawer.DrawString(left, Geometry.Point2D(bar_left, text_y), 0, rawCoords=True)
    drawer.DrawString("0", Geometry.Point2D((bar_left + bar_right) / 2, text_y), 0, rawCoords=True)
    drawer.DrawString(right, Geometry.Point2D(bar_right, text_y), 0, rawCoords=True)
    drawer.DrawString(words, Geometry.Point2D(width / 2, text_y + 15), 0, rawCoords=True)
