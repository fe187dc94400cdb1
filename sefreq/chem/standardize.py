"""Standardise a structure to its parent molecule, saying what changed.

The parent is what SEFreq models: RDKit MolStandardize cleanup, the largest organic
fragment, charges neutralised where a neutral form exists, canonical isomeric SMILES.
The dataset, the predictor and the dashboard all go through :func:`standardize`, so a
molecule a user draws is treated exactly like a training drug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdkit import Chem, RDLogger
from rdkit.Chem import rdMolDescriptors
from rdkit.Chem.MolStandardize import rdMolStandardize

RDLogger.DisableLog("rdApp.*")

#: Larger molecules are proteins, polymers or pasted garbage: not what a model of small
#: drug molecules can say anything about.
MAX_HEAVY_ATOMS = 500
#: Refuse before parsing: a SMILES this long cannot describe <= MAX_HEAVY_ATOMS atoms
#: sensibly, and parsing megabytes of text would block the app.
MAX_SMILES_LENGTH = 20 * MAX_HEAVY_ATOMS
#: The most independent rings one fused ring system (a cage, a fused polycycle) may have.
#: RDKit's ring perception grows exponentially on cages: a ladder of 25 rings takes 0.2 s,
#: of 31 rings 4.4 s, of 37 rings 115 s, and one of 106 rings (844 characters) passed 3 GB
#: (#25). Drugs' ring systems are small (a steroid has 4 rings); rings in a chain are
#: cheap, so an antisense oligonucleotide's 46 rings, one sugar and one base at a time,
#: are fine. Checked before RDKit perceives rings: on the text when it closes at most this
#: many rings (the common case, free), else on the unsanitised graph's ring systems.
MAX_FUSED_RINGS = 20


class StandardizationError(ValueError):
    """A structure SEFreq cannot use; the message says why and what to do."""


class InvalidMoleculeError(StandardizationError):
    """The input is not a SMILES RDKit can read (syntax, valence, aromaticity)."""


class MoleculeTooLargeError(StandardizationError):
    """The molecule has more heavy atoms than :data:`MAX_HEAVY_ATOMS`."""


@dataclass(frozen=True)
class StandardizedMolecule:
    """A standardised structure.

    ``input_smiles`` as given; ``parent_smiles`` canonical isomeric SMILES of the parent;
    ``inchikey`` of the parent; ``changes`` human-readable steps that changed something,
    in the order applied (empty when the input already was its own parent).
    """

    input_smiles: str
    parent_smiles: str
    inchikey: str
    changes: list[str] = field(default_factory=list)
    n_heavy_atoms: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _canonical(mol: Chem.Mol) -> str:
    return Chem.MolToSmiles(mol, isomericSmiles=True)


def _fragments(mol: Chem.Mol) -> list[str]:
    return [_canonical(frag) for frag in Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)]


def _total_abs_charge(mol: Chem.Mol) -> int:
    return sum(abs(atom.GetFormalCharge()) for atom in mol.GetAtoms())


_BRACKET_ATOM = re.compile(r"\[[^\]]*\]")
_RING_LABEL = re.compile(r"%\(\d+\)|%\d\d|\d")


def check_smiles_text(smiles: object) -> str:
    """``smiles`` stripped, once the text itself is acceptable; raises a
    :class:`StandardizationError` subclass before RDKit sees it otherwise.

    RDKit stops reading at the first character it does not know and returns what it read
    (``CC™`` is ethane), so any character outside printable ASCII, and any space inside,
    is refused: a SMILES is read in full or not at all. The length
    (:data:`MAX_SMILES_LENGTH`) and the ring systems (:data:`MAX_FUSED_RINGS`) are bounded
    here too, so no text can make the parse itself run for minutes.
    """
    if smiles is not None and not isinstance(smiles, str):
        raise InvalidMoleculeError(
            f"{type(smiles).__name__} {_short(repr(smiles))} is not a SMILES string."
        )
    if not smiles or not smiles.strip():
        raise InvalidMoleculeError("No structure given: enter a SMILES string.")
    text = smiles.strip()
    if len(text) > MAX_SMILES_LENGTH:
        raise MoleculeTooLargeError(
            f"The SMILES is {len(text):,} characters long; SEFreq handles small molecules "
            f"of at most {MAX_HEAVY_ATOMS} heavy atoms (proteins and polymers are out of scope)."
        )
    for position, character in enumerate(text, 1):
        if not character.isspace() and not (character.isascii() and character.isprintable()):
            raise InvalidMoleculeError(
                f"{_short(text)!r} holds {character!r} (U+{ord(character):04X}) at position "
                f"{position}, which is not part of SMILES (RDKit would silently read only the "
                "part before it). Type it in plain ASCII letters, digits and symbols."
            )
    ring_bonds = len(_RING_LABEL.findall(_BRACKET_ATOM.sub("", text))) // 2
    if ring_bonds > MAX_FUSED_RINGS:
        raw = Chem.MolFromSmiles(text, sanitize=False)  # no ring perception: fast
        if raw is not None and raw.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
            raise MoleculeTooLargeError(_too_many_atoms(raw.GetNumHeavyAtoms()))
        refusal = fused_ring_refusal(raw) if raw is not None else None
        if refusal:
            raise MoleculeTooLargeError(refusal)
    if any(character.isspace() for character in text):
        if Chem.MolFromSmiles(text.split()[0], sanitize=False) is None:
            raise InvalidMoleculeError(_syntax_error(text))
        raise InvalidMoleculeError(
            f"{_short(text)!r} holds a space or line break, which a SMILES never does "
            "(RDKit would silently read only the part before it). Remove it; to name a "
            "molecule on the Drug input page, put the name after the SMILES."
        )
    return text


def fused_ring_refusal(raw: Chem.Mol) -> str | None:
    """Why an unsanitised molecule is refused before its rings are perceived (its largest
    ring system has more than :data:`MAX_FUSED_RINGS` independent rings), or None."""
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in raw.GetBonds()]
    return ring_system_refusal(bonds)


def ring_system_refusal(bonds: list[tuple[int, int]]) -> str | None:
    """:func:`fused_ring_refusal` on a bond list (an SDF record's, read before RDKit builds
    the molecule: its reader perceives rings even unsanitised). The ring systems are the
    graph's biconnected components (networkx); each has ``bonds - atoms + 1`` rings."""
    if _independent_rings(bonds) <= MAX_FUSED_RINGS:
        return None  # the whole molecule has too few rings for any system to have more
    import networkx as nx

    graph = nx.Graph(bonds)
    largest = max(
        (len(edges) - len({a for edge in edges for a in edge}) + 1
         for edges in nx.biconnected_component_edges(graph)),
        default=0,
    )  # fmt: skip
    if largest <= MAX_FUSED_RINGS:
        return None
    return (
        f"The molecule has a ring system of {largest} fused rings; SEFreq handles ring "
        f"systems of at most {MAX_FUSED_RINGS} (a steroid has 4): cages and large fused "
        "systems are out of scope."
    )


