"""End to end: a real crawl of the seed WordPress site served on 127.0.0.1.

Every field of the fixture's expected.json must come out of archive.db, and
every WARC record must read back with the bytes the server sent.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from base64 import b32encode
from pathlib import Path

import pytest
import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from .conftest import assert_archive_matches, crawl, expected_seed


@pytest.fixture(scope="module")
def seed_crawl(seed_server, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data = tmp_path_factory.mktemp("seed")
    result = crawl(seed_server.url, data)
    return data, result


def test_summary_names_counts_and_files(seed_crawl):
    data, result = seed_crawl
    out = result.stdout
    assert "3 posts and 36 comments stored" in out, out
    assert str(data / "archive.db") in out
    assert ".warc.gz" in out
    assert "archiver serve" in out


def test_archive_matches_expected_json(seed_crawl, seed_server):
    data, _ = seed_crawl
    db = sqlite_utils.Database(data / "archive.db")
    assert_archive_matches(db, seed_server.url, expected_seed())
    assert {row["extractor"] for row in db["posts"].rows} == {"wordpress@2"}


def test_every_record_links_to_its_capture(seed_crawl):
    data, _ = seed_crawl
    db = sqlite_utils.Database(data / "archive.db")
    orphans = db.execute(
        "select count(*) from comments where capture_id is null "
        "or capture_id not in (select id from captures)"
    ).fetchone()[0]
    assert orphans == 0
    for capture in db.query("select * from captures where id in (select capture_id from posts)"):
        path = data / "warc" / capture["warc_file"]
        with path.open("rb") as fh:
            fh.seek(capture["warc_offset"])
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_headers.get_header("WARC-Record-ID") == capture["warc_record_id"]
            assert record.rec_headers.get_header("WARC-Target-URI") == capture["url"]


def test_warc_holds_every_exchange_as_sent(seed_crawl, seed_server):
    data, _ = seed_crawl
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert files and not list((data / "warc").glob("*.open"))
    responses, requests = {}, {}
    for path in files:
        check = subprocess.run(
            [sys.executable, "-c", "import sys; from warcio.cli import main; main(sys.argv[1:])",
             "check", "-v", str(path)],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        with path.open("rb") as fh:
            types = []
            for record in ArchiveIterator(fh):
                types.append(record.rec_type)
                if record.rec_type == "response":
                    payload = record.raw_stream.read()
                    digest = "sha1:" + b32encode(hashlib.sha1(payload).digest()).decode()
                    assert record.rec_headers.get_header("WARC-Payload-Digest") == digest
                    responses[record.rec_headers.get_header("WARC-Target-URI")] = (record, payload)
                elif record.rec_type == "request":
                    requests[record.rec_headers.get_header("WARC-Concurrent-To")] = record
            assert types[0] == "warcinfo"
    paths = {url.split("/", 3)[3] if url.count("/") > 2 else "" for url in responses}
    assert "robots.txt" in paths, "robots.txt is archived too"
    assert "feed.xml" in paths and "sitemap.xml" in paths
    for url, (record, payload) in responses.items():
        path = "/" + url.split("/", 3)[3]
        if record.http_headers.get_statuscode() == "200":
            assert payload == seed_server.sent[path], url
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        assert record_id in requests, f"request record for {url}"
    # each page fetched once
    db = sqlite_utils.Database(data / "archive.db")
    dupes = list(db.query("select url, count(*) n from captures group by url having n > 1"))
    assert dupes == []


def test_second_crawl_updates_rows_instead_of_adding(seed_crawl, seed_server):
    data, _ = seed_crawl
    db = sqlite_utils.Database(data / "archive.db")
    before = {t: db[t].count for t in ("posts", "comments")}
    last_seen = db.execute("select max(last_seen) from comments").fetchone()[0]
    crawl(seed_server.url, data)
    after = {t: db[t].count for t in ("posts", "comments")}
    assert after == before == {"posts": 3, "comments": 36}
    assert db["crawls"].count == 2
    assert db.execute("select max(last_seen) from comments").fetchone()[0] >= last_seen
    assert db.execute("select count(distinct first_seen) from posts").fetchone()[0] >= 1


def test_gzip_encoded_responses_are_archived_encoded(gzip_seed_server, tmp_path):
    crawl(gzip_seed_server.url, tmp_path)
    db = sqlite_utils.Database(tmp_path / "archive.db")
    assert db["comments"].count == 36
    seen_gzip = 0
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                if record.http_headers.get_header("Content-Encoding") == "gzip":
                    raw = record.raw_stream.read()
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    assert raw == gzip_seed_server.sent["/" + url.split("/", 3)[3]]
                    assert raw[:2] == b"\x1f\x8b"
                    seen_gzip += 1
    assert seen_gzip >= 5
