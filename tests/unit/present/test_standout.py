"""What stands out (issue #23): a chance placed among the approved drugs' chances."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sefreq.present.standout import (
    MOST_LIKELY,
    STANDS_OUT,
    CatalogueReference,
    order_profile,
    stands_out,
)

# 4 approved drugs x 2 side effects: nausea (0) is likely for every drug, a rare one (1) not.
CHANCES = np.array([[0.6, 0.01], [0.7, 0.02], [0.65, 0.03], [0.75, 0.04]], dtype=np.float32)


def test_percentile_among_the_approved_drugs() -> None:
    reference = CatalogueReference.from_chances(np.vstack([CHANCES, [np.nan, 0.5]]))
    assert reference.n_drugs == 4  # an unreadable molecule is left out
    percentile = reference.percentile(np.array([0, 0, 1, 1]), np.array([0.62, 0.8, 0.03, 0.0]))
    assert percentile.tolist() == [25.0, 100.0, 62.5, 0.0]  # a tie counts half


def test_a_chance_high_for_every_drug_does_not_stand_out() -> None:
    profile = pd.DataFrame(
        {"rank": [1, 2], "side_effect_index": [0, 1], "p_reported_pct": [66.0, 30.0]}
    )
    table = stands_out(profile, CatalogueReference.from_chances(CHANCES))
    assert table["percentile"].tolist() == [50.0, 100.0]
    assert np.allclose(table["ratio_to_average"], [0.66 / 0.675, 0.30 / 0.025])
    assert order_profile(table, MOST_LIKELY)["side_effect_index"].tolist() == [0, 1]
    ordered = order_profile(table, STANDS_OUT)
    assert ordered["side_effect_index"].tolist() == [1, 0]
    assert ordered["rank"].tolist() == [1, 2]
    assert stands_out(profile, None)["percentile"].isna().all()


def test_the_reference_is_saved_and_read_back(tmp_path) -> None:
    reference = CatalogueReference.from_chances(CHANCES)
    reference.save(tmp_path / "reference.npz")
    again = CatalogueReference.load(tmp_path / "reference.npz")
    assert again.n_drugs == 4 and np.array_equal(again.sorted_chances, reference.sorted_chances)


def test_the_cached_reference_is_verified_and_rebuilt_when_damaged(tiny_world, tmp_path) -> None:
    """Issue #23: the library builds the reference the dashboard uses (one file per model
    and catalogue), and a damaged file is rebuilt, never trusted."""
    from sefreq.model.predictor import Predictor
    from sefreq.present.standout import (
        cached_catalogue_reference,
        most_standing_out,
        reference_file,
    )

    predictor = Predictor.from_directory(tiny_world.bundle_dir)
    catalogue = tiny_world.dataset.catalogue
    first = cached_catalogue_reference(predictor, catalogue, tmp_path)
    path = reference_file(predictor, catalogue, tmp_path)
    assert path.is_file() and first.n_drugs > 0
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    again = cached_catalogue_reference(predictor, catalogue, tmp_path)
    assert np.array_equal(again.sorted_chances, first.sorted_chances)
    profile = pd.DataFrame(
        {"side_effect_index": [0, 1, 0], "p_reported_pct": [66.0, 30.0, 66.0], "source": "x"}
    )
    top = most_standing_out(stands_out(profile, CatalogueReference.from_chances(CHANCES)))
    assert top["side_effect_index"].tolist() == [1, 0]  # highest percentile first, once each
    assert most_standing_out(stands_out(profile, None)).empty
