"""Explanations a person can read (issue #23): fragments ranked by |contribution|, radius one
or more, each once, drawn on the parent; a colour scale that says what it spans; a sentence
when the structure barely moves the chance."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from sefreq.explain import (
    SMALL_STRUCTURE_EFFECT,
    Explainer,
    draw_explanation,
    drawing,
    output_legend,
    ranked_fragments,
    scale_note,
    structure_notes,
    top_substructures,
)

real_labels = drawing.legend_labels
IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
#: Symmetric: the same fragments sit at several places and come from more than one bit.
DIETHYL_PHTHALATE = "CCOC(=O)c1ccccc1C(=O)OCC"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Background caches go to a temporary folder, never the user's cache."""
    monkeypatch.setenv("SEFREQ_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "explain-cache"))


@pytest.fixture(scope="module")
def explainer(tiny_ensemble, tmp_path_factory) -> Explainer:
    bundle = tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))
    return Explainer(bundle_dir=bundle, n_background=8, cache=False)


def _with_bits(explanation, values: dict[int, float]):
    """``explanation`` whose first side effect's attributions are ``values`` on those bits
    and zero elsewhere (a ranking that does not depend on what the tiny model learnt)."""
    attributions = np.zeros_like(explanation.attributions)
    for bit, value in values.items():
        attributions[0, bit] = value
    return dataclasses.replace(explanation, attributions=attributions)


def _bits_of_radius(explanation, radius: int) -> list[int]:
    return [
        bit
        for bit, occurrences in explanation.bits.environments.items()
        if all(env.radius == radius for env in occurrences)
    ]


def test_fragments_are_ranked_by_absolute_contribution_whatever_their_sign(explainer):
    """The walk: positives first, then negatives, so the strongest (blue) atoms of the
    picture were missing from the list."""
    explanation = explainer.explain(IBUPROFEN, [0])
    weak, strong, middle = _bits_of_radius(explanation, 1)[:3]
    crafted = _with_bits(explanation, {weak: 0.001, strong: -0.05, middle: 0.02})
    top = top_substructures(crafted, top=3, images=False)
    assert top["contribution"].tolist() == pytest.approx([-0.05, 0.02, 0.001])
    assert top["direction"].tolist() == ["lowers", "raises", "raises"]
    assert [bits[0] for bits in top["bits"]] == [strong, middle, weak]


def test_lone_atoms_are_not_listed(explainer):
    """Radius 0 is one atom: the walk's top fragment was ``[#6]``, drawn as methane."""
    explanation = explainer.explain(IBUPROFEN, [0])
    lone = _bits_of_radius(explanation, 0)[0]
    ring = _bits_of_radius(explanation, 1)[0]
    top = top_substructures(_with_bits(explanation, {lone: 0.5, ring: 0.01}), images=False)
    assert (top["radius"] >= 1).all()
    assert lone not in {bit for bits in top["bits"] for bit in bits}
    real = top_substructures(explainer.explain(IBUPROFEN, [0, 1]), top=20, images=False)
    assert (real["radius"] >= 1).all() and not real["smarts"].isin(["[#6]", "[#8]"]).any()


@pytest.mark.parametrize("smiles", [IBUPROFEN, DIETHYL_PHTHALATE])
def test_each_fragment_is_listed_once_and_nothing_is_lost(explainer, smiles):
    explanation = explainer.explain(smiles, [0, 1])
    for side_effect in explanation.side_effects:
        every = top_substructures(explanation, side_effect, top=None, images=False)
        assert every["fragment"].is_unique
        ledger = explanation.substructures()
        ledger = ledger[(ledger["side_effect"] == side_effect) & (ledger["radius"] >= 1)]
        # Merged rows keep the whole contribution of the environments they stand for.
        assert every["contribution"].sum() == pytest.approx(ledger["contribution"].sum())
    # The symmetric molecule's ester arms are one fragment found twice, not two rows.
    if smiles == DIETHYL_PHTHALATE:
        every = ranked_fragments(explanation, top=None)
        assert every["n_occurrences"].max() >= 2


