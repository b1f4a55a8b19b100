"""Shared test fixtures: real HTTP servers on 127.0.0.1 and real crawls into tmp dirs."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils

FIXTURES = Path(__file__).parent / "fixtures"
SEED_SITE = FIXTURES / "seed-thread" / "wordpress" / "site"
SEED_EXPECTED = FIXTURES / "seed-thread" / "wordpress" / "expected.json"


class FixtureHandler(SimpleHTTPRequestHandler):
    """Static files; gzip-encoded when the server is told to and the client accepts it.

    Every body sent is kept in `server.sent` so tests can compare the WARC with the wire.
    """

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".xml": "application/xml"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404, "Not Found")
            return None
        body = path.read_bytes()
        encode = self.server.gzip and "gzip" in self.headers.get("Accept-Encoding", "")  # type: ignore[attr-defined]
        if encode:
            body = gzip.compress(body, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if encode:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.server.sent[self.path.split("?")[0]] = body  # type: ignore[attr-defined]
        return io.BytesIO(body)


@dataclass
class FixtureServer:
    url: str
    sent: dict[str, bytes]


def start_server(
    directory: Path, *, use_gzip: bool = False, delay: float = 0.0
) -> tuple[ThreadingHTTPServer, FixtureServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(FixtureHandler, directory=str(directory)))
    server.gzip = use_gzip  # type: ignore[attr-defined]
    server.delay = delay  # type: ignore[attr-defined]
    server.sent = {}  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, FixtureServer(f"http://127.0.0.1:{server.server_address[1]}/", server.sent)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def seed_server() -> Iterator[FixtureServer]:
    server, info = start_server(SEED_SITE)
    yield info
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def gzip_seed_server() -> Iterator[FixtureServer]:
    server, info = start_server(SEED_SITE, use_gzip=True)
    yield info
    server.shutdown()
    server.server_close()


def run_archiver(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `archiver` command in a subprocess (Twisted's reactor runs once per process)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "archiver", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"archiver {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def crawl(url: str, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_archiver("crawl", url, "--data", str(data), "--delay", "0", "--allow-private", *extra)


def expected_seed() -> dict:
    return json.loads(SEED_EXPECTED.read_text())


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def minute(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso).replace(second=0, microsecond=0) if iso else None


def assert_archive_matches(db: sqlite_utils.Database, url: str, expected: dict) -> None:
    """archive.db holds exactly the expected threads, field for field, in thread order."""
    posts = {row["url"]: row for row in db["posts"].rows}
    wanted = {url.rstrip("/") + t["url"]: t for t in expected["threads"]}
    assert set(posts) == set(wanted), "exactly the expected posts, no index or comment pages"
    for post_url, thread in wanted.items():
        post = posts[post_url]
        assert post["title"] == thread["post"]["title"]
        assert post["author"] == thread["post"]["author"]
        assert minute(post["published"]) == minute(thread["post"]["published"])
        assert norm(post["text"]) == norm(thread["post"]["text"])
        assert post["platform"] == expected["platform"]
        assert post["site"] == url.split("/")[2]
        rows = list(
            db.query(
                "select c.*, p.source_id as parent_source from comments c "
                "left join comments p on p.id = c.parent_id "
                "where c.post_id = ? order by c.position",
                [post["id"]],
            )
        )
        assert [r["position"] for r in rows] == list(range(len(rows)))
        got = [
            (r["source_id"], r["parent_source"], r["depth"], r["author"], minute(r["published"]), norm(r["text"]))
            for r in rows
        ]
        want = [
            (
                str(c["id"]),
                None if c["parent_id"] is None else str(c["parent_id"]),
                c["depth"],
                c["author"],
                minute(c["published"]),
                norm(c["text"]),
            )
            for c in thread["comments"]
        ]
        assert got == want, thread["url"]
