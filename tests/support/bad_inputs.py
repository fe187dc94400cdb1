"""A corpus of bad and awkward input: SMILES people type or paste, and files they upload.

Used by ``tests/unit/test_bad_inputs.py`` (API, CLI, reader), ``tests/app/test_pages.py``
(the input page) and ``benchmarks/bad_input_speed.py`` (the slowest answer).
"""

from __future__ import annotations

import random

_PEPTIDE = "N" + "CC(=O)N" * 130 + "CC(=O)O"  # 525 heavy atoms
_CAGE_19 = "C1" + "C%10C%11C%12" * 12 + "C1"  # 38 atoms, a ring system of 19 rings

#: (case, SMILES). Some are valid but unusual (isotopes, charges, salts): those must give
#: a profile or a clear reason, never an exception.
SMILES_CASES: list[tuple[str, str]] = [
    # invalid syntax
    *[
        (f"syntax {i}", s)
        for i, s in enumerate(
            [
                "C1CC(",
                "C(C",
                "CC)",
                "C==C",
                "[C",
                "C]",
                "c1ccc",
                "C1CCC",
                "XYZ",
                "Cl(",
                "[Xx]",
                "C%",
                "C%1",
                "((",
                "))",
                "1",
                "=",
                "#",
                "C#",
                "C=",
                ".",
                "..",
                "C..C",
                "[NH5]",
                "C(C)(C)(C)(C)C",
                "F(F)F",
                "[O-2-]",
                "c1cccc1",
                "n1cccc1",
                "c1ccccc1c",
                "C1=CC=CC=C1=C",
                "CCO>>CC=O",
                "[#6]~[#7]",
                "InChI=1S/CH4/h1H4",
                "aspirin",
                "50-78-2",
                "C C",
                "CC O",
                "C/C=C\\",
                "C[C@H",
                "{C}",
                "C&C",
                "C!C",
                "C?",
                "C'C",
                'C"C',
                "<C>",
            ]
        )
    ],
    # empty and whitespace
    *[(f"blank {i}", s) for i, s in enumerate(["", " ", "\t", "\n", "\r\n", "   \t  ", "\u3000"])],
    # unicode and control characters
    *[
        (f"unicode {i}", s)
        for i, s in enumerate(
            [
                "CCO\x00",
                "C\u200bC",
                "ＣＣＯ",
                "CC\u00a0O",
                "💊",
                "é",
                "C\x1bC",
                "\ufeffCCO",
                "CCO\u2028",
                "C\x7fC",
                "CC\u0301O",
                "Ｃ１ＣＣ１",
                "\x00" * 20,
                "C\x08C",
                "ℂℂ𝕆",
            ]
        )
    ],
    # long strings
    ("10k carbons", "C" * 10_000),
    ("10k letters", "x" * 10_000),
    ("10k open branches", "C(" * 5_000),
    ("10k aromatic", "c1ccccc1" * 1_250),
    ("just over the limit", "C" * 10_001),
    ("100k carbons", "C" * 100_000),
    # cages and fused systems: ring perception grows exponentially (#25)
    ("cage of 106 rings", "C1" + "C%10C%11C%12" * 70 + "C1"),
    (
        "antisense oligonucleotide, 40 rings in a chain",
        "OCC1OC(n2ccc(=O)[nH]c2=O)CC1OP(=O)(O)" * 20 + "O",
    ),
    ("cage of 31 rings", "C1" + "C%10C%11C%12" * 20 + "C1"),
    ("cage of 22 rings", "C1" + "C%10C%11C%12" * 14 + "C1"),
    # the most the caps let through, each molecule within its 2 s budget (sefreq.chem.budget)
    ("within the caps: a cage of 19 rings", _CAGE_19),
    ("within the caps: 13 cages of 19 rings in a chain, 494 atoms", _CAGE_19 * 13),
    ("fused 40 benzene rings", "c1ccc2cc3ccccc3cc2c1" * 8),
    # characters RDKit stops at, reading only what came before (#25)
    ("trailing trademark", "CC™"),
    ("trailing accent", "CCOé"),
    ("lone surrogate", "CC\ud800"),
    ("zero-width joiner", "CC\u200dO"),
    # huge molecules
    ("600-carbon chain", "C" * 600),
    ("1000-carbon chain", "C" * 1_000),
    ("branched 450", "CC(C)" * 150),
    ("peptide", _PEPTIDE),
    ("polymer with dummy atoms", "*CC*"),
    ("polymer repeat", "[*]CC(c1ccccc1)[*]"),
    ("201 heavy atoms", "C" * 201),
    (
        "fullerene",
        "c12c3c4c5c1c6c7c8c2c9c1c3c2c3c4c4c%10c5c5c6c6c7c7c%11c8c9c8c9c1c2c1c2c3"
        "c3c4c4c%10c5c5c6c6c7c7c%11c8c8c9c1c1c2c3c2c4c5c6c3c7c8c1c23",
    ),
    # metals and organometallics
    *[
        (f"metal {i}", s)
        for i, s in enumerate(
            [
                "[Fe]",
                "[Pt](N)(N)(Cl)Cl",
                "C[Hg]C",
                "[Li]CCCC",
                "[Cu+2]",
                "[Gd+3]",
                "[CH-]1C=CC=C1.[CH-]1C=CC=C1.[Fe+2]",
                "[Au]",
                "O=[Os](=O)(=O)=O",
                "[U]",
                "CC(=O)O[Zn]OC(C)=O",
                "[Na]",
            ]
        )
    ],
    # radicals
    *[(f"radical {i}", s) for i, s in enumerate(["[CH3]", "[O]", "C[CH2]", "[OH]", "[N]"])],
    # charged species
    *[
        (f"charged {i}", s)
        for i, s in enumerate(
            [
                "C[N+](C)(C)C",
                "[O-]C(=O)C",
                "[NH4+]",
                "C[N+](C)(C)C.[Cl-]",
                "[O-][N+](=O)c1ccccc1",
                "[H+]",
                "[Cl-]",
                "C[O+](C)C",
            ]
        )
    ],
    # salts and mixtures
    *[
        (f"mixture {i}", s)
        for i, s in enumerate(
            [
                "CCO.CCN",
                "Cl.CCN",
                "CC(=O)O.O",
                "O.O.O",
                "[Na+].[Cl-]",
                "CCO.c1ccccc1.CCN.CCCl",
                "CC(=O)[O-].[Na+]",
                "[K+].[K+].[O-]S(=O)(=O)[O-]",
            ]
        )
    ],
    # isotopes
    *[
        (f"isotope {i}", s)
        for i, s in enumerate(
            [
                "[13CH4]",
                "[2H]C([2H])([2H])O",
                "[14C]C(=O)O",
                "[123I]c1ccccc1",
                "[999C]",
            ]
        )
    ],
    # many fragments
    ("50 methanes", ".".join(["C"] * 50)),
    ("50 ethanols", ".".join(["CCO"] * 50)),
    ("50 sodium ions", ".".join(["[Na+]"] * 50)),
    ("500 fragments", ".".join(["C"] * 500)),
    # spreadsheet formulas and shell-ish text
    *[
        (f"formula {i}", s)
        for i, s in enumerate(
            [
                '=HYPERLINK("http://x","y")',
                "+CCO",
                "-CCO",
                "@CCO",
                "=1+1",
                "\tCCO",
                "\rCCO",
                "<script>alert(1)</script>",
                "'; DROP TABLE drugs; --",
                "$(rm -rf /)",
            ]
        )
    ],
    # stereo and valence oddities
    *[
        (f"odd {i}", s)
        for i, s in enumerate(
            [
                "C[C@@H](O)[C@H](N)C",
                "F/C=C/F",
                "C1CC1C1CC1" * 3,
                "[CH5]",
                "O=O=O",
                "N(=O)=O",
                "[C@@]",
                "C$C",
                "[#6]",
                "C.",
                "[*]",
            ]
        )
    ],
]


