"""Parts and output files of a screening run: each chunk's part written whole, then the
parts joined into the output. A file type is one :class:`FileType` entry of
:data:`FILE_TYPES` (suffix, writer, joiner).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sefreq.chem.io import MoleculeInputError

MANIFEST = "manifest.json"


class ResumeError(MoleculeInputError):
    """The parts of an interrupted run were made from another input, settings or model."""


def file_type(output: Path) -> FileType:
    """The :class:`FileType` of ``output`` by its suffix; MoleculeInputError for any other."""
    suffix = Path(output).suffix.lower()
    if suffix not in FILE_TYPES:
        raise MoleculeInputError(
            f"output must end in {' or '.join(sorted(FILE_TYPES))}, not {suffix or 'nothing'!r}"
        )
    return FILE_TYPES[suffix]


# --- parts on disk ------------------------------------------------------------------------


class Parts:
    """The part files of one run, beside the output: ``.<output name>.parts/``."""

    def __init__(self, output: Path, manifest: dict, resume: bool) -> None:
        self.output = Path(output)
        self.folder = self.output.parent / f".{self.output.name}.parts"
        manifest = json.loads(json.dumps(manifest))  # as it reads back (tuples -> lists)
        self.manifest = manifest
        path = self.folder / MANIFEST
        if resume and path.is_file():
            found = json.loads(path.read_text())
            changed = sorted(
                k for k in set(found) | set(manifest) if found.get(k) != manifest.get(k)
            )
            if changed:
                raise ResumeError(
                    f"cannot resume: the unfinished run in {self.folder} was made with other "
                    f"{', '.join(changed)}; run without --resume to start again"
                )
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(manifest, indent=1))

    def path(self, index: int, suffix: str) -> Path:
        return self.folder / f"part-{index:07d}{suffix}"

    def done(self) -> dict[int, dict]:
        """{chunk index: its summary} of the parts already written whole."""
        out = {}
        for meta in self.folder.glob("part-*.json"):
            out[int(meta.stem.split("-")[1])] = json.loads(meta.read_text())
        return out

    def join(self, suffix: str) -> int:
        """Join the parts, in input order, into the output; remove the parts folder. Returns
        the output's size in bytes."""
        parts = sorted(self.folder.glob(f"part-*{suffix}"))
        tmp = self.output.with_name(f".{self.output.name}.tmp")
        if not parts:
            raise MoleculeInputError("the input holds no molecule")
        FILE_TYPES[suffix].join(parts, tmp)
        os.replace(tmp, self.output)
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.output.stat().st_size


def write_part(table: pa.Table, path: Path, summary: dict) -> None:
    """Write one part whole, then rename it into place, then its summary (the marker that
    the part is done): a killed run never leaves a half part that counts as done."""
    tmp = path.with_name(f".{path.name}.tmp")
    FILE_TYPES[path.suffix].write(table, tmp)
    os.replace(tmp, path)
    meta = path.with_suffix(".json")
    meta_tmp = meta.with_name(f".{meta.name}.tmp")
    meta_tmp.write_text(json.dumps(summary))
    os.replace(meta_tmp, meta)


def parquet_options(schema: pa.Schema) -> dict:
    """How parts and outputs are written: dictionary pages only for the columns whose
    values repeat (text, integers, flags). Tried on the float scores too, as by default,
    parquet builds a dictionary of a chunk's 200,000 distinct values and then drops it:
    a long chunk took 4x longer to write and its file was a third larger (#24)."""
    return {"use_dictionary": [f.name for f in schema if not pa.types.is_floating(f.type)]}


def _join_parquet(parts: list[Path], out: Path) -> None:
    schema = pq.read_schema(parts[0])
    with pq.ParquetWriter(out, schema, **parquet_options(schema)) as writer:
        for part in parts:  # one part in memory at a time: each becomes a row group
            table = pq.read_table(part)
            writer.write_table(table if table.schema.equals(schema) else table.cast(schema))


def _join_csv(parts: list[Path], out: Path) -> None:
    with open(out, "wb") as target:
        for number, part in enumerate(parts):
            with open(part, "rb") as source:
                if number:
                    source.readline()  # each part repeats the header
                shutil.copyfileobj(source, target, 1 << 20)


@dataclass(frozen=True)
class FileType:
    """An output file type of ``sefreq predict``; a new one is one entry of
    :data:`FILE_TYPES`. ``write(table, path)`` writes one part, ``join(parts, output)``
    joins the parts, in input order, into the output; ``neutralise``: text cells a
    spreadsheet would run as formulas are quoted."""

    suffix: str
    write: Callable[[pa.Table, Path], None]
    join: Callable[[list[Path], Path], None]
    neutralise: bool = False


FILE_TYPES: dict[str, FileType] = {
    kind.suffix: kind
    for kind in (
        FileType(
            ".parquet",
            lambda table, path: pq.write_table(table, path, **parquet_options(table.schema)),
            _join_parquet,
        ),
        # CSV opens in spreadsheets.
        FileType(".csv", lambda table, path: pa_csv.write_csv(table, path), _join_csv, True),
    )
}
