"""Writing WARC 1.1 files: warcinfo, response, request and revisit records.

The one module that writes WARC. It knows nothing of Scrapy: callers describe
each HTTP exchange as an `Exchange` and get back the `WarcLocation` of its
response record (both in `archiver.exchange`, re-exported here). Records are
built and serialised with warcio, then each is compressed as its own gzip member
(at `gzip_level`, cheaper than warcio's 9): levels 0-3 with ISA-L (`isal`), whose
deflate is ~5x faster than zlib's level 1 for a slightly smaller member, 4-9 with
zlib. Either way a standard gzip member any reader inflates.

Files are written as ``NAME.warc.gz.open``, locked, flushed after each exchange,
fsynced per batch and renamed to ``NAME.warc.gz`` when finished
(`archiver.warcfile`): every complete record of an ``.open`` file left by a
killed crawl is still readable.

Header strings carry the bytes as received, decoded with ISO-8859-1
(``value.decode("latin-1")``), and are written back the same way, byte for byte.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import uuid
import zlib
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO
from pathlib import Path
from types import TracebackType

from isal import isal_zlib
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .exchange import (
    Exchange,
    Fields,
    WarcLocation,
    check_exchange,
    check_lines,
    host,
    reason,
    request_target,
    response_headers,
    sha1_digest,
    warc_date,
)
from .warcfile import WarcFile

__all__ = [
    "Exchange", "WarcLocation", "WarcWriter", "request_target", "response_headers",
    "sha1_digest", "warc_date",
]  # fmt: skip

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
CAPTURE_NOTE = (
    "HTTP bodies are stored as received, Content-Encoding kept. Transfer-Encoding is removed "
    "(bodies are de-chunked), so that header is dropped and Content-Length set to the stored "
    "body's length. Missing HTTP reason phrases are filled from the standard table."
)


def _version(dist: str, default: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # running from a source tree that was not installed
        return default


SOFTWARE = f"archiver/{_version('archiver', 'dev')} warcio/{_version('warcio', 'unknown')}"


class _WireHeaders(StatusAndHeaders):
    """HTTP headers serialised as received: ISO-8859-1, never %-encoded like warcio's."""

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        text = self.to_str(header_filter)
        try:
            self.headers_buff = text.encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # not a latin-1 decoding of wire bytes; keep the text
            self.headers_buff = text.encode("utf-8") + b"\r\n"


def _new_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _warcinfo_fields(extra: dict[str, str]) -> dict[str, str]:
    fields = {"software": SOFTWARE, "format": "WARC File Format 1.1", "conformsTo": CONFORMS_TO}
    for name, value in extra.items():
        if not name or any(c in name for c in ": \t\r\n") or any(c in str(value) for c in "\r\n"):
            raise ValueError(f"not a warc-fields line: {name!r}: {value!r}")
        fields[name] = str(value)
    fields.setdefault("capture-note", CAPTURE_NOTE)
    return fields


