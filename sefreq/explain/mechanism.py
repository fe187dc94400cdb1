"""Why, at the level of mechanism: which of a drug's proteins carry a side effect, with the
evidence from the drugs whose labels SEFreq learnt from.

For a protein P and a side effect S, the evidence is a 2 x 2 count over the SIDER drugs
with a known mechanism: of the drugs acting on P, how many labels list S, against the
same share among the drugs that do not act on P (for example: of the 40 training drugs
acting on KCNH2, 18 list QT prolongation, against 61 of the 1,006 that do not). The
ratio of the two shares is the lift; Fisher's exact test (one-sided: more often with P)
gives its p-value. It is association in the labels, not proof of cause: drugs of one
class share several proteins and indications.

A drug's proteins are its known ones (DrugBank, DrugCentral) where its compound is in the
catalogue, else those the model predicts with their chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.stats import fisher_exact

from sefreq.chem.standardize import model_molecule, skeleton_of
from sefreq.data.targets import CATEGORIES
from sefreq.model.bundle import SEFreqEnsemble
from sefreq.model.mechanism import ATC_PREFIX

if TYPE_CHECKING:
    from sefreq.data.dataset import Dataset

#: Predicted proteins below this chance are not listed as the drug's mechanism.
MIN_CHANCE = 0.3
#: A protein needs this many labelled drugs acting on it for its evidence to be shown.
MIN_DRUGS = 5
EVIDENCE_COLUMNS = [
    "side_effect",
    "uniprot_id",
    "protein",
    "source",
    "chance",
    "n_with",
    "n_with_listing",
    "n_without",
    "n_without_listing",
    "share_with",
    "share_without",
    "lift",
    "p_value",
]


@dataclass
class MechanismEvidence:
    """Label counts of the SIDER drugs with a known mechanism, by protein."""

    proteins: list[str]  # UniProt ids, columns of ``acting``
    protein_names: dict[str, str]
    side_effects: list[str]
    acting: csr_matrix  # (n_drugs, n_proteins) 0/1
    listed: csr_matrix  # (n_drugs, 994) 0/1

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> MechanismEvidence:
        """From a :class:`~sefreq.data.dataset.Dataset`: the catalogue's SIDER drugs that
        have both a listing and a known human protein."""
        targets = dataset.targets
        listed_pairs = dataset.associations
        drugs = np.intersect1d(targets["drug_index"].unique(), listed_pairs["drug_index"].unique())
        row = {int(d): i for i, d in enumerate(drugs)}
        proteins = sorted(targets["uniprot_id"].unique())
        column = {p: j for j, p in enumerate(proteins)}
        t = targets[targets["drug_index"].isin(row)].drop_duplicates(["drug_index", "uniprot_id"])
        acting = csr_matrix(
            (
                np.ones(len(t), dtype=np.float32),
                (t["drug_index"].map(row).to_numpy(), t["uniprot_id"].map(column).to_numpy()),
            ),
            shape=(len(drugs), len(proteins)),
        )
        a = listed_pairs[listed_pairs["drug_index"].isin(row)]
        n_se = len(dataset.side_effects)
        listed = csr_matrix(
            (
                np.ones(len(a), dtype=np.float32),
                (a["drug_index"].map(row).to_numpy(), a["side_effect_index"].to_numpy()),
            ),
            shape=(len(drugs), n_se),
        )
        listed.data[:] = 1.0  # duplicates summed: back to 0/1
        named = targets[targets["protein"].astype(str) != ""]
        names = dict(zip(named["uniprot_id"], named["protein"], strict=True))
        return cls(proteins, names, list(dataset.side_effects["name"]), acting, listed)

    def table(self, drug_proteins: pd.DataFrame, side_effects: list[int]) -> pd.DataFrame:
        """:data:`EVIDENCE_COLUMNS` for each of ``drug_proteins`` (uniprot_id, source,
        chance) and each side effect index, strongest evidence (smallest p-value) first
        within a side effect;
        proteins with fewer than :data:`MIN_DRUGS` labelled drugs are left out."""
        column = {p: j for j, p in enumerate(self.proteins)}
        known = drug_proteins[drug_proteins["uniprot_id"].isin(column)]
        if known.empty or not side_effects:
            return pd.DataFrame(columns=EVIDENCE_COLUMNS)
        columns = known["uniprot_id"].map(column).to_numpy()
        acting = self.acting[:, columns].toarray() > 0  # (n_drugs, k)
        listed = self.listed[:, side_effects].toarray() > 0  # (n_drugs, s)
        n_with = acting.sum(0)  # (k,)
        with_listing = acting.T.astype(np.int64) @ listed  # (k, s)
        n_drugs = acting.shape[0]
        total_listing = listed.sum(0)  # (s,)
        rows = []
        for i, protein in enumerate(known.itertuples(index=False)):
            if n_with[i] < MIN_DRUGS:
                continue
            for s, se in enumerate(side_effects):
                a = int(with_listing[i, s])
                b = int(n_with[i] - a)
                c = int(total_listing[s] - a)
                d = int(n_drugs - n_with[i] - c)
                share_with = a / max(a + b, 1)
                share_without = c / max(c + d, 1)
                p_value = fisher_exact([[a, b], [c, d]], alternative="greater")[1]
                rows.append(
                    (
                        self.side_effects[se], protein.uniprot_id,
                        self.protein_names.get(protein.uniprot_id, ""), protein.source,
                        float(protein.chance), a + b, a, c + d, c, share_with, share_without,
                        share_with / share_without if share_without > 0 else np.inf, p_value,
                    )
                )  # fmt: skip
        out = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
        out["_order"] = out["side_effect"].map(
            {self.side_effects[s]: k for k, s in enumerate(side_effects)}
        )
        out = out.sort_values(["_order", "p_value", "lift"], ascending=[True, True, False])
        return out.drop(columns="_order").reset_index(drop=True)


def drug_proteins(
    ensemble: SEFreqEnsemble, dataset: Dataset, smiles: str, structure_only: bool = False
) -> pd.DataFrame:
    """The proteins of a molecule: uniprot_id, protein, category, source ("DrugBank",
    "DrugCentral" or "predicted") and chance (1 for a known one). Known where the
    molecule is a catalogue compound with known proteins and not ``structure_only``, else
    predicted by the model's mechanism networks (chance >= :data:`MIN_CHANCE`)."""
    parent, mol, error = model_molecule(smiles)
    if error:
        raise ValueError(error)
    if not structure_only:
        skeleton = skeleton_of(mol)
        catalogue = dataset.catalogue
        keys = catalogue["inchikey"].astype(str).str[:14]
        matches = catalogue.index[(keys == skeleton).to_numpy()]
        found = dataset.targets[dataset.targets["drug_index"].isin(matches)]
        if len(found):
            # One row per protein: its sources joined, targets before enzymes, transporters
            # and carriers.
            order = {c: k for k, c in enumerate(CATEGORIES)}
            found = found.assign(rank=found["category"].map(order).fillna(len(order)))
            found = found.sort_values(["rank", "uniprot_id"])
            grouped = found.groupby("uniprot_id", sort=False).agg(
                protein=("protein", "max"),
                category=("category", "first"),
                source=("source", lambda s: ", ".join(sorted(set(s)))),
            )
            return grouped.reset_index().assign(chance=1.0)
    if ensemble.mechanism is None:
        return pd.DataFrame(columns=["uniprot_id", "protein", "category", "source", "chance"])
    chance = ensemble.featurize([parent], [mol], structure_only=True).mechanism[0]
    vocabulary = ensemble.mechanism.vocabulary
    keep = [
        j
        for j in np.argsort(-chance)
        if chance[j] >= MIN_CHANCE and not vocabulary[j].startswith(ATC_PREFIX)
    ]
    names = dataset.targets.drop_duplicates("uniprot_id").set_index("uniprot_id")["protein"]
    return pd.DataFrame(
        {
            "uniprot_id": [vocabulary[j] for j in keep],
            "protein": [str(names.get(vocabulary[j], "")) for j in keep],
            "category": "predicted",
            "source": "predicted",
            "chance": [float(chance[j]) for j in keep],
        }
    )


