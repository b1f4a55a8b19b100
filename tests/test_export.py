"""Exports and imports on real crawls of the seed site: WACZ, JSON Lines, CSV, HTML, import-warc.

One crawl of the seed WordPress site (3 posts, 36 comments, a 34-comment thread
over three comment pages) feeds every round trip: each export is read back and
compared with the archive's rows. A wget-made WARC of the same site, imported
with `archiver import-warc`, must give the same posts and comments.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import lxml.html
import pytest
import sqlite_utils
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver.cli import cli
from archiver.export.html import render_thread, thread_filename
from archiver.export.threads import ThreadRows, comment_tree

from .conftest import FIXTURES, crawl, start_server

XSS_SITE = FIXTURES / "xss" / "site"
SEED_SITE = FIXTURES / "seed-thread" / "wordpress" / "site"
WGET = shutil.which("wget")


@pytest.fixture(scope="module")
def seed_crawl(tmp_path_factory):
    """A crawl of the seed site, and a wget WARC of the same site made while it was up."""
    server, info = start_server(SEED_SITE)
    root = tmp_path_factory.mktemp("export")
    try:
        crawl(info.url, root / "live")
        if WGET:
            (root / "wget").mkdir()
            subprocess.run(
                [
                    WGET,
                    "--quiet",
                    "--recursive",
                    "--level=inf",
                    "--no-parent",
                    "-e",
                    "robots=off",
                    f"--warc-file={root / 'wget' / 'site'}",
                    "--directory-prefix",
                    str(root / "wget" / "files"),
                    info.url,
                ],
                check=False,
                timeout=60,
                capture_output=True,
            )  # fmt: skip  (wget exits 8 for the site's 404s)
    finally:
        server.shutdown()
        server.server_close()
    return root


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def db_rows(data: Path, sql: str) -> list[dict]:
    return list(sqlite_utils.Database(data / "archive.db").query(sql))


def comment_columns(data: Path) -> list[str]:
    return [c.name for c in sqlite_utils.Database(data / "archive.db")["comments"].columns]


# --- threads: JSON Lines -------------------------------------------------------


def preorder(nodes: list[dict], parent: int | None, depth: int) -> list[dict]:
    """The tree flattened in reading order, checking each node sits under its parent."""
    flat = []
    for node in nodes:
        assert node["parent_id"] == parent and node["depth"] == depth
        flat += [node, *preorder(node["replies"], node["id"], depth + 1)]
    return flat


def test_jsonl_round_trip_nests_every_comment_under_its_parent(seed_crawl, tmp_path):
    data = seed_crawl / "live"
    out = tmp_path / "threads.jsonl"
    invoke("export", "threads", str(data), "--format", "jsonl", "-o", str(out))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    posts = db_rows(data, "select * from posts order by id")
    assert [r["id"] for r in records] == [p["id"] for p in posts]
    columns = comment_columns(data)
    for record, post in zip(records, posts):
        assert {k: record[k] for k in post} == post
        stored = db_rows(data, f"select * from comments where post_id = {post['id']} order by position")
        assert record["comment_count"] == len(stored)
        flat = preorder(record["comments"], None, 0)
        assert [{k: c[k] for k in columns} for c in flat] == stored  # tree order is thread order
        for comment in flat:
            assert comment["capture"]["warc_file"].endswith(".warc.gz")
    thread = next(r for r in records if r["url"].endswith("/no-more-guernicas-no-more-aleppos/"))
    assert thread["comment_count"] == 34 and thread["title"] == "No more Guernicas! No more Aleppos!"


def test_jsonl_to_standard_output(seed_crawl):
    result = CliRunner().invoke(cli, ["export", "threads", str(seed_crawl / "live")])
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 3
    assert "Exported 3 posts and 36 comments as jsonl" in result.stderr


# --- threads: CSV ---------------------------------------------------------------


def test_csv_round_trip_one_row_per_post_and_comment_with_parent_ids(seed_crawl, tmp_path):
    data = seed_crawl / "live"
    out = tmp_path / "threads.csv"
    invoke("export", "threads", "--data", str(data), "--format", "csv", "-o", str(out))
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def text(value: object) -> str:
        return "" if value is None else str(value)

    posts = db_rows(data, "select * from posts order by id")
    assert [r["id"] for r in rows if r["kind"] == "post"] == [str(p["id"]) for p in posts]
    comments = [r for r in rows if r["kind"] == "comment"]
    stored = db_rows(
        data,
        "select c.*, k.warc_file, k.warc_offset from comments c join captures k on k.id = c.capture_id "
        "order by c.post_id, c.position",
    )
    assert len(comments) == len(stored) == 36
    for row, comment in zip(comments, stored):
        for column in ("post_id", "id", "parent_id", "source_id", "parent_source_id", "depth", "position",
                       "author", "author_url", "published", "text", "html", "warc_file", "warc_offset"):  # fmt: skip
            assert row[column] == text(comment[column]), column
        assert row["url"] == text(comment["permalink"])
    post_rows = {r["id"]: r for r in rows if r["kind"] == "post"}
    for post in posts:
        row = post_rows[str(post["id"])]
        assert (row["url"], row["title"], row["text"]) == (post["url"], post["title"], post["text"])
    replies = [r for r in comments if r["parent_id"]]
    ids = {r["id"]: r for r in comments}
    assert replies and all(ids[r["parent_id"]]["post_id"] == r["post_id"] for r in replies)


# --- threads: HTML --------------------------------------------------------------


def test_html_round_trip_one_page_per_post_nested_and_sanitised(seed_crawl, tmp_path):
    data = seed_crawl / "live"
    out = tmp_path / "html"
    invoke("export", "threads", str(data), "--format", "html", "-o", str(out))
    index = lxml.html.parse(str(out / "index.html")).getroot()
    links = [a.get("href") for a in index.cssselect("ul.index li > a")]
    posts = db_rows(data, "select * from posts order by id")
    assert sorted(links) == sorted(f"threads/{thread_filename(p)}" for p in posts)
    for post in posts:
        page = lxml.html.parse(str(out / "threads" / thread_filename(post))).getroot()
        assert page.cssselect("h1")[0].text_content() == post["title"]
        assert post["url"] in [a.get("href") for a in page.cssselect("article.post .meta a")]
        stored = db_rows(data, f"select * from comments where post_id = {post['id']} order by position")
        items = page.cssselect("li.comment")
        assert [int(li.get("data-id")) for li in items] == [c["id"] for c in stored]
        for li, comment in zip(items, stored):
            parent = li.getparent().getparent()  # li > ol.replies > li
            parent_id = int(parent.get("data-id")) if parent.tag == "li" else None
            assert parent_id == comment["parent_id"]
            assert li.get("data-depth") == str(comment["depth"])
            body = li.cssselect(":scope > article > .content")[0].text_content()
            assert " ".join(body.split()) == " ".join(comment["text"].split())
            source = li.cssselect(":scope > article > .source")[0].text_content()
            assert "WARC " in source and " offset " in source
        _assert_inert(page)


def test_html_of_hostile_comments_runs_nothing(tmp_path):
    server, info = start_server(XSS_SITE)
    try:
        crawl(info.url, tmp_path / "data")
    finally:
        server.shutdown()
        server.server_close()
    assert db_rows(tmp_path / "data", "select count(*) n from comments")[0]["n"] > 0
    invoke("export", "threads", str(tmp_path / "data"), "--format", "html", "-o", str(tmp_path / "html"))
    (thread,) = (tmp_path / "html" / "threads").glob("*.html")
    for path in (tmp_path / "html" / "index.html", thread):
        _assert_inert(lxml.html.parse(str(path)).getroot())
    page = lxml.html.parse(str(thread)).getroot()
    assert page.cssselect("h1")[0].text_content() == "Hostile <script>window.__xss=11</script> comments"
    assert "<img src=x onerror=window.__xss=7>" in [a.text_content() for a in page.cssselect(".author")]
    assert "[image: tracking pixel]" in [a.text_content() for a in page.cssselect(".content a")]


def _assert_inert(page: lxml.html.HtmlElement) -> None:
    assert not page.xpath("//script | //iframe | //object | //embed | //form | //img | //base | //svg")
    assert not page.xpath("//body//style | //@style | //@srcdoc")
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.tag
        for name in ("href", "src", "action"):
            value = (element.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), value
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp and "default-src 'none'" in csp[0]


def test_render_thread_escapes_what_it_did_not_sanitise():
    post = {"id": 7, "url": "javascript:alert(1)", "title": "<script>alert(1)</script> & co",
            "author": "<b>me</b>", "published": "2020-01-01T00:00:00+00:00", "text": "",
            "html": '<p onclick="x()">hi <img src="http://e.example/p.png" alt="a cat"></p>', "capture": None}  # fmt: skip
    comments = [
        {"id": 1, "parent_id": None, "depth": 0, "author": "x", "author_url": "javascript:evil()",
         "published": None, "text": "a\n\nb <i>", "html": "", "permalink": None, "capture": None},
    ]  # fmt: skip
    page = render_thread(ThreadRows(post, comments))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "javascript:" not in page and "onclick" not in page and "<img" not in page
    assert '<a href="http://e.example/p.png" rel="nofollow noopener">[image: a cat]</a>' in page
    assert "<p>a</p><p>b &lt;i&gt;</p>" in page
    assert thread_filename(post) == "7-script-alert-1-script-co.html"
    assert thread_filename({"id": 3, "title": "Ça été « déjà vu »"}) == "3-ca-ete-deja-vu.html"
    assert thread_filename({"id": 4, "title": None}) == "4-post.html"


def test_comment_tree_keeps_orphans_and_breaks_cycles():
    comments = [
        {"id": 1, "parent_id": None}, {"id": 2, "parent_id": 1}, {"id": 3, "parent_id": 99},
        {"id": 4, "parent_id": 5}, {"id": 5, "parent_id": 4},
    ]  # fmt: skip
    tree = comment_tree(comments)
    assert [n["id"] for n in tree] == [1, 3, 5]
    assert [n["id"] for n in tree[0]["replies"]] == [2]
    assert [n["id"] for n in tree[2]["replies"]] == [4]


# --- WACZ -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wacz_file(seed_crawl):
    pytest.importorskip("wacz", reason="the wacz package is not installed (pip install 'archiver[wacz]')")
    out = seed_crawl / "crawl.wacz"
    output = invoke("export", "wacz", str(seed_crawl / "live"), "-o", str(out), "--with-db")
    assert "3 pages for 3 posts" in output
    return out


def test_wacz_validates(wacz_file):
    result = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz_file)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded, the passed WACZ is valid" in result.stdout


def test_wacz_layout_pages_and_digests(wacz_file, seed_crawl):
    data = seed_crawl / "live"
    with zipfile.ZipFile(wacz_file) as zf:
        names = zf.namelist()
        warcs = sorted(p.name for p in (data / "warc").glob("*.warc.gz"))
        assert sorted(n for n in names if n.startswith("archive/")) == [f"archive/{w}" for w in warcs]
        for name in names:
            if name.startswith("archive/") or name == "indexes/index.cdx.gz":
                assert zf.getinfo(name).compress_type == zipfile.ZIP_STORED, name
        for warc in warcs:
            assert zf.read(f"archive/{warc}") == (data / "warc" / warc).read_bytes()
        assert "indexes/index.cdx.gz" in names and "indexes/index.idx" in names

        pages = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
        header = json.loads(pages[0])
        assert header == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
        entries = {p["url"]: p for p in map(json.loads, pages[1:])}
        posts = db_rows(data, "select url, title from posts")
        assert set(entries) == {p["url"] for p in posts}
        captured = {r["url"]: r["fetched_at"] for r in db_rows(data, "select url, fetched_at from captures")}
        for post in posts:
            entry = entries[post["url"]]
            assert entry["title"] == post["title"]
            assert entry["ts"] == captured[post["url"]].replace("+00:00", "Z")

        package = json.loads(zf.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == set(names) - {"datapackage.json", "datapackage-digest.json"}
        for name, resource in listed.items():
            body = zf.read(name)
            assert resource["hash"] == "sha256:" + hashlib.sha256(body).hexdigest(), name
            assert resource["bytes"] == len(body)
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()

        db_copy = seed_crawl / "from-wacz.db"
        db_copy.write_bytes(zf.read("archiver/archive.db"))
    with sqlite3.connect(db_copy) as conn:
        assert conn.execute("select count(*) from comments").fetchone() == (36,)


def test_wacz_without_warcs_is_a_clear_error(tmp_path):
    pytest.importorskip("wacz")
    (tmp_path / "warc").mkdir()
    result = CliRunner().invoke(cli, ["export", "wacz", str(tmp_path), "-o", str(tmp_path / "x.wacz")])
    assert result.exit_code == 1
    assert "no finished WARC files" in result.output and "Traceback" not in result.output


# --- import-warc --------------------------------------------------------------------

POSTS = "select url, title, author, published, text from posts order by url"
COMMENTS = (
    "select (select url from posts where posts.id = c.post_id) as post, c.source_id, "
    "(select p.source_id from comments p where p.id = c.parent_id) as parent, c.depth, c.author, "
    "c.published, c.text from comments c order by post, c.source_id"
)


@pytest.mark.skipif(WGET is None, reason="wget is not installed (Debian package wget)")
def test_import_wget_warc_gives_the_same_threads_as_our_crawl(seed_crawl, tmp_path):
    wget_warc = seed_crawl / "wget" / "site.warc.gz"
    assert wget_warc.exists(), "wget wrote no WARC"
    data = tmp_path / "imported"
    output = invoke("import-warc", str(wget_warc), "--data", str(data))
    assert "3 posts and 36 comments stored" in output
    assert db_rows(data, POSTS) == db_rows(seed_crawl / "live", POSTS)
    assert db_rows(data, COMMENTS) == db_rows(seed_crawl / "live", COMMENTS)

    copied = data / "warc" / "site.warc.gz"
    assert copied.read_bytes() == wget_warc.read_bytes() and not copied.is_symlink()
    captures = db_rows(data, "select url, warc_file, warc_offset, warc_record_id from captures")
    assert {c["warc_file"] for c in captures} == {"site.warc.gz"}
    by_offset = {c["warc_offset"]: c for c in captures}
    with copied.open("rb") as fh:  # every capture row points at its own record in DATA/warc/
        for record in (it := ArchiveIterator(fh)):
            capture = by_offset.pop(it.get_record_offset(), None)
            if capture:
                assert record.rec_headers.get_header("WARC-Record-ID") == capture["warc_record_id"]
    assert not by_offset

    again = invoke("import-warc", str(wget_warc), "--data", str(data))
    assert "1 already there" in again
    assert sorted(p.name for p in (data / "warc").iterdir()) == ["site.warc.gz"]
    assert db_rows(data, "select count(*) n from comments")[0]["n"] == 36


@pytest.mark.skipif(WGET is None, reason="wget is not installed (Debian package wget)")
def test_import_no_copy_links_and_renames_on_a_name_clash(seed_crawl, tmp_path):
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    (data / "warc" / "site.warc.gz").write_bytes(b"another file of the same name")
    output = invoke("import-warc", str(seed_crawl / "wget"), "--data", str(data), "--no-copy")
    assert "1 linked" in output
    linked = data / "warc" / "site-2.warc.gz"
    assert linked.is_symlink() and linked.resolve() == (seed_crawl / "wget" / "site.warc.gz").resolve()
    assert {r["warc_file"] for r in db_rows(data, "select distinct warc_file from captures")} == {
        "site-2.warc.gz"
    }
    assert db_rows(data, "select count(*) n from posts")[0]["n"] == 3


def test_import_of_a_missing_path_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["import-warc", str(tmp_path / "nope.warc.gz"), "--data", str(tmp_path)])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_threads_export_of_a_missing_archive_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["export", "threads", str(tmp_path)])
    assert result.exit_code == 1 and "no archive here" in result.output
    result = CliRunner().invoke(cli, ["export", "threads", str(tmp_path), "--format", "html"])
    assert result.exit_code == 2 and "-o DIR" in result.output
