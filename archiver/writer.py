"""A crawl's writes, made on a thread of their own in the order asked: each response's
WARC records, then its capture row; threads and errors.

Writing WARC records (digests, gzip) and storing pages (upserts, thread merges,
full-text indexing, commits) took two thirds of the reactor thread's time. zlib,
hashlib and SQLite run their C code without the GIL, so on a thread of their own
they overlap with downloading. The reactor keeps a connection of its own for reads
(WAL: it sees committed rows). The queue is bounded: a writer that falls behind
holds the reactor back instead of holding pages in memory.

Capture ids are allocated here, up front, so the spider can tag a page with its
capture at once; if another process took an id meanwhile, the row gets another
and later writes are translated to it.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .exchange import Exchange
from .items import ErrorItem, ThreadItem
from .store import Store
from .warc import WarcLocation, WarcWriter, sha1_digest, warc_date

logger = logging.getLogger(__name__)

_STOP = object()


class ArchiveWriter:
    """Queues writes to `warc` and to the store at `path` for one writer thread; commits
    rows every `interval` seconds. With `revisits`, a 200 response whose payload this URL
    already had is written as a revisit record."""

    def __init__(self, path: Path, warc: WarcWriter | None = None, *, interval: float,
                 revisits: bool = False, max_queued: int = 64) -> None:  # fmt: skip
        self.interval = interval
        self.warc = warc
        self.revisits = revisits
        self.revisit_count = 0
        self._queue: queue.Queue[Any] = queue.Queue(max_queued)
        self._ids: dict[int, int] = {}  # allocated capture id -> the row's id, where they differ
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        self._next_capture = 0
        self._thread = threading.Thread(target=self._run, args=(path,), name="archive-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        self._raise()

    # what the reactor thread calls ---------------------------------------------------

    def archive(self, exchange: Exchange, **row: Any) -> int:
        """Queue an exchange's WARC records and its capture row (`row`: the columns the
        WARC location does not give); returns the capture's id, allocated now."""
        capture_id = self._allocate()
        self._put(f"response of {exchange.url}", lambda store: self._archive(store, capture_id, exchange, row))
        return capture_id

    def add_error(self, crawl_id: int | None, url: str, kind: str, detail: str,
                  capture_id: int | None = None) -> None:  # fmt: skip
        self._put(f"error of {url}", lambda store: store.add_error(crawl_id, url, kind, detail, self._id(capture_id)))

    def save(self, item: ThreadItem | ErrorItem, crawl_id: int | None) -> None:
        what = f"thread of {item.thread.post.url}" if isinstance(item, ThreadItem) else f"error of {item.url}"
        self._put(what, lambda store: store.save(replace(item, capture_id=self._id(item.capture_id)), crawl_id))

    def close(self) -> None:
        """Write and commit everything queued, then stop the thread."""
        if self._thread.is_alive():
            self._enqueue(_STOP)
            self._thread.join()
        self._raise()

    # the writer thread ---------------------------------------------------------------

    def _run(self, path: Path) -> None:
        try:
            store = Store(path)
        except BaseException as exc:  # noqa: BLE001 (handed to the reactor thread)
            self._failure = exc
            self._ready.set()
            return
        try:
            self._next_capture = _next_id(store.db.conn)
            self._ready.set()
            self._serve(store)
        except BaseException as exc:
            logger.exception("the archive writer stopped: rows after this were not stored")
            self._failure = exc
        finally:
            store.close()

    def _serve(self, store: Store) -> None:
        store.hold()
        due = time.monotonic() + self.interval
        while True:
            try:
                job = self._queue.get(timeout=max(due - time.monotonic(), 0.0))
            except queue.Empty:
                job = None
            if job is _STOP:
                store.flush()
                return
            if job is not None:
                _do(store, *job)
            if time.monotonic() >= due:
                # A kill loses at most this batch of rows (a resumed crawl re-indexes
                # records left without rows, repair.py) and the queue (pages fetched but
                # not yet written, which it fetches again); never a written record.
                store.flush()
                store.hold()
                due = time.monotonic() + self.interval

    def _archive(self, store: Store, capture_id: int, exchange: Exchange, row: dict[str, Any]) -> None:
        assert self.warc is not None, "archive() needs a WarcWriter"
        previous, digest = None, None
        if self.revisits and exchange.status == 200 and exchange.truncated is None:
            digest = sha1_digest(exchange.body)
            previous = store.previous_capture(exchange.url, digest)
        if previous is None:
            location = self.warc.write_exchange(exchange, payload_digest=digest)
        else:
            original = WarcLocation(
                filename=str(previous["warc_file"]),
                offset=int(previous["warc_offset"]),
                length=int(previous["warc_length"]),
                record_id=str(previous["warc_record_id"]),
                payload_digest=str(previous["payload_digest"]),
                request_record_id="",
            )
            date = previous["warc_date"] or warc_date(datetime.fromisoformat(str(previous["fetched_at"])))
            location = self.warc.write_revisit(exchange, original, exchange.url, str(date))
            self.revisit_count += 1
        self._insert_capture(store, capture_id, {
            **row,
            "warc_file": location.filename,
            "warc_offset": location.offset,
            "warc_length": location.length,
            "warc_record_id": location.record_id,
            "payload_digest": location.payload_digest,
            "record_type": "response" if previous is None else "revisit",
            "refers_to": None if previous is None else int(previous["id"]),
        })  # fmt: skip

    def _allocate(self) -> int:
        capture_id = self._next_capture
        self._next_capture += 1
        return capture_id

    def _insert_capture(self, store: Store, capture_id: int, row: dict[str, Any]) -> None:
        try:
            stored = store.add_capture(id=capture_id, **row)
        except sqlite3.IntegrityError:  # the id was taken by another writer
            stored = store.add_capture(**row)
        if stored != capture_id:
            self._ids[capture_id] = stored

    def _id(self, capture_id: int | None) -> int | None:
        return self._ids.get(capture_id, capture_id) if capture_id is not None else None

    def _put(self, what: str, job: Callable[[Store], None]) -> None:
        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError(f"the archive writer is closed: the {what} was not written")
        self._enqueue((what, job))

    def _enqueue(self, entry: object) -> None:
        while True:  # never wait on a full queue for a thread that is gone
            try:
                self._queue.put(entry, timeout=1.0)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._raise()
                    raise RuntimeError("the archive writer thread is gone")

    def _raise(self) -> None:
        if self._failure is not None:
            raise RuntimeError(f"writing the archive failed: {self._failure!r}") from self._failure


def _do(store: Store, what: str, job: Callable[[Store], None]) -> None:
    """One write; a failing one is logged and the crawl goes on, as with any pipeline
    error. A row that failed has its WARC record (`archiver verify --repair` indexes
    it); a response whose record failed has no capture, so a resumed crawl fetches it."""
    try:
        job(store)
    except Exception:
        logger.exception("could not store the %s", what)


def _next_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM captures").fetchone()[0])
