"""The crawl's writer thread (archiver/store/writer.py): order, id allocation, failures."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from archiver.items import ErrorItem
from archiver.store import Store
from archiver.store.writer import StoreWriter


def capture(url: str, record_id: str, crawl_id: int) -> dict[str, object]:
    return {
        "crawl_id": crawl_id, "url": url, "status": 200, "fetched_at": "2026-01-01T00:00:00+00:00",
        "content_type": "text/html", "warc_file": "a.warc.gz", "warc_offset": 0, "warc_length": 10,
        "warc_record_id": record_id, "payload_digest": "sha1:X",
    }  # fmt: skip


@pytest.fixture
def archive(tmp_path):
    store = Store(tmp_path / "archive.db")
    crawl_id = store.start_crawl(["http://example.test/"], {})
    store.close()
    return tmp_path / "archive.db", crawl_id


def test_writes_are_committed_in_order_by_close(archive):
    path, crawl_id = archive
    writes = StoreWriter(path, interval=60)  # no timed commit: close() must commit
    first = writes.add_capture(**capture("http://example.test/a", "<urn:uuid:a>", crawl_id))
    second = writes.add_capture(**capture("http://example.test/b", "<urn:uuid:b>", crawl_id))
    writes.save(ErrorItem("http://example.test/b", "http 404", "gone", second), crawl_id)
    writes.close()
    db = sqlite3.connect(path)
    assert db.execute("select id, url from captures order by id").fetchall() == [
        (first, "http://example.test/a"), (second, "http://example.test/b")]
    assert db.execute("select url, capture_id from errors").fetchall() == [("http://example.test/b", second)]


def test_an_id_taken_by_another_writer_is_translated(archive):
    path, crawl_id = archive
    writes = StoreWriter(path, interval=60)
    # Another process takes the id the writer is about to allocate.
    other = sqlite3.connect(path)
    with other:
        other.execute("insert into captures (id, url, warc_record_id) values "
                      "((select coalesce(max(id), 0) + 1 from captures), 'http://other.test/', '<urn:uuid:o>')")
    allocated = writes.add_capture(**capture("http://example.test/a", "<urn:uuid:a>", crawl_id))
    writes.add_error(crawl_id, "http://example.test/a", "too large", "cut", allocated)
    writes.close()
    db = sqlite3.connect(path)
    (stored,) = db.execute("select id from captures where url = 'http://example.test/a'").fetchone()
    assert stored != allocated
    assert db.execute("select capture_id from errors").fetchall() == [(stored,)]


def test_a_failing_write_is_logged_and_the_next_ones_still_land(archive, caplog):
    path, crawl_id = archive
    writes = StoreWriter(path, interval=60)
    with caplog.at_level(logging.ERROR, logger="archiver.store.writer"):
        writes.add_error(crawl_id + 99, "http://example.test/x", "timeout", "no crawl with that id")
        writes.add_error(crawl_id, "http://example.test/y", "timeout", "took too long")
        writes.close()
    assert "could not store the error of http://example.test/x" in caplog.text
    db = sqlite3.connect(path)
    assert db.execute("select url from errors").fetchall() == [("http://example.test/y",)]
