"""Scheduled crawls: jobs kept in the archive, what is due, and running it.

A job is a row of the `jobs` table: start URLs, an interval (`every_seconds`) or a cron
expression, and the options of `archiver crawl`. `Scheduler.run_due()` runs each due
job as a subprocess, `python -m archiver crawl URL... --data DIR <options>` (Twisted's
reactor runs once per process), so one failing job never stops the others. Each run
holds an exclusive `flock` on DATA/locks/job-<id>.lock, shared with the crawl process,
so two `run-due` started at once never run one job twice, and the lock goes away with
the processes when they crash. The crawl records itself in `crawls`; the job keeps its
id and outcome. An interrupted crawl is resumed by the next run (as `archiver crawl`
does); a finished one is followed by a new crawl.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .exceptions import ArchiverError
from .recrawl import Summary, plan_site
from .store import Store

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
MIN_EVERY = 60  # a blog crawled more than once a minute is a blog hammered
MAX_SLEEP = 60.0  # the daemon looks at the jobs at least this often
ADAPTIVE_SETTING = "ARCHIVER_ADAPTIVE_RECRAWL"  # read by the spider (see archiver/recrawl.py)
COUNTS = ("pages", "posts", "comments", "errors")
_EVERY = re.compile(r"(\d+)\s*([wdhms])")


def parse_every(text: str) -> int:
    """'6h', '30m', '1d', '2w', '1h30m' -> seconds."""
    compact = text.strip().lower().replace(" ", "")
    parts = _EVERY.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ArchiverError(f"--every {text!r}: expected a number and a unit: 30m, 6h, 1d, 2w")
    seconds = sum(int(n) * UNITS[u] for n, u in parts)
    if seconds < MIN_EVERY:
        raise ArchiverError(f"--every {text!r}: at least 1m between runs")
    return seconds


def format_every(seconds: int) -> str:
    parts = []
    for unit, size in UNITS.items():
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def check_cron(expression: str) -> str:
    from croniter import croniter  # type: ignore[import-untyped]

    if not croniter.is_valid(expression) or len(expression.split()) != 5:
        raise ArchiverError(f"--cron {expression!r}: expected five fields, e.g. '0 */6 * * *'")
    return expression


def next_run(
    every_seconds: int | None, cron: str | None, scheduled: datetime, now: datetime
) -> datetime:
    """The first run time after `now`: on the job's interval grid (missed runs are not
    made up), or the cron expression's next match in local time (across DST changes too)."""
    if cron:
        from croniter import croniter  # type: ignore[import-untyped]
        from dateutil.tz import tzlocal  # type: ignore[import-untyped]  # croniter's dependency

        return croniter(cron, now.astimezone(tzlocal())).get_next(datetime).astimezone(UTC)
    step = timedelta(seconds=every_seconds or MIN_EVERY)
    missed = max(0, int((now - scheduled) / step))
    return scheduled + step * (missed + 1)


def normalize_urls(urls: list[str]) -> list[str]:
    """Start URLs as the spider records them in `crawls.start_urls`."""
    cleaned = [u.strip() for u in urls if u.strip()]
    return [u if "://" in u else f"https://{u}" for u in cleaned]


def option_args(options: dict[str, Any]) -> list[str]:
    """A job's stored options as `archiver crawl` arguments."""
    args: list[str] = []
    for name in ("delay", "concurrency", "max_pages", "timeout", "user_agent"):
        value = options.get(name)
        if value is not None:
            text = f"{value:g}" if isinstance(value, float) else str(value)
            args += ["--" + name.replace("_", "-"), text]
    for flag in ("allow_private", "ignore_robots", "fresh"):
        if options.get(flag):
            args.append("--" + flag.replace("_", "-"))
    args += ["-v"] * int(options.get("verbose") or 0)
    for item in options.get("extra") or ():
        args += ["-s", item]
    return args


def crawl_argv(job: dict[str, Any], data_dir: Path, python: str = sys.executable) -> list[str]:
    options = json.loads(job["options"])
    argv = [python, "-m", "archiver", "crawl", *json.loads(job["start_urls"]),
            "--data", str(data_dir), "-q", *option_args(options)]  # fmt: skip
    if options.get("adaptive", True):
        argv += ["-s", f"{ADAPTIVE_SETTING}=1"]
    return argv


