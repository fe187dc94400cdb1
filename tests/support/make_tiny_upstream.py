"""Write the tiny world's upstream files into a folder: every file the
registry (:mod:`sefreq.data.registry`) knows, in its upstream format, for the 39 drugs x 30
side effects of :mod:`tests.support.tiny_world` and its three drugs beyond R.

The tests' dataset is built from these files by the real build
(:func:`sefreq.data.build.build_dataset`, with :data:`tests.support.tiny_world.TINY`), so
it is made exactly as the real one is. Drug names, structures, brands, label names, ATC
codes, DrugBank ids and targets are real; which side effects a drug has, and how often,
are drawn at random (seed 0). The files are byte-for-byte reproducible (no date in the
gzip and MATLAB headers) and ``SHA256SUMS`` records their sums, which the tests check
before building. The test session writes them into a temporary folder
(:func:`tests.support.tiny_world.write_upstream`, under a second); they are never
committed, since their names are those of the real upstream files. To look at them::

    PYTHONPATH=. .venv/bin/python -m tests.support.make_tiny_upstream /tmp/tiny_upstream
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sefreq.data.registry import REGISTRY, sha256_of
from tests.support.tiny_world import (
    BEYOND_R,
    BRANDS,
    DRUGS,
    LABEL_NAMES,
    LABEL_WORDINGS,
    SIDE_EFFECTS,
    UPSTREAM_SMILES,
    cid_of,
    cui_of,
    group_term,
)

#: The file of their sums, written beside them.
MANIFEST = "SHA256SUMS"

# A representative share of patients per class (0-1), for the label statements.
_SHARE = {1: 0.00005, 2: 0.0005, 3: 0.005, 4: 0.04, 5: 0.2}
_CLASS_ODDS = [0.03, 0.1, 0.27, 0.48, 0.12]

#: DrugBank entries (id, drug of the tiny world, how SIDER's CID reaches it): "exact" (the
#: InChI mapping), "unichem" (UniChem only) or "name" (no CID mapping: the build links it by
#: name, as it does warfarin in the real data). Insulin glargine is a biologic: no InChI.
DRUGBANK = (
    ("DB00945", "aspirin", "exact"),
    ("DB01050", "ibuprofen", "exact"),
    ("DB00316", "paracetamol", "exact"),
    ("DB00201", "caffeine", "exact"),
    ("DB00788", "naproxen", "exact"),
    ("DB00586", "diclofenac", "exact"),
    ("DB00571", "propranolol", "exact"),
    ("DB00335", "atenolol", "exact"),
    ("DB00264", "metoprolol", "unichem"),
    ("DB00472", "fluoxetine", "exact"),
    ("DB01104", "sertraline", "exact"),
    ("DB00338", "omeprazole", "exact"),
    ("DB01060", "amoxicillin", "exact"),
    ("DB00477", "chlorpromazine", "exact"),
    ("DB00193", "tramadol", "exact"),
    ("DB00682", "warfarin", "name"),
    ("DB00047", "insulin glargine", "unichem"),
    ("DB00482", "celecoxib", "exact"),
    ("DB00814", "meloxicam", "none"),
)
#: The SIDER drug beyond R: its PubChem CID, its brand, and its labels' side effects with
#: the share a label states (None: listed without a frequency).
SIDER_ONLY = (
    "celecoxib",
    2662,
    "CELEBREX",
    (("Headache", 0.158), ("Dyspepsia", 0.088), ("Diarrhoea", 0.056), ("Rash", None),
     ("Oedema peripheral", None)),
)  # fmt: skip
#: DrugBank's other names of a drug (aliases.json): synonyms and brands.
ALIASES = {
    "DB00945": ["Acetylsalicylic acid", "Aspirin"],
    "DB01050": ["Brufen", "Ibuprofen", "Motrin"],
    "DB00316": ["Acetaminophen", "Paracetamol", "Tylenol"],
    "DB00682": ["Coumadin", "Warfarin"],
    "DB00047": ["Insulin glargine", "Lantus"],
    "DB00482": ["Celebrex", "Celecoxib"],
    "DB00814": ["Meloxicam", "Mobic"],
}
HUMAN = "Human"
#: DrugBank's proteins.tsv rows: drug, category, UniProt id, Entrez gene, organism, actions.
PROTEINS = (
    ("DB00945", "target", "P23219", "5742", HUMAN, "inhibitor"),
    ("DB00945", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB01050", "target", "P23219", "5742", HUMAN, "inhibitor"),
    ("DB01050", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB01050", "enzyme", "P11712", "1559", HUMAN, "substrate"),
    ("DB00316", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB00316", "enzyme", "P05181", "1571", HUMAN, "substrate"),
    ("DB00201", "target", "P30542", "134", HUMAN, "antagonist"),
    ("DB00201", "target", "P29274", "135", HUMAN, "antagonist"),
    ("DB00788", "target", "P23219", "5742", HUMAN, "inhibitor"),
    ("DB00788", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB00586", "target", "P23219", "5742", HUMAN, "inhibitor"),
    ("DB00586", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB00586", "enzyme", "P11712", "1559", HUMAN, "substrate"),
    ("DB00571", "target", "P08588", "153", HUMAN, "antagonist"),
    ("DB00571", "target", "P07550", "154", HUMAN, "antagonist"),
    ("DB00571", "enzyme", "P10635", "1565", HUMAN, "substrate"),
    ("DB00335", "target", "P08588", "153", HUMAN, "antagonist"),
    ("DB00264", "target", "P08588", "153", HUMAN, "antagonist"),
    ("DB00264", "enzyme", "P10635", "1565", HUMAN, "substrate"),
    ("DB00472", "target", "P31645", "6532", HUMAN, "inhibitor"),
    ("DB00472", "enzyme", "P10635", "1565", HUMAN, "inhibitor"),
    ("DB01104", "target", "P31645", "6532", HUMAN, "inhibitor"),
    ("DB00338", "target", "P20648", "495", HUMAN, "inhibitor"),
    ("DB00338", "enzyme", "P33261", "1557", HUMAN, "substrate"),
    ("DB01060", "target", "P0AD65", "", "Escherichia coli (strain K12)", "inhibitor"),
    ("DB01060", "transporter", "P46059", "6564", HUMAN, "substrate"),
    ("DB00477", "target", "P14416", "1813", HUMAN, "antagonist"),
    ("DB00193", "target", "P35372", "4988", HUMAN, "agonist"),
    ("DB00682", "target", "Q9BQB6", "79001", HUMAN, "inhibitor"),
    ("DB00682", "enzyme", "P11712", "1559", HUMAN, "substrate"),
    ("DB00682", "carrier", "P02768", "213", HUMAN, ""),
    ("DB00482", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB00814", "target", "P35354", "5743", HUMAN, "inhibitor"),
    ("DB00814", "target", "P23219", "5742", HUMAN, "inhibitor"),
)
PROTEIN_COLUMNS = (
    "drugbank_id", "category", "uniprot_id", "entrez_gene_id", "organism", "known_action",
    "actions", "pubmed_ids",
)  # fmt: skip
#: DrugCentral structures (ID, drug of the tiny world, CAS number).
DRUGCENTRAL = (
    (463, "caffeine", "58-08-2"),
    (1334, "haloperidol", "52-86-8"),
    (1581, "lidocaine", "137-58-6"),
    (1836, "morphine", "57-27-2"),
    (165, "amoxicillin", "26787-78-0"),
    (1884, "nabumetone", "42924-53-8"),
)
#: DrugCentral's AllTargets.json rows: accession ('|' joins a complex), ID, target name.
#: DRD2 and MOR count as human (DrugBank lists them); SCN5A does not (a stated loss), nor
#: the bacterial PBP.
DRUGCENTRAL_TARGETS = (
    ("P30542|P29274", 463, "Adenosine receptor A1/A2a"),
    ("P14416", 1334, "D(2) dopamine receptor"),
    ("Q14524", 1581, "Sodium channel protein type 5 subunit alpha"),
    ("P35372", 1836, "Mu-type opioid receptor"),
    ("P0AD65", 165, "Peptidoglycan D,D-transpeptidase FtsI"),
    ("P23219", 1884, "Prostaglandin G/H synthase 1"),
)
#: DrugBank entries whose isomeric SMILES MultiFG's drug.csv.gz carries.
MULTIFG_SMILES = ("aspirin", "ibuprofen", "paracetamol", "caffeine", "warfarin")


@dataclass(frozen=True)
class Statement:
    """One label statement of SIDER's meddra_freq: drug (its CID), side effect and what it
    says."""

    cid: int
    side_effect: int
    placebo: str  # "placebo" or ""
    text: str
    lower: str
    upper: str


@dataclass(frozen=True)
class Draws:
    """The tiny world's random part: R, the side-effect similarity, the label statements."""

    frequency: np.ndarray  # (39, 30) uint8
    similarity: np.ndarray  # (30, 30) float32, symmetric, 1 on the diagonal
    statements: list[Statement]


