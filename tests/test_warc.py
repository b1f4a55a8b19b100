"""WARC writing: real files in tmp_path, read back with warcio and checked byte by byte."""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import sys
import zlib
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.warc import Exchange, WarcLocation, WarcWriter, request_target

T0 = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
HTML = b"<!doctype html><html><head><title>t</title></head><body><p>caf\xc3\xa9</p></body></html>"
GZIPPED = gzip.compress(b"<html><body>" + b"compressed comment " * 200 + b"</body></html>", mtime=0)


def exchange(url: str = "https://blog.example/2016/02/post/", **kw: object) -> Exchange:
    fields: dict[str, object] = {
        "url": url,
        "method": "GET",
        "request_headers": [("User-Agent", "archiver-test/1.0"), ("Accept", "text/html")],
        "request_body": b"",
        "protocol": "HTTP/1.1",
        "status": 200,
        "reason": "OK",
        "response_headers": [("Content-Type", "text/html; charset=utf-8")],
        "body": HTML,
        "fetched_at": T0,
        "ip_address": "127.0.0.1",
    }
    fields.update(kw)
    return Exchange(**fields)  # type: ignore[arg-type]


CASES = {
    "plain": exchange(),
    "gzip": exchange(
        "https://blog.example/feed/",
        response_headers=[
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "999"),
        ],
        body=GZIPPED,
    ),
    "cookies": exchange(
        "https://blog.example/login",
        response_headers=[
            ("Set-Cookie", "a=1; Path=/"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Type", "text/html"),
            ("Set-Cookie", "b=2; HttpOnly"),
        ],
    ),
    "404": exchange("https://blog.example/missing", status=404, reason=None, body=b"gone"),
    "query": exchange(
        "https://blog.example/?p=42&cpage=2#comments",
        fetched_at=T0 + timedelta(seconds=1),
        truncated="length",
    ),
}


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def members(path: Path) -> list[tuple[int, int, bytes]]:
    """(offset, length, decompressed record) of each gzip member, each read to its end."""
    data, pos, out = path.read_bytes(), 0, []
    while pos < len(data):
        d = zlib.decompressobj(31)
        record = d.decompress(data[pos:])
        assert d.eof, f"gzip member at {pos} is incomplete"
        length = len(data) - pos - len(d.unused_data)
        out.append((pos, length, record))
        pos += length
    return out


def parse_block(record: bytes) -> tuple[dict[str, str], bytes]:
    """WARC headers and block of one uncompressed record, parsed without warcio."""
    head, _, rest = record.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "WARC/1.1"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers["Content-Length"])
    assert rest[length:] == b"\r\n\r\n"
    return headers, rest[:length]


def read_records(path: Path) -> list[dict[str, Any]]:
    out = []
    with path.open("rb") as f:
        for rec in ArchiveIterator(f):
            out.append(
                {
                    "type": rec.rec_type,
                    "warc": rec.rec_headers,
                    "http": rec.http_headers,
                    "payload": rec.raw_stream.read(),
                }
            )
    return out


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, dict[str, WarcLocation]]:
    info = {"isPartOf": "crawl-7", "robots": "obey"}
    info["description"] = "start URLs: https://blog.example/"
    with WarcWriter(tmp_path, warcinfo=info) as writer:
        locations = {name: writer.write_exchange(ex) for name, ex in CASES.items()}
    [path] = writer.files
    return path, locations


