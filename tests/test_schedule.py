"""Scheduled crawls: jobs, due times, locks, run-due and the daemon, with real crawls."""

from __future__ import annotations

import re

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from archiver.cli import cli
from archiver.exceptions import ArchiverError
from archiver.schedule import format_every, lock_path, next_run, parse_every
from archiver.store import Store

from .conftest import SEED_SITE, run_archiver, start_server

PAST = "2020-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def slow_seed():
    """The seed site at ~0.4 s a page: a crawl lasts a few seconds."""
    server, info = start_server(SEED_SITE, delay=0.4)
    yield info
    server.shutdown()
    server.server_close()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def add(data: Path, url: str, *extra: str) -> None:
    run_archiver("schedule", "add", url, "--data", str(data), "--delay", "0", "--allow-private", *extra)


def jobs(data: Path) -> list[dict]:
    return list(sqlite_utils.Database(data / "archive.db").query("select * from jobs order by id"))


def crawls(data: Path) -> list[dict]:
    return list(sqlite_utils.Database(data / "archive.db").query("select * from crawls order by id"))


def make_due(data: Path, job_id: int = 1) -> None:
    db = sqlite_utils.Database(data / "archive.db")
    db.execute("update jobs set next_run = ? where id = ?", [PAST, job_id])
    db.conn.commit()


def test_intervals_parse_and_format():
    assert parse_every("6h") == 21600 and parse_every("30m") == 1800
    assert parse_every("1d") == 86400 and parse_every("2w") == 1209600
    assert parse_every("1h30m") == 5400 and format_every(5400) == "1h30m"
    assert format_every(21600) == "6h" and format_every(1209600) == "2w"
    for bad in ("10s", "6", "h", "6x", "6h junk", ""):
        with pytest.raises(ArchiverError):
            parse_every(bad)


def test_next_run_keeps_the_interval_grid_and_follows_cron_in_local_time(monkeypatch):
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    six = 6 * 3600
    assert next_run(six, None, start, start + timedelta(minutes=2)) == start + timedelta(hours=6)
    # A run 20 hours late: the missed runs are not made up, the grid is kept.
    assert next_run(six, None, start, start + timedelta(hours=20)) == start + timedelta(hours=24)
    try:
        monkeypatch.setenv("TZ", "Pacific/Auckland")  # +13:00 in January
        time.tzset()
        assert next_run(None, "30 4 * * *", start, start) == datetime(2026, 1, 1, 15, 30, tzinfo=UTC)
        # New Zealand's summer time ends on 5 April 2026: 04:30 that day is +12:00.
        before_dst_end = datetime(2026, 4, 4, 12, 0, tzinfo=UTC)
        assert next_run(None, "30 4 * * *", start, before_dst_end) == datetime(2026, 4, 4, 16, 30, tzinfo=UTC)
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        seven = start + timedelta(hours=7)
        assert next_run(None, "0 */6 * * *", start, seven) == start + timedelta(hours=12)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_add_list_and_remove_jobs(tmp_path):
    data = str(tmp_path)
    code, out = invoke("schedule", "add", "https://someblog.example/", "--every", "6h", "--name",
                       "someblog", "--data", data, "--delay", "2", "-s", "RETRY_TIMES=1")  # fmt: skip
    assert code == 0, out
    assert "Added job 1 (someblog)" in out and "(due now)" in out
    code, out = invoke("schedule", "add", "blog.example", "--cron", "0 */6 * * *", "--data", data,
                       "--all-threads")  # fmt: skip
    assert code == 0, out
    (first, second) = jobs(tmp_path)
    assert json.loads(first["start_urls"]) == ["https://someblog.example/"]
    assert first["every_seconds"] == 21600 and first["cron"] is None
    options = json.loads(first["options"])
    assert options["delay"] == 2 and options["extra"] == ["RETRY_TIMES=1"] and options["adaptive"]
    assert second["name"] == "blog.example" and second["next_run"] > first["next_run"]
    assert json.loads(second["start_urls"]) == ["https://blog.example"]

    code, out = invoke("schedule", "list", "--data", data)
    assert code == 0, out
    assert "1  someblog  every 6h, adaptive re-crawl" in out
    assert "options:  --delay 2 -s RETRY_TIMES=1" in out
    assert "2  blog.example  cron '0 */6 * * *' (local time), all threads every run" in out
    assert "threads:  no threads archived yet" in out
    assert "Re-crawl policy" in out and "every 90 days" in out

    for args, message in [
        (("--every", "6h", "--name", "someblog"), "exists already"),
        (("--every", "10s"), "at least 1m"),
        (("--every", "often"), "expected a number and a unit"),
        (("--cron", "every day"), "five fields"),
        ((), "give --every"),
        (("--every", "6h", "--cron", "0 * * * *"), "not both"),
        (("--every", "6h", "-s", "NOVALUE"), "NAME=VALUE"),
    ]:
        code, out = invoke("schedule", "add", "https://x.example/", "--data", data, *args)
        assert code == 1 and message in out and "Traceback" not in out, (args, out)

    code, out = invoke("schedule", "remove", "someblog", "--data", data)
    assert code == 0 and "Removed job 1 (someblog)" in out
    code, out = invoke("schedule", "remove", "someblog", "--data", data)
    assert code == 1 and "no job 'someblog'" in out
    assert [j["name"] for j in jobs(tmp_path)] == ["blog.example"]


