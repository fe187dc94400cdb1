"""Hand-made decisions about the structures of the 759 drugs, each with its reason.

The upstream SMILES (dsgat_drug_SMILES_759.csv: PubChem SMILES of SIDER's compound ids)
are right for 728 drugs. For the rest, a manual review of every structure found:

- 2 wrong compounds: SIDER's flat compound id points at another drug. These take their
  DrugBank structure (multifg_drug.csv.gz), which is right.
- 10 proteins: no SMILES can describe them. They keep no structure (``has_structure``
  False) so no structure model trains on them, but stay in the dataset so a look-up by
  name still shows their reported frequencies.
- 19 approximations (salt or prodrug forms, mixtures, polymers, a lone element): kept,
  flagged ``approximate`` with the reason, so a user sees how far to trust them.

Keys are Galeano's drug names (FrequencyData.mat); :func:`check_curation` fails loudly if
one of them is not in the dataset, so a renamed drug cannot silently lose its decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OK = "ok"
WRONG_COMPOUND_REPLACED = "wrong_compound_replaced"
BIOLOGIC_NO_STRUCTURE = "biologic_no_structure"
APPROXIMATE = "approximate"
CURATION_STATUSES = (OK, WRONG_COMPOUND_REPLACED, BIOLOGIC_NO_STRUCTURE, APPROXIMATE)


@dataclass(frozen=True)
class CurationDecision:
    """What to do with one drug's structure, and why (one line)."""

    status: str
    note: str
    #: "drugbank" to take the DrugBank SMILES instead of the PubChem one; None otherwise.
    use_source: str | None = None
    #: Keep every organic component (combination products) instead of the largest one.
    keep_components: bool = False


def _wrong(note: str) -> CurationDecision:
    return CurationDecision(WRONG_COMPOUND_REPLACED, note, use_source="drugbank")


def _protein(note: str) -> CurationDecision:
    return CurationDecision(BIOLOGIC_NO_STRUCTURE, note)


def _approx(note: str, **options) -> CurationDecision:
    return CurationDecision(APPROXIMATE, note, **options)


def _combination(note: str) -> CurationDecision:
    # Both drugs cause the label's effects: model the pair, not the larger one alone.
    return CurationDecision(APPROXIMATE, note, keep_components=True)


