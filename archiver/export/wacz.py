"""WACZ packages of a data directory, built with the `wacz` package (py-wacz).

py-wacz does the format: it copies the WARCs into ``archive/`` (stored, not
deflated), writes the CDXJ index (``indexes/index.cdx.gz`` + ``index.idx``),
and the ``datapackage.json`` / ``datapackage-digest.json`` with sha256 hashes.
What it cannot do for crawler WARCs is find the pages (``wacz create -d``
relies on Referer headers), so `pages_jsonl` writes ``pages/pages.jsonl`` from
the archive: one entry per post, with its title and capture time, passed to
``wacz create -p``. Optionally the SQLite archive goes in as
``archiver/archive.db``, listed and hashed in the datapackage like the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from ..exceptions import ArchiverError
from ..warcfile import sha256_file
from .threads import open_readonly

logger = logging.getLogger(__name__)

__all__ = ["DB_PATH_IN_WACZ", "PAGES_HEADER", "WaczResult", "build_wacz", "pages_jsonl"]

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
DB_PATH_IN_WACZ = "archiver/archive.db"
# Each post's own latest successful capture; a post only ever read from one of
# its comment pages falls back to that capture.
_PAGES = """
SELECT p.id, p.url, p.title,
  coalesce(
    (SELECT c.fetched_at FROM captures c WHERE c.url = p.url AND c.status = 200
     ORDER BY c.fetched_at DESC LIMIT 1),
    (SELECT c.fetched_at FROM captures c WHERE c.id = p.capture_id)
  ) AS ts
FROM posts p ORDER BY p.id
"""


@dataclass
class WaczResult:
    path: Path
    warc_files: list[str]
    posts: int  # posts in the archive
    pages: int  # entries in pages/pages.jsonl (posts whose capture is in the WARCs)
    size: int
    database: bool  # archive.db included
    skipped: list[str] = field(default_factory=list)  # unfinished .open WARCs left out
    log: str = ""  # what py-wacz printed


def pages_jsonl(db: sqlite_utils.Database) -> Iterator[str]:
    """The lines of ``pages/pages.jsonl``: the header, then one page per post."""
    yield json.dumps(PAGES_HEADER) + "\n"
    for row in db.query(_PAGES):
        page: dict[str, object] = {"id": f"post-{row['id']}", "url": row["url"]}
        if row["ts"]:
            page["ts"] = _warc_ts(row["ts"])
        page["title"] = row["title"] or row["url"]
        yield json.dumps(page, ensure_ascii=False) + "\n"


def _warc_ts(fetched_at: str) -> str:
    """A capture time as py-wacz matches it against WARC-Date: UTC, whole seconds, "Z"."""
    when = datetime.fromisoformat(fetched_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_wacz(
    data_dir: Path,
    output: Path,
    *,
    include_db: bool = False,
    title: str | None = None,
    description: str | None = None,
) -> WaczResult:
    """Package DATA/warc/*.warc(.gz) and the archive's pages as a WACZ 1.1.1 file at `output`."""
    try:
        from wacz.main import main as wacz_main
    except ImportError as exc:  # an optional extra
        raise ArchiverError("WACZ export needs the wacz package: pip install 'archiver[wacz]'") from exc
    db_path = data_dir / "archive.db"
    warcs, skipped = _warc_files(data_dir / "warc")
    for name in skipped:
        logger.warning("%s is still being written (.open): left out of the WACZ", name)
    if not warcs:
        raise ArchiverError(f"{data_dir / 'warc'}: no finished WARC files to package")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=output.parent) as tmp:
        db = open_readonly(db_path)
        pages_file = Path(tmp) / "pages.jsonl"
        with pages_file.open("w", encoding="utf-8") as fh:
            fh.writelines(pages_jsonl(db))
        posts = db["posts"].count
        db.close()
        built = Path(tmp) / "built.wacz"
        args = ["create", *map(str, warcs), "-o", str(built), "-p", str(pages_file)]
        args += ["--title", title or f"archiver: {data_dir.resolve().name}"]
        if description:
            args += ["--desc", description]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = wacz_main(args)
        logger.debug("wacz create: %s", log.getvalue())
        if status != 0 or not built.exists():
            raise ArchiverError(f"wacz create failed:\n{log.getvalue().strip()}")
        if include_db:
            snapshot = Path(tmp) / "archive.db"
            _snapshot(db_path, snapshot)
            final = Path(tmp) / "with-db.wacz"
            _add_resources(built, final, {DB_PATH_IN_WACZ: snapshot})
            built = final
        pages = _count_pages(built)
        os.replace(built, output)
    return WaczResult(
        path=output, warc_files=[w.name for w in warcs], posts=posts, pages=pages,
        size=output.stat().st_size, database=include_db, skipped=skipped, log=log.getvalue(),
    )  # fmt: skip


def _warc_files(directory: Path) -> tuple[list[Path], list[str]]:
    if not directory.is_dir():
        return [], []
    names = sorted(p.name for p in directory.iterdir())
    warcs = [directory / n for n in names if n.endswith((".warc.gz", ".warc"))]
    skipped = [n for n in names if n.endswith((".warc.gz.open", ".warc.open"))]
    return [w for w in warcs if w.is_file()], skipped


def _snapshot(db_path: Path, target: Path) -> None:
    """A consistent copy of the archive (SQLite's backup API), safe while a crawl writes."""
    source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dest.close()
        source.close()


def _add_resources(source: Path, target: Path, extra: dict[str, Path]) -> None:
    """Copy the WACZ `source` to `target` with `extra` files added to it and to its datapackage."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        package = json.loads(zin.read("datapackage.json"))
        for info in zin.infolist():
            if info.filename in ("datapackage.json", "datapackage-digest.json"):
                continue
            entry = _entry(info.filename, info.compress_type, info.file_size)
            with zin.open(info) as src, zout.open(entry, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        for name, path in extra.items():
            entry = _entry(name, zipfile.ZIP_DEFLATED, path.stat().st_size)
            with path.open("rb") as src, zout.open(entry, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            package["resources"].append(
                {
                    "name": Path(name).name.lower(),
                    "path": name,
                    "hash": "sha256:" + sha256_file(path),
                    "bytes": path.stat().st_size,
                }
            )
        data = json.dumps(package, indent=2).encode("utf-8")
        zout.writestr(_entry("datapackage.json", zipfile.ZIP_DEFLATED), data)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
        zout.writestr(_entry("datapackage-digest.json", zipfile.ZIP_DEFLATED), json.dumps(digest, indent=2))


def _entry(name: str, compress_type: int, size: int = 0) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, datetime.now(timezone.utc).timetuple()[:6])
    info.compress_type = compress_type
    info.file_size = size  # lets zipfile choose ZIP64 up front for members over 2 GiB
    return info




def _count_pages(wacz_path: Path) -> int:
    with zipfile.ZipFile(wacz_path) as zf:
        if "pages/pages.jsonl" not in zf.namelist():
            return 0
        return max(0, zf.read("pages/pages.jsonl").count(b"\n") - 1)