@dataclass
class MechanismExplanation:
    """A molecule's proteins and, for each side effect asked for, the evidence that links
    them to it (:meth:`MechanismEvidence.table`)."""

    smiles: str
    source: str  # "known targets from DrugBank / DrugCentral" or "predicted targets"
    proteins: pd.DataFrame
    evidence: pd.DataFrame

    def strongest(self, top: int = 3) -> pd.DataFrame:
        """Per side effect, the ``top`` proteins with significant evidence (p < 0.05),
        strongest first: :data:`EVIDENCE_COLUMNS`."""
        significant = self.evidence[self.evidence["p_value"] < 0.05]
        return significant.groupby("side_effect", sort=False).head(top).reset_index(drop=True)

    def summary(self, top: int = 3) -> pd.DataFrame:
        """:meth:`strongest` as a readable sentence each: side_effect, protein, evidence."""
        rows = []
        for r in self.strongest(top).itertuples():
            name = f"{r.protein} ({r.uniprot_id})" if r.protein else r.uniprot_id
            rows.append(
                {
                    "side_effect": r.side_effect,
                    "protein": name,
                    "evidence": f"of the {r.n_with} training drugs acting on {name}, "
                    f"{r.n_with_listing} list {r.side_effect} ({r.share_with:.0%}), against "
                    f"{r.n_without_listing} of the {r.n_without} that do not "
                    f"({r.share_without:.0%})",
                }
            )
        return pd.DataFrame(rows, columns=["side_effect", "protein", "evidence"])


def explain_mechanism(
    smiles: str,
    side_effects: list[int],
    ensemble: SEFreqEnsemble,
    dataset: Dataset,
    structure_only: bool = False,
    evidence: MechanismEvidence | None = None,
) -> MechanismExplanation:
    """The mechanism behind ``side_effects`` (indices) of ``smiles``: its known proteins
    (or, for a new molecule or ``structure_only``, the predicted ones with their chance)
    and the label evidence tying each protein to each side effect."""
    proteins = drug_proteins(ensemble, dataset, smiles, structure_only)
    known = bool(len(proteins)) and (proteins["source"] != "predicted").all()
    source = "known targets from DrugBank / DrugCentral" if known else "predicted targets"
    evidence = evidence or MechanismEvidence.from_dataset(dataset)
    return MechanismExplanation(smiles, source, proteins, evidence.table(proteins, side_effects))