def add_job(
    store: Store, urls: list[str], *, every: str | None = None, cron: str | None = None,
    name: str | None = None, options: dict[str, Any] | None = None, now: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Validate and store a job. An interval job is due at once; a cron job at its next match."""
    start_urls = normalize_urls(urls)
    if not start_urls:
        raise ArchiverError("no URL to crawl")
    if (every is None) == (cron is None):
        raise ArchiverError("give --every (e.g. 6h) or --cron (e.g. '0 */6 * * *'), not both")
    options = dict(options or {})
    for item in options.get("extra") or ():
        if "=" not in item:
            raise ArchiverError(f"-s {item!r}: expected NAME=VALUE")
    now = now or datetime.now(UTC)
    every_seconds = parse_every(every) if every is not None else None
    cron = check_cron(cron) if cron is not None else None
    first = next_run(None, cron, now, now) if cron else now
    if name is None:
        base = urlsplit(start_urls[0]).netloc.lower() or "job"
        taken = {str(job["name"]) for job in store.jobs()}
        name = next(n for n in (base, *(f"{base}-{i}" for i in range(2, 1000))) if n not in taken)
    elif name.isdigit():
        raise ArchiverError(f"--name {name!r}: a name cannot be a number (ids are)")
    elif store.job(name) is not None:
        raise ArchiverError(f"a job named {name!r} exists already")
    job_id = store.add_job(name, start_urls, every_seconds=every_seconds, cron=cron,
                           options=options, next_run=_iso(first))  # fmt: skip
    job: dict[str, Any] | None = store.job(job_id)
    assert job is not None
    return job


@dataclass(frozen=True)
class JobRun:
    """What one run of a job did; `skipped` says why it did not run."""

    job_id: int
    name: str
    crawl_id: int | None = None
    outcome: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    counts: dict[str, int] | None = None
    next_run: str | None = None
    skipped: str | None = None
    log: str = ""

    @property
    def ok(self) -> bool:
        """Skipped, or a crawl that ended on its own terms (finished, or a --max-pages stop)."""
        if self.skipped is not None:
            return True
        return self.exit_code == 0 and self.crawl_id is not None and self.outcome != "interrupted"

    def line(self) -> str:
        head = f"job {self.job_id} ({self.name}):"
        if self.skipped:
            return f"{head} skipped: {self.skipped}"
        what = f"crawl {self.crawl_id} {self.outcome}" if self.crawl_id else self.outcome
        if self.counts:
            what += ": " + ", ".join(f"{n} {name}" for name, n in self.counts.items())
        if not self.ok:
            code = f"exit code {self.exit_code}; " if self.exit_code else ""
            what += f" ({code}log: {self.log})"
        return f"{head} {what} in {self.seconds:.1f} s; next run {_local(self.next_run)}"


def lock_path(data_dir: Path, job_id: int) -> Path:
    return data_dir / "locks" / f"job-{job_id}.lock"


@contextmanager
def job_lock(data_dir: Path, job_id: int) -> Iterator[int | None]:
    """An exclusive flock on the job's lock file: its fd, or None if another process holds it."""
    path = lock_path(data_dir, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield fd
    finally:
        os.close(fd)  # releases the lock unless a crawl child still holds it


def is_running(data_dir: Path, job_id: int) -> bool:
    """Whether a run of the job holds its lock now (a look: takes no lock for long)."""
    try:
        fd = os.open(lock_path(data_dir, job_id), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class Scheduler:
    """Runs due jobs of one archive; `stop()` (from a signal handler) ends it cleanly."""

    def __init__(self, data_dir: Path, *, python: str = sys.executable,
                 report: Callable[[JobRun], None] = lambda run: None) -> None:  # fmt: skip
        self.data_dir = Path(data_dir).resolve()
        self.python = python
        self.report = report
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def stop(self, signum: int = signal.SIGTERM, frame: object = None) -> None:
        """Stop after the running crawl, which is asked to stop too (it resumes next run)."""
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)  # Scrapy's graceful shutdown; twice forces it

    def run_due(self, now: datetime | None = None) -> list[JobRun]:
        store = Store(self.data_dir / "archive.db")
        try:
            due: list[dict[str, Any]] = store.due_jobs(_iso(now or datetime.now(UTC)))
            runs = []
            for job in due:
                if self.stopping.is_set():
                    break
                run = self.run_job(store, int(job["id"]), now)
                if run is not None:
                    runs.append(run)
                    self.report(run)
            return runs
        finally:
            store.close()

    def run_job(self, store: Store, job_id: int, now: datetime | None = None) -> JobRun | None:
        """Run one job if it is still due once its lock is held; None if another run did it."""
        with job_lock(self.data_dir, job_id) as fd:
            job: dict[str, Any] | None = store.job(job_id)
            if job is None:
                return None
            if fd is None:
                return JobRun(job_id, str(job["name"]), skipped="already running")
            if str(job["next_run"]) > _iso(now or datetime.now(UTC)):
                return None  # another run-due ran it while this one waited
            return self._run(store, job, fd, now)

    def _run(self, store: Store, job: dict[str, Any], fd: int, now: datetime | None) -> JobRun:
        urls = json.loads(job["start_urls"])
        before = store.latest_crawl(urls)
        started, clock = _iso(datetime.now(UTC)), time.monotonic()
        log_file = self.data_dir / "logs" / f"job-{job['id']}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        argv = crawl_argv(job, self.data_dir, self.python)
        exit_code, error = None, None
        with log_file.open("ab") as log:
            log.write(f"\n== {started} {' '.join(argv[1:])}\n".encode())
            log.flush()
            offset = log.tell()
            try:
                self.child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                              stderr=subprocess.STDOUT, pass_fds=(fd,),
                                              start_new_session=True)  # fmt: skip
                store.job_started(int(job["id"]), self.child.pid, started)
                exit_code = self.child.wait()
            except OSError as exc:
                error = str(exc)
            finally:
                self.child = None
        after: dict[str, Any] | None = store.latest_crawl(urls)
        crawl = after if after is not None and after != before else None
        if exit_code or crawl is None:
            error = error or _tail(log_file, offset)
        outcome = str(crawl["outcome"]) if crawl else "failed"
        if outcome == "running":  # the crawl process died before recording its end
            outcome = "interrupted"
        finished = datetime.now(UTC)
        scheduled, after_run = _parse(str(job["next_run"])), max(finished, now or finished)
        upcoming = _iso(next_run(job["every_seconds"], job["cron"], scheduled, after_run))
        if self.stopping.is_set() and outcome != "finished":
            upcoming = str(job["next_run"])  # stopped by us: still due, resumed on the next start
        crawl_id = int(crawl["id"]) if crawl else None
        store.job_finished(int(job["id"]), started=started, finished=_iso(finished),
                           next_run=upcoming, crawl_id=crawl_id, outcome=outcome,
                           exit_code=exit_code, error=error)  # fmt: skip
        counts = {k: int(crawl[k] or 0) for k in COUNTS} if crawl else None
        return JobRun(int(job["id"]), str(job["name"]), crawl_id, outcome, exit_code,
                      time.monotonic() - clock, counts, upcoming, log=str(log_file))  # fmt: skip

    def daemon(self, *, once: bool = False, max_sleep: float = MAX_SLEEP) -> None:
        """Run due jobs, sleep until the next is due (at most `max_sleep`), until stopped."""
        while not self.stopping.is_set():
            self.run_due()
            if once:
                return
            self.stopping.wait(self.seconds_to_next(max_sleep))

    def seconds_to_next(self, max_sleep: float = MAX_SLEEP) -> float:
        store = Store(self.data_dir / "archive.db")
        try:
            upcoming = [_parse(str(job["next_run"])) for job in store.jobs()]
        finally:
            store.close()
        if not upcoming:
            return max_sleep
        wait = (min(upcoming) - datetime.now(UTC)).total_seconds()
        return min(max(wait, 0.5), max_sleep)


def describe_job(
    store: Store, job: dict[str, Any], data_dir: Path, now: datetime | None = None
) -> list[str]:
    """The lines `archiver schedule list` prints for one job."""
    now = now or datetime.now(UTC)
    options = json.loads(job["options"])
    adaptive = options.get("adaptive", True)
    if job["cron"]:
        when = f"cron '{job['cron']}' (local time)"
    else:
        when = f"every {format_every(int(job['every_seconds']))}"
    policy = "adaptive re-crawl" if adaptive else "all threads every run"
    lines = [f"{job['id']}  {job['name']}  {when}, {policy}"]
    lines.append("   URLs:     " + " ".join(json.loads(job["start_urls"])))
    extra = option_args(options)
    if extra:
        lines.append("   options:  " + " ".join(extra))
    due = _parse(str(job["next_run"]))
    lines.append(f"   next run: {_local(job['next_run'])}" + (" (due now)" if due <= now else ""))
    if is_running(data_dir, int(job["id"])):
        lines.append(f"   running:  pid {job['running_pid']} since {_local(job['running_since'])}")
    if job["last_run"]:
        last = f"   last run: {_local(job['last_run'])}: "
        crawl = store.db.execute(
            f"SELECT {', '.join(COUNTS)} FROM crawls WHERE id = ?", [job["last_crawl_id"]]
        ).fetchone()
        if crawl:
            counts = ", ".join(f"{n or 0} {name}" for name, n in zip(COUNTS, crawl))
            last += f"crawl {job['last_crawl_id']} {job['last_outcome']}: {counts}"
        else:
            last += str(job["last_outcome"])
        if job["last_exit_code"] or not crawl:
            code = f"exit code {job['last_exit_code']}; " if job["last_exit_code"] else ""
            last += f" ({code}log: {data_dir / 'logs'}/job-{job['id']}.log)"
        lines.append(last)
    sites = {urlsplit(u).netloc.lower() for u in json.loads(job["start_urls"])}
    plans = [plan for site in sorted(sites) for plan in plan_site(store.db, site, now)]
    summary = Summary.of(plans)
    if adaptive:
        lines.append("   threads:  " + summary.line())
    else:
        lines.append(f"   threads:  {len(plans)} threads archived, all fetched every run")
    return lines


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _local(value: object) -> str:
    if not value:
        return "-"
    moment = _parse(str(value)).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "")


def _tail(path: Path, offset: int, limit: int = 2000) -> str:
    with path.open("rb") as fh:
        fh.seek(max(offset, path.stat().st_size - limit))
        return fh.read().decode("utf-8", "replace").strip()
