"""The curated dataset's type: Galeano's 759 x 994 matrix with structures, names and SIDER
evidence, and everything around it that the layers above read.

Rows are in *Galeano order* (FrequencyData.mat ``drugs``), columns in Galeano order of
``sideeffects``. :mod:`sefreq.data.build` makes a :class:`Dataset` from the upstream files;
:mod:`sefreq.data.cache` keeps it on disk and reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sefreq.constants import UNSTATED
from sefreq.data.synonyms import SYNONYM_COLUMNS
from sefreq.data.targets import TARGET_COLUMNS
from sefreq.data.types import SideEffectInfo

#: The columns of every table of a :class:`Dataset` (what the build writes; a table may
#: carry more). :meth:`Dataset.validate` checks them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "drugs": (
        "name", "pubchem_cid", "pubchem_cid_flat", "sider_stereo_cid", "atc", "smiles",
        "smiles_source", "inchikey", "parent_smiles", "has_structure", "curation_status",
        "curation_note", "is_independent", "smiles_pubchem", "smiles_drugbank",
        "standardization",
    ),
    "side_effects": ("name", "umls_cui", "organ_classes", "group_terms", "n_drugs_with_freq"),
    "names": ("name", "key", "kind", "drug_index"),
    "labels": ("drug_index", "label_name", "brand", "url", "label_id"),
    "evidence": (
        "drug_index", "side_effect_index", "kind", "frequency_text", "lower", "upper",
        "frequency_class",
    ),
    "pairs": (
        "drug_index", "side_effect_index", "n_labels", "n_placebo", "n_postmarketing",
        "median_lower", "median_upper", "median_midpoint", "median_class", "derived_class",
        "galeano_class", "placebo_class", "placebo_at_least_drug", "postmarketing_only",
        "on_label",
    ),
    "catalogue": (
        "name", "source", "sider_stereo_cid", "sider_flat_cid", "drugbank_id",
        "drugcentral_id", "atc", "smiles", "smiles_source", "inchikey", "parent_smiles",
        "has_structure", "curation_status", "curation_note", "same_parent_as", "in_sider",
        "n_side_effects", "has_frequencies",
    ),
    "associations": ("drug_index", "side_effect_index"),
    "synonyms": SYNONYM_COLUMNS,
    "targets": tuple(TARGET_COLUMNS),
    "mechanism_drugs": ("skeleton", "smiles", "proteins", "atc"),
}  # fmt: skip
#: Flags the pages and the model read as booleans.
BOOL_COLUMNS = (
    ("drugs", "has_structure"),
    ("drugs", "is_independent"),
    ("pairs", "on_label"),
    ("pairs", "placebo_at_least_drug"),
    ("pairs", "postmarketing_only"),
    ("catalogue", "has_structure"),
    ("catalogue", "in_sider"),
    ("catalogue", "has_frequencies"),
)


class DatasetSchemaError(ValueError):
    """A :class:`Dataset` whose tables are not the shape the build makes (a developer's
    error: a hand-made dataset, or a dataset folder from another version)."""


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
    catalogue: pd.DataFrame
    associations: pd.DataFrame
    synonyms: pd.DataFrame
    targets: pd.DataFrame
    mechanism_drugs: pd.DataFrame

    def __post_init__(self) -> None:
        self.validate()
        # One Dataset is shared (e.g. cached across app sessions): an in-place edit of a
        # protocol's training copy must fail loudly instead of changing everyone's data.
        self.frequency.setflags(write=False)
        self.side_effect_similarity.setflags(write=False)

    def validate(self) -> None:
        """Check the schema: every table has its :data:`COLUMNS`, the flags are bool, the
        arrays fit the tables, and the catalogue starts with :attr:`drugs`.

        Runs on every :class:`Dataset` made (the build, a cache or dataset folder read
        back, a test's), so that nothing above has to guess at a missing column. Raises
        :class:`DatasetSchemaError` naming what is wrong.
        """
        problems = []
        for name, columns in COLUMNS.items():
            table = getattr(self, name)
            if not isinstance(table, pd.DataFrame):
                problems.append(f"{name} is a {type(table).__name__}, not a DataFrame")
                continue
            missing = [column for column in columns if column not in table.columns]
            if missing:
                problems.append(f"{name} lacks {missing}")
        for name, column in BOOL_COLUMNS:
            table = getattr(self, name)
            if column in table.columns and table[column].dtype != bool:
                problems.append(f"{name}.{column} is {table[column].dtype}, not bool")
        if problems:
            raise DatasetSchemaError("; ".join(problems))
        n_drugs, n_side_effects = len(self.drugs), len(self.side_effects)
        if self.frequency.dtype != np.uint8 or self.frequency.shape != (n_drugs, n_side_effects):
            problems.append(
                f"frequency is {self.frequency.dtype} {self.frequency.shape}, not uint8 "
                f"({n_drugs}, {n_side_effects})"
            )
        if self.side_effect_similarity.shape != (n_side_effects, n_side_effects):
            problems.append(f"side_effect_similarity is {self.side_effect_similarity.shape}")
        catalogue_names = self.catalogue["name"].iloc[:n_drugs].tolist()
        if catalogue_names != self.drugs["name"].tolist():
            problems.append("the catalogue does not start with the drugs, in their order")
        for name, vocabulary in (
            ("organ_classes", self.organ_class_names),
            ("group_terms", self.group_term_names),
        ):
            unknown = {item for items in self.side_effects[name] for item in items}
            unknown -= set(vocabulary)
            if unknown:
                problems.append(f"side_effects.{name} outside the vocabulary: {sorted(unknown)}")
        if problems:
            raise DatasetSchemaError("; ".join(problems))

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
        if len(catalogue) <= n:  # no drug beyond the 759
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


_OPTIONAL_TEXT = ("smiles", "smiles_source", "inchikey", "parent_smiles", "smiles_drugbank")


def with_none(drugs: pd.DataFrame) -> pd.DataFrame:
    """Missing structures as ``None`` (object columns), the same after a cache round trip."""
    for column in (c for c in _OPTIONAL_TEXT if c in drugs):  # the catalogue lacks some
        values = drugs[column].astype(object)
        drugs[column] = values.where(values.notna(), None)
    return drugs
