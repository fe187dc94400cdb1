"""Reading molecules from what people paste or upload (SMILES lines, CSV/TSV tables, SDF),
and keeping the tables SEFreq writes back safe to open in a spreadsheet.

One reader for the dashboard and ``sefreq predict``. Bad input never raises anything but
:class:`MoleculeInputError`, whose message says what to fix; an unreadable record inside a
file is kept with an empty SMILES so its row can say so.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import NamedTuple

import pandas as pd


class MoleculeInputError(ValueError):
    """Input that cannot be read at all (an empty paste, a malformed file)."""


class OutputPathError(MoleculeInputError):
    """An output path SEFreq cannot, or must not, write (a folder, the input itself)."""


def check_output(path: str | os.PathLike, input: str | os.PathLike | None = None) -> Path:
    """``path`` once it is known that a file can be written there, before any work: not a
    folder, not under a file, not the ``input`` (however it is spelled: ``./x/../in.csv``,
    a link), and its folder writable (made if missing). Raises :class:`OutputPathError`."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder: name the file to write")
    if input is not None:
        source = Path(input).expanduser()
        same = path.resolve() == source.resolve()
        if same or (path.exists() and source.exists() and os.path.samefile(path, source)):
            raise OutputPathError(
                f"the output {path} is the input file {source}: name another output "
                "(SEFreq never overwrites its input)"
            )
    folder = path.parent
    ancestor = next(p for p in (folder, *folder.parents) if p.exists())
    if not ancestor.is_dir():
        raise OutputPathError(f"cannot write {path}: {ancestor} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise OutputPathError(
            f"cannot write {path}: {error.strerror or error} ({folder})"
        ) from None
    return path


#: Column names (any case) of a table's SMILES and id, in order of preference.
SMILES_COLUMNS = ("smiles", "canonical_smiles")
ID_COLUMNS = ("id", "name")


def find_column(columns, names) -> str | None:
    """The first of ``columns`` whose name (stripped, any case) is one of ``names``."""
    lookup = {str(c).strip().casefold(): c for c in columns}
    return next((lookup[n] for n in names if n in lookup), None)


class MoleculeEntry(NamedTuple):
    """One molecule of a paste or an upload, before it is standardised: its id, its SMILES
    and, where the reader already refused it (an SDF record too big or unreadable), why."""

    id: str
    smiles: str
    problem: str | None = None


def smiles_line(line: str, number: int) -> tuple[str, str]:
    """(id, SMILES) of a stripped ``SMILES [name]`` line; without a name ``mol{number}``."""
    parts = line.replace("\t", " ").split(maxsplit=1)
    name = parts[1].strip() if len(parts) > 1 else f"mol{number}"
    return name, parts[0]


def split_smiles_lines(text: str, max_rows: int | None = None) -> list[MoleculeEntry]:
    """(id, SMILES) per non-empty line of pasted text; ``SMILES name`` lines keep the name.

    Lines starting with ``#`` are skipped. Without a name the id is ``mol1``, ``mol2``, ...
    Raises :class:`MoleculeInputError` when nothing is left or there are more than
    ``max_rows``.
    """
    entries: list[MoleculeEntry] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entries.append(MoleculeEntry(*smiles_line(line, len(entries) + 1)))
    if not entries:
        raise MoleculeInputError("Nothing to read: paste one SMILES per line.")
    _check_size(len(entries), max_rows)
    return entries


def _check_size(n: int, max_rows: int | None) -> None:
    if max_rows is not None and n > max_rows:
        raise MoleculeInputError(
            f"{n:,} molecules is more than the dashboard scores at once ({max_rows}); split "
            "the file, or use `sefreq predict` from the command line for large batches."
        )


