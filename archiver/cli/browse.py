"""Reading the archive: `archiver serve` and `archiver export`."""

from __future__ import annotations

from pathlib import Path

import click

from ..exceptions import ArchiverError
from . import cli
from .options import CONTEXT, archive_dir, data_option


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

    from ..serve import check_archive, get, is_loopback, make_datasette, run, snapshot

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
    from ..export.wacz import build_wacz

    try:
        result = build_wacz(archive_dir(directory, data_dir), output, include_db=with_db,
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

    from ..export.html import write_html
    from ..export.threads import open_readonly, read_threads, write_csv, write_jsonl

    source = archive_dir(directory, data_dir)
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
