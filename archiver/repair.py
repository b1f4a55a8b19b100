"""Repairing what a killed crawl left: ``.open`` WARC files and missing `captures` rows.

`close_open_file` cuts an ``.open`` file after its last complete gzip member,
keeps the cut bytes in ``warc/damaged/`` (never deleted) and renames the file to
its final name. It first takes the writer's lock (`archiver.warcfile`), so a file
a live crawl is writing is left as is. `rebuild_rows` adds the `captures` rows
of records that have none, reading each record at its offset as `reextract`
does.

Two callers: `archiver verify --repair` (`repair_archive`: every leftover, every
missing row, with its thread) and a resumed crawl (`finish_crawl_files`: that
crawl's own leftovers, before its new writer opens). Damage inside a closed
file is never "repaired".
"""

from __future__ import annotations

import os
import shutil
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from warcio.recordloader import ArchiveLoadFailed

from .harvest import harvest
from .items import ErrorItem, ThreadItem
from .page import Page
from .reextract import read_page
from .store import Store  # the only writes to archive.db (repairs) go through Store
from .warccheck import INDEXED, RecordInfo, WarcScan, scan_warc
from .warcfile import OPEN, fsync_dir, lock_exclusive, open_files
from .warcstream import CHUNK

DAMAGED_DIR = "damaged"
Where = dict[str, tuple[Path, int]]  # record id -> the file it is in now, offset (as reextract)


def repair_archive(
    data_dir: Path, scans: list[WarcScan], unindexed: dict[Path, list[RecordInfo]]
) -> list[str]:
    """Close crash leftovers (torn tail moved aside); rebuild missing rows with their threads."""
    done = []
    closed: dict[Path, Path] = {}
    for scan in scans:
        if scan.path.name.endswith(OPEN):
            message, final = close_open_file(scan)
            done.append(message)
            if final is not None:
                closed[scan.path] = final
    if unindexed:
        where = {r.record_id: (closed.get(s.path, s.path), r.offset) for s in scans
                 for r in s.records}  # fmt: skip
        missing = [(closed.get(p, p), r) for p, records in unindexed.items() for r in records]
        store = Store(data_dir / "archive.db")
        try:
            done.append(rebuild_rows(store, missing, where))
        finally:
            store.close()
    return done


def finish_crawl_files(warc_dir: Path, prefix: str, store: Store, crawl_id: int) -> list[str]:
    """Close the ``.open`` files a killed crawl left (named PREFIX-…), and add its lost rows.

    Only that crawl's files: another crawl may be writing its own. A record the
    crash left without a `captures` row gets one for `crawl_id`, without reading
    its thread: the resumed crawl reads that page back from the WARC, as it does
    every page it had archived.
    """
    done = []
    for path in open_files(warc_dir, prefix):
        scan = scan_warc(path)
        message, final = close_open_file(scan)
        done.append(message)
        if final is not None:
            sql = "SELECT warc_record_id FROM captures WHERE warc_file = ?"
            known = {row[0] for row in store.db.execute(sql, [final.name])}
            lost = [r for r in scan.records if r.rec_type in INDEXED and r.record_id not in known]
            if lost:
                done.append(rebuild_rows(store, [(final, r) for r in lost], crawl_id=crawl_id))
    return done


def close_open_file(scan: WarcScan) -> tuple[str, Path | None]:
    """Cut `scan.path` after its last complete member, keep the tail in damaged/, rename it.

    Returns what was done and the file's new path (None: left as is, or removed).
    """
    path = scan.path
    final = path.with_name(path.name.removesuffix(OPEN))
    if final.exists():
        return f"{path.name}: left as is: {final.name} exists too", None
    try:
        fh = path.open("r+b")
    except FileNotFoundError:
        return f"{path.name}: left as is: gone since checked (closed by its crawl?)", None
    with fh:
        if not lock_exclusive(fh):
            return f"{path.name}: left as is: a running crawl holds it", None
        stat = os.fstat(fh.fileno())
        if stat.st_size != scan.size or not _still_named(path, stat):
            return f"{path.name}: left as is: it changed since checked (a crawl writing it?)", None
        size, cut = stat.st_size, scan.complete_end
        if cut == size:
            note = "no torn tail"
        else:
            tail = _keep_tail(fh, cut, path.parent / DAMAGED_DIR, final.name)
            note = f"moved its torn tail ({size - cut} bytes from @{cut}) to "
            note += f"{DAMAGED_DIR}/{tail.name}"
            if cut == 0:  # nothing complete in it: the tail is the whole file
                os.unlink(path)
                fsync_dir(path.parent)
                return f"{path.name}: no complete record; {note}", None
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(path, final)  # still holding the lock
    fsync_dir(path.parent)
    return f"{path.name}: {note}; closed as {final.name} ({len(scan.records)} records)", final


