"""Molecule files of any length, read in chunks: CSV/TSV, SMI and SDF, gzip-compressed or not.

:func:`read_chunks` yields :class:`MoleculeChunk` objects of at most ``chunk_size``
molecules, so a library of millions is never held in memory. A record that cannot be read
(an SDF block RDKit rejects) is still yielded, with an empty SMILES and its ``error``, so
the caller can report it in place instead of stopping.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sefreq.chem.io import ID_COLUMNS, SMILES_COLUMNS, MoleculeInputError, find_column, smiles_line
from sefreq.chem.sdf import sdf_molecules
from sefreq.screen.source import MAX_LINE_BYTES, open_input, open_text

TABLE_SUFFIXES = ("csv", "tsv", "txt")
SMI_SUFFIXES = ("smi", "smiles")
SDF_SUFFIXES = ("sdf", "sd")


@dataclass(frozen=True)
class MoleculeChunk:
    """Consecutive molecules of an input file.

    ``index``: the chunk's number (0, 1, ...); ``first_row``: the input position of its first
    molecule (0-based, counting every molecule record); ``columns``: the user's columns
    carried through, each a list aligned with ``smiles``; ``errors``: why a record could
    not be read (None where it could).
    """

    index: int
    first_row: int
    ids: list[str]
    smiles: list[str]
    columns: dict[str, list] = field(default_factory=dict)
    errors: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.smiles)


def file_kind(path: Path | str) -> str:
    """``table``, ``smi`` or ``sdf`` from the file name (``.gz`` ignored)."""
    name = Path(path).name.casefold()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix in TABLE_SUFFIXES:
        return "table"
    if suffix in SMI_SUFFIXES:
        return "smi"
    if suffix in SDF_SUFFIXES:
        return "sdf"
    raise MoleculeInputError(
        f"{Path(path).name!r}: name the input .csv, .tsv, .smi or .sdf (optionally .gz)"
    )


def count_molecules(path: Path | str) -> int:
    """How many molecule records ``path`` holds (for the progress bar): data lines of a
    table, non-empty non-comment lines of a SMI file, ``$$$$`` blocks of an SDF."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "sdf":
        n, tail = 0, b""
        with open_input(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                n += (tail + block).count(b"$$$$")
                tail = block[-3:]
        return n
    with open_text(path) as handle:
        if kind == "smi":
            return sum(1 for line in handle if line.strip() and not line.lstrip().startswith("#"))
        reader = csv.reader(handle, delimiter=_sniff_separator(path))
        with _csv_errors(path, reader):
            return max(sum(1 for row in reader if any(c.strip() for c in row)) - 1, 0)


# The stream (sefreq.screen.source) already bounds a line; the csv module's own limit
# (128 KB a field) would refuse a long but legal field with no file or row named.
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))


@contextlib.contextmanager
def _csv_errors(path: Path, reader):
    try:
        yield
    except csv.Error as error:
        raise MoleculeInputError(
            f"{path.name}, line {reader.line_num:,}: the table could not be read ({error})"
        ) from None


def _sniff_separator(path: Path) -> str:
    with open_text(path) as handle:
        head = handle.read(4096)
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return "\t" if ".tsv" in path.name.casefold() else ","


def read_chunks(
    path: Path | str,
    chunk_size: int = 1000,
    *,
    smiles_column: str | None = None,
    id_column: str | None = None,
    keep: Sequence[str] = (),
) -> Iterator[MoleculeChunk]:
    """Yield the molecules of ``path`` in chunks of at most ``chunk_size``.

    Tables: the SMILES column is ``smiles_column`` or the one named ``smiles`` (any case,
    or ``canonical_smiles``), the id column ``id_column`` or ``id``/``name`` (default:
    ``row1``, ``row2``, ...). SMI: ``SMILES [id]`` per line (default ``mol1``, ...). SDF: the
    record's title line as id (default ``record1``, ...). ``keep``: further columns (SDF:
    properties) carried through; a missing one raises :class:`MoleculeInputError` before
    anything is read (SDF: it is empty where a record lacks it).
    """
    path = Path(path)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    if not path.is_file():
        raise MoleculeInputError(f"no input file {path}")
    kind = file_kind(path)
    if kind == "sdf":
        return _sdf_chunks(path, chunk_size, keep)
    if kind == "smi":
        return _smi_chunks(path, chunk_size, keep)
    return _table_chunks(path, chunk_size, smiles_column, id_column, keep)


