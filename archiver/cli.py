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
    if counts["errors"]:
        click.echo(f"  errors:  sqlite3 {db} 'select url, kind, detail from errors'")
    click.echo(f"Browse it: archiver serve {data_dir}")


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@data_option
def reextract(paths: tuple[Path, ...], data_dir: Path) -> None:
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
        counts = run_reextract(paths, store, crawl_id)
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
