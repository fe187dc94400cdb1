"""The dataset built from the real upstream files, cross-checked against reference/.

Skipped unless SEFREQ_DATA_DIR points at the upstream files. The build goes to a
temporary cache folder, once per module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sefreq.data.cache import load_dataset
from sefreq.data.dataset import Dataset

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def built(real_data_dir: Path, tmp_path_factory) -> tuple[Dataset, Path]:
    cache = tmp_path_factory.mktemp("dataset-cache")
    return load_dataset(data_dir=real_data_dir, cache_dir=cache, rebuild=True), cache


@pytest.fixture(scope="module")
def dataset(built) -> Dataset:
    return built[0]


@pytest.fixture(scope="module")
def ref_drugs(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "drugs.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def ref_side_effects(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "side_effects.csv", keep_default_na=False)


def test_frequency_matrix(dataset):
    frequency = dataset.frequency
    assert frequency.shape == (759, 994) and frequency.dtype == np.uint8
    assert int((frequency > 0).sum()) == 37_441
    counts = dict(zip(*np.unique(frequency[frequency > 0], return_counts=True), strict=True))
    assert counts == {1: 1190, 2: 4203, 3: 10027, 4: 17795, 5: 4226}


def test_frequency_matches_the_long_table(dataset, real_data_dir):
    long = pd.read_csv(real_data_dir / "dsgat_Supplementary_Data_1.txt", sep="\t")
    drug_of = {name: i for i, name in enumerate(dataset.drugs["name"])}
    term_of = {name: j for j, name in enumerate(dataset.side_effects["name"])}
    rows = long["GenericName"].str.replace(".", " ").map(drug_of).to_numpy()
    columns = long["SideeffectTerm"].map(term_of).to_numpy()
    rebuilt = np.zeros_like(dataset.frequency)
    rebuilt[rows, columns] = long["FrequencyRatingValue"].to_numpy()
    assert np.array_equal(rebuilt, dataset.frequency)


def test_drugs_match_reference(dataset, ref_drugs):
    drugs = dataset.drugs
    assert list(drugs.columns[:13]) == [
        "name",
        "pubchem_cid",
        "pubchem_cid_flat",
        "sider_stereo_cid",
        "atc",
        "smiles",
        "smiles_source",
        "inchikey",
        "parent_smiles",
        "has_structure",
        "curation_status",
        "curation_note",
        "is_independent",
    ]
    assert drugs["name"].tolist() == ref_drugs["name"].tolist()
    assert drugs["pubchem_cid"].tolist() == ref_drugs["pubchem_cid"].tolist()
    assert drugs["atc"].tolist() == ref_drugs["atc"].fillna("").tolist()
    assert drugs.index.tolist() == list(range(759))
    independent = ref_drugs["in_mgpred_750"] == 0
    assert dataset.independent_mask.tolist() == independent.tolist()
    assert int(dataset.independent_mask.sum()) == 9


def test_structures_match_the_manual_review(dataset, ref_drugs):
    drugs = dataset.drugs
    unusable_ref = set(ref_drugs.loc[ref_drugs["smiles_usable"] == 0, "name"])
    unusable = set(drugs.loc[~drugs["has_structure"], "name"]) | set(
        drugs.loc[drugs["curation_status"] == "wrong_compound_replaced", "name"]
    )
    assert unusable == unusable_ref and len(unusable) == 12
    assert int((~dataset.structure_mask).sum()) == 10
    assert drugs.loc[~drugs["has_structure"], "smiles"].isna().all()
    assert drugs.loc[~drugs["has_structure"], "parent_smiles"].map(lambda s: s is None).all()

    flags = ref_drugs.set_index("name")["smiles_flag"]
    approximate = set(flags[~flags.str.startswith(("ok", "WRONG"))].index)
    assert set(drugs.loc[drugs["curation_status"] == "approximate", "name"]) == approximate
    assert len(approximate) == 19
    assert (drugs.loc[drugs["curation_status"] != "ok", "curation_note"] != "").all()

    replaced = drugs[drugs["curation_status"] == "wrong_compound_replaced"].set_index("name")
    ref = ref_drugs.set_index("name")
    for name in ("levofloxacin", "dexmethylphenidate"):
        assert replaced.loc[name, "smiles_source"] == "drugbank"
        assert replaced.loc[name, "smiles"] == ref.loc[name, "smiles_drugbank"]
    ok = drugs["curation_status"] == "ok"
    assert (drugs.loc[ok, "smiles"] == ref_drugs.loc[ok, "smiles"]).all()
    assert drugs.loc[drugs["has_structure"], "parent_smiles"].map(bool).all()


def test_side_effects_match_reference(dataset, ref_side_effects, reference_dir):
    side_effects = dataset.side_effects
    assert side_effects["name"].tolist() == ref_side_effects["name"].tolist()
    assert side_effects["umls_cui"].tolist() == ref_side_effects["umls_cui_sider"].tolist()
    expected_soc = [sorted(text.split("|")) for text in ref_side_effects["galeano_soc"]]
    expected_hlgt = [sorted(text.split("|")) for text in ref_side_effects["galeano_hlgt"]]
    assert side_effects["organ_classes"].tolist() == expected_soc
    assert side_effects["group_terms"].tolist() == expected_hlgt
    assert (
        side_effects["n_drugs_with_freq"].tolist() == ref_side_effects["n_drugs_with_freq"].tolist()
    )
    features = np.load(reference_dir / "side_effect_features.npz", allow_pickle=True)
    info = dataset.side_effect_info()
    assert dataset.organ_class_names == [str(n) for n in features["soc_names"]]
    assert dataset.group_term_names == [str(n) for n in features["hlgt_names"]]
    assert np.array_equal(info.organ_classes, features["soc_multihot"].astype(np.float32))
    assert np.array_equal(info.group_terms, features["hlgt_multihot"].astype(np.float32))
    assert info.similarity.shape == (994, 994) and info.similarity.dtype == np.float32
    assert np.allclose(info.similarity, features["adrecs_dag_similarity"], atol=1e-6)


def test_conversion_rule_reproduces_galeano(dataset):
    pairs = dataset.pairs
    reported = pairs[pairs["galeano_class"] > 0]
    assert len(reported) == 37_441
    assert (reported["n_labels"] > 0).all()  # every class in R has SIDER evidence
    difference = reported["derived_class"].astype(int) - reported["galeano_class"].astype(int)
    assert (difference == 0).mean() > 0.96
    assert (difference.abs() <= 1).mean() > 0.999


def test_placebo_flag_explains_most_dropped_pairs(dataset):
    pairs = dataset.pairs[dataset.pairs["drug_index"] < 759]  # R exists for the 759 only
    dropped = pairs[(pairs["galeano_class"] == 0) & (pairs["n_labels"] > 0)]
    assert dropped["placebo_at_least_drug"].mean() > 0.9
    kept = pairs[pairs["galeano_class"] > 0]
    assert kept["placebo_at_least_drug"].mean() < 0.02
    assert not (kept["postmarketing_only"]).any()


def test_evidence_kinds_and_indices(dataset):
    evidence = dataset.evidence
    assert set(evidence["kind"].astype(str)) == {"drug", "placebo", "postmarketing"}
    assert evidence["drug_index"].between(0, len(dataset.catalogue) - 1).all()
    assert set(evidence.loc[evidence["drug_index"] < 759, "drug_index"]) == set(range(759))
    assert evidence["side_effect_index"].between(0, 993).all()
    post = evidence[evidence["kind"] == "postmarketing"]
    assert post["frequency_class"].isna().all()
    assert evidence.loc[evidence["kind"] != "postmarketing", "frequency_class"].notna().all()


def test_names_find_drugs(dataset):
    names = dataset.names
    drug_names = dataset.catalogue["name"]

    def find(text: str) -> set[str]:
        hits = names.loc[names["key"] == text.casefold(), "drug_index"]
        return set(drug_names.iloc[hits].tolist())

    assert find("Actos") == {"pioglitazone"}
    assert find("pioglitazone hydrochloride") == {"pioglitazone"}
    assert find("N01AH02") == {"alfentanil"}
    generic = names[names["kind"] == "generic"]
    assert sorted(generic["drug_index"]) == list(range(len(dataset.catalogue)))
    labels = dataset.labels
    assert labels["drug_index"].between(0, len(dataset.catalogue) - 1).all()
    assert labels.loc[labels["drug_index"] < 759, "drug_index"].nunique() >= 750


def test_cached_load_equals_the_build(built, real_data_dir):
    dataset, cache = built
    cached = load_dataset(data_dir=real_data_dir, cache_dir=cache)
    assert np.array_equal(cached.frequency, dataset.frequency)
    assert np.array_equal(cached.side_effect_similarity, dataset.side_effect_similarity)
    for name in ("drugs", "side_effects", "names", "labels", "evidence", "pairs"):
        pd.testing.assert_frame_equal(getattr(cached, name), getattr(dataset, name))


def test_combinations_keep_every_drug_in_the_parent(dataset):
    parent = dataset.drugs.set_index("name")["parent_smiles"]
    note = dataset.drugs.set_index("name")["curation_note"]
    for combination, components in [
        ("lamivudine and abacavir", ("abacavir", "lamivudine")),
        ("sulfamethoxazole and trimethoprim", ("sulfamethoxazole", "trimethoprim")),
        ("salmeterol and fluticasone", ("salmeterol",)),
    ]:
        parts = set(parent[combination].split("."))
        assert len(parts) == 2, combination
        for single in components:
            if single in parent.index:  # the single drug is itself one of the 759
                assert parent[single] in parts, (combination, single)
        assert "both kept" in note[combination]
    levodopa = parent["levodopa"].split(".")
    assert len(levodopa) == 2 and any("NN" in part for part in levodopa)  # + carbidopa


def test_tegaserod_takes_its_drugbank_structure(dataset):
    row = dataset.drugs.set_index("name").loc["tegaserod"]
    assert row["smiles_source"] == "drugbank"
    assert "OC" in row["parent_smiles"]  # the methoxy group the PubChem isomer lacks
