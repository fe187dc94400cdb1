"""An explanation in words: how far the structure moves each prediction, and what the colours span.

A SHAP picture is always coloured: its scale stretches to the largest atom, so atoms that
move a chance by a hundredth of a point look as loud as atoms that move it by twenty.
:func:`structure_notes` says in a sentence how much the drawn atoms move each output, and
says plainly when that is less than :data:`SMALL_STRUCTURE_EFFECT`; :func:`scale_text` says
what the colour scale's ends stand for.
"""

from __future__ import annotations

import pandas as pd

from sefreq.constants import FREQUENCY_BANDS, FREQUENCY_SCALE
from sefreq.explain.drawing import shared_scale

#: The atoms moving a chance (probability) by less than this, two percentage points, are
#: said to barely move it: below the spread of the ensemble's members for most side effects
#: (the profile's "±" column), so nothing a reader should act on.
SMALL_STRUCTURE_EFFECT = 0.02
#: What each part of :meth:`~sefreq.explain.Explanation.summary` is, for a sentence.
PART_WORDS = {
    "absent_bits": "the substructures it lacks (fingerprint bits not set)",
    "descriptors": "its descriptors (size, polarity, charge)",
    "knn_prior": "the labels of similar training drugs",
}


def points(probability: float, digits: int = 1) -> str:
    """A change of probability in signed percentage points: 0.0066 -> '+0.7 points'."""
    return f"{100 * probability:+.{digits}f} points"


def frequency_word(expected_class: float) -> str:
    """The SmPC word of the band nearest an expected frequency class: 4.2 -> "common"."""
    nearest = min(max(round(float(expected_class)), 1), 5)
    return FREQUENCY_BANDS[nearest].smpc_wording


def scale_text(output: str, vmax: float) -> str:
    """What the colour scale of an atom drawing spans, in words.

    ``vmax``: the scale's half-range (the largest |atom contribution|), in output units.
    """
    if output == "association":
        span = f"{100 * vmax:.2g} percentage points"
        what = "the chance the side effect is reported"
    else:
        span = f"{vmax:.2g} of a frequency class"
        what = f"the expected frequency class ({FREQUENCY_SCALE})"
    return (
        f"The colours span ±{span} per atom: full red raises {what} by {span} or more, "
        "full blue lowers it by as much, white is no change. The scale is stretched to the "
        "strongest atom of these panels, so a pale picture and a deep one can hold atoms of "
        "very different weight: read the numbers."
    )


def scale_note(explanation) -> str:
    """:func:`scale_text` for the scale :func:`~sefreq.explain.draw_explanation` draws."""
    return scale_text(explanation.output, shared_scale(explanation.atom_contributions()))


def structure_notes(explanation) -> pd.DataFrame:
    """One row per side effect explained: what its atoms move, and a sentence saying so.

    Columns: ``side_effect``, ``value``, ``expected_value``, ``atoms`` (the drawn atoms'
    total, output units), ``small`` (True when the output is a chance and the atoms move
    it by less than :data:`SMALL_STRUCTURE_EFFECT`), ``sentence``.
    """
    summary = explanation.summary()
    rows = []
    for row in summary.itertuples():
        small = explanation.output == "association" and abs(row.atoms) < SMALL_STRUCTURE_EFFECT
        rows.append(
            {
                "side_effect": row.side_effect,
                "value": row.value,
                "expected_value": row.expected_value,
                "atoms": row.atoms,
                "small": bool(small),
                "sentence": _sentence(row, explanation.output, small),
            }
        )
    return pd.DataFrame(rows)


def _sentence(row, output: str, small: bool) -> str:
    others = {part: float(getattr(row, part)) for part in PART_WORDS}
    largest = max(others, key=lambda part: abs(others[part]))
    if output != "association":
        return (
            f"{row.side_effect}: its atoms together move the expected frequency class "
            f"({FREQUENCY_SCALE}) by {row.atoms:+.2f}, from the average drug's "
            f"{row.expected_value:.2f} to {row.value:.2f} (about {frequency_word(row.value)}); "
            f"the largest other part is {PART_WORDS[largest]} ({others[largest]:+.2f})."
        )
    if small:
        return (
            f"The structure barely moves the chance of {row.side_effect}: its atoms together "
            f"move it by {points(row.atoms, 2)}, less than "
            f"{100 * SMALL_STRUCTURE_EFFECT:.0f}. The {row.value:.0%} comes from the average "
            f"training drug ({row.expected_value:.0%}) and, most, from {PART_WORDS[largest]} "
            f"({points(others[largest])})."
        )
    verb = "raise" if row.atoms > 0 else "lower"
    return (
        f"{row.side_effect}: its atoms together {verb} the chance by "
        f"{points(abs(row.atoms)).lstrip('+')}, from the average training drug's "
        f"{row.expected_value:.0%} towards {row.value:.0%}; the largest other part is "
        f"{PART_WORDS[largest]} ({points(others[largest])})."
    )
