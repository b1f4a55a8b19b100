"""Browsing the archive in Datasette: metadata, canned queries, templates and a plugin.

`metadata.yaml` describes every table and column and holds the canned queries
(thread, search, crawl history); `plugin` adds the thread, search and crawl
pages, links between rows and threads, a year facet and a strict CSP;
`templates/` and `static/` are those pages' look. `archiver serve` puts them
together (see `archiver/serve.py`); nothing here writes to the archive.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasette.utils import parse_metadata

__all__ = [
    "DATABASE",
    "METADATA_PATH",
    "PLUGIN_NAME",
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "canned_sql",
    "load_metadata",
    "remote_images",
]

HERE = Path(__file__).parent
METADATA_PATH = HERE / "metadata.yaml"
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
DATABASE = "archive"  # Datasette names a database after its file: DATA/archive.db
PLUGIN_NAME = "archiver"


@lru_cache(maxsize=1)
def _metadata() -> dict[str, Any]:
    data = parse_metadata(METADATA_PATH.read_text(encoding="utf-8"))  # YAML or JSON
    assert isinstance(data, dict)
    return data


def load_metadata(*, remote_images: bool = False) -> dict[str, Any]:
    """The shipped metadata, with this plugin's configuration filled in."""
    metadata = copy.deepcopy(_metadata())
    metadata.setdefault("plugins", {})[PLUGIN_NAME] = {"remote_images": remote_images}
    return metadata


def canned_sql(name: str) -> str:
    """The SQL of one of the archive's canned queries (the pages run the same SQL)."""
    return str(_metadata()["databases"][DATABASE]["queries"][name]["sql"])


def remote_images(datasette: Any) -> bool:
    """Whether archived images may load from their original sites (off by default)."""
    return bool((datasette.plugin_config(PLUGIN_NAME) or {}).get("remote_images"))
