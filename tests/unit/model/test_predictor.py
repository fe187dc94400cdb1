"""The Predictor API and the `sefreq train|predict` commands, on a tiny bundle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sefreq.cli import build_parser, main
from sefreq.constants import FREQUENCY_BANDS
from sefreq.model.predictor import COLUMNS, Predictor
from tests.support.tiny_model import N_SE


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def predictor(bundle_dir) -> Predictor:
    return Predictor.from_directory(bundle_dir)


def test_predict_one_molecule(predictor, smiles):
    table = predictor.predict(smiles["aspirin"])
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == N_SE
    assert table["side_effect_index"].tolist() == list(range(N_SE))
    assert table["p_association"].between(0, 1).all()
    probabilities = table[[f"p_class_{c}" for c in range(1, 6)]].to_numpy()
    assert np.allclose(probabilities.sum(1), 1, atol=1e-5)
    assert table["expected_frequency"].between(1, 5).all()
    assert table["frequency_class"].isin(range(1, 6)).all()
    labels = {b.label for b in FREQUENCY_BANDS.values()}
    assert set(table["band"]) <= labels
    assert (table["conformal_set"].str.len() > 0).all()
    assert table["max_similarity"].between(0, 1).all()
    assert table["in_domain"].dtype == bool
    assert table["error"].isna().all()
    assert table["organ_classes"].iloc[0] == "organ a"


def test_predict_many_with_ids_and_a_bad_smiles(predictor, smiles):
    batch = [smiles["aspirin"], "C1CC(", smiles["caffeine"], smiles["sodium_benzoate"]]
    table = predictor.predict(batch, ids=["a", "bad", "c", "salt"])
    assert table["id"].drop_duplicates().tolist() == ["a", "bad", "c", "salt"]
    bad = table[table["id"] == "bad"]
    assert len(bad) == 1 and bad["side_effect_index"].iloc[0] == -1
    assert "SMILES" in bad["error"].iloc[0] or "valid" in bad["error"].iloc[0]
    assert bad["p_association"].isna().all()
    good = table[table["id"] != "bad"]
    assert len(good) == 3 * N_SE and good["error"].isna().all()
    # A salt is scored as its parent.
    parent = predictor.predict("O=C(O)c1ccccc1")
    salt = table[table["id"] == "salt"]
    assert np.allclose(salt["p_association"].to_numpy(), parent["p_association"].to_numpy())


def test_predict_rejects_mismatched_ids(predictor):
    with pytest.raises(ValueError, match="one id per molecule"):
        predictor.predict(["CCO", "CCN"], ids=[1])


def test_training_molecule_is_in_domain(predictor, tiny_data):
    data, _ = tiny_data
    table = predictor.predict(data.smiles[0])
    assert table["in_domain"].all()
    assert table["nearest_drug"].iloc[0] in set(data.names)


def test_side_effects_and_card(predictor):
    assert len(predictor.side_effects) == N_SE
    assert predictor.card.n_members == 2
    assert predictor.ad_threshold == pytest.approx(0.3)


def test_cli_predict_csv_carries_ids(bundle_dir, tmp_path, smiles):
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {"id": ["x1", "x2", "x3"], "smiles": [smiles["aspirin"], "nonsense", smiles["ibuprofen"]]}
    ).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert (
        main(["predict", str(source), "-o", str(out), "--model", str(bundle_dir), "--no-progress"])
        == 0
    )
    table = pd.read_csv(out)
    assert table["id"].drop_duplicates().tolist() == ["x1", "x2", "x3"]
    assert len(table) == 2 * N_SE + 1


def test_cli_predict_csv_cannot_start_a_formula(bundle_dir, tmp_path, smiles):
    """An id crafted as a spreadsheet formula comes back quoted, not as a formula."""
    source = tmp_path / "in.csv"
    crafted = ['=HYPERLINK("http://evil","x")', "+1+1", "@SUM(A1)", "-2", "\tcmd"]
    pd.DataFrame({"id": crafted, "smiles": [smiles["aspirin"]] * len(crafted)}).to_csv(
        source, index=False
    )
    out = tmp_path / "out.csv"
    args = ["predict", str(source), "-o", str(out), "--model", str(bundle_dir), "--no-progress"]
    assert main(args) == 0
    ids = pd.read_csv(out, dtype=str, keep_default_na=False)["id"].drop_duplicates().tolist()
    assert ids == ["'" + value for value in crafted]
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in ids)


def test_cli_predict_smi_to_parquet(bundle_dir, tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO ethanol\nc1ccccc1O phenol\n")
    out = tmp_path / "out.parquet"
    assert (
        main(["predict", str(source), "-o", str(out), "--model", str(bundle_dir), "--no-progress"])
        == 0
    )
    table = pd.read_parquet(out)
    assert table["id"].drop_duplicates().tolist() == ["ethanol", "phenol"]


def test_cli_predict_without_smiles_column(bundle_dir, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("name\naspirin\n")
    assert (
        main(["predict", str(source), "-o", str(tmp_path / "o.csv"), "--model", str(bundle_dir)])
        == 2
    )
    assert "smiles" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "predict"])
def test_cli_help_has_examples(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    assert "Example:" in sub.format_help()


def test_a_huge_single_fragment_is_refused_not_scored(predictor):
    # A neutral single fragment used to skip the standardiser's size check (issue #12).
    table = predictor.predict(["C" * 600, "CCO"], ids=["chain", "ethanol"])
    chain = table[table["id"] == "chain"]
    assert len(chain) == 1 and chain["side_effect_index"].iloc[0] == -1
    assert "heavy atoms" in chain["error"].iloc[0]
    assert (table["id"] == "ethanol").sum() == N_SE


def test_top_k_is_the_same_on_every_cpu_ties_to_the_lower_index():
    """numpy's argpartition breaks ties by its SIMD kernel (AVX2 and AVX-512 machines
    differed), so the selection of neighbours and co-reported partners is made here."""
    from sefreq.priors import top_k_columns, top_k_mask

    rng = np.random.default_rng(0)
    values = rng.integers(0, 4, size=(200, 37)).astype(np.float64)  # many ties
    values[5] = np.nan
    for k in (1, 3, 10, 36, 37, 50):
        mask = top_k_mask(values, k)
        order = np.argsort(-np.nan_to_num(values, nan=-np.inf), axis=1, kind="stable")
        expected = np.zeros_like(mask)
        np.put_along_axis(expected, order[:, : min(k, 37)], True, axis=1)
        np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(top_k_columns(values, 3)[5], [0, 1, 2])  # NaN row: first k