def test_round_trip(written: tuple[Path, dict[str, WarcLocation]]) -> None:
    path, locations = written
    records = read_records(path)
    assert [r["type"] for r in records] == ["warcinfo"] + ["response", "request"] * len(CASES)
    info_id = records[0]["warc"].get_header("WARC-Record-ID")
    by_id = {r["warc"].get_header("WARC-Record-ID"): r for r in records}

    for (name, ex), response, request in zip(CASES.items(), records[1::2], records[2::2]):
        warc, http = response["warc"], response["http"]
        loc = locations[name]
        assert response["payload"] == ex.body, name  # byte for byte, still gzip-encoded
        assert warc.get_header("WARC-Record-ID") == loc.record_id
        assert warc.get_header("WARC-Target-URI") == ex.url.split("#")[0]
        assert warc.get_header("WARC-Date") == ex.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert warc.get_header("WARC-IP-Address") == "127.0.0.1"
        assert warc.get_header("WARC-Warcinfo-ID") == info_id
        assert warc.get_header("WARC-Payload-Digest") == loc.payload_digest == sha1(ex.body)
        assert warc.get_header("WARC-Truncated") == ex.truncated
        assert http.get_header("Content-Length") == str(len(ex.body))
        assert http.get_header("Transfer-Encoding") is None
        # Concurrent-To links resolve both ways
        assert warc.get_header("WARC-Concurrent-To") == loc.request_record_id
        assert by_id[loc.request_record_id] is request
        assert request["warc"].get_header("WARC-Concurrent-To") == loc.record_id
        assert request["warc"].get_header("WARC-Target-URI") == warc.get_header("WARC-Target-URI")
        assert request["http"].protocol == "GET"
        assert request["http"].statusline == f"{request_target(ex.url)} HTTP/1.1"
        assert request["http"].headers[0] == ("Host", "blog.example")
        assert request["http"].headers[1:] == ex.request_headers

    gz, cookies, missing, query = (records[1 + 2 * i] for i in range(1, 5))
    assert gz["http"].get_header("Content-Encoding") == "gzip"
    assert gz["http"].headers.count(("Content-Length", str(len(GZIPPED)))) == 1
    assert gzip.decompress(gz["payload"]).startswith(b"<html>")
    assert cookies["http"].headers == [
        ("Set-Cookie", "a=1; Path=/"),
        ("Content-Type", "text/html"),
        ("Set-Cookie", "b=2; HttpOnly"),
        ("Content-Length", str(len(HTML))),
    ]
    assert missing["http"].protocol == "HTTP/1.1"
    assert missing["http"].statusline == "404 Not Found"
    assert records[2 + 2 * 4]["http"].statusline == "/?p=42&cpage=2 HTTP/1.1"
    assert query["warc"].get_header("WARC-Target-URI") == "https://blog.example/?p=42&cpage=2"


def test_digests_verify(written: tuple[Path, dict[str, WarcLocation]]) -> None:
    path, _ = written
    parsed = [parse_block(record) for _, _, record in members(path)]
    assert len(parsed) == 1 + 2 * len(CASES)  # one gzip member per record
    for headers, block in parsed:
        assert headers["WARC-Block-Digest"] == sha1(block)
        if headers["WARC-Type"] != "warcinfo":
            payload = block.partition(b"\r\n\r\n")[2]
            assert headers["WARC-Payload-Digest"] == sha1(payload)


def test_warcinfo(written: tuple[Path, dict[str, WarcLocation]]) -> None:
    path, _ = written
    headers, block = parse_block(members(path)[0][2])
    assert headers["WARC-Type"] == "warcinfo"
    assert headers["WARC-Filename"] == path.name
    assert headers["Content-Type"] == "application/warc-fields"
    fields = dict(line.split(": ", 1) for line in block.decode().strip().split("\r\n"))
    assert fields["software"].startswith("archiver/") and " warcio/" in fields["software"]
    assert fields["format"] == "WARC File Format 1.1"
    assert "warc-1.1" in fields["conformsTo"]
    assert fields["isPartOf"] == "crawl-7" and fields["robots"] == "obey"
    assert fields["description"] == "start URLs: https://blog.example/"
    note = fields["capture-note"]
    assert "Transfer-Encoding" in note and "reason phrase" in note