def read_molecule_file(
    name: str, content: bytes, max_rows: int | None = None, max_bytes: int | None = None
) -> list[MoleculeEntry]:
    """(id, SMILES) per molecule of a CSV/TSV (``smiles`` column, optional ``id``), SMI or SDF.

    Ids default to ``row1``, ``row2`` (tables), ``mol1`` (SMI) or ``record1`` (SDF). An SDF
    record the reader refuses is kept, with an empty SMILES and its ``problem``. Raises
    :class:`MoleculeInputError` with what to fix for a file it cannot read.
    """
    if max_bytes is not None and len(content) > max_bytes:
        raise MoleculeInputError(
            f"The file is {len(content) / 1e6:.0f} MB; the dashboard reads at most "
            f"{max_bytes // 1_000_000} MB."
        )
    suffix = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    if suffix in ("sdf", "sd", "mol"):
        return _read_sdf(content, max_rows)
    if suffix in ("csv", "tsv", "txt", "smi", "smiles"):
        return _read_table(content, suffix, max_rows)
    raise MoleculeInputError(f"{name!r} is neither a CSV nor an SDF file: upload .csv or .sdf.")


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise MoleculeInputError("The file is broken UTF-16 text: save it as UTF-8.") from None
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MoleculeInputError("The file is not text: upload a CSV or SDF file.")


def _read_table(content: bytes, suffix: str, max_rows: int | None) -> list[MoleculeEntry]:
    text = _decode(content)
    if "\x00" in text:
        raise MoleculeInputError("The file is binary, not a CSV: upload a CSV or SDF file.")
    if suffix in ("smi", "smiles"):
        return split_smiles_lines(text, max_rows)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        separator = dialect.delimiter
    except csv.Error:
        separator = "\t" if suffix == "tsv" else ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise MoleculeInputError(
            f"The CSV could not be read ({error}). Save it as comma-separated text with a "
            "header row holding a 'smiles' column."
        ) from error
    smiles_column = find_column(table.columns, SMILES_COLUMNS)
    if smiles_column is None:
        raise MoleculeInputError(
            f"No 'smiles' column in the CSV (columns: {', '.join(map(str, table.columns))}). "
            "Name the structure column 'smiles'; an optional 'id' column names the molecules."
        )
    id_column = find_column(table.columns, ID_COLUMNS)
    table = table[table[smiles_column].str.strip() != ""]
    if table.empty:
        raise MoleculeInputError("The 'smiles' column is empty.")
    _check_size(len(table), max_rows)
    ids = (
        table[id_column].astype(str).tolist()
        if id_column is not None
        else [f"row{k + 1}" for k in range(len(table))]
    )
    smiles = table[smiles_column].str.strip().tolist()
    return [MoleculeEntry(i, s) for i, s in zip(ids, smiles, strict=True)]


def _read_sdf(content: bytes, max_rows: int | None) -> list[MoleculeEntry]:
    from sefreq.chem.sdf import sdf_molecules

    text = _decode(content)
    if "$$$$" not in text and "M  END" not in text:
        raise MoleculeInputError("The file is not an SDF (no 'M  END' / '$$$$' records).")
    entries: list[MoleculeEntry] = []
    records = sdf_molecules(io.BytesIO(text.encode()), keep=("id",))
    for k, (title, smiles, error, properties) in enumerate(records):
        # An unreadable or refused record is kept with an empty SMILES and the reason, so
        # the user sees which record it was and why; its record is sized before RDKit
        # builds it (a cage or a record of 20,000 atoms cannot hang the page).
        name = properties.get("id") or title or f"record{k + 1}"
        entries.append(MoleculeEntry(name, smiles, error))
        _check_size(len(entries), max_rows)
    if not entries:
        raise MoleculeInputError("The SDF holds no molecule records.")
    return entries


#: First characters a spreadsheet reads as the start of a formula ("CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a spreadsheet formula: a cell beginning with one
    of :data:`FORMULA_STARTS` gets a leading apostrophe. Numbers are left as they are."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if not (values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype)
                or pd.api.types.is_string_dtype(values)):  # fmt: skip
            continue
        out[column] = values.astype(object).map(neutralise_cell)
    return out


def neutralise_cell(value: object) -> object:
    """``value`` with a leading apostrophe when it is text a spreadsheet would read as a
    formula: starting with one of :data:`FORMULA_STARTS`, also after leading spaces or line
    breaks, or in a full-width form (``＝``, read as ``=`` once NFKC-normalised); anything
    else unchanged."""
    if not isinstance(value, str):
        return value
    head = unicodedata.normalize("NFKC", value[:16]).lstrip()
    risky = value.startswith(FORMULA_STARTS) or head.startswith(FORMULA_STARTS)
    return "'" + value if risky else value
