"""Rebuilding the archive from WARC files alone: no network, same records as the crawl.

Works on our own WARCs and on any standard WARC with HTTP response records
(wget's `--warc-file`, pywb recordings).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArchiveLoadFailed, ArcWarcRecord

from .exchange import OPTIONAL_FIELD, SOURCE_OF_FIELD, TRUNCATED
from .harvest import OPTIONAL_META, SOURCE_OF_META, harvest
from .items import ErrorItem, ThreadItem
from .page import Page, header_dict
from .settings import DOWNLOAD_MAXSIZE
from .store import Store

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.gz.open", ".warc.open")
TRUNCATED_META = "warc_truncated"  # Page.meta: the record's WARC-Truncated reason
INFLATED = "inflated"  # ... or: its body inflates past DOWNLOAD_MAXSIZE (a gzip bomb), not read
INFLATED_ERROR = ("too large", "body inflates past {} bytes (DOWNLOAD_MAXSIZE): not read; the WARC record is kept")


@dataclass
class ReextractCounts:
    files: int = 0
    responses: int = 0
    thread_pages: int = 0
    errors: int = 0


def warc_files(paths: Iterable[Path]) -> list[Path]:
    """The WARC files named, or found (recursively) in the directories named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES)))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such WARC file or directory")
    return found


def page_from_record(record: ArcWarcRecord, capture_id: int | None = None) -> Page:
    """A WARC response record as a Page (body with Content-Encoding removed, as Scrapy
    gives it). A body that inflates past DOWNLOAD_MAXSIZE is not read, as the crawl does not."""
    source_of = record.rec_headers.get_header(SOURCE_OF_FIELD)
    meta: dict[str, object] = {SOURCE_OF_META: source_of} if source_of else {}
    if record.rec_headers.get_header(OPTIONAL_FIELD):
        meta[OPTIONAL_META] = True
    if truncated := record.rec_headers.get_header("WARC-Truncated"):
        meta[TRUNCATED_META] = truncated
    body = record.content_stream().read(DOWNLOAD_MAXSIZE + 1)
    if len(body) > DOWNLOAD_MAXSIZE:
        meta[TRUNCATED_META], body = INFLATED, b""
    return Page(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(record.http_headers.get_statuscode() or 0),
        headers=header_dict(record.http_headers.headers),
        body=body,
        fetched_at=_iso_seconds(record.rec_headers.get_header("WARC-Date")),
        capture_id=capture_id,
        meta=meta,
    )


def read_page(path: Path, offset: int, capture_id: int | None = None) -> Page:
    """The response record at `offset` of a WARC file (finished, or `.open` after a crash)."""
    if not path.exists() and path.with_name(path.name + ".open").exists():
        path = path.with_name(path.name + ".open")
    with path.open("rb") as fh:
        fh.seek(offset)
        return page_from_record(next(iter(ArchiveIterator(fh))), capture_id)


def responses(
    path: Path, payloads: dict[str, tuple[Path, int]] | None = None
) -> Iterator[tuple[Page, dict[str, object]]]:
    """Each HTTP response in a WARC file as a Page, with its `captures` row fields.

    A revisit record (identical payload) yields the payload of the record it
    refers to, which must be in this file or in one read earlier with the same
    `payloads` map (record id -> where its response record lies).
    """
    payloads = {} if payloads is None else payloads
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                continue
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            refers_to = record.rec_headers.get_header("WARC-Refers-To")
            if record.rec_type == "revisit":
                original = payloads.get(refers_to)
                if original is None:
                    logger.warning("%s: revisit %s refers to a record not read yet", path, record_id)
                    continue
                page = replace(read_page(*original), url=record.rec_headers.get_header("WARC-Target-URI"),
                               fetched_at=_iso_seconds(record.rec_headers.get_header("WARC-Date")))
            else:
                page = page_from_record(record)
            records.read_to_end()
            offset = records.get_record_offset()
            if record.rec_type == "response":
                payloads[record_id] = (path, offset)
            capture = {
                "url": page.url,
                "status": page.status,
                "fetched_at": page.fetched_at,
                "content_type": page.headers.get("content-type"),
                "warc_file": path.name.removesuffix(".open"),
                "warc_offset": offset,
                "warc_length": records.get_record_length(),
                "warc_record_id": record_id,
                "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                "record_type": record.rec_type,
                "warc_date": record.rec_headers.get_header("WARC-Date"),
            }
            yield page, capture


