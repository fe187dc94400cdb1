"""A generated screening library: valid, varied, drug-like SMILES grown from the drugs.

Each molecule is a drug's parent structure (the 759 and SIDER's others, from
``sefreq.load_dataset()``) with one to three substituents from a small medicinal-chemistry
set (F, Cl, methyl, methoxy, hydroxy, amino, nitrile, CF3, amide, ...) put on random
hydrogen-bearing carbons; every product is sanitised by RDKit, canonical, unique, and
has at most 70 heavy atoms. Seeded: the same arguments give the same file.

    python benchmarks/make_library.py --n 200000 -o /tmp/library.smi.gz
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
from pathlib import Path

from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")

# (SMILES of the substituent, index of its attachment atom)
SUBSTITUENTS = ("F", "Cl", "C", "OC", "O", "N", "C#N", "C(F)(F)F", "C(N)=O", "CC", "S(C)(=O)=O",
                "Br", "NC(C)=O", "C(=O)O", "OC(F)(F)F", "N(C)C")  # fmt: skip
MAX_HEAVY_ATOMS = 70


def seeds() -> list[str]:
    """Parent SMILES of every drug with a structure (the 759 and SIDER's others)."""
    from sefreq.data import load_dataset

    dataset = load_dataset()
    catalogue = dataset.catalogue
    usable = catalogue[catalogue["has_structure"].astype(bool)]
    return sorted({str(s) for s in usable["parent_smiles"] if isinstance(s, str) and s})


def _decorate(mol: Chem.Mol, rng: random.Random, pieces: list[Chem.Mol]) -> Chem.Mol | None:
    edit = Chem.RWMol(mol)
    for _ in range(rng.randint(1, 3)):
        edit.UpdatePropertyCache(strict=False)  # hydrogen counts after the last addition
        sites = [
            a.GetIdx() for a in edit.GetAtoms() if a.GetSymbol() == "C" and a.GetTotalNumHs() > 0
        ]
        if not sites:
            return None
        site = rng.choice(sites)
        piece = rng.choice(pieces)
        offset = edit.GetNumAtoms()
        for atom in piece.GetAtoms():
            edit.AddAtom(Chem.Atom(atom.GetAtomicNum()))
        for bond in piece.GetBonds():
            edit.AddBond(offset + bond.GetBeginAtomIdx(), offset + bond.GetEndAtomIdx(),
                         bond.GetBondType())  # fmt: skip
        edit.AddBond(site, offset, Chem.BondType.SINGLE)
        edit.GetAtomWithIdx(site).SetNumExplicitHs(0)
        edit.GetAtomWithIdx(site).SetNoImplicit(False)
    try:
        product = edit.GetMol()
        Chem.SanitizeMol(product)
    except Exception:  # a valence RDKit refuses: draw again
        return None
    return product


def generate(n: int, seed: int = 0, progress: bool = True) -> list[str]:
    """``n`` unique canonical SMILES (the seeds first, then decorated ones)."""
    from tqdm.auto import tqdm

    rng = random.Random(seed)
    parents = [m for m in (Chem.MolFromSmiles(s) for s in seeds()) if m is not None]
    parents = [m for m in parents if m.GetNumHeavyAtoms() <= MAX_HEAVY_ATOMS]
    pieces = [Chem.MolFromSmiles(s) for s in SUBSTITUENTS]
    out: dict[str, None] = {Chem.MolToSmiles(m): None for m in parents[:n]}
    bar = tqdm(total=n, initial=len(out), unit="mol", disable=not progress, desc="generating")
    attempts = 0
    while len(out) < n and attempts < 50 * n:
        attempts += 1
        product = _decorate(rng.choice(parents), rng, pieces)
        if product is None or product.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
            continue
        smiles = Chem.MolToSmiles(product)
        if smiles not in out:
            out[smiles] = None
            bar.update(1)
    bar.close()
    molecules = list(out)
    rng.shuffle(molecules)
    return molecules


def write(molecules: list[str], path: Path) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as handle:
        for i, smiles in enumerate(molecules):
            handle.write(f"{smiles} gen{i + 1}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="molecules")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, required=True, help=".smi or .smi.gz")
    args = parser.parse_args()
    started = time.perf_counter()
    molecules = generate(args.n, args.seed)
    write(molecules, args.output)
    print(f"{len(molecules)} molecules -> {args.output} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
