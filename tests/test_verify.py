"""`archiver verify`: a real crawl's archive, then real damage to its files and ledger."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import cli
from archiver.verify import MANIFEST, check_warc, scan_warc

from .conftest import crawl, run_archiver
from .faultserver import start_fault_server

THREAD_PAGE = "2016/02/no-more-guernicas-no-more-aleppos/comment-page-3/"


@pytest.fixture(scope="module")
def pristine(seed_server, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("pristine")
    crawl(seed_server.url, data)
    return data


@pytest.fixture
def data(pristine, tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(pristine, copy)
    return copy


def verify(data: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["verify", str(data), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def sql(data: Path, query: str, params: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(data / "archive.db")
    try:
        rows = db.execute(query, params).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def warc(data: Path) -> Path:
    (path,) = (data / "warc").glob("*.warc.gz")
    return path


def capture(data: Path, url_end: str) -> tuple[int, int, str]:
    """(offset, length, record id) of the response for the URL ending with `url_end`."""
    query = "select warc_offset, warc_length, warc_record_id from captures where url like ?"
    (row,) = sql(data, query, ("%" + url_end,))
    return row


def test_clean_archive_verifies_and_gets_a_manifest(data):
    result = run_archiver("verify", str(data))  # the real command, its real exit status
    path = warc(data)
    records = len(scan_warc(path).records)
    captures = sql(data, "select count(*) from captures")[0][0]
    summary = f"1 files, {records} records, {captures} captures checked: OK"
    assert result.stdout.splitlines() == [summary]
    manifest = (data / "warc" / MANIFEST).read_text()
    assert manifest == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
    subprocess.run(["sha256sum", "--check", "--quiet", MANIFEST], cwd=data / "warc", check=True)
    code, lines = verify(data, "--json")
    report = json.loads("\n".join(lines))
    assert code == 0 and report["ok"] and report["problems"] == [] and report["records"] == records
    assert (data / "warc" / MANIFEST).read_text() == manifest  # nothing added twice


def test_truncated_member_names_the_file_and_the_record(data):
    path = warc(data)
    offset, length, record_id = capture(data, THREAD_PAGE)
    os.truncate(path, offset + length // 2)
    code, lines = verify(data)
    assert code == 1
    assert lines[0] == (
        f"{path.name} @{offset} {record_id}: truncated-member: "
        f"the file ends inside this gzip member, {length // 2} bytes in"
    )
    assert any(f"@{offset} {record_id}: capture-missing-record:" in line for line in lines)
    assert lines[-1].endswith("problems")


def test_flipped_byte_in_compressed_payload_is_found_and_reading_resumes(data):
    assert verify(data)[0] == 0  # writes the manifest
    path = warc(data)
    clean_records = len(scan_warc(path).records)
    offset, length, record_id = capture(data, THREAD_PAGE)
    body = bytearray(path.read_bytes())
    body[offset + length // 2] ^= 0x04
    path.write_bytes(body)
    code, lines = verify(data)
    assert code == 1
    where = f"{path.name} @{offset} {record_id}"
    assert any(line.startswith(f"{where}: bad-gzip: ") for line in lines), lines
    assert any(line.startswith(f"{path.name}: manifest-mismatch: ") for line in lines)
    assert any(f"@{offset} {record_id}: capture-missing-record: " in line for line in lines)
    assert len(scan_warc(path).records) == clean_records - 1  # every other record still read
    damaged = path.read_bytes()
    code, lines = verify(data, "--repair")  # a closed file's damage is reported, not "repaired"
    assert code == 1 and not any(line.startswith("repaired:") for line in lines)
    assert path.read_bytes() == damaged and not (data / "warc" / "damaged").exists()


def test_digests_are_recomputed_from_the_stored_bytes(data):
    """A member that inflates cleanly but whose record was altered before compression."""
    path = warc(data)
    offset, length, record_id = capture(data, THREAD_PAGE)
    raw = path.read_bytes()
    record = zlib.decompress(raw[offset : offset + length], wbits=31)
    altered = record.replace(b"</html>", b"</HTML>")
    assert altered != record
    member = zlib.compress(altered, 6, wbits=31)
    path.write_bytes(raw[:offset] + member + raw[offset + length :])
    kinds = {p.kind for p in check_warc(path) if p.offset == offset and p.record_id == record_id}
    assert kinds == {"block-digest", "payload-digest"}
    code, lines = verify(data)
    expected = f"{path.name} @{offset} {record_id}: payload-digest: record says sha1:"
    assert code == 1 and any(line.startswith(expected) for line in lines)


def test_open_file_with_torn_tail_is_reported_then_repaired(data):
    path = warc(data)
    raw = path.read_bytes()
    offset, length, record_id = capture(data, THREAD_PAGE)
    cut = offset + length - 10  # a crash while writing this response
    path.unlink()
    opened = path.with_name(path.name + ".open")
    opened.write_bytes(raw[:cut])
    sql(data, "delete from captures where warc_offset >= ?", (offset,))  # never recorded
    code, lines = verify(data)
    assert code == 1
    assert lines[0].startswith(f"{opened.name} @{offset} {record_id}: open-file: left open by ")
    assert lines[0].endswith(f"torn tail of {length - 10} bytes from @{offset}")
    code, lines = verify(data, "--repair")
    assert code == 0, lines
    assert lines[0].startswith(f"repaired: {opened.name}: moved its torn tail")
    assert not opened.exists() and path.read_bytes() == raw[:offset]
    assert (data / "warc" / "damaged" / f"{path.name}.tail").read_bytes() == raw[offset:cut]
    assert verify(data) == (0, lines[-1:])
    assert path.name in (data / "warc" / MANIFEST).read_text()


def test_missing_captures_rows_are_reported_then_rebuilt(data):
    columns = (
        "url, status, fetched_at, content_type, warc_file, warc_offset, warc_length, "
        "warc_record_id, payload_digest"
    )
    before = sql(data, f"select {columns} from captures order by warc_offset")
    where = ("where url like ? or url like ?", ("%" + THREAD_PAGE, "%/feed.xml"))
    lost = sql(data, f"select warc_offset, warc_record_id, url from captures {where[0]} order by 1",
               where[1])  # fmt: skip
    sql(data, f"delete from captures {where[0]}", where[1])
    code, lines = verify(data)
    name = warc(data).name
    assert code == 1
    assert lines[:-1] == [
        f"{name} @{off} {rid}: not-in-captures: response for {url}" for off, rid, url in lost
    ]
    code, lines = verify(data, "--repair")
    assert code == 0, lines
    assert lines[0] == "repaired: rebuilt 2 captures rows from 1 WARC files (1 thread pages)"
    assert sql(data, f"select {columns} from captures order by warc_offset") == before
    dangling = "select count(*) from {} where capture_id not in (select id from captures)"
    assert sql(data, dangling.format("comments")) == [(0,)]
    assert sql(data, "select count(*) from comments") == [(36,)]


def test_uncompressed_warc_is_checked_too(data, tmp_path):
    path = warc(data)
    plain = tmp_path / "plain.warc"
    raw, out, pos = path.read_bytes(), [], 0
    while pos < len(raw):
        inflater = zlib.decompressobj(wbits=31)
        out.append(inflater.decompress(raw[pos:]))
        pos = len(raw) - len(inflater.unused_data)
    plain.write_bytes(b"".join(out))
    assert check_warc(plain) == []
    assert len(scan_warc(plain).records) == len(scan_warc(path).records)
    os.truncate(plain, plain.stat().st_size - 100)
    (problem,) = check_warc(plain)
    assert problem.kind == "truncated-member" and "inside this record" in problem.detail


def test_kill_9_mid_crawl_leaves_every_complete_record_readable(tmp_path):
    server, url = start_fault_server()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archiver", "crawl", url + "endless/", "--data", str(tmp_path),
             "--delay", "0", "--allow-private", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            opened = list((tmp_path / "warc").glob("*.warc.gz.open"))
            if opened and opened[0].stat().st_size > 100_000:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        server.shutdown()
        server.server_close()
    (opened,) = (tmp_path / "warc").glob("*.warc.gz.open")
    code, lines = verify(tmp_path)
    assert code == 1
    assert any(f"{opened.name}" in line and ": open-file: " in line for line in lines), lines
    code, lines = verify(tmp_path, "--repair")
    assert code == 0, lines
    assert not opened.exists() and opened.with_name(opened.name.removesuffix(".open")).exists()


def test_revisit_rows_are_checked_and_rebuilt(data, seed_server):
    crawl(seed_server.url, data, "-s", "ARCHIVER_CONDITIONAL=0")  # same payloads: revisits
    revisits = sql(data, "select count(*) from captures where record_type = 'revisit'")
    if not revisits[0][0]:
        pytest.skip("this build writes no revisit records")
    columns = (
        "url, status, fetched_at, warc_file, warc_offset, warc_record_id, payload_digest, "
        "record_type, warc_date, etag, last_modified, "
        "(select warc_record_id from captures o where o.id = captures.refers_to)"
    )
    before = sql(data, f"select {columns} from captures order by warc_record_id")
    assert verify(data)[0] == 0
    query = "select refers_to, id from captures where record_type = 'revisit' and url like ?"
    (pair,) = sql(data, query, ("%" + THREAD_PAGE,))
    sql(data, "delete from captures where id in (?, ?)", pair)  # a revisit and its original
    code, lines = verify(data)
    assert code == 1 and [line.split(": ")[1] for line in lines[:-1]] == ["not-in-captures"] * 2
    assert any(": not-in-captures: revisit for " in line for line in lines)
    code, lines = verify(data, "--repair")
    assert code == 0, lines
    assert sql(data, f"select {columns} from captures order by warc_record_id") == before


def test_repair_leaves_a_file_a_live_writer_holds(tmp_path):
    from archiver.repair import close_open_file
    from archiver.warc import WarcWriter

    from .test_warc import exchange

    writer = WarcWriter(tmp_path / "warc")
    location = writer.write_exchange(exchange())
    opened = tmp_path / "warc" / f"{location.filename}.open"
    before = opened.read_bytes()
    code, lines = verify(tmp_path, "--repair")
    assert code == 1
    assert f"repaired: {opened.name}: left as is: a running crawl holds it" in lines
    assert opened.read_bytes() == before
    message, final = close_open_file(scan_warc(opened))
    assert final is None and message.endswith("a running crawl holds it")
    writer.write_exchange(exchange())  # the writer goes on, and closes its file as usual
    writer.close()
    assert not opened.exists() and check_warc(writer.files[0]) == []
