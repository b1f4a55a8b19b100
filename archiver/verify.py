"""Checking an archive end to end: gzip members, WARC digests, a manifest, the ledger.

`warcio check` and ArchiveIterator accept a truncated ``.warc.gz`` silently
(warcio #138, #127). Here every gzip member is inflated to its end and must close
with a valid trailer (CRC32 and ISIZE), every record's block and payload digests
are recomputed from the bytes as stored, closed files are held to a sha256
manifest, and every `captures` row must resolve to its record (and every
response or revisit record to its row). One forward pass per file in bounded
memory: files can be 1 GB.

`verify(..., repair=True)` closes ``.open`` files left by a killed crawl (the
torn tail is moved to ``warc/damaged/``, never deleted) and rebuilds missing
`captures` rows, with their threads, from the records. Damage inside a closed
file is reported, never "repaired".
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from .page import Page
from .store import Store  # the only writes to archive.db (repairs) go through Store

CHUNK = 1 << 20  # bytes read from disk at a time, and most inflated at once
HEADER_MAX = 1 << 18  # a WARC or HTTP header block longer than this is not one
GZIP_MAGIC = b"\x1f\x8b\x08"
MANIFEST = "MANIFEST.sha256"
DAMAGED_DIR = "damaged"
OPEN = ".open"
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


Index = dict[str, tuple[WarcScan, RecordInfo]]  # record id -> where it is


class _Torn(Exception):
    """The file ends inside a gzip member."""


class _BadGzip(Exception):
    """A gzip member that does not inflate, or whose trailer (CRC32, ISIZE) is wrong."""


class _BadRecord(Exception):
    """Bytes that are not whole WARC records."""


class _Short(_BadRecord):
    """The bytes (of a gzip member, or of an uncompressed file) end inside a record."""


class _Source:
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


def _inflate(src: _Source) -> Iterator[memoryview | bytes]:
    """The inflated bytes of the gzip member at `src`, leaving `src` at the next member."""
    if bytes(src.peek(3)) != GZIP_MAGIC:
        raise _BadGzip(f"not a gzip member: starts with {bytes(src.peek(3)).hex(' ')}")
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    size = 1 << 14  # small first: a member's leftover input is copied into unused_data
    while not inflater.eof:
        feed = src.peek(size)
        if not feed:
            raise _Torn()
        try:
            out = inflater.decompress(feed, CHUNK)
            while True:
                if out:
                    yield out
                if inflater.eof or not inflater.unconsumed_tail:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
        except zlib.error as exc:
            raise _BadGzip(str(exc).removeprefix("Error -3 while decompressing data: ")) from None
        src.advance(len(feed) - len(inflater.unused_data))
        size = min(size * 4, CHUNK)


def _plain(src: _Source) -> Iterator[memoryview]:
    """An uncompressed file's bytes."""
    while data := src.peek(CHUNK):
        src.advance(len(data))
        yield data


class _Member:
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
                raise _BadRecord("header line too long")
            if not self._more():
                raise _Short(f"the {self.what} ends inside the record's headers")
        line, self.pos = self.buf[self.pos : end + 1], end + 1
        return line

    def read(self, n: int, what: str) -> Iterator[memoryview]:
        while n > 0:
            if self.pos >= len(self.buf) and not self._more():
                raise _Short(f"the {self.what} ends {n} bytes before the end of {what}")
            piece = memoryview(self.buf)[self.pos : self.pos + n]
            self.pos, n = self.pos + len(piece), n - len(piece)
            yield piece

    def drain(self) -> None:
        for _ in self.pieces:
            pass


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


