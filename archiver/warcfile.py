"""A WARC file while it is written: the ``.open`` name, the lock, batched fsync, the rename.

`WarcFile` is written as ``NAME.warc.gz.open`` and renamed to ``NAME.warc.gz``
by `finish`, which then fsyncs the directory. Each batch of records is flushed
to the operating system as soon as it is written, so a killed process loses
nothing already written. It reaches the disk (fsync) per batch: after
`sync_every` exchanges, or `sync_interval` seconds after the first unsynced one,
whichever comes first, and on `finish`; a power cut loses at most that batch.
An fsync per exchange would cost a disk flush per page.

The writer holds an exclusive `flock` on the ``.open`` file from its creation to
its rename: `archiver.repair` takes the same lock (`lock_exclusive`) before it
cuts or renames an ``.open`` file, so it never touches one a live crawl writes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not on Unix: files are not locked
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


def sha256_file(path: Path) -> str:
    """A whole file's sha256 (hex), read in blocks: for manifests, packages, de-duplication."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()

OPEN = ".open"  # suffix of a file still being written, or left by a killed crawl


def lock_exclusive(fh: IO[bytes]) -> bool:
    """Take an exclusive `flock` on `fh` without waiting; False if another open file holds it.

    The lock lasts until `fh` is closed. Off Unix, or on a file system without
    locks, nothing is locked and this says True.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without locks
        logger.warning("cannot lock %s (%s): going on unlocked", fh.name, exc)
    return True


def fsync_dir(directory: Path) -> None:
    """fsync a directory: names created, renamed or removed in it survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_files(directory: Path, prefix: str) -> list[Path]:
    """The ``.open`` files of `archiver.warc.WarcWriter`s with this `prefix`, oldest first.

    Exactly this prefix: ``archiver-crawl1`` does not match ``archiver-crawl12-…``.
    """
    pattern = re.escape(prefix) + r"-\d{14}-\d{5,}-[0-9a-f]{6}\.warc\.gz" + re.escape(OPEN)
    directory = Path(directory)
    found = directory.iterdir() if directory.is_dir() else iter(())
    return sorted(p for p in found if re.fullmatch(pattern, p.name))


class WarcFile:
    """``PATH.open``, created (never overwritten) and locked, starting with `first` (warcinfo)."""

    def __init__(self, path: Path, first: bytes, *, sync_every: int, sync_interval: float) -> None:
        self.path = path  # the name once finished
        self.open_path = path.with_name(path.name + OPEN)
        self.sync_every, self.sync_interval = sync_every, sync_interval
        self.size = 0
        self.exchanges = 0
        self._lock = threading.Lock()  # the timer's fsync against writes and finish
        self._unsynced = 0  # exchanges written since the last fsync
        self._timer: threading.Timer | None = None  # fsync due for the unsynced batch
        self._fh: IO[bytes] | None = open(self.open_path, "xb")  # noqa: SIM115
        if not lock_exclusive(self._fh):  # a repair got to the new file first
            self._fh.close()
            raise BlockingIOError(f"{self.open_path} was locked by another process at creation")
        self._append(first)
        fsync_dir(path.parent)  # the new name reaches the disk before its first batch can

    def write(self, members: list[bytes]) -> int:
        """Append one exchange's gzip members and flush; return the offset of the first."""
        with self._lock:
            offset = self._append(*members)
            self.exchanges += 1
            self._unsynced += 1
            if self._unsynced >= self.sync_every:
                self._sync()
            elif self._timer is None:
                self._timer = threading.Timer(self.sync_interval, self._sync_due)
                self._timer.daemon = True
                self._timer.start()
            return offset

    def finish(self) -> Path:
        """fsync, rename to `path` (still locked), fsync the directory, close."""
        with self._lock:
            assert self._fh is not None, "finished twice"
            try:
                self._sync()
                if self.path.exists():
                    raise FileExistsError(f"{self.path} exists; {self.open_path.name} left as is")
                os.rename(self.open_path, self.path)
                fsync_dir(self.path.parent)
            finally:
                self._fh.close()  # releases the lock
                self._fh = None
        return self.path

    def _append(self, *members: bytes) -> int:
        assert self._fh is not None, "write after finish"
        offset = self.size
        for member in members:
            self._fh.write(member)
            self.size += len(member)
        self._fh.flush()  # in the OS now: a killed process loses nothing of it
        return offset

    def _sync(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fh is not None:
            os.fsync(self._fh.fileno())
        self._unsynced = 0

    def _sync_due(self) -> None:
        """The timed fsync: `sync_interval` after the first exchange of an unsynced batch."""
        with self._lock:
            if self._timer is not threading.current_thread():
                return  # that batch was synced already (by count, or by finish)
            try:
                self._sync()
            except OSError as exc:
                logger.error("fsync of %s failed: %s", self.open_path, exc)