def test_run_due_runs_a_due_job_once_and_records_its_crawl(seed_server, tmp_path):
    add(tmp_path, seed_server.url, "--every", "6h", "--name", "seed")
    result = run_archiver("schedule", "run-due", "--data", str(tmp_path))
    assert "job 1 (seed): crawl 1 finished: 12 pages, 3 posts, 36 comments, 0 errors" in result.stdout
    (job,) = jobs(tmp_path)
    assert job["last_crawl_id"] == 1 and job["last_outcome"] == "finished" and job["runs"] == 1
    assert job["last_exit_code"] == 0 and job["running_pid"] is None
    ran_at = datetime.fromisoformat(job["last_run"])
    assert timedelta(hours=5) < datetime.fromisoformat(job["next_run"]) - ran_at <= timedelta(hours=6)
    log = (tmp_path / "logs" / "job-1.log").read_text()
    assert "ARCHIVER_ADAPTIVE_RECRAWL=1" in log and "Crawl 1 finished" in log

    assert run_archiver("schedule", "run-due", "--data", str(tmp_path)).stdout == ""  # not due
    make_due(tmp_path)
    result = run_archiver("schedule", "run-due", "--data", str(tmp_path))
    assert "crawl 2 finished" in result.stdout  # a finished crawl is followed by a new one
    assert [c["outcome"] for c in crawls(tmp_path)] == ["finished", "finished"]
    assert jobs(tmp_path)[0]["runs"] == 2

    out = run_archiver("schedule", "list", "--data", str(tmp_path)).stdout
    # The adaptive policy let crawl 2 fetch indexes and feeds but none of the quiet threads.
    assert "last run:" in out and re.search(r"crawl 2 finished: \d+ pages, 0 posts, 0 comments, 0 errors", out)
    assert "threads:  3 threads archived: 0 due now, 3 later (1 closed, 2 quiet)" in out


def test_a_failing_job_does_not_stop_the_others(seed_server, tmp_path):
    add(tmp_path, seed_server.url, "--every", "1h", "--name", "broken", "-s", "ARCHIVER_WARC_MAX_SIZE=x")
    add(tmp_path, seed_server.url + "feed.xml", "--every", "1h", "--name", "feed")
    result = run_archiver("schedule", "run-due", "--data", str(tmp_path), check=False)
    assert result.returncode == 1
    assert "job 1 (broken): failed (" in result.stdout and "logs/job-1.log" in result.stdout
    assert "job 2 (feed): crawl 1 finished" in result.stdout
    broken, feed = jobs(tmp_path)
    assert broken["last_outcome"] == "failed" and broken["last_crawl_id"] is None
    assert "ARCHIVER_WARC_MAX_SIZE" in broken["last_error"] or "invalid literal" in broken["last_error"]
    assert broken["next_run"] > broken["last_run"]  # tried again at its next time, not at once
    assert feed["last_outcome"] == "finished" and feed["last_crawl_id"] == 1


def test_a_held_lock_skips_the_job(seed_server, tmp_path):
    add(tmp_path, seed_server.url, "--every", "1h")
    path = lock_path(tmp_path, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run_archiver("schedule", "run-due", "--data", str(tmp_path))
        assert "skipped: already running" in result.stdout
        assert "running:" in run_archiver("schedule", "list", "--data", str(tmp_path)).stdout
    assert crawls(tmp_path) == [] and jobs(tmp_path)[0]["runs"] == 0


def test_two_run_due_started_at_once_run_a_job_once(slow_seed, tmp_path):
    add(tmp_path, slow_seed.url, "--every", "1h")
    command = [sys.executable, "-m", "archiver", "schedule", "run-due", "--data", str(tmp_path)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=60)[0] for p in (first, second)]
    assert sum("crawl 1 finished" in out for out in outputs) == 1, outputs
    assert sum("skipped: already running" in out for out in outputs) == 1, outputs
    assert len(crawls(tmp_path)) == 1 and jobs(tmp_path)[0]["runs"] == 1


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def crawl_started(data: Path) -> bool:
    if not (data / "archive.db").exists():
        return False
    job = jobs(data)[0]
    captures = sqlite_utils.Database(data / "archive.db")["captures"]
    return bool(job["running_pid"]) and captures.exists() and captures.count >= 2


