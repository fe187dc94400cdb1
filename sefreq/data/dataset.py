"""The curated dataset: Galeano's 759 x 994 matrix with structures, names and SIDER evidence.

Everything is built in code from the upstream files (:mod:`sefreq.data.registry`) and
cached on disk (parquet + npz), keyed by the sha256 of every input and
:data:`BUILD_VERSION`, so a changed input or a changed build rebuilds it. Rows are in
*Galeano order* (FrequencyData.mat ``drugs``), columns in Galeano order of
``sideeffects``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from sefreq.constants import INDEPENDENT_TEST_DRUGS, N_DRUGS, N_SIDE_EFFECTS, UNSTATED
from sefreq.data import curation, sider
from sefreq.data.catalogue import CATALOGUE_KEYS, build_catalogue
from sefreq.data.registry import REGISTRY, resolve, sha256_of
from sefreq.data.registry import cache_dir as default_cache_dir
from sefreq.data.synonyms import build_synonyms, empty_synonyms, read_term_pairs
from sefreq.data.targets import (
    TARGET_COLUMNS,
    TARGET_KEYS,
    build_mechanism_drugs,
    build_targets,
    read_target_inputs,
)
from sefreq.data.types import SideEffectInfo

#: Bump when the build changes what it produces: the cache key includes it.
BUILD_VERSION = "7"

#: Upstream files the build reads (registry keys).
INPUT_KEYS = (
    "frequency_matrix",
    "organ_classes",
    "group_terms",
    "drug_smiles",
    "drug_atc",
    "drugbank_smiles",
    "side_effect_similarity",
    "sider_frequencies",
    "sider_labels",
    *CATALOGUE_KEYS,
    *TARGET_KEYS,
)

N_ORGAN_CLASSES = 26
N_GROUP_TERMS = 217


@dataclass(frozen=True)
class Dataset:
    """The curated dataset (Galeano order throughout).

    frequency: (759, 994) uint8 classes 0..5 (0 = not reported), Galeano's R; read-only
        (copy it before changing it, as :class:`Dataset` may be shared).
    drugs: 759 rows (index = drug_index): name, pubchem_cid (stereo), pubchem_cid_flat,
        atc ('|'-joined), smiles (modelled structure; None without one), smiles_source
        ("pubchem"/"drugbank"/None), inchikey (of the parent), parent_smiles,
        has_structure, curation_status, curation_note, is_independent, plus
        sider_stereo_cid (the id SIDER files it under; differs from pubchem_cid for
        clobetasol only), smiles_pubchem, smiles_drugbank and standardization (the
        standardisation changes, '; '-joined).
    side_effects: 994 rows (index = side_effect_index): name, umls_cui, organ_classes
        (list[str]), group_terms (list[str]), n_drugs_with_freq.
    organ_class_names: the 26 MedDRA SOCs, sorted. group_term_names: the 217 HLGTs, sorted.
    side_effect_similarity: (994, 994) float32 ADReCS similarity.
    catalogue: every drug a person can name (:mod:`sefreq.data.catalogue`); index =
        catalogue index, the first 759 rows being ``drugs`` in the same order. Columns:
        name, source (sider/drugbank/drugcentral), sider_stereo_cid, sider_flat_cid,
        drugbank_id, drugcentral_id, atc, smiles, smiles_source, inchikey,
        parent_smiles, has_structure, curation_status, curation_note, same_parent_as
        (the 759 drug with the same parent skeleton), in_sider, n_side_effects,
        has_frequencies.
    names: name, key (casefold, single spaces), kind (generic/label/brand/atc/synonym),
        drug_index (catalogue index: drugs beyond the 759 too).
    labels: drug_index, label_name, brand, url, label_id (SIDER 4.0 label index), for
        every SIDER drug of the catalogue.
    evidence: SIDER PT frequency rows of the catalogue's SIDER drugs and our terms:
        drug_index, side_effect_index, kind (drug/placebo/postmarketing), frequency_text,
        lower, upper, frequency_class.
    pairs: one row per (drug_index, side_effect_index) with SIDER evidence, a class in R
        or a SIDER side effect without frequency; see :func:`summarise_pairs` for the
        columns, plus on_label (SIDER lists the side effect for the drug).
    associations: drug_index, side_effect_index of every side effect SIDER lists for a
        catalogue drug (with or without a frequency): the dense association task.
    synonyms: other names of the 994 side effects (:mod:`sefreq.data.synonyms`): synonym,
        side_effect_index, source (LLT: a label wording SIDER maps to it; lay term),
        n_drugs, share.
    targets: every known human protein of a catalogue drug (:mod:`sefreq.data.targets`):
        drug_index, uniprot_id, protein (name, where DrugCentral gives one), category
        (target/enzyme/transporter/carrier), actions, source (DrugBank/DrugCentral).
    mechanism_drugs: the dense task of the model, one row per compound with a structure
        and a known protein or ATC class: skeleton, smiles, proteins, atc ('|'-joined).
    """

    frequency: np.ndarray
    drugs: pd.DataFrame
    side_effects: pd.DataFrame
    organ_class_names: list[str]
    group_term_names: list[str]
    side_effect_similarity: np.ndarray
    names: pd.DataFrame
    labels: pd.DataFrame
    evidence: pd.DataFrame
    pairs: pd.DataFrame
    catalogue: pd.DataFrame = field(default_factory=pd.DataFrame)
    associations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["drug_index", "side_effect_index"])
    )
    synonyms: pd.DataFrame = field(default_factory=empty_synonyms)
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TARGET_COLUMNS))
    mechanism_drugs: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["skeleton", "smiles", "proteins", "atc"])
    )

    def __post_init__(self) -> None:
        if self.catalogue.empty:  # a dataset built without the catalogue files (tests)
            catalogue = self.drugs.assign(
                source="sider", in_sider=True, has_frequencies=True, same_parent_as=pd.NA
            )
            object.__setattr__(self, "catalogue", catalogue)
        # One Dataset is shared (e.g. cached across app sessions): an in-place edit of a
        # protocol's training copy must fail loudly instead of changing everyone's data.
        self.frequency.setflags(write=False)
        self.side_effect_similarity.setflags(write=False)

    @property
    def independent_mask(self) -> np.ndarray:
        """(759,) bool: the 9 independent-test drugs."""
        return self.drugs["is_independent"].to_numpy(dtype=bool)

    @property
    def structure_mask(self) -> np.ndarray:
        """(759,) bool: drugs with a usable structure (not the 10 proteins)."""
        return self.drugs["has_structure"].to_numpy(dtype=bool)

    def organ_class_matrix(self) -> np.ndarray:
        """(994, 26) float32 multi-hot of organ classes, columns :attr:`organ_class_names`."""
        return _multi_hot(self.side_effects["organ_classes"], self.organ_class_names)

    def group_term_matrix(self) -> np.ndarray:
        """(994, 217) float32 multi-hot of group terms, columns :attr:`group_term_names`."""
        return _multi_hot(self.side_effects["group_terms"], self.group_term_names)

    def extra_training_drugs(self, listed: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
        """SIDER's drugs beyond the 759 as training rows: (their catalogue rows, (m, 994)
        uint8 labels).

        The drugs with a structure and at least one side effect on the 994 terms. A label
        holds the derived class where the labels state a frequency (and the placebo arms
        do not report it as often: R drops such pairs),
        :data:`~sefreq.constants.UNSTATED` where SIDER lists the side effect otherwise, and
        0 where SIDER does not list it: "listed" is the association task's meaning.
        ``listed`` False keeps only stated classes (R's definition of reported) and the
        drugs that have one.
        """
        catalogue = self.catalogue
        n = len(self.drugs)
        if len(catalogue) <= n or "n_side_effects" not in catalogue:  # no drug beyond the 759
            return catalogue.iloc[:0], np.zeros((0, self.frequency.shape[1]), dtype=np.uint8)
        rows = catalogue[
            (catalogue.index >= n)
            & (catalogue["source"] == "sider")
            & catalogue["has_structure"].astype(bool)
            & (catalogue["n_side_effects"] > 0)
        ]
        position = {int(index): k for k, index in enumerate(rows.index)}
        labels = np.zeros((len(rows), self.frequency.shape[1]), dtype=np.uint8)
        pairs = self.pairs[self.pairs["drug_index"].isin(position)]
        r = pairs["drug_index"].map(position).to_numpy()
        c = pairs["side_effect_index"].to_numpy()
        derived = pairs["derived_class"].to_numpy(dtype=np.uint8)
        on_label = pairs["on_label"].to_numpy(bool) & listed
        dropped = pairs["placebo_at_least_drug"].to_numpy(bool)
        stated_class = np.where(dropped, 0, derived)
        labels[r, c] = np.where(stated_class > 0, stated_class, UNSTATED * on_label)
        if not listed:
            keep = (labels > 0).any(axis=1)
            rows, labels = rows[keep], labels[keep]
        return rows, labels

    def listed_labels(self) -> np.ndarray:
        """(759, 994) uint8: the complete listings of the 759 drugs. R's class where R
        states one, :data:`~sefreq.constants.UNSTATED` where a SIDER label lists the side
        effect and R has no class (no frequency stated, or placebo as often), 0 where no
        label lists it."""
        labels = np.array(self.frequency, dtype=np.uint8)
        n = len(labels)
        pairs = self.pairs[(self.pairs["drug_index"] < n) & self.pairs["on_label"]]
        listed = np.zeros(labels.shape, dtype=bool)
        listed[pairs["drug_index"].to_numpy(), pairs["side_effect_index"].to_numpy()] = True
        labels[listed & (labels == 0)] = UNSTATED
        return labels

    def side_effect_info(self) -> SideEffectInfo:
        """What the benchmark interface needs to know of the 994 side effects."""
        return SideEffectInfo(
            names=self.side_effects["name"].tolist(),
            organ_classes=self.organ_class_matrix(),
            group_terms=self.group_term_matrix(),
            similarity=self.side_effect_similarity,
        )


def _multi_hot(lists: pd.Series, vocabulary: list[str]) -> np.ndarray:
    position = {name: k for k, name in enumerate(vocabulary)}
    out = np.zeros((len(lists), len(vocabulary)), dtype=np.float32)
    for row, items in enumerate(lists):
        for item in items:
            out[row, position[item]] = 1.0
    return out


# --------------------------------------------------------------------------- loading


def load_dataset(
    data_dir: Path | None = None, cache_dir: Path | None = None, rebuild: bool = False
) -> Dataset:
    """The curated dataset, from the cache when its inputs and build version match.

    Raises :class:`~sefreq.data.registry.DataMissingError` (naming ``sefreq data fetch``)
    when an upstream file is missing or corrupt.
    """
    paths = {key: resolve(key, data_dir) for key in INPUT_KEYS}
    folder = Path(cache_dir or default_cache_dir()) / f"dataset-{_cache_key(paths)}"
    cached = None if rebuild else _cached(folder)
    if cached is not None:
        return cached
    # One process builds; another that asks meanwhile waits, then reads what it wrote.
    with _build_lock(folder):
        cached = None if rebuild else _cached(folder)
        if cached is not None:
            return cached
        dataset = build_dataset(paths)
        # A read-only or vanished cache folder only costs a rebuild next time.
        with contextlib.suppress(OSError):
            _write_cache(dataset, folder)
    return dataset


def _cached(folder: Path) -> Dataset | None:
    """The cached dataset in ``folder``, or None (absent, half-written or damaged)."""
    if not (folder / _DONE).is_file():
        return None
    try:
        return _read_cache(folder)
    except Exception:  # a damaged cache is rebuilt, never trusted
        shutil.rmtree(folder, ignore_errors=True)
        return None


@contextlib.contextmanager
def _build_lock(folder: Path):
    """A file lock beside ``folder`` (filelock); none when the cache cannot be written."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(f"{folder}.lock", timeout=BUILD_LOCK_SECONDS)
        lock.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _cache_key(paths: dict[str, Path]) -> str:
    digest = hashlib.sha256(f"build={BUILD_VERSION}".encode())
    for key in INPUT_KEYS:
        # resolve() has just verified the file against its registry sum: use that sum
        # rather than hashing every file a second time.
        sums = dict(REGISTRY[key].variants)
        digest.update(f"|{key}={sums[paths[key].name]}".encode())
    return digest.hexdigest()[:20]


_DONE = "COMPLETE"
#: How long a process waits for another one building the same dataset (a build takes ~5 s).
BUILD_LOCK_SECONDS = 600
_TABLES = (
    "drugs",
    "side_effects",
    "names",
    "labels",
    "evidence",
    "pairs",
    "catalogue",
    "associations",
    "synonyms",
    "targets",
    "mechanism_drugs",
)
_LIST_COLUMNS = ("organ_classes", "group_terms")
_LIST_SEP = "|"


def save_dataset(dataset: Dataset, folder: Path) -> None:
    """Write ``dataset`` to ``folder`` (parquet + npz), as the cache does."""
    _write_cache(dataset, Path(folder))


def read_dataset(folder: Path) -> Dataset:
    """Read a dataset that :func:`save_dataset` (or the cache) wrote to ``folder``."""
    return _read_cache(Path(folder))


def _write_cache(dataset: Dataset, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dataset-", dir=folder.parent))
    try:
        np.savez(
            staging / "arrays.npz",
            frequency=dataset.frequency,
            side_effect_similarity=dataset.side_effect_similarity,
        )
        for name in _TABLES:
            table: pd.DataFrame = getattr(dataset, name)
            if name == "side_effects":
                # '|' never occurs in SOC/HLGT names; plain strings read back faster.
                table = table.assign(**{c: table[c].map(_LIST_SEP.join) for c in _LIST_COLUMNS})
            table.to_parquet(staging / f"{name}.parquet", index=False)
        meta = {
            "build_version": BUILD_VERSION,
            "organ_class_names": dataset.organ_class_names,
            "group_term_names": dataset.group_term_names,
            # Checked at every read: a flipped byte or a missing file rebuilds the cache.
            "files": {name: sha256_of(staging / name) for name in _cache_files()},
        }
        (staging / "meta.json").write_text(json.dumps(meta))
        (staging / _DONE).write_text("")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _cache_files() -> list[str]:
    return ["arrays.npz", *(f"{name}.parquet" for name in _TABLES)]


class DamagedCacheError(ValueError):
    """A cached dataset file is missing or does not match the sha256 its folder records."""


def _read_cache(folder: Path) -> Dataset:
    meta = json.loads((folder / "meta.json").read_text())
    recorded = meta.get("files") or {}
    for name in _cache_files():  # verified, not trusted: every file, every read
        if name not in recorded or sha256_of(folder / name) != recorded[name]:
            raise DamagedCacheError(f"{folder / name} is missing or changed")
    with np.load(folder / "arrays.npz") as arrays:
        frequency = arrays["frequency"]
        similarity = arrays["side_effect_similarity"]
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in _TABLES}
    side_effects = tables["side_effects"]
    for column in _LIST_COLUMNS:
        side_effects[column] = [
            text.split(_LIST_SEP) if text else [] for text in side_effects[column]
        ]
    drugs = _with_none(tables["drugs"])
    return Dataset(
        frequency=frequency,
        drugs=drugs,
        side_effects=side_effects,
        organ_class_names=list(meta["organ_class_names"]),
        group_term_names=list(meta["group_term_names"]),
        side_effect_similarity=similarity,
        names=tables["names"],
        labels=tables["labels"],
        evidence=tables["evidence"],
        pairs=tables["pairs"],
        catalogue=_with_none(tables["catalogue"]),
        associations=tables["associations"],
        synonyms=tables["synonyms"],
        targets=tables["targets"],
        mechanism_drugs=tables["mechanism_drugs"],
    )


# --------------------------------------------------------------------------- building


def build_dataset(paths: dict[str, Path]) -> Dataset:
    """Build the dataset from upstream files (``paths`` by registry key); no cache."""
    frequency, drug_names, side_effect_names = read_frequency_matrix(paths["frequency_matrix"])
    drugs = build_drugs(drug_names, paths)
    side_effects, organ_class_names, group_term_names = build_side_effects(
        side_effect_names, frequency, paths
    )
    similarity = read_similarity(paths["side_effect_similarity"], side_effect_names)

    cids = drugs["sider_stereo_cid"].to_numpy()
    raw_evidence = sider.read_meddra_freq(paths["sider_frequencies"], stereo_cids=cids)
    has_rows = drugs["sider_stereo_cid"].isin(raw_evidence["stitch_stereo"])
    _expect(bool(has_rows.all()), f"no SIDER rows for {drugs['name'][~has_rows].tolist()}")
    drugs["pubchem_cid_flat"] = _flat_ids(cids, raw_evidence)
    evidence, umls_cuis = build_evidence(raw_evidence, cids, side_effect_names)
    side_effects.insert(1, "umls_cui", umls_cuis)
    pairs = summarise_pairs(evidence, frequency)

    label_table = sider.read_label_mapping(paths["sider_labels"])
    label_table["drug_index"] = sider.match_labels(
        label_table, cids, drugs["pubchem_cid_flat"].to_numpy(dtype=float, na_value=np.nan)
    )
    ours = label_table.dropna(subset=["drug_index"]).astype({"drug_index": "int64"})
    labels = ours[["drug_index", "label_name", "brand", "url", "label_id"]]
    labels = labels.sort_values("drug_index", kind="stable").reset_index(drop=True)

    parts = build_catalogue(drugs, labels, side_effects, paths)
    new_evidence = parts.evidence.assign(
        kind=pd.Categorical(parts.evidence["kind"], categories=list(sider.EVIDENCE_KINDS))
    )
    padded = np.zeros((len(parts.drugs), frequency.shape[1]), dtype=frequency.dtype)
    new_pairs = summarise_pairs(new_evidence, padded)
    pairs = _with_associations(pd.concat([pairs, new_pairs], ignore_index=True), parts)
    term_pairs = read_term_pairs(paths["sider_all_side_effects"])
    target_inputs = read_target_inputs(paths)
    return Dataset(
        frequency=frequency,
        drugs=drugs,
        side_effects=side_effects,
        organ_class_names=organ_class_names,
        group_term_names=group_term_names,
        side_effect_similarity=similarity,
        names=parts.names,
        labels=pd.concat([labels, parts.labels], ignore_index=True),
        evidence=pd.concat([evidence, new_evidence], ignore_index=True),
        pairs=pairs,
        catalogue=parts.drugs,
        associations=parts.associations,
        synonyms=build_synonyms(term_pairs, side_effects),
        targets=build_targets(parts.drugs, *target_inputs),
        mechanism_drugs=build_mechanism_drugs(parts.drugs, *target_inputs),
    )


def _with_associations(pairs: pd.DataFrame, parts) -> pd.DataFrame:
    """``pairs`` plus a row for each SIDER side effect stated without any frequency, and
    ``on_label``: SIDER lists the side effect for the drug (or R gives it a class)."""
    keys = ["drug_index", "side_effect_index"]
    listed = parts.associations.set_index(keys).index
    have = pairs.set_index(keys).index
    missing = listed.difference(have)
    extra = pd.DataFrame(
        {key: missing.get_level_values(k) for k, key in enumerate(keys)}, dtype="int64"
    )
    for column in pairs.columns.difference(keys):
        dtype = pairs[column].dtype
        extra[column] = pd.Series(
            False if dtype.kind == "b" else (np.nan if dtype.kind == "f" else 0),
            index=extra.index,
        ).astype(dtype)
    out = pd.concat([pairs, extra], ignore_index=True).sort_values(keys, kind="stable")
    out = out.reset_index(drop=True)
    on_label = out.set_index(keys).index.isin(listed)
    out["on_label"] = on_label | (out["galeano_class"] > 0) | (out["n_labels"] > 0)
    return out


def read_frequency_matrix(path: Path) -> tuple[np.ndarray, list[str], list[str]]:
    """R (759, 994) uint8, drug names (759) and side-effect names (994) of FrequencyData.mat."""
    from scipy.io import loadmat

    mat = loadmat(path)
    frequency = np.ascontiguousarray(mat["R"], dtype=np.uint8)
    drug_names = [str(np.ravel(cell)[0]) for cell in np.ravel(mat["drugs"])]
    side_effect_names = [str(np.ravel(cell)[0]) for cell in np.ravel(mat["sideeffects"])]
    _expect(frequency.shape == (N_DRUGS, N_SIDE_EFFECTS), f"R has shape {frequency.shape}")
    _expect(len(set(drug_names)) == N_DRUGS, "drug names in FrequencyData.mat are not unique")
    _expect(len(set(side_effect_names)) == N_SIDE_EFFECTS, "side-effect names not unique")
    _expect(int(frequency.max()) <= 5, "R holds a class above 5")
    return frequency, drug_names, side_effect_names


def _dotted(name: str) -> str:
    """DSGAT/MultiFG write spaces in drug names as '.'."""
    return name.replace(".", " ")


def build_drugs(drug_names: list[str], paths: dict[str, Path]) -> pd.DataFrame:
    """The 759 drugs in Galeano order with ids, ATC and curated, standardised structures."""
    from sefreq.chem.standardize import standardize

    smiles_table = pd.read_csv(
        paths["drug_smiles"], header=None, names=["name", "smiles"], dtype=str
    )
    smiles_table["name"] = smiles_table["name"].map(_dotted)
    _expect(smiles_table["name"].is_unique, "duplicate names in drug_SMILES_759.csv")
    _expect(
        set(smiles_table["name"]) == set(drug_names),
        "drug_SMILES_759.csv names differ from FrequencyData.mat: "
        f"{sorted(set(smiles_table['name']) ^ set(drug_names))[:10]}",
    )
    independent = smiles_table["name"].iloc[: len(INDEPENDENT_TEST_DRUGS)].tolist()
    _expect(
        independent == list(INDEPENDENT_TEST_DRUGS),
        f"first 9 rows of drug_SMILES_759.csv are {independent}, not the independent set",
    )
    pubchem_smiles = dict(zip(smiles_table["name"], smiles_table["smiles"], strict=True))

    atc_table = pd.read_csv(paths["drug_atc"], sep="\t", dtype={"CID": "int64", "ATC": str})
    atc_names = atc_table["GenericName"].map(_dotted).tolist()
    _expect(
        atc_names == drug_names,
        "multifg Supplementary Data 4 is not in Galeano order (first difference: "
        f"{next(((a, b) for a, b in zip(atc_names, drug_names, strict=False) if a != b), None)})",
    )
    _expect(atc_table["CID"].is_unique, "duplicate CIDs in multifg Supplementary Data 4")

    drugbank = pd.read_csv(paths["drugbank_smiles"], usecols=["GenericName", "dg_smile_unif"])
    drugbank_keys = drugbank["GenericName"].str.casefold()
    _expect(drugbank_keys.is_unique, "DrugBank names collide case-insensitively")
    known = {name.casefold() for name in drug_names}
    unknown = sorted(set(drugbank_keys) - known)
    _expect(not unknown, f"DrugBank SMILES for unknown drugs: {unknown[:10]}")
    drugbank_smiles = dict(zip(drugbank_keys, drugbank["dg_smile_unif"], strict=True))

    curation.check_curation(drug_names)
    rows = []
    for index, name in enumerate(drug_names):
        decision = curation.decision_for(name)
        smiles_pubchem = pubchem_smiles[name]
        smiles_drugbank = drugbank_smiles.get(name.casefold())
        if decision.status == curation.BIOLOGIC_NO_STRUCTURE:
            smiles, source = None, None
        elif decision.use_source == "drugbank":
            _expect(smiles_drugbank is not None, f"{name}: curation wants DrugBank, none found")
            smiles, source = smiles_drugbank, "drugbank"
        else:
            smiles, source = smiles_pubchem, "pubchem"
        parent = (
            standardize(smiles, keep_components=decision.keep_components)
            if smiles is not None
            else None
        )
        atc = atc_table["ATC"].iloc[index]
        rows.append(
            {
                "name": name,
                "pubchem_cid": int(atc_table["CID"].iloc[index]),
                "pubchem_cid_flat": pd.NA,
                "sider_stereo_cid": curation.sider_stereo_cid(name, atc_table["CID"].iloc[index]),
                "atc": atc if isinstance(atc, str) else "",
                "smiles": smiles,
                "smiles_source": source,
                "inchikey": parent.inchikey if parent else None,
                "parent_smiles": parent.parent_smiles if parent else None,
                "has_structure": parent is not None,
                "curation_status": decision.status,
                "curation_note": decision.note,
                "is_independent": name in INDEPENDENT_TEST_DRUGS,
                "smiles_pubchem": smiles_pubchem,
                "smiles_drugbank": smiles_drugbank,
                "standardization": "; ".join(parent.changes) if parent else "",
            }
        )
    drugs = pd.DataFrame(rows)
    drugs["pubchem_cid_flat"] = drugs["pubchem_cid_flat"].astype("Int64")
    return _with_none(drugs)


_OPTIONAL_TEXT = ("smiles", "smiles_source", "inchikey", "parent_smiles", "smiles_drugbank")


def _with_none(drugs: pd.DataFrame) -> pd.DataFrame:
    """Missing structures as ``None`` (object columns), the same after a cache round trip."""
    for column in (c for c in _OPTIONAL_TEXT if c in drugs):  # the catalogue lacks some
        values = drugs[column].astype(object)
        drugs[column] = values.where(values.notna(), None)
    return drugs


def _flat_ids(stereo_cids: np.ndarray, raw_evidence: pd.DataFrame) -> pd.Series:
    """(759,) Int64 STITCH flat CID of each drug: the flat id SIDER pairs with its stereo id."""
    pairing = raw_evidence[["stitch_stereo", "stitch_flat"]].drop_duplicates()
    _expect(pairing["stitch_stereo"].is_unique, "a stereo id pairs with several flat ids")
    flat_of = pairing.set_index("stitch_stereo")["stitch_flat"]
    return pd.Series(stereo_cids).map(flat_of).astype("Int64")


def build_side_effects(
    side_effect_names: list[str], frequency: np.ndarray, paths: dict[str, Path]
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Side effects in Galeano order with their SOCs and HLGTs; the sorted vocabularies."""
    organ = pd.read_csv(paths["organ_classes"], sep="\t", dtype=str)
    group = pd.read_csv(paths["group_terms"], sep="\t", dtype=str)
    organ_lists = _grouped_lists(organ, side_effect_names, "organ classes")
    group_lists = _grouped_lists(group, side_effect_names, "group terms")
    organ_class_names = sorted({c for items in organ_lists for c in items})
    group_term_names = sorted({c for items in group_lists for c in items})
    _expect(len(organ_class_names) == N_ORGAN_CLASSES, f"{len(organ_class_names)} SOCs")
    _expect(len(group_term_names) == N_GROUP_TERMS, f"{len(group_term_names)} HLGTs")
    side_effects = pd.DataFrame(
        {
            "name": side_effect_names,
            "organ_classes": organ_lists,
            "group_terms": group_lists,
            "n_drugs_with_freq": (frequency > 0).sum(axis=0).astype("int64"),
        }
    )
    return side_effects, organ_class_names, group_term_names


def _grouped_lists(table: pd.DataFrame, names: list[str], what: str) -> list[list[str]]:
    term_column, class_column = table.columns[:2]
    table = table.dropna(subset=[term_column, class_column]).drop_duplicates()
    grouped = table.groupby(term_column, sort=False)[class_column].agg(list).to_dict()
    missing = [name for name in names if name not in grouped]
    _expect(not missing, f"{what}: no entry for {missing[:10]}")
    extra = sorted(set(grouped) - set(names))
    _expect(not extra, f"{what}: terms not among the 994: {extra[:10]}")
    return [sorted(grouped[name]) for name in names]


def read_similarity(path: Path, side_effect_names: list[str]) -> np.ndarray:
    """(994, 994) float32 ADReCS similarity, rows and columns in Galeano order.

    In multifg_adr.csv.gz each row is named, while the 994 values of a row follow the
    alphabetical order of the terms.
    """
    table = pd.read_csv(path)
    _expect(
        set(table["SideeffectTerm"]) == set(side_effect_names) and len(table) == N_SIDE_EFFECTS,
        "multifg_adr.csv.gz terms differ from FrequencyData.mat",
    )
    values = np.array(
        [np.array(json.loads(text), dtype=np.float64) for text in table["adr_similar"]],
        dtype=np.float64,
    )
    _expect(values.shape == (N_SIDE_EFFECTS, N_SIDE_EFFECTS), f"similarity {values.shape}")
    row_of = {name: k for k, name in enumerate(table["SideeffectTerm"])}
    column_of = {name: k for k, name in enumerate(sorted(side_effect_names))}
    rows = [row_of[name] for name in side_effect_names]
    columns = [column_of[name] for name in side_effect_names]
    similarity = values[np.ix_(rows, columns)].astype(np.float32)
    # A symmetric result is the check that the column order really is alphabetical.
    _expect(np.allclose(similarity, similarity.T, atol=1e-6), "similarity not symmetric")
    return similarity


def build_evidence(
    raw_evidence: pd.DataFrame, cids: np.ndarray, side_effect_names: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """SIDER PT rows of our drugs mapped to our 994 terms; each term's UMLS CUI.

    Terms are matched by name (casefold). SIDER's PT names and CUIs are one-to-one for
    the 994 terms, so matching by CUI gives the same rows (checked here).
    """
    drug_of = {int(cid): index for index, cid in enumerate(cids)}
    term_of = {name.casefold(): index for index, name in enumerate(side_effect_names)}
    side_effect_index = raw_evidence["term"].str.casefold().map(term_of)
    matched = raw_evidence[side_effect_index.notna()].assign(
        drug_index=raw_evidence["stitch_stereo"].map(drug_of),
        side_effect_index=side_effect_index[side_effect_index.notna()].astype("int64"),
    )
    cui_per_term = matched.groupby("side_effect_index")["umls_cui"].unique()
    ambiguous = cui_per_term[cui_per_term.map(len) > 1]
    _expect(ambiguous.empty, f"terms with several SIDER CUIs: {ambiguous.head().to_dict()}")
    umls_cuis = [
        str(cui_per_term[k][0]) if k in cui_per_term.index else ""
        for k in range(len(side_effect_names))
    ]
    by_cui = raw_evidence["umls_cui"].isin(set(umls_cuis) - {""})
    _expect(int(by_cui.sum()) == len(matched), "CUI and name matching select different rows")

    evidence = matched[
        [
            "drug_index",
            "side_effect_index",
            "kind",
            "frequency_text",
            "lower",
            "upper",
            "frequency_class",
        ]
    ].sort_values(["drug_index", "side_effect_index", "kind"], kind="stable")
    evidence = evidence.reset_index(drop=True)
    evidence["drug_index"] = evidence["drug_index"].astype("int64")
    evidence["kind"] = pd.Categorical(evidence["kind"], categories=list(sider.EVIDENCE_KINDS))
    return evidence, umls_cuis


def summarise_pairs(evidence: pd.DataFrame, frequency: np.ndarray) -> pd.DataFrame:
    """One row per (drug_index, side_effect_index) with SIDER evidence or a class in R."""
    return sider.summarise_pairs(evidence, frequency)


def _expect(condition: bool, message: str) -> None:
    """Fail loudly on a developer error: upstream data not as the build assumes."""
    if not condition:
        raise RuntimeError(f"dataset build: {message}")
