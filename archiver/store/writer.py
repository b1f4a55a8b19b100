"""A crawl's writes to the archive, made on a thread of their own, in the order asked.

Storing a page (upserts, thread merges, full-text indexing, commits) took a third
of the reactor thread's time. SQLite runs its C code without the GIL, so on a
thread of its own that work overlaps with downloading and WARC writing. The
reactor keeps a connection of its own for reads (WAL: it sees committed rows).

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
from pathlib import Path
from typing import Any

from ..items import ErrorItem, ThreadItem
from . import Store

logger = logging.getLogger(__name__)

_STOP = object()


class StoreWriter:
    """Queues writes for one `Store` on a writer thread; commits every `interval` seconds."""

    def __init__(self, path: Path, interval: float) -> None:
        self.interval = interval
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ids: dict[int, int] = {}  # allocated capture id -> the row's id, where they differ
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        self._next_capture = 0
        self._thread = threading.Thread(target=self._run, args=(path,), name="archive-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        self._raise()

    # what the reactor thread calls ---------------------------------------------------

    def add_capture(self, **row: Any) -> int:
        """Queue a capture row; returns its id (allocated now)."""
        capture_id = self._next_capture
        self._next_capture += 1
        self._put(f"capture of {row.get('url')}", lambda store: self._insert_capture(store, capture_id, row))
        return capture_id

    def add_error(self, crawl_id: int | None, url: str, kind: str, detail: str,
                  capture_id: int | None = None) -> None:  # fmt: skip
        self._put(f"error of {url}", lambda store: store.add_error(crawl_id, url, kind, detail, self._id(capture_id)))

    def save(self, item: ThreadItem | ErrorItem, crawl_id: int | None) -> None:
        what = f"thread of {item.thread.post.url}" if isinstance(item, ThreadItem) else f"error of {item.url}"
        self._put(what, lambda store: store.save(replace(item, capture_id=self._id(item.capture_id)), crawl_id))

    def close(self) -> None:
        """Write and commit everything queued, then stop the thread."""
        self._queue.put(_STOP)
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
        except BaseException as exc:  # noqa: BLE001
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
                # A kill loses at most a batch of rows, never a WARC record: a resumed
                # crawl re-indexes records left without their rows (repair.py).
                store.flush()
                store.hold()
                due = time.monotonic() + self.interval

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
        self._queue.put((what, job))

    def _raise(self) -> None:
        if self._failure is not None:
            raise RuntimeError(f"writing the archive failed: {self._failure!r}") from self._failure


def _do(store: Store, what: str, job: Callable[[Store], None]) -> None:
    """One write; a failing one is logged (its WARC record stays: `archiver verify
    --repair` can index it again) and the crawl goes on, as with any pipeline error."""
    try:
        job(store)
    except Exception:
        logger.exception("could not store the %s", what)


def _next_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM captures").fetchone()[0])