def test_a_crashed_run_releases_its_lock_and_the_next_run_resumes_the_crawl(slow_seed, tmp_path):
    add(tmp_path, slow_seed.url, "--every", "1h")
    runner = subprocess.Popen([sys.executable, "-m", "archiver", "schedule", "run-due", "--data",
                               str(tmp_path)], stdout=subprocess.DEVNULL)  # fmt: skip
    wait_for(lambda: crawl_started(tmp_path))
    child = jobs(tmp_path)[0]["running_pid"]
    runner.kill()
    os.kill(child, signal.SIGKILL)
    runner.wait()
    wait_for(lambda: "running:" not in run_archiver("schedule", "list", "--data", str(tmp_path)).stdout)
    (crawl,) = crawls(tmp_path)
    assert crawl["outcome"] == "running"  # killed before it could record its end
    result = run_archiver("schedule", "run-due", "--data", str(tmp_path))
    assert "job 1 (" in result.stdout and "crawl 1 finished" in result.stdout
    (crawl,) = crawls(tmp_path)
    assert crawl["resumed"] == 1 and crawl["outcome"] == "finished"
    store = Store(tmp_path / "archive.db")
    assert store.db["posts"].count == 3 and store.db["comments"].count == 36
    store.close()


def test_daemon_once_runs_what_is_due(seed_server, tmp_path):
    add(tmp_path, seed_server.url, "--every", "1d")
    result = run_archiver("schedule", "daemon", "--once", "--data", str(tmp_path))
    assert "crawl 1 finished" in result.stdout and "Scheduler stopped" in result.stderr


def test_daemon_stops_cleanly_on_sigterm_and_leaves_the_job_due(slow_seed, tmp_path):
    add(tmp_path, slow_seed.url, "--every", "1d")
    daemon = subprocess.Popen([sys.executable, "-m", "archiver", "schedule", "daemon", "--data",
                               str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    wait_for(lambda: crawl_started(tmp_path))
    daemon.send_signal(signal.SIGTERM)
    out, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert "crawl 1 interrupted (shutdown)" in out and "Scheduler stopped" in err
    (job,) = jobs(tmp_path)
    assert job["last_outcome"] == "interrupted (shutdown)" and job["next_run"] <= job["last_run"]
    assert crawls(tmp_path)[0]["outcome"] == "interrupted (shutdown)"

    idle = tmp_path / "idle"
    idle.mkdir()
    daemon = subprocess.Popen([sys.executable, "-m", "archiver", "schedule", "daemon", "--data",
                               str(idle)], stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_for(lambda: (idle / "archive.db").exists())
    time.sleep(0.5)
    started = time.monotonic()
    daemon.send_signal(signal.SIGINT)
    daemon.communicate(timeout=10)
    assert daemon.returncode == 0 and time.monotonic() - started < 5


SPIDER = Path(__file__).resolve().parent.parent / "spiders" / "blog.py"


@pytest.mark.skipif("skipped_for" not in SPIDER.read_text(),
                    reason="spiders/blog.py does not apply archiver.recrawl yet")  # fmt: skip
def test_a_scheduled_rerun_fetches_indexes_and_feeds_but_not_threads_that_wait(seed_server, tmp_path):
    add(tmp_path, seed_server.url, "--every", "1h")
    run_archiver("schedule", "run-due", "--data", str(tmp_path))
    make_due(tmp_path)
    assert "crawl 2 finished" in run_archiver("schedule", "run-due", "--data", str(tmp_path)).stdout
    db = sqlite_utils.Database(tmp_path / "archive.db")
    fetched = {r["url"] for r in db.query("select url from captures where crawl_id = 2")}
    assert {seed_server.url, seed_server.url + "feed.xml"} <= fetched
    assert not {r["url"] for r in db.query("select url from posts")} & fetched  # 2016 threads: quiet
    assert not any("comment-page" in url for url in fetched)
    assert db["posts"].count == 3 and db["comments"].count == 36  # nothing lost
