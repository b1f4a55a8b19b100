"""A WARC file read forward as bytes: gzip members inflated to their end, lines, blocks.

The byte layer of `archiver.warccheck`, in bounded memory (files can be 1 GB):
`Source` reads a file forward and hashes it as it goes, `inflate` yields one
gzip member's bytes and fails unless the member ends with a valid trailer
(CRC32, ISIZE), `Member` reads WARC header lines and counted blocks out of
those bytes. `next_magic` and `salvage_record_id` let a check resume after
damage and still name the record it hit.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 1 << 20  # bytes read from disk at a time, and most inflated at once
HEADER_MAX = 1 << 18  # a WARC or HTTP header block longer than this is not one
GZIP_MAGIC = b"\x1f\x8b\x08"


class Torn(Exception):
    """The file ends inside a gzip member."""


class BadGzip(Exception):
    """A gzip member that does not inflate, or whose trailer (CRC32, ISIZE) is wrong."""


class BadRecord(Exception):
    """Bytes that are not whole WARC records."""


class Short(BadRecord):
    """The bytes (of a gzip member, or of an uncompressed file) end inside a record."""


class Source:
    """A file read forward, sha256-hashed as it goes; `seek` gives up the hash."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.buf, self.pos, self.offset = fh, b"", 0, 0  # offset: of buf[pos]
        self.hash: Any = hashlib.sha256()
        self.eof = False

    def peek(self, n: int) -> memoryview:
        if len(self.buf) - self.pos < n and not self.eof:
            data = self.fh.read(max(n, CHUNK))
            self.eof = not data
            if self.hash is not None:
                self.hash.update(data)
            self.buf, self.pos = self.buf[self.pos :] + data, 0
        return memoryview(self.buf)[self.pos : self.pos + n]

    def advance(self, n: int) -> None:
        self.pos += n
        self.offset += n

    def seek(self, offset: int) -> None:
        self.fh.seek(offset)
        self.buf, self.pos, self.offset, self.hash, self.eof = b"", 0, offset, None, False


def inflate(src: Source) -> Iterator[memoryview | bytes]:
    """The inflated bytes of the gzip member at `src`, leaving `src` at the next member."""
    if bytes(src.peek(3)) != GZIP_MAGIC:
        raise BadGzip(f"not a gzip member: starts with {bytes(src.peek(3)).hex(' ')}")
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    size = 1 << 14  # small first: a member's leftover input is copied into unused_data
    while not inflater.eof:
        feed = src.peek(size)
        if not feed:
            raise Torn()
        try:
            out = inflater.decompress(feed, CHUNK)
            while True:
                if out:
                    yield out
                if inflater.eof or not inflater.unconsumed_tail:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
        except zlib.error as exc:
            raise BadGzip(str(exc).removeprefix("Error -3 while decompressing data: ")) from None
        src.advance(len(feed) - len(inflater.unused_data))
        size = min(size * 4, CHUNK)


def uncompressed(src: Source) -> Iterator[memoryview]:
    """An uncompressed file's bytes."""
    while data := src.peek(CHUNK):
        src.advance(len(data))
        yield data


class Member:
    """WARC records in a stream of bytes (a gzip member's), read as lines and counted blocks."""

    def __init__(self, pieces: Iterator[memoryview | bytes], what: str = "gzip member") -> None:
        self.pieces, self.what = pieces, what
        self.buf: bytes = b""
        self.pos = 0
        self.base = 0  # stream offset of buf[0]
        self.record_id: str | None = None  # of the record being read, once its headers are

    def tell(self) -> int:
        return self.base + self.pos

    def _more(self) -> bool:
        for piece in self.pieces:
            self.base += self.pos
            self.buf, self.pos = self.buf[self.pos :] + bytes(piece), 0
            return True
        return False

    def at_end(self) -> bool:
        return self.pos >= len(self.buf) and not self._more()

    def readline(self) -> bytes:
        while (end := self.buf.find(b"\n", self.pos)) < 0:
            if len(self.buf) - self.pos > HEADER_MAX:
                raise BadRecord("header line too long")
            if not self._more():
                raise Short(f"the {self.what} ends inside the record's headers")
        line, self.pos = self.buf[self.pos : end + 1], end + 1
        return line

    def read(self, n: int, what: str) -> Iterator[memoryview]:
        while n > 0:
            if self.pos >= len(self.buf) and not self._more():
                raise Short(f"the {self.what} ends {n} bytes before the end of {what}")
            piece = memoryview(self.buf)[self.pos : self.pos + n]
            self.pos, n = self.pos + len(piece), n - len(piece)
            yield piece

    def drain(self) -> None:
        for _ in self.pieces:
            pass


def next_magic(fh: IO[bytes], offset: int) -> int | None:
    """Offset of the next gzip header at or after `offset`, if any."""
    fh.seek(offset)
    carry = b""
    while data := fh.read(CHUNK):
        found = (carry + data).find(GZIP_MAGIC)
        if found >= 0:
            return offset - len(carry) + found
        offset += len(data)
        carry = data[-2:]
    return None


RECORD_ID = re.compile(rb"\r\nWARC-Record-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE)


def salvage_record_id(fh: IO[bytes], offset: int) -> str | None:
    """The record id in a damaged member's headers: inflate a little at a time up to the damage."""
    fh.seek(offset)
    data, inflater, out = fh.read(1 << 16), zlib.decompressobj(wbits=zlib.MAX_WBITS | 16), b""
    try:
        for at in range(0, len(data), 256):
            out += inflater.decompress(data[at : at + 256])
            if b"\r\n\r\n" in out or inflater.eof:
                break
    except zlib.error:
        pass
    found = RECORD_ID.search(out.split(b"\r\n\r\n", 1)[0])
    return found.group(1).decode("ascii", "replace") if found else None