def _read_record(member: _Member, name: str, offset: int) -> tuple[RecordInfo, list[Problem]]:
    if not (line := member.readline()).startswith(b"WARC/"):
        raise _BadRecord(f"not a WARC record: {line[:40]!r}")
    headers: dict[str, str] = {}
    size = len(line)
    while (line := member.readline()) not in (b"\r\n", b"\n"):
        size += len(line)
        key, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep or size > HEADER_MAX:
            raise _BadRecord(f"bad WARC header line {line[:60]!r}")
        headers[key.strip().lower()] = value.strip()
    member.record_id = record_id = headers.get("warc-record-id", "")
    rec_type = headers.get("warc-type", "")
    try:
        length = int(headers["content-length"])
    except (KeyError, ValueError):
        raise _BadRecord("no valid Content-Length") from None
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
        raise _BadRecord("record block not followed by CRLF CRLF: Content-Length is wrong")
    if not record_id:
        problems.append(Problem(name, offset, None, "bad-record", "no WARC-Record-ID"))
    for kind, digest in (("block-digest", block), ("payload-digest", payload)):
        if detail := digest.mismatch():
            problems.append(Problem(name, offset, record_id, kind, detail))
    url = headers.get("warc-target-uri")
    info = RecordInfo(offset, 0, rec_type, record_id, url, headers.get("warc-payload-digest"),
                      headers.get("warc-refers-to"))  # fmt: skip
    return info, problems


def _read_member(
    member: _Member, name: str, offset: int
) -> tuple[list[RecordInfo], list[Problem]]:
    """Every record in the member (ours hold one); raises _Torn or _BadGzip for the member."""
    records, problems = [], []
    try:
        while not member.at_end():
            member.record_id = None
            record, issues = _read_record(member, name, offset)
            records.append(record)
            problems += issues
    except _BadRecord as exc:
        problems.append(Problem(name, offset, member.record_id, "bad-record", str(exc)))
        member.drain()
    return records, problems


def _next_magic(fh: IO[bytes], offset: int) -> int | None:
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


