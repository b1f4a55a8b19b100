"""Replay in pywb: a crawl's pages come back byte for byte after the origin is gone.

The seed site is crawled, then its server is shut down. pywb (in its own venv:
`$ARCHIVER_PYWB` or /opt/pywb/bin, never a dependency of the package) gets the
crawl's WARC files (`wb-manager add`) and the WACZ that `archiver export wacz`
made of them (`wb-manager add --unpack-wacz`, which uses the package's own CDXJ
index). `wayback -b 127.0.0.1` serves both, and every page the origin sent is
fetched back in `id_` mode and compared with its bytes.

Metadata records about a page carry its URL. Beside the crawl's WARCs goes a
probe WARC with one `application/warc-fields` metadata record per post, dated
a second after the page: replay must still serve the page at that time. A
control collection gets the same records typed `application/json`, which pywb
indexes and serves instead of the page: the pitfall the convention avoids.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
import sqlite_utils
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from .conftest import SEED_SITE, crawl, run_archiver, start_server


def pywb_bin() -> Path | None:
    """The directory holding pywb's `wayback` and `wb-manager`, or None."""
    configured = os.environ.get("ARCHIVER_PYWB")
    candidates = [Path(configured), Path(configured) / "bin"] if configured else []
    candidates.append(Path("/opt/pywb/bin"))
    for directory in candidates:
        if (directory / "wayback").is_file() and (directory / "wb-manager").is_file():
            return directory
    return None


PYWB = pywb_bin()
pytestmark = pytest.mark.skipif(
    PYWB is None,
    reason="pywb not found: set ARCHIVER_PYWB to its bin directory, or "
    "`python -m venv /opt/pywb && /opt/pywb/bin/pip install pywb`",
)