def test_warcio_check_passes(written: tuple[Path, dict[str, WarcLocation]]) -> None:
    path, _ = written
    check = "import sys; from warcio.cli import main; main(sys.argv[1:])"
    command = [sys.executable, "-c", check, "check", "-v", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 1 + 2 * len(CASES)


def test_location_seeks_to_record(written: tuple[Path, dict[str, WarcLocation]]) -> None:
    path, locations = written
    with path.open("rb") as f:
        for name, loc in locations.items():
            f.seek(loc.offset)
            chunk = f.read(loc.length)
            found = [
                (record.rec_headers.get_header("WARC-Record-ID"), record.raw_stream.read())
                for record in ArchiveIterator(BytesIO(chunk))
            ]
            assert found == [(loc.record_id, CASES[name].body)]  # exactly one record in the member
            assert loc.filename == path.name


def test_header_bytes_kept_as_received(tmp_path: Path) -> None:
    raw = b'attachment; filename="caf\xc3\xa9.html"'
    headers = [("Content-Disposition", raw.decode("latin-1")), ("X-Empty", "")]
    ex = exchange(response_headers=headers)
    with WarcWriter(tmp_path) as writer:
        writer.write_exchange(ex)
    block = parse_block(members(writer.files[0])[1][2])[1]
    assert b"\r\nContent-Disposition: " + raw + b"\r\n" in block  # not %-encoded like warcio
    assert b"\r\nX-Empty: \r\n" in block


def test_unknown_status_and_http10(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        writer.write_exchange(exchange(status=599, reason=None, protocol="HTTP/1.0"))
        etag = [("ETag", '"x"')]
        writer.write_exchange(exchange(status=304, reason=None, body=b"", response_headers=etag))
    _, unknown, _, not_modified, _ = read_records(writer.files[0])
    assert unknown["http"].protocol == "HTTP/1.0" and unknown["http"].statusline == "599"
    assert not_modified["http"].statusline == "304 Not Modified"
    assert not_modified["http"].headers == [("ETag", '"x"')]  # a 304 gains no Content-Length


def test_revisit(tmp_path: Path) -> None:
    first = exchange()
    headers = [("Content-Type", "text/html"), ("Age", "3")]
    again = exchange(fetched_at=T0 + timedelta(days=1), response_headers=headers)
    with WarcWriter(tmp_path) as writer:
        original = writer.write_exchange(first)
        loc = writer.write_revisit(again, original, first.url, first.fetched_at)
        with pytest.raises(ValueError, match="differs"):
            writer.write_revisit(exchange(body=b"changed"), original, first.url, first.fetched_at)
    records = read_records(writer.files[0])
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    revisit, request = records[3], records[4]
    warc = revisit["warc"]
    assert warc.get_header("WARC-Record-ID") == loc.record_id
    profile = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert warc.get_header("WARC-Profile") == profile
    assert warc.get_header("WARC-Refers-To") == original.record_id
    assert warc.get_header("WARC-Refers-To-Target-URI") == first.url
    assert warc.get_header("WARC-Refers-To-Date") == "2024-05-01T12:30:15.123456Z"
    assert warc.get_header("WARC-Payload-Digest") == original.payload_digest == loc.payload_digest
    assert revisit["payload"] == b""  # HTTP headers only
    assert revisit["http"].get_header("Age") == "3"
    assert request["warc"].get_header("WARC-Record-ID") == loc.request_record_id
    assert request["warc"].get_header("WARC-Concurrent-To") == loc.record_id
    assert warc.get_header("WARC-Concurrent-To") == loc.request_record_id
    headers, block = parse_block(members(writer.files[0])[3][2])
    assert headers["WARC-Block-Digest"] == sha1(block) and block.endswith(b"\r\n\r\n")


def test_rotation(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="rot", max_size=1)
    locations = [writer.write_exchange(ex) for ex in CASES.values()]
    assert writer.files == [tmp_path / loc.filename for loc in locations[:-1]]
    writer.close()
    writer.close()  # idempotent
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(loc.filename for loc in locations)
    assert writer.files == [tmp_path / loc.filename for loc in locations]
    assert len(set(writer.files)) == len(CASES)
    for path, loc, serial in zip(writer.files, locations, range(len(CASES))):
        assert path.name.startswith("rot-") and path.name.endswith(".warc.gz")
        assert f"-{serial:05d}-" in path.name
        records = read_records(path)
        assert [r["type"] for r in records] == ["warcinfo", "response", "request"]
        info_id = records[0]["warc"].get_header("WARC-Record-ID")
        assert records[0]["warc"].get_header("WARC-Filename") == path.name
        assert {r["warc"].get_header("WARC-Warcinfo-ID") for r in records[1:]} == {info_id}
        assert records[1]["warc"].get_header("WARC-Record-ID") == loc.record_id
    with pytest.raises(ValueError, match="closed"):
        writer.write_exchange(exchange())


def test_rotation_keeps_files_under_max_size(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, max_size=3000) as writer:
        for _ in range(10):
            writer.write_exchange(exchange())
    assert len(writer.files) > 1
    assert all(p.stat().st_size <= 3000 for p in writer.files)
    assert sum(len(read_records(p)) for p in writer.files) == 10 * 2 + len(writer.files)


def test_open_file_readable_before_close(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written, no file
    first = writer.write_exchange(CASES["plain"])
    writer.write_exchange(CASES["gzip"])
    [open_path] = tmp_path.iterdir()
    assert open_path.name == first.filename + ".open" and writer.files == []
    types = [r["type"] for r in read_records(open_path)]
    assert types == ["warcinfo"] + ["response", "request"] * 2
    assert len(members(open_path)) == 5  # every member complete: flushed after each exchange
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [first.filename]


def test_killed_crawl_leaves_readable_open_file(tmp_path: Path) -> None:
    script = (
        "import os, sys; from datetime import datetime, timezone; from pathlib import Path\n"
        "from archiver.warc import Exchange, WarcWriter\n"
        "w = WarcWriter(Path(sys.argv[1]))\n"
        "for i in range(3):\n"
        "    w.write_exchange(Exchange(f'http://h/{i}', 'GET', [], b'', 'HTTP/1.1', 200, None, [],"
        " b'x' * 5000, datetime.now(timezone.utc)))\n"
        "os._exit(9)  # killed: no close, no rename\n"
    )
    root = Path(__file__).resolve().parents[1]  # import archiver from this tree, installed or not
    command = [sys.executable, "-c", script, str(tmp_path)]
    result = subprocess.run(command, cwd=root, capture_output=True, check=False)
    assert result.returncode == 9, result.stderr
    [path] = tmp_path.iterdir()
    assert path.name.endswith(".warc.gz.open")
    assert len(members(path)) == 7
    records = read_records(path)
    assert [r["payload"] for r in records if r["type"] == "response"] == [b"x" * 5000] * 3


def test_two_writers_same_second(tmp_path: Path) -> None:
    a, b = WarcWriter(tmp_path), WarcWriter(tmp_path)
    with a, b:
        la, lb = a.write_exchange(exchange()), b.write_exchange(exchange())
    assert la.filename != lb.filename
    assert len(list(tmp_path.iterdir())) == 2


def test_bad_input_rejected(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match="aware"):
            writer.write_exchange(exchange(fetched_at=datetime(2024, 1, 1)))
        with pytest.raises(ValueError, match="line break"):
            writer.write_exchange(exchange(response_headers=[("X-Evil", "a\r\nWARC-Type: bad")]))
    assert writer.files == []
    with pytest.raises(ValueError):
        WarcWriter(tmp_path, warcinfo={"bad name": "x"})


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://h/", "/"),
        ("http://h", "/"),
        ("http://h?x=1", "/?x=1"),
        ("http://u:p@h:8080/a/b?c=d&e=%20#frag", "/a/b?c=d&e=%20"),
        ("https://h/p?", "/p?"),
    ],
)
def test_request_target(url: str, target: str) -> None:
    assert request_target(url) == target


def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each os.fsync from now on as "file" or "dir"."""
    import os
    import stat

    calls: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_fsync_per_batch_of_exchanges_and_on_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fsyncs(monkeypatch)
    writer = WarcWriter(tmp_path, sync_every=3, sync_interval=60)
    for _ in range(7):
        writer.write_exchange(exchange())
    assert calls == ["dir", "file", "file"]  # the new name; after exchanges 3 and 6
    writer.close()
    assert calls == ["dir", "file", "file", "file", "dir"]  # the last batch; the rename


def test_fsync_within_sync_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    calls = fsyncs(monkeypatch)
    with WarcWriter(tmp_path, sync_every=1000, sync_interval=0.5) as writer:
        writer.write_exchange(exchange())
        writer.write_exchange(exchange())
        assert calls == ["dir"]  # the new name only, so far
        deadline = time.monotonic() + 10
        while not calls.count("file") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert calls == ["dir", "file"]  # one fsync for the batch of two, by the timer
        time.sleep(1)
        assert calls == ["dir", "file"]  # nothing written since: no timer, no fsync
        writer.write_exchange(exchange())
    assert calls[:2] == ["dir", "file"] and calls[-2:] == ["file", "dir"]  # close: file, rename


def test_open_file_is_locked_until_renamed(tmp_path: Path) -> None:
    import fcntl

    writer = WarcWriter(tmp_path)
    location = writer.write_exchange(exchange())
    opened = tmp_path / f"{location.filename}.open"
    with opened.open("rb") as other:  # another open file: a repair, in this or another process
        with pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        writer.close()
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released once closed
    assert [p.name for p in tmp_path.iterdir()] == [location.filename]


def test_bad_sync_settings_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sync"):
        WarcWriter(tmp_path, sync_every=0)
    with pytest.raises(ValueError, match="sync"):
        WarcWriter(tmp_path, sync_interval=0)
