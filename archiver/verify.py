"""Checking an archive end to end: every WARC file, a manifest, the ledger both ways.

Each file is checked on its own by `archiver.warccheck` (gzip members to their
end, digests, torn tails). Here closed files are held to a sha256 manifest
(``warc/MANIFEST.sha256``), and every `captures` row must resolve to its record
(and every response or revisit record to its row).

`verify(..., repair=True)` hands what it found to `archiver.repair`: ``.open``
files left by a killed crawl are closed (the torn tail is moved to
``warc/damaged/``, never deleted) and missing `captures` rows are rebuilt, with
their threads, from the records; then the archive is checked again. Damage
inside a closed file is reported, never "repaired".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .reextract import WARC_SUFFIXES
from .repair import DAMAGED_DIR, repair_archive
from .warccheck import INDEXED, Problem, RecordInfo, WarcScan, check_warc, scan_warc
from .warcfile import OPEN, fsync_dir, sha256_file

__all__ = ["MANIFEST", "Problem", "Report", "check_warc", "scan_warc", "verify", "warc_paths"]

MANIFEST = "MANIFEST.sha256"
Index = dict[str, tuple[WarcScan, RecordInfo]]  # record id -> where it is


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
    return sorted(p for p in warc_dir.iterdir() if p.name.endswith(WARC_SUFFIXES) and p.is_file())


def verify(data_dir: Path, *, repair: bool = False) -> Report:
    """Check DATA/warc and DATA/archive.db; with `repair`, fix what can be fixed, then check again.

    A plain check writes one thing: sha256 entries in DATA/warc/MANIFEST.sha256 for
    closed files that checked clean and are not listed yet.
    """
    report = _check(Path(data_dir))
    if repair and not report.ok:
        repaired = repair_archive(Path(data_dir), report.scans, report.unindexed)
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
        elif (actual := scan.sha256 or sha256_file(scan.path)) != digest:
            detail = f"sha256 is {actual}, {MANIFEST} says {digest}: changed since it was closed"
            report.problems.append(Problem(name, None, None, "manifest-mismatch", detail))
    new = [
        f"{scan.sha256 or sha256_file(scan.path)}  {name}\n"
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
    fsync_dir(path.parent)


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