@dataclass
class Replay:
    url: str  # http://127.0.0.1:PORT
    data: Path  # the crawl's data directory
    sent: dict[str, bytes]  # path -> body, as the origin sent it
    origin: str  # the origin's base URL (now closed)
    collections: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wb_manager(root: Path, *args: str) -> None:
    assert PYWB is not None
    result = subprocess.run(
        [str(PYWB / "wb-manager"), *args], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"wb-manager {' '.join(args)}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> Iterator[Replay]:
    assert PYWB is not None
    root = tmp_path_factory.mktemp("replay")
    data = root / "data"
    server, origin = start_server(SEED_SITE)
    try:
        crawl(origin.url, data)
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(OSError):  # the origin is gone: only the archive can answer now
        urllib.request.urlopen(origin.url, timeout=2)

    pywb_root = root / "pywb"
    pywb_root.mkdir()
    crawl_warcs = [str(p) for p in sorted((data / "warc").glob("*.warc.gz"))]
    probe, control = root / "probe-fields.warc.gz", root / "probe-json.warc.gz"
    write_metadata_probe(probe, data, "application/warc-fields", b"note: a metadata record\r\n")
    write_metadata_probe(control, data, "application/json", b'{"note": "a metadata record"}')
    wb_manager(pywb_root, "init", "warcs")
    wb_manager(pywb_root, "add", "warcs", *crawl_warcs, str(probe))
    wb_manager(pywb_root, "init", "control")
    wb_manager(pywb_root, "add", "control", *crawl_warcs, str(control))
    collections = ["warcs"]
    try:
        import wacz  # noqa: F401
    except ImportError:
        pass
    else:
        run_archiver("export", "wacz", str(data), "-o", str(root / "crawl.wacz"))
        wb_manager(pywb_root, "init", "wacz")
        wb_manager(pywb_root, "add", "--unpack-wacz", "wacz", str(root / "crawl.wacz"))
        collections.append("wacz")

    port = free_port()
    log = (root / "wayback.log").open("wb")
    process = subprocess.Popen(
        [str(PYWB / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
        cwd=pywb_root, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url, root / "wayback.log")
        yield Replay(url, data, dict(origin.sent), origin.url, collections)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def write_metadata_probe(path: Path, data: Path, content_type: str, body: bytes) -> None:
    """One metadata record per post URL, dated a second after the post's capture."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for post in post_captures(data):
            when = datetime.fromisoformat(post["fetched_at"]) + timedelta(seconds=1)
            date = datetime_to_iso_date(when.astimezone(timezone.utc).replace(tzinfo=None))
            record = writer.create_warc_record(
                post["url"], "metadata", payload=BytesIO(body), length=len(body),
                warc_content_type=content_type, warc_headers_dict={"WARC-Date": date},
            )  # fmt: skip
            writer.write_record(record)


def post_captures(data: Path) -> list[dict]:
    """Each post URL with the time of its own (latest) capture."""
    db = sqlite_utils.Database(data / "archive.db")
    return list(db.query(
        "select p.url, max(c.fetched_at) as fetched_at from posts p "
        "join captures c on c.url = p.url and c.status = 200 group by p.url order by p.url"
    ))  # fmt: skip


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"wayback exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise AssertionError(f"wayback did not start in {timeout} s:\n{log.read_text()}")


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def timestamp(fetched_at: str) -> str:
    when = datetime.fromisoformat(fetched_at).astimezone(timezone.utc)
    return when.strftime("%Y%m%d%H%M%S")


def captures(data: Path) -> list[dict]:
    db = sqlite_utils.Database(data / "archive.db")
    return list(db.query("select url, fetched_at from captures where status = 200 order by url"))


def test_wayback_listens_on_loopback_only(replay):
    """`wayback` binds 0.0.0.0 unless told `-b 127.0.0.1`: check the kernel's socket table."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("no /proc/net/tcp on this system")
    port = int(replay.url.rsplit(":", 1)[1])
    listening = set()
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1, little-endian hex


@pytest.mark.parametrize("collection", ["warcs", "wacz"])
def test_every_post_page_replays_byte_identical(replay, collection):
    if collection not in replay.collections:
        pytest.skip("the wacz package is not installed: no WACZ to replay")
    posts = [
        r["url"] for r in sqlite_utils.Database(replay.data / "archive.db").query("select url from posts")
    ]
    assert len(posts) == 3
    pages = captures(replay.data)
    assert set(posts) <= {c["url"] for c in pages}
    for capture in pages:  # the post pages, their comment pages, feeds, sitemaps, robots.txt
        path = "/" + capture["url"].split("/", 3)[3]
        status, body = fetch(
            f"{replay.url}/{collection}/{timestamp(capture['fetched_at'])}id_/{capture['url']}"
        )
        assert status == 200, capture["url"]
        assert body == replay.sent[path], capture["url"]
        local = SEED_SITE / path.lstrip("/")
        if local.is_dir():
            local = local / "index.html"
        assert body == local.read_bytes(), capture["url"]


def test_metadata_records_never_shadow_pages(replay):
    """Indexers skip `application/warc-fields` metadata; other types can be served as the page."""
    for path in (replay.data / "warc").glob("*.warc.gz"):  # our own metadata keeps the convention
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("metadata", "resource"):
                    content_type = record.rec_headers.get_header("Content-Type")
                    assert content_type == "application/warc-fields", record.rec_headers
    posts = post_captures(replay.data)
    assert len(posts) == 3
    for post in posts:
        later = (datetime.fromisoformat(post["fetched_at"]) + timedelta(seconds=1)).isoformat()
        page = replay.sent["/" + post["url"].split("/", 3)[3]]
        for collection in ("warcs", "control"):
            status, body = fetch(f"{replay.url}/{collection}/{timestamp(later)}id_/{post['url']}")
            if collection == "warcs":
                assert (status, body) == (200, page), post["url"]
            else:  # the control: a JSON metadata record at that time is what pywb serves
                assert body == b'{"note": "a metadata record"}', post["url"]