class WarcWriter:
    """Writes exchanges to per-record-gzipped WARC 1.1 files in `directory`, rotating at `max_size`.

    Safe to share between threads (calls are serialised). Files open lazily: a writer
    that wrote nothing leaves no file. Each exchange is flushed when written and
    fsynced within `sync_every` exchanges or `sync_interval` seconds (module docstring).
    """

    def __init__(
        self,
        directory: Path,
        prefix: str = "archiver",
        *,
        max_size: int = 1_000_000_000,
        gzip_level: int = 6,
        warcinfo: dict[str, str] | None = None,
        sync_every: int = 32,
        sync_interval: float = 2.0,
    ) -> None:
        if not prefix or "/" in prefix or os.sep in prefix:
            raise ValueError(f"bad WARC file prefix: {prefix!r}")
        if not 0 <= gzip_level <= 9:
            raise ValueError(f"gzip_level must be 0-9, got {gzip_level}")
        if sync_every < 1 or not sync_interval > 0:
            raise ValueError(f"bad sync_every {sync_every} or sync_interval {sync_interval}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.sync_every = sync_every
        self.sync_interval = sync_interval
        self._info = _warcinfo_fields(warcinfo or {})
        self._token = secrets.token_hex(3)  # two writers started in the same second differ
        self._serial = 0
        self._buffer = BytesIO()
        self._builder = WARCWriter(self._buffer, gzip=False, warc_version=WARC_VERSION)
        self._lock = threading.Lock()
        self._file: WarcFile | None = None
        self._warcinfo_id = ""
        self._files: list[Path] = []
        self._closed = False
        self.directory.mkdir(parents=True, exist_ok=True)

    @property
    def files(self) -> list[Path]:
        """Finished files so far, oldest first."""
        return list(self._files)

    def write_exchange(self, exchange: Exchange, payload_digest: str | None = None) -> WarcLocation:
        """Write a response record and then its request record; return the response's location.

        `payload_digest`: `sha1_digest(exchange.body)` when the caller has it already.
        """
        check_exchange(exchange)
        return self._write(exchange, payload_digest=payload_digest)

    def write_revisit(
        self,
        exchange: Exchange,
        refers_to: WarcLocation,
        refers_to_url: str,
        refers_to_date: datetime | str,
    ) -> WarcLocation:
        """Write an identical-payload-digest revisit (HTTP headers only) and its request record.

        `exchange.body` must be the payload just fetched: its digest has to match
        `refers_to.payload_digest`, or this raises ValueError.
        """
        check_exchange(exchange)
        digest = sha1_digest(exchange.body)
        if digest != refers_to.payload_digest:
            raise ValueError(
                f"{exchange.url}: payload {digest} differs from {refers_to.payload_digest}"
            )
        if isinstance(refers_to_date, datetime):
            refers_to_date = warc_date(refers_to_date)
        extra = [
            ("WARC-Refers-To", refers_to.record_id),
            ("WARC-Refers-To-Target-URI", refers_to_url),
            ("WARC-Refers-To-Date", refers_to_date),
            ("WARC-Profile", REVISIT_PROFILE),
            ("WARC-Payload-Digest", digest),
        ]
        check_lines(exchange.url, [value for _, value in extra])
        return self._write(exchange, extra)

    def close(self) -> None:
        """Finish the current file (renaming it from ``.open``). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._file is not None:
                self._finish()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- records

    def _write(
        self, exchange: Exchange, revisit: Fields | None = None, payload_digest: str | None = None
    ) -> WarcLocation:
        with self._lock:
            if self._closed:
                raise ValueError("WarcWriter is closed")
            file = self._file or self._open()
            members, main = self._pair(exchange, revisit, payload_digest)
            if file.exchanges and file.size + sum(map(len, members)) > self.max_size:
                self._finish()
                file = self._open()
                members, main = self._pair(exchange, revisit, payload_digest)  # again: new WARC-Warcinfo-ID
            return WarcLocation(
                filename=file.path.name,
                offset=file.write(members),
                length=len(members[0]),
                record_id=main.rec_headers.get_header("WARC-Record-ID"),
                payload_digest=main.rec_headers.get_header("WARC-Payload-Digest"),
                request_record_id=main.rec_headers.get_header("WARC-Concurrent-To"),
            )

    def _pair(
        self, exchange: Exchange, revisit: Fields | None, payload_digest: str | None
    ) -> tuple[list[bytes], ArcWarcRecord]:
        ids = (_new_id(), _new_id())  # (response or revisit, request)
        date = warc_date(exchange.fetched_at)
        main = self._response(exchange, ids, date, revisit, payload_digest)
        members = [self._serialise(main), self._serialise(self._request(exchange, ids, date))]
        return members, main

    def _warc_headers(
        self, rec_type: str, record_id: str, concurrent_to: str, exchange: Exchange, date: str
    ) -> StatusAndHeaders:
        headers = [
            ("WARC-Type", rec_type),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", exchange.url.split("#", 1)[0]),
        ]
        if exchange.ip_address:
            headers.append(("WARC-IP-Address", exchange.ip_address))
        headers += [("WARC-Warcinfo-ID", self._warcinfo_id), ("WARC-Concurrent-To", concurrent_to)]
        return StatusAndHeaders("", headers, protocol=f"WARC/{WARC_VERSION}")

    def _response(
        self, exchange: Exchange, ids: tuple[str, str], date: str, revisit: Fields | None,
        payload_digest: str | None,
    ) -> ArcWarcRecord:  # fmt: skip
        rec_type = "revisit" if revisit else "response"
        warc_headers = self._warc_headers(rec_type, ids[0], ids[1], exchange, date)
        warc_headers.headers += [*exchange.record_fields, *(revisit or [])]
        if exchange.truncated and not revisit:
            warc_headers.add_header("WARC-Truncated", exchange.truncated)
        status_line = f"{exchange.status} {reason(exchange)}"
        http = _WireHeaders(status_line, response_headers(exchange), protocol=exchange.protocol)
        payload = None if revisit else BytesIO(exchange.body)
        length = None if revisit else len(exchange.body)
        if not revisit:
            # Both digests in two C-speed passes (warcio reads the body back in 16 KiB
            # Python steps); the payload's may be known already (the revisit check).
            http.compute_headers_buffer()
            warc_headers.add_header("WARC-Payload-Digest", payload_digest or sha1_digest(exchange.body))
            warc_headers.add_header("WARC-Block-Digest", sha1_digest(http.headers_buff, exchange.body))
        return self._builder.create_warc_record(
            "", rec_type, payload, length, warc_headers=warc_headers, http_headers=http
        )

    def _request(self, exchange: Exchange, ids: tuple[str, str], date: str) -> ArcWarcRecord:
        headers = list(exchange.request_headers)
        if not any(name.lower() == "host" for name, _ in headers):
            headers.insert(0, ("Host", host(exchange.url)))
        line = f"{exchange.method} {request_target(exchange.url)} {exchange.protocol}"
        return self._builder.create_warc_record(
            "",
            "request",
            payload=BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            warc_headers=self._warc_headers("request", ids[1], ids[0], exchange, date),
            http_headers=_WireHeaders(line, headers),
        )

    def _serialise(self, record: ArcWarcRecord) -> bytes:
        """The record as its own gzip member, compressed at `gzip_level`."""
        self._builder.write_record(record)
        data = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        compress = isal_zlib.compress if self.gzip_level <= isal_zlib.ISAL_BEST_COMPRESSION else zlib.compress
        return compress(data, self.gzip_level, wbits=zlib.MAX_WBITS | 16)

    # -- files

    def _open(self) -> WarcFile:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._token}.warc.gz"
        self._serial += 1
        info = self._builder.create_warcinfo_record(name, self._info)
        self._warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
        self._file = WarcFile(
            self.directory / name, self._serialise(info),
            sync_every=self.sync_every, sync_interval=self.sync_interval,
        )  # fmt: skip
        return self._file

    def _finish(self) -> None:
        assert self._file is not None
        file, self._file = self._file, None
        self._files.append(file.finish())
        logger.info("finished WARC file %s (%d bytes, %d exchanges)", file.path, file.size,
                    file.exchanges)  # fmt: skip