def _sdf(smiles: list[str]) -> bytes:
    from rdkit import Chem

    blocks = []
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        mol.SetProp("_Name", f"m{i}")
        blocks.append(Chem.MolToMolBlock(mol) + "$$$$\n")
    return "".join(blocks).encode()


def file_cases() -> list[tuple[str, str, bytes]]:
    """(case, file name, content) of uploads that are malformed, empty, huge or odd."""
    rng = random.Random(0)
    good = _sdf(["CCO", "c1ccccc1O"])
    return [
        ("empty csv", "x.csv", b""),
        ("header only", "x.csv", b"smiles\n"),
        ("no smiles column", "x.csv", b"name,structure\na,CCO\n"),
        ("duplicated smiles column", "x.csv", b"smiles,smiles\nCCO,CCN\n"),
        ("duplicated id column", "x.csv", b"id,id,smiles\na,b,CCO\n"),
        ("no id column", "x.csv", b"smiles\nCCO\nCCN\n"),
        ("utf-8 bom", "x.csv", b"\xef\xbb\xbfsmiles,id\nCCO,a\n"),
        ("utf-16 le", "x.csv", "smiles,id\nCCO,é\n".encode("utf-16")),
        ("utf-16 be", "x.csv", b"\xfe\xff" + "smiles,id\nCCO,b\n".encode("utf-16-be")),
        ("utf-16 broken", "x.csv", b"\xff\xfe" + b"s\x00m\x00i"),
        ("latin-1", "x.csv", "smiles,id\nCCO,café\n".encode("latin-1")),
        ("binary junk", "x.csv", bytes(rng.randrange(256) for _ in range(4000))),
        ("png", "x.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("zip", "x.csv", b"PK\x03\x04" + b"\x00" * 100),
        ("formula cells", "x.csv", b"smiles,id\n=cmd|' /C calc'!A0,=1+1\n+CCO,@SUM(A1)\n"),
        ("one huge field", "x.csv", b"smiles\n" + b"C" * 1_000_000 + b"\n"),
        ("601 rows", "x.csv", b"smiles\n" + b"CCO\n" * 601),
        (
            "many columns",
            "x.csv",
            (
                ",".join(f"c{i}" for i in range(2000))
                + ",smiles\n"
                + ",".join("1" for _ in range(2000))
                + ",CCO\n"
            ).encode(),
        ),
        ("quoted newline", "x.csv", b'smiles,id\n"CC\nO",a\nCCN,b\n'),
        ("unterminated quote", "x.csv", b'smiles,id\n"CCO,a\nCCN,b\n'),
        ("semicolons", "x.csv", b"smiles;id\nCCO;a\n"),
        ("tabs", "x.tsv", b"smiles\tid\nCCO\ta\n"),
        ("old mac line ends", "x.csv", b"smiles,id\rCCO,a\rCCN,b\r"),
        ("trailing commas", "x.csv", b"smiles,id,,\nCCO,a,,\n"),
        ("numeric ids", "x.csv", b"id,smiles\n1,CCO\n2,CCN\n"),
        ("blank lines", "x.csv", b"smiles\n\n\nCCO\n\n"),
        ("null bytes inside", "x.csv", b"smiles\nCC\x00O\n"),
        ("over 20 MB", "x.csv", b"smiles\n" + b"CCO\n" * 5_500_000),
        ("spreadsheet", "x.xlsx", b"PK\x03\x04"),
        ("no extension", "molecules", b"smiles\nCCO\n"),
        ("upper-case extension", "X.CSV", b"smiles\nCCO\n"),
        ("smi with names", "x.smi", b"CCO ethanol\nC1CC( broken\n"),
        ("smi empty", "x.smi", b"\n\n"),
        ("sdf good", "x.sdf", good),
        ("sdf broken record", "x.sdf", good + b"garbage\n\n\n  0  0  0\nM  END\n$$$$\n"),
        ("sdf empty", "x.sdf", b""),
        ("sdf without records", "x.sdf", b"hello\nworld\n"),
        ("sdf 601 records", "x.sdf", _sdf(["C"] * 601)),
        ("mol file", "x.mol", good.split(b"$$$$")[0]),
        ("csv named sdf", "x.sdf", b"smiles\nCCO\n"),
        ("sdf named csv", "x.csv", good),
        ("only whitespace smiles", "x.csv", b"smiles\n   \n\t\n"),
        ("smiles with spaces", "x.csv", b"smiles,id\n  CCO  ,a\n"),
        ("huge molecule rows", "x.csv", b"smiles\n" + b"C" * 5000 + b"\nCCO\n"),
    ]


def v2000_chain(n_atoms: int, counts: str) -> bytes:
    atoms = "".join("    0.0000    0.0000    0.0000 C   0  0\n" for _ in range(n_atoms))
    bonds = "".join(f"{i + 1:3d}{i + 2:3d}  1  0\n" for i in range(n_atoms - 1))
    header = f"chain\n  x\n\n{counts}  0  0  0  0  0  0  0  0999 V2000\n"
    return f"{header}{atoms}{bonds}M  END\n$$$$\n".encode()


def v3000_chain(n_atoms: int) -> bytes:
    atoms = (f"M  V30 {i + 1} C 0 0 0 0" for i in range(n_atoms))
    bonds = (f"M  V30 {i + 1} 1 {i + 1} {i + 2}" for i in range(n_atoms - 1))
    lines = ["chain3", "  x", "", "  0  0  0     0  0            999 V3000", "M  V30 BEGIN CTAB",
             f"M  V30 COUNTS {n_atoms} {n_atoms - 1} 0 0 0", "M  V30 BEGIN ATOM", *atoms,
             "M  V30 END ATOM", "M  V30 BEGIN BOND", *bonds, "M  V30 END BOND",
             "M  V30 END CTAB", "M  END", "$$$$"]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def v2000_of(smiles: str, title: str) -> bytes:
    """A V2000 record of ``smiles``'s graph written by hand (RDKit's writer perceives the
    rings first, which on a cage never finishes)."""
    from rdkit import Chem

    raw = Chem.MolFromSmiles(smiles, sanitize=False)
    atoms = "".join(
        f"    0.0000    0.0000    0.0000 {a.GetSymbol():<3} 0  0\n" for a in raw.GetAtoms()
    )
    bonds = "".join(
        f"{b.GetBeginAtomIdx() + 1:3d}{b.GetEndAtomIdx() + 1:3d}  1  0\n" for b in raw.GetBonds()
    )
    counts = f"{raw.GetNumAtoms():3d}{raw.GetNumBonds():3d}  0  0  0  0  0  0  0  0999 V2000"
    return f"{title}\n  x\n\n{counts}\n{atoms}{bonds}M  END\n$$$$\n".encode()


CAGE = "C1" + "C%10C%11C%12" * 70 + "C1"  # 844 characters, 212 atoms, 106 fused rings


def hostile_files(folder) -> list[tuple[str, object]]:
    """(case, path) of screening inputs written into ``folder`` that once crashed, hung or
    filled memory in ``sefreq predict`` (#25): decompression bombs, a truncated gzip, other
    encodings, a 1 MB field, SDF records of 20,000 and 200,000 atoms, a header alone."""
    import gzip
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases = []

    def write(name: str, content: bytes, case: str) -> None:
        (folder / name).write_bytes(content)
        cases.append((case, folder / name))

    zeros = bytes(1 << 24)
    for suffix in ("csv", "smi", "sdf"):
        path = folder / f"bomb.{suffix}.gz"
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(b"smiles\n" if suffix == "csv" else b"")
            for _ in range(16):  # 256 MB of zeros in 0.25 MB
                handle.write(zeros)
        cases.append((f"gzip bomb .{suffix}.gz", path))
    path = folder / "blank.smi.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(16):
            handle.write(b"\n" * (1 << 24))
    cases.append(("gzip of blank lines", path))
    data = gzip.compress(b"smiles\n" + b"CCO\n" * 100_000)
    write("truncated.csv.gz", data[: len(data) // 2], "truncated gzip")
    write("latin1.csv", "smiles,id\nCCO,a\nCCN,café\n".encode("latin-1"), "Latin-1 table")
    write("utf16.csv", "smiles,id\nCCO,é\n".encode("utf-16"), "UTF-16 table")
    write("field.csv", b"smiles,id\nCCO,a\n" + b"C" * 1_100_000 + b",b\n", "a 1 MB field")
    write("header.csv", b"smiles,id\n", "a header alone")
    write("empty.smi", b"", "an empty .smi")
    write("cage.smi", CAGE.encode() + b" cage\nCCO ethanol\n", "a 106-ring cage")
    write("cage.sdf", v2000_of(CAGE, "cage") + v2000_of("CCO", "ethanol"), "a cage in an SDF")
    write("atoms20k.sdf", v2000_chain(20_000, "2000019999"), "SDF record of 20,000 atoms")
    write("atoms200k.sdf", v3000_chain(200_000), "V3000 record of 200,000 atoms")
    return cases