def _independent_rings(bonds: list[tuple[int, int]]) -> int:
    """The cyclomatic number of a bond list: bonds that close a cycle (union-find)."""
    parent: dict[int, int] = {}

    def root(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    closing = 0
    for a, b in bonds:
        ra, rb = root(a), root(b)
        if ra == rb:
            closing += 1
        else:
            parent[ra] = rb
    return closing


def _syntax_error(text: str) -> str:
    return (
        f"{_short(text)!r} is not valid SMILES syntax: check brackets, ring-closure digits "
        "and element symbols."
    )


def parse_smiles(smiles: str) -> Chem.Mol:
    """Parse and sanitise ``smiles``; raises a :class:`StandardizationError` subclass."""
    text = check_smiles_text(smiles)
    mol = Chem.MolFromSmiles(text)
    if mol is None:
        # Say what kind of error: syntax (unsanitised parse fails too) or chemistry.
        raw = Chem.MolFromSmiles(text, sanitize=False)
        if raw is None:
            raise InvalidMoleculeError(_syntax_error(text))
        problems = Chem.DetectChemistryProblems(raw)
        detail = "; ".join(p.Message() for p in problems[:3]) or "RDKit could not sanitise it"
        raise InvalidMoleculeError(
            f"{_short(text)!r} parses but is not a valid molecule ({detail}). Check valences, "
            "charges and aromatic rings."
        )
    if mol.HasQuery():
        raise InvalidMoleculeError(
            f"{_short(text)!r} is a search pattern (SMARTS features such as '~'), not one "
            "molecule: enter a plain SMILES."
        )
    n_heavy = mol.GetNumHeavyAtoms()
    if n_heavy > MAX_HEAVY_ATOMS:
        raise MoleculeTooLargeError(_too_many_atoms(n_heavy))
    return mol


def _too_many_atoms(n_heavy: int) -> str:
    return (
        f"The molecule has {n_heavy:,} heavy atoms; SEFreq handles small molecules of at "
        f"most {MAX_HEAVY_ATOMS} (proteins and polymers are out of scope)."
    )


def _organic_components(mol: Chem.Mol) -> tuple[Chem.Mol, list[str]]:
    """Every distinct carbon-containing fragment of ``mol``, as one molecule."""
    parts: list[str] = []
    for fragment in Chem.GetMolFrags(mol, asMols=True):
        smiles = _canonical(fragment)
        has_carbon = any(atom.GetAtomicNum() == 6 for atom in fragment.GetAtoms())
        if has_carbon and smiles not in parts:
            parts.append(smiles)
    if not parts:  # nothing organic: fall back to the whole input
        return mol, _fragments(mol)
    return Chem.MolFromSmiles(".".join(parts)), parts


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def standardize(smiles: str, keep_components: bool = False) -> StandardizedMolecule:
    """Standardise ``smiles`` to its parent: cleanup, largest organic fragment, uncharge.

    ``keep_components`` keeps every organic fragment instead of the largest one, for a
    combination product whose effects come from all of its drugs; inorganic fragments
    (counter-ions, water) are dropped either way.

    Raises :class:`InvalidMoleculeError` for unreadable input and
    :class:`MoleculeTooLargeError` above :data:`MAX_HEAVY_ATOMS` heavy atoms.
    """
    mol = parse_smiles(smiles)
    changes: list[str] = []

    before = _canonical(mol)
    fragments_before = _fragments(mol)
    mol = rdMolStandardize.Cleanup(mol)
    if _canonical(mol) != before:
        fragments_after = _fragments(mol)
        if len(fragments_after) > len(fragments_before):
            changes.append("disconnected metal atoms")
        changes.append("normalised functional groups / charges (RDKit cleanup)")

    fragments = _fragments(mol)
    if len(fragments) > 1:
        if keep_components:
            mol, kept_parts = _organic_components(mol)
            removed = list(fragments)
            for part in kept_parts:
                removed.remove(part)
        else:
            chooser = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
            mol = chooser.choose(mol)
            kept = _canonical(mol)
            removed = list(fragments)
            if kept in removed:  # one copy is the parent; any further copies were dropped
                removed.remove(kept)
        for fragment in sorted(set(removed)):
            count = removed.count(fragment)
            suffix = f" (x{count})" if count > 1 else ""
            changes.append(f"removed fragment {fragment}{suffix}")

    charge_before = _total_abs_charge(mol)
    mol = rdMolStandardize.Uncharger().uncharge(mol)
    if _total_abs_charge(mol) < charge_before:
        changes.append("neutralised charges")

    Chem.SanitizeMol(mol)
    parent = _canonical(mol)
    try:
        inchikey = Chem.MolToInchiKey(mol)
    except Exception:  # InChI cannot express some inputs (e.g. a lone radioactive element)
        inchikey = ""
    return StandardizedMolecule(
        input_smiles=smiles,
        parent_smiles=parent,
        inchikey=inchikey,
        changes=changes,
        n_heavy_atoms=mol.GetNumHeavyAtoms(),
    )


def model_structure(smiles: str | None) -> tuple[str | None, str | None]:
    """(structure the model scores, None) or (None, the reason the SMILES cannot be used).

    The one gate in front of the model (the Predictor and the explainer call it, through
    :func:`model_molecule`). A single neutral fragment of at most :data:`MAX_HEAVY_ATOMS`
    heavy atoms is used as it is; salts, mixtures and charged forms go through
    :func:`standardize` to reach the parent the model was trained on.
    """
    structure, _, error = model_molecule(smiles)
    return structure, error


_CHARGED_ATOM = re.compile(r"\[[^\]]*[+-]")


def model_molecule(smiles: str | None) -> tuple[str | None, Chem.Mol | None, str | None]:
    """:func:`model_structure` with the parsed molecule: ``(structure, mol, None)`` or
    ``(None, None, reason)``. A plain input is parsed once, and that parse is the one the
    features are computed from."""
    try:
        text = check_smiles_text(smiles)
    except StandardizationError as error:
        return None, None, str(error)
    mol = Chem.MolFromSmiles(text)
    if (
        mol is not None
        and not mol.HasQuery()
        and "." not in text
        and mol.GetNumHeavyAtoms() <= MAX_HEAVY_ATOMS
        # A charge is written inside a bracket atom ("[NH3+]", "[O-]"): without one, no
        # atom is charged, and the atoms need not be visited.
        and (
            _CHARGED_ATOM.search(text) is None
            or all(a.GetFormalCharge() == 0 for a in mol.GetAtoms())
        )
    ):
        return text, mol, None
    try:
        parent = standardize(text).parent_smiles
    except ValueError as error:  # StandardizationError, or RDKit's own complaint
        return None, None, str(error)
    mol = Chem.MolFromSmiles(parent)
    if mol is None:  # a parent RDKit writes but cannot read back (rare)
        return None, None, f"{_short(text)!r}: RDKit cannot read back its standardised form."
    return parent, mol, None


# CalcMolFormula's hydrogen counts (H, or D and T for isotopes) and its trailing charge:
# InChI moves protons between its layers, so only the heavy atoms are kept.
_FORMULA_HYDROGENS = re.compile(r"[HDT](?![a-z])\d*|[+-]\d*$")


def heavy_formula(mol: Chem.Mol | None) -> str | None:
    """The heavy atoms of a molecule as a formula without hydrogens or charge ("C13O2" for
    ibuprofen): cheap (about 10 us, 50 times less than an InChIKey), and equal for any two
    molecules that share :func:`skeleton_of`, since the InChI the key hashes keeps every
    heavy atom in its formula and only its hydrogens and charge move between layers. So a
    molecule whose heavy formula no known compound has cannot match one by skeleton, and
    its InChIKey need not be computed (:meth:`MechanismModel.skeleton_of
    <sefreq.model.mechanism.MechanismModel.skeleton_of>`). None for None."""
    if mol is None:
        return None
    return _FORMULA_HYDROGENS.sub("", rdMolDescriptors.CalcMolFormula(mol))


def skeleton_of(mol: Chem.Mol | None) -> str | None:
    """The first block of a molecule's InChIKey (its connectivity): the key by which a
    structure is matched to a known compound whatever its stereo or charge form. None for
    None or a molecule InChI cannot describe."""
    if mol is None:
        return None
    try:
        key = Chem.MolToInchiKey(mol)
    except MemoryError:  # the molecule's budget (sefreq.chem.budget), not a missing key
        raise
    except Exception:  # RDKit raises on some organometallics
        return None
    return key[:14] or None
