"""Explanations on a tiny bundle: adapter, additivity, bit -> atom sharing, drawings, CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from rdkit import Chem

from sefreq.cli import build_parser, main
from sefreq.explain import (
    ADDITIVITY_TOLERANCE,
    Explainer,
    ExplainInputError,
    ExplainTimeoutError,
    UnknownSideEffectError,
    bit_map,
    draw_explanation,
    resolve_side_effects,
    share_matrix,
    top_substructures,
)
from sefreq.explain.adapter import EnsembleOutputModule, model_inputs
from sefreq.model.predictor import Predictor
from sefreq.model.recipe import fit_ensemble
from tests.support.tiny_model import N_SE, tiny_network, tiny_train

MOLECULES = [
    "CC(=O)Oc1ccccc1C(=O)O",  # aspirin
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",  # ibuprofen
    "CN1CCC[C@H]1c1cccnc1",  # nicotine
]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Background caches go to a temporary folder, never the user's cache."""
    folder = tmp_path_factory.getbasetemp() / "explain-cache"
    monkeypatch.setenv("SEFREQ_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def explainer(bundle_dir) -> Explainer:
    return Explainer(bundle_dir=bundle_dir, n_background=12, cache=False)


@pytest.mark.parametrize(
    ("output", "column"),
    [("association", "p_association"), ("frequency", "expected_frequency")],
)
def test_adapter_is_the_ensemble_output(bundle_dir, output, column):
    predictor = Predictor.from_directory(bundle_dir)
    selected = [0, 7, N_SE - 1]
    module = EnsembleOutputModule(predictor.ensemble, selected, output)
    inputs = torch.from_numpy(model_inputs(predictor.ensemble, MOLECULES))
    with torch.no_grad():
        explained = module(inputs).numpy()
    table = predictor.predict(MOLECULES)
    expected = table[table["side_effect_index"].isin(selected)][column].to_numpy()
    np.testing.assert_allclose(explained, expected.reshape(len(MOLECULES), 3), atol=1e-5)


@pytest.mark.parametrize(
    ("variant", "use_knn"),
    [("single_task", True), ("symmetric", False), ("asym_i", True)],
)
def test_adapter_follows_every_variant(tiny_data, variant, use_knn):
    data, side_effects = tiny_data
    network = tiny_network(variant)
    network.use_knn_prior = use_knn
    ensemble = fit_ensemble(data, None, side_effects, network, tiny_train())
    inputs = model_inputs(ensemble, MOLECULES)
    for output in ("association", "frequency"):
        module = EnsembleOutputModule(ensemble, [1, 4], output)
        with torch.no_grad():
            explained = module(torch.from_numpy(inputs)).numpy()
        out = ensemble.predict_arrays(MOLECULES)
        reference = out.p_association if output == "association" else out.expected_frequency
        np.testing.assert_allclose(explained, reference[:, [1, 4]], atol=1e-5)


@pytest.mark.parametrize("output", ["association", "frequency"])
@pytest.mark.parametrize("smiles", MOLECULES)
def test_shap_values_add_up(explainer, smiles, output):
    explanation = explainer.explain(smiles, [0, 3, 11], output)
    explanation.check()  # raises beyond ADDITIVITY_TOLERANCE
    gap = explanation.values - explanation.expected_values
    assert np.abs(explanation.attributions.sum(1) - gap).max() <= ADDITIVITY_TOLERANCE
    summary = explanation.summary()
    parts = summary[["atoms", "absent_bits", "descriptors", "knn_prior"]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(parts, gap, atol=ADDITIVITY_TOLERANCE)


@pytest.mark.parametrize("smiles", [*MOLECULES, "C", "OCC(O)CO", "c1ccc2ccccc2c1"])
def test_share_matrix_conserves_each_bit(smiles):
    mol = Chem.MolFromSmiles(smiles)
    bits = bit_map(mol)
    share = share_matrix(mol, bits)
    column_sums = share.sum(0)
    np.testing.assert_allclose(column_sums[bits.fingerprint == 1], 1.0)
    assert np.all(column_sums[bits.fingerprint == 0] == 0)
    assert np.all(share.sum(1) > 0), "every atom takes part in some set bit"


def test_share_rule_splits_by_occurrence_then_atom():
    mol = Chem.MolFromSmiles("CCO")
    bits = bit_map(mol)
    share = share_matrix(mol, bits)
    for bit, occurrences in bits.environments.items():
        expected = np.zeros(mol.GetNumAtoms())
        for env in occurrences:
            expected[list(env.atoms)] += 1 / len(occurrences) / len(env.atoms)
        np.testing.assert_allclose(share[:, bit], expected)
    # Ethanol's two carbons differ, but a symmetric molecule collides occurrences in a bit.
    propane = Chem.MolFromSmiles("CCC")
    repeated = [b for b, occ in bit_map(propane).environments.items() if len(occ) > 1]
    assert repeated, "the two methyls of propane set the same bit twice"


@pytest.mark.parametrize("output", ["association", "frequency"])
def test_atom_contributions_sum_to_set_bit_attributions(explainer, output):
    explanation = explainer.explain(MOLECULES[1], [2, 5], output)
    present = explanation.bits.fingerprint.astype(bool)
    bit_total = explanation.attributions[:, : len(present)][:, present].sum(1)
    atoms = explanation.atoms()
    per_side_effect = atoms.groupby("side_effect", sort=False)["contribution"].sum().to_numpy()
    np.testing.assert_allclose(per_side_effect, bit_total, atol=1e-10)
    assert len(atoms) == 2 * explanation.mol.GetNumAtoms()
    assert atoms["contribution"].notna().all()
    subs = explanation.substructures()
    np.testing.assert_allclose(
        subs.groupby("side_effect", sort=False)["contribution"].sum().to_numpy(),
        bit_total,
        atol=1e-10,
    )


def test_tables_name_non_structural_inputs(explainer):
    explanation = explainer.explain(MOLECULES[0], "effect 4")
    table = explanation.non_structural()
    assert {"descriptor", "knn_prior", "absent_bits"} <= set(table["kind"])
    descriptors = table[table["kind"] == "descriptor"]
    assert "MolWt" in set(descriptors["feature"])
    assert descriptors["value"].notna().all()
    assert table[table["kind"] == "knn_prior"]["feature"].str.startswith("similarity prior: ").all()
    subs = explanation.substructures()
    assert {"smarts", "radius", "atoms", "contribution"} <= set(subs.columns)
    assert subs["contribution"].abs().is_monotonic_decreasing


def test_default_side_effect_is_the_top_predicted(explainer, bundle_dir):
    explanation = explainer.explain(MOLECULES[2])
    table = Predictor.from_directory(bundle_dir).predict(MOLECULES[2])
    assert explanation.side_effect_indices == [int(table["p_association"].idxmax())]


def test_salt_is_explained_as_its_parent(explainer):
    explanation = explainer.explain("[Na+].[O-]C(=O)c1ccccc1", [1])
    assert explanation.parent_smiles == "O=C(O)c1ccccc1"
    assert explanation.mol.GetNumAtoms() == 9


def test_resolve_side_effects():
    names = ["Nausea", "headache", "abdominal pain"]
    assert resolve_side_effects("nausea", names) == [0]
    assert resolve_side_effects(["HEADACHE", 0, "Nausea"], names) == [1, 0]
    with pytest.raises(UnknownSideEffectError, match="did you mean: 'headache'"):
        resolve_side_effects("headahce", names)
    with pytest.raises(UnknownSideEffectError, match="out of range"):
        resolve_side_effects(7, names)


def test_bad_inputs_raise_user_errors(explainer):
    with pytest.raises(ExplainInputError, match="not valid SMILES"):
        explainer.explain("C1CC(")
    with pytest.raises(ExplainInputError, match="effect 1"):
        explainer.explain("CCO", "efect 1")
    with pytest.raises(ExplainInputError, match="output must be"):
        explainer.explain("CCO", [0], "severity")


@pytest.mark.parametrize("output", ["association", "frequency"])
def test_grouped_attributions_equal_one_at_a_time(explainer, output):
    """Explaining side effects in groups (so the clock can be read between them) changes
    no value: each equals its own one-side-effect explanation."""
    inputs = model_inputs(explainer.ensemble, [MOLECULES[0]])
    indices = list(range(min(N_SE, 7)))
    values, expected, phi = explainer.attributions(inputs, indices, output)
    for k, j in enumerate(indices):
        one_values, one_expected, one_phi = explainer.attributions(inputs, [j], output)
        np.testing.assert_allclose(values[:, k], one_values[:, 0], atol=1e-6)
        np.testing.assert_allclose(expected[k], one_expected[0], atol=1e-6)
        np.testing.assert_allclose(phi[:, k], one_phi[:, 0], atol=1e-6)


def test_an_explanation_past_its_time_limit_stops_with_a_message(explainer):
    many = list(range(min(N_SE, 7)))
    with pytest.raises(ExplainTimeoutError, match=r"stopped after .* of \d+ side effects done"):
        explainer.explain(MOLECULES[0], many, time_limit=0)
    # The first group always finishes, so a short request still gets its answer.
    assert len(explainer.explain(MOLECULES[0], many[:3], time_limit=0).side_effects) == 3
    assert isinstance(ExplainTimeoutError("x"), ExplainInputError)  # pages and CLI catch it


def test_background_is_cached_by_bundle_sha(bundle_dir, _private_cache):
    first = Explainer(bundle_dir=bundle_dir, n_background=8)
    background = first.background
    cached = list(_private_cache.glob(f"explain/background-{first.bundle_sha[:16]}-*.npy"))
    assert len(cached) == 1
    second = Explainer(bundle_dir=bundle_dir, n_background=8)
    np.testing.assert_array_equal(second.background, background)
    assert background.shape == (8, first.layout.n_features)


def test_svg_and_png_drawings(explainer):
    explanation = explainer.explain(MOLECULES[0], [0, 1, 2])
    svg = draw_explanation(explanation)
    root = ET.fromstring(svg.encode())
    assert root.tag.endswith("svg")
    assert len(svg) < 300_000
    png = draw_explanation(explanation, fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    top = top_substructures(explanation, top=2)
    assert 1 <= len(top) <= 4 and top["image"].str.contains("<svg").all()
    with pytest.raises(ValueError, match="format"):
        draw_explanation(explanation, fmt="gif")


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_cli_writes_drawing_and_json(bundle_dir, tmp_path, capsys, suffix):
    out = tmp_path / f"aspirin{suffix}"
    args = ["explain", MOLECULES[0], "--model", str(bundle_dir), "-o", str(out)]
    assert main([*args, "--side-effect", "effect 3", "--side-effect", "Effect 5"]) == 0
    assert out.is_file() and out.stat().st_size > 0
    data = json.loads(out.with_suffix(".json").read_text())
    assert [s["name"] for s in data["side_effects"]] == ["effect 3", "effect 5"]
    n_atoms = Chem.MolFromSmiles(MOLECULES[0]).GetNumAtoms()
    assert all(len(s["atom_contributions"]) == n_atoms for s in data["side_effects"])
    assert "effect 3" in capsys.readouterr().out


def test_cli_frequency_without_side_effect(bundle_dir, tmp_path):
    out = tmp_path / "nicotine.svg"
    args = ["explain", MOLECULES[2], "--model", str(bundle_dir), "-o", str(out)]
    assert main([*args, "--output", "frequency"]) == 0
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["output"] == "frequency" and len(data["side_effects"]) == 1


@pytest.mark.parametrize(
    ("smiles", "extra", "message"),
    [
        ("C1CC(", [], "not valid SMILES"),
        ("CCO", ["--side-effect", "efect 3"], "did you mean"),
        ("CCO", ["-o", "x.gif"], "must end in .svg or .png"),
    ],
)
def test_cli_errors_are_messages(bundle_dir, tmp_path, capsys, smiles, extra, message):
    args = ["explain", smiles, "--model", str(bundle_dir), "-o", str(tmp_path / "x.svg"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_missing_model_is_a_message(tmp_path, capsys):
    args = ["explain", "CCO", "--model", str(tmp_path / "none"), "-o", str(tmp_path / "x.svg")]
    assert main(args) == 2
    assert "no SEFreq bundle" in capsys.readouterr().err


def test_cli_help_has_example():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices["explain"]
    text = sub.format_help()
    assert "Example:" in text and "sefreq explain" in text
