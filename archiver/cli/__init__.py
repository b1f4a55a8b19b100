"""The `archiver` command: a click group whose commands live beside it, by concern.

Each module wires library pieces together and nothing more: crawling, the
archive's upkeep, browsing and exporting, scheduled jobs.
"""

from __future__ import annotations

import click

from .. import __version__
from .options import CONTEXT


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version")
def cli() -> None:
    """Archive blog posts and their comment threads: WARC files plus a SQLite archive.

    Example:

        archiver crawl https://blog.example/ --data data/

        archiver serve data/
    """


from . import archive, browse, crawl, jobs  # noqa: E402,F401  (they register their commands)

__all__ = ["cli"]