def test_a_fragment_is_drawn_on_the_whole_parent(explainer):
    """A cut-out drew a lone carbon as CH4; the parent shows where the fragment sits."""
    explanation = explainer.explain(IBUPROFEN, [0])
    top = top_substructures(explanation, top=2)
    n_bonds = explanation.mol.GetNumBonds()
    for svg in top["image"]:
        drawn = {int(i) for i in re.findall(r"class='bond-(\d+)", svg)}
        assert drawn == set(range(n_bonds))
    png = top_substructures(explanation, top=1, fmt="png")["image"].iloc[0]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_colour_scale_says_what_it_spans(explainer, monkeypatch):
    """The walk: a scale of ±0.009 with nothing saying what it spans."""
    explanation = explainer.explain(IBUPROFEN, [0, 1])
    vmax = float(np.abs(explanation.atom_contributions()).max())
    drawn = []
    monkeypatch.setattr(
        drawing, "legend_labels", lambda *a: drawn.append(real_labels(*a)) or drawn[-1]
    )
    draw_explanation(explanation)  # its text is drawn as paths: the labels are caught here
    left, right, caption = drawn[0]
    assert (left, right) == (f"{-100 * vmax:+.2g} points", f"{100 * vmax:+.2g} points")
    assert "chance reported" in caption and "the ends are the strongest atom" in caption
    assert output_legend("frequency", 0.25)[1] == "+0.25 class"
    note = scale_note(explanation)
    assert f"±{100 * vmax:.2g} percentage points per atom" in note
    frequency = explainer.explain(IBUPROFEN, [0], "frequency")
    assert "of a frequency class" in scale_note(frequency)


def test_a_structure_that_barely_moves_the_chance_is_said_in_a_sentence(explainer):
    explanation = explainer.explain(IBUPROFEN, [0, 1])
    bit = _bits_of_radius(explanation, 1)[0]
    attributions = np.zeros_like(explanation.attributions)
    attributions[0, bit] = 0.005  # half a point
    attributions[1, bit] = 0.08  # eight points
    crafted = dataclasses.replace(explanation, attributions=attributions)
    notes = structure_notes(crafted)
    assert notes["small"].tolist() == [True, False]
    barely, clear = notes["sentence"]
    assert "barely moves the chance" in barely and "less than 2" in barely
    assert "+0.50 points" in barely
    assert "barely" not in clear and "raise the chance by 8.0 points" in clear
    assert SMALL_STRUCTURE_EFFECT == 0.02
    frequency = structure_notes(explainer.explain(IBUPROFEN, [0], "frequency"))
    assert not frequency["small"].any() and "frequency class" in frequency["sentence"].iloc[0]


def test_the_frequency_output_is_read_in_the_smpc_words(explainer):
    """Issue #23, item 6: Explain said "the expected frequency class (1-5)"; the sentence and
    the scale name the scale in the SmPC's words and the band nearest the value."""
    from sefreq.constants import FREQUENCY_SCALE
    from sefreq.explain.readout import frequency_word

    assert FREQUENCY_SCALE == "1 = very rare … 5 = very common"
    assert [frequency_word(v) for v in (0.2, 1.4, 2.6, 4.2, 4.6, 7)] == [
        "very rare", "very rare", "uncommon", "common", "very common", "very common"
    ]  # fmt: skip
    frequency = explainer.explain(IBUPROFEN, [0], "frequency")
    sentence = structure_notes(frequency)["sentence"].iloc[0]
    value = float(frequency.summary()["value"].iloc[0])
    assert FREQUENCY_SCALE in sentence and f"(about {frequency_word(value)})" in sentence
    assert FREQUENCY_SCALE in scale_note(frequency)
    assert "(1-5)" not in sentence + scale_note(frequency)
