"""Parts and output files of a screening run: each chunk's part written whole, then the
parts joined into the output. A file type is one :class:`FileType` entry of
:data:`FILE_TYPES` (suffix, its parts' suffix and writer, joiner).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sefreq.chem.io import MoleculeInputError, OutputPathError

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
                k
                for k in (set(found) | set(manifest)) - {"chunks"}  # "chunks": set at the join
                if found.get(k) != manifest.get(k)
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
        self._joiner: Joiner | None = None
        self._next = 0  # the first chunk not yet joined

    def path(self, index: int, suffix: str) -> Path:
        """The part of chunk ``index`` of an output of type ``suffix`` (a part has its
        file type's own suffix, :attr:`FileType.part_suffix`)."""
        return self.folder / f"part-{index:07d}{FILE_TYPES[suffix].part_suffix}"

    def done(self) -> dict[int, dict]:
        """{chunk index: its summary} of the parts written whole: a summary whose part file
        is missing (deleted, or a run killed between the two renames) is not done."""
        out = {}
        for meta in self.folder.glob("part-*.json"):
            index = int(meta.stem.split("-")[1])
            if self.path(index, self.manifest["settings"]["suffix"]).is_file():
                out[index] = json.loads(meta.read_text())
        return out

    @property
    def _joined(self) -> Path:
        """The output being joined, renamed into place only once it is whole."""
        return self.output.with_name(f".{self.output.name}.tmp")

    def join_ready(self, finished: Collection[int]) -> None:
        """Join, while the run goes on, the parts that follow the ones already joined
        without a gap (``finished``: the indices of the chunks whose part is written).

        The join then costs the run no time of its own at the end: a long-form parquet
        join took 0.85 ms a molecule after the workers had finished (#24). Nothing is
        renamed into place until :meth:`join` has checked the whole set."""
        if self._joiner is None:
            self._joiner = FILE_TYPES[self.manifest["settings"]["suffix"]].joiner(self._joined)
        while self._next in finished:
            self._joiner.add(self.path(self._next, self.manifest["settings"]["suffix"]))
            self._next += 1

    def join(self, suffix: str, n_chunks: int, n_molecules: int) -> int:
        """Join the parts, in input order, into the output (those :meth:`join_ready` has
        not joined yet); remove the parts folder. Returns the output's size in bytes.

        Refuses an incomplete set: every chunk ``0 .. n_chunks - 1`` of the input must have
        its part and summary, and the summaries must add up to ``n_molecules``; the chunk
        count is written to the manifest first, so the set is checked against the list."""
        if not n_chunks:
            self.abandon_join()
            raise MoleculeInputError("the input holds no molecule")
        self.manifest["chunks"] = n_chunks
        (self.folder / MANIFEST).write_text(json.dumps(self.manifest, indent=1))
        done = self.done()
        missing = [i for i in range(n_chunks) if i not in done]
        found = sum(d["molecules"] for i, d in done.items() if i < n_chunks)
        if missing or found != n_molecules or self._next > n_chunks:
            self.abandon_join()
            raise IncompleteRunError(
                f"the parts in {self.folder} are incomplete (chunks missing: "
                f"{_ranges(missing) or 'none'}; {found:,} of {n_molecules:,} molecules): "
                f"{self.output} was not written. Run again with --resume to predict what is "
                "missing."
            )
        if self._joiner is not None and self._joiner.suffix != suffix:
            self.abandon_join()
        self.join_ready(set(range(n_chunks)))
        self._joiner.close()
        self._joiner = None
        os.replace(self._joined, self.output)
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.output.stat().st_size

    def abandon_join(self) -> None:
        """Drop a join in progress (a run that stops before its end): the parts stay for
        ``--resume``, the half-joined output goes."""
        if self._joiner is not None:
            self._joiner.close()
            self._joiner = None
        self._next = 0
        self._joined.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the parts folder (a run that failed before writing any part)."""
        self.abandon_join()
        shutil.rmtree(self.folder, ignore_errors=True)


class IncompleteRunError(MoleculeInputError):
    """Some parts of a run are missing: the output is not written."""


def _ranges(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:10])
    return shown + (f" and {len(indices) - 10} more" if len(indices) > 10 else "")


class OutputLock:
    """Only one run writes an output at a time: a file lock beside it (filelock), held for
    the run; a second run is refused at once with who holds it (pid, host, start)."""

    def __init__(self, output: Path) -> None:
        from filelock import FileLock

        self.output = Path(output)
        self._path = self.output.parent / f".{self.output.name}.lock"
        self._owner = self._path.with_name(self._path.name + ".owner")
        self._lock = FileLock(str(self._path), timeout=0)

    def __enter__(self) -> OutputLock:
        from filelock import Timeout

        try:
            self._lock.acquire()
        except Timeout:
            try:
                owner = json.loads(self._owner.read_text())
                who = f"process {owner['pid']} on {owner['host']}, started {owner['started']}"
            except (OSError, ValueError, KeyError):
                who = "another process"
            raise OutputPathError(
                f"{self.output} is being written by another run ({who}); wait for it to "
                "finish, or write to another file"
            ) from None
        import datetime
        import socket

        started = datetime.datetime.now().isoformat(timespec="seconds")
        self._owner.write_text(
            json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started})
        )
        return self

    def __exit__(self, *exc) -> None:
        self._owner.unlink(missing_ok=True)
        # Removed while held, so no later run finds a stale file; a run that opened it in
        # the instant before locks a file nobody else will see (three at once, never two).
        self._path.unlink(missing_ok=True)
        self._lock.release()


def write_part(table: pa.Table, path: Path, summary: dict) -> None:
    """Write one part whole, then rename it into place, then its summary (the marker that
    the part is done): a killed run never leaves a half part that counts as done."""
    tmp = path.with_name(f".{path.name}.tmp")
    _PART_WRITERS[path.suffix](table, tmp)
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


class Joiner(Protocol):
    """Joins parts, one at a time and in input order, into one output file."""

    suffix: str

    def add(self, part: Path) -> None: ...

    def close(self) -> None: ...


def write_arrow_part(table: pa.Table, path: Path) -> None:
    """A part of a parquet output: an Arrow IPC file, LZ4-compressed. Encoded once, by the
    joiner: a parquet part was encoded in the worker, decoded and encoded again in the run's
    process. On a long chunk of 500 molecules (one core) parquet wrote in 0.11-0.12 s and
    read in 0.06 s, LZ4 IPC 0.05 and 0.03, for 1.4 times the bytes (#24)."""
    with pa.ipc.new_file(path, table.schema, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)


_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


class ParquetJoiner:
    """Each part (:func:`write_arrow_part`) becomes a row group of the output; one part in
    memory at a time."""

    suffix = ".parquet"

    def __init__(self, out: Path) -> None:
        self.out = out
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def add(self, part: Path) -> None:
        with pa.OSFile(str(part), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.out, self._schema, **parquet_options(self._schema))
        schema = self._schema
        self._writer.write_table(table if table.schema.equals(schema) else table.cast(schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class CsvJoiner:
    """The parts' bytes one after the other, each part's header but the first skipped,
    copied by the kernel (``os.sendfile``), not through Python."""

    suffix = ".csv"

    def __init__(self, out: Path) -> None:
        self._target = open(out, "wb")  # noqa: SIM115 (closed by close())
        self._first = True

    def add(self, part: Path) -> None:
        with open(part, "rb") as source:
            if not self._first:
                source.readline()  # each part repeats the header
            self._first = False
            offset, size = source.tell(), os.fstat(source.fileno()).st_size
            self._target.flush()
            while offset < size:
                sent = os.sendfile(self._target.fileno(), source.fileno(), offset, size - offset)
                if not sent:
                    raise OSError(f"could not copy {part} into {self._target.name}")
                offset += sent

    def close(self) -> None:
        self._target.close()


@dataclass(frozen=True)
class FileType:
    """An output file type of ``sefreq predict``; a new one is one entry of
    :data:`FILE_TYPES`. ``write(table, path)`` writes one part, a file ending in
    ``part_suffix``; ``joiner(output)`` joins the parts, in input order, into the output
    (:class:`Joiner`); ``neutralise``: text cells a spreadsheet would run as formulas are
    quoted."""

    suffix: str
    part_suffix: str
    write: Callable[[pa.Table, Path], None]
    joiner: Callable[[Path], Joiner]
    neutralise: bool = False


FILE_TYPES: dict[str, FileType] = {
    kind.suffix: kind
    for kind in (
        FileType(".parquet", ".arrow", write_arrow_part, ParquetJoiner),
        # CSV opens in spreadsheets.
        FileType(
            ".csv",
            ".csv",
            lambda table, path: pa_csv.write_csv(table, path),
            CsvJoiner,
            neutralise=True,
        ),
    )
}
_PART_WRITERS = {kind.part_suffix: kind.write for kind in FILE_TYPES.values()}