def _pick(columns: Sequence[str], wanted: str | None, defaults: Sequence[str], what: str):
    """The column the user named (``wanted``, any case), else the first of ``defaults``."""
    if wanted is None:
        return find_column(columns, defaults)
    found = find_column(columns, [wanted.strip().casefold()])
    if found is None:
        raise MoleculeInputError(
            f"no {what} column {wanted!r} (columns: {', '.join(map(str, columns))})"
        )
    return found


def _table_chunks(path, chunk_size, smiles_column, id_column, keep) -> Iterator[MoleculeChunk]:
    separator = _sniff_separator(path)
    with open_text(path) as handle:
        rows = csv.reader(handle, delimiter=separator)
        with _csv_errors(path, rows):
            header = next(rows, None)
    if not header:
        raise MoleculeInputError(f"{path.name}: the file is empty")
    smiles_name = _pick(header, smiles_column, SMILES_COLUMNS, "SMILES")
    if smiles_name is None:
        raise MoleculeInputError(
            f"{path.name}: no 'smiles' column (columns: {', '.join(header)}); name it "
            "'smiles' or pass --smiles-column"
        )
    id_name = _pick(header, id_column, ID_COLUMNS, "id")
    kept = [_pick(header, c, (), "--keep") for c in keep]
    # Read through the same checked stream as the header (gzip found by its magic bytes,
    # strict UTF-8, bounded lines), whatever the file is called.
    with open_text(path) as handle:
        reader = _parsed(
            lambda: pd.read_csv(handle, sep=separator, dtype=str, keep_default_na=False,
                                chunksize=chunk_size, skip_blank_lines=True),
            path,
        )  # fmt: skip
        yield from _table_rows(reader, smiles_name, id_name, kept)


def _table_rows(reader, smiles_name, id_name, kept) -> Iterator[MoleculeChunk]:
    first, index = 0, 0
    for frame in reader:
        n = len(frame)
        if not n:  # a header with no row under it: no molecule
            continue
        ids = (
            frame[id_name].astype(str).tolist()
            if id_name is not None
            else [f"row{first + i + 1}" for i in range(n)]
        )
        yield MoleculeChunk(
            index=index,
            first_row=first,
            ids=ids,
            smiles=frame[smiles_name].astype(str).str.strip().tolist(),
            columns={str(c): frame[c].tolist() for c in kept},
            errors=[None] * n,
        )
        first += n
        index += 1


def _parsed(open_reader, path: Path):
    try:
        yield from open_reader()
    except (pd.errors.ParserError, UnicodeError) as error:
        raise MoleculeInputError(f"{path.name}: the table could not be read ({error})") from error


def _smi_chunks(path, chunk_size, keep) -> Iterator[MoleculeChunk]:
    if keep:
        raise MoleculeInputError("a .smi file has no named columns to keep; use a CSV")
    with open_text(path) as handle:
        lines = (line.strip() for line in handle)
        entries = (line for line in lines if line and not line.startswith("#"))
        first = 0
        for index in itertools.count():
            block = list(itertools.islice(entries, chunk_size))
            if not block:
                return
            parsed = [smiles_line(line, first + i + 1) for i, line in enumerate(block)]
            yield MoleculeChunk(
                index=index,
                first_row=first,
                ids=[name for name, _ in parsed],
                smiles=[smiles for _, smiles in parsed],
                errors=[None] * len(parsed),
            )
            first += len(parsed)


def _sdf_chunks(path, chunk_size, keep) -> Iterator[MoleculeChunk]:
    with open_input(path) as handle:
        records = sdf_molecules(handle, keep)
        first = 0
        for index in itertools.count():
            block = list(itertools.islice(records, chunk_size))
            if not block:
                return
            ids, smiles, errors, columns = [], [], [], {c: [] for c in keep}
            for offset, (title, structure, error, properties) in enumerate(block):
                ids.append(title or f"record{first + offset + 1}")
                smiles.append(structure)
                errors.append(error)
                for column in keep:
                    columns[column].append(properties.get(column, ""))
            yield MoleculeChunk(index, first, ids, smiles, columns, errors)
            first += len(ids)
