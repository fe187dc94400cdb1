"""SDF records read safely: split and sized from their text before RDKit builds a molecule.

RDKit's SDF reader perceives rings even when told not to sanitise, and crashed on a record
of 20,000 atoms (#25). Here each record is cut out of the stream by its ``$$$$`` line,
held only up to :data:`MAX_SDF_RECORD_BYTES`, its declared atoms read from the counts line
and its ring systems from the bond table, and only then handed to RDKit. Shared by
``sefreq predict`` (:mod:`sefreq.screen.reader`) and the dashboard's upload
(:mod:`sefreq.chem.io`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence

from rdkit import Chem

from sefreq.chem.standardize import ring_system_refusal

#: The most atoms (hydrogens included) an SDF record may declare on its counts line, and
#: the most bytes it may hold: checked before RDKit builds the molecule (a record of 20,000
#: atoms crashed RDKit's reader, one of 200,000 made no progress in minutes; #25).
MAX_SDF_ATOMS = 2_000
MAX_SDF_RECORD_BYTES = 5_000_000
#: A V2000 counts line has three characters for the atoms: a record of 20,000 atoms
#: declares "200". Its lines are counted too (an atom or a bond is a line).
MAX_SDF_RECORD_LINES = 3 * MAX_SDF_ATOMS


def sdf_records(handle: Iterable[bytes]) -> Iterator[tuple[list[bytes], str | None]]:
    """(lines, None) per record of an SDF, or (its first lines, why it is refused)."""
    lines: list[bytes] = []
    size, refused = 0, None
    for line in handle:
        if line.rstrip() == b"$$$$":
            yield lines, refused
            lines, size, refused = [], 0, None
            continue
        if refused is not None:
            continue  # a refused record is skipped to its end, never held
        lines.append(line)
        size += len(line)
        if size > MAX_SDF_RECORD_BYTES or len(lines) > MAX_SDF_RECORD_LINES:
            refused = (
                f"the record is larger than {MAX_SDF_RECORD_BYTES / 1e6:.0f} MB or "
                f"{MAX_SDF_RECORD_LINES:,} lines; SEFreq reads records of at most "
                f"{MAX_SDF_ATOMS:,} atoms: proteins and polymers are out of scope"
            )
            del lines[4:]
        elif len(lines) == 4 or (len(lines) > 4 and lines[3].rstrip().endswith(b"V3000")):
            refused = _counts_refusal(lines)
    if any(line.strip() for line in lines):  # a last record without its $$$$
        yield lines, refused


def _counts_refusal(lines: list[bytes]) -> str | None:
    """Why a record's declared atoms are refused (V2000 counts line, or V3000 COUNTS), or
    None. (Its ring systems are checked on the unsanitised molecule, before RDKit perceives
    them: :func:`~sefreq.chem.standardize.fused_ring_refusal`.)"""
    counts = lines[3]
    if counts.rstrip().endswith(b"V3000"):
        last = lines[-1].split()
        if last[:3] != [b"M", b"V30", b"COUNTS"]:
            return None  # not yet read
        declared = last[3]
    else:
        declared = counts[0:3]
    try:
        atoms = int(declared)
    except ValueError:
        return None  # RDKit will say the record is malformed
    if atoms > MAX_SDF_ATOMS:
        return (
            f"the record declares {atoms:,} atoms; SEFreq reads records of at most "
            f"{MAX_SDF_ATOMS:,} (hydrogens included): proteins and polymers are out of scope"
        )
    return None


def _ring_refusal(lines: list[bytes]) -> str | None:
    """:func:`~sefreq.chem.standardize.ring_system_refusal` of a record's bond table,
    read from its text (V2000: the first two fields of each bond line; V3000: the atoms
    of each ``M  V30`` line between BEGIN BOND and END BOND). None when the table cannot
    be read: RDKit then says the record is malformed."""
    if len(lines) < 4:
        return None
    try:
        if lines[3].rstrip().endswith(b"V3000"):
            bonds, inside = [], False
            for line in lines[4:]:
                fields = line.split()
                if fields[2:4] == [b"BEGIN", b"BOND"] or fields[2:4] == [b"END", b"BOND"]:
                    inside = fields[2] == b"BEGIN"
                elif inside and len(fields) >= 6:
                    bonds.append((int(fields[4]), int(fields[5])))
        else:
            n_atoms, n_bonds = int(lines[3][0:3]), int(lines[3][3:6])
            table = lines[4 + n_atoms : 4 + n_atoms + n_bonds]
            bonds = [(int(line[0:3]), int(line[3:6])) for line in table]
    except (ValueError, IndexError):
        return None
    return ring_system_refusal(bonds)


def sdf_molecules(
    handle: Iterable[bytes], keep: Sequence[str] = ()
) -> Iterator[tuple[str, str, str | None, dict]]:
    """(title, SMILES, error, properties) per record of the lines of ``handle`` (bytes): a
    refused or unreadable record has an empty SMILES and its error; ``keep``: the record's
    properties wanted."""
    for row, (lines, refused) in enumerate(sdf_records(handle), 1):
        if refused is not None:  # named by its position, as an unreadable record is
            yield "", "", f"SDF record {row}: {refused}", {}
            continue
        refusal = _ring_refusal(lines)
        if refusal:  # RDKit's reader perceives rings, even unsanitised: checked before it
            yield "", "", f"SDF record {row}: {refusal}", {}
            continue
        block = b"".join(lines) + b"$$$$\n"
        supplier = Chem.ForwardSDMolSupplier(io.BytesIO(block), sanitize=True, removeHs=True)
        mol = next(supplier, None)
        if mol is None:
            yield "", "", f"SDF record {row} could not be read by RDKit", {}
            continue
        title = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
        properties = {c: mol.GetProp(c) for c in keep if mol.HasProp(c)}
        yield title, Chem.MolToSmiles(mol), None, properties
