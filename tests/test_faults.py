"""The fault matrix: a real crawl of a misbehaving server; every fault ends in a recorded outcome."""

from __future__ import annotations

import pytest
import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from .conftest import crawl, run_archiver
from .faultserver import start_fault_server


@pytest.fixture(scope="module")
def faulty_crawl(tmp_path_factory):
    server, url = start_fault_server()
    data = tmp_path_factory.mktemp("faults")
    result = crawl(
        url, data, "--timeout", "3",
        "-s", "RETRY_TIMES=2", "-s", "ARCHIVER_MAX_PAGE_SIZE=1000000",
        "-s", "DOWNLOAD_MAXSIZE=10000000", "-s", "ARCHIVER_MAX_COMMENT_PAGES=5",
        "-s", "ARCHIVER_MAX_RETRY_AFTER=5",
    )  # fmt: skip
    server.shutdown()
    db = sqlite_utils.Database(data / "archive.db")
    return url, data, db, result, server.hits


def errors_for(db, url: str) -> set[str]:
    return {r["kind"] for r in db.query("select kind from errors where url = ?", [url])}


def post(db, url: str):
    return next(iter(db.query("select * from posts where url = ?", [url])), None)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("gone-404", "http 404"),
        ("gone-410", "http 410"),
        ("too-patient-429", "http 429"),
        ("slow", "timeout"),
        ("reset", "truncated"),
        ("huge", "too large"),
        ("loop-a", "redirect loop"),
        ("bomb", "too large"),
        ("binary", "not html"),
        ("json", "not html"),
        ("empty", "empty"),
        ("endless", "limit"),
    ],
)
def test_each_fault_is_recorded_with_its_reason(faulty_crawl, fault, kind):
    url, _, db, _, _ = faulty_crawl
    assert kind in errors_for(db, f"{url}{fault}/")


def test_offsite_redirect_is_not_followed(faulty_crawl):
    url, _, db, _, hits = faulty_crawl
    assert errors_for(db, f"{url}offsite/") == {"out of scope"}
    assert hits["/target/"] == 0


@pytest.mark.parametrize("fault", ["ok-post", "flaky-500", "busy-503", "rate-429"])
def test_recoverable_faults_still_give_the_thread(faulty_crawl, fault):
    url, _, db, _, hits = faulty_crawl
    row = post(db, f"{url}{fault}/")
    assert row is not None
    assert db.execute("select count(*) from comments where post_id = ?", [row["id"]]).fetchone()[0] == 2


def test_retry_after_is_honoured_and_long_waits_are_not_retried(faulty_crawl):
    _, _, _, _, hits = faulty_crawl
    assert hits["/rate-429/"] == 2 and hits["/busy-503/"] == 2
    assert hits["/too-patient-429/"] == 1


def test_endless_comment_pages_are_bounded(faulty_crawl):
    url, _, db, _, hits = faulty_crawl
    assert max(int(p.rsplit("-", 1)[1].strip("/")) for p in hits if p.startswith("/endless/comment-page-")) <= 6
    row = post(db, f"{url}endless/")
    assert db.execute("select count(*) from comments where post_id = ?", [row["id"]]).fetchone()[0] >= 10


def test_wrong_and_missing_charsets_are_decoded(faulty_crawl):
    url, _, db, _, _ = faulty_crawl
    cp1252 = post(db, f"{url}cp1252/")
    assert cp1252["title"] == "Café déjà vu – “quoted”"
    texts = [r["text"] for r in db.query("select text from comments where post_id = ?", [cp1252["id"]])]
    assert any("Señora Müller’s naïve reply" in t for t in texts)
    sjis = post(db, f"{url}sjis/")
    assert sjis["title"] == "日本語のブログ記事"
    authors = {r["author"] for r in db.query("select author from comments where post_id = ?", [sjis["id"]])}
    assert "山田太郎" in authors


def test_partial_bodies_are_kept_as_truncated_warc_records(faulty_crawl):
    url, data, db, _, _ = faulty_crawl
    truncated = {}
    for path in (data / "warc").glob("*.warc.gz"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Truncated"):
                    truncated[record.rec_headers.get_header("WARC-Target-URI")] = (
                        record.rec_headers.get_header("WARC-Truncated"),
                        len(record.raw_stream.read()),
                    )
    assert truncated[f"{url}reset/"][0] == "disconnect" and truncated[f"{url}reset/"][1] == 2000
    assert truncated[f"{url}huge/"][0] == "length" and truncated[f"{url}huge/"][1] >= 1_000_000


def test_crawl_finishes_with_a_readable_summary(faulty_crawl):
    _, _, db, result, _ = faulty_crawl
    assert result.returncode == 0
    assert "errors" in result.stdout
    assert [r["outcome"] for r in db.query("select outcome from crawls")] == ["finished"]


# What a crawl decides without an answer to read: no response in the WARC holds them.
CRAWL_DECISIONS = {"timeout", "redirect loop", "out of scope", "limit"}


def test_a_rebuild_from_the_warcs_records_the_errors_the_crawl_did(faulty_crawl, tmp_path):
    """The WARCs hold redirects, robots.txt, 404s of sitemap guesses, 5xx and 429 answers a
    retry replaced, cut-off bodies and a gzip bomb: a rebuild records of them exactly what
    the crawl recorded."""
    url, data, _, _, _ = faulty_crawl
    run_archiver("reextract", str(data / "warc"), "--data", str(tmp_path))

    def errors(data_dir):
        rows = sqlite_utils.Database(data_dir / "archive.db").execute("select url, kind from errors")
        return {(u.replace(url, "/"), kind) for u, kind in rows.fetchall()}

    live, rebuilt = errors(data), errors(tmp_path)
    assert rebuilt == {e for e in live if e[1] not in CRAWL_DECISIONS}
    assert {("/huge/", "too large"), ("/reset/", "truncated"), ("/bomb/", "too large"),
            ("/gone-404/", "http 404"), ("/too-patient-429/", "http 429")} <= rebuilt  # fmt: skip