CURATION: dict[str, CurationDecision] = {
    # WRONG_COMPOUND: the PubChem SMILES is another drug; DrugBank's is right.
    "levofloxacin": _wrong(
        "PubChem SMILES is ciprofloxacin (SIDER flat CID 2764); DrugBank structure used"
    ),
    "dexmethylphenidate": _wrong(
        "PubChem SMILES is dexmedetomidine (SIDER flat CID 60612); DrugBank structure used"
    ),
    # WRONG/BIOLOGIC: proteins; the upstream SMILES is some unrelated small molecule.
    "rasburicase": _protein("enzyme (protein); upstream SMILES is a UDP-like dinucleotide"),
    "ofatumumab": _protein("monoclonal antibody; upstream SMILES is a small heterocycle"),
    "ustekinumab": _protein("monoclonal antibody; upstream SMILES is a triazine small molecule"),
    "muromonab-CD3": _protein("monoclonal antibody; upstream SMILES is propagermanium"),
    "pegvisomant": _protein("PEGylated protein; upstream SMILES is an insulin peptide"),
    "albumin": _protein("protein; upstream SMILES is perflutren (Optison)"),
    "romiplostim": _protein("peptibody; upstream SMILES is an oxindole small molecule"),
    "interferon alfa-2b": _protein("protein; upstream SMILES is a prochloraz-containing mixture"),
    "erythropoietin": _protein("glycoprotein; upstream SMILES is a tiny aldehyde (malyl)"),
    "urofollitropin": _protein("FSH glycoprotein; upstream SMILES is a ~9-residue cyclic peptide"),
    # POLYMER
    "sevelamer": _approx("POLYMER: SMILES lists the monomers of the polymer"),
    "colesevelam": _approx("POLYMER: SMILES lists the monomers of the polymer"),
    "colestilan": _approx("POLYMER: SMILES lists the monomers of the polymer"),
    "colestyramine": _approx("POLYMER: SMILES is a monomer-like fragment of the resin"),
    "glatiramer acetate": _approx("POLYMER: SMILES lists the constituent amino acids"),
    "dalteparin": _approx("POLYMER: SMILES is an oligosaccharide fragment"),
    "heparin": _approx("POLYMER: SMILES is a heparan-sulphate oligosaccharide fragment"),
    # COMBINATION: the parent keeps both drugs, since the label describes the pair.
    "lamivudine and abacavir": _combination("COMBINATION: two drugs, both kept in the parent"),
    "sulfamethoxazole and trimethoprim": _combination(
        "COMBINATION: two drugs, both kept in the parent"
    ),
    "salmeterol and fluticasone": _combination("COMBINATION: two drugs, both kept in the parent"),
    # FORM: another form of the drug than the one on the label.
    "moexipril": _approx(
        "FORM: SMILES is moexiprilat (active diacid), not the ethyl-ester prodrug"
    ),
    "ceftobiprole medocaril": _approx(
        "FORM: SMILES is ceftobiprole (active moiety), not the medocaril prodrug"
    ),
    "levodopa": _combination(
        "FORM: SMILES is the levodopa + carbidopa mixture (SIDER levodopa/carbidopa), "
        "whose label SIDER uses; both kept in the parent"
    ),
    # ELEMENT_ONLY / LIGAND_ONLY: radiopharmaceuticals with half the complex missing.
    "radium (223Ra) dichloride": _approx("ELEMENT_ONLY: SMILES is the element [Ra] alone"),
    "samarium (153Sm) lexidronam": _approx(
        "ELEMENT_ONLY: SMILES is [Sm]; the lexidronam ligand is absent"
    ),
    "technetium (99mTc) exametazime": _approx(
        "ELEMENT_ONLY: SMILES is [Tc]; the exametazime ligand is absent"
    ),
    "technetium (99mTc) tetrofosmin": _approx(
        "LIGAND_ONLY: SMILES is the tetrofosmin ligand without technetium"
    ),
    # MIXTURE / DISAGREES
    "conjugated estrogens": _approx("MIXTURE: one sulfated estrogen stands for the mixture"),
    "tegaserod": _approx(
        "DISAGREES: PubChem SMILES is an isomer (CH2OH for OCH3, flat CID 5487301); "
        "DrugBank structure of tegaserod used",
        use_source="drugbank",
    ),
}


def decision_for(
    name: str, decisions: Mapping[str, CurationDecision] | None = None
) -> CurationDecision:
    """The decision for Galeano drug ``name`` (in ``decisions``, default :data:`CURATION`);
    ``ok`` when the upstream SMILES is right."""
    decisions = CURATION if decisions is None else decisions
    return decisions.get(name, CurationDecision(OK, ""))


def check_curation(
    drug_names: Iterable[str],
    decisions: Mapping[str, CurationDecision] | None = None,
    overrides: Mapping[str, SiderIdOverride] | None = None,
) -> None:
    """Fail loudly if a curated name is not among ``drug_names`` (a developer error).

    ``decisions`` and ``overrides`` default to :data:`CURATION` and
    :data:`SIDER_ID_OVERRIDES`, the real world's.
    """
    decisions = CURATION if decisions is None else decisions
    overrides = SIDER_ID_OVERRIDES if overrides is None else overrides
    missing = sorted((set(decisions) | set(overrides)) - set(drug_names))
    if missing:
        raise RuntimeError(f"curation names not found among the drugs: {missing}")


@dataclass(frozen=True)
class SiderIdOverride:
    """SIDER's stereo compound id for a drug whose upstream CID SIDER does not use."""

    stereo_cid: int
    note: str


#: multifg Supplementary Data 4 gives each drug's SIDER stereo CID; where SIDER files the
#: drug under another id, Galeano's R follows SIDER (checked: all of R's entries of the
#: drug are found under the id below, none under the upstream CID).
SIDER_ID_OVERRIDES: dict[str, SiderIdOverride] = {
    "clobetasol": SiderIdOverride(
        32798,
        "upstream CID 32797 has no SIDER rows; SIDER files clobetasol under its propionate "
        "(stereo 32798, flat 2791)",
    ),
}


def sider_stereo_cid(
    name: str, pubchem_cid: int, overrides: Mapping[str, SiderIdOverride] | None = None
) -> int:
    """The stereo CID under which SIDER files Galeano drug ``name`` (``overrides``:
    default :data:`SIDER_ID_OVERRIDES`)."""
    override = (SIDER_ID_OVERRIDES if overrides is None else overrides).get(name)
    return override.stereo_cid if override else int(pubchem_cid)
