"""Kill -9 a real crawl at several points, run it again: the archive equals an uninterrupted one.

The resumed crawl also finishes what the kill left: its `.open` WARC file is cut
after its last complete record (the torn tail kept in warc/damaged/) and closed,
so `archiver verify` passes with no --repair.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import sqlite_utils

from .conftest import SEED_SITE, crawl, run_archiver, start_server

TORN_TAILS = {  # what a kill in the middle of writing a record leaves after the last whole one
    # garbage after a gzip header: reads as a damaged member running to the end of the file
    "garbage": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + os.urandom(300),
    # the first half of a real member: the file ends inside it
    "cut member": zlib.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(2000),
                                wbits=31)[:1000],
}  # fmt: skip


@pytest.fixture(scope="module")
def slow_seed():
    server, info = start_server(SEED_SITE, delay=0.3)
    yield info
    server.shutdown()
    server.server_close()


def crawl_args(url: str, data: Path) -> list[str]:
    return [sys.executable, "-m", "archiver", "crawl", url, "--data", str(data),
            "--delay", "0", "--allow-private", "--concurrency", "1", "-q"]  # fmt: skip


def snapshot(data: Path, base: str) -> dict[str, object]:
    db = sqlite_utils.Database(data / "archive.db")

    def rows(sql: str) -> list[tuple]:
        return sorted(tuple(str(v).replace(base, "/") for v in r.values()) for r in db.query(sql))

    return {
        "posts": rows("select url, title, author, published, text from posts"),
        "comments": rows(
            "select p.url, c.source_id, c.depth, c.position, c.author, c.text, "
            "(select source_id from comments x where x.id = c.parent_id) from comments c "
            "join posts p on p.id = c.post_id"
        ),
        "captures": rows("select url, status, count(*) from captures group by url, status"),
    }


def captures_so_far(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        return sqlite_utils.Database(db_path).execute("select count(*) from captures").fetchone()[0]
    except Exception:  # the schema may not exist yet
        return 0


@pytest.fixture(scope="module")
def reference(slow_seed, tmp_path_factory):
    data = tmp_path_factory.mktemp("reference")
    crawl(slow_seed.url, data, "--concurrency", "1")
    return snapshot(data, slow_seed.url)


@pytest.mark.parametrize(
    ("kill_after", "torn_tail"), [(1, None), (5, "garbage"), (9, "garbage"), (5, "cut member")]
)
def test_kill_9_then_resume_gives_the_uninterrupted_archive(slow_seed, reference, tmp_path, kill_after, torn_tail):
    data = tmp_path / "data"
    process = subprocess.Popen(crawl_args(slow_seed.url, data), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while captures_so_far(data / "archive.db") < kill_after and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    open_files = list((data / "warc").glob("*.warc.gz.open"))
    assert open_files, "a killed crawl leaves its WARC open"
    if torn_tail:  # killed in the middle of writing a record
        with open_files[0].open("ab") as fh:
            fh.write(TORN_TAILS[torn_tail])

    resumed = subprocess.run(crawl_args(slow_seed.url, data), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming crawl 1" in resumed.stderr
    assert snapshot(data, slow_seed.url) == reference
    db = sqlite_utils.Database(data / "archive.db")
    assert [r["outcome"] for r in db.query("select outcome from crawls")] == ["finished"]

    assert list((data / "warc").glob("*.open")) == []
    for path in open_files:
        assert f"Resuming crawl 1: {path.name}: " in resumed.stderr
        assert path.with_name(path.name.removesuffix(".open")).exists()
    if torn_tail:  # cut into warc/damaged/, not deleted
        final = open_files[0].name.removesuffix(".open")
        assert (data / "warc" / "damaged" / f"{final}.tail").read_bytes().endswith(TORN_TAILS[torn_tail])
    verified = run_archiver("verify", str(data), check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_resume_closes_only_its_own_crawls_open_files(tmp_path):
    """Crawl 1 resumes: its leftover is closed and indexed; crawl 12's is not its to touch."""
    from archiver.repair import finish_crawl_files
    from archiver.store import Store
    from archiver.warc import WarcWriter

    from .test_warc import exchange

    warc_dir = tmp_path / "warc"
    leftovers, written = {}, {}
    for crawl_id in (1, 12):
        with WarcWriter(warc_dir, prefix=f"archiver-crawl{crawl_id}") as writer:
            written[crawl_id] = {
                (loc.offset, loc.record_id)
                for loc in (writer.write_exchange(exchange(f"https://blog.example/{i}")) for i in range(3))
            }
        (final,) = writer.files
        leftovers[crawl_id] = final.rename(final.with_name(final.name + ".open"))  # as if killed
    store = Store(tmp_path / "archive.db")
    try:
        assert store.start_crawl(["https://blog.example/"], {}) == 1
        done = finish_crawl_files(warc_dir, "archiver-crawl1", store, 1)
        rows = list(store.db.query("select crawl_id, warc_file, warc_offset, warc_record_id from captures"))
    finally:
        store.close()
    closed = leftovers[1].name.removesuffix(".open")
    assert done == [
        f"{leftovers[1].name}: no torn tail; closed as {closed} (7 records)",
        "rebuilt 3 captures rows from 1 WARC files",
    ]
    assert not leftovers[1].exists() and (warc_dir / closed).exists() and leftovers[12].exists()
    assert {(r["warc_offset"], r["warc_record_id"]) for r in rows} == written[1]
    assert {(r["crawl_id"], r["warc_file"]) for r in rows} == {(1, closed)}


def test_ctrl_c_drains_what_was_fetched_and_resumes(slow_seed, reference, tmp_path):
    # A graceful stop writes every page already fetched (records, then rows) before it
    # exits: its WARC is closed, every capture row points at its record, and running
    # the same crawl again finishes it.
    data = tmp_path / "data"
    process = subprocess.Popen(crawl_args(slow_seed.url, data), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while captures_so_far(data / "archive.db") < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) is not None
    db = sqlite_utils.Database(data / "archive.db")
    assert [r["outcome"] for r in db.query("select outcome from crawls")] == ["interrupted (shutdown)"]
    assert list((data / "warc").glob("*.open")) == []
    verified = run_archiver("verify", str(data), check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    resumed = subprocess.run(crawl_args(slow_seed.url, data), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert snapshot(data, slow_seed.url) == reference