def draw(seed: int = 0) -> Draws:
    """R, the similarity and the label statements (at least one per drug) of seed ``seed``.

    Each reported pair has one or two drug statements whose share gives R's class, and a
    placebo arm one time in five; each drug has a post-marketing report of a side effect R
    does not give it.
    """
    rng = np.random.default_rng(seed)
    n_drugs, n_se = len(DRUGS), len(SIDE_EFFECTS)
    prevalence = np.linspace(0.1, 0.7, n_se)[rng.permutation(n_se)]
    reported = rng.random((n_drugs, n_se)) < prevalence
    classes = rng.choice([1, 2, 3, 4, 5], size=(n_drugs, n_se), p=_CLASS_ODDS)
    frequency = np.where(reported, classes, 0).astype(np.uint8)
    similarity = rng.random((n_se, n_se)).astype(np.float32)
    similarity = (similarity + similarity.T) / 2
    np.fill_diagonal(similarity, 1.0)

    statements = []
    for d, s in zip(*np.nonzero(frequency), strict=True):
        share = _SHARE[int(frequency[d, s])]
        for _ in range(int(rng.integers(1, 3))):
            value = share * float(rng.uniform(0.8, 1.2))
            statements.append(_statement(cid_of(d), int(s), "", value))
        if rng.random() < 0.2:
            statements.append(_statement(cid_of(d), int(s), "placebo", share / 2))
    for d in range(n_drugs):
        s = int(np.flatnonzero(frequency[d] == 0)[0]) if (frequency[d] == 0).any() else 0
        statements.append(Statement(cid_of(d), s, "", "postmarketing", "0", "0.001"))
    _, cid, _, listed = SIDER_ONLY
    for term, share in listed:
        if share is not None:
            statements.append(_statement(cid, _side_effect(term), "", share))
    return Draws(frequency, similarity, statements)


