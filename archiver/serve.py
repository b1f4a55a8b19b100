"""`archiver serve`: Datasette over the archive, read-only, with the package's metadata.

Datasette opens DATA/archive.db read-only (``mode=ro``); the archive is in WAL
mode, so a crawl can write while it is served and readers never block it. With
`immutable`, Datasette serves a consistent snapshot taken at start (SQLite's
backup API through a read-only connection) instead, deleted on exit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .exceptions import ArchiverError

__all__ = ["SETTINGS", "is_loopback", "make_datasette", "run", "snapshot"]

# Datasette settings for an archive: long threads and history queries fit.
SETTINGS: dict[str, Any] = {
    "max_returned_rows": 5000,
    "sql_time_limit_ms": 5000,
    "truncate_cells_html": 300,
    "default_page_size": 50,
}
REQUIRED_TABLES = ("posts", "comments", "captures", "crawls", "errors")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_archive(db_path: Path) -> None:
    """Fail with one clear line unless `db_path` is an archive we can read."""
    if not db_path.is_file():
        raise ArchiverError(f"No archive at {db_path}: run `archiver crawl URL --data {db_path.parent}` first.")
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ArchiverError(f"{db_path} is not a readable SQLite database: {exc}") from exc
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise ArchiverError(f"{db_path} is not an archiver archive (no {', '.join(missing)} table).")


@contextmanager
def snapshot(db_path: Path) -> Iterator[Path]:
    """A consistent copy of the archive in a temporary directory, removed afterwards.

    Read through a ``mode=ro`` connection, so taking it never writes to the
    archive and sees only committed transactions, even mid-crawl.
    """
    directory = Path(tempfile.mkdtemp(prefix="archiver-serve-"))
    copy = directory / db_path.name  # same name: Datasette names the database after it
    try:
        source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # immutable readers want no WAL
        finally:
            target.close()
            source.close()
        yield copy
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def make_datasette(db_path: Path, *, immutable: bool = False, remote_images: bool = False) -> Any:
    """A Datasette instance for the archive with our metadata, templates and plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from .datasette import PLUGIN_NAME, TEMPLATES_DIR, load_metadata
    from .datasette import plugin as archiver_plugin

    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(archiver_plugin, name=PLUGIN_NAME)
    files = [] if immutable else [str(db_path)]
    immutables = [str(db_path)] if immutable else []
    return Datasette(
        files,
        immutables=immutables,
        metadata=load_metadata(remote_images=remote_images),
        template_dir=str(TEMPLATES_DIR),
        settings=dict(SETTINGS),
    )


def get(datasette: Any, path: str) -> tuple[int, str]:
    """Fetch `path` from `datasette` without a server: (status, body)."""

    async def fetch() -> tuple[int, str]:
        await datasette.invoke_startup()
        response = await datasette.client.get(path)
        return response.status_code, response.text

    return asyncio.run(fetch())


def run(datasette: Any, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    import uvicorn

    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
