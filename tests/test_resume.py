"""Kill -9 a real crawl at several points, run it again: the archive equals an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from .conftest import SEED_SITE, crawl, start_server


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


@pytest.mark.parametrize(("kill_after", "torn_tail"), [(1, False), (5, True), (9, True)])
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
            fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + os.urandom(300))

    resumed = subprocess.run(crawl_args(slow_seed.url, data), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming crawl 1" in resumed.stderr
    assert snapshot(data, slow_seed.url) == reference
    db = sqlite_utils.Database(data / "archive.db")
    assert [r["outcome"] for r in db.query("select outcome from crawls")] == ["finished"]