def _statement(cid: int, side_effect: int, placebo: str, value: float) -> Statement:
    return Statement(cid, side_effect, placebo, f"{100 * value:.2g}%", repr(value), repr(value))


def main(out: Path) -> dict[str, str]:
    """Write every file into ``out`` and its ``SHA256SUMS``; return file name -> sha256."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # "Omitted undefined stereo" for every InChI written
    out.mkdir(parents=True, exist_ok=True)
    draws = draw()
    files = {
        "frequency_matrix": _frequency_matrix(draws.frequency),
        "dsgat_frequencies": _dsgat_frequencies(draws.frequency),
        "organ_classes": _term_table(
            "TopMedDRATerm", ((name, organs) for name, organs in SIDE_EFFECTS)
        ),
        "group_terms": _term_table(
            "SecondLevelMedDRATerm",
            ((name, [group_term(k)]) for k, (name, _) in enumerate(SIDE_EFFECTS)),
        ),
        "drug_smiles": _text(
            f"{_dotted(name)},{UPSTREAM_SMILES.get(name, smiles)}\n" for name, smiles, _ in DRUGS
        ),
        "drug_atc": _text(
            ["CID\tGenericName\tATC\n"]
            + [f"{cid_of(k)}\t{_dotted(name)}\t{atc}\n" for k, (name, _, atc) in enumerate(DRUGS)]
        ),
        "drugbank_smiles": _gzip(_multifg_drugs()),
        "side_effect_similarity": _gzip(_similarity(draws.similarity)),
        "sider_frequencies": _gzip(_meddra_freq(draws.statements)),
        "sider_labels": _gzip(_label_mapping(), encoding="latin-1"),
        "sider_all_side_effects": _gzip(_meddra_all_se(draws.frequency)),
        "drugbank_drugs": _drugbank(),
        "drugbank_pubchem": _tsv(
            ("drugbank_id", "pubchem_id"),
            [(db, _cid(name)) for db, name, how in DRUGBANK if how in ("exact", "unichem")],
        ),
        "drugbank_pubchem_exact": _tsv(
            ("drugbank_id", "pubchem_cid"),
            [(db, _cid(name)) for db, name, how in DRUGBANK if how == "exact"],
        ),
        "drugbank_aliases": (json.dumps(ALIASES, indent=2) + "\n").encode(),
        "drugcentral_structures": _drugcentral_structures(),
        "drugbank_proteins": _tsv(
            PROTEIN_COLUMNS, [(*row[:5], "yes", row[5], "") for row in PROTEINS]
        ),
        "drugcentral_targets": _drugcentral_targets(),
    }
    missing = set(REGISTRY) - set(files)
    if missing:
        raise RuntimeError(f"no tiny file for registry keys {sorted(missing)}")
    sums = {}
    for key, content in files.items():
        path = out / REGISTRY[key].filename
        path.write_bytes(content)
        sums[path.name] = sha256_of(path)
    (out / MANIFEST).write_text("".join(f"{s}  {name}\n" for name, s in sorted(sums.items())))
    return sums


def _index(name: str) -> int:
    return next(k for k, (drug, _, _) in enumerate(DRUGS) if drug == name)


def _side_effect(term: str) -> int:
    return next(k for k, (name, _) in enumerate(SIDE_EFFECTS) if name == term)


def _drug(name: str) -> tuple[str | None, str]:
    """(SMILES, ATC) of ``name``, a drug of R or beyond it."""
    return next((smiles, atc) for drug, smiles, atc in DRUGS + BEYOND_R if drug == name)


def _cid(name: str) -> int:
    """The PubChem CID of a SIDER drug: one of R's, or the one beyond R."""
    return SIDER_ONLY[1] if name == SIDER_ONLY[0] else cid_of(_index(name))