def _still_named(path: Path, stat: os.stat_result) -> bool:
    """Whether `path` still names the file `stat` describes (its writer may have renamed it)."""
    try:
        return os.path.samestat(os.stat(path), stat)
    except FileNotFoundError:
        return False


def _keep_tail(fh: Any, cut: int, damaged: Path, name: str) -> Path:
    """Copy `fh` from `cut` to its end into DAMAGED/NAME.tail (or .tail.1, …), durably."""
    damaged.mkdir(exist_ok=True)
    tail, n = damaged / f"{name}.tail", 0
    while tail.exists():  # a repair never overwrites kept bytes
        n += 1
        tail = damaged / f"{name}.tail.{n}"
    fh.seek(cut)
    with tail.open("xb") as out:
        shutil.copyfileobj(fh, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())
    fsync_dir(damaged)
    return tail


def rebuild_rows(store: Store, records: list[tuple[Path, RecordInfo]], where: Where | None = None,
                 crawl_id: int | None = None) -> str:  # fmt: skip
    """Add the `captures` rows of these records; with `where`, read their threads too.

    Each record is read at its offset (`reextract.read_page`); a revisit's page is
    its original's payload (found through `where`) at the revisit's URL and time,
    and its row points at the original's row. A 304 has no payload: its row is
    rebuilt, its thread was read from an earlier capture.
    """
    records = sorted(records, key=lambda item: item[1].rec_type != "response")  # originals first
    added = threads = 0
    failed = []
    for path, record in records:
        try:
            page = read_page(path, record.offset)
            harvested: Page | None = page if where is not None and page.status != 304 else None
            if where is not None and record.rec_type == "revisit":
                original = where.get(record.refers_to or "")
                harvested = original and replace(
                    read_page(*original), url=page.url, fetched_at=page.fetched_at
                )
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, StopIteration) as exc:
            failed.append(f"{path.name} @{record.offset}: {exc!r}")
            continue
        capture_id = store.add_capture(crawl_id=crawl_id, **_row(store, path, record, page))
        added += 1
        result = harvest(replace(harvested, capture_id=capture_id)) if harvested else None
        if isinstance(result, ThreadItem):
            store.save(result, crawl_id)
            threads += 1
        elif isinstance(result, ErrorItem) and not _has_error(store, result.url, result.kind):
            store.save(result, crawl_id)
    files = len({path for path, _ in records})
    note = f"; could not read {len(failed)}: {', '.join(failed)}" if failed else ""
    read = f" ({threads} thread pages)" if where is not None else ""
    return f"rebuilt {added} captures rows from {files} WARC files{read}{note}"


def _row(store: Store, path: Path, record: RecordInfo, page: Page) -> dict[str, Any]:
    """The `captures` row of a record, as the crawl wrote it."""
    header = page.headers.get
    row: dict[str, Any] = dict(
        url=page.url, status=page.status, fetched_at=page.fetched_at,
        content_type=header("content-type"), warc_file=path.name.removesuffix(OPEN),
        warc_offset=record.offset, warc_length=record.length,
        warc_record_id=record.record_id, payload_digest=record.payload_digest,
        record_type=record.rec_type, warc_date=record.date,
        etag=header("etag"), last_modified=header("last-modified"),
    )  # fmt: skip
    if record.rec_type == "revisit":
        sql = "SELECT id FROM captures WHERE warc_record_id = ?"
        found = store.db.execute(sql, [record.refers_to]).fetchone()
        row["refers_to"] = found[0] if found else None
    return row


def _has_error(store: Store, url: str, kind: str) -> bool:
    sql = "SELECT 1 FROM errors WHERE url = ? AND kind = ? LIMIT 1"
    return store.db.execute(sql, [url, kind]).fetchone() is not None
