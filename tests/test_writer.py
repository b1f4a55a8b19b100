"""The crawl's writer thread (archiver/writer.py): order, id allocation, failures."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone

import pytest

from archiver.items import ErrorItem
from archiver.store import Store
from archiver.warc import Exchange, WarcWriter
from archiver.writer import ArchiveWriter
from warcio.archiveiterator import ArchiveIterator


def archive_page(writes: ArchiveWriter, url: str, crawl_id: int) -> int:
    exchange = Exchange(url=url, method="GET", request_headers=[], request_body=b"", protocol="HTTP/1.1",
                        status=200, reason=None, response_headers=[("Content-Type", "text/html")],
                        body=f"<p>{url}</p>".encode(), fetched_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    return writes.archive(exchange, crawl_id=crawl_id, url=url, status=200,
                          fetched_at="2026-01-01T00:00:00+00:00", content_type="text/html")


@pytest.fixture
def archive(tmp_path):
    store = Store(tmp_path / "archive.db")
    crawl_id = store.start_crawl(["http://example.test/"], {})
    store.close()
    return tmp_path / "archive.db", crawl_id


def test_records_and_rows_are_written_in_order_and_committed_by_close(archive, tmp_path):
    path, crawl_id = archive
    warc = WarcWriter(tmp_path / "warc", gzip_level=1)
    writes = ArchiveWriter(path, warc, interval=60)  # no timed commit: close() must commit
    first = archive_page(writes, "http://example.test/a", crawl_id)
    second = archive_page(writes, "http://example.test/b", crawl_id)
    writes.save(ErrorItem("http://example.test/b", "http 404", "gone", second), crawl_id)
    writes.close()
    warc.close()
    db = sqlite3.connect(path)
    rows = db.execute("select id, url, warc_file, warc_offset, warc_record_id from captures order by id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(first, "http://example.test/a"), (second, "http://example.test/b")]
    assert db.execute("select url, capture_id from errors").fetchall() == [("http://example.test/b", second)]
    for _, url, name, offset, record_id in rows:  # each row points at its record
        with open(tmp_path / "warc" / name, "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
        assert record.rec_headers.get_header("WARC-Target-URI") == url
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id


def test_an_id_taken_by_another_writer_is_translated(archive, tmp_path):
    path, crawl_id = archive
    warc = WarcWriter(tmp_path / "warc")
    writes = ArchiveWriter(path, warc, interval=60)
    # Another process takes the id the writer is about to allocate.
    other = sqlite3.connect(path)
    with other:
        other.execute("insert into captures (id, url, warc_record_id) values "
                      "((select coalesce(max(id), 0) + 1 from captures), 'http://other.test/', '<urn:uuid:o>')")
    allocated = archive_page(writes, "http://example.test/a", crawl_id)
    writes.add_error(crawl_id, "http://example.test/a", "too large", "cut", allocated)
    writes.close()
    db = sqlite3.connect(path)
    (stored,) = db.execute("select id from captures where url = 'http://example.test/a'").fetchone()
    assert stored != allocated
    assert db.execute("select capture_id from errors").fetchall() == [(stored,)]


def test_a_failing_write_is_logged_and_the_next_ones_still_land(archive, caplog):
    path, crawl_id = archive
    writes = ArchiveWriter(path, interval=60)
    with caplog.at_level(logging.ERROR, logger="archiver.writer"):
        writes.add_error(crawl_id + 99, "http://example.test/x", "timeout", "no crawl with that id")
        writes.add_error(crawl_id, "http://example.test/y", "timeout", "took too long")
        writes.close()
    assert "could not store the error of http://example.test/x" in caplog.text
    db = sqlite3.connect(path)
    assert db.execute("select url from errors").fetchall() == [("http://example.test/y",)]


def test_writing_after_close_raises_instead_of_losing_the_write(archive):
    path, crawl_id = archive
    writes = ArchiveWriter(path, interval=60)
    writes.close()
    with pytest.raises(RuntimeError, match="closed: the error of http://example.test/z was not written"):
        writes.add_error(crawl_id, "http://example.test/z", "timeout", "late")


def test_an_archive_that_cannot_be_opened_fails_at_once(tmp_path):
    (tmp_path / "archive.db").mkdir()  # a directory where the database should be
    with pytest.raises(RuntimeError, match="writing the archive failed"):
        ArchiveWriter(tmp_path / "archive.db", interval=60)
