"""Checking one WARC file on its own: every gzip member to its end, every digest, the tail.

`warcio check` and ArchiveIterator accept a truncated ``.warc.gz`` silently
(warcio #138, #127). `scan_warc` inflates every gzip member to its end (its
trailer must be valid), recomputes every record's block and payload digests
from the bytes as stored, resumes after damage at the next gzip header, and
tells a torn tail (the file ends inside a member) from damage. One forward pass
in bounded memory, hashing the file for the manifest as it goes.
`archiver.verify` holds the archive's files to the manifest and the ledger.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .warcfile import OPEN
from .warcstream import (
    GZIP_MAGIC,
    HEADER_MAX,
    BadGzip,
    BadRecord,
    Member,
    Short,
    Source,
    Torn,
    inflate,
    next_magic,
    salvage_record_id,
    uncompressed,
)

INDEXED = ("response", "revisit")  # record types that each have a `captures` row
_HTTP_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: where (file, byte offset of the gzip member, record id), what, details."""

    file: str
    offset: int | None
    record_id: str | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = self.file + ("" if self.offset is None else f" @{self.offset}")
        where += f" {self.record_id}" if self.record_id else ""
        return f"{where}: {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class RecordInfo:
    offset: int  # of its gzip member
    length: int  # of its gzip member
    rec_type: str
    record_id: str
    url: str | None
    payload_digest: str | None
    refers_to: str | None = None  # a revisit's original
    date: str | None = None  # WARC-Date


