"""The network, training and the bundle, on a tiny synthetic dataset (seconds, CPU)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from sefreq.bench.interface import EvalView, QueryView, TrainView
from sefreq.bench.models.sefreq_net import make_model
from sefreq.model.bundle import SEFreqEnsemble
from sefreq.model.confidence import conformal_threshold, fit_temperature, set_coverage
from sefreq.model.config import TrainConfig
from sefreq.model.data import TrainingSet
from sefreq.model.features import transfer_edges
from sefreq.model.inference import FusedEnsemble, class_probabilities
from sefreq.model.network import (
    VARIANTS,
    coral_class_probabilities,
    coral_loss,
)
from sefreq.model.recipe import fit_ensemble
from sefreq.priors import knn_profiles
from tests.support.tiny_model import (
    N_SE,
    as_model_inputs,
    tiny_batch,
    tiny_frequency,
    tiny_net,
    tiny_network,
    tiny_side_effects,
    tiny_train,
)


@pytest.mark.parametrize("variant", ["asym_i", "asym_i_ii"])
def test_frequency_loss_never_reaches_association_parameters(variant):
    net = tiny_net(variant)
    net.train()
    out = net(tiny_batch())
    classes = torch.randint(1, 6, (6 * N_SE,))
    coral_loss(out["cumulative_logit"].reshape(-1, 4), classes).mean().backward()
    for p in net.association_parameters():
        assert p.grad is None or torch.count_nonzero(p.grad) == 0
    # ...while the frequency head does learn from it.
    assert torch.count_nonzero(net.frequency_encoder[1].weight.grad) > 0


def test_symmetric_frequency_loss_trains_the_shared_encoder():
    net = tiny_net("symmetric")
    out = net(tiny_batch())
    classes = torch.randint(1, 6, (6 * N_SE,))
    coral_loss(out["cumulative_logit"].reshape(-1, 4), classes).mean().backward()
    assert torch.count_nonzero(net.association_encoder[1].weight.grad) > 0


def test_transfer_edges_only_flow_from_more_to_less_labelled():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 40, N_SE)
    se = tiny_side_effects(rng)
    sources, valid = transfer_edges(
        counts, se.organ_classes, se.similarity, rng.random((20, N_SE)) < 0.3, 4
    )
    targets = np.repeat(np.arange(N_SE)[:, None], sources.shape[1], axis=1)
    assert valid.any()
    assert np.all(counts[sources[valid]] > counts[targets[valid]])
    # The best-documented side effect has nobody to learn from.
    assert not valid[np.argmax(counts)].any()


def test_transfer_weights_shrink_as_source_loss_grows():
    net = tiny_net("asym_i_ii")
    transfer = net.frequency_transfer
    before = transfer.edge_weights().detach().clone()
    source = int(transfer.sources[transfer.valid][0])
    loss = transfer.ema_loss.clone()
    loss[source] = 5.0
    transfer.update_ema(loss, torch.ones_like(loss, dtype=torch.bool), momentum=0.0)
    after = transfer.edge_weights().detach()
    hit = (transfer.sources == source) & transfer.valid
    assert torch.all(after[hit] < before[hit])


def test_transfer_does_not_send_gradient_to_sources():
    net = tiny_net("asym_i_ii")
    u = torch.randn(4, N_SE, requires_grad=True)
    target = int(torch.nonzero(net.frequency_transfer.valid.any(1))[0])
    net.frequency_transfer(u)[:, target].sum().backward()
    grad = u.grad.abs().sum(0)
    assert grad[target] > 0
    assert torch.count_nonzero(grad) == 1


def test_coral_probabilities_are_a_distribution():
    logits = torch.randn(50, 4).sort(dim=1, descending=True).values
    p = coral_class_probabilities(logits)
    assert p.shape == (50, 5)
    assert torch.all(p >= 0)
    assert torch.allclose(p.sum(1), torch.ones(50), atol=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_runs_forward(variant):
    out = tiny_net(variant)(tiny_batch())
    assert out["association_logit"].shape == (6, N_SE)
    assert out["cumulative_logit"].shape == (6, N_SE, 4)


def test_knn_profiles_leave_the_drug_itself_out():
    rng = np.random.default_rng(0)
    frequency = tiny_frequency(8, rng)
    mask = np.ones(frequency.shape, dtype=bool)
    sim = np.eye(8) + 0.01
    prevalence, mean_class = np.full(N_SE, 0.3), np.full(N_SE, 3.0)
    with_self, _ = knn_profiles(sim, frequency, mask, prevalence, mean_class, k=1)
    without, _ = knn_profiles(
        sim, frequency, mask, prevalence, mean_class, k=1, exclude=np.arange(8)
    )
    assert np.all((with_self > 0) == (frequency > 0))  # its own labels shine through
    assert not np.array_equal(with_self, without)


def test_temperature_and_conformal():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal(4000) * 3
    labels = (rng.random(4000) < 1 / (1 + np.exp(-logits / 3))).astype(float)
    assert 2.0 < fit_temperature(logits, labels) < 4.5
    probabilities = rng.dirichlet(np.ones(5), 2000)
    classes = rng.integers(1, 6, 2000)
    threshold = conformal_threshold(probabilities[:1000], classes[:1000], 0.1)
    sets = (((1 - probabilities[1000:]) <= threshold) * (1 << np.arange(5))).sum(1).astype(np.uint8)
    coverage, size = set_coverage(sets, classes[1000:])
    assert coverage >= 0.85
    assert 1 <= size <= 5


def test_ensemble_outputs(tiny_ensemble, tiny_data):
    data, _ = tiny_data
    out = tiny_ensemble.predict_arrays([*data.smiles[:5], "not a smiles"])
    assert out.p_association.shape == (6, N_SE)
    assert out.class_probabilities.shape == (6, N_SE, 5)
    assert np.all(out.valid[:5]) and not out.valid[5]
    assert np.all(np.isnan(out.p_association[5]))
    good = out.p_association[:5]
    assert np.all((good > 0) & (good < 1))
    assert np.allclose(out.class_probabilities[:5].sum(-1), 1, atol=1e-5)
    assert np.all((out.expected_frequency[:5] >= 1) & (out.expected_frequency[:5] <= 5))
    assert np.all(out.uncertainty[:5] >= 0)
    # A training molecule is its own nearest neighbour.
    assert np.allclose(out.max_similarity[:5], 1.0)
    calibration = tiny_ensemble.card.calibration
    assert calibration["temperature"] > 0
    assert 0 <= calibration["conformal_validation_coverage"] <= 1


def test_training_is_reproducible(tiny_data):
    data, side_effects = tiny_data
    config = tiny_train(seed=5)
    config.n_members = 1
    a = fit_ensemble(data, None, side_effects, tiny_network(), config).predict_arrays(
        data.smiles[:3]
    )
    b = fit_ensemble(data, None, side_effects, tiny_network(), config).predict_arrays(
        data.smiles[:3]
    )
    assert np.array_equal(a.p_association, b.p_association)


def test_save_load_round_trip_is_exact_and_pickle_free(
    tiny_ensemble, tiny_data, tmp_path, monkeypatch
):
    data, _ = tiny_data
    before = tiny_ensemble.predict_arrays([*data.smiles[:4], "CCCCCCCCO"])
    tiny_ensemble.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "card.json",
        "manifest.json",
        "weights.safetensors",
    ]
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("loading a bundle must not unpickle anything")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded = SEFreqEnsemble.load(tmp_path)
    after = loaded.predict_arrays([*data.smiles[:4], "CCCCCCCCO"])
    for field in (
        "p_association",
        "class_probabilities",
        "expected_frequency",
        "uncertainty",
        "conformal_sets",
        "max_similarity",
        "nearest_index",
    ):
        assert np.array_equal(getattr(before, field), getattr(after, field)), field


def test_missing_bundle_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="sefreq train"):
        SEFreqEnsemble.load(tmp_path)


def _train_view(data, side_effects, rows: np.ndarray) -> TrainView:
    """A harness training view of the tiny data's ``rows``, every cell labelled."""
    return TrainView(
        frequency=data.frequency[rows],
        label_mask=np.ones((len(rows), N_SE), dtype=bool),
        smiles=[data.smiles[i] for i in rows],
        drug_ids=rows,
        side_effects=side_effects,
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_bench_adapter_variants(tiny_data, variant):
    data, side_effects = tiny_data
    fit_rows, val_rows, test_rows = np.arange(0, 32), np.arange(32, 40), np.arange(40, 48)
    train = _train_view(data, side_effects, fit_rows)
    validation = EvalView(
        query=QueryView([data.smiles[i] for i in val_rows]),
        frequency=data.frequency[val_rows],
        mask=np.ones((8, N_SE), dtype=bool),
    )
    model = make_model(
        variant,
        hidden=32,
        embedding=8,
        n_similarity_components=4,
        transfer_k=3,
        n_members=1,
        max_epochs=3,
        batch_size=16,
    )
    assert model.structure_only
    model.fit(train, validation)
    prediction = model.predict(QueryView([data.smiles[i] for i in test_rows] + [None]))
    assert prediction.association.shape == (9, N_SE)
    assert np.all(np.isfinite(prediction.association)) and np.all(np.isfinite(prediction.frequency))
    assert np.all((prediction.frequency >= 1) & (prediction.frequency <= 5))


def test_make_model_rejects_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        make_model("bogus")


def test_dense_transfer_matches_the_gather():
    net = tiny_net("asym_i_ii")
    u = torch.randn(5, N_SE)
    transfer = net.frequency_transfer
    with torch.no_grad():
        gathered = transfer(u, transfer.edge_weights())
        dense = transfer(u, transfer.dense_matrix(), dense=True)
    assert torch.allclose(gathered, dense, atol=1e-6)


def test_inference_cache_matches_training_mode_forward():
    net = tiny_net("asym_i_ii")
    batch = tiny_batch()
    net.eval()
    with torch.enable_grad():
        reference = net(batch)["association_logit"].detach()
    with torch.no_grad():
        first = net(batch)["association_logit"]
        cached = net(batch)["association_logit"]
    assert torch.allclose(reference, first, atol=1e-5)
    assert torch.equal(first, cached)


@pytest.mark.parametrize("high", [2, 4, 40])  # all counts below, around and far above the
def test_count_tanimoto_matches_min_over_max(high):  # levels held dense (DENSE_LEVELS)
    from sefreq.chem.similarity import count_tanimoto, prepare_counts

    rng = np.random.default_rng(3)
    a = rng.integers(0, high, (5, 40)).astype(np.float32)
    b = rng.integers(0, high, (7, 40)).astype(np.float32)
    b[0] = 0
    a[1] = 0
    b[2, :5] = high + 7  # counts no query reaches
    with np.errstate(invalid="ignore"):
        naive = np.minimum(a[:, None], b[None]).sum(-1) / np.maximum(a[:, None], b[None]).sum(-1)
    naive = np.nan_to_num(naive)
    np.testing.assert_allclose(count_tanimoto(a, b), naive, atol=1e-6)
    # clipped at 3 on both sides, as a reference prepared with levels=3
    a3, b3 = np.minimum(a, 3), np.minimum(b, 3)
    with np.errstate(invalid="ignore"):
        clipped = np.minimum(a3[:, None], b3[None]).sum(-1) / np.maximum(a3[:, None], b3[None]).sum(
            -1
        )
    np.testing.assert_allclose(
        count_tanimoto(a, None, prepare_counts(b, 3)), np.nan_to_num(clipped), atol=1e-6
    )


@pytest.mark.parametrize("fingerprints", ["default", "all five"])
def test_kernel_knn_prior_round_trip_and_morgan_domain(tiny_data, tmp_path, fingerprints):
    from sefreq.bench.models.sefreq_net import make_asym_i_ii_kernel
    from sefreq.chem.features import KERNEL_FINGERPRINTS
    from sefreq.explain.adapter import model_inputs

    data, side_effects = tiny_data
    config = tiny_train()
    config.n_members, config.knn_similarity = 1, "kernel"
    expected = {"ecfp2_counts", "fcfp2_counts", "ap_counts", "tt_counts"}
    if fingerprints == "all five":  # as models before 1.2.0 were trained
        config.kernel_fingerprints = KERNEL_FINGERPRINTS
        expected.add("maccs_bits")
    ensemble = fit_ensemble(data, None, side_effects, tiny_network(), config)
    assert ensemble.knn_similarity == "kernel"
    assert set(ensemble.reference_kernel_fingerprints) == expected
    queries = [*data.smiles[:3], "CCCCCCCCO", "not a smiles"]
    before = ensemble.predict_arrays(queries)
    with pytest.raises(ValueError, match="kernel_fingerprints"):
        ensemble.knn_features(replace(ensemble.featurize(queries), kernel=None))
    ensemble.save(tmp_path)
    loaded = SEFreqEnsemble.load(tmp_path)
    assert loaded.knn_similarity == "kernel"
    after = loaded.predict_arrays(queries)
    for field in ("p_association", "expected_frequency", "max_similarity", "nearest_index"):
        assert np.array_equal(getattr(before, field), getattr(after, field), equal_nan=True)
    # The applicability domain stays the Morgan Tanimoto.
    morgan = fit_ensemble(data, None, side_effects, tiny_network(), tiny_train())
    assert np.array_equal(
        morgan.predict_arrays(queries).max_similarity, before.max_similarity, equal_nan=True
    )
    # The flat explanation inputs keep their layout and their kNN part matches inference.
    flat = model_inputs(loaded, queries[:2])
    knn_a = loaded.knn_features(loaded.featurize(queries[:2]))[0]
    assert flat.shape[1] == 2048 + loaded.config.n_descriptors + 2 * N_SE
    assert np.array_equal(flat[:, -2 * N_SE : -N_SE], knn_a)
    assert make_asym_i_ii_kernel(n_members=1).name == "sefreq_asym_i_ii_kernel"


def test_shipped_recipe_pools_validation_drugs_on_cold_protocols(tiny_data):
    from sefreq.bench.models.sefreq_net import make_shipped

    data, side_effects = tiny_data
    fit_rows, val_rows = np.arange(0, 32), np.arange(32, 40)
    train = _train_view(data, side_effects, fit_rows)
    small = dict(hidden=32, embedding=8, n_similarity_components=4, transfer_k=3, n_members=1)
    small.update(max_epochs=3, batch_size=16)
    val_smiles = [data.smiles[i] for i in val_rows]
    cold = EvalView(QueryView(val_smiles), data.frequency[val_rows], np.ones((8, N_SE), bool))
    model = make_shipped(**small)
    assert model.name == "sefreq" and model.network.variant == "asym_i_ii"
    model.fit(train, cold)
    ensemble = model.ensemble
    assert len(ensemble.reference_names) == 40
    assert ensemble.reference_frequency.shape == (40, N_SE)
    assert all(v.shape[0] == 40 for v in ensemble.reference_kernel_fingerprints.values())
    np.testing.assert_array_equal(ensemble.reference_frequency[32:], data.frequency[val_rows])
    # A validation drug now finds itself among the neighbours.
    assert model.predict(QueryView(val_smiles[:2])).extras["max_similarity"] == pytest.approx(1.0)

    # Warm protocols: validation cells belong to training drugs; nothing is added.
    warm = EvalView(
        QueryView([data.smiles[i] for i in fit_rows[:8]], drug_ids=fit_rows[:8]),
        data.frequency[fit_rows[:8]],
        np.ones((8, N_SE), dtype=bool),
    )
    model = make_shipped(**small)
    model.fit(train, warm)
    assert len(model.ensemble.reference_names) == 32


def test_similarity_components_do_not_depend_on_svd_signs(monkeypatch):
    from sefreq.model import features

    rng = np.random.default_rng(0)
    base = rng.random((12, 12))
    sim = base @ base.T
    reference = features.similarity_components(sim, 12, 4)
    svd = np.linalg.svd

    def flipped_svd(matrix, full_matrices=True):
        u, s, vt = svd(matrix, full_matrices=full_matrices)
        signs = np.array([-1.0, 1.0] * (len(s) // 2) + [1.0] * (len(s) % 2))
        return u * signs[None], s, vt * signs[:, None]

    monkeypatch.setattr(features.np.linalg, "svd", flipped_svd)
    np.testing.assert_allclose(features.similarity_components(sim, 12, 4), reference, atol=1e-6)


def test_smoothed_prior_trains_saves_and_reloads(tiny_data, tmp_path):
    data, side_effects = tiny_data
    training = TrainingSet(
        smiles=data.smiles[:32],
        frequency=data.frequency[:32],
        label_mask=np.ones((32, N_SE), dtype=bool),
    )
    validation = TrainingSet(
        smiles=data.smiles[32:40],
        frequency=data.frequency[32:40],
        label_mask=np.ones((8, N_SE), dtype=bool),
    )
    config = TrainConfig(
        n_members=1, max_epochs=2, batch_size=16, progress=False,
        knn_similarity="kernel", prior="smoothed",
    )  # fmt: skip
    ensemble = fit_ensemble(training, validation, side_effects, tiny_network(), config)
    assert set(ensemble.smoothing) == {"association", "frequency"}
    assert set(ensemble.smoothing["association"]) == {"alpha", "gamma", "m"}
    before = ensemble.predict_arrays(data.smiles[40:44])
    loaded = SEFreqEnsemble.load(ensemble.save(tmp_path / "bundle"))
    assert loaded.smoothing == ensemble.smoothing
    after = loaded.predict_arrays(data.smiles[40:44])
    np.testing.assert_allclose(after.p_association, before.p_association, rtol=1e-6)
    np.testing.assert_allclose(after.expected_frequency, before.expected_frequency, rtol=1e-6)


def test_smoothed_profiles_leave_the_drug_out_and_shrink_to_the_prior():
    from sefreq.priors import smoothed_profiles, smoothing_reference

    rng = np.random.default_rng(1)
    frequency = (rng.random((6, 5)) < 0.4) * rng.integers(1, 6, (6, 5))
    frequency = frequency.astype(np.uint8)
    mask = np.ones((6, 5), dtype=bool)
    reference = smoothing_reference(frequency, mask)
    prevalence = np.full(5, 0.4)
    mean_class = np.full(5, 3.0)
    settings = {"association": {"alpha": 0.1, "gamma": 3, "m": 0.0},
                "frequency": {"alpha": 0.1, "gamma": 3}}  # fmt: skip
    # Identical to reference drug 0 and unrelated to the rest: the profile is drug 0's own
    # labels, unless drug 0 is left out, when nothing is known and the prior remains.
    similarity = np.zeros((1, 6))
    similarity[0, 0] = 1.0
    own, _ = smoothed_profiles(similarity, reference, prevalence, mean_class, settings)
    reported = frequency[0] > 0
    assert np.all(own[0, reported] > 1.5) and np.all(own[0, ~reported] < -1.5)
    left_out, freq = smoothed_profiles(
        similarity, reference, prevalence, mean_class, settings, exclude=np.array([0])
    )
    np.testing.assert_allclose(left_out, 0, atol=1e-6)
    # ... and the frequency falls back to each side effect's shrunk mean class.
    np.testing.assert_allclose(freq[0], reference["ms"] - mean_class, atol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_ensemble_equals_the_members_forward(variant):
    """Prediction's batched pass (FusedEnsemble) gives each member's own outputs."""
    members = []
    for seed in (1, 2, 3):
        net = tiny_net(variant, np.random.default_rng(seed))
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # every parameter away from its initial value
            for parameter in net.parameters():
                parameter.add_(0.3 * torch.randn(parameter.shape, generator=g))
            if variant == "asym_i_ii":
                net.association_transfer.ema_loss.uniform_(0.5, 2.0, generator=g)
        members.append(net.eval())
    batch = tiny_batch(n=9, seed=4)
    fused = FusedEnsemble(members)
    logits, greater = fused(as_model_inputs(batch))
    with torch.no_grad():
        for m, net in enumerate(members):
            out = net(batch)
            np.testing.assert_allclose(logits[m], out["association_logit"].numpy(), atol=2e-5)
            expected = coral_class_probabilities(out["cumulative_logit"]).numpy()
            np.testing.assert_allclose(class_probabilities(greater[m]), expected, atol=2e-6)
    assert logits.shape == (3, 9, N_SE) and greater.shape == (3, 9, N_SE, 4)
    # The ensemble's classes: the mean of the members' probabilities.
    mean = np.mean([class_probabilities(g) for g in greater], axis=0)
    np.testing.assert_allclose(class_probabilities(greater.mean(0)), mean, atol=1e-6)


def test_a_model_reads_the_features_it_was_trained_on(tiny_data, tmp_path):
    """Descriptor and kernel-fingerprint sets are training settings, saved in the bundle."""
    data, side_effects = tiny_data
    descriptors = ("MolWt", "TPSA", "MolLogP")
    kernel = ("ecfp2_counts", "ap_counts")
    config = TrainConfig(
        **{**tiny_train().to_dict(), "descriptors": descriptors, "kernel_fingerprints": kernel},
    )
    config.knn_similarity = "kernel"
    ensemble = fit_ensemble(data, None, side_effects, tiny_network(), config)
    assert ensemble.config.n_descriptors == 3
    assert set(ensemble.reference_kernel_fingerprints) == set(kernel)
    loaded = SEFreqEnsemble.load(ensemble.save(tmp_path / "bundle"))
    assert loaded.descriptor_names == descriptors
    smiles = data.smiles[:5]
    inputs = loaded.featurize(smiles)
    assert inputs.descriptors.shape == (5, 3) and set(inputs.kernel) == set(kernel)
    a = ensemble.predict_arrays(smiles)
    b = loaded.predict_arrays(smiles)
    np.testing.assert_allclose(a.p_association, b.p_association, atol=1e-6)
