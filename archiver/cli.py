"""The `archiver` command: wires the library's pieces together, nothing more."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .exceptions import ArchiverError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def data_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("ARCHIVER_DATA", "data"),
        show_default="./data or $ARCHIVER_DATA",
        help="Data directory: archive.db and warc/ live here.",
    )(func)


def crawl_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--delay", type=float, default=None, metavar="SECONDS",
                     help="Delay between requests to one site (default 1, with AutoThrottle); "
                     "0 turns delays and AutoThrottle off, for local or private sites."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=None, metavar="N",
                     help="Requests in flight, per site and overall (default 2 per site)."),
        click.option("--allow-private", is_flag=True,
                     help="Allow loopback and private addresses (refused by default)."),
        click.option("--ignore-robots", is_flag=True,
                     help="Do not obey robots.txt (it is obeyed by default)."),
        click.option("--max-pages", type=click.IntRange(1), default=None, metavar="N",
                     help="Stop after N responses."),
        click.option("--timeout", type=float, default=None, metavar="SECONDS",
                     help="Download timeout per request (default 30)."),
        click.option("--user-agent", default=None, help="User-Agent header (default names archiver)."),
        click.option("--fresh", is_flag=True,
                     help="Start a new crawl even if the last crawl of these URLs was interrupted "
                     "(by default it is resumed: archived pages are read back from the WARCs)."),
        click.option("-s", "--set", "extra", multiple=True, metavar="NAME=VALUE",
                     help="Any Scrapy or ARCHIVER_* setting, e.g. -s ARCHIVER_WARC_MAX_SIZE=100000000."),
        click.option("-v", "--verbose", count=True, help="Show Scrapy's log (-v info, -vv debug)."),
        click.option("-q", "--quiet", is_flag=True, help="No progress line; only the summary."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version")
def cli() -> None:
    """Archive blog posts and their comment threads: WARC files plus a SQLite archive.

    Example:

        archiver crawl https://blog.example/ --data data/

        archiver serve data/
    """


@cli.command(context_settings=CONTEXT)
@click.argument("urls", nargs=-1)
@data_option
@crawl_options
def crawl(urls: tuple[str, ...], data_dir: Path, **options: Any) -> None:
    """Crawl URLS (a home page, a feed, a sitemap or post URLs) into the archive.

    A post URL archives that thread with all its comment pages. A home page or
    other index page crawls the whole site: index pagination, feeds, sitemaps
    and every post they lead to. A feed or sitemap archives the posts it lists.
    With no URL, crawls the bundled sample blog (see `archiver demo`).

    Results go to DATA/archive.db (SQLite) and DATA/warc/*.warc.gz.

    Example:

        archiver crawl https://blog.example/ --data data/

        archiver crawl https://blog.example/2016/02/a-post/ --delay 2
    """
    if not urls:
        click.echo("No URL given: crawling the bundled sample blog (see `archiver demo`).", err=True)
        _demo(data_dir, options)
        return
    _crawl(list(urls), data_dir, options)


def _report_gaps(db: Path, crawl_id: int) -> None:
    """What an archivist must know after a crawl: errors by kind, threads read incompletely."""
    from .store import Store

    store = Store(db)
    kinds = store.error_kinds(crawl_id)
    incomplete = store.incomplete_threads(crawl_id)
    store.close()
    if kinds:
        click.echo("  errors:  " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
        click.echo(f"           sqlite3 {db} 'select url, kind, detail from errors where crawl_id = {crawl_id}'")
    if incomplete:
        missing = sum(int(row["comment_shortfall"]) for row in incomplete)
        click.echo(f"  incomplete: {len(incomplete)} threads have {missing} fewer comments than their pages state")
        for row in incomplete[:5]:
            click.echo(f"           {row['url']}: {row['comment_count']} of {row['stated_comment_count']}")


@cli.command(context_settings=CONTEXT)
@data_option
@crawl_options
def demo(data_dir: Path, **options: Any) -> None:
    """Serve the bundled sample blog on 127.0.0.1 and crawl it end to end.

    The sample is a WordPress blog with a 34-comment thread spread over three
    comment pages; nothing leaves this machine.

    Example:

        archiver demo --data demo-data/
    """
    _demo(data_dir, options)


def _demo(data_dir: Path, options: dict[str, Any]) -> None:
    from .sample_server import serve_directory

    options.update(allow_private=True, delay=options.get("delay") or 0)
    with serve_directory() as base_url:
        click.echo(f"Sample blog served at {base_url}", err=True)
        _crawl([base_url], data_dir, options)


def _crawl(urls: list[str], data_dir: Path, options: dict[str, Any]) -> None:
    from .runner import crawl_settings, run_crawl

    extra = {}
    for item in options.pop("extra", ()):
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="-s/--set")
        extra[name] = value
    verbose, quiet = options.pop("verbose"), options.pop("quiet")
    if options.pop("fresh"):
        extra["ARCHIVER_RESUME"] = False
    settings = crawl_settings(
        data_dir,
        obey_robots=not options.pop("ignore_robots"),
        progress=not quiet,
        log_level={0: "WARNING", 1: "INFO"}.get(verbose, "DEBUG"),
        extra=extra,
        **options,
    )
    try:
        result = run_crawl(urls, settings)
    except (ArchiverError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    counts = result.counts
    click.echo(
        f"\nCrawl {result.crawl_id} {result.outcome} in {result.seconds:.1f} s: "
        f"{counts['pages']} pages fetched, {counts['posts']} posts and "
        f"{counts['comments']} comments stored, {counts['errors']} errors."
    )
    db = data_dir / "archive.db"
    click.echo(f"  archive: {db}")
    for path in result.warc_files:
        size = Path(path).stat().st_size if Path(path).exists() else 0
        click.echo(f"  WARC:    {path} ({size / 1024:.0f} KiB)")
    if result.crawl_id is not None:
        _report_gaps(db, result.crawl_id)
    click.echo(f"Browse it: archiver serve {data_dir}")


@cli.command(context_settings=CONTEXT)
@click.option("--since", default="1970-01-01", metavar="DATE",
              help="Only crawls started on or after DATE (ISO 8601, e.g. 2026-11-01).")
@click.option("--site", default=None, help="Only sites whose host contains this text.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change.")
@data_option
def changes(since: str, site: str | None, as_json: bool, data_dir: Path) -> None:
    """What re-crawls found: new posts, and new, edited and deleted comments.

    Deleted comments are never removed from the archive, only marked; every
    version of an edited comment is kept in `comment_versions`.

    Example:

        archiver changes --since 2026-11-01 --site someblog
    """
    import json

    from .store import Store

    db = data_dir / "archive.db"
    if not db.exists():
        raise click.ClickException(f"{db}: no archive here (crawl first, or pass --data DIR)")
    store = Store(db)
    rows = store.changes(since, site)
    store.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No changes in crawls since {since}.")
        return
    heading = None
    for row in rows:
        if (row["crawl_id"], row["url"]) != heading:
            heading = (row["crawl_id"], row["url"])
            click.echo(f"crawl {row['crawl_id']}  {row['url']}  {row['title'] or ''}")
        who = f" {row['source_id']} by {row['author']}" if row["source_id"] else ""
        text = " ".join(str(row["text"] or "").split())[:90]
        click.echo(f"  {row['change']}{who} ({row['at']}): {text}")


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@data_option
@click.option("--workers", type=click.IntRange(0), default=lambda: os.cpu_count() or 1,
              show_default="the number of CPUs", help="Processes extracting pages (0: none).")
def reextract(paths: tuple[Path, ...], data_dir: Path, workers: int) -> None:
    """Rebuild the archive from WARC files alone, with no network.

    PATHS are WARC files or directories holding them: ours, or any standard
    WARC such as wget's --warc-file output. Threads are extracted with the
    current extractors and merged into DATA/archive.db.

    Example:

        archiver reextract data/warc --data rebuilt/
    """
    from .reextract import reextract as run_reextract
    from .store import Store

    store = Store(data_dir / "archive.db")
    crawl_id = store.start_crawl(
        [str(p) for p in paths], {"mode": "reextract", "extractors": "current"}
    )
    try:
        counts = run_reextract(paths, store, crawl_id, workers)
    except FileNotFoundError as exc:
        store.finish_crawl(crawl_id, "failed")
        raise click.ClickException(str(exc)) from exc
    totals = store.finish_crawl(crawl_id, "finished")
    store.close()
    click.echo(
        f"Read {counts.responses} responses from {counts.files} WARC files: "
        f"{totals['posts']} posts and {totals['comments']} comments stored, "
        f"{counts.errors} errors.\n  archive: {data_dir / 'archive.db'}"
    )


@cli.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@data_option
@click.option("-p", "--port", type=click.IntRange(1, 65535), default=8001, show_default=True,
              help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback lets other machines read the "
              "archive (a warning is printed).")
@click.option("-i", "--immutable", is_flag=True,
              help="Serve a snapshot taken at start instead of the live archive: faster "
              "counts, and later writes are not seen.")
@click.option("--remote-images", is_flag=True,
              help="Let archived images load from their original sites (off: shown as links).")
@click.option("--get", "get_path", metavar="PATH",
              help="Print the response for PATH (e.g. /-/thread/1) and exit; no server.")
def serve(directory: Path | None, data_dir: Path, port: int, host: str, immutable: bool,
          remote_images: bool, get_path: str | None) -> None:  # fmt: skip
    """Browse and search the archive in Datasette, on 127.0.0.1 by default.

    DIRECTORY is the data directory (default: --data). Datasette opens
    DIRECTORY/archive.db read-only, so it is safe to serve while a crawl
    writes. Pages beside Datasette's tables: /-/thread/POST_ID (a post with
    its whole thread), /-/search (posts and comments) and /-/crawls.

    Example:

        archiver serve data/

        archiver serve data/ --port 8002 -i
    """
    import contextlib

    from .serve import check_archive, get, is_loopback, make_datasette, run, snapshot

    db_path = (directory or data_dir) / "archive.db"
    try:
        check_archive(db_path)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    if not is_loopback(host):
        click.secho(
            f"Warning: serving on {host}: anyone who can reach this machine on port {port} "
            "can read the whole archive. Use the default --host 127.0.0.1 to keep it local.",
            fg="yellow", err=True,
        )  # fmt: skip
    with contextlib.ExitStack() as stack:
        served = stack.enter_context(snapshot(db_path)) if immutable else db_path
        datasette = make_datasette(served, immutable=immutable, remote_images=remote_images)
        if get_path:
            status, body = get(datasette, get_path)
            click.echo(body)
            if status != 200:
                raise SystemExit(1)
            return
        mode = "a snapshot of" if immutable else "read-only:"
        click.echo(f"Serving {mode} {db_path} at http://{host}:{port}/", err=True)
        click.echo(f"  threads: http://{host}:{port}/-/thread/POST_ID · search: /-/search · "
                   "crawls: /-/crawls · Ctrl-C to stop", err=True)  # fmt: skip
        run(datasette, host, port)


@cli.group(context_settings=CONTEXT)
def export() -> None:
    """Export the archive: a WACZ package of its WARCs, or its threads as files.

    Example:

        archiver export wacz data/ -o crawl.wacz

        archiver export threads data/ --format html -o threads-html/
    """


def _export_source(directory: Path | None, data_dir: Path) -> Path:
    return directory or data_dir


@export.command("wacz", context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@data_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("archive.wacz"), show_default=True, help="The WACZ file to write.")
@click.option("--with-db", is_flag=True,
              help="Also put the SQLite archive in the package, as archiver/archive.db.")
@click.option("--title", default=None, help="Title in datapackage.json (default: archiver: DIR).")
@click.option("--description", default=None, help="Description in datapackage.json.")
def export_wacz(directory: Path | None, data_dir: Path, output: Path, with_db: bool,
                title: str | None, description: str | None) -> None:  # fmt: skip
    """Package the WARC files as a WACZ 1.1.1 file, for replayweb.page or pywb.

    DIRECTORY is the data directory (default: --data). The package holds
    DIRECTORY/warc/*.warc.gz (unfinished .open files are left out), a CDXJ
    index, pages/pages.jsonl with one page per archived post (its title and
    capture time) and a datapackage.json with the sha256 of every file.
    Needs the wacz package: pip install 'archiver[wacz]'.

    Example:

        archiver export wacz data/ -o crawl.wacz --with-db

        wacz validate -f crawl.wacz
    """
    from .export.wacz import build_wacz

    try:
        result = build_wacz(_export_source(directory, data_dir), output, include_db=with_db,
                            title=title, description=description)  # fmt: skip
    except (ArchiverError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    files = len(result.warc_files)
    click.echo(
        f"Wrote {result.path} ({result.size / 1024:.0f} KiB): {files} WARC file{'s' * (files != 1)}, "
        f"{result.pages} pages for {result.posts} posts, CDXJ index, datapackage"
        + (", archive.db." if result.database else ".")
    )
    for name in result.skipped:
        click.echo(f"  left out (still being written): {name}", err=True)
    if result.pages < result.posts:
        click.echo(f"  {result.posts - result.pages} posts have no capture in these WARCs: "
                   "not listed as pages", err=True)  # fmt: skip
    click.echo(f"  check it: wacz validate -f {result.path}")


@export.command("threads", context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@data_option
@click.option("-f", "--format", "fmt", type=click.Choice(["jsonl", "csv", "html"]),
              default="jsonl", show_default=True,
              help="jsonl: one post per line with its nested comment tree; csv: one row per "
              "post and per comment, with parent ids; html: a page per thread and an index.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write (jsonl, csv; default: standard output), or directory (html).")
def export_threads(directory: Path | None, data_dir: Path, fmt: str, output: Path | None) -> None:
    """Export every post with its comment thread as JSON Lines, CSV or static HTML.

    DIRECTORY is the data directory (default: --data); its archive.db is read
    read-only, so exporting during a crawl is safe. HTML is sanitised, has no
    scripts and fetches nothing when opened: OUTPUT/index.html lists the
    threads, OUTPUT/threads/POST_ID-SLUG.html shows each with its comments
    nested by reply, each linked to its original URL and its WARC record.

    Example:

        archiver export threads data/ > threads.jsonl

        archiver export threads data/ --format csv -o comments.csv

        archiver export threads data/ --format html -o threads-html/
    """
    import io

    from .export.html import write_html
    from .export.threads import open_readonly, read_threads, write_csv, write_jsonl

    source = _export_source(directory, data_dir)
    if fmt == "html" and output is None:
        raise click.UsageError("--format html writes a directory: give it with -o DIR")
    try:
        db = open_readonly(source / "archive.db")
        threads = read_threads(db)
        if fmt == "html":
            assert output is not None
            posts, comments = write_html(threads, output, warc_dir=source / "warc")
            where = f"{output / 'index.html'}"
        else:
            writer = write_jsonl if fmt == "jsonl" else write_csv
            if output is None:
                stream = io.TextIOWrapper(click.get_binary_stream("stdout"), encoding="utf-8", newline="")
                try:
                    posts, comments = writer(threads, stream)
                    stream.flush()
                except BrokenPipeError:  # `| head`: the reader has what it wanted
                    raise SystemExit(0) from None
                finally:
                    stream.detach()
                where = "standard output"
            else:
                output.parent.mkdir(parents=True, exist_ok=True)
                with output.open("w", encoding="utf-8", newline="") as fh:
                    posts, comments = writer(threads, fh)
                where = str(output)
        db.close()
    except (ArchiverError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Exported {posts} posts and {comments} comments as {fmt} to {where}.", err=True)


@cli.command("import-warc", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@data_option
@click.option("--no-copy", is_flag=True,
              help="Symlink the files into DATA/warc/ instead of copying them; the originals "
              "must then stay where they are.")
def import_warc(paths: tuple[Path, ...], data_dir: Path, no_copy: bool) -> None:
    """Import WARC files made by other tools (wget --warc-file, pywb recordings, ...).

    PATHS are WARC files or directories holding them. Each is copied into
    DATA/warc/ (a file of the same name and different content gets a -2
    suffix; the same file is not copied twice), then its responses are
    recorded as captures and its threads extracted into DATA/archive.db,
    exactly as `archiver reextract` does.

    Example:

    \b
        wget --recursive --level=inf --no-parent -e robots=off --warc-file=site https://blog.example/

        archiver import-warc site.warc.gz --data data/
    """
    from .import_warc import import_warcs
    from .store import Store

    store = Store(data_dir / "archive.db")
    crawl_id = store.start_crawl(
        [str(p) for p in paths], {"mode": "import-warc", "copy": not no_copy, "extractors": "current"}
    )
    try:
        result = import_warcs(paths, data_dir, store, crawl_id, copy=not no_copy)
    except OSError as exc:
        store.finish_crawl(crawl_id, "failed")
        store.close()
        raise click.ClickException(str(exc)) from exc
    totals = store.finish_crawl(crawl_id, "finished")
    store.close()
    counts = result.counts
    placed = ", ".join(
        f"{n} {what}" for n, what in ((result.copied, "copied"), (result.linked, "linked"),
                                      (result.already_there, "already there")) if n
    )  # fmt: skip
    click.echo(
        f"Imported {len(result.files)} WARC file{'s' * (len(result.files) != 1)} into "
        f"{data_dir / 'warc'} ({placed or 'none'}): "
        f"read {counts.responses} responses, {totals['posts']} posts and {totals['comments']} "
        f"comments stored, {counts.errors} errors.\n  archive: {data_dir / 'archive.db'}"
    )


@cli.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@data_option
@click.option("--repair", is_flag=True,
              help="Close WARC files a killed crawl left open (the torn tail is moved to "
              "DATA/warc/damaged/, never deleted) and rebuild missing captures rows, with "
              "their threads, from the WARCs. Not while a crawl is writing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(directory: Path | None, data_dir: Path, repair: bool, as_json: bool) -> None:
    """Check every WARC file and the archive against each other; exit 1 on any problem.

    DIRECTORY is the data directory (default: --data). Every gzip member of
    every DATA/warc file is read to its end (a truncated member is an error),
    block and payload digests are recomputed, closed files are compared with
    DATA/warc/MANIFEST.sha256, every captures row must point at its record
    (file, offset, record id, URL, digest) and every response or revisit
    record must have a captures row. One line per problem:
    FILE @OFFSET RECORD-ID: kind: detail, then a summary line.

    A plain check writes only MANIFEST.sha256: it adds the sha256 of closed
    files that checked clean and are not listed yet. Run it when no crawl is
    writing to DATA (a file being written shows up as open-file).

    Example:

        archiver verify data/

        archiver verify data/ --repair
    """
    import json

    from .verify import verify as run_verify

    data = directory or data_dir
    if not data.is_dir():
        raise click.ClickException(f"{data}: no such data directory")
    try:
        report = run_verify(data, repair=repair)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.repaired:
            click.echo(f"repaired: {line}")
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


# schedule -------------------------------------------------------------------------


def job_crawl_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The crawl options a job stores (a scheduled run is always quiet: no -q)."""
    func = crawl_options(func)
    func.__click_params__ = [p for p in func.__click_params__ if p.name != "quiet"]  # type: ignore[attr-defined]
    return func


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
    from .schedule import add_job, describe_job
    from .store import Store

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
    from .recrawl import describe_policy
    from .schedule import describe_job
    from .store import Store

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
    from .schedule import is_running
    from .store import Store

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

    from .schedule import Scheduler

    scheduler = Scheduler(data_dir, report=lambda run: click.echo(run.line()))
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    return scheduler


@cli.command("eval", context_settings=CONTEXT)
@click.argument("fixture_dirs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--disable", default="", metavar="PLATFORMS",
              help="Comma-separated platform extractors to switch off (e.g. wordpress,blogger): "
              "the generic fallback then reads their pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_(fixture_dirs: tuple[Path, ...], disable: str, as_json: bool) -> None:
    """Score the extractors on fixture sites: precision and recall per platform.

    FIXTURE_DIRS are fixture sites (a directory with expected.json and its HTML
    pages) or directories holding them. Comments are matched by id, else by author,
    time and text; parent links count when they point at the expected parent.

    Example:

        archiver eval tests/fixtures/sites tests/fixtures/seed-thread

        archiver eval tests/fixtures/seed-thread --disable wordpress,blogger --json
    """
    import json

    from .evaluate import evaluate

    disabled = [name.strip() for name in disable.split(",") if name.strip()]
    try:
        report = evaluate(fixture_dirs, disable=disabled)
    except (ArchiverError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.table())