def _dotted(name: str) -> str:
    """DSGAT and MultiFG write spaces in drug names as '.'."""
    return name.replace(" ", ".")


def _stitch_flat(cid: int) -> str:
    return f"CID1{cid:08d}"


def _stitch_stereo(cid: int) -> str:
    return f"CID0{cid:08d}"


def _text(lines: Iterable[str], encoding: str = "utf-8") -> bytes:
    return "".join(lines).encode(encoding)


def _tsv(header: tuple[str, ...], rows: Iterable[tuple]) -> bytes:
    return _text(["\t".join(header) + "\n", *("\t".join(map(str, row)) + "\n" for row in rows)])


def _gzip(content: bytes, encoding: str | None = None) -> bytes:
    """``content`` gzipped with no name and no date in the header (reproducible bytes)."""
    if encoding is not None:
        content = content.decode("utf-8").encode(encoding)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(content)
    return buffer.getvalue()


def _frequency_matrix(frequency: np.ndarray) -> bytes:
    """FrequencyData.mat: R (double, as Galeano saved it) and the names as cell columns."""
    from scipy.io import savemat

    def cells(names: list[str]) -> np.ndarray:
        column = np.empty((len(names), 1), dtype=object)
        column[:, 0] = names
        return column

    buffer = io.BytesIO()
    savemat(
        buffer,
        {
            "R": frequency.astype(np.float64),
            "drugs": cells([name for name, _, _ in DRUGS]),
            "sideeffects": cells([name for name, _ in SIDE_EFFECTS]),
        },
    )
    content = buffer.getvalue()
    # The 116-byte text header carries the time of writing: a fixed one instead.
    header = b"MATLAB 5.0 MAT-file, written by tests/support/make_tiny_upstream.py"
    return header.ljust(116) + content[116:]


