"""Options and helpers every `archiver` command shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

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


def job_crawl_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The crawl options a job stores (a scheduled run is always quiet: no -q)."""
    func = crawl_options(func)
    func.__click_params__ = [p for p in func.__click_params__ if p.name != "quiet"]  # type: ignore[attr-defined]
    return func


def archive_dir(directory: Path | None, data_dir: Path) -> Path:
    """The data directory named positionally, else by --data."""
    return directory or data_dir
