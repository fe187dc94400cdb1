"""Targets in the data layer: human proteins, complexes split, matched by id or InChIKey."""

from __future__ import annotations

import json

import pandas as pd

from sefreq.data.targets import (
    atc_classes,
    build_targets,
    read_drugbank_proteins,
    read_drugcentral_targets,
)


def _files(tmp_path):
    proteins = tmp_path / "proteins.tsv"
    proteins.write_text(
        "drugbank_id\tcategory\tuniprot_id\tentrez_gene_id\torganism\tknown_action\tactions\t"
        "pubmed_ids\n"
        "DB1\ttarget\tP1\t1\tHuman\tyes\tantagonist\t\n"
        "DB1\tenzyme\tP2\t2\tHuman\tunknown\tsubstrate|inhibitor\t\n"
        "DB2\ttarget\tQ9\t9\tEscherichia coli\tyes\tinhibitor\t\n"
        "DB3\ttransporter\tP3\t3\tHuman\tno\t\t\n"
    )
    central = tmp_path / "targets.json"
    central.write_text(
        json.dumps(
            [
                {"accession": "P1|P3", "struct_id": 7, "target_name": "complex", "name": "x"},
                {"accession": "V1", "struct_id": 7, "target_name": "viral", "name": "x"},
                {"accession": "P2", "struct_id": 8, "target_name": "Enzyme two", "name": "y"},
            ]
        )
    )
    return proteins, central


def test_only_human_proteins_and_complexes_split(tmp_path):
    proteins_path, central_path = _files(tmp_path)
    proteins = read_drugbank_proteins(proteins_path)
    assert set(proteins["uniprot_id"]) == {"P1", "P2", "P3"}  # the E. coli row is gone
    central = read_drugcentral_targets(central_path, set(proteins["uniprot_id"]))
    # The complex P1|P3 gives both members; the viral accession is not human.
    assert sorted(zip(central["drugcentral_id"], central["uniprot_id"], strict=True)) == [
        ("7", "P1"),
        ("7", "P3"),
        ("8", "P2"),
    ]


def test_catalogue_drugs_matched_by_their_ids_or_their_inchikey(tmp_path):
    proteins_path, central_path = _files(tmp_path)
    proteins = read_drugbank_proteins(proteins_path)
    central = read_drugcentral_targets(central_path, set(proteins["uniprot_id"]))
    catalogue = pd.DataFrame(
        {
            "drugbank_id": ["DB1", None, None],
            "drugcentral_id": [None, None, "8"],
            "inchikey": ["AAAA-B-N", "KEYOFDB3-X-N", None],
        }
    )
    drugbank = pd.DataFrame(
        {"drugbank_id": ["DB1", "DB3"], "inchikey": ["AAAA-B-N", "KEYOFDB3-X-N"]}
    )
    structures = pd.DataFrame({"ID": ["7", "8"], "InChIKey": ["AAAA-B-N", "ZZZZ-Z-N"]})
    table = build_targets(catalogue, drugbank, structures, proteins, central)
    got = set(zip(table["drug_index"], table["uniprot_id"], table["source"], strict=True))
    assert got == {
        (0, "P1", "DrugBank"),
        (0, "P2", "DrugBank"),
        (0, "P1", "DrugCentral"),  # drug 0 is DrugCentral's 7 by InChIKey
        (0, "P3", "DrugCentral"),
        (1, "P3", "DrugBank"),  # no id, found by InChIKey
        (2, "P2", "DrugCentral"),
    }
    enzyme = table[(table["drug_index"] == 0) & (table["uniprot_id"] == "P2")].iloc[0]
    assert enzyme["category"] == "enzyme" and enzyme["actions"] == "substrate|inhibitor"
    named = table[table["source"] == "DrugCentral"]
    assert set(named["protein"]) == {"complex", "Enzyme two"}


def test_atc_classes_are_the_four_levels_above_the_drug():
    assert atc_classes("N05AH03|A10BA02") == [
        "A", "A10", "A10B", "A10BA", "N", "N05", "N05A", "N05AH",
    ]  # fmt: skip
    assert atc_classes(None) == [] and atc_classes("N05") == []
