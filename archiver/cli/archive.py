"""The archive's upkeep: changes, reextract, import-warc, verify, eval."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..exceptions import ArchiverError
from . import cli
from .options import CONTEXT, data_option


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

    from ..store import Store

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
    from ..reextract import reextract as run_reextract
    from ..store import Store

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
    from ..import_warc import import_warcs
    from ..store import Store

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
              "their threads, from the WARCs. A file a running crawl holds is left alone.")
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

    from ..verify import verify as run_verify

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

    from ..evaluate import evaluate

    disabled = [name.strip() for name in disable.split(",") if name.strip()]
    try:
        report = evaluate(fixture_dirs, disable=disabled)
    except (ArchiverError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.table())
