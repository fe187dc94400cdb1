"""The bytes of a screening input, checked as they are read: bounded, UTF-8, located.

Every reader of :mod:`sefreq.screen.reader` goes through :func:`open_input`, so no input file
can hold more in memory than one record or run for long without a line of output:

- a gzip file may expand to at most :data:`MAX_GZIP_RATIO` times its size (a bomb of 23 MB
  that expands to 5 GB is refused after a fraction of a second, not after 3 GB of memory);
  a truncated or damaged gzip stream is an error, not an ``EOFError``;
- a line may be at most :data:`MAX_LINE_BYTES` long (a 5 GB "line" of zeros is never held),
  and a million lines must average :data:`MIN_LINE_BYTES` (a file of newlines is refused);
- the text must be UTF-8 (a byte-order mark is dropped; UTF-16 with a byte-order mark is
  read as such); anything else is refused with the line it is on, never replaced with U+FFFD.

Each refusal is one :class:`~sefreq.chem.io.MoleculeInputError` that names the file, the line
and the cap.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path

from sefreq.chem.io import MoleculeInputError

#: A gzip input may expand to at most this many times its compressed size. SMILES and SDF
#: libraries compress 3-10 times; a "bomb" of zeros compresses about 1,000 times.
MAX_GZIP_RATIO = 100
#: The longest line an input may hold (a CSV row, a SMILES line, a line of an SDF record).
MAX_LINE_BYTES = 1_000_000
#: Past a million lines, a file whose lines average fewer bytes than this is blank lines
#: (a gzip of newlines expands 1,000 times, and iterating it took 35 s before the ratio
#: cap stopped it). The shortest molecule line, "C", is two bytes; libraries average 40+.
MIN_LINE_BYTES = 4
_MANY_LINES = 1_000_000
_BLOCK = 1 << 19  # under MAX_LINE_BYTES: a line inside one block is within the cap


class CheckedInput(io.RawIOBase):
    """A read-only binary stream over an input file (gzip or not, UTF-8 or UTF-16 with a
    byte-order mark), yielding UTF-8 bytes and raising :class:`MoleculeInputError` at the
    first breach of the caps above. ``line``: the 1-based line being read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        head = self._file.read(2)
        self._file.seek(0)
        self.compressed = head == b"\x1f\x8b"
        size = self.path.stat().st_size
        self._limit = MAX_GZIP_RATIO * size + _BLOCK if self.compressed else None
        self._source = (
            gzip.GzipFile(fileobj=self._file, mode="rb") if self.compressed else self._file
        )
        self._raw = 0  # bytes read from the (decompressed) source
        self._recoded: _Utf16 | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._line = 1
        self._run = 0  # bytes since the last line feed
        self._started = False
        self._pending = b""

    @property
    def line(self) -> int:
        return self._line

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._source.close()
            self._file.close()
        super().close()

    # -- the checks -------------------------------------------------------------------------

    def _fail(self, what: str) -> MoleculeInputError:
        return MoleculeInputError(f"{self.path.name}, line {self._line:,}: {what}")

    def _read_source(self, size: int) -> bytes:
        try:
            data = self._source.read(size)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise self._fail(
                f"the gzip stream is truncated or damaged ({error}); the file is incomplete"
            ) from None
        self._raw += len(data)
        if self._limit is not None and self._raw > self._limit:
            raise self._fail(
                f"the gzip file expands to more than {MAX_GZIP_RATIO} times its size "
                f"({self._raw / 1e6:,.0f} MB so far from {self.path.stat().st_size / 1e6:,.1f} "
                "MB): it is refused as a decompression bomb. Decompress it yourself if it is "
                "a real library."
            )
        return data

    def _read(self, size: int) -> bytes:
        size = min(size, _BLOCK)  # no block holds a whole line longer than the cap
        if not self._started:
            self._started = True
            head = self._read_source(4)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self._recoded = _Utf16(head, self)
            elif head.startswith(codecs.BOM_UTF8):
                head = head[len(codecs.BOM_UTF8) :]
            self._pending = head
        if self._recoded is not None:
            data = self._recoded.read(size)
        else:
            data = self._pending + self._read_source(max(0, size - len(self._pending)))
            self._pending = b""
        self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        try:
            self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            self._line += data.count(b"\n", 0, error.start)
            byte = data[error.start : error.start + 1]
            raise self._fail(
                f"the text is not UTF-8 (byte 0x{byte.hex() or '??'}); save the file as UTF-8"
            ) from None
        first = data.find(b"\n")
        if first < 0:
            self._run += len(data)
        elif self._run + first > MAX_LINE_BYTES:
            self._run += first
        else:  # a line inside one block is shorter than the block, so shorter than the cap
            self._line += data.count(b"\n")
            self._run = len(data) - data.rfind(b"\n") - 1
        if self._line > _MANY_LINES and self._raw < MIN_LINE_BYTES * self._line:
            raise self._fail(
                f"over {_MANY_LINES:,} lines of fewer than {MIN_LINE_BYTES} bytes on average "
                "(blank lines): this is not a molecule file"
            )
        if self._run > MAX_LINE_BYTES:
            raise self._fail(
                f"a line longer than {MAX_LINE_BYTES / 1e6:.0f} MB; one record (a CSV row, a "
                "SMILES line, a line of an SDF) may be at most that long"
            )


class _Utf16:
    """UTF-16 text (with its byte-order mark) read as UTF-8 bytes, block by block."""

    def __init__(self, first: bytes, owner: CheckedInput) -> None:
        self._owner = owner
        self._decoder = codecs.getincrementaldecoder("utf-16")("strict")
        self._buffer = b""
        self._first: bytes | None = first
        self._done = False

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size and not self._done:
            block = self._first if self._first is not None else self._owner._read_source(_BLOCK)
            self._first = None
            try:
                text = self._decoder.decode(block, final=not block)
            except UnicodeDecodeError:
                raise self._owner._fail("the text is broken UTF-16; save it as UTF-8") from None
            self._buffer += text.encode("utf-8")
            self._done = not block
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def open_input(path: Path | str) -> io.BufferedReader:
    """The checked bytes of ``path`` (:class:`CheckedInput`), buffered."""
    return io.BufferedReader(CheckedInput(Path(path)), buffer_size=_BLOCK)


def open_text(path: Path | str) -> io.TextIOWrapper:
    """:func:`open_input` as text (UTF-8, the checks already made; newlines kept as
    written, as the csv module wants)."""
    return io.TextIOWrapper(open_input(path), encoding="utf-8", newline="")
