"""The project on a real Scrapyd: `scrapyd-deploy` builds and uploads the egg, the blog
spider runs there with the archive's settings, and the archive holds the seed site."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

pytest.importorskip("scrapyd")
pytest.importorskip("scrapyd_client")

REPO = Path(__file__).resolve().parent.parent
DEPLOYED = ("scrapy.cfg", "pyproject.toml", "setup.py", "README.md", "archiver", "spiders")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + endpoint, data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """Scrapyd on 127.0.0.1, with its eggs, logs and queues in a temporary directory."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "poll_interval = 0.5\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("ARCHIVER_DATA", "SCRAPY_SETTINGS_MODULE")}
    with (home / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("scrapyd did not start:\n" + (home / "scrapyd.out").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def deploy(target_url: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """scrapyd-deploy from a copy of the project whose scrapy.cfg names the test Scrapyd."""
    project = workdir / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in DEPLOYED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=ignore)
        else:
            shutil.copy2(source, project / name)
    cfg = project / "scrapy.cfg"
    cfg.write_text(cfg.read_text() + f"\n[deploy:test]\nurl = {target_url}\nproject = archiver\n")
    deploy_cmd = shutil.which("scrapyd-deploy") or pytest.fail("scrapyd-deploy is not installed")
    return subprocess.run([deploy_cmd, "test", "--version", "r1"], cwd=project, check=False,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_deploy_to_scrapyd_and_crawl_the_seed_site(scrapyd, seed_server, tmp_path):
    result = deploy(scrapyd, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == "ok" and answer["spiders"] == 1, answer
    assert api(scrapyd, "listspiders.json?project=archiver")["spiders"] == ["blog"]
    (egg,) = (tmp_path / "scrapyd" / "eggs" / "archiver").glob("r1*.egg")
    with zipfile.ZipFile(egg) as archive:
        assert {"spiders/blog.py", "archiver/settings.py"} <= set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert "settings = archiver.settings" in entry_points  # how Scrapyd finds the settings

    data = tmp_path / "data"
    settings = {
        "ARCHIVER_DATA": str(data), "ARCHIVER_ALLOW_PRIVATE": "1", "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "0", "LOG_LEVEL": "INFO",
    }  # fmt: skip
    scheduled = api(scrapyd, "schedule.json", [
        ("project", "archiver"), ("spider", "blog"), ("url", seed_server.url),
        *(("setting", f"{k}={v}") for k, v in settings.items()),
    ])  # fmt: skip
    assert scheduled["status"] == "ok", scheduled
    job = scheduled["jobid"]

    deadline = time.monotonic() + 60
    while True:
        jobs = api(scrapyd, "listjobs.json?project=archiver")
        if any(j["id"] == job for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.3)

    log = next((tmp_path / "scrapyd" / "logs" / "archiver" / "blog").glob(f"{job}.log")).read_text()
    db = sqlite_utils.Database(data / "archive.db")
    assert db["posts"].count == 3, log
    assert db["comments"].count == 36
    (crawl,) = db.query("select start_urls, outcome, pages from crawls")
    assert json.loads(crawl["start_urls"]) == [seed_server.url]
    assert crawl["outcome"] == "finished" and crawl["pages"] >= 12
    assert list((data / "warc").glob("*.warc.gz")), "no WARC written"
    assert "Traceback" not in log
