"""Crawling: `archiver crawl` and `archiver demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..exceptions import ArchiverError
from . import cli
from .options import CONTEXT, crawl_options, data_option


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
    from ..store import Store

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
    from ..sample_server import serve_directory

    options.update(allow_private=True, delay=options.get("delay") or 0)
    with serve_directory() as base_url:
        click.echo(f"Sample blog served at {base_url}", err=True)
        _crawl([base_url], data_dir, options)


def _crawl(urls: list[str], data_dir: Path, options: dict[str, Any]) -> None:
    from ..runner import crawl_settings, run_crawl

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