@dataclass
class WarcScan:
    """What one pass over a WARC file found."""

    path: Path
    size: int = 0
    records: list[RecordInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete_end: int = 0  # end of the last complete gzip member: a torn tail starts here
    torn: bool = False  # the file ends inside a gzip member
    torn_record_id: str | None = None
    damaged: list[tuple[int, int]] = field(default_factory=list)  # unreadable byte ranges
    sha256: str | None = None  # of the whole file, when the pass read all of it in order


class _Digest:
    """A stated WARC digest ("sha1:BASE32", or hex) and the same digest of the bytes seen."""

    def __init__(self, stated: str | None) -> None:
        self.stated, self.hash = stated, None
        algo, _, self.value = (stated or "").partition(":")
        try:
            self.hash = hashlib.new(algo.replace("-", "").lower()) if self.value else None
        except ValueError:  # an algorithm hashlib does not know: not checked
            pass

    def update(self, data: memoryview) -> None:
        if self.hash is not None:
            self.hash.update(data)

    def mismatch(self) -> str | None:
        if self.hash is None:
            return None
        raw = self.hash.digest()
        b32 = base64.b32encode(raw).decode("ascii").rstrip("=")
        if self.value.strip().upper().rstrip("=") == b32 or self.value.strip().lower() == raw.hex():
            return None
        return f"record says {self.stated}, content is {str(self.stated).partition(':')[0]}:{b32}"


def _read_record(member: Member, name: str, offset: int) -> tuple[RecordInfo, list[Problem]]:
    if not (line := member.readline()).startswith(b"WARC/"):
        raise BadRecord(f"not a WARC record: {line[:40]!r}")
    headers: dict[str, str] = {}
    size = len(line)
    while (line := member.readline()) not in (b"\r\n", b"\n"):
        size += len(line)
        key, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep or size > HEADER_MAX:
            raise BadRecord(f"bad WARC header line {line[:60]!r}")
        headers[key.strip().lower()] = value.strip()
    member.record_id = record_id = headers.get("warc-record-id", "")
    rec_type = headers.get("warc-type", "")
    try:
        length = int(headers["content-length"])
    except (KeyError, ValueError):
        raise BadRecord("no valid Content-Length") from None
    block = _Digest(headers.get("warc-block-digest"))
    payload = _Digest(None if rec_type == "revisit" else headers.get("warc-payload-digest"))
    head = bytearray() if headers.get("content-type", "").startswith("application/http") else None
    problems = []
    for piece in member.read(length, "the record block"):
        block.update(piece)
        if head is None:
            payload.update(piece)
            continue
        if not head and (found := _HTTP_HEADER_END.search(piece)):  # the usual case: no copy
            payload.update(piece[found.end() :])
            head = None
            continue
        head += piece
        if found := _HTTP_HEADER_END.search(head):
            payload.update(memoryview(head)[found.end() :])
            head = None
        elif len(head) > HEADER_MAX:
            problems.append(Problem(name, offset, record_id, "bad-record", "endless HTTP headers"))
            payload, head = _Digest(None), None
    if b"".join(member.read(4, "the record (its closing CRLF CRLF)")) != b"\r\n\r\n":
        raise BadRecord("record block not followed by CRLF CRLF: Content-Length is wrong")
    if not record_id:
        problems.append(Problem(name, offset, None, "bad-record", "no WARC-Record-ID"))
    for kind, digest in (("block-digest", block), ("payload-digest", payload)):
        if detail := digest.mismatch():
            problems.append(Problem(name, offset, record_id, kind, detail))
    url = headers.get("warc-target-uri")
    info = RecordInfo(offset, 0, rec_type, record_id, url, headers.get("warc-payload-digest"),
                      headers.get("warc-refers-to"), headers.get("warc-date"))  # fmt: skip
    return info, problems


def _read_member(
    member: Member, name: str, offset: int
) -> tuple[list[RecordInfo], list[Problem]]:
    """Every record in the member (ours hold one); raises Torn or BadGzip for the member."""
    records, problems = [], []
    try:
        while not member.at_end():
            member.record_id = None
            record, issues = _read_record(member, name, offset)
            records.append(record)
            problems += issues
    except BadRecord as exc:
        problems.append(Problem(name, offset, member.record_id, "bad-record", str(exc)))
        member.drain()
    return records, problems


def scan_warc(path: Path) -> WarcScan:
    """Read every gzip member of `path` to its end, and every record (of plain WARCs too)."""
    name = path.name
    scan = WarcScan(path)
    damage: tuple[int, str | None, str] | None = None  # start, record id, first error

    def end_damage(end: int, resumes: bool) -> None:
        start, record_id, error = damage  # type: ignore[misc]
        scan.damaged.append((start, end))
        rest = f"reading resumes at @{end}" if resumes else "to the end of the file"
        detail = f"{error}; {end - start} bytes unreadable, {rest}"
        scan.problems.append(Problem(name, start, record_id, "bad-gzip", detail))

    with path.open("rb") as fh:
        scan.size = os.fstat(fh.fileno()).st_size
        src = Source(fh)
        plain = bool(src.peek(1)) and bytes(src.peek(3)) != GZIP_MAGIC and ".warc.gz" not in name
        while src.peek(1) and not plain:
            start = src.offset
            member = Member(inflate(src))
            try:
                records, problems = _read_member(member, name, start)
            except Torn:
                if damage is None:  # a torn tail; after damage, a false gzip header
                    scan.torn, scan.torn_record_id = True, member.record_id
                break
            except BadGzip as exc:
                record_id = member.record_id or salvage_record_id(fh, start)
                damage = damage or (start, record_id, str(exc))
                src.seek(next_magic(fh, start + 1) or scan.size)
                continue
            if damage is not None:
                end_damage(start, True)
                damage = None
            scan.records += [replace(r, length=src.offset - start) for r in records]
            scan.problems += problems
            scan.complete_end = src.offset
        if damage is not None:
            end_damage(scan.size, False)
        if plain:
            _scan_plain(src, scan)
        if src.hash is not None and src.eof:
            scan.sha256 = src.hash.hexdigest()
    if name.endswith(OPEN):  # whatever follows its last complete member is a torn tail
        tail = scan.size - scan.complete_end
        detail = (
            f"left open by a crawl that did not finish it: {len(scan.records)} complete records, "
            + (f"torn tail of {tail} bytes from @{scan.complete_end}" if tail else "no torn tail")
        )
        where = scan.complete_end if tail else None
        scan.problems.append(Problem(name, where, scan.torn_record_id, "open-file", detail))
    elif scan.torn:
        what = "record" if plain else "gzip member"
        detail = f"the file ends inside this {what}, {scan.size - scan.complete_end} bytes in"
        scan.problems.append(
            Problem(name, scan.complete_end, scan.torn_record_id, "truncated-member", detail)
        )
    return scan


def _scan_plain(src: Source, scan: WarcScan) -> None:
    """An uncompressed WARC (an imported ``.warc``): records back to back, no resync."""
    stream = Member(uncompressed(src), "file")
    start = 0
    try:
        while not stream.at_end():
            start, stream.record_id = stream.tell(), None
            record, problems = _read_record(stream, scan.path.name, start)
            scan.records.append(replace(record, length=stream.tell() - start))
            scan.problems += problems
            scan.complete_end = stream.tell()
    except Short:
        scan.torn, scan.torn_record_id = True, stream.record_id
    except BadRecord as exc:
        scan.damaged.append((start, scan.size))
        detail = f"{exc}; the rest of the file ({scan.size - start} bytes) is not read"
        scan.problems.append(Problem(scan.path.name, start, stream.record_id, "bad-record", detail))
        stream.drain()


def check_warc(path: Path) -> list[Problem]:
    """Everything wrong with one WARC file on its own (no manifest, no ledger)."""
    return scan_warc(path).problems