_RECORD_ID = re.compile(rb"\r\nWARC-Record-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE)


def _salvage_record_id(fh: IO[bytes], offset: int) -> str | None:
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
    found = _RECORD_ID.search(out.split(b"\r\n\r\n", 1)[0])
    return found.group(1).decode("ascii", "replace") if found else None


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
        src = _Source(fh)
        plain = bool(src.peek(1)) and bytes(src.peek(3)) != GZIP_MAGIC and ".warc.gz" not in name
        while src.peek(1) and not plain:
            start = src.offset
            member = _Member(_inflate(src))
            try:
                records, problems = _read_member(member, name, start)
            except _Torn:
                if damage is None:  # a torn tail; after damage, a false gzip header
                    scan.torn, scan.torn_record_id = True, member.record_id
                break
            except _BadGzip as exc:
                record_id = member.record_id or _salvage_record_id(fh, start)
                damage = damage or (start, record_id, str(exc))
                src.seek(_next_magic(fh, start + 1) or scan.size)
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
    if name.endswith(OPEN):
        tail = scan.size - scan.complete_end if scan.torn else 0
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


def _scan_plain(src: _Source, scan: WarcScan) -> None:
    """An uncompressed WARC (an imported ``.warc``): records back to back, no resync."""
    stream = _Member(_plain(src), "file")
    start = 0
    try:
        while not stream.at_end():
            start, stream.record_id = stream.tell(), None
            record, problems = _read_record(stream, scan.path.name, start)
            scan.records.append(replace(record, length=stream.tell() - start))
            scan.problems += problems
            scan.complete_end = stream.tell()
    except _Short:
        scan.torn, scan.torn_record_id = True, stream.record_id
    except _BadRecord as exc:
        scan.damaged.append((start, scan.size))
        detail = f"{exc}; the rest of the file ({scan.size - start} bytes) is not read"
        scan.problems.append(Problem(scan.path.name, start, stream.record_id, "bad-record", detail))
        stream.drain()


def check_warc(path: Path) -> list[Problem]:
    """Everything wrong with one WARC file on its own (no manifest, no ledger)."""
    return scan_warc(path).problems


# -- the archive: files, manifest, ledger ---------------------------------------------


@dataclass
class Report:
    files: int = 0
    records: int = 0
    captures: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    scans: list[WarcScan] = field(default_factory=list, repr=False)
    unindexed: dict[Path, list[RecordInfo]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        n = len(self.problems)
        verdict = "OK" if self.ok else f"{n} problem{'s' * (n != 1)}"
        counts = f"{self.files} files, {self.records} records, {self.captures} captures"
        return f"{counts} checked: {verdict}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "records": self.records,
            "captures": self.captures,
            "problems": [asdict(p) for p in self.problems],
            "repaired": self.repaired,
        }


def warc_paths(warc_dir: Path) -> list[Path]:
    """The archive's WARC files, closed (``.warc.gz``, ``.warc``) or left open (``….open``)."""
    if not warc_dir.is_dir():
        return []
    names = (".warc", ".warc.gz", ".warc" + OPEN, ".warc.gz" + OPEN)
    return sorted(p for p in warc_dir.iterdir() if p.name.endswith(names) and p.is_file())


def verify(data_dir: Path, *, repair: bool = False) -> Report:
    """Check DATA/warc and DATA/archive.db; with `repair`, fix what can be fixed, then check again.

    A plain check writes one thing: sha256 entries in DATA/warc/MANIFEST.sha256 for
    closed files that checked clean and are not listed yet.
    """
    report = _check(Path(data_dir))
    if repair and not report.ok:
        repaired = _repair(Path(data_dir), report)
        report = _check(Path(data_dir))
        report.repaired = repaired
    return report


def _check(data_dir: Path) -> Report:
    report = Report()
    warc_dir = data_dir / "warc"
    for path in warc_paths(warc_dir):
        scan = scan_warc(path)
        report.scans.append(scan)
        report.problems += scan.problems
        report.records += len(scan.records)
    report.files = len(report.scans)
    _check_manifest(warc_dir, report)
    _check_ledger(data_dir / "archive.db", report)
    return report


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while data := fh.read(CHUNK):
            digest.update(data)
    return digest.hexdigest()


def _check_manifest(warc_dir: Path, report: Report) -> None:
    path = warc_dir / MANIFEST
    listed: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            digest, sep, name = line.partition("  ")
            if sep and not line.startswith("#"):
                listed[name.lstrip("*")] = digest.lower()
    closed = {s.path.name: s for s in report.scans if not s.path.name.endswith(OPEN)}
    for name, digest in listed.items():
        if (scan := closed.get(name)) is None:
            detail = f"listed in {MANIFEST} but not in {warc_dir}"
            report.problems.append(Problem(name, None, None, "missing-file", detail))
        elif (actual := scan.sha256 or _sha256_file(scan.path)) != digest:
            detail = f"sha256 is {actual}, {MANIFEST} says {digest}: changed since it was closed"
            report.problems.append(Problem(name, None, None, "manifest-mismatch", detail))
    new = [
        f"{scan.sha256 or _sha256_file(scan.path)}  {name}\n"
        for name, scan in closed.items()
        if name not in listed and not scan.problems
    ]
    if new:
        old = path.read_text() if path.exists() else ""
        _write_durably(path, old + ("\n" if old and not old.endswith("\n") else "") + "".join(new))


def _write_durably(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


INDEXED = ("response", "revisit")  # record types that each have a `captures` row


def _captures(db_path: Path) -> Iterator[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)  # verify writes no row
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(captures)")}
        record_type = "record_type" if "record_type" in columns else "NULL"  # older archives
        yield from db.execute(
            "SELECT id, url, warc_file, warc_offset, warc_length, warc_record_id, payload_digest, "
            f"{record_type} FROM captures ORDER BY id"
        )
    finally:
        db.close()


def _check_ledger(db_path: Path, report: Report) -> None:
    """Every `captures` row resolves to its record; every response and revisit has a row."""
    index: Index = {}
    for scan in report.scans:
        for record in scan.records:
            if record.record_id in index:
                detail = f"also in {index[record.record_id][0].path.name}"
                where = (scan.path.name, record.offset, record.record_id)
                report.problems.append(Problem(*where, "duplicate-record-id", detail))
            index.setdefault(record.record_id, (scan, record))
    for scan in report.scans:
        for record in scan.records:
            if record.rec_type != "revisit":
                continue
            original = index.get(record.refers_to or "")
            if original is None or original[1].rec_type != "response":
                where = (scan.path.name, record.offset, record.record_id)
                detail = f"revisit of {record.refers_to}: no such response record in the archive"
                report.problems.append(Problem(*where, "missing-original", detail))
    if not db_path.exists():
        for scan in report.scans:
            if records := [r for r in scan.records if r.rec_type in INDEXED]:
                report.unindexed[scan.path] = records
        if report.unindexed:
            detail = "no archive.db: no response record is indexed; --repair rebuilds it"
            report.problems.append(Problem(db_path.name, None, None, "no-ledger", detail))
        return
    by_name = {s.path.name.removesuffix(OPEN): s for s in report.scans}
    seen: set[str] = set()
    try:
        for row in _captures(db_path):
            report.captures += 1
            seen.add(row[5])
            if problem := _check_capture(row, index, by_name):
                report.problems.append(problem)
    except sqlite3.Error as exc:
        detail = f"cannot read captures: {exc}"
        report.problems.append(Problem(db_path.name, None, None, "no-ledger", detail))
        return
    for scan in report.scans:
        for record in scan.records:
            if record.rec_type in INDEXED and record.record_id not in seen:
                report.unindexed.setdefault(scan.path, []).append(record)
                where = (scan.path.name, record.offset, record.record_id)
                detail = f"{record.rec_type} for {record.url}"
                report.problems.append(Problem(*where, "not-in-captures", detail))


def _check_capture(
    row: tuple[Any, ...], index: Index, by_name: dict[str, WarcScan]
) -> Problem | None:
    row_id, url, file, offset, length, record_id, digest, rec_type = row

    def problem(kind: str, detail: str) -> Problem:
        detail = f"captures row {row_id} ({url}): {detail}"
        return Problem(file or "-", offset, record_id, kind, detail)

    missing = "capture-missing-record"
    if not file:
        return problem(missing, "names no WARC file")
    if (scan := by_name.get(file)) is None:
        return problem(missing, f"{file} is not in the WARC directory")
    found = index.get(record_id)
    if found is not None and found[0] is not scan:
        where = f"{found[0].path.name} @{found[1].offset}"
        return problem("capture-mismatch", f"the record is in {where}")
    if found is None:
        for start, end in scan.damaged + ([(scan.complete_end, scan.size)] if scan.torn else []):
            if start <= (offset or 0) < end:
                return problem(missing, f"its record is in unreadable bytes @{start}-{end}")
        detail = f"no record with this id in {scan.path.name}"
        if (offset or 0) >= scan.size:
            detail = f"@{offset} is past the end of {scan.path.name} ({scan.size} bytes)"
        if tails := sorted((scan.path.parent / DAMAGED_DIR).glob(f"{file}.tail*")):
            detail += f"; bytes cut from it by a repair are in {DAMAGED_DIR}/{tails[0].name}"
        return problem(missing, detail)
    record = found[1]
    wrong = [
        f"{what} {ours!r} in captures, {theirs!r} in the WARC"
        for what, ours, theirs in (
            ("offset", offset, record.offset),
            ("length", length, record.length),
            ("url", url, record.url),
            ("payload digest", digest, record.payload_digest),
            ("record type", rec_type or record.rec_type, record.rec_type),
        )
        if ours != theirs
    ]
    return problem("capture-mismatch", "; ".join(wrong)) if wrong else None


# -- repair ------------------------------------------------------------------------------


def _repair(data_dir: Path, report: Report) -> list[str]:
    """Close crash leftovers (torn tail moved aside, never deleted); rebuild missing rows."""
    done = []
    closed: dict[Path, Path] = {}
    for scan in report.scans:
        if scan.path.name.endswith(OPEN):
            message, final = _close_open_file(scan)
            done.append(message)
            if final is not None:
                closed[scan.path] = final
    if report.unindexed:
        where = {r.record_id: (scan, r) for scan in report.scans for r in scan.records}
        missing = [(path, r) for path, records in report.unindexed.items() for r in records]
        missing.sort(key=lambda item: item[1].rec_type != "response")  # originals first
        store = Store(data_dir / "archive.db")
        try:
            done.append(_rebuild_rows(store, missing, where, closed))
        finally:
            store.close()
    return done


def _close_open_file(scan: WarcScan) -> tuple[str, Path | None]:
    """Cut `scan.path` after its last complete member, keep the tail in damaged/, rename it."""
    path = scan.path
    final = path.with_name(path.name.removesuffix(OPEN))
    if final.exists():
        return f"{path.name}: left as is: {final.name} exists too", None
    with path.open("r+b") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return f"{path.name}: left as is: a running crawl holds it", None
        except ImportError:  # not on Unix: no lock to ask
            pass
        size = os.fstat(fh.fileno()).st_size
        if size != scan.size:
            return f"{path.name}: left as is: it grew while checked (is a crawl writing it?)", None
        cut = scan.complete_end if scan.torn else size
        if cut == size:
            note = "no torn tail"
        else:
            damaged = path.parent / DAMAGED_DIR
            damaged.mkdir(exist_ok=True)
            tail = _free_name(damaged / f"{final.name}.tail")
            fh.seek(cut)
            with tail.open("xb") as out:
                shutil.copyfileobj(fh, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            _fsync_dir(damaged)
            note = f"moved its torn tail ({size - cut} bytes from @{cut}) to "
            note += f"{DAMAGED_DIR}/{tail.name}"
            if cut == 0:  # nothing complete in it: the tail is the whole file
                os.unlink(path)
                _fsync_dir(path.parent)
                return f"{path.name}: no complete record; {note}", None
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(path, final)  # still holding the lock
    _fsync_dir(path.parent)
    return f"{path.name}: {note}; closed as {final.name} ({len(scan.records)} records)", final


def _free_name(path: Path) -> Path:
    """`path`, or `path.1`, `path.2`… if taken: a repair never overwrites kept bytes."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


def _rebuild_rows(store: Store, records: list[tuple[Path, RecordInfo]], where: Index,
                  closed: dict[Path, Path]) -> str:  # fmt: skip
    """Add the `captures` rows of these records, and read their threads, as reextract does.

    Each record is read at its offset; a revisit's page is its original's payload
    at the revisit's URL and time, and its row points at the original's row. A 304
    has no payload: its row is rebuilt, its thread was read from an earlier capture.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.recordloader import ArchiveLoadFailed

    from .harvest import harvest
    from .items import ErrorItem, ThreadItem
    from .reextract import page_from_record, read_page

    added = threads = 0
    failed = []
    for path, record in records:
        path = closed.get(path, path)
        try:
            with path.open("rb") as fh:
                fh.seek(record.offset)
                warc = next(iter(ArchiveIterator(fh)))
                page = page_from_record(warc)
            harvested: Page | None = page if page.status != 304 else None  # 304: no payload
            original = where.get(record.refers_to or "")
            if record.rec_type == "revisit":
                harvested = original and replace(
                    read_page(closed.get(original[0].path, original[0].path), original[1].offset),
                    url=page.url, fetched_at=page.fetched_at,
                )  # fmt: skip
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, StopIteration) as exc:
            failed.append(f"{path.name} @{record.offset}: {exc!r}")
            continue
        header = page.headers.get
        row: dict[str, Any] = dict(
            url=page.url, status=page.status, fetched_at=page.fetched_at,
            content_type=header("content-type"), warc_file=path.name.removesuffix(OPEN),
            warc_offset=record.offset, warc_length=record.length,
            warc_record_id=record.record_id, payload_digest=record.payload_digest,
            record_type=record.rec_type, warc_date=warc.rec_headers.get_header("WARC-Date"),
            etag=header("etag"), last_modified=header("last-modified"),
        )  # fmt: skip
        if record.rec_type == "revisit":
            sql = "SELECT id FROM captures WHERE warc_record_id = ?"
            found = store.db.execute(sql, [record.refers_to]).fetchone()
            row["refers_to"] = found[0] if found else None
        capture_id = store.add_capture(crawl_id=None, **row)
        added += 1
        result = harvest(replace(harvested, capture_id=capture_id)) if harvested else None
        if isinstance(result, ThreadItem):
            store.save_thread(result.thread, capture_id, result.seen_at)
            threads += 1
        elif isinstance(result, ErrorItem) and not _has_error(store, result.url, result.kind):
            store.add_error(None, result.url, result.kind, result.detail, capture_id)
    files = len({path for path, _ in records})
    note = f"; could not read {len(failed)}: {', '.join(failed)}" if failed else ""
    return f"rebuilt {added} captures rows from {files} WARC files ({threads} thread pages){note}"


def _has_error(store: Store, url: str, kind: str) -> bool:
    sql = "SELECT 1 FROM errors WHERE url = ? AND kind = ? LIMIT 1"
    return store.db.execute(sql, [url, kind]).fetchone() is not None