def _dsgat_frequencies(frequency: np.ndarray) -> bytes:
    lines = ["GenericName\tSideeffectTerm\tFrequencyRatingValue\t\n"]
    for d, s in zip(*np.nonzero(frequency), strict=True):
        lines.append(f"{_dotted(DRUGS[d][0])}\t{SIDE_EFFECTS[s][0]}\t{frequency[d, s]}\n")
    return _text(lines)


def _term_table(column: str, terms: Iterable[tuple[str, list[str]]]) -> bytes:
    return _tsv(
        ("SideEffectTerm", column), [(name, item) for name, items in terms for item in items]
    )


def _multifg_drugs() -> bytes:
    """MultiFG's drug.csv.gz: DrugBank's isomeric SMILES (RDKit-canonical) and fingerprints;
    MACCS keys computed here, the other four fingerprints left empty (the build reads none)."""
    from rdkit import Chem
    from rdkit.Chem import MACCSkeys

    lines = ["GenericName,dg_smile_unif,Macc,pubchem,Morgan,Rtoplo,pharmfp\n"]
    for name in MULTIFG_SMILES:
        mol = Chem.MolFromSmiles(DRUGS[_index(name)][1])
        bits = list(MACCSkeys.GenMACCSKeys(mol))
        empty = '"[]"'
        lines.append(f'{name},{Chem.MolToSmiles(mol)},"{bits}",{empty},{empty},{empty},{empty}\n')
    return _text(lines)


def _similarity(similarity: np.ndarray) -> bytes:
    """MultiFG's adr.csv.gz: one named row per side effect, its values in the alphabetical
    order of the terms."""
    names = [name for name, _ in SIDE_EFFECTS]
    alphabetical = sorted(range(len(names)), key=lambda k: names[k])
    lines = ["SideeffectTerm,adr_similar\n"]
    for k, name in enumerate(names):
        values = [float(similarity[k, j]) for j in alphabetical]
        lines.append(f'{name},"{json.dumps(values)}"\n')
    return _text(lines)


def _meddra_freq(statements: list[Statement]) -> bytes:
    """SIDER's meddra_freq: each statement as an LLT row and a PT row (same wording)."""
    lines = []
    for st in statements:
        name, cui = SIDE_EFFECTS[st.side_effect][0], cui_of(st.side_effect)
        for term_type in ("LLT", "PT"):
            fields = (
                _stitch_flat(st.cid), _stitch_stereo(st.cid), cui, st.placebo, st.text,
                st.lower, st.upper, term_type, cui, name,
            )  # fmt: skip
            lines.append("\t".join(fields) + "\n")
    return _text(lines)


