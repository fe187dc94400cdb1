"""The mechanism view: the dense task, cross-fitting, the network reading it, the bundle."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from sefreq.bench.interface import QueryView, TrainView
from sefreq.bench.models.listing_knn import ListedKNNModel, TargetKNNModel
from sefreq.chem.features import mol_from_smiles, morgan_fingerprints
from sefreq.chem.standardize import skeleton_of
from sefreq.model.bundle import SEFreqEnsemble
from sefreq.model.inference import FusedEnsemble, class_probabilities
from sefreq.model.mechanism import ATC_PREFIX, MechanismTask, train_mechanism
from sefreq.model.network import VARIANTS, coral_class_probabilities
from sefreq.model.recipe import fit_ensemble
from tests.support.tiny_model import (
    N_SE,
    as_model_inputs,
    tiny_batch,
    tiny_frequency,
    tiny_net,
    tiny_network,
    tiny_side_effects,
    tiny_smiles,
    tiny_train,
)


def tiny_task(smiles: list[str]) -> MechanismTask:
    """Compounds whose proteins follow their ring (so structure predicts them) and whose
    ATC class follows their tail."""
    proteins, atc = [], []
    for s in smiles:
        ring = "P_AROM" if "c1" in s else "P_ALIPH"
        proteins.append([ring, "P_N"] if "N" in s else [ring])
        atc.append(["N05AH01"[:5]] if "O" in s else [])
    skeletons = [skeleton_of(mol_from_smiles(s)) for s in smiles]
    return MechanismTask(list(smiles), skeletons, proteins, atc)


def test_task_vocabulary_labels_and_masks():
    task = MechanismTask(
        ["C", "CC", "CCC"], ["A", "B", "C"], [["P1"], ["P1", "P2"], []], [[], ["N05AH"], ["N05AH"]]
    )
    vocabulary = task.vocabulary(min_compounds=1)
    assert vocabulary == ["P1", "P2", ATC_PREFIX + "N05AH"]
    labels, mask = task.labels(vocabulary)
    np.testing.assert_array_equal(labels, [[1, 0, 0], [1, 1, 1], [0, 0, 1]])
    # Protein columns scored only where some protein is known; ATC columns likewise.
    np.testing.assert_array_equal(mask, [[1, 1, 0], [1, 1, 1], [0, 0, 1]])
    assert task.vocabulary(min_compounds=2) == ["P1", ATC_PREFIX + "N05AH"]
    assert task.without({"B"}).skeletons == ["A", "C"]


def test_cross_fitting_never_lets_a_drug_read_a_network_that_learnt_it(monkeypatch):
    """Each training drug's profile comes from a network trained without its compound."""
    import sefreq.model.mechanism as mechanism

    smiles = tiny_smiles(40)
    task = tiny_task(smiles)
    seen: list[set[str]] = []
    real_fit = mechanism.fit_mechanism_net

    def spy(bits, labels, mask, seed, epochs=25, hidden=512):
        seen.append({tuple(row) for row in bits.astype(int)})
        return real_fit(bits, labels, mask, seed, epochs=3, hidden=16)

    monkeypatch.setattr(mechanism, "fit_mechanism_net", spy)
    bits = morgan_fingerprints(smiles)
    fitted = train_mechanism(
        task, morgan_fingerprints, bits, task.skeletons, seed=0, n_parts=3, epochs=3
    )
    assert len(fitted.model.nets) == 3 == len(seen)
    # The drug's profile equals its reading network's output, and that network never saw it.
    for row in range(len(smiles)):
        outputs = [
            torch.sigmoid(net(torch.from_numpy(bits[row : row + 1].astype(np.float32))))
            .detach()
            .numpy()[0]
            for net in fitted.model.nets
        ]
        reader = [k for k, o in enumerate(outputs) if np.allclose(o, fitted.train_profiles[row])]
        assert len(reader) == 1
        assert tuple(bits[row].astype(int)) not in seen[reader[0]]
    assert fitted.train_has_known.all()  # every drug is a compound of the task


