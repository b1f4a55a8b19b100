"""Scheduled crawls: `archiver schedule ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..exceptions import ArchiverError
from . import cli
from .options import CONTEXT, data_option, job_crawl_options


@cli.group(context_settings=CONTEXT)
def schedule() -> None:
    """Crawl blogs again on a schedule: jobs kept in the archive, run when due.

    `run-due` is what cron or a systemd timer calls; `daemon` is a foreground
    loop for a terminal or a service. Each run is an `archiver crawl` in its
    own process, recorded in the crawls table; DATA/logs/job-ID.log keeps its
    output.

    Example:

        archiver schedule add https://blog.example/ --every 6h

        archiver schedule run-due --data data/
    """


@schedule.command("add", context_settings=CONTEXT)
@click.argument("urls", nargs=-1, required=True)
@data_option
@click.option("--every", metavar="INTERVAL",
              help="Run every INTERVAL: 30m, 6h, 1d, 2w (or 1h30m). First run: the next run-due.")
@click.option("--cron", metavar="EXPRESSION",
              help="Run at the times of a five-field cron expression in local time, e.g. "
              "'0 */6 * * *'. First run: its next match.")
@click.option("--name", default=None, help="A name for the job (default: the first URL's host).")
@click.option("--all-threads", is_flag=True,
              help="Fetch every archived thread on every run (default: the adaptive re-crawl "
              "policy that `archiver schedule list` shows).")
@job_crawl_options
def schedule_add(urls: tuple[str, ...], data_dir: Path, every: str | None, cron: str | None,
                 name: str | None, all_threads: bool, **options: Any) -> None:  # fmt: skip
    """Add a job: crawl URLS every INTERVAL or at cron times, with crawl options.

    The crawl options are those of `archiver crawl` and are stored with the job.
    An interrupted run is resumed by the next one (unless --fresh).

    Example:

        archiver schedule add https://blog.example/ --every 6h --delay 2

        archiver schedule add blog.example --cron '30 4 * * *' --name blog
    """
    from ..schedule import add_job, describe_job
    from ..store import Store

    options["adaptive"] = not all_threads
    store = Store(data_dir / "archive.db")
    try:
        job = add_job(store, list(urls), every=every, cron=cron, name=name, options=options)
        click.echo(f"Added job {job['id']} ({job['name']}).")
        for line in describe_job(store, job, data_dir):
            click.echo(line)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"Run due jobs with: archiver schedule run-due --data {data_dir}")


@schedule.command("list", context_settings=CONTEXT)
@data_option
def schedule_list(data_dir: Path) -> None:
    """List the jobs: schedule, options, next and last run, threads due, the re-crawl policy.

    Example:

        archiver schedule list --data data/
    """
    from ..recrawl import describe_policy
    from ..schedule import describe_job
    from ..store import Store

    if not (data_dir / "archive.db").exists():
        raise click.ClickException(f"{data_dir / 'archive.db'}: no archive here")
    store = Store(data_dir / "archive.db")
    jobs = store.jobs()
    if not jobs:
        click.echo("No jobs. Add one: archiver schedule add URL --every 6h")
    for job in jobs:
        click.echo("\n".join(describe_job(store, job, data_dir)) + "\n")
    store.close()
    click.echo(describe_policy())


@schedule.command("run-due", context_settings=CONTEXT)
@data_option
def schedule_run_due(data_dir: Path) -> None:
    """Run the jobs that are due, one after another; what cron or a systemd timer calls.

    Prints one line per run and nothing when no job is due. A job already
    running (its lock is held) is skipped. Exits 1 if a run failed; the other
    jobs still run. SIGTERM or Ctrl-C stops the running crawl cleanly (the next
    run resumes it) and runs no further job.

    Example:

        archiver schedule run-due --data /srv/archive
    """
    scheduler = _scheduler(data_dir)
    runs = scheduler.run_due()
    if not all(run.ok for run in runs):
        raise SystemExit(1)


@schedule.command("daemon", context_settings=CONTEXT)
@data_option
@click.option("--once", is_flag=True, help="Run what is due once and exit.")
@click.option("--max-sleep", type=click.FloatRange(0.1), default=60.0, show_default=True,
              metavar="SECONDS", help="Look at the jobs at least this often.")
def schedule_daemon(data_dir: Path, once: bool, max_sleep: float) -> None:
    """Run due jobs in a foreground loop, for a terminal or a service.

    Sleeps until the next job is due, waking at least every --max-sleep
    seconds to see added jobs. Ctrl-C or SIGTERM stops it cleanly: a running
    crawl is asked to stop and is resumed by the next run.

    Example:

        archiver schedule daemon --data /srv/archive
    """
    scheduler = _scheduler(data_dir)
    click.echo(f"Scheduler on {data_dir}: Ctrl-C to stop.", err=True)
    scheduler.daemon(once=once, max_sleep=max_sleep)
    click.echo("Scheduler stopped.", err=True)


@schedule.command("remove", context_settings=CONTEXT)
@click.argument("job")
@data_option
def schedule_remove(job: str, data_dir: Path) -> None:
    """Remove the job JOB (its id or name). Its past crawls stay in the archive.

    Example:

        archiver schedule remove blog --data data/
    """
    from ..schedule import is_running
    from ..store import Store

    store = Store(data_dir / "archive.db")
    row: dict[str, Any] | None = store.job(job)
    if row is None:
        store.close()
        raise click.ClickException(f"no job {job!r} (see archiver schedule list)")
    store.remove_job(int(row["id"]))
    store.close()
    click.echo(f"Removed job {row['id']} ({row['name']}).")
    if is_running(data_dir, int(row["id"])):
        click.echo("  Its current run goes on until it ends.")


def _scheduler(data_dir: Path) -> Any:
    """A Scheduler reporting each run, stopped cleanly by SIGTERM and Ctrl-C."""
    import signal

    from ..schedule import Scheduler

    scheduler = Scheduler(data_dir, report=lambda run: click.echo(run.line()))
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    return scheduler