def _label_mapping() -> bytes:
    """SIDER 4.0's label index: a label per brand (or one unbranded) and per label name."""
    lines = []
    drugs = [(cid_of(k), name, BRANDS.get(name, [""])) for k, (name, _, _) in enumerate(DRUGS)]
    drugs.append((SIDER_ONLY[1], SIDER_ONLY[0], [SIDER_ONLY[2]]))
    for k, (cid, name, brands) in enumerate(drugs):
        ids = (f"-{100_000_000 + cid}", f"-{cid}")
        rows = [(name.upper(), brand, f"label/{k}-{brand}") for brand in brands]
        rows += [(label, "", f"label/{k}-x") for label in LABEL_NAMES.get(name, [])]
        for label_name, brand, label_id in rows:
            fields = (label_name, brand, "", *ids, name.upper(), "", label_id)
            lines.append("\t".join(fields) + "\n")
    return _text(lines)


def _meddra_all_se(frequency: np.ndarray) -> bytes:
    """SIDER's meddra_all_se: every side effect a label lists (R's pairs), LLT and PT rows;
    the side effects of the SIDER drug beyond R; then each label wording of
    :data:`LABEL_WORDINGS`, filed under its PT for the first drug that has that side
    effect."""
    names = [name for name, _ in SIDE_EFFECTS]
    _, cid, _, listed = SIDER_ONLY
    pairs = [(cid_of(int(d)), int(s)) for d, s in zip(*np.nonzero(frequency), strict=True)]
    pairs += [(cid, _side_effect(term)) for term, _ in listed]
    lines = []
    for cid, s in pairs:
        for term_type in ("LLT", "PT"):
            ids = (_stitch_flat(cid), _stitch_stereo(cid))
            lines.append("\t".join((*ids, cui_of(s), term_type, cui_of(s), names[s])) + "\n")
    for k, (wording, term) in enumerate(LABEL_WORDINGS):
        s = names.index(term)
        ids = (_stitch_flat(cid_of(int(np.flatnonzero(frequency[:, s])[0]))),)
        ids += (ids[0].replace("CID1", "CID0", 1),)
        concept = f"C09{k:05d}"
        for fields in (
            (*ids, concept, "LLT", concept, wording),
            (*ids, concept, "PT", cui_of(s), term),
        ):
            lines.append("\t".join(fields) + "\n")
    return _text(lines)


def _structure(name: str) -> tuple[str, str, str]:
    """(SMILES, InChI, InChIKey) of tiny-world drug ``name``, from its structure."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(_drug(name)[0])
    return Chem.MolToSmiles(mol), Chem.MolToInchi(mol), Chem.MolToInchiKey(mol)


def _drugbank() -> bytes:
    rows = []
    for db_id, name, _ in DRUGBANK:
        smiles, atc = _drug(name)
        if smiles is None:
            kind, key, inchi = "biotech", "", ""
        else:
            _, inchi, key = _structure(name)
            kind, key = "small molecule", f"InChIKey={key}"
        rows.append((db_id, name.capitalize(), kind, "approved", atc, "", key, inchi, ""))
    header = (
        "drugbank_id", "name", "type", "groups", "atc_codes", "categories", "inchikey",
        "inchi", "description",
    )  # fmt: skip
    return _tsv(header, rows)


def _drugcentral_structures() -> bytes:
    rows = [(*_structure(name), central_id, name, cas) for central_id, name, cas in DRUGCENTRAL]
    return _tsv(("SMILES", "InChI", "InChIKey", "ID", "INN", "CAS_RN"), rows)


def _drugcentral_targets() -> bytes:
    name_of = {central_id: name for central_id, name, _ in DRUGCENTRAL}
    rows = [
        {
            "accession": accession,
            "struct_id": struct_id,
            "target_name": target,
            "name": name_of[struct_id],
        }
        for accession, struct_id, target in DRUGCENTRAL_TARGETS
    ]
    return (json.dumps(rows, indent=2) + "\n").encode()


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.support.make_tiny_upstream FOLDER")
    for file_name, digest in main(Path(sys.argv[1])).items():
        print(f"{digest}  {file_name}")