def test_known_profile_replaces_the_predicted_one_unless_structure_only():
    smiles = tiny_smiles(30)
    task = tiny_task(smiles)
    bits = morgan_fingerprints(smiles)
    fitted = train_mechanism(task, morgan_fingerprints, bits, task.skeletons, epochs=2)
    model = fitted.model
    known, found = model.known([task.skeletons[0], "NOT-A-SKELETON", None])
    assert found.tolist() == [True, False, False]
    labels, _ = task.labels(model.vocabulary)
    np.testing.assert_array_equal(known[0], labels[0])
    profile, used = model.profiles(bits[:2], [task.skeletons[0], None])
    assert used.tolist() == [True, False]
    np.testing.assert_array_equal(profile[0], labels[0])
    np.testing.assert_allclose(profile[1], model.predict(bits[1:2])[0], atol=1e-6)
    structure, used = model.profiles(bits[:2], None)
    assert not used.any()
    np.testing.assert_allclose(structure, model.predict(bits[:2]), atol=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_ensemble_with_the_mechanism_view_equals_the_members(variant):
    members = []
    for seed in (1, 2):
        net = tiny_net(variant, np.random.default_rng(seed), n_mechanism=7)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for parameter in net.parameters():
                parameter.add_(0.3 * torch.randn(parameter.shape, generator=g))
        members.append(net.eval())
    batch = replace(
        tiny_batch(n=5, seed=3),
        mechanism=torch.rand(5, 7, generator=torch.Generator().manual_seed(9)),
    )
    fused = FusedEnsemble(members)
    logits, greater = fused(as_model_inputs(batch))
    with torch.no_grad():
        for m, net in enumerate(members):
            out = net(batch)
            np.testing.assert_allclose(logits[m], out["association_logit"].numpy(), atol=2e-5)
            expected = coral_class_probabilities(out["cumulative_logit"]).numpy()
            np.testing.assert_allclose(class_probabilities(greater[m]), expected, atol=2e-6)
    with pytest.raises(ValueError, match="mechanism"):
        fused(as_model_inputs(replace(batch, mechanism=None)))


def test_association_reads_the_mechanism_not_the_bits():
    """With the view, the listing head's encoder reads the profile (and descriptors):
    changing a fingerprint bit moves only the frequency head."""
    net = tiny_net("asym_i_ii", n_mechanism=7).eval()
    batch = replace(tiny_batch(n=3), mechanism=torch.rand(3, 7))
    with torch.no_grad():
        a = net(batch)
        b = net(replace(batch, fingerprints=1 - batch.fingerprints))
        c = net(replace(batch, mechanism=1 - batch.mechanism))
    torch.testing.assert_close(a["association_logit"], b["association_logit"])
    assert not torch.allclose(a["cumulative_logit"], b["cumulative_logit"])
    assert not torch.allclose(a["association_logit"], c["association_logit"])


def _fit_with_mechanism(n: int, n_known: int, seed: int):
    """A tiny ensemble of ``n`` drugs whose first ``n_known`` are compounds of the task."""
    from sefreq.model.data import TrainingSet

    rng = np.random.default_rng(seed)
    smiles = tiny_smiles(n)
    data = TrainingSet(
        smiles=smiles,
        frequency=tiny_frequency(n, rng),
        label_mask=np.ones((n, N_SE), dtype=bool),
        drug_ids=np.arange(n),
    )
    config = tiny_train()
    config.mechanism_epochs = 2
    task = tiny_task(smiles[:n_known])
    return fit_ensemble(
        data, None, tiny_side_effects(rng), tiny_network(), config, mechanism=task
    ), smiles


def test_ensemble_with_mechanism_trains_saves_reloads_and_says_what_it_read(tmp_path):
    ensemble, smiles = _fit_with_mechanism(48, 40, seed=0)
    assert ensemble.mechanism is not None
    assert ensemble.config.n_mechanism == len(ensemble.mechanism.vocabulary)
    query = [smiles[0], smiles[45]]  # a compound of the task, and one that is not
    out = ensemble.predict_arrays(query)
    assert out.mechanism_known.tolist() == [True, False]
    new = ensemble.predict_arrays(query, structure_only=True)
    assert not new.mechanism_known.any()
    assert not np.allclose(out.p_association[0], new.p_association[0])
    np.testing.assert_allclose(out.p_association[1], new.p_association[1], atol=1e-6)
    loaded = SEFreqEnsemble.load(ensemble.save(tmp_path / "bundle"))
    again = loaded.predict_arrays(query)
    np.testing.assert_allclose(again.p_association, out.p_association, atol=1e-6)
    assert again.mechanism_known.tolist() == [True, False]
    assert loaded.mechanism.known_formulas == ensemble.mechanism.known_formulas
    assert loaded.mechanism.known_formulas  # the prefilter travels with the bundle


def _view(smiles, frequency, task=None) -> TrainView:
    rng = np.random.default_rng(3)
    return TrainView(
        frequency=frequency,
        label_mask=np.ones(frequency.shape, dtype=bool),
        smiles=smiles,
        drug_ids=np.arange(len(smiles)),
        side_effects=tiny_side_effects(rng),
        known_mechanism=task,
    )


def test_knn_listed_copies_the_nearest_drug_and_shrinks_to_the_prevalence():
    smiles = ["c1ccccc1O", "CCCCCCCCN", "CCCCCCCCCN"]
    frequency = np.array([[5, 0, 0], [0, 3, 255], [0, 4, 0]], dtype=np.uint8)
    model = ListedKNNModel(grid=((1, 1.0, 0.2),))
    model.fit(_view(smiles, frequency))
    out = model.predict(QueryView(["c1ccccc1OC"]))
    prevalence = (frequency > 0).mean(0)
    np.testing.assert_allclose(out.association[0], 0.8 * np.array([1, 0, 0]) + 0.2 * prevalence)
    assert out.frequency[0, 0] == 5  # the neighbour's stated class
    # A listed side effect without a stated class counts as listed, not as a class.
    out = model.predict(QueryView(["CCCCCCCCCCN"]))
    assert out.association[0, 2] > prevalence[2] * 0.2


def test_knn_targets_uses_known_proteins_and_falls_back_to_structure():
    smiles = ["c1ccccc1O", "CCCCCCCCN", "CCCCCCCCO"]
    task = MechanismTask(
        ["c1ccccc1O", "CCCCCCCCN", "C1CCCCC1N"],
        [skeleton_of(mol_from_smiles(s)) for s in ["c1ccccc1O", "CCCCCCCCN", "C1CCCCC1N"]],
        [["P1"], ["P2"], ["P1"]],
        [[], [], []],
    )
    frequency = np.array([[5, 0], [0, 3], [0, 4]], dtype=np.uint8)
    model = TargetKNNModel(grid=((1, 1.0, 0.0),))
    model.fit(_view(smiles, frequency, task))
    # C1CCCCC1N shares P1 with the phenol only: it gets the phenol's list, whatever its
    # structure; an unknown compound gets its structural neighbour's.
    out = model.predict(QueryView(["C1CCCCC1N", "CCCCCCCCCO"]))
    np.testing.assert_allclose(out.association[0], [1, 0])
    np.testing.assert_allclose(out.association[1], [0, 1])


def test_the_prior_mixes_mechanism_with_the_weight_of_how_the_profile_was_read():
    ensemble, smiles = _fit_with_mechanism(40, 40, seed=1)
    assert ensemble.reference_mechanism.shape == (
        len(ensemble.reference_names),
        ensemble.config.n_mechanism,
    )
    inputs = ensemble.featurize(smiles[:3], structure_only=True)
    np.testing.assert_array_equal(inputs.mechanism, ensemble.mechanism.predict(inputs.fingerprints))
    as_new = replace(inputs, mechanism_known=np.zeros(3, bool))
    as_known = replace(inputs, mechanism_known=np.ones(3, bool))
    ensemble.mechanism_weight, ensemble.mechanism_weight_known = 0.0, 0.9
    new = ensemble.knn_features(as_new)
    known = ensemble.knn_features(as_known)
    ensemble.mechanism_weight_known = 0.0
    structure = ensemble.knn_features(as_known)
    np.testing.assert_allclose(new[0], structure[0], atol=1e-6)  # weight 0: structure only
    assert not np.allclose(known[0], structure[0])


def test_a_molecule_is_keyed_only_where_its_heavy_formula_can_name_a_known_compound(
    monkeypatch,
):
    smiles = tiny_smiles(30)
    task = tiny_task(smiles)
    bits = morgan_fingerprints(smiles)
    model = train_mechanism(task, morgan_fingerprints, bits, task.skeletons, epochs=1).model
    assert model.known_formulas == task.heavy_formulas()
    # a known compound as its anion, a new molecule of a known formula, and one of none
    known = task.smiles[0]
    charged = next(s for s in task.smiles if "C(=O)O" in s).replace("C(=O)O", "C(=O)[O-]", 1)
    queries = [known, charged, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)N"]
    mols = [mol_from_smiles(s) for s in queries]
    keyed = []
    monkeypatch.setattr(
        "sefreq.model.mechanism.skeleton_of", lambda m: keyed.append(m) or skeleton_of(m)
    )
    found = [model.skeleton_of(m) for m in mols]
    assert found[:2] == [skeleton_of(m) for m in mols[:2]]
    assert found[0] in model.known_skeletons and found[1] in model.known_skeletons
    assert found[2] is None and len(keyed) == 2  # the InChIKey of the third is never made
    model.known_formulas = None  # a bundle made before 2.0.1: every molecule is keyed
    assert [model.skeleton_of(m) for m in mols] == [skeleton_of(m) for m in mols]