def _iso_seconds(warc_date: str) -> str:
    """WARC-Date in the form the live crawl stores times (UTC, whole seconds)."""
    when = datetime.fromisoformat(warc_date).astimezone(timezone.utc)
    return when.isoformat(timespec="seconds")


def reextract(
    paths: Iterable[Path], store: Store, crawl_id: int | None, workers: int = 0
) -> ReextractCounts:
    """Read every response in `paths` into `store`, as the live crawl would have.

    With `workers`, pages are extracted in that many processes while this one
    reads WARCs and writes the archive, a window of pages ahead.
    """
    counts = ReextractCounts()
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers else None
    pending: deque[tuple[Future[ThreadItem | ErrorItem | None] | None, Page]] = deque()

    retried: dict[str, ErrorItem] = {}  # error statuses a later response may supersede

    def save(result: ThreadItem | ErrorItem | None) -> None:
        if result is None:
            return
        store.save(result, crawl_id)
        if isinstance(result, ThreadItem):
            counts.thread_pages += 1
        else:
            counts.errors += 1

    def drain(keep: int) -> None:
        while len(pending) > keep:
            future, page = pending.popleft()
            result = future.result() if future else harvest(page)
            # The crawl retries a 5xx or 429 and records an error only for the last
            # answer: an error status waits until no later response of its URL follows.
            retried.pop(page.url, None)
            if isinstance(result, ErrorItem) and result.kind.startswith("http "):
                retried[page.url] = result
            else:
                save(result)

    store.hold()  # one commit per window of pages, not two per page
    try:
        for page, capture in _all_responses(paths, store, crawl_id, counts):
            if counts.responses % WINDOW == 0:
                store.flush()
                store.hold()
            if capture["record_type"] == "revisit":
                capture["refers_to"] = store.capture_of_payload(page.url, capture["payload_digest"])
            capture_id = store.add_capture(crawl_id=crawl_id, **capture)  # type: ignore[arg-type]
            page = replace(page, capture_id=capture_id)
            truncated = page.meta.get(TRUNCATED_META)
            if truncated == INFLATED:
                kind, detail = INFLATED_ERROR
                save(ErrorItem(page.url, kind, detail.format(DOWNLOAD_MAXSIZE), capture_id))
                continue
            if truncated in TRUNCATED:  # as the crawl records it
                kind, detail = TRUNCATED[str(truncated)]
                save(ErrorItem(page.url, kind, detail.format(len(page.body)), capture_id))
            pending.append((pool.submit(harvest, page) if pool else None, page))
            drain(keep=WINDOW if pool else 0)
        drain(keep=0)
        for error in retried.values():
            save(error)
    finally:
        store.flush()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return counts


WINDOW = 64  # pages extracted ahead of the writer


def _all_responses(
    paths: Iterable[Path], store: Store, crawl_id: int | None, counts: ReextractCounts
) -> Iterator[tuple[Page, dict[str, object]]]:
    payloads: dict[str, tuple[Path, int]] = {}
    for path in warc_files(paths):
        counts.files += 1
        try:
            for item in responses(path, payloads):
                counts.responses += 1
                yield item
        except (ArchiveLoadFailed, OSError, EOFError) as exc:
            logger.warning("%s: stopped reading at a damaged record: %s", path, exc)
            store.add_error(crawl_id, str(path), "warc", f"damaged WARC, stopped reading: {exc}")
            counts.errors += 1
